"""Applying a checked run, its snapshot, rollback within 7 days, expiry, the analysts' views and
the commands that read the store back (RULES.md §3-§6, INTERFACES.md).

Most tests call enrollment_migrate.apply directly with a chosen apply time, so that the 7-day
window can be probed to the minute; the command line is tested where its exit status and JSON
are the contract, and in real processes killed inside their transaction.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from conftest import HEADERS, IMPORT_DATE, PORTAL_COURSES, PORTAL_USERS, row, write_template
from enrollment_migrate.options import RunOptions
from enrollment_migrate import apply, engine, portal, runs, warehouse
from enrollment_migrate.cli import app
from enrollment_migrate.faults import FAULT_AT, FAULT_MARKER

D = dt.datetime
H = dt.timedelta(hours=1)
WINDOW = dt.timedelta(hours=168)
MINUTE = dt.timedelta(minutes=1)
APPLIED_AT = D(2025, 1, 15, 9, 0)
EXPIRES = "Enrollment Access Expires Date"

# A learner and a course whose names a spreadsheet would run as formulas.
EXTRA_USERS = "=cmd@example.com,eve,Eve,Formula,true\n"
EXTRA_COURSES = "+Risk Basics,true,elearning,,,,,false,0,,false,false,false,false\n"
PORTAL_ENROLLMENTS = [row("ann@example.com", "Privacy", "Completed", completed="1/2/2024")]

# What a migration changes (and a rollback must give back exactly), and the run log.
STORE = ("users", "courses", "enrollments", "archived_enrollments", "certificates", "credits", "badges")
LOG = ("migration_runs", "migration_findings", "migration_snapshots")


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A fresh warehouse holding the fixture portal (no enrollments), closed."""
    path = tmp_path / "warehouse.duckdb"
    (tmp_path / "users.csv").write_text(PORTAL_USERS + EXTRA_USERS, encoding="utf-8")
    (tmp_path / "courses.csv").write_text(PORTAL_COURSES + EXTRA_COURSES, encoding="utf-8")
    with warehouse.connect(path) as con:
        portal.load_portal(con, users=tmp_path / "users.csv", courses=tmp_path / "courses.csv")
    return path


def contents(db: Path, tables: tuple[str, ...] = STORE + LOG) -> dict[str, list[tuple]]:
    """Every row of every table, in a stable order: equality means the tables are identical."""
    with duckdb.connect(str(warehouse.state_path(db)), read_only=True) as con:
        return {t: con.execute(f"select * from {t} order by all").fetchall() for t in tables}


def store_fingerprint(db: Path) -> str:
    with duckdb.connect(str(warehouse.state_path(db)), read_only=True) as con:
        return apply.fingerprint(con)


def ids(db: Path) -> tuple[dict[str, int], dict[str, int]]:
    with duckdb.connect(str(warehouse.state_path(db)), read_only=True) as con:
        users = dict(con.execute("select email, user_id from users").fetchall())
        courses = dict(con.execute("select name, course_id from courses").fetchall())
    return users, courses


def query(db: Path, text: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(warehouse.state_path(db)), read_only=True) as con:
        return con.execute(text, params or []).fetchall()


def check(db: Path, path: Path, rows, headers=None) -> engine.CheckResult:
    write_template(path, rows, headers)
    with warehouse.connect(db) as con:
        return engine.check_file(path, con, engine.RunOptions(IMPORT_DATE))


def apply_rows(db: Path, path: Path, rows, applied_at: dt.datetime = APPLIED_AT, headers=None) -> str:
    """Check and apply a file as `run` does, applied at a chosen time; returns its run id."""
    result = check(db, path, rows, headers)
    assert result.state == "valid", result.findings.to_dicts()
    plan = runs.plan_run("run", str(path), path.parent / "reports", RunOptions(IMPORT_DATE))
    with warehouse.connect(db) as con:
        apply.apply_run(con, runs.run_record(plan, result, "applied", applied_at), result.findings, result.migrated)
    return plan.run_id


def rollback(db: Path, run_id: str, now: dt.datetime) -> apply.RolledBack:
    with warehouse.connect(db) as con:
        return apply.rollback_run(con, run_id, now)


def refusal(db: Path, run_id: str, now: dt.datetime) -> str:
    with pytest.raises(apply.RollbackRefused) as refused:
        rollback(db, run_id, now)
    assert refused.value.run_id == run_id
    return refused.value.reason


def run_rows(db: Path, run_id: str) -> dict[str, list[tuple]]:
    """The rows a run added, per table."""
    with duckdb.connect(str(warehouse.state_path(db)), read_only=True) as con:
        return {
            t: con.execute(f"select * from {t} where run_id = ? order by all", [run_id]).fetchall()
            for t in ("enrollments", "archived_enrollments", "certificates", "credits", "badges")
        }


# The apply: rows, timestamps and awards --------------------------------------------------------

