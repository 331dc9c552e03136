"""The warehouse: where it is (the given path, else the environment, else the default), its state
opened in an owner-only folder beside the catalog, transactions that keep all or nothing, a run
logged together with its findings, frames visible to SQL for a block only, and one process at a
time: another waits, then gives up with WarehouseBusy naming the folder."""

from __future__ import annotations

import re
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import polars as pl
import pytest

from conftest import IMPORT_DATE, REPO
from enrollment_migrate import warehouse
from schemas.findings import FINDING_SCHEMA

# -- where it is --------------------------------------------------------------------------------


def test_the_warehouse_is_the_given_path_else_the_environments_else_the_default(monkeypatch, tmp_path):
    monkeypatch.delenv("ENROLLMENT_MIGRATE_DB", raising=False)
    assert warehouse.db_path() == warehouse.DEFAULT_DB == Path("data/warehouse.duckdb")
    assert warehouse.db_path(tmp_path / "given.duckdb") == tmp_path / "given.duckdb"
    monkeypatch.setenv("ENROLLMENT_MIGRATE_DB", str(tmp_path / "env.duckdb"))
    assert warehouse.db_path() == tmp_path / "env.duckdb"
    assert warehouse.db_path(str(tmp_path / "given.duckdb")) == tmp_path / "given.duckdb"


def test_the_reports_are_the_given_folder_else_the_environments_else_the_default(monkeypatch, tmp_path):
    monkeypatch.delenv("ENROLLMENT_MIGRATE_REPORTS", raising=False)
    assert warehouse.reports_path() == warehouse.DEFAULT_REPORTS == Path("data/reports")
    assert warehouse.reports_path(tmp_path / "given") == tmp_path / "given"
    monkeypatch.setenv("ENROLLMENT_MIGRATE_REPORTS", str(tmp_path / "env"))
    assert warehouse.reports_path() == tmp_path / "env"
    assert warehouse.reports_path(str(tmp_path / "given")) == tmp_path / "given"


# -- opening it ---------------------------------------------------------------------------------


def test_connect_makes_the_state_in_an_owner_only_folder_beside_the_catalog(tmp_path):
    db = tmp_path / "new" / "warehouse.duckdb"
    with warehouse.connect(db) as con:
        tables = {name for (name,) in con.execute("select table_name from information_schema.tables").fetchall()}
    store = tmp_path / "new" / "warehouse.duckdb.store"
    assert warehouse.store_dir(db) == store and warehouse.state_path(db) == store / "state.duckdb"
    assert stat.S_IMODE(store.stat().st_mode) == 0o700
    assert (store / "state.duckdb").is_file()
    assert not db.exists()  # the catalog is published, never made by opening the state
    assert {"users", "courses", "enrollments", "archived_enrollments", "migration_runs",
            "migration_findings", "training_history"} <= tables


