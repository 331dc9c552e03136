"""The example portal, and the form of every rule's examples (schemas.rules: each rule's `_rule(...)`
call gives one case in which it fires and one in which it does not; tests/schemas/test_registry.py
runs both through the whole engine against this portal).

Plain data, light: schemas.rules imports it, and the light commands import schemas.rules.

A case is the migration file's records, each given as changes to BASE_ROW (a valid live Completed
row that draws no finding on the example portal), or the file's bytes themselves (file-level
rules); and, where the rule needs them, run options, the portal's existing enrollments, and portal
files loaded over the example portal (a course, its learning paths, its settings). Every case is
checked on EXAMPLE_IMPORT_DATE (its two-year cut-off is 15/1/2023: a completion before it is
archived).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from schemas.template import (
    ACCESS_EXPIRES, COLUMNS, COMPLETED, COURSE_NAME, CREATED, LOGIN_ID, SCORE, STARTED, STATUS,
)

# -- the example portal ----------------------------------------------------------------------------
# The formats are the portal files' (INTERFACES.md, "Portal files"; enrollment_migrate.portal).

PORTAL_USERS = """email,username,first_name,last_name,login_enabled
ann@example.com,ann,Ann,Lee,true
bob@example.com,bobby,Bob,Ray,false
carl@example.com,ann@example.org,Carl,Moe,
dora@example.com,dora,Dora,Nye,true
ann@example.org,annie,Ann,Other,true
"""
# ann@example.org is Carl's username and the other Ann's email: an ambiguous Login ID.

PORTAL_COURSES = """name,published,kind,license_seats,ilt_capacity,certificate,certificate_expires_after_days,recertification,credits,badge,enrollment_reminders,due_date_reminders,overdue_reminders,ilt_reminders
Safety,true,elearning,,,Safety Cert,,false,2,Safe Badge,false,false,false,false
Privacy,true,elearning,,,,,false,0,,false,false,false,false
Draft Course,false,elearning,,,,,false,0,,false,false,false,false
Twin,true,elearning,,,,,false,0,,false,false,false,false
twin,true,elearning,,,,,false,0,,false,false,false,false
Licensed,true,elearning,2,,,,false,0,,false,false,false,false
Workshop,true,ilt,,1,,,false,0,,false,false,false,false
Noisy,true,elearning,,,,,false,0,,true,false,false,false
Expiring,true,elearning,,,Exp Cert,365,false,1,,false,false,false,false
Recert,true,elearning,,,Re Cert,,true,0,,false,false,false,false
"""
# Safety: certificate (no expiry), credits and a badge. Privacy: nothing to award. Draft Course:
# not published. Twin/twin: one name for two courses. Licensed: 2 seats. Workshop: instructor-led,
# 1 place. Noisy: enrollment reminders on. Expiring: certificates expire after 365 days. Recert:
# recertification (its period not given: not known).

PORTAL_LEARNING_PATHS = """learning_path,course_name
Onboarding,Privacy
Onboarding,Expiring
"""

PORTAL_SETTINGS = """setting,value
training_history,false
gamification,true
"""

EXAMPLE_IMPORT_DATE = dt.date(2025, 1, 15)

# -- a migration file ------------------------------------------------------------------------------

HEADERS: tuple[str, ...] = tuple(c.header for c in COLUMNS)  # the template's, optional one included
REQUIRED_HEADERS: tuple[str, ...] = tuple(c.header for c in COLUMNS if c.required)
BASE_ROW: Mapping[str, str] = {
    LOGIN_ID.header: "ann@example.com",
    COURSE_NAME.header: "Safety",  # has a badge: no badges_not_retroactive on a gamified portal
    CREATED.header: "",
    STARTED.header: "",
    COMPLETED.header: "1/6/2024",
    SCORE.header: "",
    STATUS.header: "Completed",
    ACCESS_EXPIRES.header: "",
}
_SHORT = {
    "login": LOGIN_ID, "course": COURSE_NAME, "created": CREATED, "started": STARTED,
    "completed": COMPLETED, "score": SCORE, "status": STATUS, "expires": ACCESS_EXPIRES,
}


def row(**changes: str) -> dict[str, str]:
    """Changes to BASE_ROW by short name (login, course, status, created, started, completed,
    score, expires), as template header -> value."""
    return {_SHORT[name].header: value for name, value in changes.items()}


def record(changes: Mapping[str, str]) -> dict[str, str]:
    """BASE_ROW with the changes made: a whole record, template header -> value."""
    unknown = set(changes) - set(HEADERS)
    if unknown:
        raise ValueError(f"not template headers: {sorted(unknown)}")
    return {**BASE_ROW, **changes}


def fields(**changes: str) -> list[str]:
    """A record's fields in HEADERS' order (for a raw row: one with a field more, say)."""
    whole = record(row(**changes))
    return [whole[h] for h in HEADERS]


def learners(course: str, n: int) -> list[dict[str, str]]:
    """BASE_ROW on a course for n distinct learners (up to three)."""
    logins = ("ann@example.com", "dora@example.com", "carl@example.com")[:n]
    assert len(logins) == n
    return [row(login=login, course=course) for login in logins]


def recertified_every(days: int) -> str:
    """A courses file: the example portal's Recert course, with a recertification period."""
    return ("name,published,kind,certificate,recertification,recertification_period_days\n"
            f"Recert,true,elearning,Re Cert,true,{days}\n")


def csv_bytes(
    rows: Sequence[Mapping[str, str] | Sequence[str]] = ({},),
    headers: Sequence[str] = HEADERS,
    *,
    encoding: str = "utf-8",
    line_end: str = "\r\n",
) -> bytes:
    """A migration file: the headers, then each row (changes to BASE_ROW, or a raw list of
    fields written as given)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator=line_end)
    writer.writerow(headers)
    for one in rows:
        if isinstance(one, Mapping):
            whole = record(one)
            writer.writerow([whole.get(h, "") for h in headers])
        else:
            writer.writerow(one)
    return out.getvalue().encode(encoding)


@dataclass(frozen=True)
class Case:
    """One migration file and what it is checked with."""

    rows: tuple[Mapping[str, str], ...] = ({},)  # the records, each as changes to BASE_ROW
    raw: bytes | None = None  # the file's bytes instead of rows (file-level rules)
    options: Mapping[str, object] = field(default_factory=dict)  # RunOptions fields
    existing: tuple[Mapping[str, str], ...] = ()  # the portal's existing enrollments (as rows)
    # Portal files loaded over the example portal, by enrollment_migrate.portal.load_portal's
    # keyword: "courses" (updates the courses it names), "learning_paths", "settings" (replace).
    portal: Mapping[str, str] = field(default_factory=dict)

    def file_bytes(self) -> bytes:
        return self.raw if self.raw is not None else csv_bytes(self.rows)

    def existing_bytes(self) -> bytes | None:
        return csv_bytes(self.existing) if self.existing else None

    @property
    def changes_portal(self) -> bool:
        """A case that needs a portal of its own (not the example portal as it is)."""
        return bool(self.existing or self.portal)


def case(*rows: Mapping[str, str] | None, **given: object) -> Case:
    """A case of the given rows (none: BASE_ROW alone); keywords are the other Case fields."""
    return Case(rows=tuple(r or {} for r in rows) or ({},), **given)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Example:
    fires: Case  # the rule's code is among the findings
    passes: Case  # close to it, and the code is not
