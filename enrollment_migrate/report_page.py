"""The report page of a run: `report.html` in its report folder, one self-contained HTML page that
answers "can I migrate, and what must I fix?" for admins and their consultants.

It is built only from what is stored (the report folder's summary.json, findings.csv and
live/archived Parquet; the warehouse's run log, snapshots and courses), so that
`enrollment-migrate report RUN_ID` rebuilds it at any time, showing the run as it is then (rolled
back, its rollback window closed).

It opens on an air-gapped laptop: no script, no font, image or style sheet fetched from anywhere.
Tables have great-tables' markup and style (enrollment_migrate.page_tables); charts are Vega-Lite specs rendered to
inline SVG by vl-convert with every external URL refused; the page around them is a Jinja
template with autoescaping, so that learners' values (a course named `<script>`) stay text, and
with their control characters shown as marks (enrollment_migrate.visible: a right-to-left override
shows as `⟨U+202E⟩`).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

import duckdb
import polars as pl

from enrollment_migrate import reports
from enrollment_migrate.masking import masked_values, show_login_ids
from enrollment_migrate.options import RunOptions, two_year_cutoff
from enrollment_migrate.page_tables import Table, table_html
from enrollment_migrate.errors import CannotRun, reason
from enrollment_migrate.faults import fault_point
from enrollment_migrate.files import write_text_atomically
from enrollment_migrate.sql_files import sql
from enrollment_migrate.visible import visible, visible_frame
from enrollment_migrate.warehouse import ROLLBACK_WINDOW, RUN_ID_SHAPE
from schemas.rules import ALL_RULES, READINESS_MARKS, Severity

PAGE = "report.html"
# At most this many findings of each rule are shown: enough to see the pattern, few enough that a
# page sent around holds little of the learners' data (all of them are in findings.csv).
SAMPLES_PER_RULE = 20
SEVERITY_ORDER = [Severity.FATAL, Severity.ERROR, Severity.SKIPPED, Severity.WARNING]
SEVERITY_LABEL = {
    Severity.FATAL: "fatal: rejects the file",
    Severity.ERROR: "error: rejects the file (or the row, with --skip-invalid-rows)",
    Severity.SKIPPED: "skipped: the row is not migrated",
    Severity.WARNING: "warning: the row is migrated",
}
# Colour-blind-safe and apart in lightness too, so that a grey print still tells them apart.
COMPLETED_COLOUR, OPEN_COLOUR = "#1f5f99", "#e69f00"
SPLIT_COLOURS = {"live": "#1f5f99", "archived": "#7fa7cc", "skipped": "#b0b0b0",
                 "not migrated (errors)": "#b3362b"}

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Verdict:
    outcome: Literal["yes", "no", "undone"]  # the icon and the colour; the words say it too
    headline: str
    reason: str


def page_path(report_dir: Path) -> Path:
    return Path(report_dir) / PAGE


def report_dir_of(reports: Path, run_id: str) -> Path:
    """The report folder of a run; refuses (exit 2) what is not a run id, so that no argument
    reaches outside the reports folder, and a run that wrote no report there."""
    if not RUN_ID_SHAPE.match(run_id):
        raise CannotRun(f"{run_id!r} is not a run id (like 20250115T093000Z-1a2b3c; see 'runs').")
    folder = Path(reports) / run_id
    if not (folder / "summary.json").is_file():
        raise CannotRun(
            f"There is no report of run {run_id} in {reports}: give --reports the folder the run "
            "wrote to."
        )
    return folder


def write_page(report_dir: Path, con: duckdb.DuckDBPyConnection, now: dt.datetime | None = None) -> Path:
    """Build the page and put it in place in one rename: a reader never sees half of it."""
    html = build_page(Path(report_dir), con, now)
    path = page_path(report_dir)
    fault_point("page", path)
    # Owner-only, like the rest of the report folder's learners' data.
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=report_dir, prefix=".report-", suffix=".html", delete=False
    ) as handle:
        try:
            handle.write(html)
        except BaseException:
            os.unlink(handle.name)
            raise
    os.replace(handle.name, path)
    return path


def write_page_or_warn(report_dir: Path, con: duckdb.DuckDBPyConnection) -> Path | None:
    """The page after a run: a run that was applied stays applied, and says so with exit status 0,
    even if its page could not be built; the warning says how to build it later."""
    try:
        return write_page(report_dir, con)
    except Exception as exc:  # any failure: the run's outcome must not depend on its page
        log.warning(
            "The report page of %s could not be built (%s); 'enrollment-migrate report %s' builds it.",
            report_dir, reason(exc), Path(report_dir).name,
        )
        log.debug("The report page's failure", exc_info=True)  # the details, for a bug report
        return None


def rebuild_recorded_page(con: duckdb.DuckDBPyConnection, run_id: str) -> Path | None:
    """After a change to a run (a rollback), its page in the folder the run log records, if that
    folder is reachable from here (a relative one is relative to where the run was started)."""
    folder = run_facts(con, run_id)["report_dir"]
    if not folder or not (Path(folder) / "summary.json").is_file():
        log.info("The report folder of %s is not at %s: its page was not rebuilt.", run_id, folder)
        return None
    return write_page_or_warn(Path(folder), con)


def build_page(report_dir: Path, con: duckdb.DuckDBPyConnection, now: dt.datetime | None = None) -> str:
    summary = json.loads((report_dir / "summary.json").read_text(encoding="utf-8"))
    run = run_facts(con, summary["run_id"])
    import_date = dt.date.fromisoformat(summary["import_date"])
    stores = {
        store: pl.scan_parquet(report_dir / f"{store}.parquet").select(pl.len()).collect().item()
        for store in ("live", "archived")
    }
    rules = rule_lines(summary["rule_counts"])
    masked = not show_login_ids()
    samples = rule_samples(report_dir / "findings.csv", mask=masked, rule_counts=summary["rule_counts"]).partition_by(
        "rule", as_dict=True
    )
    capacity = course_capacity(con, report_dir, summary["run_id"])
    cutoff = two_year_cutoff(import_date)
    built_at = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)  # UTC, like the run log
    specs = {"split": both_widths(split_chart, split_counts(summary, stores))}
    if summary["by_year"]:
        specs["by_year"] = both_widths(by_year_chart, summary["by_year"], cutoff)
    charts = drawn_charts(report_dir, specs)
    return _template().render(
        summary=summary,
        run=run,
        verdict=verdict(summary, run, built_at),
        icon=_icon,
        options=_options_text(run["options"]),
        built_at=built_at,
        cutoff=cutoff,
        rules_table=_rules_table(rules) if rules.height else None,
        samples=[
            (line, _samples_table(samples[(line["rule"],)], line["rule"]))
            for line in rules.iter_rows(named=True)  # one per rule that fired: a few dozen at most
        ],
        samples_per_rule=SAMPLES_PER_RULE,
        masked=masked,
        findings_total=sum(summary["rule_counts"].values()),
        by_year_chart=charts.get("by_year"),
        by_year_table=_by_year_table(summary["by_year"]) if summary["by_year"] else None,
        split_chart=charts["split"],
        split_applied=run["state"] in ("applied", "expired", "rolled_back"),
        awards_heading=awards_heading(run["state"]),
        capacity_table=_capacity_table(capacity) if capacity.height else None,
        capacity_short=int((capacity["short_by"] > 0).sum()),
        written=_written_table(run) if run["applied_at"] is not None else None,
        rollback_until=rollback_deadline(run),
        rollback_open=rollback_open(run, built_at),
        readiness_marks=READINESS_MARKS,
    )


def run_facts(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, Any]:
    found = con.sql(sql("report_run"), params={"run_id": run_id}).pl().to_dicts()
    if not found:
        raise CannotRun(f"The warehouse has no run {run_id}: give --db the warehouse the run used.")
    return found[0]


def rollback_deadline(run: dict[str, Any]) -> dt.datetime | None:
    return run["applied_at"] + ROLLBACK_WINDOW if run["applied_at"] is not None else None


def rollback_open(run: dict[str, Any], now: dt.datetime) -> bool:
    """Applied and within its window: the daily expire flow may not have closed it yet."""
    return run["state"] == "applied" and now <= rollback_deadline(run)


def verdict(summary: dict[str, Any], run: dict[str, Any], now: dt.datetime) -> Verdict:
    """Will it go in (or did it), and why, in one sentence: from the run's state at `now`."""
    state, live, archived = run["state"], summary["live"], summary["archived"]
    must_fix = f"{_many(summary['errors'], 'finding')} must be fixed first: " + _blocking_rules(
        summary["rule_counts"]
    )
    skipped = summary["skipped"]
    skipped = f"; {_many(skipped, 'row')} {'is' if skipped == 1 else 'are'} skipped" if skipped else ""
    warnings = summary["warnings"]
    warnings = f"; read the {_many(warnings, 'warning')} first" if warnings else ""
    if state == "valid":
        return Verdict("yes", "Will go in",
                       f"Every blocking rule passes: {live:,} live and {archived:,} archived rows "
                       f"would be migrated{skipped}{warnings}.")
    if state == "invalid":
        return Verdict("no", "Will not go in", f"{must_fix}.")
    if state == "rejected":
        would = summary.get("would_have") or {}
        had = (f"; had it gone in, {would['live']:,} live and {would['archived']:,} archived rows would "
               "have been migrated" if would else "")
        return Verdict("no", "Did not go in", f"Nothing was applied{had}; {must_fix}.")
    applied = f"{live:,} live and {archived:,} archived rows went in on {_when(run['applied_at'])}"
    until = _when(rollback_deadline(run))
    if state == "applied" and rollback_open(run, now):
        return Verdict("yes", "Went in", f"{applied}; it can be rolled back until {until}.")
    if state in ("applied", "expired"):
        return Verdict("yes", "Went in", f"{applied}; its rollback window closed on {until}.")
    if state == "rolled_back":
        return Verdict("undone", "Rolled back",
                       f"It went in on {_when(run['applied_at'])} and was rolled back on "
                       f"{_when(run['rolled_back_at'])}: the rows it wrote are gone, and the file "
                       "may be run again.")
    raise ValueError(f"run {run['run_id']} has an unknown state {state!r}")


