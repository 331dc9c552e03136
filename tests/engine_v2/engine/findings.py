"""A file's findings, in memory or in Parquet files, and what is read of them without holding them.

A file in which every row has a finding has as many findings as rows: millions. The steps of a
check leave theirs in Parquet files in the work folder (engine.drivers); conclude puts them in
the order findings.csv lists them into one Parquet file by DuckDB, which sorts within a memory
budget and spills to the work folder beyond it; every reader after that streams the file or asks
it small questions (counts, the first findings of each rule). A result holds findings as `Found`:

- a DataFrame, for what is small and made in memory (check_file's findings, the tests'), or
- a list of Parquet files, already in findings.csv's order (a file checked through the work
  folder: the flows).

Both give the same findings, in the same order, with the same counts.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from schemas.findings import FINDING_SCHEMA, SEVERITY_ORDER, Findings, sort_findings

Found = pl.DataFrame | list[Path]
COLUMNS = list(FINDING_SCHEMA)
# The memory DuckDB may use to put the findings in order before it spills to disk (at most the
# warehouse's own budget, ENROLLMENT_MIGRATE_DUCKDB_MEMORY).
SORT_MEMORY = "256MB"
# Findings read from their files at a time (validated, counted, written to findings.csv).
BATCH_ROWS = 100_000


def found_frame(found: Found) -> pl.LazyFrame:
    if isinstance(found, pl.DataFrame):
        return found.lazy()
    if not found:
        return pl.LazyFrame(schema=FINDING_SCHEMA)
    return pl.scan_parquet(found, glob=False)


def collected(found: Found, query: pl.LazyFrame) -> pl.DataFrame:
    """A query over the findings: from files by Polars' streaming engine, a batch at a time."""
    return query.collect(engine="in-memory" if isinstance(found, pl.DataFrame) else "streaming")


def in_memory(found: Found) -> pl.DataFrame:
    """Every finding as a frame: only for what is known to be small (check_file, the tests)."""
    return found if isinstance(found, pl.DataFrame) else found_frame(found).collect()


@dataclass(frozen=True)
class Source:
    """A Parquet file of findings, as a step of the check wrote it."""

    path: Path
    offset: int = 0  # added to its rows' numbers (a part numbers its rows from its own start)
    rows_only: bool = False  # leave out its findings without a row (a later part repeats the header's)


@dataclass(frozen=True)
class OnDisk:
    """The findings of a check's steps, to be put in order into `folder` (in the work folder)."""

    sources: list[Source]
    folder: Path

    def sorted_with(self, more: pl.DataFrame) -> list[Path]:
        """These findings and `more` (the course checks', after every other), in findings.csv's
        order, in one Parquet file: what sort_findings does to them all in memory, here within
        SORT_MEMORY."""
        self.folder.mkdir(parents=True, exist_ok=True)
        extra = self.folder / "course-findings.parquet"
        more.cast(FINDING_SCHEMA).write_parquet(extra)
        target = self.folder / "findings.parquet"
        sort_to_file([*self.sources, Source(extra)], target, self.folder / "spill")
        extra.unlink()
        return [target]


