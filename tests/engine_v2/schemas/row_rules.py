"""The per-row rules as Polars expressions: pure, declarative, and run in one pass by the engine.

Each check reads the prepared frame built by `enrollment_migrate.engine.prepare_rows`: the raw
trimmed values under the template field names, plus these parsed columns:

    status_word      the canonical status, null when it is not one of the five
    created, started, completed, access_expires   dates (null when blank or unparseable)
    score_value      the score as a number (null when blank or not a number)
    user_matches, course_matches, course_published   portal lookups (null when no match)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from schemas import rules
from schemas.rules import Rule
from schemas.template import (
    ACCESS_EXPIRES,
    COMPLETED,
    COURSE_NAME,
    CREATED,
    DATE_COLUMNS,
    FINISHED_STATUSES,
    LOGIN_ID,
    OPEN_STATUSES,
    SCORE,
    SCORED_STATUSES,
    STARTED,
    STATUS,
    TemplateColumn,
)

# ASCII digits only: the regex engine's \d also matches other scripts' digits, which no date
# parser reads (they are a wrong format, not an impossible date).
DATE_SHAPE = r"^[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}$"
DATE_FORMAT = "%d/%m/%Y"
SCORE_SHAPE = r"^[+-]?(\d+(\.\d*)?|\.\d+)$"
EARLIEST_DATE = dt.date(1970, 1, 1)

# The parsed column that holds each date column's value.
PARSED = {CREATED: "created", STARTED: "started", COMPLETED: "completed", ACCESS_EXPIRES: "access_expires"}


@dataclass(frozen=True)
class RowCheck:
    rule: Rule
    column: TemplateColumn | None
    failing: pl.Expr
    message: pl.Expr
    # A cheaper test that holds wherever `failing` does (and maybe elsewhere): the engine
    # evaluates it over every row, and `failing` only over the rows some suspect picks out.
    suspect: pl.Expr | None = None

    @property
    def may_fail(self) -> pl.Expr:
        return self.failing if self.suspect is None else self.suspect

    @property
    def value(self) -> pl.Expr:
        if self.column is None:
            return pl.lit(None, pl.String)
        return pl.col(self.column.field)


def parse_date(raw: pl.Expr) -> pl.Expr:
    """d/m/yyyy, day and month with or without a leading zero; null for anything else."""
    return pl.when(raw.str.contains(DATE_SHAPE)).then(raw.str.to_date(DATE_FORMAT, strict=False))


def parse_score(raw: pl.Expr) -> pl.Expr:
    return pl.when(raw.str.contains(SCORE_SHAPE)).then(raw.cast(pl.Float64, strict=False))


def _raw(column: TemplateColumn) -> pl.Expr:
    return pl.col(column.field)


def _status_in(statuses: tuple[str, ...]) -> pl.Expr:
    return pl.col("status_word").is_in(statuses).fill_null(False)


def _date_checks(column: TemplateColumn, import_date: dt.date) -> list[RowCheck]:
    raw, parsed = _raw(column), pl.col(PARSED[column])
    name = column.header
    # A value that parsed has the date shape: only the others need the (costly) regex.
    unparsed = raw.is_not_null() & parsed.is_null()
    checks = [
        RowCheck(
            rules.BAD_DATE_FORMAT,
            column,
            raw.is_not_null() & ~raw.str.contains(DATE_SHAPE),
            pl.format("{}: '{}' is not a d/m/yyyy date (for example 1/3/2023).", pl.lit(name), raw),
            suspect=unparsed,
        ),
        RowCheck(
            rules.INVALID_DATE,
            column,
            raw.str.contains(DATE_SHAPE) & parsed.is_null(),
            pl.format("{}: '{}' is not a real date.", pl.lit(name), raw),
            suspect=unparsed,
        ),
        RowCheck(
            rules.DATE_BEFORE_1970,
            column,
            parsed < EARLIEST_DATE,
            pl.format("{}: {} is before 1/1/1970.", pl.lit(name), raw),
        ),
    ]
    if column is not ACCESS_EXPIRES:
        checks.append(
            RowCheck(
                rules.DATE_IN_FUTURE,
                column,
                parsed > import_date,
                pl.format(
                    "{}: {} is after the import date {}.",
                    pl.lit(name),
                    raw,
                    pl.lit(import_date.strftime("%-d/%-m/%Y")),
                ),
            )
        )
    return checks


def row_checks(import_date: dt.date) -> list[RowCheck]:
    """Every per-row rule, in the order findings are listed within a row."""
    created, started, completed = pl.col("created"), pl.col("started"), pl.col("completed")
    finished = _status_in(FINISHED_STATUSES)
    score = _raw(SCORE)
    checks = [
        RowCheck(
            rules.BLANK_LOGIN_ID, LOGIN_ID, _raw(LOGIN_ID).is_null(), pl.lit("Login ID is blank.")
        ),
        RowCheck(
            rules.UNKNOWN_USER,
            LOGIN_ID,
            _raw(LOGIN_ID).is_not_null() & pl.col("user_matches").is_null(),
            pl.format("No portal user has the email or username '{}'.", _raw(LOGIN_ID)),
        ),
        RowCheck(
            rules.AMBIGUOUS_USER,
            LOGIN_ID,
            pl.col("user_matches") > 1,
            pl.format(
                "'{}' is the email of one portal user and the username of another.",
                _raw(LOGIN_ID),
            ),
        ),
        RowCheck(
            rules.BLANK_COURSE_NAME,
            COURSE_NAME,
            _raw(COURSE_NAME).is_null(),
            pl.lit("Course Name is blank: a blank Course Name makes the whole file invalid."),
        ),
        RowCheck(
            rules.UNKNOWN_COURSE,
            COURSE_NAME,
            _raw(COURSE_NAME).is_not_null() & pl.col("course_matches").is_null(),
            pl.format("No portal course is named '{}'.", _raw(COURSE_NAME)),
        ),
        RowCheck(
            rules.AMBIGUOUS_COURSE,
            COURSE_NAME,
            pl.col("course_matches") > 1,
            pl.format("{} portal courses are named '{}'.", pl.col("course_matches"), _raw(COURSE_NAME)),
        ),
        RowCheck(
            rules.COURSE_NOT_PUBLISHED,
            COURSE_NAME,
            (pl.col("course_matches") == 1) & ~pl.col("course_published"),
            pl.format("The course '{}' is not published.", _raw(COURSE_NAME)),
        ),
        RowCheck(
            rules.UNKNOWN_STATUS,
            STATUS,
            pl.col("status_word").is_null(),
            pl.format(
                "'{}' is not a status: use Not Started, In Progress, Completed, Passed or Failed.",
                _raw(STATUS).fill_null(""),
            ),
        ),
    ]
    for column in DATE_COLUMNS:
        checks.extend(_date_checks(column, import_date))
    checks += [
        RowCheck(
            rules.COMPLETED_DATE_REQUIRED,
            COMPLETED,
            finished & _raw(COMPLETED).is_null(),
            pl.format("A {} enrollment needs a Completed Date.", pl.col("status_word")),
        ),
        RowCheck(
            rules.DATE_SEQUENCE,
            STARTED,
            created > started,
            pl.format("Started {} is before Created {}.", _raw(STARTED), _raw(CREATED)),
        ),
        RowCheck(
            rules.DATE_SEQUENCE,
            COMPLETED,
            finished & ((created > completed) | (started > completed)).fill_null(False),
            pl.format(
                "Completed {} is before {}.",
                _raw(COMPLETED),
                pl.when(created > completed)
                .then(pl.format("Created {}", _raw(CREATED)))
                .otherwise(pl.format("Started {}", _raw(STARTED))),
            ),
        ),
        RowCheck(
            rules.ACCESS_EXPIRES_BEFORE_CREATED,
            ACCESS_EXPIRES,
            pl.col("access_expires") < created,
            pl.format("Access expires {} before Created {}.", _raw(ACCESS_EXPIRES), _raw(CREATED)),
        ),
        RowCheck(
            rules.SCORE_NOT_ALLOWED,
            SCORE,
            score.is_not_null() & pl.col("status_word").is_not_null() & ~_status_in(SCORED_STATUSES),
            pl.format(
                "A {} enrollment cannot carry a score: only Passed or Failed can.",
                pl.col("status_word"),
            ),
        ),
        RowCheck(
            rules.SCORE_REQUIRED,
            SCORE,
            _status_in(SCORED_STATUSES) & score.is_null(),
            pl.format("A {} enrollment needs a score.", pl.col("status_word")),
        ),
        RowCheck(
            rules.BAD_SCORE,
            SCORE,
            score.is_not_null()
            & ~pl.col("score_value").is_between(0, 100).fill_null(False),
            pl.format("'{}' is not a score from 0 to 100.", score),
        ),
        RowCheck(
            rules.COMPLETED_DATE_IGNORED,
            COMPLETED,
            _status_in(OPEN_STATUSES) & _raw(COMPLETED).is_not_null(),
            pl.format(
                "A {} enrollment keeps no Completed Date: {} will not be stored.",
                pl.col("status_word"),
                _raw(COMPLETED),
            ),
        ),
    ]
    return checks
