"""The report folder of a run (INTERFACES.md): summary.json, findings.csv and the rows' Parquet."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import polars as pl

from enrollment_migrate.faults import fault_point
from enrollment_migrate.formulas import neutralise_formulas
from enrollment_migrate.files import replace_atomically, write_text_atomically

if TYPE_CHECKING:
    from enrollment_migrate.engine import Migrated
    from enrollment_migrate.engine.findings import Found

# The engine is imported by the writers alone: the read-only commands read findings.csv (the
# page, the terminal's first problems) without loading it.


def run_dir(reports: Path, run_id: str) -> Path:
    path = reports / run_id
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def write_findings_csv(findings: Found, path: Path) -> None:
    """Every finding, in order, from their Parquet files (or a frame) a batch at a time, each
    batch through neutralise_formulas: memory does not grow with their number, and the file is
    the one writing them all at once gives."""
    from enrollment_migrate.engine.findings import batches

    columns = ["row", "column", "rule", "severity", "value", "message"]

    def write(handle: BinaryIO) -> None:
        header = True
        for batch in batches(findings, columns):
            neutralise_formulas(batch).write_csv(handle, include_header=header)
            header = False
        if header:  # no finding: the header alone
            neutralise_formulas(pl.DataFrame(schema={name: pl.String for name in columns})).write_csv(handle)

    replace_atomically(path, write)
    fault_point("findings", path)


FINDINGS_CSV_COLUMNS = ["row", "column", "rule", "severity", "value", "message"]
# findings.csv is read back (the report page, the terminal's first problems) a block of about
# this many bytes at a time: a run's millions of findings are never all in memory.
CSV_BLOCK_BYTES = 1 << 20


def findings_csv_batches(findings_csv: Path) -> Iterator[pl.DataFrame]:
    """findings.csv a block at a time, every column as text, as Polars reads the file whole (an
    empty cell is null, a quoted empty one an empty text). Polars' own batches read the whole
    file ahead of the reader; pyarrow's reader reads one block at a time."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    reader = pacsv.open_csv(
        findings_csv,
        read_options=pacsv.ReadOptions(block_size=CSV_BLOCK_BYTES, use_threads=False),
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(FINDINGS_CSV_COLUMNS, pa.string()),
            strings_can_be_null=True, quoted_strings_can_be_null=False,
        ),
    )
    with reader:
        for batch in reader:
            yield pl.from_arrow(batch)


def first_problems(findings_csv: Path, limit: int = 10) -> pl.DataFrame:
    """The first `limit` fatal and error findings of findings.csv, as written there; read no
    further than the last of them. Their number is the summary's `errors`."""
    found = []
    for batch in findings_csv_batches(findings_csv):
        found.append(batch.filter(pl.col("severity").is_in(["fatal", "error"])).head(limit))
        if sum(frame.height for frame in found) >= limit:
            break
    return pl.concat(found).head(limit) if found else pl.DataFrame(schema=dict.fromkeys(FINDINGS_CSV_COLUMNS, pl.String))


def write_summary(summary: dict[str, object], path: Path) -> None:
    write_text_atomically(path, json.dumps(summary, indent=2) + "\n")
    fault_point("summary", path)


def write_rows(migrated: Migrated, directory: Path) -> dict[str, Path]:
    """live.parquet and archived.parquet: the rows as they are (or would be) migrated, streamed
    from the check's files (a file checked in parts lists its rows learner bucket by bucket)."""
    from enrollment_migrate.engine import migrated_frame

    written = {}
    for store in ("live", "archived"):
        path = directory / f"{store}.parquet"
        migrated_frame(migrated).filter(pl.col("store") == store).drop("store").sink_parquet(path)
        fault_point("rows", path)
        written[store] = path
    return written
