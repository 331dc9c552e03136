"""The report folder (INTERFACES.md): findings.csv written so that a spreadsheet runs no value as
a formula, summary.json, and the migrated rows split into live.parquet and archived.parquet."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import polars as pl
import pytest

from conftest import HEADERS, row
from enrollment_migrate import reports
from enrollment_migrate.engine import MIGRATED_SCHEMA
from schemas import rules
from schemas.findings import finding, findings_frame

COLUMNS = ["row", "column", "rule", "severity", "value", "message"]


def read_findings_csv(path: Path) -> list[dict[str, str]]:
    """As a spreadsheet opening the file would see the cells (RFC 4180, UTF-8)."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == COLUMNS
        return list(reader)


def one_finding(value: str | None, *, row_number: int | None = 2, column: str | None = "Login ID",
                message: str = "No portal user has this Login ID.") -> pl.DataFrame:
    item = finding(rules.UNKNOWN_USER, message, row=row_number, column=column, value=value)
    return findings_frame([item])


@pytest.mark.parametrize(
    "value",
    ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "\tfoo", "\t=1+1", "\r=1+1",
     "=cmd|' /C calc'!A0", "-", "=", "+41 22 123 45 67"],
)
def test_a_value_a_spreadsheet_would_run_starts_with_an_apostrophe(tmp_path, value):
    path = tmp_path / "findings.csv"
    reports.write_findings_csv(one_finding(value), path)
    [written] = read_findings_csv(path)
    assert written["value"] == "'" + value


@pytest.mark.parametrize(
    "value",
    ["ann@example.com", "Privacy", "1/6/2024", "85", "O'Brien", "'=already quoted", "a=b", "1+1",
     "Caf\u00e9 \u201cBasics\u201d", 'The "Best" Course', "Line one\nLine two", "a,b", "#REF!"],
)
def test_every_other_value_is_written_unchanged(tmp_path, value):
    path = tmp_path / "findings.csv"
    reports.write_findings_csv(one_finding(value), path)
    [written] = read_findings_csv(path)
    assert written["value"] == value


def test_every_text_column_is_neutralised_not_only_value(tmp_path):
    # An unknown header is reported by its name in `column`; a message is text too.
    findings = findings_frame([
        finding(rules.UNKNOWN_COLUMN, "=1+1 is not a template column.",
                column='=HYPERLINK("http://x")'),
    ])
    path = tmp_path / "findings.csv"
    reports.write_findings_csv(findings, path)
    [written] = read_findings_csv(path)
    assert written["column"] == "'=HYPERLINK(\"http://x\")"
    assert written["message"] == "'=1+1 is not a template column."
    assert written["rule"] == rules.UNKNOWN_COLUMN.code and written["severity"] == "warning"


def test_columns_are_exactly_the_interface_and_file_level_rows_are_empty(tmp_path):
    missing = "The required column 'Enrollment Score' is missing."
    findings = pl.concat([
        findings_frame([finding(rules.MISSING_COLUMN, missing, column="Enrollment Score")]),
        one_finding("nobody@example.com", row_number=12),
        findings_frame([finding(rules.BLANK_LOGIN_ID, "Login ID is blank.", row=3,
                                column="Login ID")]),
    ])
    # Extra columns and another order in the frame do not reach the file.
    shuffled = findings.with_columns(extra=pl.lit("x")).select(
        "message", "extra", "rule", "value", "row", "severity", "column"
    )
    path = tmp_path / "findings.csv"
    reports.write_findings_csv(shuffled, path)
    assert path.read_text(encoding="utf-8").splitlines()[0] == ",".join(COLUMNS)
    assert [list(r.values()) for r in read_findings_csv(path)] == [
        ["", "Enrollment Score", "missing_column", "fatal", "", missing],
        ["12", "Login ID", "unknown_user", "error", "nobody@example.com",
         "No portal user has this Login ID."],
        ["3", "Login ID", "blank_login_id", "error", "", "Login ID is blank."],
    ]


def test_no_findings_is_a_header_line_only(tmp_path):
    path = tmp_path / "findings.csv"
    reports.write_findings_csv(findings_frame([]), path)
    assert path.read_text(encoding="utf-8").splitlines() == [",".join(COLUMNS)]


