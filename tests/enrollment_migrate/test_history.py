"""Reading the store back: the run log lists runs newest first; a learner's history is found by
email or by username, in any case and with spaces around it, holds that learner's live and
archived enrollments and nobody else's, and is None when no user or two users answer to the login
(one's email being another's username), so that two people's histories are never mixed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from conftest import IMPORT_DATE, row, write_template
from enrollment_migrate.options import RunOptions
from enrollment_migrate import apply, engine, history, runs, warehouse
from schemas.findings import FINDING_SCHEMA

NO_FINDINGS = pl.DataFrame(schema=FINDING_SCHEMA)


def _logged(run_id: str, started_at: dt.datetime, state: str = "applied", rows: int = 0) -> warehouse.RunRecord:
    return warehouse.RunRecord(
        run_id=run_id, command="run", file=f"{run_id}.csv", sha256=None, import_date=IMPORT_DATE,
        state=state, started_at=started_at, rows=rows,
    )


def _apply(db: Path, path: Path, rows) -> str:
    """Check the rows against the warehouse's portal and apply them, as a run does."""
    write_template(path, rows)
    with warehouse.connect(db) as con:
        result = engine.check_file(path, con, engine.RunOptions(IMPORT_DATE))
        assert result.state == "valid", result.findings
        plan = runs.plan_run("run", str(path), path.parent / "reports", RunOptions(IMPORT_DATE))
        record = runs.run_record(plan, result, "applied", dt.datetime(2025, 1, 15, 9))
        apply.apply_run(con, record, result.findings, result.migrated)
    return plan.run_id


def test_an_empty_run_log_is_an_empty_list(portal_warehouse):
    with warehouse.connect(portal_warehouse) as con:
        assert history.run_log(con) == []


def test_the_run_log_lists_runs_newest_first(portal_warehouse):
    with warehouse.connect(portal_warehouse) as con:
        for run_id, hour, state in (("b", 10, "rejected"), ("c", 8, "applied"), ("a", 11, "valid"),
                                    ("d", 10, "rolled_back")):
            warehouse.record_run(con, _logged(run_id, dt.datetime(2025, 1, 15, hour), state), NO_FINDINGS)
        log = history.run_log(con)
    assert [entry["run_id"] for entry in log] == ["a", "d", "b", "c"]  # same start: the greater id first
    assert [entry["state"] for entry in log] == ["valid", "rolled_back", "rejected", "applied"]
    assert log[0]["started_at"] == dt.datetime(2025, 1, 15, 11)
    assert log[0]["file"] == "a.csv" and log[0]["import_date"] == IMPORT_DATE


def test_the_run_log_holds_what_a_run_recorded(portal_warehouse, tmp_path):
    run_id = _apply(portal_warehouse, tmp_path / "m.csv", [row(), row("dora@example.com", completed="1/6/2019")])
    with warehouse.connect(portal_warehouse) as con:
        (entry,) = history.run_log(con)
    assert entry["run_id"] == run_id
    assert (entry["command"], entry["state"], entry["file"]) == ("run", "applied", str(tmp_path / "m.csv"))
    assert (entry["rows"], entry["live"], entry["archived"], entry["errors"]) == (2, 1, 1, 0)
    assert entry["applied_at"] == dt.datetime(2025, 1, 15, 9) and entry["rolled_back_at"] is None
    assert entry["report_dir"] == str(tmp_path / "reports" / run_id)


@pytest.fixture
def histories(portal_warehouse, tmp_path) -> Path:
    """Enrollments of several learners, among them carl@example.com (username ann@example.org)
    and annie (email ann@example.org); ann@example.com has one live and one archived."""
    _apply(portal_warehouse, tmp_path / "m.csv", [
        row("ann@example.com", "Privacy", "Passed", completed="1/6/2024", score="90"),
        row("ann", "Safety", completed="1/6/2019"),  # by username; before the two-year cutoff
        row("dora@example.com", "Privacy"),
        row("carl@example.com", "Safety"),
        row("annie", "Privacy"),
    ])
    return portal_warehouse


def _history(db: Path, login: str) -> pl.DataFrame | None:
    with warehouse.connect(db) as con:
        return history.learner_history(con, login)


def test_a_learner_history_holds_live_and_archived_rows_of_that_learner_only(histories):
    found = _history(histories, "ann@example.com")
    assert found is not None
    assert found.select(
        "Login ID", "Course Name", "Enrollment Status", "Enrollment Score", "Enrollment Completed Date", "Store",
    ).rows() == [
        ("ann@example.com", "Safety", "Completed", None, "01/06/2019", "archived"),
        ("ann@example.com", "Privacy", "Passed", "90", "01/06/2024", "live"),
    ]


@pytest.mark.parametrize("login", ["ann@example.com", "ANN@Example.COM", "  ann@example.com\t", "ann", " Ann "])
def test_a_learner_is_found_by_email_or_username_in_any_case_and_trimmed(histories, login):
    found = _history(histories, login)
    assert found is not None and found.height == 2
    assert found.equals(_history(histories, "ann@example.com"))


def test_an_unknown_login_has_no_history(histories):
    assert _history(histories, "nobody@example.com") is None
    assert _history(histories, "   ") is None


def test_a_known_learner_without_enrollments_has_an_empty_history(histories):
    found = _history(histories, "bobby")
    assert found is not None and found.height == 0
    assert found.columns == _history(histories, "ann").columns


def test_a_login_that_is_one_users_email_and_anothers_username_has_no_history(histories):
    # both learners have rows: answering for either would show the other's, or both
    assert _history(histories, "carl@example.com")["Course Name"].to_list() == ["Safety"]
    assert _history(histories, "annie")["Course Name"].to_list() == ["Privacy"]
    assert _history(histories, "ann@example.org") is None
    assert _history(histories, " ANN@example.ORG ") is None
