"""Faults around a run: a full disk inside the apply or the rollback leaves the store exactly as
before; a full disk while publishing leaves the committed change standing and the analysts'
catalog one step behind until the next command; a missing snapshot does not stop a rollback."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from conftest import row, write_template
from enrollment_migrate.options import RunOptions
from enrollment_migrate import apply, warehouse
from enrollment_migrate.errors import NoSpace
from enrollment_migrate.faults import FAULT_AT
from flows.rollback import rollback_flow
from flows.run import run_flow

pytestmark = pytest.mark.usefixtures("prefect_harness")
IMPORT = dt.date(2025, 1, 15)
TABLES = ("enrollments", "archived_enrollments", "certificates", "credits", "badges", "migration_runs",
          "migration_snapshots", "migration_findings")


@pytest.fixture
def db(portal_warehouse):
    return portal_warehouse


def state(db) -> dict[str, list[tuple]]:
    with duckdb.connect(str(warehouse.state_path(db)), read_only=True) as con:
        return {t: sorted(con.execute(f"select * from {t}").fetchall(), key=repr) for t in TABLES}


def catalog_count(db, table: str) -> int:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(f"select count(*) from {table}").fetchall()[0][0]


def migration(tmp_path):
    return write_template(tmp_path / "m.csv", [row(), row("dora@example.com", "Safety", completed="1/1/2019")])


def test_a_full_disk_inside_the_apply_changes_nothing(db, tmp_path, monkeypatch):
    before = state(db)
    monkeypatch.setenv(FAULT_AT, "apply:enospc")
    with pytest.raises(NoSpace, match="nothing was applied"):
        run_flow(file=str(migration(tmp_path)), db=str(db), reports_dir=str(tmp_path / "r"), options=RunOptions(import_date=IMPORT))
    assert state(db) == before


def test_a_full_disk_inside_the_rollback_changes_nothing(db, tmp_path, monkeypatch):
    summary = run_flow(file=str(migration(tmp_path)), db=str(db), reports_dir=str(tmp_path / "r"), options=RunOptions(import_date=IMPORT))
    before = state(db)
    monkeypatch.setenv(FAULT_AT, "rollback:enospc")
    with pytest.raises(OSError, match="No space left"):
        rollback_flow(run_id=summary["run_id"], db=str(db))
    assert state(db) == before
    monkeypatch.delenv(FAULT_AT)
    assert rollback_flow(run_id=summary["run_id"], db=str(db))["state"] == "rolled_back"


def test_a_full_disk_while_publishing_leaves_the_catalog_behind_until_the_next_command(db, tmp_path, monkeypatch):
    run_flow(file=str(write_template(tmp_path / "first.csv", [row()])), db=str(db), reports_dir=str(tmp_path / "r"), options=RunOptions(import_date=IMPORT))
    assert catalog_count(db, "enrollments") == 1
    monkeypatch.setenv(FAULT_AT, "publish:enospc")
    summary = run_flow(file=str(migration(tmp_path)), db=str(db), reports_dir=str(tmp_path / "r"), options=RunOptions(import_date=IMPORT))
    assert summary["state"] == "applied"  # the state is the record: the change stands
    assert catalog_count(db, "enrollments") == 1  # the analysts' catalog is one step behind
    assert not list(warehouse.parts_dir(db).rglob("*.tmp"))  # and holds no partial file
    monkeypatch.delenv(FAULT_AT)
    rollback_flow(run_id="20250101T000000Z-000000", db=str(db))  # refused: changes nothing
    run_flow(file=str(write_template(tmp_path / "third.csv", [row("carl@example.com", "Privacy")])), db=str(db), reports_dir=str(tmp_path / "r"), options=RunOptions(import_date=IMPORT))
    assert catalog_count(db, "enrollments") == 3  # caught up


def test_a_missing_snapshot_does_not_stop_a_rollback(db, tmp_path):
    summary = run_flow(file=str(migration(tmp_path)), db=str(db), reports_dir=str(tmp_path / "r"), options=RunOptions(import_date=IMPORT))
    with warehouse.connect(db) as con:
        con.execute("delete from migration_snapshots")
        done = apply.rollback_run(con, summary["run_id"], dt.datetime.now(dt.UTC).replace(tzinfo=None))
    assert done.fingerprint_restored is None  # no proof without the snapshot
    assert (done.removed.enrollments, done.removed.archived) == (1, 1)
    assert state(db)["enrollments"] == [] and state(db)["archived_enrollments"] == []


@pytest.mark.parametrize(("task", "options"), [
    ("check_whole", {}),  # a file within the memory budget: read and checked in one task
    ("check", {"part_mb": 0.001}),  # in parts: the learners' and courses' check after the load
], ids=["whole", "in parts"])
def test_a_portal_change_between_check_and_apply_applies_nothing(db, tmp_path, monkeypatch, task, options):
    """The course is unpublished after the check: the apply refuses rather than apply unchecked."""
    from flows import tasks

    checked_then = getattr(tasks, task).fn

    def check_then_change_the_portal(plan, *args):
        checked = checked_then(plan, *args)
        with warehouse.connect(args[-1]) as con:
            con.execute("update courses set published = false where name = 'Privacy'")
        return checked

    monkeypatch.setattr(getattr(tasks, task), "fn", check_then_change_the_portal)
    before = state(db)
    with pytest.raises(apply.PortalChanged, match="changed while the file was being checked"):
        run_flow(file=str(migration(tmp_path)), db=str(db), reports_dir=str(tmp_path / "r"),
                 options=RunOptions(import_date=IMPORT, **options))
    assert state(db) == before