def test_findings_of_a_real_check_are_neutralised(tmp_path, validate_rows):
    result = validate_rows(
        [row('=HYPERLINK("http://x")'), row("ann@example.com", "@SUM(A1)"), row(score="-2")],
        headers=[*HEADERS, "+Notes"],
    )
    path = tmp_path / "findings.csv"
    reports.write_findings_csv(result.findings, path)
    written = read_findings_csv(path)
    cells = [(w["row"], w["column"], w["rule"], w["value"]) for w in written]
    assert ("", "'+Notes", "unknown_column", "") in cells
    assert ("2", "Login ID", "unknown_user", "'=HYPERLINK(\"http://x\")") in cells
    assert ("3", "Course Name", "unknown_course", "'@SUM(A1)") in cells
    assert ("4", "Enrollment Score", "score_not_allowed", "'-2") in cells
    assert len(written) == result.findings.height
    for cell in (c for w in written for c in w.values()):
        assert not cell or cell[0] not in "=+-@\t\r", written


def test_summary_json(tmp_path):
    summary = {"run_id": "r1", "state": "valid", "rows": 3, "rule_counts": {"unknown_column": 1},
               "by_year": [{"year": 2024, "completed": 2, "open": 1}]}
    path = tmp_path / "summary.json"
    reports.write_summary(summary, path)
    assert json.loads(path.read_text(encoding="utf-8")) == summary
    assert path.read_text(encoding="utf-8").endswith("}\n")


def test_run_dir_is_created_inside_the_reports_folder(tmp_path):
    path = reports.run_dir(tmp_path / "reports", "run-1")
    assert path == tmp_path / "reports" / "run-1" and path.is_dir()
    assert reports.run_dir(tmp_path / "reports", "run-1") == path  # again: no error


def test_live_and_archived_parquet_hold_the_migrated_rows_by_store(tmp_path, validate_rows):
    # Import 15/1/2025: cut-off 15/1/2023. Row 5 is invalid and dropped with --skip-invalid-rows.
    result = validate_rows(
        [
            # 2: live (completed on the cut-off)
            row(completed="15/1/2023"),
            # 3: archived (the day before)
            row("dora@example.com", completed="14/1/2023"),
            # 4: live (open, however old)
            row("carl@example.com", "Safety", "In Progress", completed="", created="1/1/2010"),
            # 5: unknown user, dropped
            row("nobody@example.com"),
            # 6: archived
            row("dora@example.com", "Safety", "Passed", completed="1/6/2016", score="70"),
        ],
        skip_invalid_rows=True,
    )
    assert result.state == "valid"
    written = reports.write_rows(result.migrated, tmp_path)
    assert written == {"live": tmp_path / "live.parquet", "archived": tmp_path / "archived.parquet"}
    live, archived = pl.read_parquet(written["live"]), pl.read_parquet(written["archived"])
    expected_columns = [c for c in MIGRATED_SCHEMA if c != "store"]
    assert live.columns == archived.columns == expected_columns
    assert live.select("row", "login_id", "status").rows() == [
        (2, "ann@example.com", "Completed"), (4, "carl@example.com", "In Progress")
    ]
    assert archived.select("row", "login_id", "status").rows() == [
        (3, "dora@example.com", "Completed"), (6, "dora@example.com", "Passed")
    ]
    # Together they are exactly the migrated rows: none lost, none doubled, values as migrated.
    both = pl.concat([live, archived]).sort("row")
    assert both.equals(result.migrated.drop("store").sort("row"))
    assert live["certificate"].to_list() == [None, None]  # Privacy has none; open rows get none
    assert archived["certificate"].null_count() == 2  # archived rows get no awards


def test_an_empty_store_is_an_empty_parquet_with_the_columns(tmp_path, validate_rows):
    result = validate_rows([row()])
    reports.write_rows(result.migrated, tmp_path)
    archived = pl.read_parquet(tmp_path / "archived.parquet")
    assert archived.height == 0
    assert archived.schema == pl.Schema({k: v for k, v in MIGRATED_SCHEMA.items() if k != "store"})
    assert pl.read_parquet(tmp_path / "live.parquet")["row"].to_list() == [2]


def test_an_invalid_file_writes_empty_stores(tmp_path, validate_rows):
    result = validate_rows([row(course="")])  # blank Course Name: fatal
    assert result.state == "invalid"
    reports.write_rows(result.migrated, tmp_path)
    assert pl.read_parquet(tmp_path / "live.parquet").height == 0
    assert pl.read_parquet(tmp_path / "archived.parquet").height == 0
