"""A run's plan and its summary: run ids sort by time and never repeat, the plan puts the report
folder at reports/<run id> with its work folder inside, hashes the file and records who ran it
where; a rejected run's summary and log count nothing migrated and say what it would have."""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
import random
import re
import socket
from pathlib import Path

import pytest

from conftest import IMPORT_DATE, row, write_template
from enrollment_migrate.options import RunOptions
from enrollment_migrate import engine, runs, warehouse
from enrollment_migrate.workdir import WorkDir

NOW = dt.datetime(2025, 3, 4, 5, 6, 7, 890)
RUN_ID = re.compile(r"\d{8}T\d{6}Z-[0-9a-f]{6}")


# -- run ids ------------------------------------------------------------------------------------


def test_a_run_id_is_the_time_to_the_second_and_six_hex_digits():
    run_id = runs.new_run_id(NOW)
    assert RUN_ID.fullmatch(run_id)
    assert run_id.startswith("20250304T050607Z-")


def test_run_ids_sort_by_time():
    times = [
        dt.datetime(2024, 12, 31, 23, 59, 59), dt.datetime(2025, 1, 1), dt.datetime(2025, 1, 1, 0, 0, 1),
        dt.datetime(2025, 1, 1, 0, 1), dt.datetime(2025, 1, 1, 10), dt.datetime(2025, 1, 2), dt.datetime(2025, 10, 1),
    ]
    shuffled = random.Random(3).sample(times, len(times))
    assert sorted(shuffled, key=runs.new_run_id) == times


def test_run_ids_made_at_the_same_instant_differ():
    assert len({runs.new_run_id(NOW) for _ in range(10)}) == 10


# -- the plan -----------------------------------------------------------------------------------


@pytest.fixture
def source(tmp_path) -> Path:
    path = tmp_path / "migration.csv"
    path.write_bytes(random.Random(5).randbytes(3 * (1 << 20) + 17))  # several hash chunks
    return path


def test_the_plan_puts_the_report_folder_under_reports_by_run_id(source, tmp_path):
    plan = runs.plan_run("check", str(source), tmp_path / "reports", RunOptions(), now=NOW)
    assert RUN_ID.fullmatch(plan.run_id) and plan.run_id.startswith("20250304T050607Z-")
    assert plan.report_dir == tmp_path / "reports" / plan.run_id
    assert plan.work_dir == WorkDir(plan.report_dir / ".work")
    assert not plan.report_dir.exists()  # planning makes no folder


def test_the_plan_records_the_file_its_sha256_and_the_time(source, tmp_path):
    plan = runs.plan_run("run", str(source), tmp_path / "reports", RunOptions(), now=NOW)
    assert (plan.command, plan.file, plan.started_at) == ("run", str(source), NOW)
    assert plan.sha256 == hashlib.sha256(source.read_bytes()).hexdigest()
    assert runs.file_sha256(source) == plan.sha256


def test_the_import_date_is_the_day_of_the_run_unless_given(source, tmp_path):
    assert runs.plan_run("run", str(source), tmp_path, RunOptions(), now=NOW).import_date == dt.date(2025, 3, 4)
    assert runs.plan_run("run", str(source), tmp_path, RunOptions(IMPORT_DATE), now=NOW).import_date == IMPORT_DATE


def test_without_a_time_the_plan_starts_now_in_utc_without_a_time_zone(source, tmp_path):
    before = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    plan = runs.plan_run("run", str(source), tmp_path, RunOptions())
    after = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    assert plan.started_at.tzinfo is None
    assert before <= plan.started_at <= after
    assert plan.import_date == plan.started_at.date()
    assert plan.run_id.startswith(f"{plan.started_at:%Y%m%dT%H%M%SZ}-")


def test_the_options_are_kept_with_the_import_date_fixed_and_who_ran_it(source, tmp_path):
    plan = runs.plan_run("run", str(source), tmp_path, RunOptions(skip_existing=True, part_mb=64), now=NOW)
    assert plan.options == RunOptions(dt.date(2025, 3, 4), skip_existing=True, part_mb=64)
    assert plan.started_by == {"user": getpass.getuser(), "host": socket.gethostname()}


