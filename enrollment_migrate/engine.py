"""The validation engine: every rule of RULES.md over a loaded template file, in one pass.

Per-row rules are Polars expressions (schemas.row_rules) evaluated over one prepared frame.
What needs the portal's store or file order across rows (duplicates, existing enrollments,
recertification, license and capacity counts) is DuckDB SQL from ../sql, run against the
warehouse connection with the rows registered as a relation. Nothing here writes to the store.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import operator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Literal

import duckdb
import polars as pl

from enrollment_migrate.sql_files import sql
from enrollment_migrate.template_file import TemplateFile
from enrollment_migrate.warehouse import registered
from schemas import rules
from schemas.checks import COURSE_CHECKS
from schemas.findings import (
    FINDING_SCHEMA,
    Findings,
    empty_findings,
    finding,
    finding_columns,
    findings_frame,
    sort_findings,
)
from schemas.row_rules import PARSED, parse_date, parse_score, row_checks
from schemas.rules import BLOCKING_SEVERITIES, Severity
from schemas.template import (
    AWARDED_STATUSES,
    COURSE_NAME,
    FINISHED_STATUSES,
    LOGIN_ID,
    OPEN_STATUSES,
    STATUS,
    STATUSES,
    TemplateRows,
)

Store = Literal["live", "archived"]
# Migrated rows: in memory, or in Parquet files (a file checked in parts, a saved result).
Migrated = pl.DataFrame | list[Path]


def migrated_frame(migrated: Migrated) -> pl.LazyFrame:
    return migrated.lazy() if isinstance(migrated, pl.DataFrame) else pl.scan_parquet(migrated)


def summed(migrated: Migrated, query: pl.LazyFrame) -> pl.DataFrame:
    """A small aggregate of the migrated rows: over files, by Polars' streaming engine, which
    reads them a batch at a time (the default engine would load every column it needs whole)."""
    return query.collect(engine="in-memory" if isinstance(migrated, pl.DataFrame) else "streaming")


class PortalNotLoaded(Exception):
    """The warehouse has no users or no courses: there is nothing to validate against."""


@dataclass(frozen=True)
class Options:
    import_date: dt.date
    skip_invalid_rows: bool = False
    skip_existing: bool = False
    # Portal loads of existing enrollments check the file against itself, not the store.
    check_existing: bool = True


@dataclass
class Counts:
    rows: int = 0
    live: int = 0
    archived: int = 0
    skipped: int = 0
    errors: int = 0
    warnings: int = 0
    certificates: int = 0
    credits: float = 0
    badges: int = 0


@dataclass
class CheckResult:
    state: Literal["valid", "invalid"]
    findings: pl.DataFrame
    migrated: Migrated  # accepted rows, as they would be stored, with their store and awards
    counts: Counts
    by_year: list[dict[str, int]] = field(default_factory=list)
    portal_fingerprint: str | None = None  # the portal the rows were checked against

    @property
    def rule_counts(self) -> dict[str, int]:
        counted = self.findings.group_by("rule").len().sort("rule")
        return dict(zip(counted["rule"].to_list(), counted["len"].to_list(), strict=True))


MIGRATED_SCHEMA = {
    "row": pl.Int64,
    "login_id": pl.String,
    "course_name": pl.String,
    "user_id": pl.Int64,
    "course_id": pl.Int64,
    "status": pl.String,
    "score": pl.Float64,
    "created_at": pl.Datetime("us"),
    "started_at": pl.Datetime("us"),
    "completed_at": pl.Datetime("us"),
    "access_expires_at": pl.Datetime("us"),
    "store": pl.String,
    "certificate": pl.String,
    "credits": pl.Float64,
    "badge": pl.String,
}


def two_year_cutoff(import_date: dt.date) -> dt.date:
    """The import date moved back two calendar years; 29 February becomes 28 February."""
    try:
        return import_date.replace(year=import_date.year - 2)
    except ValueError:
        return import_date.replace(year=import_date.year - 2, day=28)


@dataclass
class Portal:
    """What the checks read of the portal's users and courses, as frames.

    Read once from the store, or from the Parquet copy `save` writes for workers without it.
    """

    users: pl.DataFrame  # login_key, user_id, user_matches
    courses: pl.DataFrame  # course_key, course_id, course_matches, course_published
    settings: pl.DataFrame  # course_id, certificate, credits, badge: what a completion awards
    fingerprint: str  # of the users and courses read: an apply is refused if they changed since

    FILES = {"users": "user_keys", "courses": "course_keys", "settings": "course_awards"}

    @classmethod
    def read(cls, con: duckdb.DuckDBPyConnection) -> Portal:
        portal = cls(
            con.sql(sql("portal_user_keys")).pl(),
            con.sql(sql("portal_course_keys")).pl(),
            con.sql(sql("course_awards")).pl(),
            portal_fingerprint(con),
        )
        if portal.users.is_empty() or portal.courses.is_empty():
            raise PortalNotLoaded(
                "The portal has no users or no courses: load them first with "
                "'enrollment-migrate portal load --users FILE --courses FILE'."
            )
        return portal

    def save(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        for name, file in self.FILES.items():
            getattr(self, name).write_parquet(directory / f"{file}.parquet")
        (directory / "fingerprint.txt").write_text(self.fingerprint, encoding="utf-8")
        return directory

    @classmethod
    def open(cls, directory: Path) -> Portal:
        frames = (pl.read_parquet(directory / f"{file}.parquet") for file in cls.FILES.values())
        return cls(*frames, (directory / "fingerprint.txt").read_text(encoding="utf-8"))

    @classmethod
    def open_settings(cls, directory: Path) -> pl.DataFrame:
        """Only the courses' awards, where the users' keys are not needed (learner buckets)."""
        return pl.read_parquet(directory / f"{cls.FILES['settings']}.parquet")


@dataclass
class CheckedRows:
    """A file's (or a part's) rows after the per-row rules."""

    findings: pl.DataFrame  # the file's own findings and each row's
    candidates: pl.DataFrame  # rows no blocking finding stops, for the rules across rows
    blocked: int  # rows a blocking finding stops


def check_file(template: TemplateFile, con: duckdb.DuckDBPyConnection, options: Options) -> CheckResult:
    """Every rule over a whole file in memory: the three steps below, one after the other
    (enrollment_migrate.partitioned runs them part by part)."""
    if template.rows is None:
        return unreadable_result(template.findings, template.record_count, options)
    portal = Portal.read(con)
    rows = check_rows(template, portal, options)
    learners_findings, migrated = check_learners(con, rows.candidates, portal.settings, options)
    return conclude(
        con, pl.concat([rows.findings, learners_findings]), migrated, template.record_count, rows.blocked,
        options, portal.fingerprint,
    )


def unreadable_result(findings: pl.DataFrame, record_count: int, options: Options) -> CheckResult:
    """The result of a file that a file-level finding stops before any row is checked."""
    return _result(findings, _empty_migrated(), record_count, 0, options)


def check_rows(template: TemplateFile, portal: Portal, options: Options) -> CheckedRows:
    """Step 1, row by row (a part of a file at a time, on any worker): the per-row rules."""
    if template.rows is None:
        return CheckedRows(template.findings, empty_candidates(), 0)
    TemplateRows.validate(template.rows)  # the loader's contract with the rules below
    prepared = prepare_rows(template.rows, portal.users, portal.courses, len(template.headers))
    row_findings = _row_findings(prepared, options.import_date)
    blocked = (
        pl.concat([template.findings.select("row", "severity"), row_findings.select("row", "severity")])
        .filter(pl.col("row").is_not_null() & pl.col("severity").is_in(BLOCKING_SEVERITIES))
        .get_column("row")
        .unique()
    )
    # Filters keep file order, which the duplicate rules and the outputs rely on.
    candidates = (
        prepared.lazy().filter(~_row_among(blocked)).select(CANDIDATE_COLUMNS).cast(CANDIDATE_SCHEMA).collect()
    )
    return CheckedRows(pl.concat([template.findings, row_findings]), candidates, blocked.len())


def check_learners(
    con: duckdb.DuckDBPyConnection, candidates: pl.DataFrame, settings: pl.DataFrame, options: Options
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Step 2, learner by learner: the rules across a learner's rows (duplicates, existing
    enrollments, recertification); returns their findings and the rows as they would be stored.

    `candidates` must hold all the rows of each learner it holds, in file order. `con` answers
    for the store's enrollments and courses (the store itself, or a copy of them).
    """
    findings = [_duplicate_findings(con, candidates)]
    dropped = findings[0].get_column("row")
    if options.check_existing:
        existing = _existing_findings(con, candidates.filter(~_row_among(dropped)), options.skip_existing)
        findings.append(existing)
        if options.skip_existing:
            dropped = pl.concat([dropped, existing.get_column("row")])
    migrated = _migrated_rows(candidates.lazy().filter(~_row_among(dropped)), settings, options.import_date)
    findings.append(_recertification_findings(con, migrated))
    return pl.concat(findings, how="vertical"), migrated


