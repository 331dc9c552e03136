"""Step 2 of the engine (enrollment_migrate.engine.learners) on its own, over candidate rows built
by hand in CANDIDATE_SCHEMA: a repeated row is skipped as a duplicate and only the first is
migrated; a completion before the two-year cut-off is archived and one on or after it is live; a
live completion carries its course's awards and an archived one none; an enrollment the portal
already holds is a warning, or a skipped row with skip_existing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import duckdb
import polars as pl
import pytest
from conftest import IMPORT_DATE

from enrollment_migrate.engine import (
    MIGRATED_SCHEMA,
    RunOptions,
    Portal,
    check_learners,
    two_year_cutoff,
)
from enrollment_migrate.engine.model import CANDIDATE_SCHEMA
from schemas import rules

ANN = "ann@example.com"
BOB = "bob@example.com"


@pytest.fixture
def settings(portal_db: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return Portal.read(portal_db).settings


def ids(con: duckdb.DuckDBPyConnection, email: str, course: str) -> tuple[int, int]:
    return con.execute(
        "select u.user_id, c.course_id from users u, courses c where u.email = ? and c.name = ?",
        [email, course],
    ).fetchall()[0]


def date_text(day: dt.date | None) -> str | None:
    return f"{day.day}/{day.month}/{day.year}" if day else None


def candidate(
    con: duckdb.DuckDBPyConnection,
    number: int,
    email: str = ANN,
    course: str = "Privacy",
    status: str = "Completed",
    completed: dt.date | None = dt.date(2024, 6, 1),
    score: float | None = None,
) -> dict[str, object]:
    """One candidate row as step 1 hands it on: raw values, parsed values, portal ids."""
    user_id, course_id = ids(con, email, course)
    return {
        "row": number,
        "login_id": email,
        "course_name": course,
        "created_date": None,
        "started_date": None,
        "completed_date": date_text(completed),
        "score": None if score is None else str(score),
        "access_expires_date": None,
        "status_word": status,
        "score_value": score,
        "created": None,
        "started": None,
        "completed": completed,
        "access_expires": None,
        "user_id": user_id,
        "course_id": course_id,
    }


def candidates(*rows: dict[str, object]) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=CANDIDATE_SCHEMA)


def found(findings: pl.DataFrame) -> list[tuple]:
    return [(f["row"], f["rule"], f["severity"]) for f in findings.iter_rows(named=True)]


def by_row(migrated: pl.DataFrame) -> dict[int, dict]:
    return {values["row"]: values for values in migrated.iter_rows(named=True)}


@pytest.fixture
def hold(portal_db: duckdb.DuckDBPyConnection) -> Iterator:
    """hold(status, completed, email, course): an enrollment the portal already holds (as
    test_engine_rules.py's `hold` inserts it), deleted again after the test."""
    held: list[int] = []

    def insert(
        status: str, completed: dt.date | None = None, email: str = ANN, course: str = "Privacy"
    ) -> None:
        completed_at = dt.datetime.combine(completed, dt.time(11)) if completed else None
        (enrollment_id,) = portal_db.execute(
            """insert into enrollments
                (user_id, course_id, status, created_at, started_at, completed_at)
            select u.user_id, c.course_id, ?, timestamp '2020-01-01', timestamp '2020-01-01', ?
            from users u, courses c where u.email = ? and c.name = ?
            returning enrollment_id""",
            [status, completed_at, email, course],
        ).fetchall()[0]
        held.append(enrollment_id)

    yield insert
    if held:
        portal_db.execute(
            f"delete from enrollments where enrollment_id in ({', '.join(map(str, held))})"
        )


# --------------------------------------------------------------------------------------------
# The result's shape


def test_check_learners_returns_findings_and_migrated_rows_in_their_schemas(portal_db, settings):
    findings, migrated = check_learners(
        portal_db, candidates(candidate(portal_db, 2)), settings, RunOptions(IMPORT_DATE)
    )
    assert findings.is_empty()
    assert findings.columns == ["row", "column", "rule", "severity", "value", "message"]
    assert migrated.schema == pl.Schema(MIGRATED_SCHEMA)
    assert migrated["row"].to_list() == [2]


def test_check_learners_of_no_candidates_migrates_nothing(portal_db, settings):
    findings, migrated = check_learners(portal_db, candidates(), settings, RunOptions(IMPORT_DATE))
    assert findings.is_empty()
    assert migrated.is_empty()
    assert migrated.schema == pl.Schema(MIGRATED_SCHEMA)


def test_migrated_rows_are_stored_at_midnight_and_completed_at_eleven(portal_db, settings):
    _, migrated = check_learners(
        portal_db, candidates(candidate(portal_db, 2)), settings, RunOptions(IMPORT_DATE)
    )
    (stored,) = migrated.iter_rows(named=True)
    # a blank Created or Started Date is stored as the import date at midnight
    assert stored["created_at"] == dt.datetime(2025, 1, 15)
    assert stored["started_at"] == dt.datetime(2025, 1, 15)
    assert stored["completed_at"] == dt.datetime(2024, 6, 1, 11)
    assert (stored["status"], stored["login_id"], stored["course_name"]) == (
        "Completed",
        ANN,
        "Privacy",
    )


# --------------------------------------------------------------------------------------------
# Duplicates


def test_two_identical_rows_give_one_skipped_duplicate_row_on_the_second(portal_db, settings):
    rows = candidates(candidate(portal_db, 2), candidate(portal_db, 3))
    findings, migrated = check_learners(portal_db, rows, settings, RunOptions(IMPORT_DATE))
    assert found(findings) == [(3, rules.DUPLICATE_ROW.code, rules.DUPLICATE_ROW.severity.value)]
    assert rules.DUPLICATE_ROW.severity.value == "skipped"
    assert findings["message"].to_list() == ["Same values as row 2: this row is skipped."]
    assert migrated["row"].to_list() == [2]


def test_rows_that_differ_in_one_value_are_not_duplicates(portal_db, settings):
    rows = candidates(
        candidate(portal_db, 2), candidate(portal_db, 3, completed=dt.date(2024, 6, 2))
    )
    findings, migrated = check_learners(portal_db, rows, settings, RunOptions(IMPORT_DATE))
    assert findings.is_empty()
    assert migrated["row"].to_list() == [2, 3]


def test_rows_differing_only_in_the_case_of_login_and_course_are_duplicates(portal_db, settings):
    second = candidate(portal_db, 3)
    second.update(login_id="ANN@Example.com", course_name="PRIVACY")
    findings, migrated = check_learners(
        portal_db, candidates(candidate(portal_db, 2), second), settings, RunOptions(IMPORT_DATE)
    )
    assert found(findings) == [(3, rules.DUPLICATE_ROW.code, "skipped")]
    assert migrated["row"].to_list() == [2]


def test_the_same_learner_named_by_email_and_by_username_is_not_a_duplicate_row(
    portal_db, settings
):
    # the same user and course ids, so the rows are suspects; their Login IDs differ
    second = candidate(portal_db, 3)
    second.update(login_id="ann")
    findings, migrated = check_learners(
        portal_db, candidates(candidate(portal_db, 2), second), settings, RunOptions(IMPORT_DATE)
    )
    assert findings.is_empty()
    assert migrated["row"].to_list() == [2, 3]


def test_a_second_open_row_for_the_same_user_and_course_is_skipped(portal_db, settings):
    rows = candidates(
        candidate(portal_db, 2, status="In Progress", completed=None),
        candidate(portal_db, 3, status="Not Started", completed=None),
    )
    findings, migrated = check_learners(portal_db, rows, settings, RunOptions(IMPORT_DATE))
    assert found(findings) == [(3, rules.DUPLICATE_OPEN_ENROLLMENT.code, "skipped")]
    assert migrated["row"].to_list() == [2]


# --------------------------------------------------------------------------------------------
# Live or archived


def test_two_year_cutoff_of_15_january_2025_is_15_january_2023():
    assert two_year_cutoff(dt.date(2025, 1, 15)) == dt.date(2023, 1, 15)


def test_two_year_cutoff_of_29_february_is_28_february():
    assert two_year_cutoff(dt.date(2024, 2, 29)) == dt.date(2022, 2, 28)


def test_a_completion_before_the_cutoff_is_archived_and_one_on_or_after_it_live(
    portal_db, settings
):
    cutoff = two_year_cutoff(IMPORT_DATE)
    rows = candidates(
        candidate(portal_db, 2, completed=cutoff - dt.timedelta(days=1)),
        candidate(portal_db, 3, completed=cutoff),
        candidate(portal_db, 4, completed=dt.date(2024, 6, 1)),
        candidate(
            portal_db, 5, email=BOB, status="Failed", score=10.0, completed=dt.date(2020, 1, 1)
        ),
    )
    findings, migrated = check_learners(portal_db, rows, settings, RunOptions(IMPORT_DATE))
    assert findings.is_empty()
    assert dict(zip(migrated["row"], migrated["store"], strict=True)) == {
        2: "archived",
        3: "live",
        4: "live",
        5: "archived",
    }


def test_an_open_row_is_live_whatever_its_dates(portal_db, settings):
    old = candidate(portal_db, 2, status="In Progress", completed=None)
    old.update(created_date="1/1/2000", created=dt.date(2000, 1, 1))
    _, migrated = check_learners(portal_db, candidates(old), settings, RunOptions(IMPORT_DATE))
    assert migrated["store"].to_list() == ["live"]
    assert migrated["completed_at"].to_list() == [None]
    assert migrated["created_at"].to_list() == [dt.datetime(2000, 1, 1)]


# --------------------------------------------------------------------------------------------
# Awards


def test_safety_awards_a_certificate_two_credits_and_a_badge(settings, portal_db):
    (safety,) = settings.filter(pl.col("course_id") == ids(portal_db, ANN, "Safety")[1]).iter_rows(
        named=True
    )
    assert (safety["certificate"], safety["credits"], safety["badge"]) == (
        "Safety Cert",
        2.0,
        "Safe Badge",
    )


def test_a_live_completion_carries_its_courses_awards_and_an_archived_one_none(portal_db, settings):
    rows = candidates(
        candidate(portal_db, 2, course="Safety", completed=dt.date(2024, 6, 1)),
        candidate(portal_db, 3, email=BOB, course="Safety", completed=dt.date(2020, 6, 1)),
    )
    findings, migrated = check_learners(portal_db, rows, settings, RunOptions(IMPORT_DATE))
    assert findings.is_empty()
    stored = by_row(migrated)
    assert (
        stored[2]["store"],
        stored[2]["certificate"],
        stored[2]["credits"],
        stored[2]["badge"],
    ) == (
        "live",
        "Safety Cert",
        2.0,
        "Safe Badge",
    )
    assert (
        stored[3]["store"],
        stored[3]["certificate"],
        stored[3]["credits"],
        stored[3]["badge"],
    ) == (
        "archived",
        None,
        None,
        None,
    )


def test_a_live_pass_is_awarded_and_a_live_fail_or_open_row_is_not(portal_db, settings):
    rows = candidates(
        candidate(portal_db, 2, course="Safety", status="Passed", score=90.0),
        candidate(portal_db, 3, email=BOB, course="Safety", status="Failed", score=10.0),
        candidate(
            portal_db,
            4,
            email="dora@example.com",
            course="Safety",
            status="In Progress",
            completed=None,
        ),
    )
    _, migrated = check_learners(portal_db, rows, settings, RunOptions(IMPORT_DATE))
    assert migrated.select("row", "store", "certificate", "credits", "badge").rows() == [
        (2, "live", "Safety Cert", 2.0, "Safe Badge"),
        (3, "live", None, None, None),
        (4, "live", None, None, None),
    ]


def test_a_course_with_no_credits_gives_null_credits_not_zero(portal_db, settings):
    _, migrated = check_learners(
        portal_db, candidates(candidate(portal_db, 2)), settings, RunOptions(IMPORT_DATE)
    )
    assert migrated.select("certificate", "credits", "badge").rows() == [(None, None, None)]


# --------------------------------------------------------------------------------------------
# Existing enrollments


def test_an_enrollment_already_held_is_a_warning_and_the_row_is_migrated(portal_db, settings, hold):
    hold("Completed", dt.date(2024, 6, 1))
    rows = candidates(candidate(portal_db, 2), candidate(portal_db, 3, email=BOB))
    findings, migrated = check_learners(portal_db, rows, settings, RunOptions(IMPORT_DATE))
    assert found(findings) == [(2, rules.EXISTING_ENROLLMENT.code, "warning")]
    assert findings["message"].to_list() == [
        (
            "The portal already holds a Completed enrollment for this user and course: "
            "migrating it adds a second one beside it."
        )
    ]
    assert migrated["row"].to_list() == [2, 3]


def test_with_skip_existing_an_enrollment_already_held_is_skipped(portal_db, settings, hold):
    hold("Completed", dt.date(2024, 6, 1))
    rows = candidates(candidate(portal_db, 2), candidate(portal_db, 3, email=BOB))
    findings, migrated = check_learners(
        portal_db, rows, settings, RunOptions(IMPORT_DATE, skip_existing=True)
    )
    assert found(findings) == [(2, rules.EXISTING_ENROLLMENT.code, "skipped")]
    assert findings["message"].to_list() == [
        (
            "The portal already holds a Completed enrollment for this user and course: "
            "this row is skipped (--skip-existing)."
        )
    ]
    assert migrated["row"].to_list() == [3]


def test_an_open_row_matches_any_open_enrollment_held(portal_db, settings, hold):
    hold("In Progress")
    rows = candidates(candidate(portal_db, 2, status="Not Started", completed=None))
    findings, _ = check_learners(portal_db, rows, settings, RunOptions(IMPORT_DATE))
    assert found(findings) == [(2, rules.EXISTING_ENROLLMENT.code, "warning")]
    assert "an In Progress enrollment" in findings["message"][0]


def test_a_completion_on_another_day_than_the_one_held_is_not_existing(portal_db, settings, hold):
    hold("Completed", dt.date(2024, 6, 2))
    findings, migrated = check_learners(
        portal_db,
        candidates(candidate(portal_db, 2)),
        settings,
        RunOptions(IMPORT_DATE, skip_existing=True),
    )
    assert findings.is_empty()
    assert migrated["row"].to_list() == [2]


def test_without_check_existing_an_enrollment_held_gives_no_finding(portal_db, settings, hold):
    hold("Completed", dt.date(2024, 6, 1))
    findings, migrated = check_learners(
        portal_db,
        candidates(candidate(portal_db, 2)),
        settings,
        RunOptions(IMPORT_DATE, skip_existing=True, check_existing=False),
    )
    assert findings.is_empty()
    assert migrated["row"].to_list() == [2]


def test_a_duplicate_of_a_held_enrollment_is_found_as_a_duplicate_only(portal_db, settings, hold):
    hold("Completed", dt.date(2024, 6, 1))
    rows = candidates(candidate(portal_db, 2), candidate(portal_db, 3))
    findings, migrated = check_learners(
        portal_db, rows, settings, RunOptions(IMPORT_DATE, skip_existing=True)
    )
    assert found(findings) == [
        (3, rules.DUPLICATE_ROW.code, "skipped"),
        (2, rules.EXISTING_ENROLLMENT.code, "skipped"),
    ]
    assert migrated.is_empty()


# --------------------------------------------------------------------------------------------
# Recertification


def test_a_second_live_completion_on_a_recertification_course_is_a_warning(portal_db, settings):
    rows = candidates(
        candidate(portal_db, 2, course="Recert", completed=dt.date(2024, 1, 1)),
        candidate(portal_db, 3, course="Recert", completed=dt.date(2024, 6, 1)),
        candidate(portal_db, 4, course="Recert", completed=dt.date(2020, 6, 1)),  # archived
    )
    findings, migrated = check_learners(portal_db, rows, settings, RunOptions(IMPORT_DATE))
    assert found(findings) == [(3, rules.RECERTIFICATION_MULTIPLE_COMPLETIONS.code, "warning")]
    assert migrated["row"].to_list() == [2, 3, 4]
