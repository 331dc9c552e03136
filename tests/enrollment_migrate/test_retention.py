"""Retired partitions: an analyst's session querying without pause never errs while runs are
applied and rolled back; the retired files are deleted after the retention, and only when no
session is open; a crash between the catalog swap and the deletion leaves nothing a later
command cannot clean."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from conftest import REPO, row, write_template
from enrollment_migrate.options import RunOptions
from enrollment_migrate import apply, engine, portal, retention, runs, warehouse
from enrollment_migrate.errors import BadSetting
from enrollment_migrate.faults import FAULT_AT, FAULT_MARKER
from enrollment_migrate.publish import PARTITIONED, publish

sys.path.insert(0, str(REPO / "bench"))
from analyst_session import AnalystSession  # noqa: E402

IMPORT = dt.date(2025, 1, 15)
USERS, COURSES = 400, 100


@pytest.fixture
def published_portal(portal_warehouse) -> Path:
    with warehouse.connect(portal_warehouse) as con:
        publish(con, portal_warehouse)
    return portal_warehouse


@pytest.fixture
def big_portal(tmp_path) -> Path:
    """A portal of 400 learners and 100 courses, with one applied run of 40,000 completions: the
    partitions a query scans before it reaches a new run's file."""
    db = tmp_path / "w.duckdb"
    users = tmp_path / "users.csv"
    users.write_text("email,username,first_name,last_name,login_enabled\n" + "".join(
        f"u{i}@example.com,u{i},U,{i},true\n" for i in range(USERS + 1)), encoding="utf-8")
    courses = tmp_path / "courses.csv"
    courses.write_text(
        "name,published,kind,license_seats,ilt_capacity,certificate,certificate_expires_after_days,"
        "recertification,credits,badge,enrollment_reminders,due_date_reminders,overdue_reminders,ilt_reminders\n"
        + "".join(f"C{j},true,elearning,,,,,false,0,,false,false,false,false\n" for j in range(COURSES)),
        encoding="utf-8",
    )
    with warehouse.connect(db) as con:
        portal.load_portal(con, users=users, courses=courses)
        apply_rows(con, tmp_path / "kept.csv", [
            row(f"u{i}@example.com", f"C{j}", completed="1/6/2024") for i in range(USERS) for j in range(COURSES)
        ])
        publish(con, db)
    return db


def apply_rows(con, path: Path, rows) -> str:
    write_template(path, rows)
    result = engine.check_file(path, con, engine.RunOptions(IMPORT))
    assert result.state == "valid", result.findings
    plan = runs.plan_run("run", str(path), path.parent / "reports", RunOptions(IMPORT))
    record = runs.run_record(plan, result, "applied", dt.datetime.now(dt.UTC).replace(tzinfo=None))
    apply.apply_run(con, record, result.findings, result.migrated)
    return plan.run_id


def retired_files(db: Path) -> list[str]:
    """The retired partition files, as table/name (manifests apart)."""
    return sorted(f"{f.path.parent.name}/{f.path.name}" for f in retention.status(db).retired
                  if f.path.parent.name != retention.MANIFESTS)


def files_on_disk(db: Path) -> list[str]:
    return sorted(f"{p.parent.name}/{p.name}" for p in warehouse.parts_dir(db).rglob("*.parquet"))