def _quoted(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _number(sources: list[Source], target: Path) -> None:
    """The sources' findings, as the schema has them, into one Parquet file a batch at a time,
    each with where it comes from: the source's place among them and its own place in the
    source (what keeps ties in order)."""
    import pyarrow.parquet as pq

    writer = None
    try:
        for index, source in enumerate(sources):
            position = 0
            for batch in batches([source.path]):
                numbered = batch.with_columns(
                    pl.col("row") + source.offset,
                    source_index=pl.lit(index, pl.Int32),
                    position=pl.int_range(position, position + batch.height, dtype=pl.Int64),
                )
                position += batch.height
                if source.rows_only:
                    numbered = numbered.filter(pl.col("row").is_not_null())
                table = numbered.to_arrow()
                writer = writer or pq.ParquetWriter(target, table.schema, compression="lz4")
                writer.write_table(table)
        if writer is None:  # no finding at all
            empty = pl.DataFrame(schema={**FINDING_SCHEMA, "source_index": pl.Int32, "position": pl.Int64})
            empty.write_parquet(target)
    finally:
        if writer is not None:
            writer.close()


def sort_to_file(sources: list[Source], target: Path, spill: Path) -> Path:
    """The findings of `sources`, concatenated in that order, sorted as sort_findings sorts them
    (stably: ties keep the order of the concatenation), into the Parquet file `target`.

    Two streams, each within a bound: the sources, numbered, go into one file a batch at a
    time; DuckDB sorts that file within SORT_MEMORY (at most the warehouse's budget), spilling to
    `spill` beyond it. (DuckDB sorting the union of the sources itself ran out of memory at 2.5M
    findings and 512 MB instead of spilling; Polars' streaming sink of it grew to 860 MB at 10M.)"""
    spill.mkdir(parents=True, exist_ok=True)
    unsorted = spill / "numbered.parquet"
    _number(sources, unsorted)
    rank = " ".join(f"when '{severity}' then {order}" for severity, order in SEVERITY_ORDER.items())
    names = ", ".join(f'"{name}"' for name in FINDING_SCHEMA)
    query = (
        f"select {names} from read_parquet({_quoted(unsorted)}) order by "
        # sort_findings: file findings first, then rows in order, by severity, rule and column,
        # nulls first; what remains tied keeps the order the steps wrote it in.
        f'("row" is not null), "row" nulls first, (case severity {rank} end) nulls first, '
        f'rule nulls first, "column" nulls first, source_index, position'
    )
    con = duckdb.connect(config={
        "memory_limit": _smaller(SORT_MEMORY, _warehouse_memory()),
        "temp_directory": str(spill),
        "preserve_insertion_order": True,
    })
    try:
        con.execute(f"copy ({query}) to {_quoted(target)} (format parquet, compression zstd)")
    finally:
        con.close()
        unsorted.unlink(missing_ok=True)
    return target


def _warehouse_memory() -> str:
    from enrollment_migrate import warehouse

    return warehouse.memory_limit()


_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([kmgt])(i?)b", re.IGNORECASE)


def _bytes(size: str) -> float:
    number, unit, binary = _SIZE.fullmatch(size.strip()).groups()
    return float(number) * (1024 if binary else 1000) ** ("kmgt".index(unit.lower()) + 1)


def _smaller(a: str, b: str) -> str:
    return a if _bytes(a) <= _bytes(b) else b


def sorted_and_validated(found: Found) -> Found:
    """The findings checked against the Findings schema; a frame also put in order (files are
    already). Files are validated a batch at a time."""
    if isinstance(found, pl.DataFrame):
        return Findings.validate(sort_findings(found.cast(FINDING_SCHEMA)))
    for batch in batches(found):
        Findings.validate(batch)
    return found


def batches(found: Found, columns: list[str] | None = None, size: int | None = None) -> Iterator[pl.DataFrame]:
    """The findings `size` at a time, in order (a frame: itself), with all their columns or
    those named. Polars' own ways of reading a
    file in batches (collect_batches, a streaming sink) read ahead of the reader: their memory
    grew with the number of findings (a sink to CSV took 800 MB at 5M); pyarrow's Parquet
    reader reads a batch when it is asked for one."""
    columns = columns or COLUMNS
    if isinstance(found, pl.DataFrame):
        yield found.select(columns)
        return
    import pyarrow.parquet as pq

    schema = {name: FINDING_SCHEMA[name] for name in columns}
    for path in found:
        with pq.ParquetFile(path) as file:
            for batch in file.iter_batches(batch_size=size or BATCH_ROWS, columns=columns):
                yield pl.from_arrow(batch).cast(schema)


def tally(found: Found) -> pl.DataFrame:
    """The findings counted, one line per rule, severity and, for a finding without a row, its
    value (a course or a learning path); in the order each first comes. Columns: rule, severity,
    row (null for those without a row, else a row that has one), value, findings (how many).
    What the counts, the readiness checklist and the artifacts read; a few dozen lines. Files
    are counted once for each version of them (the verdict, the summary and the artifacts ask)."""
    if isinstance(found, pl.DataFrame):
        return _tally(found)
    return _tally_of_files(tuple((str(path), *_version(path)) for path in found)).clone()


def _version(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns


@functools.lru_cache(maxsize=8)
def _tally_of_files(files: tuple[tuple[str, int, int], ...]) -> pl.DataFrame:
    return _tally([Path(name) for name, *_ in files])


def _tally(found: Found) -> pl.DataFrame:
    no_row = pl.col("row").is_null()
    keys = ["rule", "severity", "no_row", "value"]
    counted = pl.DataFrame(schema={"rule": pl.String, "severity": pl.String, "no_row": pl.Boolean,
                                   "value": pl.String, "row": pl.Int64, "findings": pl.Int64, "position": pl.Int64})
    read = 0
    for batch in batches(found, ["row", "rule", "severity", "value"]):
        here = (
            batch.with_row_index("position", offset=read)
            .group_by("rule", "severity", no_row.alias("no_row"), pl.when(no_row).then(pl.col("value")).alias("value"))
            .agg(pl.col("row").min(), pl.len().cast(pl.Int64).alias("findings"), pl.col("position").min().cast(pl.Int64))
        )
        read += batch.height
        counted = pl.concat([counted, here.select(counted.columns)]).group_by(keys).agg(
            pl.col("row").min(), pl.col("findings").sum(), pl.col("position").min()
        ).select(counted.columns)
    return counted.sort("position").select("rule", "severity", "row", "value", "findings")


def is_tally(frame: pl.DataFrame) -> bool:
    return "findings" in frame.columns


def tallied(frame: pl.DataFrame) -> pl.DataFrame:
    """A tally as it is, or findings counted into one."""
    return frame if is_tally(frame) else tally(frame)


def rows_of(found: Found, severity: str) -> int:
    """How many rows (a finding without a row counts as one) have findings of `severity`. Files
    are in order of rows: a row's findings are together, so that each batch's rows are counted
    once, but a row the batch before ended with."""
    if isinstance(found, pl.DataFrame):
        return found.filter(pl.col("severity") == severity)["row"].n_unique()
    distinct, last = 0, _NONE
    for batch in batches(found, ["row", "severity"]):
        rows = batch.filter(pl.col("severity") == severity)["row"].unique(maintain_order=True).to_list()
        if rows:
            distinct += len(rows) - (rows[0] == last)
            last = rows[-1]
    return distinct


_NONE = object()  # no row yet (None is the row of a finding without one)


def with_file_findings(found: Found, file_findings: pl.DataFrame) -> Found:
    """`file_findings` (without a row) added: what sort_findings of them all gives. Files: the
    findings without a row (a few) in memory, sorted with the new ones, the rows' streamed after
    them into a new file beside the first."""
    file_findings = file_findings.cast(FINDING_SCHEMA)
    if isinstance(found, pl.DataFrame):
        return sort_findings(pl.concat([file_findings, found]))
    scanned = found_frame(found)
    first = sort_findings(pl.concat([file_findings, scanned.filter(pl.col("row").is_null()).collect()]))
    target = _free_name(found[0].parent if found else Path("."))
    pl.concat([first.lazy(), scanned.filter(pl.col("row").is_not_null())]).sink_parquet(target, compression="zstd")
    return [target]


def _free_name(folder: Path) -> Path:
    n = 1
    while (folder / f"findings-{n}.parquet").exists():
        n += 1
    return folder / f"findings-{n}.parquet"


def first_findings(found: Found, n: int) -> pl.DataFrame:
    """The first `n` findings, in order."""
    return collected(found, found_frame(found).head(n))
