"""Two commands at once on one warehouse, in real processes: never both write."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import duckdb
import pytest

from conftest import REPO, row, write_template
from enrollment_migrate import warehouse

SAMPLE = REPO / "data" / "sample"
pytestmark = pytest.mark.usefixtures("prefect_harness")


@pytest.fixture
def cli(tmp_path):
    from prefect.settings import PREFECT_API_URL

    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value(), "ENROLLMENT_MIGRATE_LOCK_TIMEOUT": "60"}
    base = [sys.executable, "-m", "enrollment_migrate", "--db", str(tmp_path / "w.duckdb"),
            "--reports", str(tmp_path / "reports")]

    def start(*args: str) -> subprocess.Popen:
        return subprocess.Popen([*base, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)

    def run(*args: str) -> subprocess.CompletedProcess:
        process = start(*args)
        out, err = process.communicate(timeout=240)
        return subprocess.CompletedProcess(args, process.returncode, out, err)

    done = run("portal", "load", "--users", str(SAMPLE / "portal_users.csv"),
               "--courses", str(SAMPLE / "portal_courses.csv"))
    assert done.returncode == 0, done.stderr
    return start, run


def state_rows(tmp_path, query: str) -> list[tuple]:
    with duckdb.connect(str(warehouse.state_path(tmp_path / "w.duckdb")), read_only=True) as con:
        return con.execute(query).fetchall()


def test_two_runs_of_one_file_at_once_apply_it_once(cli, tmp_path):
    start, _ = cli
    both = [start("run", str(SAMPLE / "migration.csv"), "--import-date", "2025-01-15", "--json") for _ in range(2)]
    outcomes = []
    for process in both:
        out, err = process.communicate(timeout=240)
        outcomes.append((process.returncode, json.loads(out)["state"] if out else err))
    assert sorted(outcomes) == [(0, "applied"), (1, "rejected")]
    assert state_rows(tmp_path, "select state, count(*) from migration_runs group by state order by state") == [
        ("applied", 1), ("rejected", 1),
    ]
    applied = state_rows(tmp_path, "select live + archived from migration_runs where state = 'applied'")[0][0]
    assert state_rows(tmp_path, "select (select count(*) from enrollments) + (select count(*) from archived_enrollments)") == [(applied,)]


def test_two_runs_that_together_overfill_a_course_never_both_apply(cli, tmp_path):
    """'Data Protection 101' has 50 licenses: two files of 30 rows each fit alone, not together."""
    start, _ = cli
    users = ["ana.silva@example.com", "ben.okafor@example.com", "chloe.martin@example.com",
             "emma.jones@example.com", "farid.haddad@example.com", "grace.liu@example.com"]
    for name, year in (("a.csv", 2020), ("b.csv", 2021)):
        rows = [row(users[i % 6], "Data Protection 101", "Passed", score="80",
                    completed=f"{1 + i // 6}/1/{year}") for i in range(30)]
        write_template(tmp_path / name, rows)
    both = [start("run", str(tmp_path / name), "--import-date", "2025-01-15", "--json") for name in ("a.csv", "b.csv")]
    states = sorted(json.loads(p.communicate(timeout=240)[0])["state"] for p in both)
    assert states == ["applied", "rejected"]
    assert state_rows(tmp_path, "select count(*) from archived_enrollments") == [(30,)]


def test_a_rollback_during_a_run_waits_its_turn(cli, tmp_path):
    start, run = cli
    first = run("run", str(SAMPLE / "migration.csv"), "--import-date", "2025-01-15", "--json")
    run_id = json.loads(first.stdout)["run_id"]
    other = write_template(tmp_path / "other.csv", [row("hugo.berg@example.com", "Forklift Operation", "Passed",
                                                        score="70", completed="1/1/2024")])
    running = start("run", str(other), "--import-date", "2025-01-15", "--json")
    rolling = start("rollback", run_id, "--json")
    assert json.loads(running.communicate(timeout=240)[0])["state"] == "applied"
    assert json.loads(rolling.communicate(timeout=240)[0])["state"] == "rolled_back"
    assert state_rows(tmp_path, "select state from migration_runs order by started_at") == [("rolled_back",), ("applied",)]
    assert state_rows(tmp_path, "select count(*) from enrollments") == [(1,)]