MIXED = [
    # row 2: live Completed on a course with certificate, credits and badge
    row("ann@example.com", "Safety", "Completed", created="1/5/2024", started="02/05/2024", completed="1/6/2024"),
    # row 3: open, blank dates: the import date at 00:00; no completion stored
    row("ann@example.com", "Privacy", "In Progress", completed=""),
    # row 4: Passed the day before the cut-off (15/1/2023): archived, no awards
    row("dora", "Safety", "Passed", score="90", created="1/1/2023", started="1/1/2023", completed="14/1/2023"),
    # row 5: Completed on the cut-off itself: live, awards
    row("dora@example.com", "Safety", "Completed", completed="15/1/2023"),
    # row 6: live Failed on a course with certificate and credits: no awards
    row("dora@example.com", "Expiring", "Failed", score="40", completed="1/6/2024"),
    # row 7: Not Started on a course with awards: none
    row("bobby", "Safety", "Not Started", completed=""),
    # row 8: live Passed with a decimal score and an access expiry
    row("ann@example.com", "Expiring", "Passed", score="75.5", created="1/7/2024", started="1/7/2024",
        completed="1/7/2024", expires="1/7/2026"),
    # rows 9, 10: archived Completed, one on a course with a certificate: no awards
    row("ann@example.com", "Privacy", "Completed", completed="1/1/2020"),
    row("dora@example.com", "Expiring", "Completed", completed="3/3/2021"),
]


def test_apply_writes_live_and_archived_rows_with_their_timestamps(db, tmp_path):
    users, courses = ids(db)
    ann, bob, dora = users["ann@example.com"], users["bob@example.com"], users["dora@example.com"]
    safety, privacy, expiring = courses["Safety"], courses["Privacy"], courses["Expiring"]
    day = D(2025, 1, 15)  # the import date, at 00:00

    run_id = apply_rows(db, tmp_path / "m.csv", MIXED, headers=[*HEADERS, EXPIRES])

    columns = ("user_id, course_id, status, score, created_at, started_at, completed_at, "
               "access_expires_at, run_id, source_row")
    live = query(db, f"select {columns} from enrollments order by source_row")
    assert live == [
        (ann, safety, "Completed", None, D(2024, 5, 1), D(2024, 5, 2), D(2024, 6, 1, 11), None, run_id, 2),
        (ann, privacy, "In Progress", None, day, day, None, None, run_id, 3),
        (dora, safety, "Completed", None, day, day, D(2023, 1, 15, 11), None, run_id, 5),
        (dora, expiring, "Failed", 40.0, day, day, D(2024, 6, 1, 11), None, run_id, 6),
        (bob, safety, "Not Started", None, day, day, None, None, run_id, 7),
        (ann, expiring, "Passed", 75.5, D(2024, 7, 1), D(2024, 7, 1), D(2024, 7, 1, 11), D(2026, 7, 1), run_id, 8),
    ]
    archived = query(db, f"select {columns} from archived_enrollments order by source_row")
    assert archived == [
        (dora, safety, "Passed", 90.0, D(2023, 1, 1), D(2023, 1, 1), D(2023, 1, 14, 11), None, run_id, 4),
        (ann, privacy, "Completed", None, day, day, D(2020, 1, 1, 11), None, run_id, 9),
        (dora, expiring, "Completed", None, day, day, D(2021, 3, 3, 11), None, run_id, 10),
    ]
    # enrollment ids are unique across both stores
    (distinct,) = query(db, "select count(distinct enrollment_id) from "
                            "(select enrollment_id from enrollments union all select enrollment_id from archived_enrollments)")
    assert distinct == (9,)


def test_awards_only_on_live_completed_and_passed_rows_of_courses_that_have_them(db, tmp_path):
    run_id = apply_rows(db, tmp_path / "m.csv", MIXED, headers=[*HEADERS, EXPIRES])

    # Each award belongs to the live enrollment of its row, with that row's user and course.
    def awards(table: str, value: str) -> list[tuple]:
        return query(db, f"select e.source_row, a.{value}, a.user_id = e.user_id and a.course_id = e.course_id, a.run_id "
                         f"from {table} a join enrollments e using (enrollment_id) order by e.source_row")

    assert awards("certificates", "certificate") == [
        (2, "Safety Cert", True, run_id), (5, "Safety Cert", True, run_id), (8, "Exp Cert", True, run_id),
    ]
    assert query(db, "select e.source_row, c.awarded_at = e.completed_at, c.awarded_at from certificates c "
                     "join enrollments e using (enrollment_id) order by 1") == [
        (2, True, D(2024, 6, 1, 11)), (5, True, D(2023, 1, 15, 11)), (8, True, D(2024, 7, 1, 11)),
    ]
    assert awards("credits", "credits") == [(2, 2.0, True, run_id), (5, 2.0, True, run_id), (8, 1.0, True, run_id)]
    assert awards("badges", "badge") == [(2, "Safe Badge", True, run_id), (5, "Safe Badge", True, run_id)]
    # nothing points at an archived row
    for table in ("certificates", "credits", "badges"):
        assert query(db, f"select count(*) from {table} join archived_enrollments using (enrollment_id)") == [(0,)]


