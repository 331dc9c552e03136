"""Every rule the migration applies, with its stable code and severity.

This module is the single source of truth for rule codes (see ../shared/spec/RULES.md): the engine,
the reports and the tests all refer to rules through it, never through string literals.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    FATAL = "fatal"
    ERROR = "error"
    SKIPPED = "skipped"
    WARNING = "warning"

    @property
    def blocks_row(self) -> bool:
        """A row with a fatal or error finding is never migrated."""
        return self in (Severity.FATAL, Severity.ERROR)


@dataclass(frozen=True)
class Rule:
    code: str
    severity: Severity
    summary: str

    def __str__(self) -> str:
        return self.code


def _rule(code: str, severity: Severity, summary: str) -> Rule:
    return Rule(code, severity, summary)


F, E, S, W = Severity.FATAL, Severity.ERROR, Severity.SKIPPED, Severity.WARNING

# file
NOT_UTF8 = _rule("not_utf8", F, "the file is not valid UTF-8")
EMPTY_FILE = _rule("empty_file", F, "no header, or a header and no records")
MISSING_COLUMN = _rule("missing_column", F, "a required header is absent")
DUPLICATE_COLUMN = _rule("duplicate_column", F, "two headers match the same template column")
UNKNOWN_COLUMN = _rule("unknown_column", W, "a header that is not a template column")
MALFORMED_ROW = _rule("malformed_row", E, "field count differs from the header's")
# rows
BLANK_COURSE_NAME = _rule("blank_course_name", F, "Course Name is blank")
BLANK_LOGIN_ID = _rule("blank_login_id", E, "Login ID is blank")
UNKNOWN_USER = _rule("unknown_user", E, "Login ID matches no portal user")
AMBIGUOUS_USER = _rule("ambiguous_user", E, "Login ID matches more than one portal user")
UNKNOWN_COURSE = _rule("unknown_course", E, "Course Name matches no portal course")
AMBIGUOUS_COURSE = _rule("ambiguous_course", E, "Course Name matches more than one portal course")
COURSE_NOT_PUBLISHED = _rule("course_not_published", E, "the course exists but is not published")
UNKNOWN_STATUS = _rule("unknown_status", E, "Status is not one of the five template statuses")
BAD_DATE_FORMAT = _rule("bad_date_format", E, "a date is not d/m/yyyy")
INVALID_DATE = _rule("invalid_date", E, "right shape, impossible date")
DATE_BEFORE_1970 = _rule("date_before_1970", E, "a date earlier than 1/1/1970")
DATE_IN_FUTURE = _rule("date_in_future", E, "a Created, Started or Completed Date after the import date")
COMPLETED_DATE_REQUIRED = _rule(
    "completed_date_required", E, "Completed, Passed or Failed with a blank Completed Date"
)
DATE_SEQUENCE = _rule("date_sequence", F, "Created <= Started <= Completed does not hold")
ACCESS_EXPIRES_BEFORE_CREATED = _rule(
    "access_expires_before_created", E, "Access Expires Date earlier than Created Date"
)
SCORE_NOT_ALLOWED = _rule("score_not_allowed", F, "a score on a status other than Passed or Failed")
SCORE_REQUIRED = _rule("score_required", E, "Passed or Failed with a blank score")
BAD_SCORE = _rule("bad_score", E, "score is not a number from 0 to 100")
# duplicates
DUPLICATE_ROW = _rule("duplicate_row", S, "the same eight values as an earlier row")
DUPLICATE_OPEN_ENROLLMENT = _rule(
    "duplicate_open_enrollment", S, "a further open enrollment for the same user and course"
)
COMPLETED_DATE_IGNORED = _rule(
    "completed_date_ignored", W, "an open enrollment with a Completed Date: the date is not stored"
)
EXISTING_ENROLLMENT = _rule("existing_enrollment", W, "the portal already holds this enrollment")
# courses
LICENSE_SHORTFALL = _rule("license_shortfall", F, "fewer free licenses than rows to migrate")
ILT_CAPACITY_SHORTFALL = _rule("ilt_capacity_shortfall", F, "less free ILT capacity than rows to migrate")
REMINDERS_ENABLED = _rule("reminders_enabled", W, "a course receiving rows has reminders switched on")
CERTIFICATE_EXPIRY_SET = _rule(
    "certificate_expiry_set", W, "a course receiving certificates has a certificate expiry rule"
)
RECERTIFICATION_MULTIPLE_COMPLETIONS = _rule(
    "recertification_multiple_completions",
    W,
    "several completions for one user on a course with recertification",
)
# runs
FILE_ALREADY_MIGRATED = _rule("file_already_migrated", F, "this file was already applied")

ALL_RULES: dict[str, Rule] = {
    rule.code: rule for rule in list(globals().values()) if isinstance(rule, Rule)
}

BLOCKING_SEVERITIES = tuple(s.value for s in Severity if s.blocks_row)


def rule(code: str) -> Rule:
    return ALL_RULES[code]
