"""The report page (report.html): for the sample migration and for a file full of errors it says
whether the file goes in and what to fix, shows the counts, the rules with samples, the charts
and the licenses, and needs nothing from the network; a browser proves that it renders."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest
from conftest import HEADERS, IMPORT_DATE, REPO, write_template

from enrollment_migrate.options import RunOptions
from enrollment_migrate import portal, report_page, warehouse
from flows.rollback import rollback_flow
from flows.run import run_flow
from flows.validate import validate_flow
from schemas.rules import ALL_RULES

SAMPLE = REPO / "data" / "sample"
CHROMIUM = Path("/usr/bin/chromium")
HOSTILE_COURSES = [
    "<script>alert(1)</script>",
    '=HYPERLINK("http://evil.example/x","click")',
    '<img src="http://evil.example/pixel.png">',
]


def error_rows() -> list[list[str]]:
    """A file full of errors: 30 unknown users (more than the samples shown), hostile course
    names, fatal dates and scores, and more rows for a licensed course than it has seats."""
    def line(login, course, completed="1/6/2024", created="", started="", score="", status="Completed"):
        return [login, course, created, started, completed, score, status]

    return [
        *(line(f"stranger{i}@example.com", "Fire Safety Essentials") for i in range(30)),
        *(line("ana.silva@example.com", course) for course in HOSTILE_COURSES),
        line("ben.okafor@example.com", "Fire Safety Essentials", completed="2024-06-01"),
        line("ben.okafor@example.com", "Fire Safety Essentials", created="5/5/2024", started="1/5/2024",
             completed="3/5/2024"),
        line("ben.okafor@example.com", "Fire Safety Essentials", score="80"),
        *(line(login, "Data Protection 101", completed="1/6/2019")
          for login in ("ana.silva@example.com", "chloe.martin@example.com", "dev.patel@example.com",
                        "emma.jones@example.com")),
        line("grace.liu@example.com", "Leadership Foundations", completed="", status="In Progress"),
    ]


def load_portal(db: Path, folder: Path, license_seats: int | None = None) -> None:
    """The sample portal; with `license_seats`, Data Protection 101 has only that many."""
    courses = (SAMPLE / "portal_courses.csv").read_text(encoding="utf-8")
    if license_seats is not None:
        courses = courses.replace("Data Protection 101,true,elearning,50,",
                                  f"Data Protection 101,true,elearning,{license_seats},")
    (folder / "courses.csv").write_text(courses, encoding="utf-8")
    with warehouse.connect(db) as con:
        portal.load_portal(con, users=SAMPLE / "portal_users.csv", courses=folder / "courses.csv",
                           enrollments=SAMPLE / "portal_enrollments.csv", import_date=IMPORT_DATE)


@pytest.fixture(scope="module")
def pages(tmp_path_factory, prefect_harness) -> dict[str, dict]:
    """Three runs and their pages: the error file validated (against a portal with 3 seats on
    Data Protection 101), the sample validated, and the sample applied."""
    folder = tmp_path_factory.mktemp("pages")
    bad_db, sample_db = folder / "bad.duckdb", folder / "sample.duckdb"
    load_portal(bad_db, folder, license_seats=3)
    load_portal(sample_db, folder)
    bad_file = write_template(folder / "full-of-errors.csv", error_rows(), HEADERS)
    common = {"options": RunOptions(IMPORT_DATE), "reports_dir": str(folder / "reports")}
    made = {
        "errors": validate_flow(file=str(bad_file), db=str(bad_db), **common),
        "sample": validate_flow(file=str(SAMPLE / "migration.csv"), db=str(sample_db), **common),
        "applied": run_flow(file=str(SAMPLE / "migration.csv"), db=str(sample_db), **common),
    }
    return {
        name: {"summary": summary, "db": bad_db if name == "errors" else sample_db,
               "path": Path(summary["report_dir"]) / "report.html"}
        for name, summary in made.items()
    }


class _Text(HTMLParser):
    """The page's text as a reader sees it: entities decoded, styles left out."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag == "style"

    def handle_endtag(self, tag):
        self._skip -= tag == "style"

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def text_of(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return re.sub(r"\s+", " ", " ".join(parser.parts))


def html_of(page: dict) -> str:
    return page["path"].read_text(encoding="utf-8")


def sample_cells(html: str, rule: str, column: str = "row") -> list[str]:
    return re.findall(rf'<td headers="table-samples-{rule}-{column}"[^>]*>([^<]*)</td>', html)


# --- what the page says ----------------------------------------------------------------------------

def test_a_file_full_of_errors_will_not_go_in_and_says_what_to_fix(pages):
    page = pages["errors"]
    html, summary = html_of(page), page["summary"]
    text = text_of(html)

    assert summary["state"] == "invalid"
    headline = re.search(r'id="verdict-headline">([^<]*)<', html).group(1)
    assert headline == "Will not go in"
    reason = re.search(r'id="verdict-reason">([^<]*)<', html).group(1)
    assert reason.startswith(f"{summary['errors']} findings must be fixed first: ")
    # The fatal rules lead the reason: they reject the file whatever the options.
    assert reason.endswith("date_sequence ×2, license_shortfall ×1, score_not_allowed ×1 and 3 more rules.")
    for code, count in summary["rule_counts"].items():  # one line per rule that fired
        rule = ALL_RULES[code]
        assert f'id="rule-{code}"' in html
        assert rule.summary in text and rule.fix in text, code
        assert f"{code} ({rule.severity.value}): {count} finding" in text


def test_ready_to_migrate_comes_right_after_the_verdict_with_every_step(pages):
    page = pages["sample"]
    html, summary = html_of(page), page["summary"]
    assert html.index('id="readiness"') < html.index('id="counts"')  # near the top
    statuses = re.findall(r'<li class="step (\w+)" data-status="\w+">', html)
    assert statuses == [item["status"] for item in summary["readiness"]]
    text = text_of(html)
    for item in summary["readiness"]:
        assert item["item"] in text
        if item["status"] != "ok":
            assert item["detail"] in text
    assert re.search(r"\? unknown Badges \(gamification\) ?: Does the portal use gamification\?", text)


def test_samples_are_at_most_20_per_rule_with_a_link_to_all_findings(pages):
    html = html_of(pages["errors"])
    text = text_of(html)

    rows = sample_cells(html, "unknown_user")
    assert rows == [str(n) for n in range(2, 22)]  # the first 20 of 30, in file order
    assert "unknown_user (error): 30 findings, the first 20 shown" in text
    assert "All 30 in findings.csv" in text
    assert html.count('href="findings.csv"') >= 2
    assert (pages["errors"]["path"].parent / "findings.csv").is_file()
    for code in pages["errors"]["summary"]["rule_counts"]:
        assert len(sample_cells(html, code)) <= report_page.SAMPLES_PER_RULE


def test_learners_values_are_text_never_markup_and_login_ids_are_masked(pages):
    html = html_of(pages["errors"])
    values = sample_cells(html, "unknown_course", "value")

    assert "<script" not in html.lower() and "<img" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in values
    assert "&lt;img src=&quot;http://evil.example/pixel.png&quot;&gt;" in values
    # As findings.csv has it: a spreadsheet pasted into would not run it either.
    assert "&#x27;=HYPERLINK(&quot;http://evil.example/x&quot;,&quot;click&quot;)" in values
    assert "stranger" not in html
    assert sample_cells(html, "unknown_user", "value")[0] == "st***@example.com"


@pytest.mark.parametrize("name", ["errors", "sample", "applied"])
def test_the_page_needs_nothing_from_the_network(pages, name):
    html = html_of(pages[name])

    assert not re.search(r"""(?:src|href|action|poster|srcset)\s*=\s*["']?\s*(?:[a-z]+:)?//""", html, re.IGNORECASE)
    assert not re.search(r"""url\(\s*["']?\s*(?:[a-z]+:)?//""", html, re.IGNORECASE)
    assert "@import" not in html and "<link" not in html.lower() and "<script" not in html.lower()
    assert "googleapis" not in html


def test_the_sample_will_go_in_with_its_counts_charts_and_licenses(pages):
    page = pages["sample"]
    html, summary = html_of(page), page["summary"]
    text = text_of(html)

    assert re.search(r'id="verdict-headline">([^<]*)<', html).group(1) == "Will go in"
    assert "10 live and 10 archived rows would be migrated; 2 rows are skipped" in text
    for name in ("rows", "live", "archived", "skipped", "errors", "warnings",
                 "certificates", "credits", "badges"):
        found = re.search(rf'data-count="{name}"><span class="n">([^<]*)<', html).group(1)
        assert found == f"{summary[name]:,}", name
    for fact in (summary["file"], summary["sha256"], summary["import_date"], summary["run_id"]):
        assert fact in text
    # Both charts, each drawn for a wide and a narrow screen, with the cut-off marked.
    for chart in ("chart-by-year", "chart-split"):
        figure = html[html.index(f'id="{chart}"'):]
        assert figure.index("<svg") < figure.index("</figure>")
    assert html.count("cut-off 2023-01-15") >= 2
    # Licenses and places: what the file needs against what the portal has.
    capacity = text[text.index("Licenses and capacity"):]
    assert "Data Protection 101 licenses 50 1 5 49 ✔ yes" in capacity
    assert "Forklift Operation ILT places 20 0 4 20 ✔ yes" in capacity
    assert 'id="applied"' not in html


def test_a_shortfall_shows_how_many_licenses_are_missing(pages):
    text = text_of(html_of(pages["errors"]))

    # Four rows need a seat; the portal has 3, one of them taken by an existing enrollment.
    assert "Data Protection 101 licenses 3 1 4 2 ✘ no: short by 2" in text
    assert "✘ 1 limit is too small" in text


def _run_log(db: Path, run_id: str) -> tuple:
    with duckdb.connect(str(warehouse.state_path(db)), read_only=True) as con:
        return con.execute(
            "select r.applied_at, s.enrollments, s.archived, s.certificates, s.credits, s.badges "
            "from migration_runs r join migration_snapshots s using (run_id) where run_id = ?", [run_id]
        ).fetchone()


def test_an_applied_run_says_what_was_written_and_until_when_it_can_be_rolled_back(pages):
    page = pages["applied"]
    html = html_of(page)
    text = text_of(html)
    applied_at, *written = _run_log(page["db"], page["summary"]["run_id"])
    until = f"{applied_at + dt.timedelta(hours=168):%Y-%m-%d %H:%M} UTC"

    assert re.search(r'id="verdict-headline">([^<]*)<', html).group(1) == "Went in"
    assert f"it can be rolled back until {until}" in text
    assert re.search(r'id="rollback-until">([^<]*)<', html).group(1) == until
    applied = text[text.index("What was written"):]
    for label, count in zip(["live enrollments", "archived enrollments", "certificates",
                             "credit rows", "badges"], written, strict=True):
        assert f"{label} {count}" in applied
    assert "Awards made" in text
    # the credits' sum and their rows are named apart, so that they cannot be taken for each other
    assert f"{page['summary']['credits']} credits earned (their sum)" in text


# --- built from what is stored ---------------------------------------------------------------------

def test_the_page_is_rebuilt_from_the_report_folder_and_the_warehouse(pages, tmp_path):
    page = pages["applied"]
    folder = tmp_path / page["summary"]["run_id"]
    shutil.copytree(page["path"].parent, folder)
    (folder / "report.html").unlink()
    later = dt.datetime(2030, 1, 1)

    with warehouse.connect(page["db"]) as con:
        path = report_page.write_page(folder, con, now=later)
    text = text_of(path.read_text(encoding="utf-8"))

    assert path == folder / "report.html"
    assert "Went in" in text and "its rollback window closed on" in text
    assert "Built 2030-01-01 00:00 UTC" in text


def _copied_run(page: dict, tmp_path: Path) -> Path:
    folder = tmp_path / page["summary"]["run_id"]
    shutil.copytree(page["path"].parent, folder)
    return folder


def _charts_of(html: str) -> list[str]:
    return re.findall(r'<svg(?![^>]*class="fa").*?</svg>', html, flags=re.S)  # not the icon


def test_a_rebuilt_page_draws_its_charts_from_the_run_folder_without_the_renderer(pages, tmp_path, monkeypatch):
    folder = _copied_run(pages["applied"], tmp_path)
    kept = json.loads((folder / report_page.CHART_CACHE).read_text(encoding="utf-8"))
    assert len(kept) == 2 * len(report_page.CHART_WIDTHS)  # two charts, each for both widths
    assert report_page.charts_cached(folder)

    def no_renderer():
        raise AssertionError("the renderer was started for charts the folder has")

    monkeypatch.setattr(report_page, "_vl_convert", no_renderer)
    with warehouse.connect(pages["applied"]["db"]) as con:
        rebuilt = report_page.write_page(folder, con).read_text(encoding="utf-8")

    charts = _charts_of(rebuilt)
    assert charts and charts == _charts_of(html_of(pages["applied"]))


@pytest.mark.parametrize("cache", ["not json {", '["a list"]', '{"key": 3}', None])
def test_a_missing_or_broken_chart_cache_only_means_the_charts_are_drawn_again(pages, tmp_path, cache):
    folder = _copied_run(pages["applied"], tmp_path)
    if cache is None:
        (folder / report_page.CHART_CACHE).unlink()
    else:
        (folder / report_page.CHART_CACHE).write_text(cache, encoding="utf-8")
    assert not report_page.charts_cached(folder)

    with warehouse.connect(pages["applied"]["db"]) as con:
        rebuilt = report_page.write_page(folder, con).read_text(encoding="utf-8")

    assert _charts_of(rebuilt) == _charts_of(html_of(pages["applied"]))
    assert len(json.loads((folder / report_page.CHART_CACHE).read_text(encoding="utf-8"))) == 4


def test_a_changed_chart_is_drawn_afresh_and_the_cache_keeps_only_the_pages_charts(pages, tmp_path, monkeypatch):
    folder = _copied_run(pages["applied"], tmp_path)
    before = json.loads((folder / report_page.CHART_CACHE).read_text(encoding="utf-8"))
    monkeypatch.setattr(report_page, "CHART_WIDTHS", {"wide": 600, "narrow": 300})  # the wide one changes

    with warehouse.connect(pages["applied"]["db"]) as con:
        rebuilt = report_page.write_page(folder, con).read_text(encoding="utf-8")

    after = json.loads((folder / report_page.CHART_CACHE).read_text(encoding="utf-8"))
    assert len(after) == 4 and len(set(after) & set(before)) == 2  # the narrow ones, reused
    charts, first = _charts_of(rebuilt), _charts_of(html_of(pages["applied"]))
    assert len(charts) == 4 and len(set(charts) & set(first)) == 2  # the wide ones, drawn anew


def test_a_chart_cache_that_cannot_be_written_still_gives_the_page(pages, tmp_path, monkeypatch, caplog):
    folder = _copied_run(pages["applied"], tmp_path)
    (folder / report_page.CHART_CACHE).unlink()

    def full_disk(path, text):
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(report_page, "write_text_atomically", full_disk)
    caplog.set_level("INFO", logger=report_page.__name__)
    with warehouse.connect(pages["applied"]["db"]) as con:
        rebuilt = report_page.write_page(folder, con).read_text(encoding="utf-8")

    assert _charts_of(rebuilt) == _charts_of(html_of(pages["applied"]))
    assert not (folder / report_page.CHART_CACHE).exists()
    assert "were not kept" in caplog.text


def test_a_rollback_rebuilds_the_page_of_its_run(tmp_path, prefect_harness):
    db = tmp_path / "w.duckdb"
    load_portal(db, tmp_path)
    summary = run_flow(file=str(SAMPLE / "migration.csv"), db=str(db), reports_dir=str(tmp_path / "reports"), options=RunOptions(import_date=IMPORT_DATE))
    page = Path(summary["report_dir"]) / "report.html"
    assert "Went in" in text_of(page.read_text(encoding="utf-8"))

    assert rollback_flow(run_id=summary["run_id"], db=str(db))["state"] == "rolled_back"
    text = text_of(page.read_text(encoding="utf-8"))
    assert "Rolled back" in text and "the file may be run again" in text
    assert "It can be rolled back until" not in text
    assert "Awards made, then removed by the rollback" in text


def test_a_page_that_cannot_be_built_leaves_the_run_as_it_was(tmp_path, caplog):
    with warehouse.connect(tmp_path / "w.duckdb") as con:
        assert report_page.write_page_or_warn(tmp_path, con) is None  # no summary.json there
    assert "enrollment-migrate report" in caplog.text
    assert not (tmp_path / "report.html").exists()


def test_a_run_the_warehouse_does_not_know_cannot_have_a_page(tmp_path):
    with warehouse.connect(tmp_path / "w.duckdb") as con, pytest.raises(
        report_page.CannotRun, match="The warehouse has no run 20250115T093000Z-1a2b3c"
    ):
        report_page.run_facts(con, "20250115T093000Z-1a2b3c")


@pytest.mark.parametrize("run_id", ["../../etc", "20250115T093000Z-1a2b3c/../x", ""])
def test_only_run_ids_name_a_report_folder(tmp_path, run_id):
    with pytest.raises(report_page.CannotRun, match="is not a run id"):
        report_page.report_dir_of(tmp_path, run_id)


# --- the verdict for each state -------------------------------------------------------------------

APPLIED_AT = dt.datetime(2025, 1, 15, 9, 30)
SUMMARY = {"live": 10, "archived": 5, "skipped": 0, "errors": 0, "warnings": 0, "rule_counts": {}}


@pytest.mark.parametrize(
    ("state", "summary", "now", "outcome", "headline", "reason"),
    [
        ("valid", {}, APPLIED_AT, "yes", "Will go in",
         "Every blocking rule passes: 10 live and 5 archived rows would be migrated."),
        ("valid", {"skipped": 3, "warnings": 1200}, APPLIED_AT, "yes", "Will go in",
         ("Every blocking rule passes: 10 live and 5 archived rows would be migrated; 3 rows are "
          "skipped; read the 1,200 warnings first.")),
        ("invalid", {"errors": 7, "rule_counts": {"unknown_user": 4, "date_sequence": 1, "bad_score": 1,
                                                  "invalid_date": 1, "reminders_enabled": 2}},
         APPLIED_AT, "no", "Will not go in",
         "7 findings must be fixed first: date_sequence ×1, unknown_user ×4, bad_score ×1 and 1 more rule."),
        ("rejected", {"errors": 1, "rule_counts": {"file_already_migrated": 1}}, APPLIED_AT, "no",
         "Did not go in", "Nothing was applied; 1 finding must be fixed first: file_already_migrated ×1."),
        ("rejected", {"live": 0, "archived": 0, "errors": 1, "rule_counts": {"file_already_migrated": 1},
                      "would_have": {"live": 10, "archived": 5}}, APPLIED_AT, "no", "Did not go in",
         ("Nothing was applied; had it gone in, 10 live and 5 archived rows would have been migrated; "
          "1 finding must be fixed first: file_already_migrated ×1.")),
        ("applied", {}, APPLIED_AT + dt.timedelta(hours=168), "yes", "Went in",
         ("10 live and 5 archived rows went in on 2025-01-15 09:30 UTC; it can be rolled back until "
          "2025-01-22 09:30 UTC.")),
        ("applied", {}, APPLIED_AT + dt.timedelta(hours=168, minutes=1), "yes", "Went in",
         ("10 live and 5 archived rows went in on 2025-01-15 09:30 UTC; its rollback window closed on "
          "2025-01-22 09:30 UTC.")),
        ("expired", {}, APPLIED_AT + dt.timedelta(days=30), "yes", "Went in",
         ("10 live and 5 archived rows went in on 2025-01-15 09:30 UTC; its rollback window closed on "
          "2025-01-22 09:30 UTC.")),
        ("rolled_back", {}, APPLIED_AT + dt.timedelta(days=1), "undone", "Rolled back",
         ("It went in on 2025-01-15 09:30 UTC and was rolled back on 2025-01-16 10:00 UTC: the rows it "
          "wrote are gone, and the file may be run again.")),
    ],
)
def test_the_verdict_says_in_one_sentence_whether_it_goes_in_and_why(state, summary, now, outcome, headline, reason):
    run = {"run_id": "r", "state": state, "applied_at": APPLIED_AT,
           "rolled_back_at": dt.datetime(2025, 1, 16, 10, 0)}
    found = report_page.verdict({**SUMMARY, **summary}, run, now)
    assert (found.outcome, found.headline, found.reason) == (outcome, headline, reason)


# --- in a real browser -----------------------------------------------------------------------------

needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"Debian's chromium is not installed ({CHROMIUM}); .ci/run installs it for this test",
)
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-default-apps", "--disable-extensions",
    "--disable-domain-reliability", "--disable-breakpad",
    # No name resolves: whatever the browser itself might still try never leaves the machine. The
    # page's own requests are seen (and refused) before any name is looked up.
    "--host-resolver-rules=MAP * ~NOTFOUND",
]


