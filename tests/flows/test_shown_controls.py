"""A file whose values hold a right-to-left override (U+202E) and a terminal's ESC: the report
page, the Prefect artifacts and the terminal show them as marks (⟨U+202E⟩, ⟨U+001B⟩), never as
the characters, which would reverse what an admin reads or drive the admin's terminal; the
files the run writes keep the values exactly."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest

from conftest import HEADERS, write_template
from enrollment_migrate import portal, warehouse
from enrollment_migrate.options import RunOptions
from enrollment_migrate.prepare.report import summary_text
from enrollment_migrate.visible import CONTROLS
from flows.validate import validate_flow

pytestmark = pytest.mark.usefixtures("prefect_harness")

RLO, ESC = "\u202e", "\x1b"
COURSE = f"Data{RLO}Protection{ESC}[2J"  # a portal course, with too few licenses for the file
UNKNOWN_COURSE = f"Fire{RLO}Safety{ESC}]0;owned{ESC}\\"
LOGIN = f"{ESC}{RLO}stranger@evil{RLO}.example"  # the first two characters survive the masking
SCORE = f"8{RLO}0{ESC}[0m"
MARK_RLO, MARK_ESC = "⟨U+202E⟩", "⟨U+001B⟩"


def artifacts_of(run_name_part: str) -> dict[str, object]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        ArtifactFilter, ArtifactFilterFlowRunId, FlowRunFilter, FlowRunFilterName,
    )

    with get_client(sync_client=True) as client:
        (run,) = client.read_flow_runs(flow_run_filter=FlowRunFilter(name=FlowRunFilterName(like_=run_name_part)))
        found = client.read_artifacts(artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run.id])))
    return {artifact.key: artifact for artifact in found}


def raw_controls(text: str, layout: str = "") -> set[str]:
    """The controls in `text`, but those of `layout` (the page's and the report's own lines)."""
    return set(text) & (set(CONTROLS) - set(layout))


def strings_in(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings_in(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings_in(v)]
    return []


@pytest.fixture(scope="module")
def validated(tmp_path_factory) -> dict[str, object]:
    folder = tmp_path_factory.mktemp("controls")
    db = folder / "w.duckdb"
    (folder / "users.csv").write_text(
        "email,username,first_name,last_name,login_enabled\nana@example.com,ana,Ana,Silva,true\n"
        "ben@example.com,ben,Ben,Okafor,true\n", encoding="utf-8",
    )
    with (folder / "courses.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["name", "published", "kind", "license_seats", "ilt_capacity", "certificate",
                         "certificate_expires_after_days", "recertification", "credits", "badge",
                         "enrollment_reminders", "due_date_reminders", "overdue_reminders", "ilt_reminders"])
        writer.writerow([COURSE, "true", "elearning", "1", "", "", "", "false", "0", "",
                         "false", "false", "false", "false"])
    with warehouse.connect(db) as con:
        portal.load_portal(con, users=folder / "users.csv", courses=folder / "courses.csv")

    def line(login, course, score="", status="Completed"):
        return [login, course, "", "", "1/6/2024", score, status]

    rows = [
        line("ana@example.com", COURSE), line("ben@example.com", COURSE),  # 2 rows, 1 license
        line(LOGIN, COURSE),
        line("ana@example.com", UNKNOWN_COURSE),
        line("ben@example.com", COURSE, score=SCORE, status="Passed"),
    ]
    # Not "[" in the name: Polars reads a path as a glob pattern (left for template_file)
    path = write_template(folder / f"controls-{RLO}vsc{ESC}.csv", rows, HEADERS)
    summary = validate_flow(file=str(path), db=str(db), reports_dir=str(folder / "reports"),
                            options=RunOptions(import_date=dt.date(2025, 1, 15)))
    return {"summary": summary, "db": db, "artifacts": artifacts_of("%controls-%")}


def test_the_findings_keep_the_values_exactly(validated):
    findings = Path(validated["summary"]["report_dir"]) / "findings.csv"
    with findings.open(encoding="utf-8", newline="") as handle:
        values = {row["value"] for row in csv.DictReader(handle)}
    assert {LOGIN, UNKNOWN_COURSE, SCORE, COURSE} <= values
    assert validated["summary"]["rule_counts"]["license_shortfall"] == 1


def test_the_page_shows_marks_and_never_the_characters(validated):
    page = (Path(validated["summary"]["report_dir"]) / "report.html").read_text(encoding="utf-8")
    assert not raw_controls(page, layout="\n")
    # The file's name (title and facts), the course in the checklist and the capacity table,
    # the values and the messages' quotes in the samples.
    assert page.count(f"controls-{MARK_RLO}vsc{MARK_ESC}.csv") >= 2
    assert "Data⟨U+202E⟩Protection⟨U+001B⟩[2J" in page
    assert "8⟨U+202E⟩0⟨U+001B⟩[0m" in page
    assert "Fire⟨U+202E⟩Safety⟨U+001B⟩]0;owned⟨U+001B⟩\\" in page
    assert f"{MARK_ESC}{MARK_RLO}***@evil{MARK_RLO}.example" in page  # masked, and shown


def test_the_artifacts_show_marks_and_never_the_characters(validated):
    found = validated["artifacts"]
    markdown = found["migration-summary"].data
    assert not raw_controls(markdown, layout="\n") and f"controls-{MARK_RLO}vsc{MARK_ESC}.csv" in markdown
    sample = json.loads(found["findings-sample"].data)
    readiness = json.loads(found["migration-readiness"].data)
    shown = strings_in(sample) + strings_in(readiness)
    assert not [text for text in shown if raw_controls(text)]
    values = {item["value"] for item in sample}
    assert {f"{MARK_ESC}{MARK_RLO}***@evil{MARK_RLO}.example", "8⟨U+202E⟩0⟨U+001B⟩[0m"} <= values
    assert any("Data⟨U+202E⟩Protection⟨U+001B⟩[2J" in step["courses or paths"] for step in readiness)


def test_the_preparation_report_shows_marks_and_never_the_characters():
    report = {
        "state": "needs_decisions", "mapping": "m.yaml", "out": None, "rows_in": 2, "rows_out": 0,
        "source": {"kind": "csv", "path": f"export{RLO}.csv", "sheet": f"Sheet{ESC}[2J"},
        "rows_dropped": [], "statuses": [{"from": f"Done{ESC}[1A", "to": "Completed", "rows": 1}],
        "columns": [{"column": "Login ID", "from": "user", "values": 2, "examples": [LOGIN]}],
        "dates": [], "warnings": [], "scores": {}, "portal_files": None,
        "formula_like_values": {"count": 1, "examples": [{"row": 3, "column": "Course Name", "value": f"={ESC}"}]},
        "decisions": [{"kind": "status", "column": "status", "message": f"'{SCORE}' is not a status",
                       "examples": [{"row": 2, "value": f"x{RLO}\ny"}]}],
    }
    text = summary_text(report)
    assert not raw_controls(text, layout="\n")
    assert len(text.split("\n")) == 11  # a value's line break does not break the report's lines
    for shown in (f"export{MARK_RLO}.csv", f"'Sheet{MARK_ESC}[2J'", f"Done{MARK_ESC}[1A",
                  f"{MARK_ESC}{MARK_RLO}stranger", f"'={MARK_ESC}'", "8⟨U+202E⟩0⟨U+001B⟩[0m",
                  f"'x{MARK_RLO}⟨U+000A⟩y'"):
        assert shown in text


def test_the_terminal_summary_shows_marks_and_never_the_characters(validated, monkeypatch):
    from rich.console import Console

    from enrollment_migrate import cli

    recorded = Console(record=True, width=200, force_terminal=True)
    monkeypatch.setattr(cli, "out", recorded)
    cli._print_summary(validated["summary"])
    text = recorded.export_text(styles=False)
    assert not raw_controls(text, layout="\n")
    assert f"controls-{MARK_RLO}vsc{MARK_ESC}.csv" in text
    assert "8⟨U+202E⟩0⟨U+001B⟩[0m" in text
