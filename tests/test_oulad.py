"""A real dataset nobody here wrote: the Open University's registrations and results, mapped
onto the template, validated, and counted independently from the source tables."""

import datetime as dt

import polars as pl
import pytest

from conftest import OULAD
from enrollment_migrate import portal, warehouse
from enrollment_migrate.engine import RunOptions, check_file, two_year_cutoff

IMPORT_DATE = dt.date(2016, 1, 1)  # cut-off 1/1/2014: 2013B presentations archive, later ones stay live


def presentation_start(code: pl.Expr) -> pl.Expr:
    """`2013B` starts in February 2013, `2013J` in October 2013 (the dataset's README)."""
    return pl.date(code.str.slice(0, 4).cast(pl.Int32), pl.when(code.str.ends_with("B")).then(2).otherwise(10), 1)


def oulad_enrollments() -> pl.DataFrame:
    info = pl.read_csv(OULAD / "studentInfo.csv", infer_schema=False)
    registration = pl.read_csv(OULAD / "studentRegistration.csv", infer_schema=False)
    courses = pl.read_csv(OULAD / "courses.csv", infer_schema=False)
    assessments = pl.read_csv(OULAD / "assessments.csv", infer_schema=False)
    scores = (
        pl.read_csv(OULAD / "studentAssessment.csv", infer_schema=False)
        .filter(pl.col("score").str.contains(r"^\d+$"))
        .join(assessments.select("id_assessment", "code_module", "code_presentation"), on="id_assessment")
        .group_by("code_module", "code_presentation", "id_student")
        .agg(pl.col("score").cast(pl.Float64).mean().round(1).alias("mean_score"))
    )
    keys = ["code_module", "code_presentation", "id_student"]
    return (
        info.join(registration, on=keys, how="left")
        .join(courses, on=["code_module", "code_presentation"], how="left")
        .join(scores, on=keys, how="left")
        .with_columns(start=presentation_start(pl.col("code_presentation")))
        .with_columns(
            created=pl.col("start")
            + pl.duration(days=pl.col("date_registration").cast(pl.Int64, strict=False)),
            ended=pl.col("start")
            + pl.duration(days=pl.col("module_presentation_length").cast(pl.Int64)),
            status=pl.col("final_result").replace_strict(
                {"Pass": "Completed", "Distinction": "Completed", "Fail": "Failed", "Withdrawn": "In Progress"}
            ),
        )
    )


def as_template(source: pl.DataFrame) -> pl.DataFrame:
    finished = pl.col("status") != "In Progress"
    day_month_year = "%-d/%-m/%Y"
    return source.select(
        pl.format("student{}@ou.example.org", "id_student").alias("Login ID"),
        pl.format("{} {}", "code_module", "code_presentation").alias("Course Name"),
        pl.col("created").dt.strftime(day_month_year).alias("Enrollment Created Date"),
        pl.max_horizontal("created", "start").dt.strftime("%d/%m/%Y").alias("Enrollment Started Date"),
        pl.when(finished).then(pl.col("ended").dt.strftime(day_month_year)).alias("Enrollment Completed Date"),
        pl.when(pl.col("status") == "Failed").then(pl.col("mean_score").cast(pl.String)).alias("Enrollment Score"),
        pl.col("status").alias("Enrollment Status"),
    )


@pytest.fixture(scope="module")
def oulad_result(tmp_path_factory):
    folder = tmp_path_factory.mktemp("oulad")
    source = oulad_enrollments()
    as_template(source).write_csv(folder / "migration.csv")
    source.select(email=pl.format("student{}@ou.example.org", "id_student")).unique().write_csv(folder / "users.csv")
    source.select(
        name=pl.format("{} {}", "code_module", "code_presentation"),
        certificate=pl.format("{} certificate", "code_module"),
        credits=pl.lit(30),
    ).unique().write_csv(folder / "courses.csv")
    with warehouse.connect(folder / "w.duckdb") as con:
        portal.load_portal(con, users=folder / "users.csv", courses=folder / "courses.csv")
        result = check_file(folder / "migration.csv", con, RunOptions(IMPORT_DATE))
    return source, result


def test_counts_add_up(oulad_result):
    source, result = oulad_result
    c = result.counts
    rows_with_errors = result.findings.filter(pl.col("severity").is_in(["fatal", "error"]))["row"].n_unique()
    assert c.rows == source.height == 32_593
    assert c.rows == c.live + c.archived + c.skipped + rows_with_errors


def test_counts_match_the_source_tables(oulad_result):
    source, result = oulad_result
    cutoff = two_year_cutoff(IMPORT_DATE)
    # Failed rows need a score; the public subset of assessments leaves many unknown.
    unscored_fails = source.filter((pl.col("status") == "Failed") & pl.col("mean_score").is_null()).height
    accepted = source.filter(~((pl.col("status") == "Failed") & pl.col("mean_score").is_null()))
    finished = accepted.filter(pl.col("status") != "In Progress")
    archived = finished.filter(pl.col("ended") < cutoff).height

    assert result.state == "invalid"  # the unscored fails
    assert result.rule_counts == {"score_required": unscored_fails}
    assert result.counts.archived == archived > 0
    assert result.counts.live == accepted.height - archived > 0
    live_completions = finished.filter((pl.col("ended") >= cutoff) & (pl.col("status") == "Completed")).height
    assert result.counts.certificates == live_completions
    assert result.counts.credits == 30 * live_completions


def test_skipping_invalid_rows_makes_it_valid(oulad_result, tmp_path):
    source, _ = oulad_result
    template = as_template(source)
    template.write_csv(tmp_path / "m.csv")
    users = source.select(email=pl.format("student{}@ou.example.org", "id_student")).unique()
    users.write_csv(tmp_path / "u.csv")
    source.select(name=pl.format("{} {}", "code_module", "code_presentation")).unique().write_csv(tmp_path / "c.csv")
    with warehouse.connect(tmp_path / "w.duckdb") as con:
        portal.load_portal(con, users=tmp_path / "u.csv", courses=tmp_path / "c.csv")
        result = check_file(tmp_path / "m.csv", con, RunOptions(IMPORT_DATE, skip_invalid_rows=True))
    assert result.state == "valid"
    assert result.counts.rows == result.counts.live + result.counts.archived + result.counts.skipped