def conclude(
    con: duckdb.DuckDBPyConnection,
    findings: pl.DataFrame,
    migrated: Migrated,
    record_count: int,
    blocked: int,
    options: Options,
    checked_portal: str,
) -> CheckResult:
    """Step 3, once for the file, with the store: the course rules, the counts, the verdict.
    `checked_portal` is the fingerprint of the portal the rows were checked against."""
    findings = pl.concat([findings, course_findings(con, migrated, options.import_date)], how="vertical")
    result = _result(findings, migrated, record_count, blocked, options, _by_year(migrated, options.import_date))
    result.portal_fingerprint = checked_portal
    return result


def portal_fingerprint(con: duckdb.DuckDBPyConnection) -> str:
    return con.execute(sql("portal_fingerprint")).fetchall()[0][0]


def _row_among(rows: pl.Series) -> pl.Expr:
    return pl.col("row").is_in(pl.lit(rows).implode())


# What the steps after the per-row rules read of a row.
CANDIDATE_SCHEMA = {
    "row": pl.Int64,
    **dict.fromkeys(
        ["login_id", "course_name", "created_date", "started_date", "completed_date", "score",
         "access_expires_date", "status_word"],
        pl.String,
    ),
    "score_value": pl.Float64,
    **dict.fromkeys(["created", "started", "completed", "access_expires"], pl.Date),
    "user_id": pl.Int64,
    "course_id": pl.Int64,
}
CANDIDATE_COLUMNS = list(CANDIDATE_SCHEMA)