def test_the_snapshot_records_what_the_run_added_and_the_store_before_it(db, tmp_path):
    before = store_fingerprint(db)
    run_id = apply_rows(db, tmp_path / "m.csv", MIXED, headers=[*HEADERS, EXPIRES])

    after = store_fingerprint(db)
    assert after != before
    assert query(db, "select run_id, fingerprint_before, fingerprint_after, enrollments, archived, certificates, "
                     "credits, badges, taken_at, expired_at from migration_snapshots") == [
        (run_id, before, after, 6, 3, 3, 3, 2, APPLIED_AT, None),
    ]
    assert query(db, "select state, applied_at, rolled_back_at, rows, live, archived, skipped, errors "
                     "from migration_runs") == [("applied", APPLIED_AT, None, 9, 6, 3, 0, 0)]


def test_licenses_are_used_by_archived_rows_too(db, tmp_path):
    """'Licensed' has 2 seats: two archived rows fill it; one more row does not fit."""
    two = [row("ann@example.com", "Licensed", completed="1/1/2020"),
           row("dora@example.com", "Licensed", completed="2/2/2020")]
    fits = check(db, tmp_path / "two.csv", two)
    assert fits.state == "valid" and fits.counts.archived == 2
    run_id = apply_rows(db, tmp_path / "two.csv", two)

    third = check(db, tmp_path / "third.csv", [row("carl@example.com", "Licensed", completed="3/3/2020")])
    assert third.state == "invalid"
    assert third.rule_counts == {"license_shortfall": 1}

    rollback(db, run_id, APPLIED_AT + H)  # the seats come back
    assert check(db, tmp_path / "third.csv", [row("carl@example.com", "Licensed", completed="3/3/2020")]).state == "valid"


def test_ilt_capacity_is_used_by_archived_rows_and_returned_by_rollback(db, tmp_path):
    """'Workshop' has 1 place."""
    run_id = apply_rows(db, tmp_path / "one.csv", [row("ann@example.com", "Workshop", completed="1/1/2020")])
    full = check(db, tmp_path / "more.csv", [row("dora@example.com", "Workshop", "In Progress", completed="")])
    assert full.rule_counts == {"ilt_capacity_shortfall": 1}

    rollback(db, run_id, APPLIED_AT + H)
    again = check(db, tmp_path / "more.csv", [row("dora@example.com", "Workshop", "In Progress", completed="")])
    assert again.state == "valid" and again.rule_counts == {}


# Rollback --------------------------------------------------------------------------------------


def test_rollback_of_the_latest_run_restores_every_table_exactly(db, tmp_path):
    # the portal's own enrollments and an earlier run stay
    with warehouse.connect(db) as con:
        write_template(tmp_path / "portal.csv", PORTAL_ENROLLMENTS)
        portal.load_portal(con, enrollments=tmp_path / "portal.csv", import_date=IMPORT_DATE)
    earlier = apply_rows(db, tmp_path / "earlier.csv", [row("carl@example.com", "Safety", completed="1/3/2024")],
                         applied_at=APPLIED_AT - H)
    before, fingerprint_before = contents(db, STORE), store_fingerprint(db)

    run_id = apply_rows(db, tmp_path / "m.csv", MIXED, headers=[*HEADERS, EXPIRES])
    assert contents(db, STORE) != before
    done = rollback(db, run_id, APPLIED_AT + 2 * H)

    assert done == apply.RolledBack(run_id, apply.Added(6, 3, 3, 3, 2), fingerprint_restored=True)
    assert contents(db, STORE) == before
    assert store_fingerprint(db) == fingerprint_before
    assert run_rows(db, run_id) == {t: [] for t in run_rows(db, run_id)}
    assert query(db, "select run_id, state, rolled_back_at from migration_runs order by applied_at") == [
        (earlier, "applied", None), (run_id, "rolled_back", APPLIED_AT + 2 * H),
    ]


