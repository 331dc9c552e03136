"""What the Prefect UI shows for a run, read back through the Prefect API."""

import datetime as dt
import json
from pathlib import Path

import pytest

from conftest import REPO, write_template
from enrollment_migrate.options import RunOptions
from enrollment_migrate.artifacts import mask_login
from flows.portal import portal_load_flow
from flows.validate import validate_flow

SAMPLE = REPO / "data" / "sample"
pytestmark = pytest.mark.usefixtures("prefect_harness")


def artifacts_of(run_name_part: str) -> dict[str, object]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        ArtifactFilter, ArtifactFilterFlowRunId, FlowRunFilter, FlowRunFilterName,
    )

    with get_client(sync_client=True) as client:
        (run,) = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(name=FlowRunFilterName(like_=run_name_part))
        )
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run.id]))
        )
    return {"run": run, **{artifact.key: artifact for artifact in found}}


def test_a_validation_shows_its_verdict_findings_and_years(tmp_path):
    db = str(tmp_path / "w.duckdb")
    portal_load_flow(users=str(SAMPLE / "portal_users.csv"), courses=str(SAMPLE / "portal_courses.csv"), db=db)
    rows = [
        {"Login ID": "stranger.person@example.com", "Course Name": "Fire Safety Essentials",
         "Enrollment Completed Date": "1/6/2024", "Enrollment Status": "Completed"},
        {"Login ID": "ana.silva@example.com", "Course Name": "Fire Safety Essentials",
         "Enrollment Completed Date": "2/6/2024", "Enrollment Status": "Completed"},
    ]
    path = write_template(tmp_path / "artifacts-check.csv", rows)
    summary = validate_flow(file=str(path), db=db, reports_dir=str(tmp_path / "reports"), options=RunOptions(import_date=dt.date(2025, 1, 15)))
    found = artifacts_of("%artifacts-check.csv%")

    assert found["run"].name == "validate artifacts-check.csv @ 2025-01-15"
    assert {"migration-summary", "findings-by-rule", "findings-sample", "completions-by-year",
            "migration-progress"} <= set(found)
    markdown = found["migration-summary"].data
    assert "invalid" in markdown and summary["run_id"] in markdown and "| 2 | 1 | 0 | 0 | 1 | 0 |" in markdown
    page = Path(summary["report_dir"]) / "report.html"
    assert f"Report page: `{page}`" in markdown and page.is_file()
    by_rule = json.loads(found["findings-by-rule"].data)
    assert [(r["rule"], r["severity"], r["findings"]) for r in by_rule] == [("unknown_user", "error", 1)]
    sample = json.loads(found["findings-sample"].data)
    assert sample == [{"row": 2, "column": "Login ID", "rule": "unknown_user", "severity": "error",
                       "value": "st***@example.com"}]
    assert "stranger" not in found["findings-sample"].data + markdown
    assert json.loads(found["completions-by-year"].data) == [{"year": 2024, "completed": 1, "open": 0}]
    assert found["migration-progress"].data == 100.0
    steps = json.loads(found["migration-readiness"].data)
    assert [step["step"] for step in steps] == [item["item"] for item in summary["readiness"]]
    assert steps[0]["step"] == "File format and dates" and steps[0]["status"] == "ok"
    assert steps[1] == {"step": "Learners and courses in the portal", "status": "blocking",
                        "detail": "1 finding of unknown_user.", "count": 1, "rule": "unknown_user", "courses or paths": ""}
    assert "stranger" not in found["migration-readiness"].data  # courses and paths, never learners
    # nothing goes in: the checklist says what would once the file passes
    assert steps[-1]["detail"] == ("1 enrollment would be migrated once the file passes: the platform would set its "
                                   "modules to Not Completed, whatever the enrollment's status.")


@pytest.mark.parametrize(
    ("login", "masked"),
    [("anna@example.com", "an***@example.com"), ("bobby", "bo***"), ("a@x.org", "a***@x.org")],
)
def test_login_ids_are_masked(login, masked):
    assert mask_login(login) == masked


def test_a_run_completes_in_prefect_with_its_applied_summary(tmp_path):
    from prefect.states import StateType

    from flows.run import run_flow

    db = str(tmp_path / "w.duckdb")
    portal_load_flow(users=str(SAMPLE / "portal_users.csv"), courses=str(SAMPLE / "portal_courses.csv"), db=db)
    path = tmp_path / "applied-check.csv"
    path.write_bytes((SAMPLE / "migration.csv").read_bytes())
    summary = run_flow(file=str(path), db=db, reports_dir=str(tmp_path / "r"), options=RunOptions(import_date=dt.date(2025, 1, 15)))
    found = artifacts_of("%applied-check.csv%")

    assert found["run"].state.type == StateType.COMPLETED
    assert found["run"].name == "run applied-check.csv @ 2025-01-15"
    assert "applied" in found["migration-summary"].data
    assert f"| {summary['certificates']} | {summary['credits']} | {summary['badges']} |" in found["migration-summary"].data
    assert sum(r["findings"] for r in json.loads(found["findings-by-rule"].data)) == sum(summary["rule_counts"].values())
    steps = {step["step"]: step for step in json.loads(found["migration-readiness"].data)}
    assert steps["Module statuses"]["detail"].startswith(f"The modules of the {summary['live'] + summary['archived']} "
                                                         "migrated enrollments are set to Not Completed")
