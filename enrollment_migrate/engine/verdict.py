"""Step 3, once for the file, with the store: the registry's course checks, the counts and
the verdict. The findings are a frame, or (a file checked through the work folder) Parquet files
that are counted and read a batch at a time, never held whole (engine.findings)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import duckdb
import polars as pl

from enrollment_migrate.engine.model import (
    CheckResult,
    Counts,
    Migrated,
    RunOptions,
    empty_migrated,
    migrated_frame,
    query,
    summed,
    two_year_cutoff,
)
from enrollment_migrate.engine import readiness
from enrollment_migrate.engine.findings import (
    Found,
    OnDisk,
    rows_of,
    sorted_and_validated,
    tally,
    with_file_findings,
)
from schemas.checks import COURSE_CHECKS
from schemas.findings import (
    FINDING_SCHEMA,
    Findings,
    empty_findings,
    finding,
    findings_frame,
    sort_findings,
)
from schemas.rules import BLOCKING_SEVERITIES, Severity
from schemas.template import FINISHED_STATUSES, OPEN_STATUSES


def conclude(
    con: duckdb.DuckDBPyConnection,
    findings: pl.DataFrame | OnDisk,
    migrated: Migrated,
    record_count: int,
    blocked: int,
    options: RunOptions,
    checked_portal: str,
) -> CheckResult:
    """Step 3, once for the file, with the store: the course rules, the counts, the verdict.
    `findings`: the steps' before it, in memory or in their files (the result's are then one
    file). `checked_portal` is the fingerprint of the portal the rows were checked against."""
    facts = portal_facts(con, migrated, options.import_date)
    course = course_findings(con, migrated, options.import_date, facts)
    found = (pl.concat([findings, course], how="vertical") if isinstance(findings, pl.DataFrame)
             else findings.sorted_with(course))
    result, counted = _result(found, migrated, record_count, blocked, options, _by_year(migrated, options.import_date))
    result.portal_fingerprint = checked_portal
    result.readiness = readiness.checklist(counted, facts, options.skip_invalid_rows, result.state)
    return result



# The columns of the migrated rows that the course checks' queries read.
COURSE_FACT_COLUMNS = ("course_id", "user_id", "status", "store", "certificate", "completed_at")


def portal_facts(con: duckdb.DuckDBPyConnection, migrated: Migrated, import_date: dt.date) -> readiness.Facts:
    """The rows of every query the course checks look at: the courses receiving rows, the
    learning paths they are in, the file as a whole (a few rows each). The readiness checklist
    reads them too."""
    params = {"import_date": import_date, "cutoff": two_year_cutoff(import_date)}
    if isinstance(migrated, pl.DataFrame):
        # Only what the queries read: DuckDB scans each column it is given (Parquet files it
        # reads column by column itself).
        migrated = migrated.select(COURSE_FACT_COLUMNS)
    return {
        name: query(con, name, params, migrated_rows=migrated).to_dicts()
        for name in dict.fromkeys(check.query for check in COURSE_CHECKS)
    }


def course_findings(
    con: duckdb.DuckDBPyConnection, migrated: Migrated, import_date: dt.date, facts: readiness.Facts | None = None
) -> pl.DataFrame:
    """The course checks of the registry, each over the rows of its query (a loop)."""
    facts = facts if facts is not None else portal_facts(con, migrated, import_date)
    items = [
        finding(check.rule, check.message(subject, import_date), column=check.column, value=subject.get("name"))
        for check in COURSE_CHECKS
        for subject in facts[check.query]
        if check.fires(subject)
    ]
    return sort_findings(findings_frame(items)) if items else empty_findings()



def _by_year(migrated: Migrated, import_date: dt.date) -> list[dict[str, int]]:
    """The checklist's counts: finished rows by year of completion, open rows by year created."""
    finished = pl.col("status").is_in(FINISHED_STATUSES)
    counted = summed(
        migrated,
        migrated_frame(migrated)
        .select(
            year=pl.when(finished).then(pl.col("completed_at").dt.year()).otherwise(
                pl.col("created_at").dt.year()
            ),
            completed=finished.cast(pl.Int64),
            open=pl.col("status").is_in(OPEN_STATUSES).cast(pl.Int64),
        )
        .group_by("year")
        .agg(pl.col("completed").sum(), pl.col("open").sum())
        .sort("year"),
    )
    return counted.to_dicts()



def _result(
    findings: Found,
    migrated: Migrated,
    rows: int,
    blocked_rows: int,
    options: RunOptions,
    by_year: list[dict[str, int]] | None = None,
) -> tuple[CheckResult, pl.DataFrame]:
    """The result, and its findings' tally (engine.findings.tally) for the checklist."""
    findings = sorted_and_validated(findings)
    counted = tally(findings)
    by_severity = dict(counted.group_by("severity").agg(pl.col("findings").sum()).iter_rows())
    fatal = by_severity.get(Severity.FATAL.value, 0)
    errors = by_severity.get(Severity.ERROR.value, 0)
    rule_skipped = rows_of(findings, Severity.SKIPPED.value)
    invalid = fatal > 0 or (errors > 0 and not options.skip_invalid_rows)
    stored = summed(migrated, migrated_frame(migrated).select(
        live=(pl.col("store") == "live").sum(),
        archived=(pl.col("store") == "archived").sum(),
        certificates=pl.col("certificate").is_not_null().sum(),
        credits=pl.col("credits").sum(),
        badges=pl.col("badge").is_not_null().sum(),
    )).row(0, named=True)
    counts = Counts(
        rows=rows,
        live=int(stored["live"]),
        archived=int(stored["archived"]),
        skipped=rule_skipped + (blocked_rows if options.skip_invalid_rows else 0),
        errors=fatal + errors,
        warnings=by_severity.get(Severity.WARNING.value, 0),
        certificates=int(stored["certificates"]),
        credits=_number(stored["credits"]),
        badges=int(stored["badges"]),
    )
    return CheckResult("invalid" if invalid else "valid", findings, migrated, counts, by_year or []), counted



def _number(value: float | None) -> float | int:
    value = value or 0
    return int(value) if float(value).is_integer() else value



def unreadable_result(findings: pl.DataFrame, record_count: int, options: RunOptions) -> CheckResult:
    """The result of a file that a file-level finding stops before any row is checked."""
    result, counted = _result(findings, empty_migrated(), record_count, 0, options)
    result.readiness = readiness.checklist(counted, None)
    return result



def reject_file(result: CheckResult, file_findings: pl.DataFrame) -> CheckResult:
    """The result with file-level findings added that reject the file (file_already_migrated)."""
    severity = file_findings["severity"]
    counts = replace(
        result.counts,
        errors=result.counts.errors + int(severity.is_in(BLOCKING_SEVERITIES).sum()),
        warnings=result.counts.warnings + int((severity == Severity.WARNING).sum()),
    )
    if isinstance(result.findings, pl.DataFrame):
        findings = Findings.validate(sort_findings(pl.concat([file_findings, result.findings])))
    else:  # in files: the new findings, checked, go in a new file with the others (a stream)
        findings = with_file_findings(result.findings, Findings.validate(file_findings.cast(FINDING_SCHEMA)))
    return CheckResult("invalid", findings, result.migrated, counts, result.by_year, result.portal_fingerprint,
                       readiness.with_findings(result.readiness, tally(findings)))