@pytest.fixture
def browser(tmp_path):
    """Headless Chromium with a profile in the test's folder; every request it makes is recorded,
    and any that would leave the machine is refused."""
    from playwright.sync_api import sync_playwright

    requests: list[str] = []

    def only_files(route):
        requests.append(route.request.url)
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            route.abort()

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS,
        )
        context.route("**/*", only_files)
        context.on("request", lambda request: requests.append(request.url))
        try:
            yield context, requests
        finally:
            context.close()


def _shown(page, selector: str) -> bool:
    box = page.locator(selector).bounding_box()
    return box is not None and box["width"] > 0 and box["height"] > 0


# Each shown chart's texts that reach outside its SVG's box: [chart, text, pixels out].
TEXT_OUTSIDE_ITS_CHART = """() => {
  const outside = [];
  for (const svg of document.querySelectorAll('figure svg')) {
    const box = svg.getBoundingClientRect();
    if (box.width === 0) continue;  // the chart drawn for the other width
    for (const text of svg.querySelectorAll('text')) {
      const r = text.getBoundingClientRect();
      const out = Math.max(box.left - r.left, r.right - box.right, box.top - r.top, r.bottom - box.bottom);
      if (r.width > 0 && out > 0.5) outside.push([svg.closest('figure').id, text.textContent, Math.round(out)]);
    }
  }
  return outside;
}"""


