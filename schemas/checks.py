"""The rule registry: every rule of the catalogue (schemas.rules) with the one check that finds it.

A check is one of four kinds, by what it needs to see:

- **file**: the file as bytes and its header (encoding, line endings, columns, field counts);
  the loader finds them (enrollment_migrate.template_file), and the apply the one rule about
  runs (file_already_migrated, enrollment_migrate.apply.already_applied, asked when the check
  concludes and again inside the apply's transaction).
- **row**: one row at a time, a Polars expression (schemas.row_rules); the engine loops over them.
- **learner**: a learner's rows together, or with the store's enrollments: a SQL file of `sql/`
  over the rows a Polars filter picks out as suspects, with the message its answer reads and
  the store columns it reads (the Dask workers get a copy of exactly those); the engine loops
  over them in order (enrollment_migrate.engine.learners), each over the rows no earlier one
  dropped (duplicates; existing enrollments under --skip-existing).
- **course**: what the file brings to the portal, a row of a SQL file at a time: a course's
  capacity and settings (sql/course_capacity.sql, the default), a learning path
  (sql/learning_paths_archived.sql), or the file against the portal's options
  (sql/file_archive.sql); a condition and a message, looped over by the engine.

Every kind builds its findings with schemas.findings (`finding`, `finding_columns`), so the
severity always comes from the catalogue. Adding a rule touches its catalogue entry, its check
below (or in row_rules), and its tests; tests/schemas/test_checks.py holds every catalogue code
to exactly one check.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import polars as pl

from schemas import rules
from schemas.row_rules import RowCheck, row_checks
from schemas.rules import Rule, Severity
from schemas.template import COURSE_NAME, FINISHED_STATUSES, OPEN_STATUSES

if TYPE_CHECKING:
    from enrollment_migrate.options import RunOptions


@dataclass(frozen=True)
class FileCheck:
    rules: tuple[Rule, ...]
    found_by: str  # the module that reads the file (or the run) and finds them


@dataclass(frozen=True)
class LearnerCheck:
    """A rule across a learner's rows: a SQL file of sql/ over the rows it reads, whose answer
    (a `row` column, and what the message reads) becomes its findings. The engine runs every
    one, in this order, each over the rows no earlier check dropped."""

    rules: tuple[Rule, ...]  # one, or the `rule` column of the SQL's answer names which
    sql: str  # the name of its file in sql/
    # The store's tables and columns it reads beside the file's rows: a worker without the
    # store gets a copy of these (enrollment_migrate.engine.drivers.save_portal).
    store_columns: dict[str, tuple[str, ...]]
    # The rows the SQL needs to see, with the columns it reads: a cheap Polars filter that keeps
    # every row the SQL could answer for, so that it sees a small share of the file.
    suspects: Callable[[pl.LazyFrame], pl.LazyFrame]
    message: Callable[[RunOptions], pl.Expr]  # over the SQL's answer
    # What it reads: the candidate rows (no blocking finding), or the rows as they would be stored.
    reads: Literal["candidate_rows", "migrated_rows"] = "candidate_rows"
    applies: Callable[[RunOptions], bool] = lambda options: True
    drops: Callable[[RunOptions], bool] = lambda options: False  # its rows are not migrated
    severity: Callable[[RunOptions], Severity | None] = lambda options: None  # None: the catalogue's


@dataclass(frozen=True)
class CourseCheck:
    rule: Rule
    fires: Callable[[dict[str, Any]], bool]
    message: Callable[[dict[str, Any], dt.date], str]
    query: str = "course_capacity"  # the SQL file of sql/ whose rows it looks at
    # The finding's column; its value is the row's `name` (a course's, a path's) where it has one.
    column: str | None = COURSE_NAME.header


FILE_CHECKS = (
    FileCheck(
        (rules.NOT_UTF8, rules.EMPTY_FILE, rules.NOT_CSV_LINE_ENDINGS, rules.MISSING_COLUMN,
         rules.DUPLICATE_COLUMN, rules.UNKNOWN_COLUMN, rules.MALFORMED_ROW),
        "enrollment_migrate.template_file",
    ),
    FileCheck((rules.FILE_ALREADY_MIGRATED,), "enrollment_migrate.apply"),
)

def _repeated(values: pl.Expr) -> pl.Expr:
    """Whether each value occurs more than once (a null: False): is_duplicated, by a sort and a
    look at each value's neighbour (a fifth of its time over millions of hashes)."""
    ordered = values.sort()
    return values.is_in(ordered.filter(ordered == ordered.shift(1)).implode()).fill_null(False)


