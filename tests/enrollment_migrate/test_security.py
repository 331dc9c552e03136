"""Values reach SQL only as bound parameters; what the tool writes keeps learners' data to those
who may read it."""

from __future__ import annotations

import datetime as dt
import json
import stat

import polars as pl
import pytest

from conftest import write_template
from enrollment_migrate.options import RunOptions
from enrollment_migrate import apply, engine, portal, runs, warehouse

HOSTILE_COURSE = "Robert'); DROP TABLE users; --"
HOSTILE_USER = "o'brien\";delete/**/from/**/courses;--@example.com"  # an email has no spaces
IMPORT = dt.date(2025, 1, 15)


@pytest.fixture
def db(tmp_path):
    db = tmp_path / "w.duckdb"
    (tmp_path / "u.csv").write_text(
        "email,username\n" + f'"{HOSTILE_USER.replace(chr(34), chr(34) * 2)}",$name\n', encoding="utf-8"
    )
    (tmp_path / "c.csv").write_text(f'name,certificate\n"{HOSTILE_COURSE}",\'; --\n', encoding="utf-8")
    with warehouse.connect(db) as con:
        portal.load_portal(con, users=tmp_path / "u.csv", courses=tmp_path / "c.csv")
    return db


def test_names_full_of_quotes_and_semicolons_are_only_data(db, tmp_path):
    rows = [{"Login ID": HOSTILE_USER, "Course Name": HOSTILE_COURSE, "Enrollment Completed Date": "1/6/2024",
             "Enrollment Status": "Completed"},
            {"Login ID": "$name", "Course Name": HOSTILE_COURSE.upper(), "Enrollment Completed Date": "2/6/2024",
             "Enrollment Status": "Completed"}]
    path = write_template(tmp_path / "m.csv", rows)
    with warehouse.connect(db) as con:
        result = engine.check_file(path, con, engine.RunOptions(IMPORT))
        assert result.state == "valid", result.findings.to_dicts()
        plan = runs.plan_run("run", str(path), tmp_path / "r", RunOptions(IMPORT, dask_address="'; drop table users; --"))
        record = runs.run_record(plan, result, "applied", dt.datetime(2025, 1, 15, 9))
        apply.apply_run(con, record, result.findings, result.migrated)
        assert con.execute("select count(*) from users").fetchall() == [(1,)]
        assert con.execute("select count(*) from courses").fetchall() == [(1,)]
        assert con.execute("select certificate from certificates").fetchall() == [("'; --",), ("'; --",)]
        options = json.loads(con.execute("select options from migration_runs").fetchall()[0][0])
    assert options["dask_address"] == "'; drop table users; --"
    assert {"user", "host"} <= set(options)  # who ran it, and where


@pytest.mark.parametrize("run_id", ["../../etc/passwd", "20250115T090000Z-abcdef/../../x", "'; drop table x; --"])
def test_run_ids_cannot_reach_outside_the_store(db, run_id):
    with warehouse.connect(db) as con, pytest.raises(apply.RollbackRefused) as refused:
        apply.rollback_run(con, run_id, dt.datetime(2025, 1, 15))
    assert refused.value.reason == "not_applied"


def test_what_the_tool_writes_is_readable_by_its_owner_only(db, tmp_path):
    from enrollment_migrate.publish import publish
    from enrollment_migrate.reports import run_dir

    with warehouse.connect(db) as con:
        publish(con, db)
    for path in (warehouse.store_dir(db), db, run_dir(tmp_path / "reports", "20250115T090000Z-abcdef")):
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path


def test_login_ids_do_not_reach_the_artifacts_unmasked(db, tmp_path):
    from enrollment_migrate.artifacts import findings_sample

    findings = pl.DataFrame({"row": [2], "column": ["Login ID"], "rule": ["unknown_user"], "severity": ["error"],
                             "value": ["jane.doe@example.com"], "message": ["No user 'jane.doe@example.com'"]})
    assert "jane.doe" not in json.dumps(findings_sample(findings))
