"""The Open University dataset from raw tables to an applied migration, as the README's three
commands do it: prepare (with portal files), portal load, run."""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from conftest import OULAD, REPO
from enrollment_migrate.options import RunOptions
from enrollment_migrate import warehouse
from enrollment_migrate.prepare.adapters import OuladAdapter
from enrollment_migrate.prepare.output import template_frame
from flows.portal import portal_load_flow
from flows.prepare import prepare_flow
from flows.run import run_flow
from flows.validate import validate_flow
from test_oulad import as_template, oulad_enrollments  # the same mapping, written independently

IMPORT_DATE = dt.date(2016, 1, 1)  # cut-off 1/1/2014: 2013B presentations archive
DATE_HEADERS = ["Enrollment Created Date", "Enrollment Started Date", "Enrollment Completed Date"]
KEY = ["Login ID", "Course Name"]


@pytest.fixture(scope="module")
def source() -> pl.DataFrame:
    return oulad_enrollments()


def as_dates(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(pl.col(h).str.to_date("%d/%m/%Y") for h in DATE_HEADERS).sort(KEY)


def test_the_adapter_maps_as_the_independent_test_mapping_does(source):
    adapted = template_frame(OuladAdapter().frames(OULAD))
    expected = as_template(source)
    assert adapted.columns[:7] == expected.columns
    assert adapted["Enrollment Access Expires Date"].null_count() == adapted.height
    assert_frame_equal(as_dates(adapted.select(expected.columns)), as_dates(expected))


def test_the_adapter_keeps_unknown_results_for_the_mapping_to_decide(tmp_path):
    for name in ("studentRegistration.csv", "courses.csv", "assessments.csv", "studentAssessment.csv"):
        (tmp_path / name).write_bytes((OULAD / name).read_bytes())
    info = pl.read_csv(OULAD / "studentInfo.csv", infer_schema=False).head(3)
    info.with_columns(final_result=pl.Series(["Pass", "Deferred", "Withdrawn"])).write_csv(tmp_path / "studentInfo.csv")
    assert OuladAdapter().frames(tmp_path)["Enrollment Status"].to_list() == ["Completed", "Deferred", "In Progress"]


@pytest.fixture(scope="module")
def three_commands(tmp_path_factory, prefect_harness):
    folder = tmp_path_factory.mktemp("oulad-migration")
    db, reports = str(folder / "warehouse.duckdb"), str(folder / "reports")
    prepared = prepare_flow(source=str(OULAD), mapping=str(REPO / "data/sample/oulad.yaml"),
                            out=str(folder / "oulad.csv"), portal_out=str(folder / "portal"))
    portal_load_flow(users=prepared["portal_files"]["users"], courses=prepared["portal_files"]["courses"], db=db)
    validated = validate_flow(file=prepared["out"], db=db, reports_dir=reports, options=RunOptions(import_date=IMPORT_DATE))
    applied = run_flow(file=prepared["out"], db=db, reports_dir=reports, options=RunOptions(import_date=IMPORT_DATE, skip_invalid_rows=True))
    return prepared, validated, applied, db


def test_prepare_reads_every_registration(three_commands, source):
    prepared, *_ = three_commands
    assert prepared["state"] == "prepared"
    assert prepared["rows_in"] == prepared["rows_out"] == source.height == 32_593
    unscored_fails = source.filter((pl.col("status") == "Failed") & pl.col("mean_score").is_null()).height
    assert prepared["warnings"] == [{
        "rule": "score_required", "rows": unscored_fails,
        "message": f"{unscored_fails} Passed or Failed rows have no score: validate reports each one "
                   "(--skip-invalid-rows leaves them out)",
    }]
    assert prepared["portal_files"]["course_count"] == 22


def test_validate_counts_add_up(three_commands, source):
    _, validated, *_ = three_commands
    findings = pl.read_csv(f"{validated['report_dir']}/findings.csv", infer_schema=False)
    rows_with_errors = findings.filter(pl.col("severity").is_in(["fatal", "error"]))["row"].n_unique()
    unscored_fails = source.filter((pl.col("status") == "Failed") & pl.col("mean_score").is_null()).height
    assert validated["state"] == "invalid"
    assert validated["rule_counts"] == {"score_required": unscored_fails}
    assert validated["rows"] == 32_593
    assert validated["rows"] == validated["live"] + validated["archived"] + validated["skipped"] + rows_with_errors


def test_run_applies_the_rest_and_the_counts_add_up(three_commands, source):
    _, validated, applied, db = three_commands
    unscored_fails = source.filter((pl.col("status") == "Failed") & pl.col("mean_score").is_null()).height
    assert applied["state"] == "applied"
    assert applied["rows"] == applied["live"] + applied["archived"] + applied["skipped"]
    assert applied["skipped"] == unscored_fails
    assert (applied["live"], applied["archived"]) == (validated["live"], validated["archived"])
    finished_before_cutoff = source.filter(
        (pl.col("status") != "In Progress") & (pl.col("ended") < dt.date(2014, 1, 1))
        & ~((pl.col("status") == "Failed") & pl.col("mean_score").is_null())
    ).height
    assert applied["archived"] == finished_before_cutoff > 0
    with duckdb.connect(str(warehouse.state_path(db)), read_only=True) as con:
        stored = con.execute(
            "select (select count(*) from enrollments), (select count(*) from archived_enrollments)"
        ).fetchone()
    assert stored == (applied["live"], applied["archived"])