def prepare_rows(
    rows: pl.DataFrame, users: pl.DataFrame, courses: pl.DataFrame, n_headers: int
) -> pl.DataFrame:
    """The loaded rows with their parsed values and portal matches (see schemas.row_rules)."""
    words = {word.lower(): word for word in STATUSES}
    status = pl.col(STATUS.field)
    # rechunk: Polars 2.1 can panic on pl.format over a filtered multi-chunk string column.
    rows = rows.rechunk()
    return (
        rows.lazy()
        .with_columns(
            malformed=pl.col("field_count") != n_headers,
            # Most files spell statuses exactly; only the others need lower-casing.
            status_word=pl.when(status.is_in(STATUSES))
            .then(status)
            .otherwise(status.str.to_lowercase().replace_strict(words, default=None, return_dtype=pl.String)),
            score_value=parse_score(pl.col("score")),
            **{name: _parsed_dates(rows[column.field]) for column, name in PARSED.items()},
            **_joined(rows[LOGIN_ID.field], users, "login_key", ("user_id", "user_matches")),
            **_looked_up(
                rows[COURSE_NAME.field], courses, "course_key", ("course_id", "course_matches", "course_published")
            ),
        )
        .collect()
    )


def _parsed_dates(values: pl.Series) -> pl.Expr:
    """parse_date over each distinct value once: a file repeats its dates (a few thousand days
    over millions of rows), and a hash lookup per row costs less than a regex and a parse."""
    distinct = values.unique().drop_nulls()
    parsed = pl.select(parse_date(pl.lit(distinct))).to_series()
    return pl.col(values.name).replace_strict(distinct, parsed, default=None, return_dtype=pl.Date)


