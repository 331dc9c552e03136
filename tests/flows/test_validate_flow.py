"""The validate and portal-load flows, run through a Prefect test server."""

import datetime as dt
import json

import duckdb
import polars as pl
import pytest

from conftest import REPO
from flows.portal import portal_load_flow
from flows.validate import validate_flow
from enrollment_migrate.options import RunOptions
from enrollment_migrate.engine import PortalNotLoaded
from enrollment_migrate.runs import CannotRun

SAMPLE = REPO / "data" / "sample"

pytestmark = pytest.mark.usefixtures("prefect_harness")


@pytest.fixture
def loaded_portal(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    loaded = portal_load_flow(
        users=str(SAMPLE / "portal_users.csv"),
        courses=str(SAMPLE / "portal_courses.csv"),
        enrollments=str(SAMPLE / "portal_enrollments.csv"),
        import_date=dt.date(2025, 1, 15),
        db=str(db),
    )
    assert loaded == {"users": 8, "courses": 5, "enrollments": 2, "learning_paths": 0, "settings": 0}
    return db


def test_validate_flow_writes_the_report_folder_and_the_run_log(loaded_portal, tmp_path):
    summary = validate_flow(file=str(SAMPLE / "migration.csv"), db=str(loaded_portal), reports_dir=str(tmp_path / "reports"), options=RunOptions(import_date=dt.date(2025, 1, 15)))
    assert summary["state"] == "valid"
    assert summary["rows"] == summary["live"] + summary["archived"] + summary["skipped"]
    assert summary["rows"] == 22 and summary["errors"] == 0
    report = tmp_path / "reports" / summary["run_id"]
    assert json.loads((report / "summary.json").read_text()) == summary
    assert sorted(p.name for p in report.iterdir()) == [
        "archived.parquet", "charts.json", "findings.csv", "live.parquet", "report.html", "summary.json",
    ]
    assert pl.read_parquet(report / "live.parquet").height == summary["live"]
    assert pl.read_parquet(report / "archived.parquet").height == summary["archived"]
    findings = pl.read_csv(report / "findings.csv")
    assert findings.columns == ["row", "column", "rule", "severity", "value", "message"]
    assert findings.height == sum(summary["rule_counts"].values())

    with duckdb.connect(str(loaded_portal), read_only=True) as con:
        run = con.execute(
            "select state, rows, live, archived, skipped, errors, warnings, sha256 "
            "from migration_runs where run_id = ?",
            [summary["run_id"]],
        ).fetchone()
        assert run == (
            "valid", 22, summary["live"], summary["archived"], summary["skipped"], 0,
            summary["warnings"], summary["sha256"],
        )
        stored = con.execute(
            "select count(*) from migration_findings where run_id = ?", [summary["run_id"]]
        ).fetchone()
        assert stored == (findings.height,)
        # validate changes nothing but the run log
        assert con.execute("select count(*) from enrollments").fetchone() == (2,)


def test_validate_flow_refuses_a_missing_file(loaded_portal, tmp_path):
    with pytest.raises(CannotRun, match="no such file"):
        validate_flow(file=str(tmp_path / "absent.csv"), db=str(loaded_portal))


def test_validate_flow_needs_a_portal(tmp_path):
    with pytest.raises(PortalNotLoaded, match="no users or no courses"):
        validate_flow(file=str(SAMPLE / "migration.csv"), db=str(tmp_path / "empty.duckdb"))


def test_flow_runs_are_recorded_in_prefect(loaded_portal, tmp_path):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName
    from prefect.states import StateType

    summary = validate_flow(file=str(SAMPLE / "migration.csv"), db=str(loaded_portal), reports_dir=str(tmp_path / "reports"), options=RunOptions(import_date=dt.date(2025, 1, 15)))
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=["validate"])))
        mine = [r for r in runs if r.parameters.get("reports_dir") == str(tmp_path / "reports")]
        assert len(mine) == 1
        assert mine[0].state.type == StateType.COMPLETED
        assert "migration.csv" in mine[0].name
        tasks = client.read_task_runs()
        names = {t.name.rsplit("-", 1)[0] for t in tasks if t.flow_run_id == mine[0].id}
        assert names == {"check", "split", "report"}  # a small file: checked whole, in one task
    assert summary["state"] == "valid"
