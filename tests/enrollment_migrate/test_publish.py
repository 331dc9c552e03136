"""The analysts' catalog: a read-only session held open in another process never blocks a run or
a rollback, and sees their effect on its next query; the catalog follows the state exactly."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from conftest import PORTAL_COURSES, PORTAL_USERS, row, write_template
from enrollment_migrate.options import RunOptions
from enrollment_migrate import apply, engine, portal, retention, runs, warehouse
from enrollment_migrate.publish import publish

IMPORT = "2025-01-15"

READER = textwrap.dedent(
    """
    import json, sys, duckdb
    path = sys.argv[1]
    con = duckdb.connect(path, read_only=True)
    def counts():
        return {
            "enrollments": con.sql("select count(*) from enrollments").fetchall()[0][0],
            "archived": con.sql("select count(*) from archived_enrollments").fetchall()[0][0],
            "history": con.sql("select count(*) from training_history").fetchall()[0][0],
            "runs": con.sql("select state from migration_runs order by started_at").fetchall(),
        }
    print(json.dumps({"ready": counts()}), flush=True)
    for line in sys.stdin:
        command = line.strip()
        if command == "reconnect":
            con.close()
            con = duckdb.connect(path, read_only=True)
        if command == "exit":
            break
        print(json.dumps({command: counts()}), flush=True)
    """
)


class Reader:
    """An analyst's DuckDB session in its own process, open on the catalog until told to stop."""

    def __init__(self, db: Path):
        self.process = subprocess.Popen(
            [sys.executable, "-c", READER, str(db)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        self.first = self._answer()["ready"]

    def _answer(self) -> dict:
        line = self.process.stdout.readline()
        assert line, self.process.stderr.read()
        return json.loads(line)

    def ask(self, command: str = "query") -> dict:
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return self._answer()[command]

    def close(self) -> None:
        self.process.stdin.write("exit\n")
        self.process.stdin.flush()
        self.process.wait(timeout=30)


@pytest.fixture
def published(tmp_path) -> Path:
    db = tmp_path / "warehouse.duckdb"
    (tmp_path / "users.csv").write_text(PORTAL_USERS, encoding="utf-8")
    (tmp_path / "courses.csv").write_text(PORTAL_COURSES, encoding="utf-8")
    with warehouse.connect(db) as con:
        portal.load_portal(con, users=tmp_path / "users.csv", courses=tmp_path / "courses.csv")
        publish(con, db)
    return db


@pytest.mark.usefixtures("prefect_harness")
def test_a_reader_held_open_all_along_never_blocks_run_or_rollback(published, tmp_path):
    from prefect.settings import PREFECT_API_URL

    migration = write_template(tmp_path / "m.csv", [
        row(completed="1/6/2024"), row("dora@example.com", "Safety", completed="1/6/2019"),
    ])
    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value(), "ENROLLMENT_MIGRATE_LOCK_TIMEOUT": "5"}
    cli = [sys.executable, "-m", "enrollment_migrate", "--db", str(published), "--reports", str(tmp_path / "r")]
    reader = Reader(published)
    try:
        assert reader.first == {"enrollments": 0, "archived": 0, "history": 0, "runs": []}

        done = subprocess.run([*cli, "run", str(migration), "--import-date", IMPORT, "--json"],
                              capture_output=True, text=True, env=env, timeout=180)
        assert done.returncode == 0, done.stderr
        run_id = json.loads(done.stdout)["run_id"]
        # the open session sees the run's rows on its next query; its run log is the one it opened
        assert reader.ask() == {"enrollments": 1, "archived": 1, "history": 2, "runs": []}
        assert reader.ask("reconnect")["runs"] == [["applied"]]

        undone = subprocess.run([*cli, "rollback", run_id, "--json"],
                                capture_output=True, text=True, env=env, timeout=180)
        assert undone.returncode == 0, undone.stderr
        assert json.loads(undone.stdout)["state"] == "rolled_back"
        assert reader.ask() == {"enrollments": 0, "archived": 0, "history": 0, "runs": [["applied"]]}
        assert reader.ask("reconnect")["runs"] == [["rolled_back"]]
    finally:
        reader.close()
    assert reader.process.returncode == 0, reader.process.stderr.read()


def _apply(db: Path, path: Path, rows) -> str:
    write_template(path, rows)
    with warehouse.connect(db) as con:
        result = engine.check_file(path, con, engine.RunOptions(dt.date(2025, 1, 15)))
        plan = runs.plan_run("run", str(path), path.parent / "reports", RunOptions(dt.date(2025, 1, 15)))
        record = runs.run_record(plan, result, "applied", dt.datetime(2025, 1, 15, 9))
        apply.apply_run(con, record, result.findings, result.migrated)
    return plan.run_id


def _catalog(db: Path, query: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.sql(query).fetchall()


def test_the_catalog_catches_up_with_what_a_crash_left_unpublished(published, tmp_path):
    run_id = _apply(published, tmp_path / "m.csv", [row()])  # applied, never published
    assert _catalog(published, "select count(*) from enrollments") == [(0,)]
    with warehouse.connect(published) as con:
        publish(con, published)
    assert _catalog(published, "select run_id, source_row from enrollments") == [(run_id, 2)]
    assert _catalog(published, "select state from migration_runs") == [("applied",)]


def test_partitions_follow_the_state_and_a_rollback_retires_its_files(published, tmp_path):
    run_id = _apply(published, tmp_path / "m.csv", [row(), row("dora@example.com", completed="1/1/2019")])
    with warehouse.connect(published) as con:
        publish(con, published)
    parts = warehouse.parts_dir(published)
    assert (parts / "enrollments" / f"{run_id}.parquet").exists()
    assert (parts / "archived_enrollments" / f"{run_id}.parquet").exists()
    with warehouse.connect(published) as con:
        apply.rollback_run(con, run_id, dt.datetime(2025, 1, 15, 10))
        publish(con, published)
    # out of the views at once; on disk until the retention is up (tests/enrollment_migrate/test_retention.py)
    assert _catalog(published, "select count(*) from training_history") == [(0,)]
    retired = {f.path.name for f in retention.status(published).retired if f.path.parent.name != retention.MANIFESTS}
    assert retired == {f"{run_id}.parquet"}


def test_a_single_file_warehouse_of_before_becomes_the_state(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    (tmp_path / "users.csv").write_text(PORTAL_USERS, encoding="utf-8")
    with duckdb.connect(str(db)) as old:  # the layout of the first version: everything in one file
        from enrollment_migrate.sql_files import sql

        old.execute(sql("warehouse_schema"))
        old.execute("insert into users (email) values ('kept@example.com')")
    with warehouse.connect(db) as con:
        assert con.execute("select email from users").fetchall() == [("kept@example.com",)]
        publish(con, db)
    assert _catalog(db, "select email from users") == [("kept@example.com",)]
    assert warehouse.state_path(db).exists()


def test_the_catalog_is_readable_by_its_owner_only(published):
    assert published.stat().st_mode & 0o077 == 0
    assert warehouse.store_dir(published).stat().st_mode & 0o077 == 0


def test_the_catalog_publishes_the_portal_s_learning_paths_and_settings(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    (tmp_path / "courses.csv").write_text(PORTAL_COURSES, encoding="utf-8")
    (tmp_path / "paths.csv").write_text("learning_path,course_name\nOnboarding,Privacy\n", encoding="utf-8")
    (tmp_path / "settings.csv").write_text("setting,value\ntraining_history,false\n", encoding="utf-8")
    with warehouse.connect(db) as con:
        portal.load_portal(con, courses=tmp_path / "courses.csv", learning_paths=tmp_path / "paths.csv",
                           settings=tmp_path / "settings.csv")
        publish(con, db)
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute(
            "select learning_path, name from learning_paths join courses using (course_id)"
        ).fetchall() == [("Onboarding", "Privacy")]
        assert con.execute("select setting, value from portal_settings").fetchall() == [("training_history", False)]