def _looked_up(
    values: pl.Series, table: pl.DataFrame, key: str, columns: tuple[str, ...]
) -> dict[str, pl.Series]:
    """The portal's answer for each value, matched lower-cased against `key` (null where
    nothing matches), row for row with `values`.

    A file names each course many times: the distinct values are lower-cased and matched
    once, then a join of the one column on the value itself maps every row to its match (half
    the time of mapping each row to a position and gathering each column by it).
    """
    found = (
        values.unique().drop_nulls().to_frame("value")
        .with_columns(pl.col("value").str.to_lowercase().alias(key))
        .join(table, on=key, how="inner")
    )
    matched = values.to_frame("value").join(found, on="value", how="left", maintain_order="left")
    return {column: matched[column] for column in columns}


def _joined(
    values: pl.Series, table: pl.DataFrame, key: str, columns: tuple[str, ...]
) -> dict[str, pl.Series]:
    """As _looked_up, for values that repeat little: a file has a learner for every few rows,
    and hashing a million distinct Login IDs to find them costs more than lower-casing every
    row and joining it to the portal's keys (1.2 s instead of 2.8 s for 10M rows, 1M users)."""
    matched = (
        values.to_frame("value")
        .with_columns(pl.col("value").str.to_lowercase().alias(key))
        .join(table, on=key, how="left", maintain_order="left")
    )
    return {column: matched[column] for column in columns}


def _row_findings(prepared: pl.DataFrame, import_date: dt.date) -> pl.DataFrame:
    checks = row_checks(import_date)
    # Most rows pass every rule: one pass over the frame keeps the rows that may fail one (by
    # each check's cheap test, see RowCheck.suspect), and each rule's filter then scans those
    # only. The checks are row by row, so a row fails a rule here exactly when it does in the
    # whole frame. (rechunk: the filter's chunks, see prepare_rows; a few rows, it is cheap.)
    suspect = pl.any_horizontal([check.may_fail.fill_null(False) for check in checks])
    frame = prepared.lazy().filter(~pl.col("malformed") & suspect).collect().rechunk().lazy()
    parts = [
        frame.filter(check.failing).select(finding_columns(
            check.rule, check.message, column=check.column.header if check.column else None, value=check.value,
        ))
        for check in checks
    ]
    return pl.concat(parts, how="vertical").collect()


def _duplicate_findings(con: duckdb.DuckDBPyConnection, candidates: pl.DataFrame) -> pl.DataFrame:
    """duplicate_row and duplicate_open_enrollment, as sql/duplicate_rows.sql defines them.

    The SQL only sees the rows that can be duplicates: those whose eight values hash like
    another row's (same_values), and open rows sharing a user and course with another open row.
    Every row of a duplicate group is among them, so the SQL's answer is the same as over the
    whole file.
    """
    # Rows with the same Login ID and Course Name (case-folded) have the same user and course,
    # so hashing the ids instead of the names only ever adds suspects, never loses one.
    hashed = [
        pl.col(name).hash(seed)
        for seed, name in enumerate(
            ("user_id", "course_id", "created_date", "started_date", "completed_date", "score",
             "access_expires_date", "status_word")
        )
    ]
    eight_values = functools.reduce(operator.xor, hashed)
    open_row = pl.col("status_word").is_in(OPEN_STATUSES)
    # Only open rows count towards a shared open enrollment: a learner's finished rows on the
    # same course (most files have many) do not make an open row a suspect.
    same_open_enrollment = pl.when(open_row).then(hashed[0] ^ hashed[1])
    # same_values tells the SQL which suspects can repeat another row's eight values: the
    # others (most of them, open rows) it need not compare value by value.
    suspects = (
        candidates.lazy()
        .with_columns(same_values=eight_values.is_duplicated())
        .filter(pl.col("same_values") | (open_row & same_open_enrollment.is_duplicated()))
        .select(
            "row", "login_id", "course_name", "created_date", "started_date", "completed_date",
            "score", "access_expires_date", "user_id", "course_id", pl.col("status_word").alias("status"),
            "same_values",
        )
        .collect()
    )
    found = _query(con, "duplicate_rows", candidate_rows=suspects)
    return found.sort("row").select(finding_columns(
        pl.col("rule"),
        pl.when(pl.col("rule") == rules.DUPLICATE_ROW.code)
        .then(pl.format("Same values as row {}: this row is skipped.", "first_row"))
        .otherwise(
            pl.format(
                "Row {} already gives this user an open enrollment on this course: "
                "this row is skipped.",
                "first_row",
            )
        )
    ))