def _many(n: int, thing: str) -> str:
    return f"{n:,} {thing}{'' if n == 1 else 's'}"


def _blocking_rules(rule_counts: dict[str, int], shown: int = 3) -> str:
    """`date_sequence ×3, unknown_user ×12 and 2 more rules`: fatal rules first, then errors."""
    blocking = sorted(
        ((code, n) for code, n in rule_counts.items() if ALL_RULES[code].severity.blocks_row),
        key=lambda item: (SEVERITY_ORDER.index(ALL_RULES[item[0]].severity), -item[1], item[0]),
    )
    named = [f"{code} ×{n:,}" for code, n in blocking[:shown]]
    rest = len(blocking) - shown
    if rest > 0:
        named.append(_many(rest, 'more rule'))
    if len(named) < 2:
        return "".join(named) or "none"
    return ", ".join(named[:-1]) + " and " + named[-1]


def rule_lines(rule_counts: dict[str, int]) -> pl.DataFrame:
    """One line per rule that fired, the worst first: what it means and how to fix it come from
    the rule catalogue."""
    catalogue = pl.DataFrame(
        [
            {"rule": r.code, "severity": r.severity.value, "rank": SEVERITY_ORDER.index(r.severity),
             "meaning": r.summary, "fix": r.fix}
            for r in ALL_RULES.values()
        ]
    )
    fired = pl.DataFrame(
        {"rule": list(rule_counts), "findings": list(rule_counts.values())},
        schema={"rule": pl.String, "findings": pl.Int64},
    )
    return (
        fired.join(catalogue, on="rule", how="left")
        .sort("rank", pl.col("findings"), "rule", descending=[False, True, False])
        .drop("rank")
    )


