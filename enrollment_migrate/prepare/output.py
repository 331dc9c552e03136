"""Writing the prepared file (UTF-8, the template's headers in order, dates as d/m/yyyy, no cell
a spreadsheet runs as a formula), its report, and optionally portal files for a test portal."""

from __future__ import annotations

import json
import os
from pathlib import Path

import polars as pl

from enrollment_migrate.reports import FORMULA_START, neutralise_formulas
from schemas.template import COLUMNS, COURSE_NAME, DATE_COLUMNS, LOGIN_ID

DAY_MONTH_YEAR = "%-d/%-m/%Y"
PORTAL_USERS, PORTAL_COURSES = "portal_users.csv", "portal_courses.csv"
# Users known only by a username still need an email in a portal users file: one that can
# never deliver (RFC 6761 reserves .invalid).
_PLACEHOLDER_EMAIL_DOMAIN = "users.invalid"


def template_frame(rows: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """The template's eight columns as text, in order (blank where `rows` lacks one: the
    template wants every column), and how many values were neutralised."""
    date_headers = {c.header for c in DATE_COLUMNS}
    text = rows.select(
        pl.lit(None, pl.String).alias(c.header) if c.header not in rows.columns
        else pl.col(c.header).dt.strftime(DAY_MONTH_YEAR) if c.header in date_headers
        else pl.col(c.header).cast(pl.String)
        for c in COLUMNS
    )
    would_run = text.select(
        pl.sum_horizontal(pl.col(pl.String).str.contains(FORMULA_START).fill_null(False).sum())
    ).item()
    return neutralise_formulas(text), int(would_run or 0)


def write_template_csv(rows: pl.DataFrame, path: Path) -> int:
    """Write the prepared file in one step (a reader never sees half of it); returns the number
    of values neutralised."""
    frame, neutralised = template_frame(rows)
    _replace_atomically(path, lambda handle: frame.write_csv(handle, line_terminator="\n"))
    return neutralised


def write_report(report: dict[str, object], path: Path) -> None:
    text = json.dumps(report, indent=2, ensure_ascii=False) + "\n"
    _replace_atomically(path, lambda handle: handle.write(text.encode("utf-8")))


def report_path(out: Path) -> Path:
    """The report beside the prepared file: migration.csv -> migration.prepare.json."""
    return out.with_name(f"{out.stem}.prepare.json")


def portal_frames(rows: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Users and courses files (INTERFACES.md) for a test portal that the prepared rows fit:
    every Login ID a user (an email, or else a username), every Course Name a published course."""
    login = pl.col(LOGIN_ID.header)
    is_email = login.str.contains("@")
    users = (
        rows.select(login).drop_nulls().unique(maintain_order=True)
        .select(
            email=pl.when(is_email).then(login).otherwise(pl.format("{}@" + _PLACEHOLDER_EMAIL_DOMAIN, login)),
            username=pl.when(~is_email).then(login),
        )
        # Logins that differ only in case are one user to the migration (matching ignores case).
        .unique(subset=pl.col("email").str.to_lowercase(), keep="first", maintain_order=True)
    )
    course = pl.col(COURSE_NAME.header)
    courses = (
        rows.select(course).drop_nulls()
        .unique(subset=course.str.to_lowercase(), keep="first", maintain_order=True)
        .select(name=course, published=pl.lit("true"))
    )
    return users, courses


def write_portal_files(rows: pl.DataFrame, directory: Path) -> dict[str, object]:
    directory.mkdir(parents=True, exist_ok=True)
    users, courses = portal_frames(rows)
    users_path, courses_path = directory / PORTAL_USERS, directory / PORTAL_COURSES
    for frame, path in ((users, users_path), (courses, courses_path)):
        safe = neutralise_formulas(frame)
        _replace_atomically(path, lambda handle, f=safe: f.write_csv(handle, line_terminator="\n"))
    return {"users": str(users_path), "user_count": users.height,
            "courses": str(courses_path), "course_count": courses.height}


def _replace_atomically(path: Path, write) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    try:
        with partial.open("wb") as handle:
            write(handle)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
