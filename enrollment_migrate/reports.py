"""The report folder of a run (INTERFACES.md): summary.json, findings.csv and the rows' Parquet."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from enrollment_migrate.engine import Migrated, migrated_frame
from enrollment_migrate.faults import fault_point
from enrollment_migrate.formulas import FORMULA_START, neutralise_formulas  # noqa: F401 - re-exported
from enrollment_migrate.files import replace_atomically, write_text_atomically


def run_dir(reports: Path, run_id: str) -> Path:
    path = reports / run_id
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def write_findings_csv(findings: pl.DataFrame, path: Path) -> None:
    columns = ["row", "column", "rule", "severity", "value", "message"]
    frame = neutralise_formulas(findings.select(columns))
    replace_atomically(path, frame.write_csv)
    fault_point("findings", path)


def write_summary(summary: dict[str, object], path: Path) -> None:
    write_text_atomically(path, json.dumps(summary, indent=2) + "\n")
    fault_point("summary", path)


def write_rows(migrated: Migrated, directory: Path) -> dict[str, Path]:
    """live.parquet and archived.parquet: the rows as they are (or would be) migrated, streamed
    from the check's files (a file checked in parts lists its rows learner bucket by bucket)."""
    written = {}
    for store in ("live", "archived"):
        path = directory / f"{store}.parquet"
        migrated_frame(migrated).filter(pl.col("store") == store).drop("store").sink_parquet(path)
        fault_point("rows", path)
        written[store] = path
    return written
