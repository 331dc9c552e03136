"""The migration template: its columns and its statuses. Light: pages and the read-only commands use
it; the pandera contract of a loaded file is schemas.template_rows."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TemplateColumn:
    header: str  # as the template writes it
    field: str  # the name used inside the engine
    required: bool
    is_date: bool = False


LOGIN_ID = TemplateColumn("Login ID", "login_id", True)
COURSE_NAME = TemplateColumn("Course Name", "course_name", True)
CREATED = TemplateColumn("Enrollment Created Date", "created_date", True, is_date=True)
STARTED = TemplateColumn("Enrollment Started Date", "started_date", True, is_date=True)
COMPLETED = TemplateColumn("Enrollment Completed Date", "completed_date", True, is_date=True)
SCORE = TemplateColumn("Enrollment Score", "score", True)
STATUS = TemplateColumn("Enrollment Status", "status", True)
ACCESS_EXPIRES = TemplateColumn(
    "Enrollment Access Expires Date", "access_expires_date", False, is_date=True
)

COLUMNS: tuple[TemplateColumn, ...] = (
    LOGIN_ID, COURSE_NAME, CREATED, STARTED, COMPLETED, SCORE, STATUS, ACCESS_EXPIRES
)
DATE_COLUMNS = tuple(c for c in COLUMNS if c.is_date)
BY_HEADER_KEY = {c.header.casefold(): c for c in COLUMNS}
BY_FIELD = {c.field: c for c in COLUMNS}


def header_key(header: str) -> str:
    """Headers match by name, trimmed and case-insensitive."""
    return header.strip().casefold()


NOT_STARTED, IN_PROGRESS = "Not Started", "In Progress"
COMPLETED_STATUS, PASSED, FAILED = "Completed", "Passed", "Failed"
STATUSES = (NOT_STARTED, IN_PROGRESS, COMPLETED_STATUS, PASSED, FAILED)
OPEN_STATUSES = (NOT_STARTED, IN_PROGRESS)
FINISHED_STATUSES = (COMPLETED_STATUS, PASSED, FAILED)
SCORED_STATUSES = (PASSED, FAILED)
AWARDED_STATUSES = (COMPLETED_STATUS, PASSED)
