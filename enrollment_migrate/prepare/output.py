"""Writing the prepared file (UTF-8, the template's headers in order, dates as d/m/yyyy, every
value exactly as the platform must receive it), its report, and optionally portal files for a
test portal.

Values are never changed on their way to the platform: a course really called `@Home Working`
stays `@Home Working`, or validate would not find it. The values a spreadsheet would run as a
formula are counted and named in the report instead, with the advice not to open and re-save the
file in one. Only files meant for spreadsheets (findings.csv, the report page) are protected.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from enrollment_migrate.files import replace_atomically
from enrollment_migrate.formulas import FORMULA_START
from schemas.portal import EMAIL
from schemas.template import COLUMNS, COURSE_NAME, DATE_COLUMNS, LOGIN_ID

DAY_MONTH_YEAR = "%-d/%-m/%Y"
PORTAL_USERS, PORTAL_COURSES = "portal_users.csv", "portal_courses.csv"
# Users known only by a username still need an email in a portal users file: one that can
# never deliver (RFC 6761 reserves .invalid).
_PLACEHOLDER_EMAIL_DOMAIN = "users.invalid"


# How many formula-like values the report names (it counts them all).
FORMULA_EXAMPLES = 10


def template_frame(rows: pl.DataFrame) -> pl.DataFrame:
    """The template's eight columns as text, in order (blank where `rows` lacks one: the
    template wants every column), values as they are."""
    date_headers = {c.header for c in DATE_COLUMNS}
    return rows.select(
        pl.lit(None, pl.String).alias(c.header) if c.header not in rows.columns
        else pl.col(c.header).dt.strftime(DAY_MONTH_YEAR) if c.header in date_headers
        else pl.col(c.header).cast(pl.String)
        for c in COLUMNS
    )


def formula_like(frame: pl.DataFrame) -> dict[str, object]:
    """The values a spreadsheet would run as a formula (starting with =, +, -, @, a tab or a
    carriage return): how many, and the first few with their row in the file and column."""
    cells = pl.concat([
        frame.with_row_index("row", offset=2).select("row", pl.lit(name).alias("column"), pl.col(name).alias("value"))
        .filter(pl.col("value").str.contains(FORMULA_START))
        for name, dtype in frame.schema.items() if dtype == pl.String
    ]).sort("row", maintain_order=True)  # by row, then in the template's column order
    return {"count": cells.height, "examples": cells.head(FORMULA_EXAMPLES).to_dicts()}


def write_template_csv(rows: pl.DataFrame, path: Path) -> dict[str, object]:
    """Write the prepared file in one step (a reader never sees half of it); returns what
    formula_like found in it."""
    frame = template_frame(rows)
    _replace_atomically(path, lambda handle: frame.write_csv(handle, line_terminator="\n"))
    return formula_like(frame)


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
    is_email = login.str.contains(EMAIL)
    # A username with an @ or a space ('@x') cannot lend its name to an address as it is: it
    # gets a tidied one, told apart by a hash of the name.
    tidy = pl.format("{}-{}", login.str.replace_all(r"[@\s]", "_"), login.str.to_lowercase().hash() % 100_000_000)
    placeholder = pl.when(login.str.contains(r"[@\s]")).then(tidy).otherwise(login)
    users = (
        rows.select(login).drop_nulls().unique(maintain_order=True)
        .select(
            email=pl.when(is_email).then(login).otherwise(pl.format("{}@" + _PLACEHOLDER_EMAIL_DOMAIN, placeholder)),
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
        # As they are: the portal's names must be the migration file's, to the letter.
        _replace_atomically(path, lambda handle, f=frame: f.write_csv(handle, line_terminator="\n"))
    return {"users": str(users_path), "user_count": users.height,
            "courses": str(courses_path), "course_count": courses.height}


def _replace_atomically(path: Path, write) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)  # a served flow's folder may be new
    replace_atomically(path, write)