def rule_samples(findings_csv: Path, mask: bool, rule_counts: dict[str, int] | None = None) -> pl.DataFrame:
    """The first findings of each rule in file order, as findings.csv holds them (values that a
    spreadsheet would run already neutralised); Login IDs masked unless asked otherwise.

    findings.csv is read a block at a time, keeping at most SAMPLES_PER_RULE of each rule, and
    no further than where every rule of `rule_counts` (the summary's) has all it will show."""
    wanted = {rule: min(n, SAMPLES_PER_RULE) for rule, n in (rule_counts or {}).items()}
    columns = ["row", "column", "rule", "value"]
    kept = pl.DataFrame(schema={"row": pl.Int64, "column": pl.String, "rule": pl.String, "value": pl.String})
    for batch in reports.findings_csv_batches(findings_csv):
        more = batch.select(pl.col("row").cast(pl.Int64), *columns[1:])
        kept = pl.concat([kept, more]).group_by("rule", maintain_order=True).head(SAMPLES_PER_RULE).select(columns)
        if wanted and _have_all(kept, wanted):
            break
    return kept.with_columns(masked_values()) if mask else kept


def _have_all(kept: pl.DataFrame, wanted: dict[str, int]) -> bool:
    have = dict(kept.group_by("rule").len().iter_rows())
    return all(have.get(rule, 0) >= n for rule, n in wanted.items())