def test_rollback_of_an_older_run_leaves_the_later_run_untouched(db, tmp_path):
    before = contents(db, STORE)
    older = apply_rows(db, tmp_path / "older.csv", MIXED, headers=[*HEADERS, EXPIRES])
    later = apply_rows(db, tmp_path / "later.csv", [
        row("carl@example.com", "Safety", completed="1/3/2024"),
        row("carl@example.com", "Privacy", completed="1/3/2020"),
        row("dora@example.com", "Licensed", "In Progress", completed=""),
    ], applied_at=APPLIED_AT + H)
    later_rows = run_rows(db, later)
    assert [len(v) for v in later_rows.values()] == [2, 1, 1, 1, 1]

    done = rollback(db, older, APPLIED_AT + 2 * H)

    assert done.removed == apply.Added(6, 3, 3, 3, 2)
    assert done.fingerprint_restored is None  # the later run's rows stay: no proof by fingerprint
    assert run_rows(db, later) == later_rows
    assert run_rows(db, older) == {t: [] for t in later_rows}
    expected = {t: sorted(before[t] + later_rows.get(t, []), key=repr) for t in STORE}
    assert {t: sorted(rows, key=repr) for t, rows in contents(db, STORE).items()} == expected
    assert query(db, "select run_id, state from migration_runs order by applied_at") == [
        (older, "rolled_back"), (later, "applied"),
    ]

    # and the later run can then be undone too, back to the store before both
    last = rollback(db, later, APPLIED_AT + 3 * H)
    assert last.removed == apply.Added(2, 1, 1, 1, 1)
    # The store before this run held the older run's rows, now gone: no proof by fingerprint,
    # but not a failed one either (the undo is exact, as the tables show).
    assert last.fingerprint_restored is None
    assert contents(db, STORE) == before


def test_rollback_after_a_portal_reload_leaves_the_portal_rows(db, tmp_path):
    run_id = apply_rows(db, tmp_path / "m.csv", MIXED, headers=[*HEADERS, EXPIRES])
    with warehouse.connect(db) as con:
        write_template(tmp_path / "portal.csv", PORTAL_ENROLLMENTS)
        portal.load_portal(con, enrollments=tmp_path / "portal.csv", import_date=IMPORT_DATE)
    portal_rows = query(db, "select * from enrollments where run_id is null")
    assert len(portal_rows) == 1

    done = rollback(db, run_id, APPLIED_AT + H)
    assert done.removed == apply.Added(6, 3, 3, 3, 2)
    assert done.fingerprint_restored is None  # the store changed after the run: no proof, no false alarm
    assert query(db, "select * from enrollments") == portal_rows
    assert query(db, "select count(*) from archived_enrollments") == [(0,)]


def test_rolling_back_the_later_run_first_proves_the_older_one_exact(db, tmp_path):
    before = contents(db, STORE)
    older = apply_rows(db, tmp_path / "older.csv", [row("ann@example.com", "Safety", completed="1/3/2024")])
    later = apply_rows(db, tmp_path / "later.csv", [row("dora@example.com", "Safety", completed="1/3/2024")],
                       applied_at=APPLIED_AT + H)
    assert rollback(db, later, APPLIED_AT + 2 * H).fingerprint_restored is True
    assert rollback(db, older, APPLIED_AT + 3 * H).fingerprint_restored is True
    assert contents(db, STORE) == before


@pytest.mark.parametrize("elapsed", [MINUTE, WINDOW - MINUTE])
def test_rollback_is_allowed_within_168_hours(db, tmp_path, elapsed):
    before = contents(db, STORE)
    run_id = apply_rows(db, tmp_path / "m.csv", MIXED, headers=[*HEADERS, EXPIRES])
    assert rollback(db, run_id, APPLIED_AT + elapsed).fingerprint_restored is True
    assert contents(db, STORE) == before


def _refused_changes_nothing(db: Path, run_id: str, now: dt.datetime, reason: str) -> None:
    before = contents(db)
    assert refusal(db, run_id, now) == reason
    assert contents(db) == before


def test_rollback_after_168_hours_is_refused_and_changes_nothing(db, tmp_path):
    run_id = apply_rows(db, tmp_path / "m.csv", MIXED, headers=[*HEADERS, EXPIRES])
    _refused_changes_nothing(db, run_id, APPLIED_AT + WINDOW + MINUTE, "rollback_window_expired")
    assert query(db, "select state from migration_runs") == [("applied",)]


def test_rollback_twice_is_refused(db, tmp_path):
    run_id = apply_rows(db, tmp_path / "m.csv", MIXED, headers=[*HEADERS, EXPIRES])
    rollback(db, run_id, APPLIED_AT + H)
    _refused_changes_nothing(db, run_id, APPLIED_AT + 2 * H, "already_rolled_back")


@pytest.mark.parametrize("run_id", ["20250115T090000Z-abcdef", "../../etc", "", "20250115T090000Z-abcdef' or 1=1 --"])
def test_rollback_of_an_unknown_or_malformed_run_id_is_not_applied(db, tmp_path, run_id):
    apply_rows(db, tmp_path / "m.csv", MIXED, headers=[*HEADERS, EXPIRES])
    _refused_changes_nothing(db, run_id, APPLIED_AT + H, "not_applied")


