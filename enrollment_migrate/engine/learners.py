"""Step 2, learner by learner: the registry's learner checks (duplicates, existing
enrollments, recertification) and the rows as they would be stored."""

from __future__ import annotations

import datetime as dt
import functools
import operator

import duckdb
import polars as pl

from enrollment_migrate.engine.model import (
    MIGRATED_SCHEMA,
    RunOptions,
    query,
    row_among,
    two_year_cutoff,
)
from schemas import rules
from schemas.findings import finding_columns
from schemas.rules import Severity
from schemas.template import AWARDED_STATUSES, FINISHED_STATUSES, OPEN_STATUSES


def check_learners(
    con: duckdb.DuckDBPyConnection, candidates: pl.DataFrame, settings: pl.DataFrame, options: RunOptions
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Step 2, learner by learner: the rules across a learner's rows (duplicates, existing
    enrollments, recertification); returns their findings and the rows as they would be stored.

    `candidates` must hold all the rows of each learner it holds, in file order. `con` answers
    for the store's enrollments and courses (the store itself, or a copy of them).
    """
    findings = [_duplicate_findings(con, candidates)]
    dropped = findings[0].get_column("row")
    if options.check_existing:
        existing = _existing_findings(con, candidates.filter(~row_among(dropped)), options.skip_existing)
        findings.append(existing)
        if options.skip_existing:
            dropped = pl.concat([dropped, existing.get_column("row")])
    migrated = _migrated_rows(candidates.lazy().filter(~row_among(dropped)), settings, options.import_date)
    findings.append(_recertification_findings(con, migrated))
    return pl.concat(findings, how="vertical"), migrated



def _duplicate_findings(con: duckdb.DuckDBPyConnection, candidates: pl.DataFrame) -> pl.DataFrame:
    """duplicate_row and duplicate_open_enrollment, as sql/duplicate_rows.sql defines them.

    The SQL only sees the rows that can be duplicates: those whose eight values hash like
    another row's (same_values), and open rows sharing a user and course with another open row.
    Every row of a duplicate group is among them, so the SQL's answer is the same as over the
    whole file.
    """
    # Rows with the same eight values have the same parsed values: the same user and course
    # (Login ID and Course Name case-folded), dates, score and status. Hashing those numbers
    # instead of the strings only ever adds suspects, never loses one, at a third of the cost.
    hashed = [
        pl.col(name).hash(seed)
        for seed, name in enumerate(
            ("user_id", "course_id", "created", "started", "completed", "score_value", "access_expires",
             "status_word")
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
    found = query(con, "duplicate_rows", candidate_rows=suspects)
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
    found = query(con, "existing_enrollments", candidate_rows=relation)
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
    found = query(con, "recertification_repeats", migrated_rows=suspects)
    return found.select(finding_columns(
        rules.RECERTIFICATION_MULTIPLE_COMPLETIONS,
        pl.format(
            "This course has recertification and row {} already completes it for this user: "
            "each completion becomes an enrollment of its own.",
            "first_row",
        ),
    )).sort("row")
