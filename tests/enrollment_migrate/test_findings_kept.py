"""Issue 21, point 5: findings are kept in Parquet files and streamed to findings.csv, the run log
and the report, never all in memory; and what a run writes is byte for byte what it wrote when
they were all in memory. The expected files in golden/ were written by the flows before the
change (tests/mixed_file.py's file, against the fixture portal with some history):

    REGENERATE_GOLDEN=1 .venv/bin/python -m pytest tests/enrollment_migrate/test_findings_kept.py

writes them again (only when a rule, a message or the summary is meant to change).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import IMPORT_DATE
from enrollment_migrate import warehouse
from enrollment_migrate.engine import readiness
from enrollment_migrate.options import RunOptions
from flows.run import run_flow
from flows.validate import validate_flow
from mixed_file import mixed_rows, write

pytestmark = pytest.mark.usefixtures("prefect_harness")

GOLDEN = Path(__file__).parent / "golden"
REGENERATE = os.environ.get("REGENERATE_GOLDEN") == "1"
PARTS = 0.004  # MB: the mixed file in about five parts
# Each case: the flow, its options, and the name of the files it must write.
CASES = {
    "whole": (validate_flow, RunOptions(IMPORT_DATE, part_mb=0), "mixed"),
    "parts": (validate_flow, RunOptions(IMPORT_DATE, part_mb=PARTS), "mixed"),
    "skip-invalid-rows": (validate_flow, RunOptions(IMPORT_DATE, part_mb=PARTS, skip_invalid_rows=True),
                          "mixed-skip-invalid-rows"),
    "skip-existing": (validate_flow, RunOptions(IMPORT_DATE, part_mb=PARTS, skip_existing=True),
                      "mixed-skip-existing"),
    "run": (run_flow, RunOptions(IMPORT_DATE, part_mb=PARTS, skip_invalid_rows=True), "mixed-run"),
}
# What differs from run to run, or from machine to machine.
UNSTABLE = ("run_id", "file", "report_dir")


def from_findings(summary: dict[str, object]) -> dict[str, object]:
    """What the summary says of the findings: every key but the unstable ones; of the readiness
    checklist, each item but the wording of the items that are facts of the portal (their
    sentences are not the findings', and change on their own)."""
    facts = {item.name for item in readiness.ITEMS if item.fact}
    return {
        **{key: value for key, value in summary.items() if key not in UNSTABLE},
        "readiness": [
            {key: value for key, value in item.items() if item["item"] not in facts or key not in ("detail", "details")}
            for item in summary["readiness"]
        ],
    }


@pytest.fixture(scope="module")
def mixed_file(tmp_path_factory) -> Path:
    return write(tmp_path_factory.mktemp("mixed") / "mixed.csv", mixed_rows(400))


@pytest.fixture
def history_warehouse(portal_warehouse: Path) -> Path:
    """The fixture portal holding enrollments some of the file's rows repeat (existing_enrollment)."""
    with warehouse.connect(portal_warehouse) as con:
        con.execute(
            "insert into enrollments (user_id, course_id, status, created_at, started_at, completed_at) "
            "select u.user_id, c.course_id, 'Completed', timestamp '2024-06-01', timestamp '2024-06-01', "
            "timestamp '2024-06-01 11:00' from users u, courses c "
            "where u.email in ('ann@example.com', 'dora@example.com') and c.name in ('Privacy', 'Safety')"
        )
    return portal_warehouse


def logged_findings(db: Path, run_id: str) -> list[list[object]]:
    """The run log's findings of the run, in a stable order (the table has none of its own)."""
    with warehouse.connect(db) as con:
        found = con.execute(
            'select "row", "column", rule, severity, value, message from migration_findings '
            "where run_id = ? order by all nulls first", [run_id],
        ).fetchall()
    return [list(item) for item in found]


@pytest.mark.parametrize("case", list(CASES))
def test_the_report_files_and_the_run_log_are_as_they_were(case, mixed_file, history_warehouse, tmp_path):
    flow, options, name = CASES[case]
    summary = flow(file=str(mixed_file), db=str(history_warehouse), reports_dir=str(tmp_path / "reports"),
                   options=options)
    folder = Path(summary["report_dir"])
    findings = (folder / "findings.csv").read_bytes()
    written = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert written == summary
    stable = {key: value for key, value in written.items() if key not in UNSTABLE}
    logged = logged_findings(history_warehouse, summary["run_id"])
    if REGENERATE:
        GOLDEN.mkdir(exist_ok=True)
        (GOLDEN / f"{name}-findings.csv").write_bytes(findings)
        (GOLDEN / f"{name}-summary.json").write_text(json.dumps(stable, indent=2) + "\n", encoding="utf-8")
        (GOLDEN / f"{name}-run-log.json").write_text(json.dumps(logged) + "\n", encoding="utf-8")
    assert findings == (GOLDEN / f"{name}-findings.csv").read_bytes()
    assert from_findings(stable) == from_findings(json.loads((GOLDEN / f"{name}-summary.json").read_text(encoding="utf-8")))
    assert logged == json.loads((GOLDEN / f"{name}-run-log.json").read_text(encoding="utf-8"))
    assert len(logged) == sum(summary["rule_counts"].values())
