"""The Prefect progress artifact moves by the run's fractions (enrollment_migrate.progress): the
file's read part by part and the buckets, not only the step ends; and a small file's run makes
no more updates than it has steps."""

import datetime as dt

import pytest

from conftest import REPO, row, write_template
from enrollment_migrate.options import RunOptions
from flows import tasks
from flows.portal import portal_load_flow
from flows.run import run_flow
from flows.validate import validate_flow

SAMPLE = REPO / "data" / "sample"
pytestmark = pytest.mark.usefixtures("prefect_harness")


@pytest.fixture
def sent(monkeypatch):
    """Every update of the progress artifact, as a percentage (sent on to the API too)."""
    updates = []
    real = tasks.update_progress_artifact

    def update(artifact, percent):
        updates.append(percent)
        return real(artifact, percent)

    monkeypatch.setattr(tasks, "update_progress_artifact", update)
    return updates


@pytest.fixture
def db(tmp_path):
    db = str(tmp_path / "w.duckdb")
    portal_load_flow(users=str(SAMPLE / "portal_users.csv"), courses=str(SAMPLE / "portal_courses.csv"), db=db)
    return db


def test_a_file_read_in_parts_moves_the_artifact_within_the_read_and_the_check(tmp_path, db, sent, monkeypatch):
    monkeypatch.setattr(tasks.ArtifactProgress, "INTERVAL", 0.0)  # every movement sent
    rows = [row("ana.silva@example.com", "Fire Safety Essentials", completed=f"{day % 28 + 1}/6/2024")
            for day in range(300)]
    path = write_template(tmp_path / "parts.csv", rows)
    options = RunOptions(import_date=dt.date(2025, 1, 15), part_mb=0.002)  # parts of about 2 kB
    summary = validate_flow(file=str(path), db=db, reports_dir=str(tmp_path / "r"), options=options)

    assert summary["rows"] == 300
    weights = {name: weight / sum(tasks.STEPS["validate"].values()) * 100
               for name, weight in tasks.STEPS["validate"].items()}
    read_end = weights["hash"] + weights["read"]
    check_end = read_end + weights["check"]
    assert sent == sorted(sent) and sent[-1] == 100.0
    within_read = [p for p in sent if weights["hash"] < p < read_end - 0.05]
    within_check = [p for p in sent if read_end + 0.05 < p < check_end - 0.05]
    assert len(within_read) >= 4, sent  # part by part
    assert len(within_check) >= 3, sent  # bucket by bucket
    assert pytest.approx(read_end, abs=0.1) in sent and pytest.approx(check_end, abs=0.1) in sent

    assert progress_artifact_of("%parts.csv%") == 100.0


def progress_artifact_of(run_name_part: str) -> float:
    """The progress artifact's value as the API holds it, for the one flow run so named."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey, FlowRunFilter, FlowRunFilterName,
    )

    with get_client(sync_client=True) as client:
        (run,) = client.read_flow_runs(flow_run_filter=FlowRunFilter(name=FlowRunFilterName(like_=run_name_part)))
        (artifact,) = client.read_artifacts(artifact_filter=ArtifactFilter(
            flow_run_id=ArtifactFilterFlowRunId(any_=[run.id]), key=ArtifactFilterKey(any_=["migration-progress"]),
        ))
    return artifact.data


def test_a_small_files_validate_and_run_update_the_artifact_once_a_step(tmp_path, db, sent):
    path = tmp_path / "small.csv"
    path.write_bytes((SAMPLE / "migration.csv").read_bytes())
    options = RunOptions(import_date=dt.date(2025, 1, 15))
    validate_flow(file=str(path), db=db, reports_dir=str(tmp_path / "r"), options=options)
    assert len(sent) == 4 and sent[-1] == 100.0  # read, check, split, report: as before
    sent.clear()
    assert run_flow(file=str(path), db=db, reports_dir=str(tmp_path / "r"), options=options)["state"] == "applied"
    assert len(sent) == 5 and sent == sorted(sent) and sent[-1] == 100.0  # and the apply
