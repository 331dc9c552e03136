"""A raw export and a short mapping to a template file that validate accepts, or a report that
says what to decide."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from conftest import IMPORT_DATE
from enrollment_migrate.engine import RunOptions, check_file
from enrollment_migrate.prepare.mapping import parse_mapping
from enrollment_migrate.prepare.output import portal_frames, write_template_csv
from enrollment_migrate.prepare.pipeline import prepare
from enrollment_migrate.prepare.report import summary_text
from schemas.template import COLUMNS

# An export of another LMS for the fixture portal: its own headers and words, US dates, Windows
# code page, semicolons, a blank line and a cancelled row.
EXPORT = """\
User;Course Title;Enrolled;Finished;Grade;State;Note
ann@example.com;Safety;1/15/2024;1/20/2024;;Done;première
DORA@example.com;Privacy;2/3/2024;2/28/2024 11:30 PM;;done;
dora@example.com;Safety;3/1/2024;;;Started;
ann@example.com;Privacy;;;;Cancelled;
;;;;;;
ann;Safety;6/1/2022;6/30/2022;;Done;
"""
MAPPING = {
    "columns": {
        "Login ID": "User", "Course Name": "Course Title", "Enrollment Created Date": "Enrolled",
        "Enrollment Completed Date": "Finished", "Enrollment Score": "Grade", "Enrollment Status": "State",
    },
    "dates": {"format": "m/d/yyyy", "source_timezone": "America/New_York"},
    "statuses": {"done": "Completed", "started": "In Progress", "cancelled": "drop"},
}


@pytest.fixture
def export(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(EXPORT.encode("cp1252"))
    return path


def test_a_raw_export_becomes_a_file_validate_accepts(export, tmp_path, shared_portal):
    prepared = prepare(export, parse_mapping(MAPPING))
    assert prepared.ready
    out = tmp_path / "migration.csv"
    write_template_csv(prepared.rows, out)

    result = check_file(out, shared_portal, RunOptions(IMPORT_DATE))
    assert result.state == "valid", result.findings.to_dicts()
    assert (result.counts.rows, result.counts.live, result.counts.archived) == (4, 3, 1)


def test_the_prepared_file_is_the_template(export, tmp_path):
    out = tmp_path / "migration.csv"
    write_template_csv(prepare(export, parse_mapping(MAPPING)).rows, out)
    raw = out.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    assert raw.decode("utf-8").splitlines() == [
        ",".join(c.header for c in COLUMNS),
        "ann@example.com,Safety,15/1/2024,,20/1/2024,,Completed,",
        # 11:30 PM in New York is 29 February in UTC
        "DORA@example.com,Privacy,3/2/2024,,29/2/2024,,Completed,",
        "dora@example.com,Safety,1/3/2024,,,,In Progress,",
        "ann,Safety,1/6/2022,,30/6/2022,,Completed,",
    ]


def test_the_report_says_what_was_done(export):
    report = prepare(export, parse_mapping(MAPPING)).report
    assert report.source["encoding"] == "cp1252" and report.source["separator"] == ";"
    assert (report.rows_in, report.rows_out) == (6, 4)
    assert report.rows_dropped == [
        {"reason": "every value blank", "rows": 1},
        {"reason": "status 'Cancelled' mapped to drop", "rows": 1},
    ]
    assert report.statuses == [
        {"from": "Done", "to": "Completed", "rows": 3},
        {"from": "Started", "to": "In Progress", "rows": 1},
        {"from": "Cancelled", "to": "drop", "rows": 1},
    ]
    assert {c["column"]: (c["from"], c["values"]) for c in report.columns} == {
        "Login ID": ("column 'User'", 4), "Course Name": ("column 'Course Title'", 4),
        "Enrollment Created Date": ("column 'Enrolled'", 4), "Enrollment Completed Date": ("column 'Finished'", 3),
        "Enrollment Score": ("column 'Grade'", 0), "Enrollment Status": ("column 'State'", 4),
    }
    completed = next(d for d in report.dates if d["column"] == "Enrollment Completed Date")
    assert (completed["converted"], completed["with_time_of_day"], completed["shifted_by_timezone"]) == (3, 1, 1)
    assert report.decisions == [] and report.warnings == []
    text = summary_text(report.as_dict())
    assert "Rows: 6 in, 4 out" in text and "dropped 1: status 'Cancelled' mapped to drop" in text
    assert "1 shifted to the UTC date" in text


def test_what_needs_deciding_is_reported_and_nothing_prepared(export):
    mapping = parse_mapping({**MAPPING, "dates": {"format": "auto"}, "statuses": {"done": "Completed"}})
    prepared = prepare(export, mapping)
    assert not prepared.ready and prepared.report.state == "needs_decisions"
    # The dates read as month-first by themselves (1/15/2024), but one has a time and no zone.
    assert [(d.kind, d.column) for d in prepared.report.decisions] == [
        ("unmapped_statuses", "Enrollment Status"),
        ("time_without_zone", "Enrollment Completed Date"),
    ]
    unmapped = next(d for d in prepared.report.decisions if d.kind == "unmapped_statuses")
    assert "'Started' (1 rows), 'Cancelled' (1 rows)" in unmapped.message
    text = summary_text(prepared.report.as_dict())
    assert text.startswith("NEEDS DECISIONS") and "To decide:" in text


def test_a_column_where_every_day_is_12_or_less_is_refused(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("u,c,s,done\nann@example.com,Safety,Completed,1/2/2024\nann@example.com,Privacy,Completed,3/4/2024\n")
    prepared = prepare(path, parse_mapping({"columns": {
        "Login ID": "u", "Course Name": "c", "Enrollment Status": "s", "Enrollment Completed Date": "done",
    }}))
    (decision,) = prepared.report.decisions
    assert decision.kind == "ambiguous_dates" and decision.column == "Enrollment Completed Date"
    assert "d/m/yyyy or m/d/yyyy" in decision.message


def test_constants_formats_and_formula_like_values_kept_exactly(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(
        "first,last,course,state\nann,lee,=HYPERLINK(\"http://x\"),Not Started\nbob,,Privacy,not started\n",
        encoding="utf-8",
    )
    prepared = prepare(path, parse_mapping({"columns": {
        "Login ID": {"format": "{first}.{last}@example.com"},
        "Course Name": "course",
        "Enrollment Status": "state",
        "Enrollment Created Date": {"constant": "2024-01-01"},
    }}))
    out = tmp_path / "migration.csv"
    found = write_template_csv(prepared.rows, out)
    assert found == {"count": 1, "examples": [{"row": 2, "column": "Course Name", "value": '=HYPERLINK("http://x")'}]}
    rows = pl.read_csv(out, infer_schema=False).rows()
    assert rows[0][:3] == ("ann.lee@example.com", '=HYPERLINK("http://x")', "1/1/2024")  # as it is
    assert rows[1][:3] == (None, "Privacy", "1/1/2024")
    assert prepared.report.warnings == [
        {"rule": "blank_login_id", "rows": 1, "message": "1 rows have no Login ID"},
    ]


def test_a_name_that_starts_like_a_formula_reaches_the_portal_unchanged(tmp_path, portal_db):
    """A course really called '@Home Working' and a username '@x': validate finds them, because
    the prepared file and the portal files hold them exactly; the report names them."""
    from enrollment_migrate import portal
    from enrollment_migrate.prepare.output import write_portal_files

    path = tmp_path / "export.csv"
    path.write_text("user,course,state,done\n@x,@Home Working,Completed,2024-06-01\n", encoding="utf-8")
    prepared = prepare(path, parse_mapping({"columns": {
        "Login ID": "user", "Course Name": "course", "Enrollment Status": "state", "Enrollment Completed Date": "done",
    }}))
    out = tmp_path / "migration.csv"
    found = write_template_csv(prepared.rows, out)
    assert [e["value"] for e in found["examples"]] == ["@x", "@Home Working"]
    files = write_portal_files(prepared.rows, tmp_path / "portal")
    portal.load_portal(portal_db, users=Path(files["users"]), courses=Path(files["courses"]))
    result = check_file(out, portal_db, RunOptions(IMPORT_DATE))
    assert result.state == "valid", result.findings.to_dicts()
    report = prepared.report.as_dict() | {"formula_like_values": found, "out": str(out), "state": "prepared"}
    text = summary_text(report)
    assert "row 2 Course Name '@Home Working'" in text and "Do not open and re-save the file" in text


def test_rules_validate_will_apply_are_foreseen(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(
        "u,c,s,score,done\n"
        "ann@example.com,Safety,Completed,90,1/2/2024\n"  # a score on Completed rejects the file
        "ann@example.com,Privacy,Failed,,13/2/2024\n"  # Failed needs a score
        "dora@example.com,Safety,Passed,80,\n",  # finished without a date
        encoding="utf-8",
    )
    prepared = prepare(path, parse_mapping({"columns": {
        "Login ID": "u", "Course Name": "c", "Enrollment Status": "s", "Enrollment Score": "score",
        "Enrollment Completed Date": "done",
    }}))
    assert prepared.ready
    assert [(w["rule"], w["rows"]) for w in prepared.report.warnings] == [
        ("score_not_allowed", 1), ("score_required", 1), ("completed_date_required", 1),
    ]


def test_an_xlsx_export_with_date_cells_serials_and_local_times(tmp_path, shared_portal):
    pytest.importorskip("xlsxwriter")
    path = tmp_path / "export.xlsx"
    pl.DataFrame({
        "Email": ["ann@example.com", "dora@example.com", "dora@example.com"],
        "Course": ["Safety", "Privacy", "Safety"],
        "Enrolled": [dt.date(2024, 3, 1), dt.date(2024, 3, 2), None],
        "Completed": ["45366.375", "2024-03-15 09:00:00", "16/3/2024"],  # 45366 is 15/3/2024
        "Result": ["Pass", "pass", "Fail"],
        "Mark": [None, 88, 30],
    }).write_excel(path, worksheet="Export")
    prepared = prepare(path, parse_mapping({
        "columns": {"Login ID": "Email", "Course Name": "Course", "Enrollment Created Date": "Enrolled",
                    "Enrollment Completed Date": "Completed", "Enrollment Status": "Result",
                    "Enrollment Score": "Mark"},
        "dates": {"source_timezone": "Pacific/Auckland"},
        "statuses": {"pass": "Passed", "fail": "Failed"},
    }))
    assert prepared.ready, [d.message for d in prepared.report.decisions]
    assert prepared.rows["Enrollment Completed Date"].to_list() == [
        dt.date(2024, 3, 14), dt.date(2024, 3, 14), dt.date(2024, 3, 16),  # Auckland mornings
    ]
    assert prepared.report.warnings == [{"rule": "score_required", "rows": 1,
                                         "message": "1 Passed or Failed rows have no score: validate reports "
                                                    "each one (--skip-invalid-rows leaves them out)"}]


def test_portal_files_fit_the_rows():
    rows = pl.DataFrame({"Login ID": ["ann@example.com", "ANN@example.com", "bob", None],
                         "Course Name": ["Safety", "safety", "Privacy", "Privacy"]})
    users, courses = portal_frames(rows)
    assert users.rows() == [("ann@example.com", None), ("bob@users.invalid", "bob")]
    assert courses.rows() == [("Safety", "true"), ("Privacy", "true")]