def test_the_run_log_records_every_option_and_the_report_page_spells_them_as_flags():
    options = RunOptions(IMPORT_DATE, skip_invalid_rows=True, allow_reapply=True, part_mb=0.5, dask_address="local",
                         memory_budget="2GB")
    recorded = json.loads(json.dumps(options.recorded()))
    assert RunOptions.from_recorded({**recorded, "user": "ann", "host": "h"}) == options
    assert options.flags() == "--skip-invalid-rows --allow-reapply --part-mb 0.5 --dask local --memory-budget 2GB"
    assert RunOptions(IMPORT_DATE).flags() == "none"
    # an entry written before a field existed reads with that field's default
    assert RunOptions.from_recorded({"skip_existing": True}) == RunOptions(skip_existing=True)


# -- the summary and the log record ---------------------------------------------------------------


@pytest.fixture
def checked(portal_warehouse, tmp_path) -> tuple[runs.RunPlan, engine.CheckResult]:
    """A checked file with one live row (with a certificate, 2 credits and a badge), one archived
    row and one row of an unknown user: invalid, with what it would migrate counted."""
    path = write_template(tmp_path / "m.csv", [
        row("ann@example.com", "Safety", completed="1/6/2024"),
        row("dora@example.com", "Privacy", completed="1/6/2019"),
        row("nobody@example.com", "Privacy"),
    ])
    with warehouse.connect(portal_warehouse) as con:
        result = engine.check_file(path, con, engine.RunOptions(IMPORT_DATE))
    plan = runs.plan_run("run", str(path), tmp_path / "reports", RunOptions(IMPORT_DATE), now=NOW)
    return plan, result


WOULD_HAVE = {"live": 1, "archived": 1, "certificates": 1, "credits": 2, "badges": 1}


def test_the_check_counts_what_the_file_would_migrate(checked):
    _, result = checked
    assert result.state == "invalid" and result.rule_counts == {"unknown_user": 1}
    assert {key: getattr(result.counts, key) for key in WOULD_HAVE} == WOULD_HAVE


def test_a_rejected_run_summary_counts_nothing_migrated_and_says_what_it_would_have(checked):
    plan, result = checked
    summary = runs.summary(plan, result, "rejected")
    assert {key: summary[key] for key in WOULD_HAVE} == dict.fromkeys(WOULD_HAVE, 0)
    assert summary["would_have"] == WOULD_HAVE
    assert (summary["rows"], summary["errors"], summary["warnings"], summary["skipped"]) == (3, 1, 0, 0)
    assert summary["rule_counts"] == {"unknown_user": 1}
    assert summary["state"] == "rejected"
    assert result.counts.live == 1  # the check's own counts are left as they were


def test_a_valid_run_summary_counts_what_it_migrates_and_has_no_would_have(checked):
    plan, result = checked
    summary = runs.summary(plan, result, "valid")
    assert "would_have" not in summary
    assert {key: summary[key] for key in WOULD_HAVE} == WOULD_HAVE


def test_the_summary_names_the_run_its_file_and_report_folder_as_json(checked):
    plan, result = checked
    summary = json.loads(json.dumps(runs.summary(plan, result, "rejected")))
    assert summary["run_id"] == plan.run_id
    assert summary["file"] == plan.file and summary["sha256"] == plan.sha256
    assert summary["import_date"] == "2025-01-15"
    assert summary["report_dir"] == str(plan.report_dir)
    assert summary["by_year"] == [dict(entry) for entry in result.by_year]


def test_a_rejected_run_is_logged_with_nothing_live_or_archived(checked):
    plan, result = checked
    record = runs.run_record(plan, result, "rejected")
    assert (record.state, record.live, record.archived) == ("rejected", 0, 0)
    assert (record.rows, record.errors, record.skipped, record.warnings) == (3, 1, 0, 0)
    assert record.applied_at is None


def test_an_applied_run_is_logged_with_its_counts_and_plan(checked):
    plan, result = checked
    applied_at = dt.datetime(2025, 1, 15, 9)
    record = runs.run_record(plan, result, "applied", applied_at)
    assert (record.live, record.archived, record.applied_at) == (1, 1, applied_at)
    assert (record.run_id, record.command, record.file, record.sha256) == (plan.run_id, "run", plan.file, plan.sha256)
    assert (record.import_date, record.started_at) == (IMPORT_DATE, NOW)
    assert record.options == {**plan.options.recorded(), **plan.started_by}
    assert record.report_dir == str(plan.report_dir)