def _existing_findings(
    con: duckdb.DuckDBPyConnection, candidates: pl.DataFrame, skip_existing: bool
) -> pl.DataFrame:
    relation = candidates.select(
        "row", "user_id", "course_id", pl.col("status_word").alias("status"), "completed"
    )
    found = _query(con, "existing_enrollments", candidate_rows=relation)
    consequence = "this row is skipped (--skip-existing)" if skip_existing else (
        "migrating it adds a second one beside it"
    )
    return found.select(finding_columns(
        rules.EXISTING_ENROLLMENT,
        pl.format(
            "The portal already holds {} {} enrollment for this user and course: {}.",
            # "an In Progress", "a Completed"
            pl.when(pl.col("held_status").str.contains("^[AEIOUaeiou]")).then(pl.lit("an")).otherwise(pl.lit("a")),
            "held_status",
            pl.lit(consequence),
        ),
        # the one rule whose severity an option changes (RULES.md: --skip-existing)
        severity=Severity.SKIPPED if skip_existing else None,
    )).sort("row")


def _migrated_rows(
    candidates: pl.LazyFrame, settings: pl.DataFrame, import_date: dt.date
) -> pl.DataFrame:
    """Accepted rows as they are stored (RULES.md §3-5): timestamps, store and awards."""
    midnight = dt.datetime.combine(import_date, dt.time())
    cutoff = two_year_cutoff(import_date)
    finished = pl.col("status").is_in(FINISHED_STATUSES)
    awarded = (pl.col("store") == "live") & pl.col("status").is_in(AWARDED_STATUSES)

    def at(column: str, hour: int = 0) -> pl.Expr:
        return pl.col(column).cast(pl.Datetime("us")) + pl.duration(hours=hour)

    def course_setting(name: str) -> pl.Expr:
        return pl.col("course_id").replace_strict(settings["course_id"], settings[name], default=None)

    return (
        candidates.select(
            "row",
            "login_id",
            "course_name",
            "user_id",
            "course_id",
            pl.col("status_word").alias("status"),
            pl.col("score_value").alias("score"),
            at("created").fill_null(midnight).alias("created_at"),
            at("started").fill_null(midnight).alias("started_at"),
            pl.when(pl.col("status_word").is_in(FINISHED_STATUSES))
            .then(at("completed", 11))
            .alias("completed_at"),
            at("access_expires").alias("access_expires_at"),
            "completed",
        )
        .with_columns(
            store=pl.when(finished & (pl.col("completed") < cutoff))
            .then(pl.lit("archived"))
            .otherwise(pl.lit("live"))
        )
        .with_columns(
            certificate=pl.when(awarded).then(course_setting("certificate")),
            credits=pl.when(awarded).then(course_setting("credits")).pipe(
                lambda credits: pl.when(credits > 0).then(credits)
            ),
            badge=pl.when(awarded).then(course_setting("badge")),
        )
        .select(*MIGRATED_SCHEMA)
        .collect()
    )


def _recertification_findings(con: duckdb.DuckDBPyConnection, migrated: pl.DataFrame) -> pl.DataFrame:
    # Only a finished live row whose user and course hash like another finished live row's can
    # repeat one: the SQL sees those only (the same answer, over a small share of the rows).
    finished_live = (pl.col("store") == "live") & pl.col("status").is_in(FINISHED_STATUSES)
    same_enrollment = pl.when(finished_live).then(pl.col("user_id").hash(0) ^ pl.col("course_id").hash(1))
    suspects = (
        migrated.lazy()
        .filter(finished_live & same_enrollment.is_duplicated())
        .select("row", "user_id", "course_id", "status", "store")
        .collect()
    )
    found = _query(con, "recertification_repeats", migrated_rows=suspects)
    return found.select(finding_columns(
        rules.RECERTIFICATION_MULTIPLE_COMPLETIONS,
        pl.format(
            "This course has recertification and row {} already completes it for this user: "
            "each completion becomes an enrollment of its own.",
            "first_row",
        ),
    )).sort("row")