@needs_chromium
@pytest.mark.parametrize("name", ["errors", "applied"])
def test_the_page_renders_in_chromium_wide_and_narrow_without_the_network(pages, browser, tmp_path, name):
    context, requests = browser
    built = pages[name]
    summary = built["summary"]
    page = context.new_page()
    headline = {"errors": "Will not go in", "applied": "Went in"}[name]

    for width, height in ((1280, 900), (375, 740)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(built["path"].as_uri(), wait_until="load")

        assert page.locator("#verdict-headline").inner_text() == headline
        assert _shown(page, "#verdict-headline")
        for count in ("rows", "live", "archived", "skipped", "errors", "warnings"):
            assert page.locator(f'[data-count="{count}"] .n').inner_text() == f"{summary[count]:,}"
        shown = "wide" if width > 640 else "narrow"
        for chart in ("chart-by-year", "chart-split"):
            svg = f"#{chart} .chart.{shown} svg"
            assert _shown(page, svg), (chart, width)
            assert page.locator(f"{svg} .mark-rect path").count() >= 1  # bars were drawn
        # Nothing sticks out sideways: a phone scrolls down only.
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        # No text of a chart lies outside its drawing, where it would be cut: the reader's fonts
        # are not the ones the drawing was measured with.
        assert page.evaluate(TEXT_OUTSIDE_ITS_CHART) == [], width
        shot = tmp_path / f"report-{name}-{width}px.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000

    page.close()
    assert requests and all(url == built["path"].as_uri() for url in requests), requests


@needs_chromium
def test_without_colour_the_verdict_is_still_read(pages, browser):
    """Greyscale, as printed or seen by someone who does not tell red from green: the verdict is
    its words, and the icon is decoration that screen readers skip."""
    context, _ = browser
    page = context.new_page()
    page.goto(pages["errors"]["path"].as_uri())
    page.add_style_tag(content="html { filter: grayscale(1); }")

    assert page.locator("#verdict").inner_text().startswith("Will not go in")
    # each step of the checklist says its status in words
    steps = page.locator("#readiness li .status").all_inner_texts()
    assert steps and all(step.split()[-1] in ("ok", "attention", "blocking", "unknown") for step in steps)
    assert page.locator("#verdict .icon svg").get_attribute("aria-hidden") == "true"
    page.close()


@needs_chromium
def test_the_browser_check_would_see_a_page_that_fetches(browser, tmp_path):
    """The check above is not blind: a page that names a font and an image elsewhere is caught
    asking for them (and refused; `.invalid` names never resolve anyway)."""
    context, requests = browser
    leaky = tmp_path / "leaky.html"
    leaky.write_text('<link rel="stylesheet" href="https://fonts.example.invalid/css">'
                     '<img src="http://images.example.invalid/pixel.png">', encoding="utf-8")
    page = context.new_page()
    page.goto(leaky.as_uri(), wait_until="load")
    page.close()

    assert {"https://fonts.example.invalid/css", "http://images.example.invalid/pixel.png"} <= set(requests)


def test_the_verdicts_icons_are_font_awesomes_as_faicons_draws_them():
    from faicons import icon_svg

    for outcome, name in report_page.ICONS.items():
        assert report_page._icon(outcome) == str(icon_svg(name, height="1.6em", width="1.6em"))
