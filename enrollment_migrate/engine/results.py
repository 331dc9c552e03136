"""A check's result kept on disk between flow tasks, and opened again."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import polars as pl

from enrollment_migrate.engine.model import CheckResult, Counts, empty_migrated


def save_result(result: CheckResult, directory: Path) -> None:
    """Keep a check's result on disk so that the next step (another task) can pick it up.
    Migrated rows and findings already in Parquet files stay where they are; the result names
    them."""
    directory.mkdir(parents=True, exist_ok=True)
    findings = result.findings
    if isinstance(findings, pl.DataFrame):
        findings.write_ipc(directory / "findings.arrow", compression="lz4")
    migrated = result.migrated
    if isinstance(migrated, pl.DataFrame):
        # Read once or twice, whole (the split, the apply): no statistics to write.
        migrated.write_parquet(directory / "migrated.parquet", compression="lz4", statistics=False)
        migrated = [directory / "migrated.parquet"]
    meta = {
        "state": result.state, "counts": asdict(result.counts), "by_year": result.by_year,
        "portal_fingerprint": result.portal_fingerprint, "migrated": [str(path) for path in migrated],
        "findings": None if isinstance(findings, pl.DataFrame) else [str(path) for path in findings],
        "readiness": result.readiness,
    }
    (directory / "result.json").write_text(json.dumps(meta), encoding="utf-8")



def _meta(directory: Path) -> dict:
    return json.loads((directory / "result.json").read_text(encoding="utf-8"))


def saved_rows(directory: Path) -> list[Path]:
    """The Parquet files of a saved result's migrated rows, without reading its findings."""
    return [Path(path) for path in _meta(directory)["migrated"]]


def open_saved_result(directory: Path, with_rows: bool = True) -> CheckResult:
    """The saved result; its migrated rows as the Parquet files that hold them, or none when
    the reader needs only the verdict; its findings as they were saved (a frame, or the Parquet
    files that hold them)."""
    meta = _meta(directory)
    found = meta.get("findings")
    return CheckResult(
        meta["state"],
        pl.read_ipc(directory / "findings.arrow") if found is None else [Path(path) for path in found],
        [Path(path) for path in meta["migrated"]] if with_rows else empty_migrated(),
        Counts(**meta["counts"]),
        meta["by_year"],
        meta.get("portal_fingerprint"),
        meta.get("readiness", []),
    )
