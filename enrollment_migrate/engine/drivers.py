"""The two ways a file is checked, with the same steps and the same findings:

- **whole**, in memory (`check_whole`, which check_file is): a file whose working set fits the
  memory budget (`fits_whole`), the three steps one after the other on frames, no work files;
- **in parts**, beyond the budget: memory bounded by the part size for files of any size, and the
  same work spread over a Dask cluster when one machine is not enough.

In parts, the engine's three steps each read and write Parquet in a work folder, so that any
worker that sees the folder can run the first two:

1. `check_part`, for each part of the file (enrollment_migrate.file_parts): load it and run the
   per-row rules; write its findings, and its candidate rows spread over learner buckets by
   user id (a learner's rows from every part meet in one bucket);
2. `check_bucket`, for each learner bucket: the rules across a learner's rows (duplicates,
   existing enrollments, recertification), which therefore see all the rows they need; write
   their findings and the rows as they would be stored;
3. `conclude`, once, with the store: the course rules (license and capacity counts), the counts
   and the verdict; every finding put in findings.csv's order in one Parquet file of the work
   folder (engine.findings), never all of them in memory.

A part numbers its rows as if it were a file of its own; each step adds the records of the parts
before it (the offsets, known once every part is loaded), so that findings name the file's rows.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb
import polars as pl

from enrollment_migrate import settings, warehouse
from enrollment_migrate.engine import learners, rows, verdict
from enrollment_migrate.engine.findings import OnDisk, Source, in_memory
from enrollment_migrate.engine.model import CheckedRows, CheckResult, RunOptions, Portal, empty_candidates
from enrollment_migrate.file_parts import FileCut, FilePart, read_part
from enrollment_migrate.options import WORKING_SET_PER_BYTE, memory_budget_bytes
from enrollment_migrate.template_file import UnreadableFile, load_template, not_utf8_findings
from enrollment_migrate.workdir import WorkDir
from schemas import checks, rules
from schemas.findings import FINDING_SCHEMA

# Progress (enrollment_migrate.progress): told how much is done so far, out of how much.
Reporter = Callable[[int, int], None]

# Files between steps are read once, soon after: fast to write matters more than small.
_WORK_FILE = {"compression": "lz4", "statistics": False}


@dataclass
class PartChecked:
    index: int
    records_read: int  # records after the header, blank ones included
    record_count: int
    blocked: int
    readable: bool  # False: a file-level finding stops the part (and so the file)
    bad_byte: int | None = None  # in the file, when a byte that is not UTF-8 stops the part


def save_portal(con: duckdb.DuckDBPyConnection, work: WorkDir, with_store: bool) -> Portal:
    """Read the portal once and keep a copy in the work folder for the workers; with the store's
    enrollments too when the buckets are checked where the store is not (a Dask cluster)."""
    portal = Portal.read(con)
    folder = portal.save(work.portal)
    if with_store:
        # What the learner checks read of the store, as the registry declares it.
        for table, columns in checks.store_columns().items():
            con.sql(f"select {', '.join(columns)} from {table}").write_parquet(str(folder / f"{table}.parquet"))
    return portal


def store_copy(work: WorkDir) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that answers the bucket rules' SQL from the copy save_portal made."""
    con = duckdb.connect(config={"memory_limit": warehouse.memory_limit()})
    for table in checks.store_columns():
        con.read_parquet(str(work.portal / f"{table}.parquet")).create_view(table)
    return con


def check_part(
    cut_file: FileCut, part: FilePart, work: WorkDir, options: RunOptions, portal: Portal | None = None
) -> Path:
    """Step 1 for one part; returns its folder. `portal`: as save_portal left it, if at hand."""
    portal = portal or Portal.open(work.portal)
    template = load_template(cut_file.path, read_part(cut_file, part), first_part=part.index == 0)
    checked = rows.check_rows(template, portal, options)
    folder = work.part(part.index)
    folder.mkdir(parents=True, exist_ok=True)
    checked.findings.write_parquet(folder / "findings.parquet", **_WORK_FILE)
    for bucket, candidates in _spread(checked.candidates, buckets=len(cut_file.parts)):
        target = work.bucket_rows(bucket, part.index)
        target.parent.mkdir(parents=True, exist_ok=True)
        candidates.write_parquet(target, **_WORK_FILE)
    bad_byte = None if template.bad_byte is None else template.bad_byte - cut_file.header_end + part.start
    record = PartChecked(
        part.index, template.records_read, template.record_count, checked.blocked, template.readable, bad_byte
    )
    (folder / "part.json").write_text(json.dumps(asdict(record)), encoding="utf-8")
    return folder