@pytest.mark.parametrize("state", ["valid", "invalid", "rejected"])
def test_rollback_of_a_run_that_applied_nothing_is_not_applied(db, tmp_path, state):
    write_template(tmp_path / "m.csv", MIXED[:1])
    plan = runs.plan_run("run" if state == "rejected" else "validate", str(tmp_path / "m.csv"),
                         tmp_path / "reports", RunOptions(IMPORT_DATE))
    with warehouse.connect(db) as con:
        result = engine.check_file(tmp_path / "m.csv", con, engine.RunOptions(IMPORT_DATE))
        warehouse.record_run(con, runs.run_record(plan, result, state), result.findings)
    _refused_changes_nothing(db, plan.run_id, APPLIED_AT + H, "not_applied")


# Expiry ----------------------------------------------------------------------------------------


def test_expire_closes_the_window_of_runs_older_than_168_hours_only(db, tmp_path):
    now = APPLIED_AT + WINDOW + 2 * H
    old = apply_rows(db, tmp_path / "old.csv", [row("ann@example.com", "Safety", completed="1/3/2024")])
    edge = apply_rows(db, tmp_path / "edge.csv", [row("dora@example.com", "Safety", completed="1/3/2024")],
                      applied_at=now - WINDOW - MINUTE)
    young = apply_rows(db, tmp_path / "young.csv", [row("carl@example.com", "Safety", completed="1/3/2024")],
                       applied_at=now - WINDOW + MINUTE)
    gone = apply_rows(db, tmp_path / "gone.csv", [row("carl@example.com", "Privacy", completed="1/3/2024")],
                      applied_at=APPLIED_AT - H)
    rollback(db, gone, APPLIED_AT)
    rows_before = contents(db, STORE)

    with warehouse.connect(db) as con:
        assert apply.expire_runs(con, now) == [old, edge]
        assert apply.expire_runs(con, now) == []  # nothing left to expire

    assert contents(db, STORE) == rows_before  # expiry removes no rows
    assert query(db, "select run_id, state from migration_runs order by applied_at") == [
        (gone, "rolled_back"), (old, "expired"), (edge, "expired"), (young, "applied"),
    ]
    assert query(db, "select run_id, expired_at from migration_snapshots order by taken_at") == [
        (gone, None), (old, now), (edge, now), (young, None),
    ]
    # an expired run refuses rollback even with a clock inside its old window
    assert refusal(db, old, APPLIED_AT + H) == "rollback_window_expired"
    assert refusal(db, edge, now) == "rollback_window_expired"
    # an expired run still counts as applied: its file is still migrated
    with warehouse.connect(db) as con:
        assert apply.runs_that_applied(con, runs.file_sha256(tmp_path / "old.csv")) == [old]
    # the younger run can still be rolled back
    assert rollback(db, young, now).removed == apply.Added(1, 0, 1, 1, 1)


# Views -----------------------------------------------------------------------------------------


def test_training_history_holds_live_archived_and_portal_rows(db, tmp_path):
    with warehouse.connect(db) as con:
        write_template(tmp_path / "portal.csv", PORTAL_ENROLLMENTS)
        portal.load_portal(con, enrollments=tmp_path / "portal.csv", import_date=IMPORT_DATE)
    run_id = apply_rows(db, tmp_path / "m.csv", MIXED, headers=[*HEADERS, EXPIRES])

    assert query(db, "select source_row, email, username, course_name, status, completed_at, store, run_id "
                     "from training_history order by run_id nulls first, source_row") == [
        (2, "ann@example.com", "ann", "Privacy", "Completed", D(2024, 2, 1, 11), "live", None),
        (2, "ann@example.com", "ann", "Safety", "Completed", D(2024, 6, 1, 11), "live", run_id),
        (3, "ann@example.com", "ann", "Privacy", "In Progress", None, "live", run_id),
        (4, "dora@example.com", "dora", "Safety", "Passed", D(2023, 1, 14, 11), "archived", run_id),
        (5, "dora@example.com", "dora", "Safety", "Completed", D(2023, 1, 15, 11), "live", run_id),
        (6, "dora@example.com", "dora", "Expiring", "Failed", D(2024, 6, 1, 11), "live", run_id),
        (7, "bob@example.com", "bobby", "Safety", "Not Started", None, "live", run_id),
        (8, "ann@example.com", "ann", "Expiring", "Passed", D(2024, 7, 1, 11), "live", run_id),
        (9, "ann@example.com", "ann", "Privacy", "Completed", D(2020, 1, 1, 11), "archived", run_id),
        (10, "dora@example.com", "dora", "Expiring", "Completed", D(2021, 3, 3, 11), "archived", run_id),
    ]
    assert query(db, "select * from completions_by_year") == [
        (2020, "Privacy", "archived", "Completed", 1),
        (2021, "Expiring", "archived", "Completed", 1),
        (2023, "Safety", "archived", "Passed", 1),
        (2023, "Safety", "live", "Completed", 1),
        (2024, "Expiring", "live", "Failed", 1),
        (2024, "Expiring", "live", "Passed", 1),
        (2024, "Privacy", "live", "Completed", 1),
        (2024, "Safety", "live", "Completed", 1),
    ]


