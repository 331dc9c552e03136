"""Step 3 of the engine (enrollment_migrate.engine.verdict) on its own, over migrated rows built by
hand in MIGRATED_SCHEMA: course_findings finds the course rules (a licence shortfall, reminders
on); conclude counts the rows, stores, skipped rows, errors and warnings and gives the verdict
(invalid on any fatal or error finding, except errors alone with skip_invalid_rows);
unreadable_result migrates nothing; reject_file makes any result invalid with its finding.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl
import pytest
from conftest import IMPORT_DATE

from enrollment_migrate.engine import (
    MIGRATED_SCHEMA,
    CheckResult,
    Counts,
    RunOptions,
    conclude,
    course_findings,
    portal_fingerprint,
    reject_file,
    unreadable_result,
)
from schemas import rules
from schemas.findings import FINDING_SCHEMA, empty_findings, finding, findings_frame

USERS = (
    "ann@example.com",
    "bob@example.com",
    "carl@example.com",
    "dora@example.com",
    "ann@example.org",
)
COURSE = "Course Name"


def ids(con: duckdb.DuckDBPyConnection, email: str, course: str) -> tuple[int, int]:
    return con.execute(
        "select u.user_id, c.course_id from users u, courses c where u.email = ? and c.name = ?",
        [email, course],
    ).fetchall()[0]


def migrated_row(
    con: duckdb.DuckDBPyConnection,
    number: int,
    email: str = "ann@example.com",
    course: str = "Privacy",
    status: str = "Completed",
    store: str = "live",
    completed: dt.date | None = dt.date(2024, 6, 1),
    created: dt.date = IMPORT_DATE,
    awards: tuple[str | None, float | None, str | None] = (None, None, None),
) -> dict[str, object]:
    """One migrated row as step 2 gives it."""
    user_id, course_id = ids(con, email, course)
    certificate, credits, badge = awards
    return {
        "row": number,
        "login_id": email,
        "course_name": course,
        "user_id": user_id,
        "course_id": course_id,
        "status": status,
        "score": None,
        "created_at": dt.datetime.combine(created, dt.time()),
        "started_at": dt.datetime.combine(created, dt.time()),
        "completed_at": dt.datetime.combine(completed, dt.time(11)) if completed else None,
        "access_expires_at": None,
        "store": store,
        "certificate": certificate,
        "credits": credits,
        "badge": badge,
    }


def migrated(*rows: dict[str, object]) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=MIGRATED_SCHEMA)


def on_course(
    con: duckdb.DuckDBPyConnection, course: str, n: int, first_row: int = 2
) -> list[dict]:
    return [migrated_row(con, first_row + i, USERS[i], course) for i in range(n)]


def found(frame: pl.DataFrame) -> list[tuple]:
    return [
        (f["row"], f["column"], f["rule"], f["severity"], f["value"])
        for f in frame.iter_rows(named=True)
    ]


def row_finding(rule: rules.Rule, number: int) -> dict[str, object]:
    return finding(rule, f"{rule.code} on row {number}", row=number)


# --------------------------------------------------------------------------------------------
# course_findings


def test_three_rows_on_a_course_with_two_licenses_give_one_license_shortfall(portal_db):
    findings = course_findings(
        portal_db, migrated(*on_course(portal_db, "Licensed", 3)), IMPORT_DATE
    )
    assert found(findings) == [(None, COURSE, rules.LICENSE_SHORTFALL.code, "fatal", "Licensed")]
    assert findings["message"].to_list() == [
        "'Licensed' has 2 free licenses of 2; 3 rows would use one each."
    ]


def test_two_rows_on_a_course_with_two_licenses_fit(portal_db):
    findings = course_findings(
        portal_db, migrated(*on_course(portal_db, "Licensed", 2)), IMPORT_DATE
    )
    assert findings.is_empty()


def test_archived_rows_use_licenses_too(portal_db):
    rows = on_course(portal_db, "Licensed", 3)
    for values in rows:
        values.update(store="archived", completed_at=dt.datetime(2020, 6, 1, 11))
    findings = course_findings(portal_db, migrated(*rows), IMPORT_DATE)
    assert [f["rule"] for f in findings.iter_rows(named=True)] == [rules.LICENSE_SHORTFALL.code]


def test_a_course_with_enrollment_reminders_on_gives_reminders_enabled(portal_db):
    findings = course_findings(
        portal_db, migrated(migrated_row(portal_db, 2, course="Noisy")), IMPORT_DATE
    )
    assert found(findings) == [(None, COURSE, rules.REMINDERS_ENABLED.code, "warning", "Noisy")]
    assert "enrollment reminders on" in findings["message"][0]


def test_a_course_with_nothing_to_say_gives_no_course_finding(portal_db):
    findings = course_findings(portal_db, migrated(migrated_row(portal_db, 2)), IMPORT_DATE)
    assert findings.is_empty()
    assert findings.schema == pl.Schema(FINDING_SCHEMA)


def test_each_course_receiving_rows_is_checked_on_its_own(portal_db):
    rows = [*on_course(portal_db, "Licensed", 3), migrated_row(portal_db, 5, course="Noisy")]
    findings = course_findings(portal_db, migrated(*rows), IMPORT_DATE)
    assert {(f["rule"], f["value"]) for f in findings.iter_rows(named=True)} == {
        (rules.LICENSE_SHORTFALL.code, "Licensed"),
        (rules.REMINDERS_ENABLED.code, "Noisy"),
    }


# --------------------------------------------------------------------------------------------
# conclude


@pytest.fixture
def fingerprint(portal_db) -> str:
    return portal_fingerprint(portal_db)


@pytest.fixture
def accepted(portal_db) -> pl.DataFrame:
    """Rows 2 (live, Safety's awards), 5 (live, open) and 6 (archived)."""
    return migrated(
        migrated_row(portal_db, 2, course="Safety", awards=("Safety Cert", 2.0, "Safe Badge")),
        migrated_row(
            portal_db,
            5,
            "bob@example.com",
            status="In Progress",
            completed=None,
            created=dt.date(2024, 3, 1),
        ),
        migrated_row(
            portal_db, 6, "dora@example.com", store="archived", completed=dt.date(2020, 6, 1)
        ),
    )


# Findings of steps 1 and 2 for a 5-row file (rows 2 to 6): row 3 has an error (blocked),
# row 4 is a duplicate (skipped), row 5 a warning.
STEP_FINDINGS = [
    row_finding(rules.UNKNOWN_USER, 3),
    row_finding(rules.DUPLICATE_ROW, 4),
    row_finding(rules.COMPLETED_DATE_IGNORED, 5),
]


def counts(result: CheckResult) -> dict[str, float]:
    c = result.counts
    return {
        "rows": c.rows,
        "live": c.live,
        "archived": c.archived,
        "skipped": c.skipped,
        "errors": c.errors,
        "warnings": c.warnings,
    }


def test_conclude_counts_rows_stores_skipped_errors_and_warnings(portal_db, accepted, fingerprint):
    result = conclude(
        portal_db, findings_frame(STEP_FINDINGS), accepted, 5, 1, RunOptions(IMPORT_DATE), fingerprint
    )
    assert counts(result) == {
        "rows": 5,
        "live": 2,
        "archived": 1,
        "skipped": 1,
        "errors": 1,
        "warnings": 1,
    }
    assert (result.counts.certificates, result.counts.credits, result.counts.badges) == (1, 2, 1)


def test_conclude_with_an_error_finding_is_invalid(portal_db, accepted, fingerprint):
    result = conclude(
        portal_db, findings_frame(STEP_FINDINGS), accepted, 5, 1, RunOptions(IMPORT_DATE), fingerprint
    )
    assert result.state == "invalid"


def test_conclude_with_only_errors_and_skip_invalid_rows_is_valid_and_skips_the_blocked_rows(
    portal_db, accepted, fingerprint
):
    options = RunOptions(IMPORT_DATE, skip_invalid_rows=True)
    result = conclude(
        portal_db, findings_frame(STEP_FINDINGS), accepted, 5, 1, options, fingerprint
    )
    assert result.state == "valid"
    # the duplicate, and the blocked row dropped by the option
    assert counts(result) == {
        "rows": 5,
        "live": 2,
        "archived": 1,
        "skipped": 2,
        "errors": 1,
        "warnings": 1,
    }


def test_conclude_with_a_fatal_finding_is_invalid_even_with_skip_invalid_rows(
    portal_db, accepted, fingerprint
):
    findings = findings_frame([*STEP_FINDINGS, row_finding(rules.DATE_SEQUENCE, 7)])
    for options in (RunOptions(IMPORT_DATE), RunOptions(IMPORT_DATE, skip_invalid_rows=True)):
        result = conclude(portal_db, findings, accepted, 6, 2, options, fingerprint)
        assert result.state == "invalid"
        assert result.counts.errors == 2


def test_conclude_with_warnings_and_skipped_rows_only_is_valid(portal_db, accepted, fingerprint):
    findings = findings_frame(STEP_FINDINGS[1:])
    result = conclude(portal_db, findings, accepted, 5, 0, RunOptions(IMPORT_DATE), fingerprint)
    assert result.state == "valid"
    assert counts(result) == {
        "rows": 5,
        "live": 2,
        "archived": 1,
        "skipped": 1,
        "errors": 0,
        "warnings": 1,
    }


def test_conclude_adds_the_course_findings_and_counts_them(portal_db, fingerprint):
    rows = migrated(
        *on_course(portal_db, "Licensed", 3), migrated_row(portal_db, 5, course="Noisy")
    )
    result = conclude(portal_db, empty_findings(), rows, 4, 0, RunOptions(IMPORT_DATE), fingerprint)
    assert result.state == "invalid"
    assert sorted(result.findings["rule"].to_list()) == [
        rules.LICENSE_SHORTFALL.code,
        rules.REMINDERS_ENABLED.code,
    ]
    assert counts(result) == {
        "rows": 4,
        "live": 4,
        "archived": 0,
        "skipped": 0,
        "errors": 1,
        "warnings": 1,
    }


def test_conclude_sorts_the_findings_file_and_course_first_then_by_row(portal_db, fingerprint):
    step = findings_frame(
        [
            row_finding(rules.COMPLETED_DATE_IGNORED, 4),
            row_finding(rules.UNKNOWN_USER, 3),
        ]
    )
    rows = migrated(migrated_row(portal_db, 2, course="Noisy"))
    result = conclude(portal_db, step, rows, 3, 1, RunOptions(IMPORT_DATE), fingerprint)
    assert [(f["row"], f["rule"]) for f in result.findings.iter_rows(named=True)] == [
        (None, rules.REMINDERS_ENABLED.code),
        (3, rules.UNKNOWN_USER.code),
        (4, rules.COMPLETED_DATE_IGNORED.code),
    ]


def test_conclude_counts_finished_rows_by_year_completed_and_open_rows_by_year_created(
    portal_db, accepted, fingerprint
):
    result = conclude(
        portal_db, empty_findings(), accepted, 3, 0, RunOptions(IMPORT_DATE), fingerprint
    )
    assert result.by_year == [
        {"year": 2020, "completed": 1, "open": 0},
        {"year": 2024, "completed": 1, "open": 1},
    ]


def test_conclude_keeps_the_migrated_rows_and_the_portal_checked(portal_db, accepted, fingerprint):
    result = conclude(
        portal_db, empty_findings(), accepted, 3, 0, RunOptions(IMPORT_DATE), fingerprint
    )
    assert result.migrated is accepted
    assert result.portal_fingerprint == fingerprint


# --------------------------------------------------------------------------------------------
# unreadable_result and reject_file


def test_an_unreadable_file_migrates_nothing_and_is_invalid():
    findings = findings_frame(
        [finding(rules.MISSING_COLUMN, "Enrollment Status is missing.", value="Enrollment Status")]
    )
    result = unreadable_result(findings, 4, RunOptions(IMPORT_DATE))
    assert result.state == "invalid"
    assert result.migrated.is_empty()
    assert result.migrated.schema == pl.Schema(MIGRATED_SCHEMA)
    assert counts(result) == {
        "rows": 4,
        "live": 0,
        "archived": 0,
        "skipped": 0,
        "errors": 1,
        "warnings": 0,
    }
    assert result.by_year == []


@pytest.fixture
def valid_result(portal_db, accepted, fingerprint) -> CheckResult:
    result = conclude(
        portal_db,
        findings_frame(STEP_FINDINGS[1:]),
        accepted,
        5,
        0,
        RunOptions(IMPORT_DATE),
        fingerprint,
    )
    assert result.state == "valid"
    return result


ALREADY_MIGRATED = findings_frame(
    [finding(rules.FILE_ALREADY_MIGRATED, "This file was applied already in run r-1.")]
)


def test_reject_file_adds_the_file_already_migrated_finding_first(valid_result):
    rejected = reject_file(valid_result, ALREADY_MIGRATED)
    assert rejected.findings["rule"].to_list() == [
        rules.FILE_ALREADY_MIGRATED.code,
        *valid_result.findings["rule"].to_list(),
    ]
    assert rejected.findings.row(0, named=True)["severity"] == "fatal"


def test_reject_file_makes_the_result_invalid_and_counts_the_finding_as_an_error(valid_result):
    rejected = reject_file(valid_result, ALREADY_MIGRATED)
    assert rejected.state == "invalid"
    assert rejected.counts == Counts(
        **{**vars(valid_result.counts), "errors": valid_result.counts.errors + 1}
    )


def test_reject_file_keeps_the_rows_by_year_and_portal_and_leaves_the_result_as_it_was(
    valid_result,
):
    before = Counts(**vars(valid_result.counts))
    rejected = reject_file(valid_result, ALREADY_MIGRATED)
    assert rejected.migrated is valid_result.migrated
    assert rejected.by_year == valid_result.by_year
    assert rejected.portal_fingerprint == valid_result.portal_fingerprint
    assert (valid_result.state, valid_result.counts) == ("valid", before)