def _duplicate_suspects(candidates: pl.LazyFrame) -> pl.LazyFrame:
    """The rows that can be duplicates (sql/duplicate_rows.sql): those whose eight values hash like
    another row's (same_values), and open rows sharing a user and course with another open row.
    Every row of a duplicate group is among them, so the SQL's answer is the same as over the
    whole file."""
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
    return (
        candidates.with_columns(eight_values=eight_values, same_open_enrollment=same_open_enrollment)
        .with_columns(same_values=_repeated(pl.col("eight_values")))
        .filter(pl.col("same_values") | (open_row & _repeated(pl.col("same_open_enrollment"))))
        .select(
            "row", "login_id", "course_name", "created_date", "started_date", "completed_date",
            "score", "access_expires_date", "user_id", "course_id", pl.col("status_word").alias("status"),
            "same_values",
        )
    )


def _duplicate_message(options: RunOptions) -> pl.Expr:
    return (
        pl.when(pl.col("rule") == rules.DUPLICATE_ROW.code)
        .then(pl.format("Same values as row {}: this row is skipped.", "first_row"))
        .otherwise(pl.format(
            "Row {} already gives this user an open enrollment on this course: this row is skipped.",
            "first_row",
        ))
    )


def _existing_message(options: RunOptions) -> pl.Expr:
    consequence = "this row is skipped (--skip-existing)" if options.skip_existing else (
        "migrating it adds a second one beside it"
    )
    return pl.format(
        "The portal already holds {} {} enrollment for this user and course: {}.",
        # "an In Progress", "a Completed"
        pl.when(pl.col("held_status").str.contains("^[AEIOUaeiou]")).then(pl.lit("an")).otherwise(pl.lit("a")),
        "held_status",
        pl.lit(consequence),
    )


def _recertification_suspects(migrated: pl.LazyFrame) -> pl.LazyFrame:
    """Only a finished live row whose user and course hash like another finished live row's can
    repeat one: the SQL sees those only (the same answer, over a small share of the rows)."""
    finished_live = (pl.col("store") == "live") & pl.col("status").is_in(FINISHED_STATUSES)
    same_enrollment = pl.when(finished_live).then(pl.col("user_id").hash(0) ^ pl.col("course_id").hash(1))
    return migrated.with_columns(same_enrollment=same_enrollment).filter(
        finished_live & _repeated(pl.col("same_enrollment"))
    ).select(
        "row", "user_id", "course_id", "status", "store"
    )


_HELD = ("user_id", "course_id", "status", "completed_at")
LEARNER_CHECKS = (
    LearnerCheck(
        (rules.DUPLICATE_ROW, rules.DUPLICATE_OPEN_ENROLLMENT), "duplicate_rows", {},
        _duplicate_suspects, _duplicate_message, drops=lambda options: True,
    ),
    LearnerCheck(
        (rules.EXISTING_ENROLLMENT,), "existing_enrollments",
        {"enrollments": _HELD, "archived_enrollments": _HELD},
        lambda rows: rows.select("row", "user_id", "course_id", pl.col("status_word").alias("status"), "completed"),
        _existing_message,
        # Not for a portal's own enrollments, which are checked against themselves.
        applies=lambda options: options.check_existing,
        drops=lambda options: options.skip_existing,
        # the one rule whose severity an option changes (RULES.md: --skip-existing)
        severity=lambda options: Severity.SKIPPED if options.skip_existing else None,
    ),
    LearnerCheck(
        (rules.RECERTIFICATION_MULTIPLE_COMPLETIONS,), "recertification_repeats",
        {"courses": ("course_id", "recertification")},
        _recertification_suspects,
        lambda options: pl.format(
            "This course has recertification and row {} already completes it for this user: "
            "each completion becomes an enrollment of its own.",
            "first_row",
        ),
        reads="migrated_rows",
    ),
)


def _reminders_on(course: dict[str, Any]) -> list[str]:
    return [
        label for key, label in (
            ("enrollment_reminders", "enrollment"), ("due_date_reminders", "due date"),
            ("overdue_reminders", "overdue"), ("ilt_reminders", "ILT"),
        ) if course[key]
    ]