def test_rolled_back_rows_leave_the_views(db, tmp_path):
    run_id = apply_rows(db, tmp_path / "m.csv", MIXED, headers=[*HEADERS, EXPIRES])
    rollback(db, run_id, APPLIED_AT + H)
    assert query(db, "select count(*) from training_history") == [(0,)]
    assert query(db, "select count(*) from completions_by_year") == [(0,)]


# The command line: rollback, runs, history -------------------------------------------------------


@pytest.fixture
def cli(db, tmp_path):
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, ["--db", str(db), "--reports", str(tmp_path / "reports"), *args],
                             catch_exceptions=False)

    return invoke


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat()


@pytest.mark.usefixtures("prefect_harness")
@pytest.mark.parametrize("now", [
    _iso(APPLIED_AT + WINDOW - MINUTE),
    (APPLIED_AT + WINDOW - MINUTE).replace(tzinfo=dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=2))).isoformat(),
])
def test_cli_rollback_at_167h59_is_done(cli, db, tmp_path, now):
    before = contents(db, STORE)
    run_id = apply_rows(db, tmp_path / "m.csv", MIXED, headers=[*HEADERS, EXPIRES])
    done = cli("rollback", run_id, "--now", now, "--json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout) == {
        "run_id": run_id, "state": "rolled_back",
        "removed": {"enrollments": 6, "archived": 3, "certificates": 3, "credits": 3, "badges": 2},
        "fingerprint_restored": True,
    }
    assert contents(db, STORE) == before
    assert query(db, "select state, rolled_back_at from migration_runs") == [("rolled_back", APPLIED_AT + WINDOW - MINUTE)]


@pytest.mark.usefixtures("prefect_harness")
@pytest.mark.parametrize("now", [
    _iso(APPLIED_AT + WINDOW + MINUTE),
    # 08:01 at UTC-2 is 10:01 UTC: past the window, although its wall-clock time is not
    (APPLIED_AT + WINDOW + MINUTE).replace(tzinfo=dt.UTC).astimezone(dt.timezone(-2 * H)).isoformat(),
])
def test_cli_rollback_at_168h01_is_refused_with_exit_3(cli, db, tmp_path, now):
    run_id = apply_rows(db, tmp_path / "m.csv", MIXED, headers=[*HEADERS, EXPIRES])
    before = contents(db)
    refused = cli("rollback", run_id, "--now", now, "--json")
    assert refused.exit_code == 3
    assert json.loads(refused.stdout) == {"run_id": run_id, "state": "refused", "reason": "rollback_window_expired"}
    assert contents(db) == before


@pytest.mark.usefixtures("prefect_harness")
def test_cli_rollback_refusals_exit_3_with_their_reason(cli, db, tmp_path):
    run_id = apply_rows(db, tmp_path / "m.csv", MIXED, headers=[*HEADERS, EXPIRES])
    validated = cli("validate", str(tmp_path / "m.csv"), "--import-date", "2025-01-15", "--json")
    assert validated.exit_code == 0
    validate_id = json.loads(validated.stdout)["run_id"]
    assert cli("rollback", run_id, "--now", _iso(APPLIED_AT + H)).exit_code == 0
    before = contents(db)

    for target, reason in [
        (run_id, "already_rolled_back"),
        (validate_id, "not_applied"),
        ("20250115T090000Z-abcdef", "not_applied"),
        ("../../etc", "not_applied"),
    ]:
        refused = cli("rollback", target, "--now", _iso(APPLIED_AT + 2 * H), "--json")
        assert refused.exit_code == 3, target
        assert json.loads(refused.stdout) == {"run_id": target, "state": "refused", "reason": reason}
        assert contents(db) == before

    # without --json, a person reads the reason on stderr
    readable = cli("rollback", run_id)
    assert readable.exit_code == 3
    assert "already_rolled_back" in readable.stderr and readable.stdout == ""


