"""Every rule the migration applies, with its stable code and severity.

This module is the single source of truth for rule codes (see ../shared/spec/RULES.md): the engine,
the reports and the tests all refer to rules through it, never through string literals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from schemas.examples import (
    HEADERS, REQUIRED_HEADERS, Example, case, csv_bytes, fields, learners, recertified_every, row,
)


class Severity(StrEnum):
    FATAL = "fatal"
    ERROR = "error"
    SKIPPED = "skipped"
    WARNING = "warning"

    @property
    def blocks_row(self) -> bool:
        """A row with a fatal or error finding is never migrated."""
        return self in (Severity.FATAL, Severity.ERROR)


# How the readiness checklist marks each item's state, on the page and in the terminal.
READINESS_MARKS: dict[str, str] = {
    "ok": "✔ ok", "attention": "! attention", "blocking": "✘ blocking", "unknown": "? unknown",
}


@dataclass(frozen=True)
class Rule:
    code: str
    severity: Severity
    summary: str  # what it means, in a few words
    fix: str  # what the admin does about it: the report page and the artifacts show it
    # One case in which the rule fires, one in which it does not (schemas.examples): run through
    # the whole engine by tests/schemas/test_registry.py. Not part of the rule's identity.
    examples: Example | None = field(default=None, compare=False, repr=False)

    def __str__(self) -> str:
        return self.code


def _rule(code: str, severity: Severity, summary: str, fix: str, examples: Example | None = None) -> Rule:
    return Rule(code, severity, summary, fix, examples)


F, E, S, W = Severity.FATAL, Severity.ERROR, Severity.SKIPPED, Severity.WARNING


# file
NOT_UTF8 = _rule(
    "not_utf8", F, "the file is not valid UTF-8",
    "Save the file as CSV UTF-8 (Excel: Save As, CSV UTF-8), or let 'enrollment-migrate "
    "prepare' convert it.",
    examples=Example(
        fires=case(raw=csv_bytes(encoding="utf-16")),  # Excel's "Unicode Text"
        passes=case(raw=csv_bytes(encoding="utf-8-sig")),  # a byte-order mark is stripped
    ),
)
EMPTY_FILE = _rule(
    "empty_file", F, "no header, or a header and no records",
    "Export the file again with its header row and at least one record.",
    examples=Example(
        fires=case(raw=csv_bytes(rows=())),  # the header alone
        passes=case(),
    ),
)
NOT_CSV_LINE_ENDINGS = _rule(
    "not_csv_line_endings", F, "the line breaks are lone CRs (an old Mac export)",
    "Save the file again as CSV UTF-8 (Excel: Save As, CSV UTF-8), which ends lines with CR LF, "
    "or let 'enrollment-migrate prepare' convert it.",
    examples=Example(
        fires=case(raw=csv_bytes(line_end="\r")),
        passes=case(raw=csv_bytes(line_end="\n")),
    ),
)
MISSING_COLUMN = _rule(
    "missing_column", F, "a required header is absent",
    "Add the template column the value names, with that header, even if its values are blank.",
    examples=Example(
        fires=case(raw=csv_bytes(headers=[h for h in HEADERS if h != "Enrollment Score"])),
        passes=case(raw=csv_bytes(headers=REQUIRED_HEADERS)),  # Access Expires is optional
    ),
)
DUPLICATE_COLUMN = _rule(
    "duplicate_column", F, "two headers match the same template column",
    "Keep one column for each template header: delete or rename the other one.",
    examples=Example(
        fires=case(raw=csv_bytes(rows=[[*fields(), "ann"]], headers=[*HEADERS, " login id "])),
        passes=case(raw=csv_bytes(headers=[" login id ", *HEADERS[1:]])),
    ),
)
UNKNOWN_COLUMN = _rule(
    "unknown_column", W, "a header that is not a template column",
    "Nothing is migrated from this column: rename it if it was meant to be a template column, "
    "else delete it.",
    examples=Example(
        fires=case(raw=csv_bytes(rows=[[*fields(), "HR"]], headers=[*HEADERS, "Department"])),
        passes=case(raw=csv_bytes(headers=[*REQUIRED_HEADERS, " ENROLLMENT ACCESS EXPIRES DATE "])),
    ),
)
MALFORMED_ROW = _rule(
    "malformed_row", E, "field count differs from the header's",
    "Give the row as many fields as the header has: look for an unquoted comma or a stray quote"
    " in it.",
    examples=Example(
        fires=case(raw=csv_bytes(rows=[[*fields(), "extra"]])),
        passes=case(raw=csv_bytes(rows=[{}, [], row(completed="2/6/2024")])),  # a line with nothing on it is no record
    ),
)
# rows
BLANK_COURSE_NAME = _rule(
    "blank_course_name", F, "Course Name is blank",
    "Fill in the portal's name of the course on every row, or delete the row.",
    examples=Example(
        fires=case(row(course="  ")),
        passes=case(row(course=" safety ")),
    ),
)
BLANK_LOGIN_ID = _rule(
    "blank_login_id", E, "Login ID is blank",
    "Fill in the learner's email or username as the portal has it, or delete the row.",
    examples=Example(
        fires=case(row(login="")),
        passes=case(row(login=" ANN ")),  # a username
    ),
)
UNKNOWN_USER = _rule(
    "unknown_user", E, "Login ID matches no portal user",
    "Correct the Login ID to a portal user's email or username, or create the user in the "
    "portal first.",
    examples=Example(
        fires=case(row(login="nobody@example.com")),
        passes=case(row(login="bobby")),  # login disabled: still a user
    ),
)
AMBIGUOUS_USER = _rule(
    "ambiguous_user", E, "Login ID matches more than one portal user",
    "Use the email of the learner meant: this value is one user's email and another user's "
    "username.",
    examples=Example(
        fires=case(row(login="ann@example.org")),  # one's email, another's username
        passes=case(row(login="annie")),
    ),
)
UNKNOWN_COURSE = _rule(
    "unknown_course", E, "Course Name matches no portal course",
    "Spell the course name as the portal does, or create the course in the portal first.",
    examples=Example(
        fires=case(row(course="Safety 101")),
        passes=case(row(course="SAFETY")),
    ),
)
AMBIGUOUS_COURSE = _rule(
    "ambiguous_course", E, "Course Name matches more than one portal course",
    "Rename one of the portal courses whose names differ only in case or spaces, then name the "
    "one meant.",
    examples=Example(
        fires=case(row(course="twin")),  # Twin and twin
        passes=case(row(course="Workshop")),
    ),
)
COURSE_NOT_PUBLISHED = _rule(
    "course_not_published", E, "the course exists but is not published",
    "Publish the course in the portal before migrating, or leave its rows out.",
    examples=Example(
        fires=case(row(course="Draft Course")),
        passes=case(row(course="Recert")),
    ),
)
UNKNOWN_STATUS = _rule(
    "unknown_status", E, "Status is not one of the five template statuses",
    "Use one of Not Started, In Progress, Completed, Passed or Failed.",
    examples=Example(
        fires=case(row(status="Complete")),
        passes=case(row(status="COMPLETED")),
    ),
)
BAD_DATE_FORMAT = _rule(
    "bad_date_format", E, "a date is not d/m/yyyy",
    "Write the date as day/month/four-digit year with no time (15/1/2024); 'prepare' converts "
    "other formats.",
    examples=Example(
        fires=case(row(completed="2024-06-01")),
        passes=case(row(completed="01/06/2024")),
    ),
)
INVALID_DATE = _rule(
    "invalid_date", E, "right shape, impossible date",
    "Correct the date: that day does not exist (the day comes first, then the month).",
    examples=Example(
        fires=case(row(completed="29/2/2023")),
        passes=case(row(completed="29/2/2024")),
    ),
)
DATE_BEFORE_1970 = _rule(
    "date_before_1970", E, "a date earlier than 1/1/1970",
    "Correct the date: dates before 1/1/1970 are not accepted.",
    examples=Example(
        fires=case(row(completed="31/12/1969")),
        passes=case(row(completed="1/1/1970")),
    ),
)
DATE_IN_FUTURE = _rule(
    "date_in_future", E, "a Created, Started or Completed Date after the import date",
    "Correct the date, or give a later --import-date if the file is meant for a later import.",
    examples=Example(
        fires=case(row(completed="16/1/2025")),
        passes=case(row(completed="15/1/2025")),  # the import date
    ),
)
COMPLETED_DATE_REQUIRED = _rule(
    "completed_date_required", E, "Completed, Passed or Failed with a blank Completed Date",
    "Fill in the Completed Date, or change the status to Not Started or In Progress.",
    examples=Example(
        fires=case(row(completed="")),
        passes=case(row(status="In Progress", completed="")),
    ),
)
DATE_SEQUENCE = _rule(
    "date_sequence", F, "Created <= Started <= Completed does not hold",
    "Correct the dates so that Created is on or before Started, and Started on or before "
    "Completed.",
    examples=Example(
        fires=case(row(created="2/6/2024")),  # created after completed
        passes=case(row(created="1/6/2024")),
    ),
)
ACCESS_EXPIRES_BEFORE_CREATED = _rule(
    "access_expires_before_created", E, "Access Expires Date earlier than Created Date",
    "Correct the Access Expires Date or the Created Date, or leave Access Expires blank.",
    examples=Example(
        fires=case(row(created="1/3/2024", expires="29/2/2024")),
        passes=case(row(created="1/3/2024", expires="1/3/2024")),
    ),
)
SCORE_NOT_ALLOWED = _rule(
    "score_not_allowed", F, "a score on a status other than Passed or Failed",
    "Remove the score, or change the status to Passed or Failed if the course was scored.",
    examples=Example(
        fires=case(row(score="80")),  # on Completed
        passes=case(row(status="Passed", score="80")),
    ),
)
SCORE_REQUIRED = _rule(
    "score_required", E, "Passed or Failed with a blank score",
    "Fill in the score (0 to 100), or change the status to Completed if there was no score.",
    examples=Example(
        fires=case(row(status="Passed")),
        passes=case(row(status="Passed", score="0")),
    ),
)
BAD_SCORE = _rule(
    "bad_score", E, "score is not a number from 0 to 100",
    "Write the score as a number from 0 to 100, without a percent sign.",
    examples=Example(
        fires=case(row(status="Passed", score="100.01")),
        passes=case(row(status="Passed", score="100")),
    ),
)
# duplicates
DUPLICATE_ROW = _rule(
    "duplicate_row", S, "the same eight values as an earlier row",
    "Nothing to fix: the copy is not migrated. Delete it to silence this.",
    examples=Example(
        fires=case({}, row(login=" ANN@Example.COM ", course="safety ")),
        passes=case({}, row(completed="01/06/2024")),  # dates compared as written
    ),
)
DUPLICATE_OPEN_ENROLLMENT = _rule(
    "duplicate_open_enrollment", S, "a further open enrollment for the same user and course",
    "Nothing to fix: the first open enrollment is kept. Delete the others to silence this.",
    examples=Example(
        fires=case(row(status="In Progress", completed=""), row(login="ann", status="Not Started", completed="")),
        passes=case(row(status="In Progress", completed=""), row(course="Privacy", status="Not Started", completed="")),
    ),
)
COMPLETED_DATE_IGNORED = _rule(
    "completed_date_ignored", W, "an open enrollment with a Completed Date: the date is not stored",
    "Clear the Completed Date, or set the finished status if the learner finished.",
    examples=Example(
        fires=case(row(status="In Progress")),
        passes=case(row(status="In Progress", completed="")),
    ),
)
EXISTING_ENROLLMENT = _rule(
    "existing_enrollment", W, "the portal already holds this enrollment",
    "Check the portal's enrollment: leave the row out if it is the same, or run with "
    "--skip-existing to skip such rows.",
    examples=Example(
        fires=case(existing=({},)),
        passes=case(existing=(row(completed="2/6/2024"),)),
    ),
)
# courses
LICENSE_SHORTFALL = _rule(
    "license_shortfall", F, "fewer free licenses than rows to migrate",
    "Add licenses to the course in the portal (the capacity table says how many), or migrate "
    "fewer rows into it.",
    examples=Example(
        fires=case(*learners("Licensed", 3)),  # 2 seats
        passes=case(*learners("Licensed", 2)),
    ),
)
ILT_CAPACITY_SHORTFALL = _rule(
    "ilt_capacity_shortfall", F, "less free ILT capacity than rows to migrate",
    "Raise the course's capacity in the portal (the capacity table says by how much), or "
    "migrate fewer rows into it.",
    examples=Example(
        fires=case(*learners("Workshop", 2)),  # 1 place
        passes=case(*learners("Workshop", 1)),
    ),
)
REMINDERS_ENABLED = _rule(
    "reminders_enabled", W, "a course receiving rows has reminders switched on",
    "Switch the course's reminders off before migrating, and back on afterwards, so that "
    "learners get no surprise emails.",
    examples=Example(
        fires=case(row(course="Noisy")),
        passes=case(row(course="Noisy", status="Done"), options={"skip_invalid_rows": True}),  # receives no row
    ),
)
CERTIFICATE_EXPIRY_SET = _rule(
    "certificate_expiry_set", W, "a course receiving certificates has a certificate expiry rule",
    "Check that certificates may arrive already past expiry; change the course's expiry rule "
    "first if they should not.",
    examples=Example(
        fires=case(row(course="Expiring")),
        passes=case(row(course="Expiring", status="Failed", score="10")),  # no certificate
    ),
)
RECERTIFICATION_MULTIPLE_COMPLETIONS = _rule(
    "recertification_multiple_completions",
    W,
    "several completions for one user on a course with recertification",
    "Nothing blocks: each completion becomes an enrollment. Keep only the latest one if a "
    "single enrollment is wanted.",
    examples=Example(
        fires=case(row(course="Recert"), row(course="Recert", completed="2/6/2024")),
        passes=case(row(course="Recert"), row(course="Recert", completed="1/6/2020")),  # archived
    ),
)
# readiness: what archived data and the portal's options will not do (RULES.md §7)
LEARNING_PATH_ARCHIVED = _rule(
    "learning_path_archived", W, "a learning path holds courses that receive archived completions",
    "Tell the learners concerned: archived completions do not count toward the path, so they must "
    "complete those courses again in the live system (or migrate them as live rows).",
    examples=Example(
        fires=case(row(course="Privacy", completed="1/6/2020")),  # on the Onboarding path
        passes=case(row(course="Safety", completed="1/6/2020")),  # on no path
    ),
)
RECERTIFICATION_BEYOND_ARCHIVE = _rule(
    "recertification_beyond_archive", W,
    "a recertification period longer than the two-year window meets archived completions",
    "Recertification will not pick up archived completions: track those learners' next due date "
    "yourself, or shorten the period.",
    examples=Example(
        fires=case(row(course="Recert", completed="1/6/2020"), portal={"courses": recertified_every(1095)}),
        passes=case(row(course="Recert", completed="1/6/2020"), portal={"courses": recertified_every(730)}),
    ),
)
TRAINING_HISTORY_DISABLED = _rule(
    "training_history_disabled", W, "archived rows while the portal's Training History option is off",
    "Ask the platform's support to enable Training History, so that admins can see the archived "
    "data.",
    examples=Example(
        fires=case(row(completed="1/6/2020")),
        passes=case(row(completed="1/6/2020"), portal={"settings": "setting,value\ntraining_history,true\n"}),
    ),
)
BADGES_NOT_RETROACTIVE = _rule(
    "badges_not_retroactive", W, "a course receiving live completions has no badge on a gamified portal",
    "Add the course's badge before migrating: badges and points cannot be awarded afterwards.",
    examples=Example(
        fires=case(row(course="Privacy")),  # no badge
        passes=case(row(course="Privacy", status="Failed", score="10")),
    ),
)
# runs
FILE_ALREADY_MIGRATED = _rule(
    "file_already_migrated", F, "this file was already applied",
    "Nothing to do if it went in already; roll the earlier run back first, or give "
    "--allow-reapply to apply it again.",
    examples=Example(
        fires=case(),  # run twice: the second run
        passes=case(options={"allow_reapply": True}),  # run twice
    ),
)

ALL_RULES: dict[str, Rule] = {
    rule.code: rule for rule in list(globals().values()) if isinstance(rule, Rule)
}

BLOCKING_SEVERITIES = tuple(s.value for s in Severity if s.blocks_row)


def rule(code: str) -> Rule:
    return ALL_RULES[code]