def catalog(db: Path, query: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.sql(query).fetchall()


@pytest.mark.slow
def test_a_session_querying_without_pause_never_errs_through_runs_and_rollbacks(big_portal, tmp_path):
    """Each cycle applies a run of one live and one archived row and rolls it back, publishing
    after each. Before retired partitions were kept, this session failed on about half the
    rollbacks ("Cannot open file": 8 errors in 16 cycles)."""
    base = catalog(big_portal, "select count(*), sum(source_row) from enrollments")[0]
    session = AnalystSession(big_portal, tmp_path)
    cycles, rolled_back = 16, []
    for cycle in range(cycles):
        with warehouse.connect(big_portal) as con:
            run_id = apply_rows(con, tmp_path / f"m{cycle}.csv", [
                row(f"u{USERS}@example.com", "C0"), row(f"u{USERS}@example.com", "C1", completed="1/6/2019"),
            ])
            publish(con, big_portal)
            apply.rollback_run(con, run_id, dt.datetime.now(dt.UTC).replace(tzinfo=None))
            publish(con, big_portal)
        rolled_back.append(run_id)
    seen = session.finish()

    assert seen["errors"] == []
    assert seen["queries"] > cycles * 4  # it really queried throughout
    # every answer was right: the kept rows, with or without the cycle's live row (file row 2);
    # the live and archived views together show both of the cycle's rows or neither, never one
    assert {tuple(answer) for answer in seen["seen"]} <= {
        ("enrollments", *base), ("enrollments", base[0] + 1, base[1] + 2),
        ("history", base[0], 0), ("history", base[0] + 2, 0),
    }
    # retired, not deleted: a session was open, and the hour is not up
    retired = retired_files(big_portal)
    assert {f"enrollments/{run_id}.parquet" for run_id in rolled_back} <= set(retired)
    assert {name.split("/")[1].removesuffix(".parquet") for name in retired} == set(rolled_back)


def test_a_rolled_back_run_leaves_the_views_at_once_and_its_files_after_the_retention(
    published_portal, tmp_path, monkeypatch
):
    db = published_portal
    with warehouse.connect(db) as con:
        run_id = apply_rows(con, tmp_path / "m.csv", [row(), row("dora@example.com", "Safety", completed="1/1/2019")])
        publish(con, db)
    assert catalog(db, "select count(*) from training_history") == [(2,)]
    run_files = {f"{t}/{run_id}.parquet" for t in PARTITIONED} & set(files_on_disk(db))
    assert {"enrollments/" + run_id + ".parquet", "archived_enrollments/" + run_id + ".parquet"} <= run_files

    with warehouse.connect(db) as con:
        apply.rollback_run(con, run_id, dt.datetime.now(dt.UTC).replace(tzinfo=None))
        publish(con, db)
    assert catalog(db, "select count(*) from training_history") == [(0,)]
    assert catalog(db, "select count(*) from certificates") == [(0,)]
    assert set(retired_files(db)) == run_files  # still on disk: the hour is not up

    monkeypatch.setenv(retention.RETENTION_VARIABLE, "0")
    with warehouse.connect(db) as con:
        publish(con, db)
    assert retired_files(db) == []
    assert not run_files & set(files_on_disk(db))
    assert len(list((warehouse.parts_dir(db) / retention.MANIFESTS).glob("*.parquet"))) == 1
    assert catalog(db, "select count(*) from training_history") == [(0,)]


def test_an_open_session_holds_the_deletion_back_until_it_closes(published_portal, tmp_path, monkeypatch):
    db = published_portal
    monkeypatch.setenv(retention.RETENTION_VARIABLE, "0")
    session = AnalystSession(db, tmp_path)  # opened on this catalog, which the next publications swap out
    with warehouse.connect(db) as con:
        run_id = apply_rows(con, tmp_path / "m.csv", [row()])
        publish(con, db)
        apply.rollback_run(con, run_id, dt.datetime.now(dt.UTC).replace(tzinfo=None))
        publish(con, db)
        publish(con, db)
    assert retention.status(db).open_sessions == 1
    assert "enrollments/" + run_id + ".parquet" in retired_files(db)
    assert session.finish()["errors"] == []

    assert retention.status(db).open_sessions == 0
    expire_flow_sweeps(db)
    assert retired_files(db) == []
    assert retention.status(db).retired == ()  # the older manifests too


def expire_flow_sweeps(db: Path) -> None:
    from flows.rollback import expire_flow

    assert expire_flow.fn(db=str(db))["deleted_files"] > 0


def test_a_crash_between_the_catalog_swap_and_the_deletion_leaves_nothing_a_later_command_cannot_clean(
    published_portal, tmp_path
):
    db = published_portal
    with warehouse.connect(db) as con:
        run_id = apply_rows(con, tmp_path / "m.csv", [row()])
        publish(con, db)
    marker = tmp_path / "at-fault"
    env = {**os.environ, FAULT_AT: "sweep", FAULT_MARKER: str(marker), retention.RETENTION_VARIABLE: "0"}
    crashing = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import datetime as dt
        from enrollment_migrate import apply, warehouse
        from enrollment_migrate.publish import publish
        with warehouse.connect({str(db)!r}) as con:
            apply.rollback_run(con, {run_id!r}, dt.datetime.now(dt.UTC).replace(tzinfo=None))
            publish(con, {str(db)!r})
    """)], env=env, cwd=REPO, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert crashing.poll() is None and time.monotonic() < deadline, crashing.stderr.read()
        time.sleep(0.05)
    crashing.send_signal(signal.SIGKILL)
    crashing.wait()

    # the swap was done: the run is out of the views; its files wait, unreferenced by any view
    assert catalog(db, "select count(*) from enrollments") == [(0,)]
    assert "enrollments/" + run_id + ".parquet" in retired_files(db)
    os.environ[retention.RETENTION_VARIABLE] = "0"
    try:
        expire_flow_sweeps(db)
    finally:
        del os.environ[retention.RETENTION_VARIABLE]
    assert retired_files(db) == []
    assert not [name for name in files_on_disk(db) if run_id in name]
    assert catalog(db, "select count(*) from enrollments") == [(0,)]


def test_a_partition_the_state_no_longer_wants_is_retired_whatever_a_crash_left(published_portal, tmp_path):
    db = published_portal
    with warehouse.connect(db) as con:
        run_id = apply_rows(con, tmp_path / "m.csv", [row()])
        publish(con, db)
        apply.rollback_run(con, run_id, dt.datetime.now(dt.UTC).replace(tzinfo=None))
        # a crash here: committed, never published; then a stray file of no manifest appears too
    stray = warehouse.parts_dir(db) / "enrollments" / "stray.parquet"
    stray.write_bytes((warehouse.parts_dir(db) / "enrollments" / f"{run_id}.parquet").read_bytes())
    with warehouse.connect(db) as con:
        publish(con, db)
    assert {"enrollments/stray.parquet", f"enrollments/{run_id}.parquet"} <= set(retired_files(db))
    assert catalog(db, "select count(*) from enrollments") == [(0,)]


@pytest.mark.parametrize(("given", "seconds"), [("", 3600), ("90", 90), ("2.5s", 2.5), ("30m", 1800), ("1h", 3600), (" 2D ", 172800), ("0", 0)])
def test_the_retention_is_a_duration(monkeypatch, given, seconds):
    monkeypatch.setenv(retention.RETENTION_VARIABLE, given)
    assert retention.retention().total_seconds() == seconds


@pytest.mark.parametrize("given", ["an hour", "-5", "1w", "1h30m"])
def test_a_retention_that_is_not_a_duration_is_refused_by_name(monkeypatch, given):
    monkeypatch.setenv(retention.RETENTION_VARIABLE, given)
    with pytest.raises(BadSetting, match=retention.RETENTION_VARIABLE):
        retention.retention()


def test_a_bad_retention_keeps_the_files_and_never_fails_the_publication(published_portal, tmp_path, monkeypatch):
    db = published_portal
    with warehouse.connect(db) as con:
        run_id = apply_rows(con, tmp_path / "m.csv", [row()])
        publish(con, db)
        apply.rollback_run(con, run_id, dt.datetime.now(dt.UTC).replace(tzinfo=None))
        monkeypatch.setenv(retention.RETENTION_VARIABLE, "soon")
        publish(con, db)
    monkeypatch.setenv(retention.RETENTION_VARIABLE, "1h")
    assert f"enrollments/{run_id}.parquet" in retired_files(db)


def test_asking_whether_a_session_is_open_takes_no_lock(published_portal, tmp_path):
    db = published_portal
    assert retention.open_sessions(db) == 0
    session = AnalystSession(db, tmp_path)
    assert retention.open_sessions(db) == 1
    # asking again and again never turns away a second session opening meanwhile
    for _ in range(20):
        assert retention.open_sessions(db) == 1
        with duckdb.connect(str(db), read_only=True) as con:
            con.sql("select count(*) from enrollments").fetchall()
    session.finish()
    assert retention.open_sessions(db) == 0