def course_capacity(con: duckdb.DuckDBPyConnection, report_dir: Path, run_id: str) -> pl.DataFrame:
    """Per limited course receiving rows: licenses or places needed and available."""
    return con.sql(sql("report_course_capacity"), params={
        "live": str(report_dir / "live.parquet"),
        "archived": str(report_dir / "archived.parquet"),
        "run_id": run_id,
    }).pl()


def split_counts(summary: dict[str, Any], stores: dict[str, int]) -> pl.DataFrame:
    """Where the file's rows go. Live and archived are the rows that pass, from the Parquet (a
    rejected run's summary counts zero: nothing went in, but the page shows where they would go);
    the rest of the rows are skipped or have errors."""
    errors = summary["rows"] - stores["live"] - stores["archived"] - summary["skipped"]
    return pl.DataFrame({
        "where": list(SPLIT_COLOURS),
        "rows": [stores["live"], stores["archived"], summary["skipped"], max(errors, 0)],
    })


# --- charts: Vega-Lite specs rendered to SVG here, no script in the page -----------------------

# Each chart is drawn twice, for a wide and for a narrow screen (the page's CSS shows one), so
# that its text keeps its size on a phone instead of shrinking with the drawing.
CHART_WIDTHS = {"wide": 640, "narrow": 300}
FONT_SIZE = 12
# The SVG's text is laid out with the fonts vl-convert measures, and drawn with the reader's: a
# wider sans-serif (Chromium's on Debian draws "not migrated (errors)" 11 pixels wider) would be
# cut at the drawing's edge. A margin on each side takes that up.
CHART_PADDING = {"left": 28, "right": 28, "top": 6, "bottom": 6}


# Axis, legend and text sizes, and the padding, as every chart has them.
_CONFIG = {
    "view": {"continuousWidth": 300, "continuousHeight": 300},
    "axis": {"labelFontSize": FONT_SIZE, "titleFontSize": FONT_SIZE},
    "legend": {"labelFontSize": FONT_SIZE, "labelLimit": 0},
    "text": {"fontSize": FONT_SIZE},
}
VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v6.4.1.json"


def _full_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """A chart's Vega-Lite spec with what every chart shares. The specs are written here as the
    JSON they are (a charting library's objects cost a third of a second per page to build and
    serialise)."""
    return {"$schema": VEGA_LITE_SCHEMA, "config": _CONFIG, "padding": CHART_PADDING, **spec}


# The charts' SVGs of a run's page, kept in its report folder: their data (the summary's counts)
# never change after the run, so that `report` rebuilding the page does not start the renderer's
# JavaScript engine (half a second) to draw them again. Keyed by the spec and the renderer's
# version: a changed chart or renderer draws afresh.
CHART_CACHE = "charts.json"


def _renderer_version() -> str:
    from importlib.metadata import version

    return f"vl-convert-python {version('vl-convert-python')}"


