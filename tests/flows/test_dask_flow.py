"""The flows with their per-part work on a Dask cluster (in this process): the same findings,
rows and counts as the single-process run, and one commit at the end."""

import dataclasses
import datetime as dt
import time
from collections import Counter

import duckdb
import polars as pl
import pytest

from conftest import IMPORT_DATE
from enrollment_migrate.options import RunOptions
from enrollment_migrate import file_parts
from flows.run import run_flow
from flows.validate import validate_flow
from mixed_file import mixed_rows, write

pytestmark = pytest.mark.usefixtures("prefect_harness")

TINY_PARTS_MB = 0.001  # about 1 KB: each file below in several parts and learner buckets


@pytest.fixture
def db(portal_warehouse):
    return portal_warehouse


def task_runs(file: str, expected: dict[str, int]) -> Counter:
    """How many runs of each task the flow run on Dask of this file had. Task runs on Dask
    workers reach the API through events, a moment after the flow returns: wait for them."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    deadline = time.monotonic() + 30
    with get_client(sync_client=True) as client:
        (flow_run,) = [r for r in client.read_flow_runs()
                       if r.parameters.get("file") == file and (r.parameters.get("options") or {}).get("dask_address")]
        while True:
            runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run.id])))
            found = Counter(t.name.rsplit("-", 1)[0] for t in runs)
            if found == expected or time.monotonic() > deadline:
                return found
            time.sleep(0.5)


def outputs(summary: dict) -> dict:
    folder = summary["report_dir"]
    return {
        "summary": {k: v for k, v in summary.items() if k not in ("run_id", "report_dir", "report_page")},
        "findings": pl.read_csv(f"{folder}/findings.csv", infer_schema=False).sort(pl.all()),
        "live": pl.read_parquet(f"{folder}/live.parquet").sort("row"),
        "archived": pl.read_parquet(f"{folder}/archived.parquet").sort("row"),
    }


def test_on_dask_the_flow_finds_what_one_process_finds(db, tmp_path):
    file = str(write(tmp_path / "mixed.csv", mixed_rows(300)))
    common = dict(file=file, db=str(db), reports_dir=str(tmp_path / "reports"))
    options = RunOptions(IMPORT_DATE, skip_invalid_rows=True)
    alone = validate_flow(**common, options=options)
    distributed = validate_flow(
        **common, options=dataclasses.replace(options, dask_address="local", part_mb=TINY_PARTS_MB)
    )
    assert alone["rule_counts"]["duplicate_row"] and alone["live"] and alone["archived"]
    parts = len(file_parts.cut(file, int(TINY_PARTS_MB * (1 << 20))).parts)
    assert parts > 5
    expected = {"load part": parts, "check learners": parts, "conclude": 1, "split": 1, "report": 1}
    assert task_runs(file, expected) == expected
    a, b = outputs(alone), outputs(distributed)
    assert a["summary"] == b["summary"]
    for name in ("findings", "live", "archived"):
        assert a[name].equals(b[name]), name


def test_on_dask_a_run_commits_once_at_the_end(db, tmp_path):
    # Skippable faults only (unknown users, duplicates), spread over parts and buckets.
    rows = [
        [login, course, "", "", completed, "", "Completed"]
        for completed in ("1/6/2024", "3/3/2019", "15/1/2025")
        for course in ("Safety", "Privacy", "Recert", "Expiring")
        for login in ("ann@example.com", "bob@example.com", "dora@example.com", "ghost@example.com")
    ]
    file = str(write(tmp_path / "fitting.csv", rows + rows[:10]))
    summary = run_flow(file=file, db=str(db), reports_dir=str(tmp_path / "reports"), options=RunOptions(
        IMPORT_DATE, skip_invalid_rows=True, dask_address="local", part_mb=TINY_PARTS_MB
    ))
    assert summary["state"] == "applied", summary["rule_counts"]
    with duckdb.connect(str(db), read_only=True) as con:
        stored = con.execute(
            "select (select count(*) from enrollments where run_id = $r), "
            "(select count(*) from archived_enrollments where run_id = $r), "
            "(select count(*) from migration_runs)", {"r": summary["run_id"]},
        ).fetchall()
    assert stored == [(summary["live"], summary["archived"], 1)]
    assert summary["live"] == pl.read_parquet(f"{summary['report_dir']}/live.parquet").height
    assert dt.date.fromisoformat(summary["import_date"]) == IMPORT_DATE
