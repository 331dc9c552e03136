"""Loading the target portal (users, courses, existing enrollments, learning paths, settings)
into the warehouse."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandera.polars as pa
import polars as pl

from enrollment_migrate.engine import RunOptions, check_file
from enrollment_migrate.errors import PortalFileRejected, UnreadableFile
from enrollment_migrate.faults import fault_point
from enrollment_migrate.warehouse import execute_script, registered, transaction
from enrollment_migrate.sql_files import sql
from schemas.portal import (
    COURSE_COLUMNS,
    COURSE_FLAGS,
    EXPECTED,
    LEARNING_PATH_COLUMNS,
    SETTING_COLUMNS,
    USER_COLUMNS,
    CoursesFile,
    LearningPathsFile,
    SettingsFile,
    UsersFile,
)


@dataclass
class PortalLoad:
    users: int = 0
    courses: int = 0
    enrollments: int = 0
    learning_paths: int = 0  # lines (a course of a path each)
    settings: int = 0


def load_portal(
    con: duckdb.DuckDBPyConnection,
    *,
    users: Path | None = None,
    courses: Path | None = None,
    enrollments: Path | None = None,
    learning_paths: Path | None = None,
    settings: Path | None = None,
    import_date: dt.date | None = None,
) -> PortalLoad:
    """Load the given files in one transaction: all of them, or none if any is refused."""
    staged_users = _read_users(users) if users else None
    staged_courses = _read_courses(courses) if courses else None
    staged_paths = _read_learning_paths(learning_paths) if learning_paths else None
    staged_settings = _read_settings(settings) if settings else None
    loaded = PortalLoad()
    with transaction(con):
        if staged_users is not None:
            loaded.users = _stored(con, "upsert_users", staged_users=staged_users)
        if staged_courses is not None:
            loaded.courses = _stored(con, "upsert_courses", staged_courses=staged_courses)
        if enrollments:
            staged = _checked_enrollments(con, enrollments, import_date or dt.datetime.now(dt.UTC).date())
            loaded.enrollments = _stored(con, "replace_portal_enrollments", staged_enrollments=staged)
        if staged_paths is not None:
            # After the courses: a path may name a course the same load adds.
            _refuse_unknown_courses(con, learning_paths, staged_paths)
            loaded.learning_paths = _stored(con, "replace_learning_paths", staged_learning_paths=staged_paths)
        if staged_settings is not None:
            loaded.settings = _stored(con, "replace_portal_settings", staged_settings=staged_settings)
        fault_point("portal")
    return loaded


def _stored(con: duckdb.DuckDBPyConnection, script: str, **staged: pl.DataFrame) -> int:
    """Run a load script with its staged rows registered under the name it reads; how many."""
    with registered(con, **staged):
        execute_script(con, script)
    (rows,) = staged.values()
    return rows.height


def _read_users(path: Path) -> pl.DataFrame:
    text = _read_text_frame(path, USER_COLUMNS, required=("email",))
    _check(path, text, UsersFile)
    _refuse_repeats(path, text, pl.col("email").str.to_lowercase(), "email")
    return text.with_columns(login_enabled=_flag("login_enabled", default=True))


def _read_courses(path: Path) -> pl.DataFrame:
    text = _read_text_frame(path, COURSE_COLUMNS, required=("name",))
    _check(path, text, CoursesFile)
    _refuse_repeats(path, text, pl.col("name"), "name")
    return text.with_columns(
        *[_flag(name, default=(name == "published")) for name in COURSE_FLAGS],
        kind=pl.col("kind").str.to_lowercase().fill_null("elearning"),
        license_seats=pl.col("license_seats").cast(pl.Int64),
        ilt_capacity=pl.col("ilt_capacity").cast(pl.Int64),
        certificate_expires_after_days=pl.col("certificate_expires_after_days").cast(pl.Int64),
        credits=pl.col("credits").cast(pl.Float64).fill_null(0.0),
        recertification_period_days=pl.col("recertification_period_days").cast(pl.Int64),
    )


def _read_learning_paths(path: Path) -> pl.DataFrame:
    text = _read_text_frame(path, LEARNING_PATH_COLUMNS, required=LEARNING_PATH_COLUMNS)
    _check(path, text, LearningPathsFile)
    _refuse_repeats(
        path, text, pl.struct(pl.col("learning_path"), pl.col("course_name").str.to_lowercase()), "course_name"
    )
    return text


def _read_settings(path: Path) -> pl.DataFrame:
    text = _read_text_frame(path, SETTING_COLUMNS, required=SETTING_COLUMNS)
    _check(path, text, SettingsFile)
    _refuse_repeats(path, text, pl.col("setting").str.to_lowercase(), "setting")
    # blank stays null: not known (the checklist asks about it)
    return text.with_columns(value=pl.col("value").str.to_lowercase() == "true")


def _refuse_unknown_courses(con: duckdb.DuckDBPyConnection, path: Path, paths: pl.DataFrame) -> None:
    known = con.sql(sql("portal_course_names")).pl()
    unknown = (
        paths.with_row_index("index")
        .with_columns(course_key=pl.col("course_name").str.to_lowercase())
        .join(known, on="course_key", how="anti")
        .sort("index")
    )
    if unknown.height:
        raise PortalFileRejected(path, [
            f"row {r['index'] + 2}, column course_name: {r['course_name']!r} is not a course of the portal"
            for r in unknown.iter_rows(named=True)
        ])


def _checked_enrollments(con: duckdb.DuckDBPyConnection, path: Path, import_date: dt.date) -> pl.DataFrame:
    """Existing enrollments follow the template's rules; a file with errors is refused."""
    try:
        result = check_file(path, con, RunOptions(import_date, check_existing=False))
    except UnreadableFile as exc:
        raise PortalFileRejected(path, [str(exc)]) from exc
    if result.state != "valid":
        blocking = result.findings.filter(pl.col("severity").is_in(["fatal", "error"]))
        raise PortalFileRejected(
            path,
            [
                f"row {r['row'] or '-'}, column {r['column'] or '-'}: {r['rule']}: {r['message']}"
                for r in blocking.head(50).iter_rows(named=True)
            ],
        )
    return result.migrated


