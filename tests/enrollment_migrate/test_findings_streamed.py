"""Issue 21, point 5: a file in which every row has a finding keeps memory within a bound, whatever
the number of findings: no step of a validation or a run holds more than a batch of them
(engine.findings.BATCH_ROWS, made small here), findings.csv is never read whole, and the run log
takes them from their Parquet files. These are what the memory depended on (a 2.5M-row file took
1.7 GB); they are counted here, not measured, so that the test cannot be flaky.

The order and the counts are the same as with every finding in memory: test_findings_kept.py,
and the last tests below, across batch boundaries."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import polars as pl
import pytest

from conftest import IMPORT_DATE, row, write_template
from enrollment_migrate import reports, warehouse
from enrollment_migrate.engine import findings as kept
from enrollment_migrate.options import RunOptions
from flows.run import run_flow
from flows.validate import validate_flow
from schemas.findings import FINDING_SCHEMA, Findings, sort_findings

pytestmark = pytest.mark.usefixtures("prefect_harness")

BATCH = 300
ROWS = 4000  # about 13 batches of findings


def all_findings_rows(n: int) -> list[dict[str, str]]:
    """Every row with a finding: unknown learners (errors), and Completed Dates on enrollments in
    progress (completed_date_ignored warnings, and duplicate_open_enrollment for the repeats)."""
    return [
        row(login=f"ghost{i}@example.com") if i % 2 == 0
        else row(course=["Privacy", "Safety"][i % 4 // 2], status="In Progress", completed="1/6/2024")
        for i in range(n)
    ]


@pytest.fixture
def watched(monkeypatch):
    """The largest number of findings held at once by the steps that used to hold them all, and
    what the run log's insert was given; findings.csv read whole fails."""
    seen = {"validated": 0, "neutralised": 0, "logged": []}
    monkeypatch.setattr(kept, "BATCH_ROWS", BATCH)

    validate = Findings.validate.__func__

    def validating(cls, frame, *args, **kwargs):
        seen["validated"] = max(seen["validated"], frame.height)
        return validate(cls, frame, *args, **kwargs)

    monkeypatch.setattr(Findings, "validate", classmethod(validating))
    neutralise = reports.neutralise_formulas

    def neutralising(frame):
        seen["neutralised"] = max(seen["neutralised"], frame.height)
        return neutralise(frame)

    monkeypatch.setattr(reports, "neutralise_formulas", neutralising)
    registered = warehouse.registered

    def registering(con, **frames):
        if "run_findings" in frames:
            seen["logged"].append(frames["run_findings"])
        return registered(con, **frames)

    monkeypatch.setattr(warehouse, "registered", registering)
    for name in ("read_csv", "scan_csv"):
        whole = getattr(pl, name)

        def refuse(source, *args, _whole=whole, **kwargs):
            assert not str(source).endswith("findings.csv"), "findings.csv read whole"
            return _whole(source, *args, **kwargs)

        monkeypatch.setattr(pl, name, refuse)
    return seen


def findings_in(report_dir: Path) -> list[dict[str, str]]:
    with (report_dir / "findings.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("flow", [validate_flow, run_flow], ids=["validate", "run"])
def test_no_step_holds_more_than_a_batch_of_findings(flow, watched, portal_warehouse, tmp_path):
    path = write_template(tmp_path / "all-findings.csv", all_findings_rows(ROWS))
    options = RunOptions(IMPORT_DATE, part_mb=0.05, skip_invalid_rows=flow is run_flow)
    summary = flow(file=str(path), db=str(portal_warehouse), reports_dir=str(tmp_path / "reports"), options=options)
    total = sum(summary["rule_counts"].values())
    assert total >= ROWS and summary["state"] == ("applied" if flow is run_flow else "invalid")
    assert 0 < watched["validated"] <= BATCH
    assert 0 < watched["neutralised"] <= BATCH
    (logged,) = watched["logged"]
    assert isinstance(logged, list) and all(isinstance(file, Path) for file in logged)  # files, not a frame
    written = findings_in(Path(summary["report_dir"]))
    numbered = [int(found["row"]) for found in written if found["row"]]
    assert len(written) == total and numbered == sorted(numbered) and numbered[-1] == ROWS + 1
    with warehouse.connect(portal_warehouse) as con:
        assert con.execute("select count(*) from migration_findings where run_id = ?",
                           [summary["run_id"]]).fetchone() == (total,)
    assert "unknown_user" in (Path(summary["report_dir"]) / "report.html").read_text(encoding="utf-8")


def random_sources(folder: Path, seed: int) -> tuple[list[kept.Source], list[pl.DataFrame]]:
    """Findings files as the steps of a check leave them, with many ties (same row, severity, rule
    and column), and the same findings as conclude would concatenate them in memory."""
    pick = random.Random(seed)
    severity = {"unknown_user": "error", "bad_score": "error", "license_shortfall": "fatal",
                "duplicate_row": "skipped", "unknown_column": "warning"}
    sources, frames = [], []
    for index in range(5):
        rules = [pick.choice(list(severity)) for _ in range(700)]
        frame = pl.DataFrame({
            "row": [None if pick.random() < 0.05 else pick.randint(1, 60) for _ in rules],
            "column": [pick.choice([None, "Login ID", "Course Name", "é"]) for _ in rules],
            "rule": rules, "severity": [severity[rule] for rule in rules],
            "value": [pick.choice([None, "", "=1+1", "Safety", "Privacy"]) for _ in rules],
            "message": [f"{index}-{i}" for i in range(len(rules))],
        }, schema=FINDING_SCHEMA)
        frame.write_parquet(folder / f"{index}.parquet", row_group_size=97)
        offset, rows_only = index * 40, index in (1, 3)
        sources.append(kept.Source(folder / f"{index}.parquet", offset, rows_only))
        shifted = frame.with_columns(pl.col("row") + offset)
        frames.append(shifted.filter(pl.col("row").is_not_null()) if rows_only else shifted)
    return sources, frames


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_files_give_the_order_and_the_counts_of_the_frame(seed, tmp_path, monkeypatch):
    monkeypatch.setattr(kept, "BATCH_ROWS", 64)  # counts that cross batch boundaries
    sources, frames = random_sources(tmp_path, seed)
    # the last as the course checks' findings, which conclude has in memory
    in_order = kept.OnDisk(sources[:-1], tmp_path / "sorted").sorted_with(frames[-1])
    expected = sort_findings(pl.concat(frames))
    assert pl.read_parquet(in_order).equals(expected)
    assert kept.tally(in_order).equals(kept.tally(expected))
    for severity in ("error", "skipped", "fatal", "warning"):
        assert kept.rows_of(in_order, severity) == kept.rows_of(expected, severity)
    file_finding = pl.DataFrame([{"row": None, "column": None, "rule": "file_already_migrated",
                                  "severity": "fatal", "value": None, "message": "applied"}], schema=FINDING_SCHEMA)
    assert pl.read_parquet(kept.with_file_findings(in_order, file_finding)).equals(
        kept.with_file_findings(expected, file_finding))
    written = {}
    for name, found in (("files", in_order), ("frame", expected)):
        reports.write_findings_csv(found, tmp_path / f"{name}.csv")
        written[name] = (tmp_path / f"{name}.csv").read_bytes()
    assert written["files"] == written["frame"]
    assert not list((tmp_path / "sorted" / "spill").iterdir())  # the sort's own files are gone
