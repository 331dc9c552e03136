"""The Open University Learning Analytics Dataset (OULAD) as template rows.

SOURCE is the dataset's folder. One row per registration (studentInfo.csv):

- Login ID: `login_id` option, a format over studentInfo's columns
  (default `student{id_student}@ou.example.org`: the dataset has no emails);
- Course Name: `course_name` option (default `{code_module} {code_presentation}`: each
  presentation is a course run of its own);
- dates: the dataset counts days from the start of each presentation, and the presentation code
  tells the start (`2013B` February 2013, `2013J` October 2013; the dataset's README). Created is
  the registration day; Started the later of registration and the presentation's start;
  Completed, for finished results, the presentation's last day (start + its length);
- status: Pass and Distinction → Completed, Fail → Failed, Withdrawn → In Progress (withdrawn
  learners never finished; the template has no "withdrawn"); any other word passes through for
  the mapping's `statuses` to decide;
- score: on Failed rows only, the mean of the learner's known assessment scores in that
  presentation, to one decimal (the public subset of studentAssessment.csv holds few, so many
  Failed rows have none and validate reports `score_required`). Completed rows carry no score:
  the template refuses a score on Completed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import polars as pl

from enrollment_migrate.prepare.adapters.base import AdapterOptionError
from enrollment_migrate.prepare.vocabulary import PLACEHOLDER, ROW, SourceUnreadable
from schemas.template import (
    COMPLETED,
    COMPLETED_STATUS,
    COURSE_NAME,
    CREATED,
    FAILED,
    IN_PROGRESS,
    LOGIN_ID,
    SCORE,
    STARTED,
    STATUS,
)

FILES = ("studentInfo.csv", "studentRegistration.csv", "courses.csv", "assessments.csv", "studentAssessment.csv")
INFO_COLUMNS = (
    "code_module", "code_presentation", "id_student", "gender", "region", "highest_education",
    "imd_band", "age_band", "num_of_prev_attempts", "studied_credits", "disability", "final_result",
)
FINAL_RESULT_STATUS = {"Pass": COMPLETED_STATUS, "Distinction": COMPLETED_STATUS, "Fail": FAILED, "Withdrawn": IN_PROGRESS}
# Presentation codes end in B (starts in February) or J (starts in October).
PRESENTATION_START_MONTH = {"B": 2, "J": 10}
_KEYS = ["code_module", "code_presentation", "id_student"]


@dataclass(frozen=True)
class OuladAdapter:
    login_id: str = "student{id_student}@ou.example.org"
    course_name: str = "{code_module} {code_presentation}"
    name: ClassVar[str] = "oulad"

    def __post_init__(self) -> None:
        for option in ("login_id", "course_name"):
            value = getattr(self, option)
            names = PLACEHOLDER.findall(value) if isinstance(value, str) else []
            if not names:
                raise AdapterOptionError(option, f"{value!r} must name studentInfo columns in braces, e.g. {{id_student}}")
            unknown = [n for n in names if n not in INFO_COLUMNS]
            if unknown:
                raise AdapterOptionError(
                    option, f"{unknown[0]!r} is not a studentInfo column (they are: {', '.join(INFO_COLUMNS)})"
                )

    def frames(self, source: Path) -> pl.DataFrame:
        tables = _read_tables(Path(source))
        info = tables["studentInfo.csv"].with_row_index(ROW, offset=2).with_columns(pl.col(ROW).cast(pl.Int64))
        start = presentation_start(pl.col("code_presentation"))
        joined = (
            _joined(info, tables["studentRegistration.csv"], _KEYS, "studentRegistration.csv")
            .pipe(_joined, tables["courses.csv"], ["code_module", "code_presentation"], "courses.csv")
            .pipe(_joined, mean_scores(tables["assessments.csv"], tables["studentAssessment.csv"]), _KEYS, "scores")
            .sort(ROW)
            .with_columns(
                start=start,
                status=pl.col("final_result").replace(FINAL_RESULT_STATUS),
            )
            .with_columns(
                created=pl.col("start") + pl.duration(days=_days("date_registration")),
                ended=pl.col("start") + pl.duration(days=_days("module_presentation_length")),
            )
        )
        finished = pl.col("status").is_in([COMPLETED_STATUS, FAILED])
        return joined.select(
            ROW,
            _formatted(self.login_id).alias(LOGIN_ID.header),
            _formatted(self.course_name).alias(COURSE_NAME.header),
            pl.col("created").alias(CREATED.header),
            pl.max_horizontal("created", "start").alias(STARTED.header),
            pl.when(finished).then(pl.col("ended")).alias(COMPLETED.header),
            pl.when(pl.col("status") == FAILED).then(pl.col("mean_score").cast(pl.String)).alias(SCORE.header),
            pl.col("status").alias(STATUS.header),
        )


def presentation_start(code: pl.Expr) -> pl.Expr:
    """`2013B` → 1 February 2013, `2013J` → 1 October 2013; null for any other code."""
    month = code.str.slice(4, 1).replace_strict(PRESENTATION_START_MONTH, default=None, return_dtype=pl.Int8)
    year = code.str.slice(0, 4).cast(pl.Int32, strict=False)
    return pl.when(code.str.contains(r"^\d{4}[BJ]$")).then(pl.date(year, month, 1))


def mean_scores(assessments: pl.DataFrame, student_assessments: pl.DataFrame) -> pl.DataFrame:
    """Each learner's mean known score per presentation (a blank or "?" score is unknown)."""
    return (
        student_assessments
        .with_columns(score=pl.col("score").cast(pl.Float64, strict=False))
        .drop_nulls("score")
        .join(assessments.select("id_assessment", "code_module", "code_presentation"), on="id_assessment")
        .group_by(_KEYS)
        .agg(pl.col("score").mean().round(1).alias("mean_score"))
    )


def _read_tables(folder: Path) -> dict[str, pl.DataFrame]:
    if not folder.is_dir():
        raise SourceUnreadable(f"{folder}: the oulad adapter reads the dataset's folder, and this is not a folder")
    missing = [name for name in FILES if not (folder / name).is_file()]
    if missing:
        raise SourceUnreadable(f"{folder}: not the OULAD dataset's folder: {', '.join(missing)} missing")
    tables = {}
    for name in FILES:
        try:
            tables[name] = pl.read_csv(folder / name, infer_schema=False)
        except pl.exceptions.PolarsError as exc:
            raise SourceUnreadable(f"{folder / name}: cannot be read ({str(exc).splitlines()[0]})") from None
    absent = [c for c in INFO_COLUMNS if c not in tables["studentInfo.csv"].columns]
    if absent:
        raise SourceUnreadable(f"{folder / 'studentInfo.csv'}: columns {', '.join(absent)} missing")
    return tables


def _joined(left: pl.DataFrame, right: pl.DataFrame, on: list[str], what: str) -> pl.DataFrame:
    try:
        return left.join(right, on=on, how="left", validate="m:1")
    except pl.exceptions.PolarsError:
        raise SourceUnreadable(f"OULAD: {what} holds more than one row for some {', '.join(on)}") from None


def _days(column: str) -> pl.Expr:
    return pl.col(column).cast(pl.Int64, strict=False)


def _formatted(template: str) -> pl.Expr:
    return pl.format(PLACEHOLDER.sub("{}", template), *(pl.col(n) for n in PLACEHOLDER.findall(template)))
