"""The portal files (INTERFACES.md, "Portal files"): their columns and the contract of each value.

The models check the files as text, so that every bad value is reported with its row and
column; `enrollment_migrate.portal` then converts the checked text to typed columns.
"""

from __future__ import annotations

import pandera.polars as pa

BOOLEAN = r"^(?i:true|false)$"
WHOLE_NUMBER = r"^\d+$"
NUMBER = r"^\d+(\.\d+)?$"
EMAIL = r"^[^@\s]+@[^@\s]+$"
KIND = r"^(?i:elearning|ilt)$"

# What each check asks for, in words, for the refusal message.
EXPECTED = {
    BOOLEAN: "true or false (or blank)",
    WHOLE_NUMBER: "a whole number (or blank)",
    NUMBER: "a number (or blank)",
    EMAIL: "an email address",
    KIND: "elearning or ilt (or blank)",
    "not_nullable": "a value (it is required)",
}

USER_COLUMNS = ("email", "username", "first_name", "last_name", "login_enabled")
COURSE_COLUMNS = (
    "name", "published", "kind", "license_seats", "ilt_capacity", "certificate",
    "certificate_expires_after_days", "recertification", "credits", "badge",
    "enrollment_reminders", "due_date_reminders", "overdue_reminders", "ilt_reminders",
    "recertification_period_days",  # optional: blank or absent = not known
)
COURSE_FLAGS = (
    "published", "recertification", "enrollment_reminders", "due_date_reminders",
    "overdue_reminders", "ilt_reminders",
)


def _text(**checks: object) -> object:
    return pa.Field(nullable=True, **checks)


class UsersFile(pa.DataFrameModel):
    email: str = pa.Field(nullable=False, str_matches=EMAIL)
    username: str = _text()
    first_name: str = _text()
    last_name: str = _text()
    login_enabled: str = _text(str_matches=BOOLEAN)

    class Config:
        strict = True


class CoursesFile(pa.DataFrameModel):
    name: str = pa.Field(nullable=False)
    published: str = _text(str_matches=BOOLEAN)
    kind: str = _text(str_matches=KIND)
    license_seats: str = _text(str_matches=WHOLE_NUMBER)
    ilt_capacity: str = _text(str_matches=WHOLE_NUMBER)
    certificate: str = _text()
    certificate_expires_after_days: str = _text(str_matches=WHOLE_NUMBER)
    recertification: str = _text(str_matches=BOOLEAN)
    credits: str = _text(str_matches=NUMBER)
    badge: str = _text()
    enrollment_reminders: str = _text(str_matches=BOOLEAN)
    due_date_reminders: str = _text(str_matches=BOOLEAN)
    overdue_reminders: str = _text(str_matches=BOOLEAN)
    ilt_reminders: str = _text(str_matches=BOOLEAN)
    recertification_period_days: str = _text(str_matches=WHOLE_NUMBER)

    class Config:
        strict = True


LEARNING_PATH_COLUMNS = ("learning_path", "course_name")
SETTINGS = ("training_history", "gamification")  # the portal's options the checklist asks about
SETTING_COLUMNS = ("setting", "value")
SETTING = r"^(?i:training_history|gamification)$"
EXPECTED[SETTING] = "training_history or gamification"


class LearningPathsFile(pa.DataFrameModel):
    """One line per course of a path; a course may be in several paths."""

    learning_path: str = pa.Field(nullable=False)
    course_name: str = pa.Field(nullable=False)

    class Config:
        strict = True


class SettingsFile(pa.DataFrameModel):
    """The portal's settings the guide leaves to support; a blank value is not known."""

    setting: str = pa.Field(nullable=False, str_matches=SETTING)
    value: str = _text(str_matches=BOOLEAN)

    class Config:
        strict = True