def test_the_state_is_kept_between_connections(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    with warehouse.connect(db) as con:
        con.execute("insert into users (email) values ('kept@example.com')")
    with warehouse.connect(db) as con:
        assert con.execute("select email from users").fetchall() == [("kept@example.com",)]


# -- transactions -------------------------------------------------------------------------------


def _emails(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [email for (email,) in con.execute("select email from users order by email").fetchall()]


@pytest.mark.parametrize("error", [ValueError("a step failed"), KeyboardInterrupt()])
def test_an_exception_inside_a_transaction_undoes_all_of_it(tmp_path, error):
    with warehouse.connect(tmp_path / "warehouse.duckdb") as con:
        con.execute("insert into users (email) values ('before@example.com')")
        with pytest.raises(type(error)), warehouse.transaction(con):
            con.execute("insert into users (email) values ('first@example.com')")
            con.execute("update users set username = 'changed'")
            raise error
        assert _emails(con) == ["before@example.com"]
        assert con.execute("select username from users").fetchall() == [(None,)]


def test_a_transaction_left_normally_is_committed(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    with warehouse.connect(db) as con, warehouse.transaction(con) as same:
        assert same is con
        same.execute("insert into users (email) values ('a@example.com'), ('b@example.com')")
    with warehouse.connect(db) as con:
        assert _emails(con) == ["a@example.com", "b@example.com"]


# -- the run log --------------------------------------------------------------------------------


def _run(run_id: str = "20250115T090000Z-abcdef", **changes) -> warehouse.RunRecord:
    return warehouse.RunRecord(**{
        "run_id": run_id, "command": "run", "file": "m.csv", "sha256": "f" * 64, "import_date": IMPORT_DATE,
        "state": "rejected", "started_at": warehouse.dt.datetime(2025, 1, 15, 9), "rows": 3, "errors": 2,
        "warnings": 1, "options": {"workers": 2, "skip_existing": False}, "report_dir": "reports/x",
        **changes,
    })


def _findings(*messages: str | None) -> pl.DataFrame:
    return pl.DataFrame(
        [{"row": i + 2, "column": "Login ID", "rule": "unknown_user", "severity": "error", "value": f"u{i}",
          "message": message} for i, message in enumerate(messages)],
        schema=FINDING_SCHEMA,
    )


def test_a_run_is_recorded_with_its_findings(tmp_path):
    with warehouse.connect(tmp_path / "warehouse.duckdb") as con:
        warehouse.record_run(con, _run(), _findings("first", "second"))
        runs = con.execute(
            "select run_id, command, file, sha256, import_date, state, started_at, applied_at, rows, live, "
            "errors, warnings, options, report_dir from migration_runs"
        ).fetchall()
        findings = con.execute(
            'select run_id, "row", "column", rule, severity, value, message from migration_findings order by "row"'
        ).fetchall()
    assert runs == [(
        "20250115T090000Z-abcdef", "run", "m.csv", "f" * 64, IMPORT_DATE, "rejected",
        warehouse.dt.datetime(2025, 1, 15, 9), None, 3, 0, 2, 1, '{"skip_existing": false, "workers": 2}', "reports/x",
    )]
    assert findings == [
        ("20250115T090000Z-abcdef", 2, "Login ID", "unknown_user", "error", "u0", "first"),
        ("20250115T090000Z-abcdef", 3, "Login ID", "unknown_user", "error", "u1", "second"),
    ]


def test_a_run_whose_findings_cannot_be_written_is_not_recorded_either(tmp_path):
    with warehouse.connect(tmp_path / "warehouse.duckdb") as con:
        with pytest.raises(duckdb.ConstraintException):
            warehouse.record_run(con, _run(), _findings("fine", None))  # a finding needs a message
        assert con.execute("select count(*) from migration_runs").fetchall() == [(0,)]
        assert con.execute("select count(*) from migration_findings").fetchall() == [(0,)]


def test_a_run_recorded_twice_keeps_its_findings_once(tmp_path):
    with warehouse.connect(tmp_path / "warehouse.duckdb") as con:
        warehouse.record_run(con, _run(), _findings("first"))
        with pytest.raises(duckdb.ConstraintException):
            warehouse.record_run(con, _run(state="applied"), _findings("again"))
        assert con.execute("select state from migration_runs").fetchall() == [("rejected",)]
        assert con.execute("select message from migration_findings").fetchall() == [("first",)]


def test_a_frame_is_visible_to_sql_within_the_block_only(tmp_path):
    # (no Python variable is named like the relation: DuckDB would find it by its name)
    with warehouse.connect(tmp_path / "warehouse.duckdb") as con:
        with warehouse.registered(con, visible_people=pl.DataFrame({"name": ["ann", "bob"]})):
            assert con.execute("select name from visible_people order by name").fetchall() == [("ann",), ("bob",)]
        with pytest.raises(duckdb.CatalogException, match="visible_people"):
            con.execute("select * from visible_people")


def test_a_frame_is_unregistered_when_the_block_fails(tmp_path):
    with warehouse.connect(tmp_path / "warehouse.duckdb") as con:
        with pytest.raises(RuntimeError), warehouse.registered(con, failing_block=pl.DataFrame({"x": [1]})):
            assert con.execute("select x from failing_block").fetchall() == [(1,)]
            raise RuntimeError
        with pytest.raises(duckdb.CatalogException, match="failing_block"):
            con.execute("select * from failing_block")


def test_parquet_files_are_registered_as_one_relation(tmp_path):
    files = []
    for i in range(3):
        pl.DataFrame({"x": [i, i + 10]}).write_parquet(tmp_path / f"{i}.parquet")
        files.append(tmp_path / f"{i}.parquet")
    with warehouse.connect(tmp_path / "warehouse.duckdb") as con, warehouse.registered(con, parquet_rows=files):
        assert con.execute("select sum(x), count(*) from parquet_rows").fetchall() == [(36, 6)]


# -- one process at a time ----------------------------------------------------------------------

HOLDER = textwrap.dedent(
    """
    import sys
    from enrollment_migrate import warehouse
    with warehouse.connect(sys.argv[1]):
        print("held", flush=True)
        sys.stdin.readline()  # until the test lets go
    """
)


def test_a_warehouse_held_by_another_process_is_busy_until_it_lets_go(tmp_path, monkeypatch):
    db = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("ENROLLMENT_MIGRATE_LOCK_TIMEOUT", "0.5")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db)], cwd=REPO,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline() == "held\n", holder.stderr.read()
        busy = pytest.raises(warehouse.WarehouseBusy, match=re.escape(str(warehouse.store_dir(db))))
        with busy, warehouse.connect(db):
            pass
        holder.stdin.close()
        assert holder.wait(timeout=60) == 0, holder.stderr.read()
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
    with warehouse.connect(db) as con:
        assert con.execute("select count(*) from migration_runs").fetchall() == [(0,)]