def _spread(candidates: pl.DataFrame, buckets: int) -> list[tuple[int, pl.DataFrame]]:
    """A part's candidate rows by learner bucket (`user_id % buckets`); a file of one part has one
    bucket, and its rows need no spreading."""
    if buckets == 1:
        return [(0, candidates)]
    spread = candidates.with_columns(bucket=pl.col("user_id") % buckets)
    return [(bucket, rows) for (bucket,), rows in spread.partition_by("bucket", as_dict=True, include_key=False).items()]


def checked_parts(work: WorkDir) -> list[PartChecked]:
    return [
        PartChecked(**json.loads(path.read_text(encoding="utf-8")))
        for path in work.part_records()
    ]


def row_offsets(parts: list[PartChecked]) -> list[int]:
    """How many records come before each part (and so what to add to its rows' numbers)."""
    offsets, total = [], 0
    for part in parts:
        offsets.append(total)
        total += part.records_read
    return offsets


def check_bucket(
    bucket: int, work: WorkDir, offsets: list[int], con: duckdb.DuckDBPyConnection, options: RunOptions
) -> Path:
    """Step 2 for one learner bucket; `con` answers for the store (the store itself, or
    store_copy). Returns the bucket's folder."""
    files = sorted(work.bucket(bucket).glob("part-*.parquet"))
    # Parts in file order, each in file order: the bucket's rows are in file order.
    candidates = pl.concat(
        [
            pl.read_parquet(path).with_columns(pl.col("row") + offsets[work.part_of_bucket_rows(path)])
            for path in files
        ]
        or [empty_candidates()]
    )
    settings = Portal.open_settings(work.portal)
    findings, migrated = learners.check_learners(con, candidates, settings, options)
    folder = work.checked_bucket(bucket)
    folder.mkdir(parents=True, exist_ok=True)
    findings.write_parquet(folder / "findings.parquet", **_WORK_FILE)
    migrated.write_parquet(folder / "migrated.parquet", **_WORK_FILE)
    return folder


def conclude(con: duckdb.DuckDBPyConnection, work: WorkDir, options: RunOptions) -> CheckResult:
    """Step 3: the file's result from its parts' and buckets' files. Its findings stay in files:
    the result's are one Parquet file in work.findings, in findings.csv's order."""
    parts = checked_parts(work)
    offsets = row_offsets(parts)
    if not parts[0].readable:  # the header (or the whole file) stops the check
        # A header problem stops every part, each having counted its records; a file that is
        # empty or not text stops at the first part, having counted none. Its findings are the
        # file's own: a few.
        record_count = parts[0].record_count and sum(part.record_count for part in parts)
        return verdict.unreadable_result(_part_findings(work, parts[0], 0), record_count, options)
    for part, offset in zip(parts[1:], offsets[1:]):
        # A later part stops the file only when it is not UTF-8 (a blank part merely has no rows);
        # such a part has that one finding.
        if part.bad_byte is not None:
            (row,) = _part_findings(work, part, offset).filter(pl.col("rule") == rules.NOT_UTF8.code)["row"]
            return verdict.unreadable_result(not_utf8_findings(row, part.bad_byte), 0, options)
    checked = [work.checked_bucket(bucket) for bucket in range(len(parts))]
    sources = [
        # The header's findings come from the first part; a later part repeats them.
        Source(work.part(part.index) / "findings.parquet", offset, rows_only=part.index > 0)
        for part, offset in zip(parts, offsets, strict=True)
    ] + [Source(folder / "findings.parquet") for folder in checked]
    return verdict.conclude(
        con,
        OnDisk(sources, work.findings),
        [folder / "migrated.parquet" for folder in checked],
        sum(part.record_count for part in parts),
        sum(part.blocked for part in parts),
        options,
        Portal.open(work.portal).fingerprint,
    )


def _part_findings(work: WorkDir, part: PartChecked, offset: int) -> pl.DataFrame:
    """A part's findings in memory: only for a part that stops the file (it has a few)."""
    findings = pl.read_parquet(work.part(part.index) / "findings.parquet").cast(FINDING_SCHEMA)
    if part.index:
        # The header's findings come from the first part; a later part repeats them.
        findings = findings.filter(pl.col("row").is_not_null())
    return findings.with_columns(pl.col("row") + offset)