@pytest.mark.usefixtures("prefect_harness")
def test_cli_runs_lists_the_log_newest_first(cli, db, tmp_path):
    first = apply_rows(db, tmp_path / "first.csv", MIXED, headers=[*HEADERS, EXPIRES])
    second = apply_rows(db, tmp_path / "second.csv", [row("carl@example.com", "Safety", completed="1/3/2024")],
                        applied_at=APPLIED_AT + H)
    rollback(db, first, APPLIED_AT + 2 * H)
    write_template(tmp_path / "bad.csv", [row("stranger@example.com"), row("ann@example.com")])
    invalid = cli("validate", str(tmp_path / "bad.csv"), "--import-date", "2025-01-15", "--json")
    assert invalid.exit_code == 1
    third = json.loads(invalid.stdout)["run_id"]

    listed = cli("runs", "--json")
    assert listed.exit_code == 0
    log = json.loads(listed.stdout)
    keys = ("run_id", "command", "state", "rows", "live", "archived", "skipped", "errors", "warnings")
    assert [tuple(entry[k] for k in keys) for entry in log] == [
        (third, "validate", "invalid", 2, 1, 0, 0, 1, 0),
        (second, "run", "applied", 1, 1, 0, 0, 0, 0),
        (first, "run", "rolled_back", 9, 6, 3, 0, 0, 1),
    ]
    assert log[1]["applied_at"] == (APPLIED_AT + H).isoformat() and log[1]["rolled_back_at"] is None
    assert log[2]["rolled_back_at"] == (APPLIED_AT + 2 * H).isoformat()
    assert log[0]["applied_at"] is None

    table = cli("runs")  # for people: a table, whose run ids are never cut (they are what rollback takes)
    assert table.exit_code == 0
    positions = [table.stdout.find(run_id) for run_id in (third, second, first)]
    assert -1 not in positions and positions == sorted(positions)


HISTORY_HEADER = ("Login ID,Course Name,Enrollment Status,Enrollment Score,Enrollment Created Date,"
                  "Enrollment Started Date,Enrollment Completed Date,Store")


@pytest.mark.usefixtures("prefect_harness")
def test_cli_history_exports_the_learners_live_and_archived_rows(cli, db, tmp_path):
    with warehouse.connect(db) as con:
        write_template(tmp_path / "portal.csv", PORTAL_ENROLLMENTS)
        portal.load_portal(con, enrollments=tmp_path / "portal.csv", import_date=IMPORT_DATE)
    apply_rows(db, tmp_path / "m.csv", MIXED, headers=[*HEADERS, EXPIRES])

    out = tmp_path / "ann.csv"
    done = cli("history", "ANN", "--out", str(out))  # by username, any case
    assert done.exit_code == 0, done.output
    assert done.stdout == ""
    assert out.read_text(encoding="utf-8").splitlines() == [
        HISTORY_HEADER,
        "ann@example.com,Privacy,Completed,,15/01/2025,15/01/2025,01/01/2020,archived",
        "ann@example.com,Privacy,Completed,,15/01/2025,15/01/2025,01/02/2024,live",
        "ann@example.com,Safety,Completed,,01/05/2024,02/05/2024,01/06/2024,live",
        "ann@example.com,Expiring,Passed,75.5,01/07/2024,01/07/2024,01/07/2024,live",
        "ann@example.com,Privacy,In Progress,,15/01/2025,15/01/2025,,live",
    ]
    # by email, to standard output: the same rows
    by_email = cli("history", "ann@example.com")
    assert by_email.exit_code == 0
    assert by_email.stdout == out.read_text(encoding="utf-8")


@pytest.mark.usefixtures("prefect_harness")
def test_cli_history_neutralises_formulas(cli, db, tmp_path):
    apply_rows(db, tmp_path / "m.csv", [row("=cmd@example.com", "+Risk Basics", completed="1/3/2024")])
    out = tmp_path / "eve.csv"
    assert cli("history", "eve", "--out", str(out)).exit_code == 0
    assert out.read_text(encoding="utf-8").splitlines() == [
        HISTORY_HEADER,
        "'=cmd@example.com,'+Risk Basics,Completed,,15/01/2025,15/01/2025,01/03/2024,live",
    ]


@pytest.mark.usefixtures("prefect_harness")
def test_cli_history_of_a_learner_without_enrollments_is_the_header(cli, db):
    done = cli("history", "dora")
    assert done.exit_code == 0
    assert done.stdout.splitlines() == [HISTORY_HEADER]


@pytest.mark.usefixtures("prefect_harness")
def test_cli_history_of_an_unknown_learner_exits_2(cli, db, tmp_path):
    done = cli("history", "stranger@example.com", "--out", str(tmp_path / "x.csv"))
    assert done.exit_code == 2
    assert "stranger@example.com" in done.stderr
    assert not (tmp_path / "x.csv").exists()


@pytest.mark.usefixtures("prefect_harness")
def test_cli_history_never_mixes_two_learners(cli, db, tmp_path):
    """'ann@example.org' is Ann Other's email and Carl's username (RULES.md: ambiguous_user)."""
    apply_rows(db, tmp_path / "m.csv", [row("annie", "Safety", completed="1/3/2024"),
                                         row("carl@example.com", "Privacy", completed="1/3/2024")])
    done = cli("history", "ann@example.org", "--out", str(tmp_path / "x.csv"))
    assert done.exit_code == 2
    assert not (tmp_path / "x.csv").exists()
    # each of them by an unambiguous login
    annie = cli("history", "annie")
    assert annie.stdout.splitlines()[1:] == ["ann@example.org,Safety,Completed,,15/01/2025,15/01/2025,01/03/2024,live"]
    carl = cli("history", "carl@example.com")
    assert carl.stdout.splitlines()[1:] == ["carl@example.com,Privacy,Completed,,15/01/2025,15/01/2025,01/03/2024,live"]


