"""The run, rollback and expire flows, run through a Prefect test server (RULES.md §4-§6)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest
from typer.testing import CliRunner

from conftest import IMPORT_DATE, row, write_template
from enrollment_migrate.options import RunOptions
from enrollment_migrate import warehouse
from enrollment_migrate.cli import app
from flows.rollback import expire_flow, rollback_flow
from flows.run import run_flow

pytestmark = pytest.mark.usefixtures("prefect_harness")

WINDOW = dt.timedelta(hours=168)
MINUTE = dt.timedelta(minutes=1)
STORE = ("users", "courses", "enrollments", "archived_enrollments", "certificates", "credits", "badges")

ROWS = [
    row("ann@example.com", "Safety", "Completed", created="1/5/2024", started="2/5/2024", completed="1/6/2024"),
    row("ann@example.com", "Privacy", "In Progress", completed=""),
    row("dora@example.com", "Safety", "Passed", score="90", completed="14/1/2023"),  # archived
    row("dora@example.com", "Expiring", "Failed", score="40", completed="1/6/2024"),
    row("dora@example.com", "Expiring", "Passed", score="80", completed="2/6/2024"),
]


@pytest.fixture
def db(portal_warehouse: Path) -> Path:
    return portal_warehouse


@pytest.fixture
def migrate(db: Path, tmp_path: Path):
    """migrate(file, **options) -> the run flow's summary, against the fixture portal."""

    def run(file: Path, **options) -> dict:
        return run_flow(file=str(file), db=str(db), reports_dir=str(tmp_path / "reports"),
                        options=RunOptions(IMPORT_DATE, **options))

    return run


def contents(db: Path, tables: tuple[str, ...] = STORE) -> dict[str, list[tuple]]:
    with duckdb.connect(str(warehouse.state_path(db)), read_only=True) as con:
        return {t: con.execute(f"select * from {t} order by all").fetchall() for t in tables}


def query(db: Path, text: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(warehouse.state_path(db)), read_only=True) as con:
        return con.execute(text, params or []).fetchall()


def applied_at(db: Path, run_id: str) -> dt.datetime:
    return query(db, "select applied_at from migration_runs where run_id = ?", [run_id])[0][0]


def test_run_flow_applies_an_acceptable_file(db, tmp_path, migrate):
    summary = migrate(write_template(tmp_path / "m.csv", ROWS))

    assert {k: summary[k] for k in ("state", "rows", "live", "archived", "skipped", "errors",
                                    "certificates", "credits", "badges")} == {
        "state": "applied", "rows": 5, "live": 4, "archived": 1, "skipped": 0, "errors": 0,
        "certificates": 2, "credits": 3, "badges": 1,
    }
    run_id = summary["run_id"]
    assert query(db, "select count(*), count(*) filter (where run_id = ?) from enrollments", [run_id]) == [(4, 4)]
    assert query(db, "select count(*), count(*) filter (where run_id = ?) from archived_enrollments", [run_id]) == [(1, 1)]
    assert query(db, "select certificate from certificates order by all") == [("Exp Cert",), ("Safety Cert",)]
    assert query(db, "select sum(credits) from credits") == [(3.0,)]
    assert query(db, "select badge from badges") == [("Safe Badge",)]
    (state, applied, rows, live, archived), = query(
        db, "select state, applied_at, rows, live, archived from migration_runs where run_id = ?", [run_id])
    assert (state, rows, live, archived) == ("applied", 5, 4, 1)
    assert abs(dt.datetime.now(dt.UTC).replace(tzinfo=None) - applied) < dt.timedelta(minutes=5)
    assert query(db, "select enrollments, archived, certificates, credits, badges from migration_snapshots "
                     "where run_id = ?", [run_id]) == [(4, 1, 2, 2, 1)]

    report = Path(summary["report_dir"])
    assert json.loads((report / "summary.json").read_text()) == summary
    assert sorted(p.name for p in report.iterdir()) == [
        "archived.parquet", "charts.json", "findings.csv", "live.parquet", "report.html", "summary.json",
    ]
    assert pl.read_parquet(report / "live.parquet").height == 4
    assert pl.read_parquet(report / "archived.parquet").height == 1