def check_parts(cut_file: FileCut, work: WorkDir, options: RunOptions, done: Reporter | None = None) -> None:
    """Step 1 for every part, one after the other (the portal saved first by save_portal).
    `done(bytes, size)`: told the file's bytes checked so far as each part is (progress)."""
    portal = Portal.open(work.portal)  # once: millions of users' keys
    for part in cut_file.parts:
        check_part(cut_file, part, work, options, portal)
        if done is not None:
            done(*cut_file.bytes_through(part))


def check_buckets(
    work: WorkDir, con: duckdb.DuckDBPyConnection, options: RunOptions, done: Reporter | None = None
) -> None:
    """Step 2 for every bucket, one after the other; nothing to do when the file is unreadable.
    `done(buckets, of)`: told the buckets checked so far as each is (progress)."""
    parts = checked_parts(work)
    if parts[0].readable:
        offsets = row_offsets(parts)
        for bucket in range(len(parts)):
            check_bucket(bucket, work, offsets, con, options)
            if done is not None:
                done(bucket + 1, len(parts))


def check_in_parts(
    cut_file: FileCut, con: duckdb.DuckDBPyConnection, options: RunOptions, work: WorkDir | Path
) -> CheckResult:
    """All three steps here, one part and one bucket at a time: the local way, for files small
    enough that their findings are read into memory at the end (the flows run the steps as tasks
    and keep them in files)."""
    work = WorkDir.of(work)
    save_portal(con, work, with_store=False)
    check_parts(cut_file, work, options)
    check_buckets(work, con, options)
    result = conclude(con, work, options)
    result.findings = in_memory(result.findings)
    return result


@dataclass
class LoadedWhole:
    """A whole file after the per-row rules, in memory (step 1 of check_whole). Its loaded rows
    are not kept: only the findings, and the candidate rows the rules across rows read."""

    portal: Portal
    record_count: int
    checked: CheckedRows | None  # None when a file-level finding stops the check
    file_findings: pl.DataFrame  # the file's own (those of a file that stops the check)


def fits_whole(path: str | Path, options: RunOptions) -> bool:
    """Whether a file is checked whole, in memory (check_whole), rather than in parts: when its
    working set (WORKING_SET_PER_BYTE times its size) fits the memory budget, unless a part size
    was asked for or a Dask cluster is to share the parts. `--part-mb 0` asks for the whole."""
    if options.dask_address:
        return False
    part_mb = options.part_mb if options.part_mb is not None else settings.PART_MB.value()
    if part_mb is not None:
        return part_mb == 0
    return Path(path).stat().st_size * WORKING_SET_PER_BYTE <= memory_budget_bytes(options)


def load_whole(path: str | Path, con: duckdb.DuckDBPyConnection, options: RunOptions) -> LoadedWhole:
    """Step 1 over a whole file: the portal read once, the file loaded, the per-row rules."""
    portal = Portal.read(con)
    try:
        template = load_template(path)
    except OSError as exc:
        raise UnreadableFile(f"{path}: {exc.strerror or exc}") from exc
    checked = rows.check_rows(template, portal, options) if template.readable else None
    return LoadedWhole(portal, template.record_count, checked, template.findings)


def conclude_whole(con: duckdb.DuckDBPyConnection, loaded: LoadedWhole, options: RunOptions) -> CheckResult:
    """Steps 2 and 3 over a whole file, in memory: the learner rules on every candidate row at
    once (a learner's rows are all there), then the course rules and the verdict. It takes the
    candidate rows out of `loaded`, so that they are let go once the learner rules are done."""
    checked, loaded.checked = loaded.checked, None
    if checked is None:
        return verdict.unreadable_result(loaded.file_findings, loaded.record_count, options)
    found, migrated = learners.check_learners(con, checked.candidates, loaded.portal.settings, options)
    findings, blocked = pl.concat([checked.findings, found], how="vertical"), checked.blocked
    del checked
    return verdict.conclude(
        con, findings, migrated, loaded.record_count, blocked, options, loaded.portal.fingerprint,
    )


def check_whole(path: str | Path, con: duckdb.DuckDBPyConnection, options: RunOptions) -> CheckResult:
    """Every rule over a whole file, in memory: no parts, no buckets, no work files."""
    return conclude_whole(con, load_whole(path, con, options), options)


def check_file(path: str | Path, con: duckdb.DuckDBPyConnection, options: RunOptions) -> CheckResult:
    """Every rule over a whole file, its findings and rows in memory (check_whole): the tests',
    a portal's existing enrollments, any file the flows check whole."""
    return check_whole(path, con, options)