COURSE_CHECKS = (
    CourseCheck(
        rules.LICENSE_SHORTFALL,
        lambda c: c["free_licenses"] is not None and c["free_licenses"] < c["incoming"],
        lambda c, _: (f"'{c['name']}' has {max(c['free_licenses'], 0)} free licenses of "
                      f"{c['license_seats']}; {c['incoming']} rows would use one each."),
    ),
    CourseCheck(
        rules.ILT_CAPACITY_SHORTFALL,
        lambda c: c["free_places"] is not None and c["free_places"] < c["incoming"],
        lambda c, _: (f"'{c['name']}' has {max(c['free_places'], 0)} free places of "
                      f"{c['ilt_capacity']}; {c['incoming']} rows would take one each."),
    ),
    CourseCheck(
        rules.REMINDERS_ENABLED,
        lambda c: bool(_reminders_on(c)),
        lambda c, _: (f"'{c['name']}' has {', '.join(_reminders_on(c))} reminders on: switch them "
                      "off before migrating so that learners get no surprise emails."),
    ),
    CourseCheck(
        rules.CERTIFICATE_EXPIRY_SET,
        lambda c: c["certificate_expires_after_days"] is not None and bool(c["certificates"]),
        lambda c, import_date: (
            f"'{c['name']}' certificates expire after {c['certificate_expires_after_days']} days: "
            f"{c['certificates_expired']} of the {c['certificates']} migrated certificates would "
            f"already be past expiry on {import_date.strftime('%-d/%-m/%Y')}."
        ),
    ),
)

def _counted(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


COURSE_CHECKS += (
    CourseCheck(
        rules.RECERTIFICATION_BEYOND_ARCHIVE,
        lambda c: bool(c["recertification"] and c["archived"] and c["recertification_period_days"] is not None
                       and c["recertification_period_days"] > c["window_days"]),
        lambda c, _: (f"'{c['name']}' recertifies every {c['recertification_period_days']} days, longer than the "
                      f"two-year window ({c['window_days']} days); recertification will not see its "
                      f"{_counted(c['archived'], 'archived completion')}."),
    ),
    CourseCheck(
        rules.BADGES_NOT_RETROACTIVE,
        lambda c: c["gamification"] is True and c["badge"] is None and c["live_awarded"] > 0,
        lambda c, _: (f"'{c['name']}' has no badge and receives {_counted(c['live_awarded'], 'live completion')}: on "
                      "this gamified portal their badges and points cannot be awarded later."),
    ),
    CourseCheck(
        rules.LEARNING_PATH_ARCHIVED,
        lambda p: p["rows"] > 0,
        lambda p, _: (f"Learning path '{p['name']}': {_counted(p['rows'], 'archived completion')} of "
                      f"{_counted(p['learners'], 'learner')} ({', '.join(p['courses'])}) do not count "
                      "toward it; they must complete those courses again."),
        query="learning_paths_archived",
        column=None,
    ),
    CourseCheck(
        rules.TRAINING_HISTORY_DISABLED,
        lambda f: f["training_history"] is False and f["archived"] > 0,
        lambda f, _: (f"The file has {_counted(f['archived'], 'archived row')} and the portal's Training History "
                      "option is off: admins cannot see them until the platform's support enables it."),
        query="file_archive",
        column=None,
    ),
)

Check = FileCheck | RowCheck | LearnerCheck | CourseCheck


def checks(import_date: dt.date) -> list[Check]:
    """Every check, of the four kinds (the row checks read the import date)."""
    return [*FILE_CHECKS, *row_checks(import_date), *LEARNER_CHECKS, *COURSE_CHECKS]


def rules_of(check: Check) -> tuple[Rule, ...]:
    return check.rules if isinstance(check, FileCheck | LearnerCheck) else (check.rule,)


def kind_of(check: Check) -> str:
    return {FileCheck: "file", RowCheck: "row", LearnerCheck: "learner", CourseCheck: "course"}[type(check)]


def store_columns() -> dict[str, tuple[str, ...]]:
    """The store's tables and columns the learner checks read, merged."""
    merged: dict[str, tuple[str, ...]] = {}
    for check in LEARNER_CHECKS:
        for table, columns in check.store_columns.items():
            merged[table] = tuple(dict.fromkeys([*merged.get(table, ()), *columns]))
    return merged
