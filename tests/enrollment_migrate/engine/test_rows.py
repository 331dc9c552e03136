"""Step 1 of the engine (enrollment_migrate.engine.rows) on its own, over a few rows in memory:
prepare_rows parses each row's dates, status and score and matches its Login ID and Course
Name to the portal; check_rows gives each bad row its findings, counts the rows a fatal or error
finding blocks, and hands the other rows on as candidates, in file order, in CANDIDATE_SCHEMA.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import polars as pl
import pytest
from conftest import HEADERS, IMPORT_DATE, row, write_template

from enrollment_migrate.engine import RunOptions, Portal, check_rows, prepare_rows
from enrollment_migrate.engine.model import CANDIDATE_SCHEMA
from enrollment_migrate.template_file import TemplateFile, load_template
from schemas import rules


@pytest.fixture
def fixture_portal(portal_db: duckdb.DuckDBPyConnection) -> Portal:
    return Portal.read(portal_db)


def user_id(con: duckdb.DuckDBPyConnection, email: str) -> int:
    return con.execute("select user_id from users where email = ?", [email]).fetchall()[0][0]


def course_id(con: duckdb.DuckDBPyConnection, name: str) -> int:
    return con.execute("select course_id from courses where name = ?", [name]).fetchall()[0][0]


def template(tmp_path: Path, rows: list) -> TemplateFile:
    return load_template(write_template(tmp_path / "migration.csv", rows))


def by_row(frame: pl.DataFrame) -> dict[int, dict]:
    return {values["row"]: values for values in frame.iter_rows(named=True)}


# --------------------------------------------------------------------------------------------
# prepare_rows

PREPARED_ROWS = [
    # row 2: status in lower case, dates with and without leading zeros
    row(
        "ann@example.com",
        "Privacy",
        "completed",
        created="1/3/2023",
        started="02/03/2023",
        completed="3/3/2023",
    ),
    # row 3: a username in capitals, a course name in other case and spaces, a decimal score
    row("BOBBY", " privacy ", "PASSED", completed="1/6/2024", score="80.5"),
    # row 4: nothing matches: an unknown user, an unknown status, a date that is not a date
    row("nobody@example.com", "Privacy 101", "Complete", completed="31/2/2024", score="eighty"),
    # row 5: a login that is one user's email and another's username; an open status in mixed case
    row("ann@example.org", "Draft Course", "iN pRoGrEsS", completed=""),
]


@pytest.fixture
def prepared(tmp_path, fixture_portal) -> dict[int, dict]:
    loaded = template(tmp_path, PREPARED_ROWS)
    frame = prepare_rows(
        loaded.rows, fixture_portal.users, fixture_portal.courses, len(loaded.headers)
    )
    assert frame["row"].to_list() == [2, 3, 4, 5]
    return by_row(frame)


def test_prepare_rows_parses_d_m_yyyy_dates_with_or_without_leading_zeros(prepared):
    assert prepared[2]["created"] == dt.date(2023, 3, 1)
    assert prepared[2]["started"] == dt.date(2023, 3, 2)
    assert prepared[2]["completed"] == dt.date(2023, 3, 3)
    assert prepared[3]["completed"] == dt.date(2024, 6, 1)


def test_prepare_rows_leaves_blank_and_impossible_dates_null(prepared):
    assert prepared[3]["created"] is None and prepared[3]["started"] is None
    assert prepared[4]["completed_date"] == "31/2/2024"
    assert prepared[4]["completed"] is None
    assert prepared[5]["completed"] is None
    assert all(values["access_expires"] is None for values in prepared.values())


def test_prepare_rows_reads_the_status_case_insensitively_as_its_canonical_word(prepared):
    assert {number: values["status_word"] for number, values in prepared.items()} == {
        2: "Completed",
        3: "Passed",
        4: None,
        5: "In Progress",
    }
    # the raw value stays as the file wrote it
    assert prepared[3]["status"] == "PASSED"


def test_prepare_rows_reads_a_score_as_a_number_and_leaves_a_non_number_null(prepared):
    assert prepared[3]["score_value"] == 80.5
    assert prepared[4]["score"] == "eighty"
    assert prepared[4]["score_value"] is None
    assert prepared[2]["score_value"] is None


def test_prepare_rows_matches_login_ids_by_email_or_username_case_insensitively(
    prepared, portal_db
):
    assert (prepared[2]["user_id"], prepared[2]["user_matches"]) == (
        user_id(portal_db, "ann@example.com"),
        1,
    )
    assert (prepared[3]["user_id"], prepared[3]["user_matches"]) == (
        user_id(portal_db, "bob@example.com"),
        1,
    )
    assert (prepared[4]["user_id"], prepared[4]["user_matches"]) == (None, None)
    # ann@example.org is one user's email and another's username: two matches
    assert prepared[5]["user_matches"] == 2


def test_prepare_rows_matches_course_names_trimmed_and_case_insensitively(prepared, portal_db):
    privacy = course_id(portal_db, "Privacy")
    assert (
        prepared[2]["course_id"],
        prepared[2]["course_matches"],
        prepared[2]["course_published"],
    ) == (
        privacy,
        1,
        True,
    )
    assert prepared[3]["course_name"] == "privacy"  # the loader trims values
    assert prepared[3]["course_id"] == privacy
    assert (prepared[4]["course_id"], prepared[4]["course_matches"]) == (None, None)
    assert (prepared[5]["course_id"], prepared[5]["course_published"]) == (
        course_id(portal_db, "Draft Course"),
        False,
    )


def test_prepare_rows_marks_no_well_formed_row_as_malformed(prepared):
    assert [values["malformed"] for values in prepared.values()] == [False] * 4


# --------------------------------------------------------------------------------------------
# check_rows

CHECKED_ROWS = [
    row("ann@example.com", "Privacy", "Completed", completed="1/6/2024"),  # 2: good
    row("nobody@example.com", "Privacy", "Complete"),  # 3: two errors, one blocked row
    row("dora@example.com", "Safety", "in progress", completed="1/6/2024"),  # 4: a warning only
    row(
        "ann@example.com",
        "Privacy",
        "Completed",
        created="2/3/2023",
        started="1/3/2023",
        completed="3/3/2023",
    ),  # 5: fatal date_sequence
    row("BOBBY", "safety", "Passed", completed="1/6/2024", score="75"),  # 6: good
    row("carl@example.com", "Twin", "Completed"),  # 7: ambiguous course, an error
]


@pytest.fixture
def checked(tmp_path, fixture_portal):
    return check_rows(template(tmp_path, CHECKED_ROWS), fixture_portal, RunOptions(IMPORT_DATE))


def test_check_rows_gives_each_bad_row_its_findings(checked):
    found = [
        (f["row"], f["rule"], f["severity"])
        for f in checked.findings.sort("row", "rule").iter_rows(named=True)
    ]
    assert found == [
        (3, rules.UNKNOWN_STATUS.code, "error"),
        (3, rules.UNKNOWN_USER.code, "error"),
        (4, rules.COMPLETED_DATE_IGNORED.code, "warning"),
        (5, rules.DATE_SEQUENCE.code, "fatal"),
        (7, rules.AMBIGUOUS_COURSE.code, "error"),
    ]


def test_check_rows_counts_each_row_with_a_blocking_finding_once(checked):
    # rows 3 (two errors), 5 (fatal) and 7 (error); row 4's warning blocks nothing
    assert checked.blocked == 3


def test_check_rows_hands_on_exactly_the_other_rows_in_file_order(checked):
    assert checked.candidates["row"].to_list() == [2, 4, 6]


def test_check_rows_candidates_have_the_candidate_schema(checked):
    assert checked.candidates.schema == pl.Schema(CANDIDATE_SCHEMA)


def test_check_rows_candidates_carry_the_parsed_values_and_portal_ids(checked, portal_db):
    candidates = by_row(checked.candidates)
    assert candidates[4]["status_word"] == "In Progress"
    assert candidates[4]["user_id"] == user_id(portal_db, "dora@example.com")
    assert candidates[4]["course_id"] == course_id(portal_db, "Safety")
    assert (candidates[6]["status_word"], candidates[6]["score_value"]) == ("Passed", 75.0)
    assert candidates[6]["user_id"] == user_id(portal_db, "bob@example.com")
    assert candidates[2]["completed"] == dt.date(2024, 6, 1)


def test_check_rows_with_every_row_good_blocks_none(tmp_path, fixture_portal):
    checked = check_rows(
        template(tmp_path, [CHECKED_ROWS[0], CHECKED_ROWS[4]]), fixture_portal, RunOptions(IMPORT_DATE)
    )
    assert checked.findings.is_empty()
    assert checked.blocked == 0
    assert checked.candidates["row"].to_list() == [2, 3]


def test_check_rows_keeps_the_loaders_malformed_row_finding_and_blocks_that_row(
    tmp_path, fixture_portal
):
    good = [row()[header] for header in HEADERS]
    loaded = template(tmp_path, [good, [*good, "extra"], good])
    checked = check_rows(loaded, fixture_portal, RunOptions(IMPORT_DATE))
    assert [(f["row"], f["rule"]) for f in checked.findings.iter_rows(named=True)] == [
        (3, rules.MALFORMED_ROW.code),
    ]
    assert checked.blocked == 1
    assert checked.candidates["row"].to_list() == [2, 4]


def test_check_rows_on_an_unreadable_file_returns_its_findings_and_no_candidates(
    tmp_path, fixture_portal
):
    path = tmp_path / "empty.csv"
    path.write_text("", encoding="utf-8")
    loaded = load_template(path)
    assert loaded.rows is None
    checked = check_rows(loaded, fixture_portal, RunOptions(IMPORT_DATE))
    assert checked.findings["rule"].to_list() == [rules.EMPTY_FILE.code]
    assert checked.blocked == 0
    assert checked.candidates.is_empty()
    assert checked.candidates.schema == pl.Schema(CANDIDATE_SCHEMA)