def _read_text_frame(path: Path, columns: tuple[str, ...], required: tuple[str, ...]) -> pl.DataFrame:
    try:
        frame = pl.read_csv(path, glob=False, infer_schema=False, raise_if_empty=False)
    except FileNotFoundError as exc:
        raise PortalFileRejected(path, ["the file does not exist"]) from exc
    except (OSError, pl.exceptions.PolarsError) as exc:
        reason = "it is not UTF-8" if "utf-8" in str(exc).lower() else str(exc).splitlines()[0]
        raise PortalFileRejected(path, [f"the file cannot be read as CSV: {reason}"]) from exc
    frame = frame.rename({name: name.strip().lower() for name in frame.columns})
    problems = [f"row 1, column {name}: not a column of this file" for name in frame.columns if name not in columns]
    problems += [f"row 1, column {name}: the column is missing" for name in required if name not in frame.columns]
    if problems:
        raise PortalFileRejected(path, problems)
    return frame.select(
        pl.col(name).str.strip_chars().replace("", None) if name in frame.columns else pl.lit(None, pl.String).alias(name)
        for name in columns
    )


def _check(path: Path, frame: pl.DataFrame, model: type[pa.DataFrameModel]) -> None:
    try:
        model.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases.sort("index", "column", nulls_last=True)
        raise PortalFileRejected(
            path,
            [
                f"row {'-' if c['index'] is None else c['index'] + 2}, column {c['column']}: "
                f"{'blank' if c['failure_case'] is None else repr(c['failure_case'])}: "
                f"expected {_expected(c['check'])}"
                for c in cases.iter_rows(named=True)
            ],
        ) from None


def _expected(check: str) -> str:
    return next((words for key, words in EXPECTED.items() if key in check), check)


def _refuse_repeats(path: Path, frame: pl.DataFrame, key: pl.Expr, column: str) -> None:
    repeated = (
        frame.with_row_index("index").filter(key.is_duplicated() & ~key.is_first_distinct())
    )
    if repeated.height:
        raise PortalFileRejected(
            path,
            [f"row {r['index'] + 2}, column {column}: {r[column]!r} appears more than once"
             for r in repeated.iter_rows(named=True)],
        )


def _flag(name: str, default: bool) -> pl.Expr:
    return (pl.col(name).str.to_lowercase() == "true").fill_null(default).alias(name)