def course_findings(
    con: duckdb.DuckDBPyConnection, migrated: Migrated, import_date: dt.date
) -> pl.DataFrame:
    """The course checks of the registry, over each course receiving rows (a few: a loop)."""
    courses = _query(con, "course_capacity", {"import_date": import_date}, migrated_rows=migrated)
    items = [
        finding(check.rule, check.message(course, import_date), column=COURSE_NAME.header, value=course["name"])
        for course in courses.iter_rows(named=True)
        for check in COURSE_CHECKS
        if check.fires(course)
    ]
    return findings_frame(items) if items else empty_findings()


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
    findings: pl.DataFrame,
    migrated: Migrated,
    rows: int,
    blocked_rows: int,
    options: Options,
    by_year: list[dict[str, int]] | None = None,
) -> CheckResult:
    findings = Findings.validate(sort_findings(findings.cast(FINDING_SCHEMA)))
    severity = findings["severity"]
    fatal = int((severity == Severity.FATAL).sum())
    errors = int((severity == Severity.ERROR).sum())
    rule_skipped = findings.filter(pl.col("severity") == Severity.SKIPPED)["row"].n_unique()
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
        warnings=int((severity == Severity.WARNING).sum()),
        certificates=int(stored["certificates"]),
        credits=_number(stored["credits"]),
        badges=int(stored["badges"]),
    )
    return CheckResult("invalid" if invalid else "valid", findings, migrated, counts, by_year or [])


def _number(value: float | None) -> float | int:
    value = value or 0
    return int(value) if float(value).is_integer() else value


def _empty_migrated() -> pl.DataFrame:
    return pl.DataFrame(schema=MIGRATED_SCHEMA)


def empty_candidates() -> pl.DataFrame:
    return pl.DataFrame(schema=CANDIDATE_SCHEMA)


def _query(
    con: duckdb.DuckDBPyConnection,
    name: str,
    params: dict[str, object] | None = None,
    **relations: Migrated,
) -> pl.DataFrame:
    """Run a named SQL file with frames registered under the names it reads."""
    with registered(con, **relations):
        return con.sql(sql(name), params=params).pl()


def reject_file(result: CheckResult, file_findings: pl.DataFrame) -> CheckResult:
    """The result with file-level findings added that reject the file (file_already_migrated)."""
    severity = file_findings["severity"]
    counts = replace(
        result.counts,
        errors=result.counts.errors + int(severity.is_in(BLOCKING_SEVERITIES).sum()),
        warnings=result.counts.warnings + int((severity == Severity.WARNING).sum()),
    )
    findings = Findings.validate(sort_findings(pl.concat([file_findings, result.findings])))
    return CheckResult("invalid", findings, result.migrated, counts, result.by_year, result.portal_fingerprint)


def save_result(result: CheckResult, directory: Path) -> None:
    """Keep a check's result on disk so that the next step (another task) can pick it up.
    Migrated rows already in Parquet files stay where they are; the result names them."""
    directory.mkdir(parents=True, exist_ok=True)
    result.findings.write_ipc(directory / "findings.arrow", compression="lz4")
    migrated = result.migrated
    if isinstance(migrated, pl.DataFrame):
        migrated.write_parquet(directory / "migrated.parquet", compression="lz4")
        migrated = [directory / "migrated.parquet"]
    meta = {
        "state": result.state, "counts": asdict(result.counts), "by_year": result.by_year,
        "portal_fingerprint": result.portal_fingerprint, "migrated": [str(path) for path in migrated],
    }
    (directory / "result.json").write_text(json.dumps(meta), encoding="utf-8")


def open_saved_result(directory: Path, with_rows: bool = True) -> CheckResult:
    """The saved result; its migrated rows as the Parquet files that hold them, or none when
    the reader needs only the verdict."""
    meta = json.loads((directory / "result.json").read_text(encoding="utf-8"))
    return CheckResult(
        meta["state"],
        pl.read_ipc(directory / "findings.arrow"),
        [Path(path) for path in meta["migrated"]] if with_rows else _empty_migrated(),
        Counts(**meta["counts"]),
        meta["by_year"],
        meta.get("portal_fingerprint"),
    )
