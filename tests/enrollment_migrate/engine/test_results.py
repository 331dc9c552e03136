"""A check's result kept on disk between tasks (enrollment_migrate.engine.results): what
save_result writes, open_saved_result gives back (state, counts, by_year, findings, the portal
checked and the migrated rows); with_rows=False gives the verdict with no rows.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from enrollment_migrate.engine import (
    MIGRATED_SCHEMA,
    CheckResult,
    Counts,
    migrated_frame,
    open_saved_result,
    save_result,
)
from schemas import rules
from schemas.findings import FINDING_SCHEMA, empty_findings, finding, findings_frame


def stored_row(
    number: int, store: str = "live", completed: dt.date = dt.date(2024, 6, 1), **values
) -> dict:
    return {
        "row": number,
        "login_id": "ann@example.com",
        "course_name": "Safety",
        "user_id": 1,
        "course_id": 1,
        "status": "Completed",
        "score": None,
        "created_at": dt.datetime(2025, 1, 15),
        "started_at": dt.datetime(2025, 1, 15),
        "completed_at": dt.datetime.combine(completed, dt.time(11)),
        "access_expires_at": None,
        "store": store,
        "certificate": None,
        "credits": None,
        "badge": None,
        **values,
    }


MIGRATED = pl.DataFrame(
    [
        stored_row(2, certificate="Safety Cert", credits=2.5, badge="Safe Badge"),
        stored_row(4, "archived", dt.date(2020, 6, 1), login_id="bob@example.com", user_id=2),
        stored_row(5, status="Passed", score=80.5, access_expires_at=dt.datetime(2026, 1, 1)),
    ],
    schema=MIGRATED_SCHEMA,
)

FINDINGS = findings_frame(
    [
        finding(rules.UNKNOWN_COLUMN, "'Notes' is not a template column.", value="Notes"),
        finding(
            rules.UNKNOWN_USER,
            "No portal user has the email or username 'x'.",
            row=3,
            column="Login ID",
            value="x",
        ),
        finding(
            rules.COMPLETED_DATE_IGNORED,
            "A warning with ünïcödé in it.",
            row=5,
            column="Enrollment Completed Date",
        ),
        finding(
            rules.REMINDERS_ENABLED,
            "'Noisy' has enrollment reminders on.",
            column="Course Name",
            value="Noisy",
        ),
    ]
)


@pytest.fixture
def result() -> CheckResult:
    return CheckResult(
        "invalid",
        FINDINGS,
        MIGRATED,
        Counts(
            rows=4,
            live=2,
            archived=1,
            skipped=0,
            errors=1,
            warnings=3,
            certificates=1,
            credits=2.5,
            badges=1,
        ),
        [{"year": 2020, "completed": 1, "open": 0}, {"year": 2024, "completed": 2, "open": 0}],
        "fingerprint-of-the-portal",
    )


def saved_and_opened(result: CheckResult, directory: Path, with_rows: bool = True) -> CheckResult:
    save_result(result, directory)
    return open_saved_result(directory, with_rows=with_rows)


def test_a_saved_result_opens_with_its_state_counts_by_year_and_portal(result, tmp_path):
    opened = saved_and_opened(result, tmp_path / "result")
    assert opened.state == "invalid"
    assert opened.counts == result.counts
    assert opened.by_year == result.by_year
    assert opened.portal_fingerprint == "fingerprint-of-the-portal"


def test_a_saved_result_opens_with_its_findings_as_they_were(result, tmp_path):
    opened = saved_and_opened(result, tmp_path / "result")
    assert_frame_equal(opened.findings, result.findings)
    assert opened.rule_counts == result.rule_counts


def test_a_saved_result_opens_with_its_migrated_rows_as_parquet_files_holding_the_same_rows(
    result, tmp_path
):
    opened = saved_and_opened(result, tmp_path / "result")
    assert isinstance(opened.migrated, list)
    assert all(isinstance(path, Path) and path.exists() for path in opened.migrated)
    assert_frame_equal(migrated_frame(opened.migrated).collect(), MIGRATED)


def test_a_saved_result_opened_without_rows_has_an_empty_migrated_frame(result, tmp_path):
    opened = saved_and_opened(result, tmp_path / "result", with_rows=False)
    assert isinstance(opened.migrated, pl.DataFrame)
    assert opened.migrated.is_empty()
    assert opened.migrated.schema == pl.Schema(MIGRATED_SCHEMA)
    # the verdict is all there
    assert (opened.state, opened.counts, opened.by_year) == (
        result.state,
        result.counts,
        result.by_year,
    )
    assert_frame_equal(opened.findings, result.findings)


def test_migrated_rows_already_in_parquet_files_stay_where_they_are(result, tmp_path):
    parts = []
    for number, part in enumerate(MIGRATED.iter_slices(2)):
        path = tmp_path / "parts" / f"part-{number}.parquet"
        path.parent.mkdir(exist_ok=True)
        part.write_parquet(path)
        parts.append(path)
    result.migrated = parts
    opened = saved_and_opened(result, tmp_path / "result")
    assert opened.migrated == parts
    assert not (tmp_path / "result" / "migrated.parquet").exists()
    assert_frame_equal(migrated_frame(opened.migrated).collect(), MIGRATED)


def test_a_valid_result_with_no_findings_and_no_rows_round_trips(tmp_path):
    empty = CheckResult(
        "valid", empty_findings(), pl.DataFrame(schema=MIGRATED_SCHEMA), Counts(rows=0)
    )
    opened = saved_and_opened(empty, tmp_path / "result")
    assert opened.state == "valid"
    assert opened.counts == Counts()
    assert opened.by_year == []
    assert opened.portal_fingerprint is None
    assert opened.findings.is_empty() and opened.findings.schema == pl.Schema(FINDING_SCHEMA)
    assert_frame_equal(
        migrated_frame(opened.migrated).collect(), pl.DataFrame(schema=MIGRATED_SCHEMA)
    )


def test_whole_number_credits_come_back_equal(result, tmp_path):
    result.counts.credits = 4
    opened = saved_and_opened(result, tmp_path / "result")
    assert opened.counts.credits == 4