@pytest.mark.parametrize(("options", "tasks"), [
    # A file within the memory budget is read and checked whole, in one task.
    ({}, {"check", "split", "apply", "report"}),
    # Beyond it (or given a part size), in parts: the parts loaded, then the learners checked.
    ({"memory_budget": "1KB"}, {"load", "check", "split", "apply", "report"}),
    ({"part_mb": 0.001}, {"load", "check", "split", "apply", "report"}),
], ids=["whole", "beyond the budget", "given a part size"])
def test_run_flow_tasks_are_recorded_in_prefect(db, tmp_path, migrate, options, tasks):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName
    from prefect.states import StateType

    migrate(write_template(tmp_path / "m.csv", ROWS), **options)
    with get_client(sync_client=True) as client:
        flow_runs = client.read_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=["migrate"])))
        mine = [r for r in flow_runs if r.parameters.get("reports_dir") == str(tmp_path / "reports")]
        assert len(mine) == 1 and mine[0].state.type == StateType.COMPLETED
        names = {t.name.rsplit("-", 1)[0] for t in client.read_task_runs() if t.flow_run_id == mine[0].id}
        assert names == tasks


def test_run_flow_counts_licenses_on_archived_rows(db, tmp_path, migrate):
    """'Licensed' has 2 seats: 2 archived rows fit; 3 reject the whole file, writing nothing."""
    three = [row(login, "Licensed", completed="1/1/2020")
             for login in ("ann@example.com", "dora@example.com", "carl@example.com")]
    before = contents(db)

    rejected = migrate(write_template(tmp_path / "three.csv", three))
    assert rejected["state"] == "rejected"
    assert rejected["rule_counts"] == {"license_shortfall": 1}
    assert (rejected["live"], rejected["archived"], rejected["errors"]) == (0, 0, 1)
    # what went in is zero; what would have gone in, had it been accepted, is said apart
    assert rejected["would_have"] == {"live": 0, "archived": 3, "certificates": 0, "credits": 0, "badges": 0}
    assert contents(db) == before
    assert query(db, "select state, live, archived from migration_runs") == [("rejected", 0, 0)]
    assert query(db, "select count(*) from migration_snapshots") == [(0,)]

    applied = migrate(write_template(tmp_path / "two.csv", three[:2]))
    assert (applied["state"], applied["archived"]) == ("applied", 2)
    assert query(db, "select count(*) from archived_enrollments") == [(2,)]


def test_the_same_file_again_is_refused_unless_allowed(db, tmp_path, migrate):
    path = write_template(tmp_path / "m.csv", ROWS)
    first = migrate(path)
    assert first["state"] == "applied"
    after_first = contents(db)

    for again_path in (path, shutil.copy(path, tmp_path / "renamed.csv")):  # same content, any name
        again = migrate(Path(again_path))
        assert again["state"] == "rejected"
        assert again["rule_counts"]["file_already_migrated"] == 1
        assert (again["live"], again["archived"], again["certificates"]) == (0, 0, 0)
        assert contents(db) == after_first
        findings = pl.read_csv(Path(again["report_dir"]) / "findings.csv", infer_schema=False)
        refusal = findings.filter(pl.col("rule") == "file_already_migrated")
        assert refusal["severity"].to_list() == ["fatal"]
        assert first["run_id"] in refusal["message"][0]

    forced = migrate(path, allow_reapply=True)
    assert forced["state"] == "applied"
    assert query(db, "select count(*) from enrollments where run_id = ?", [forced["run_id"]]) == [(4,)]
    assert query(db, "select count(*) from enrollments") == [(8,)]
    assert query(db, "select state, count(*) from migration_runs group by all order by all") == [
        ("applied", 2), ("rejected", 2),
    ]


def test_after_rollback_the_file_may_run_again(db, tmp_path, migrate):
    path = write_template(tmp_path / "m.csv", ROWS)
    first = migrate(path)
    assert rollback_flow(run_id=first["run_id"], db=str(db))["state"] == "rolled_back"
    again = migrate(path)
    assert again["state"] == "applied" and "file_already_migrated" not in again["rule_counts"]
    assert query(db, "select distinct run_id from enrollments") == [(again["run_id"],)]


def test_cli_reapply_exits_1_and_allow_reapply_exits_0(db, tmp_path):
    runner = CliRunner()
    path = write_template(tmp_path / "m.csv", ROWS)

    def run(*options: str):
        return runner.invoke(app, ["--db", str(db), "--reports", str(tmp_path / "reports"), "run", str(path),
                                   "--import-date", "2025-01-15", "--json", *options], catch_exceptions=False)

    assert run().exit_code == 0
    before = contents(db)
    refused = run()
    assert refused.exit_code == 1
    summary = json.loads(refused.stdout)
    assert summary["state"] == "rejected" and summary["rule_counts"]["file_already_migrated"] == 1
    assert contents(db) == before
    forced = run("--allow-reapply")
    assert forced.exit_code == 0
    assert json.loads(forced.stdout)["state"] == "applied"


