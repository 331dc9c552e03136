"""Step 2, learner by learner: the registry's learner checks (schemas.checks.LEARNER_CHECKS:
duplicates, existing enrollments, recertification), looped over, and the rows as they would be
stored."""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

from enrollment_migrate.engine.model import (
    MIGRATED_SCHEMA,
    RunOptions,
    query,
    row_among,
    two_year_cutoff,
)
from schemas.checks import LEARNER_CHECKS, LearnerCheck
from schemas.findings import finding_columns
from schemas.template import AWARDED_STATUSES, FINISHED_STATUSES


def check_learners(
    con: duckdb.DuckDBPyConnection, candidates: pl.DataFrame, settings: pl.DataFrame, options: RunOptions
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Step 2, learner by learner: the registry's learner checks (schemas.checks.LEARNER_CHECKS),
    in its order, each over the rows no earlier one dropped; returns their findings and the rows
    as they would be stored.

    `candidates` must hold all the rows of each learner it holds, in file order. `con` answers
    for the store's enrollments and courses (the store itself, or a copy of them).
    """
    findings, dropped = [], []
    for check in _applying(options, "candidate_rows"):
        found = _learner_findings(con, check, _without(candidates, dropped), options)
        findings.append(found)
        if check.drops(options):
            dropped.append(found.get_column("row"))
    # The stored rows are known once every check that may drop rows has run.
    migrated = _migrated_rows(_without(candidates, dropped), settings, options.import_date)
    for check in _applying(options, "migrated_rows"):
        findings.append(_learner_findings(con, check, migrated, options))
    return pl.concat(findings, how="vertical"), migrated


def _applying(options: RunOptions, reads: str) -> list[LearnerCheck]:
    return [check for check in LEARNER_CHECKS if check.reads == reads and check.applies(options)]


def _without(rows: pl.DataFrame, dropped: list[pl.Series]) -> pl.LazyFrame:
    """The rows not dropped, as a plan: each reader materialises only the columns it selects."""
    return rows.lazy().filter(~row_among(pl.concat(dropped))) if dropped else rows.lazy()


def _learner_findings(
    con: duckdb.DuckDBPyConnection, check: LearnerCheck, rows: pl.LazyFrame | pl.DataFrame, options: RunOptions
) -> pl.DataFrame:
    """One learner check: its SQL over its suspects, its answer as findings, in row order."""
    found = query(con, check.sql, **{check.reads: check.suspects(rows.lazy()).collect()})
    rule = check.rules[0] if len(check.rules) == 1 else pl.col("rule")
    return found.sort("row", maintain_order=True).select(
        finding_columns(rule, check.message(options), severity=check.severity(options))
    )



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
