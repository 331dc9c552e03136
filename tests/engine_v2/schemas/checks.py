"""The rule registry: every rule of the catalogue (schemas.rules) with the one check that finds it.

A check is one of four kinds, by what it needs to see:

- **file**: the file as bytes and its header (encoding, line endings, columns, field counts);
  the loader finds them (enrollment_migrate.template_file), and the apply the one rule about
  runs (file_already_migrated, enrollment_migrate.apply.already_applied, asked when the check
  concludes and again inside the apply's transaction).
- **row**: one row at a time, a Polars expression (schemas.row_rules); the engine loops over them.
- **learner**: a learner's rows together, or with the store's enrollments: a SQL file of `sql/`,
  with the store columns it reads (the Dask workers get a copy of exactly those).
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
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from schemas import rules
from engine_v2.schemas.row_rules import RowCheck, row_checks
from schemas.rules import Rule
from schemas.template import COURSE_NAME


@dataclass(frozen=True)
class FileCheck:
    rules: tuple[Rule, ...]
    found_by: str  # the module that reads the file (or the run) and finds them


@dataclass(frozen=True)
class LearnerCheck:
    rules: tuple[Rule, ...]
    sql: str  # the name of its file in sql/
    # The store's tables and columns it reads beside the file's rows: a worker without the
    # store gets a copy of these (enrollment_migrate.engine.drivers.save_portal).
    store_columns: dict[str, tuple[str, ...]]


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

_HELD = ("user_id", "course_id", "status", "completed_at")
LEARNER_CHECKS = (
    LearnerCheck((rules.DUPLICATE_ROW, rules.DUPLICATE_OPEN_ENROLLMENT), "duplicate_rows", {}),
    LearnerCheck((rules.EXISTING_ENROLLMENT,), "existing_enrollments",
                 {"enrollments": _HELD, "archived_enrollments": _HELD}),
    LearnerCheck((rules.RECERTIFICATION_MULTIPLE_COMPLETIONS,), "recertification_repeats",
                 {"courses": ("course_id", "recertification")}),
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