# Nothing partial: real processes killed inside their transaction -------------------------------


def _killed_at(fault: str, args: list[str], tmp_path: Path) -> None:
    """Run the command in a real process that stops at the fault point; kill -9 it there."""
    from prefect.settings import PREFECT_API_URL

    marker = tmp_path / f"{fault}.marker"
    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value(), FAULT_AT: fault, FAULT_MARKER: str(marker)}
    with (tmp_path / f"{fault}.err").open("w") as errors:
        process = subprocess.Popen([sys.executable, "-m", "enrollment_migrate", *args],
                                   stdout=subprocess.DEVNULL, stderr=errors, env=env)
        try:
            deadline = time.monotonic() + 120
            while not marker.exists():
                assert process.poll() is None, (
                    f"the process ended ({process.returncode}) before the fault point:\n"
                    + (tmp_path / f"{fault}.err").read_text()
                )
                assert time.monotonic() < deadline, "the fault point was never reached"
                time.sleep(0.05)
            os.kill(process.pid, signal.SIGKILL)
            assert process.wait(timeout=30) == -signal.SIGKILL
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert marker.read_text() == str(process.pid)


@pytest.mark.usefixtures("prefect_harness")
def test_kill_during_apply_leaves_the_warehouse_as_before(cli, db, tmp_path):
    # an earlier run and its log are in place: they must survive unchanged too
    apply_rows(db, tmp_path / "earlier.csv", [row("carl@example.com", "Safety", completed="1/3/2024")])
    before, fingerprint_before = contents(db), store_fingerprint(db)
    migration = write_template(tmp_path / "m.csv", MIXED)

    _killed_at("apply", ["--db", str(db), "--reports", str(tmp_path / "reports"),
                         "run", str(migration), "--import-date", "2025-01-15"], tmp_path)

    assert store_fingerprint(db) == fingerprint_before
    assert contents(db) == before  # no run recorded, no rows, no awards, no snapshot
    # the warehouse is usable, and the file was never migrated: it applies now
    done = cli("run", str(migration), "--import-date", "2025-01-15", "--json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["state"] == "applied"
    assert query(db, "select count(*) from enrollments where run_id = ?", [json.loads(done.stdout)["run_id"]]) == [(6,)]


@pytest.mark.usefixtures("prefect_harness")
def test_kill_during_rollback_leaves_the_run_applied_with_all_its_rows(cli, db, tmp_path):
    run_id = apply_rows(db, tmp_path / "m.csv", MIXED, headers=[*HEADERS, EXPIRES])
    before, fingerprint_before = contents(db), store_fingerprint(db)

    _killed_at("rollback", ["--db", str(db), "rollback", run_id, "--now", _iso(APPLIED_AT + H)], tmp_path)

    assert store_fingerprint(db) == fingerprint_before
    assert contents(db) == before
    assert query(db, "select state, rolled_back_at from migration_runs") == [("applied", None)]
    # and the rollback can then be done
    done = cli("rollback", run_id, "--now", _iso(APPLIED_AT + H), "--json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["fingerprint_restored"] is True


def test_apply_refuses_what_another_writer_made_unacceptable_since_the_check(db, tmp_path):
    """Checks run before the apply's transaction; it repeats the ones another run can spoil."""
    one = [row("ann@example.com", "Licensed", completed="1/1/2020")]
    other = [row("dora@example.com", "Licensed", completed="2/2/2020"),
             row("carl@example.com", "Licensed", completed="3/3/2020")]
    checked_one = check(db, tmp_path / "one.csv", one)
    checked_other = check(db, tmp_path / "other.csv", other)  # both fit the 2 seats on their own
    assert checked_one.state == checked_other.state == "valid"
    apply_rows(db, tmp_path / "one.csv", one)
    before = contents(db)

    plan = runs.plan_run("run", str(tmp_path / "other.csv"), tmp_path / "reports", RunOptions(IMPORT_DATE))
    record = runs.run_record(plan, checked_other, "applied", APPLIED_AT)
    with warehouse.connect(db) as con, pytest.raises(apply.ChangedSinceCheck) as changed:
        apply.apply_run(con, record, checked_other.findings, checked_other.migrated)
    assert changed.value.findings["rule"].to_list() == ["license_shortfall"]
    assert contents(db) == before

    again = runs.plan_run("run", str(tmp_path / "one.csv"), tmp_path / "reports", RunOptions(IMPORT_DATE))
    with warehouse.connect(db) as con, pytest.raises(apply.ChangedSinceCheck) as reapplied:
        apply.apply_run(con, runs.run_record(again, checked_one, "applied", APPLIED_AT),
                        checked_one.findings, checked_one.migrated)
    assert "file_already_migrated" in reapplied.value.findings["rule"].to_list()
    assert contents(db) == before