def test_rollback_flow_of_the_latest_and_of_an_older_run(db, tmp_path, migrate):
    before = contents(db)
    older = migrate(write_template(tmp_path / "older.csv", ROWS))["run_id"]
    after_older = contents(db)
    later = migrate(write_template(tmp_path / "later.csv", [row("carl@example.com", "Safety", completed="1/3/2024")]))["run_id"]
    later_rows = query(db, "select * from enrollments where run_id = ? order by all", [later])

    done = rollback_flow(run_id=older, db=str(db))
    assert done == {
        "run_id": older, "state": "rolled_back",
        "removed": {"enrollments": 4, "archived": 1, "certificates": 2, "credits": 2, "badges": 1},
        "fingerprint_restored": None,
    }
    assert query(db, "select * from enrollments order by all") == later_rows
    assert query(db, "select run_id from certificates union all select run_id from credits "
                     "union all select run_id from badges") == [(later,)] * 3

    assert rollback_flow(run_id=later, db=str(db))["fingerprint_restored"] is None
    assert contents(db) == before
    assert after_older != before


def test_rollback_flow_restores_the_latest_run_exactly_and_frees_its_seats(db, tmp_path, migrate):
    two = [row("ann@example.com", "Licensed", completed="1/1/2020"),
           row("dora@example.com", "Licensed", "In Progress", completed="")]
    before = contents(db)
    run_id = migrate(write_template(tmp_path / "two.csv", two))["run_id"]
    third = write_template(tmp_path / "third.csv", [row("carl@example.com", "Licensed", "Not Started", completed="")])
    assert migrate(third)["rule_counts"] == {"license_shortfall": 1}

    done = rollback_flow(run_id=run_id, db=str(db))
    assert done == {
        "run_id": run_id, "state": "rolled_back",
        "removed": {"enrollments": 1, "archived": 1, "certificates": 0, "credits": 0, "badges": 0},
        "fingerprint_restored": True,
    }
    assert contents(db) == before
    assert migrate(third)["state"] == "applied"  # the course that was full accepts rows again


def test_rollback_flow_window_edges(db, tmp_path, migrate):
    run_id = migrate(write_template(tmp_path / "m.csv", ROWS))["run_id"]
    at = applied_at(db, run_id)
    before = contents(db, STORE + ("migration_runs",))

    refused = rollback_flow(run_id=run_id, now=at + WINDOW + MINUTE, db=str(db))
    assert {k: refused[k] for k in ("run_id", "state", "reason")} == {
        "run_id": run_id, "state": "refused", "reason": "rollback_window_expired",
    }
    assert contents(db, STORE + ("migration_runs",)) == before

    # the same moment given with a time zone
    aware = (at + WINDOW - MINUTE).replace(tzinfo=dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=5)))
    assert rollback_flow(run_id=run_id, now=aware, db=str(db))["state"] == "rolled_back"
    assert query(db, "select state, rolled_back_at from migration_runs") == [("rolled_back", at + WINDOW - MINUTE)]

    again = rollback_flow(run_id=run_id, db=str(db))
    assert (again["state"], again["reason"]) == ("refused", "already_rolled_back")


def test_expire_flow_expires_runs_older_than_168_hours(db, tmp_path, migrate):
    old = migrate(write_template(tmp_path / "old.csv", ROWS[:1]))["run_id"]
    young = migrate(write_template(tmp_path / "young.csv", ROWS[1:2]))["run_id"]
    now = dt.datetime(2025, 3, 1, 12, 0)
    with duckdb.connect(str(warehouse.state_path(db))) as con:  # as if applied 168 h 1 min and 167 h 59 min before `now`
        con.execute("update migration_runs set applied_at = ? where run_id = ?", [now - WINDOW - MINUTE, old])
        con.execute("update migration_runs set applied_at = ? where run_id = ?", [now - WINDOW + MINUTE, young])
    before = contents(db)

    assert expire_flow(now=now, db=str(db)) == {"expired": [old], "deleted_files": 0}
    assert contents(db) == before
    assert query(db, "select run_id, state from migration_runs order by applied_at") == [
        (old, "expired"), (young, "applied"),
    ]
    assert query(db, "select expired_at from migration_snapshots where run_id = ?", [old]) == [(now,)]

    refused = rollback_flow(run_id=old, now=now - WINDOW, db=str(db))  # inside its old window
    assert (refused["state"], refused["reason"]) == ("refused", "rollback_window_expired")
    assert rollback_flow(run_id=young, now=now, db=str(db))["state"] == "rolled_back"
    assert expire_flow(now=now + WINDOW, db=str(db)) == {"expired": [], "deleted_files": 0}  # rolled back: nothing to expire