def _chart_key(spec: dict[str, Any], renderer: str) -> str:
    import hashlib

    text = json.dumps([renderer, spec], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _cached_svgs(report_dir: Path) -> dict[str, str]:
    """The folder's cached SVGs; none where the cache is missing, unreadable or not this shape (it
    is only ever a saving: a page is drawn afresh from its specs)."""
    try:
        cached = json.loads((report_dir / CHART_CACHE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(cached, dict) or not all(isinstance(v, str) for v in cached.values()):
        return {}
    return cached


def charts_cached(report_dir: Path) -> bool:
    """Whether the folder has drawn charts to reuse (the renderer need not be started ahead)."""
    return bool(_cached_svgs(Path(report_dir)))


def drawn_charts(report_dir: Path, charts: dict[str, dict[str, dict[str, Any]]]) -> dict[str, dict[str, str]]:
    """Each chart's spec, for each width, drawn to SVG: from the folder's cache where it has that
    spec, else by the renderer, and the cache then rewritten with exactly this page's charts."""
    from markupsafe import Markup

    renderer = _renderer_version()
    read = _cached_svgs(report_dir)
    cached = dict(read)
    keep: dict[str, str] = {}
    drawn: dict[str, dict[str, str]] = {}
    for name, by_width in charts.items():
        drawn[name] = {}
        for width, spec in by_width.items():
            full = _full_spec(spec)
            key = _chart_key(full, renderer)
            if key not in cached:
                # No base URL is allowed: a spec that named remote data would fail here, never on
                # the laptop. The SVG's text is Vega's, which escapes it; the data are counts and
                # this module's labels.
                cached[key] = _vl_convert().vegalite_to_svg(full, allowed_base_urls=[])
            keep[key] = cached[key]
            drawn[name][width] = Markup(cached[key])
    if keep != read:  # what the folder held: written again only when this page's charts differ
        try:
            write_text_atomically(report_dir / CHART_CACHE, json.dumps(keep))
        except OSError as exc:  # a full disk costs the next `report` the renderer's start, no more
            log.info("The charts of %s were not kept for the next page (%s).", report_dir, reason(exc))
    return drawn


def _vl_convert() -> Any:
    import vl_convert

    return vl_convert


_warming = False  # once per process: after its start the renderer stays ready


def warm_up_charts() -> None:
    """Start the chart renderer's JavaScript engine (about half a second, once per process) on a
    thread of its own, while the run checks its file: the renderer gives up the interpreter's lock
    while it starts, so the page later finds it ready. Any failure is the page's to report."""
    import threading

    global _warming
    if _warming:
        return
    _warming = True

    def start() -> None:
        try:
            _vl_convert().vegalite_to_svg({"mark": "point", "data": {"values": []}}, allowed_base_urls=[])
        except Exception:  # the page's own call says what is wrong
            log.debug("The chart renderer did not start ahead of the page", exc_info=True)

    threading.Thread(target=start, name="warm-up-charts", daemon=True).start()


def both_widths(spec: Any, *args: Any) -> dict[str, dict[str, Any]]:
    return {name: spec(*args, width) for name, width in CHART_WIDTHS.items()}


def _utc(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00"  # a temporal value as Vega-Lite reads it, in UTC


def by_year_chart(by_year: list[dict[str, int]], cutoff: dt.date, width: int) -> dict[str, Any]:
    """Records by year, stacked: completed by completion year, open by enrollment year; the
    two-year cut-off as a dashed line (completed before it go to the archive)."""
    kinds = {"completed": "completed (by completion year)", "open": "open (by enrollment year)"}
    counts = (
        pl.DataFrame(by_year, schema={"year": pl.Int32, "completed": pl.Int64, "open": pl.Int64})
        .unpivot(["completed", "open"], index="year", variable_name="kind", value_name="records")
        .filter(pl.col("records") > 0)
        .with_columns(pl.col("kind").replace_strict(kinds))
    )
    # A label every `step` years, so that labels never crowd: about one per 60 pixels.
    first_year = min(counts["year"].min(), cutoff.year)
    last_year = max(counts["year"].max(), cutoff.year)
    step = max(1, -(-(last_year - first_year + 1) * 60 // width))
    x_scale = {"type": "utc"}
    bars = {
        "data": {"values": [
            {"year": year, "kind": kind, "records": records,
             "start": _utc(dt.date(year, 1, 1)), "end": _utc(dt.date(year + 1, 1, 1))}
            for year, kind, records in counts.select("year", "kind", "records").iter_rows()  # a line per year
        ]},
        "mark": {"type": "bar", "stroke": "white", "strokeWidth": 1},
        "encoding": {
            "color": {"field": "kind", "type": "nominal", "title": None,
                      "legend": {"direction": "vertical", "orient": "bottom"},
                      "scale": {"domain": list(kinds.values()), "range": [COMPLETED_COLOUR, OPEN_COLOUR]}},
            "order": {"field": "kind", "type": "nominal"},
            "x": {"field": "start", "type": "temporal", "title": "year", "scale": x_scale,
                  "axis": {"format": "%Y", "labelAngle": 0, "tickCount": {"interval": "year", "step": step}}},
            "x2": {"field": "end"},
            "y": {"field": "records", "type": "quantitative", "aggregate": "sum", "stack": "zero",
                  "title": "records", "axis": {"format": ",d", "tickMinStep": 1}},
        },
    }
    mark = {"values": [{"cutoff": _utc(cutoff), "label": f"cut-off {cutoff.isoformat()}"}]}
    line = {
        "data": mark,
        "mark": {"type": "rule", "color": "#222", "strokeDash": [6, 4], "strokeWidth": 2},
        "encoding": {"x": {"field": "cutoff", "type": "temporal", "scale": x_scale}},
    }
    # The label sits above the bars (never over one), on the side of the line with more room.
    first, last = dt.date(first_year, 1, 1), dt.date(last_year + 1, 1, 1)
    right_half = (cutoff - first) > (last - first) / 2
    label = {
        "data": mark,
        "mark": {"type": "text", "align": "right" if right_half else "left", "baseline": "bottom",
                 "color": "#222", "dx": -4 if right_half else 4, "dy": -4},
        "encoding": {"text": {"field": "label", "type": "nominal"},
                     "x": {"field": "cutoff", "type": "temporal", "scale": x_scale},
                     "y": {"value": 0}},
    }
    return {
        "layer": [bars, line, label],
        "description": "Records by year: completed by completion year, open by enrollment year; "
        f"completed records before the cut-off {cutoff.isoformat()} are archived.",
        "height": 220, "width": width,
    }


def split_chart(split: pl.DataFrame, width: int) -> dict[str, Any]:
    order = split["where"].to_list()
    position = {
        "x": {"field": "rows", "type": "quantitative", "title": "rows", "axis": {"format": ",d", "tickMinStep": 1}},
        "y": {"field": "where", "type": "nominal", "sort": order, "title": None, "axis": {"labelLimit": 0}},
    }
    bars = {
        "mark": {"type": "bar"},
        "encoding": {**position, "color": {"field": "where", "type": "nominal", "legend": None,
                                           "scale": {"domain": order, "range": list(SPLIT_COLOURS.values())}}},
    }
    labels = {
        "mark": {"type": "text", "align": "left", "dx": 4},
        "encoding": {**position, "text": {"field": "rows", "type": "quantitative", "format": ","}},
    }
    return {
        "layer": [bars, labels],
        "data": {"values": split.select("where", "rows").to_dicts()},  # four bars
        "description": "Rows by where they go: " + ", ".join(f"{where} {rows}" for where, rows in split.iter_rows()),
        # The labels of the bars take about 150 pixels of the width.
        "height": 30 * split.height, "width": width - 150,
    }


# --- tables: great-tables' markup and style (enrollment_migrate.page_tables), escaped -------------

def _table(frame: pl.DataFrame, table: Table) -> str:
    from markupsafe import Markup

    # Every table's text with its control characters shown (values, course names, messages).
    return Markup(table_html(visible_frame(frame), table))


def _rules_table(rules: pl.DataFrame) -> str:
    shown = rules.with_columns(
        # Links to each rule's samples further down: rule codes are the catalogue's, not data.
        samples=pl.format("#rule-{}", pl.col("rule")),
        severity=pl.col("severity").replace_strict({s.value: label for s, label in SEVERITY_LABEL.items()}),
    )
    return _table(shown, Table("table-rules", {
        "rule": "rule", "severity": "severity", "findings": "findings",
        "meaning": "what it means", "fix": "how to fix it", "samples": "",
    }, integers=("findings",), links={"samples": "samples"}))


def _samples_table(samples: pl.DataFrame, rule: str) -> str:
    return _table(samples, Table(f"table-samples-{rule}", {"row": "row", "column": "column", "value": "value"},
                                 missing="–"))


def _by_year_table(by_year: list[dict[str, int]]) -> str:
    frame = pl.DataFrame(by_year, schema={"year": pl.Int32, "completed": pl.Int64, "open": pl.Int64})
    return _table(frame, Table("table-by-year", {"year": "year", "completed": "completed", "open": "open"},
                               integers=("completed", "open")))


def _capacity_table(capacity: pl.DataFrame) -> str:
    shown = capacity.with_columns(
        enough=pl.when(pl.col("short_by") > 0)
        # a course or two per line of the page: the number spelt with its separators in Python
        .then(pl.format("✘ no: short by {}", pl.col("short_by").map_elements(lambda n: f"{n:,}", return_dtype=pl.String)))
        .otherwise(pl.lit("✔ yes"))
    )
    return _table(shown, Table("table-capacity", {
        "course": "course", "resource": "limit", "total": "in the portal",
        "used_by_others": "used by other enrollments", "needed": "needed by this file",
        "available": "available", "enough": "enough?",
    }, integers=("total", "used_by_others", "needed", "available")))


def awards_heading(state: str) -> str:
    """What the award tiles count: made, made and then removed, or to be made."""
    return {
        "applied": "Awards made", "expired": "Awards made",
        "rolled_back": "Awards made, then removed by the rollback",
    }.get(state, "Awards to be made")


def _written_table(run: dict[str, Any]) -> str:
    written = pl.DataFrame({
        # rows, not amounts: the award tiles above give the credits' sum
        "what": ["live enrollments", "archived enrollments", "certificates", "credit rows", "badges"],
        "rows": [run[key] for key in ("enrollments", "archived", "certificates", "credits", "badges")],
    })
    return _table(written, Table("table-written", {"what": "written", "rows": "rows"},
                                 integers=("rows",), missing="–"))


# --- the page around them ------------------------------------------------------------------------

@cache
def _template() -> Any:
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("enrollment_migrate", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        # Every value the page shows has its control characters shown as marks (a file's name,
        # course and path names): a right-to-left override cannot reverse what an admin reads.
        finalize=_shown,
    )
    environment.filters["when"] = _when
    environment.filters["number"] = lambda n: f"{n:,}"
    return environment.get_template(PAGE)


def _shown(value: Any) -> Any:
    """A value as the page shows it: text through `visible`; the page's own markup (tables,
    charts, icons: built from shown values) as it is."""
    from markupsafe import Markup

    return visible(value) if isinstance(value, str) and not isinstance(value, Markup) else value


def _when(moment: dt.datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment is not None else "–"


# The verdict's icons: Font Awesome Free's (CC BY 4.0, fontawesome.com), inline SVG as faicons 0.2
# draws them (tests/enrollment_migrate/test_report_page.py holds them to it), read from a file of
# three instead of through faicons' catalogue of two thousand (0.2 s a page).
ICONS = {"yes": "circle-check", "no": "circle-xmark", "undone": "rotate-left"}


@cache
def _icons() -> dict[str, str]:
    from importlib import resources

    return json.loads(resources.files("enrollment_migrate.templates").joinpath("icons.json").read_text(encoding="utf-8"))


def _icon(outcome: str) -> str:
    """An inline SVG icon: no icon font to fetch."""
    from markupsafe import Markup

    return Markup(_icons()[ICONS[outcome]])


def _options_text(options: str | None) -> str:
    """The options the run was given, as the command line spells them."""
    return RunOptions.from_recorded(json.loads(options or "{}")).flags()
