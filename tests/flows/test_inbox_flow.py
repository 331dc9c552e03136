"""The inbox: files dropped in a folder are validated, applied when allowed, and filed with
their report; a bad file is rejected with its findings; nothing is processed twice."""

import json
import shutil

import pytest

from conftest import REPO
from flows.inbox import inbox_flow
from flows.portal import portal_load_flow

SAMPLE = REPO / "data" / "sample"
pytestmark = pytest.mark.usefixtures("prefect_harness")


@pytest.fixture
def folders(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    portal_load_flow(
        users=str(SAMPLE / "portal_users.csv"), courses=str(SAMPLE / "portal_courses.csv"), db=str(db)
    )
    names = {name: tmp_path / name for name in ("inbox", "processed", "rejected", "reports")}
    names["inbox"].mkdir()
    return {"db": str(db), **names}


def run_inbox(folders, auto_apply):
    return inbox_flow(
        inbox=str(folders["inbox"]), processed=str(folders["processed"]),
        rejected=str(folders["rejected"]), auto_apply=auto_apply, settle_seconds=0,
        import_date="2025-01-15", db=folders["db"], reports_dir=str(folders["reports"]),
    )


def test_good_and_bad_files_are_filed_with_their_reports(folders):
    shutil.copy(SAMPLE / "migration.csv", folders["inbox"] / "good.csv")
    (folders["inbox"] / "bad.csv").write_bytes("Login ID,Course Name\nZoë,x\n".encode("cp1252"))
    outcomes = {o["file"]: o for o in run_inbox(folders, auto_apply=True)}

    assert outcomes["good.csv"]["state"] == "applied"
    assert outcomes["bad.csv"]["state"] == "invalid"
    assert sorted(p.name for p in folders["processed"].iterdir()) == ["good.csv", "good.csv.report"]
    assert sorted(p.name for p in folders["rejected"].iterdir()) == ["bad.csv", "bad.csv.report"]
    bad = json.loads((folders["rejected"] / "bad.csv.report" / "summary.json").read_text())
    assert bad["rule_counts"] == {"not_utf8": 1}
    good = json.loads((folders["processed"] / "good.csv.report" / "summary.json").read_text())
    assert good["state"] == "applied" and good["live"] == 10
    assert [p.name for p in folders["inbox"].glob("*.csv")] == []

    assert run_inbox(folders, auto_apply=True) == []  # nothing left: nothing processed twice


def test_the_same_file_dropped_again_is_never_applied_twice(folders):
    shutil.copy(SAMPLE / "migration.csv", folders["inbox"] / "first.csv")
    assert run_inbox(folders, auto_apply=True)[0]["state"] == "applied"
    shutil.copy(SAMPLE / "migration.csv", folders["inbox"] / "first.csv")
    again = run_inbox(folders, auto_apply=True)
    assert again[0]["state"] == "rejected"
    report = json.loads((folders["rejected"] / "first.csv.report" / "summary.json").read_text())
    assert report["rule_counts"]["file_already_migrated"] == 1


def test_without_auto_apply_a_good_file_is_only_validated(folders):
    shutil.copy(SAMPLE / "migration.csv", folders["inbox"] / "dry.csv")
    (outcome,) = run_inbox(folders, auto_apply=False)
    assert outcome["state"] == "valid"
    assert (folders["processed"] / "dry.csv").exists()


def test_a_file_still_being_written_waits_for_the_next_tick(folders):
    shutil.copy(SAMPLE / "migration.csv", folders["inbox"] / "fresh.csv")
    waiting = inbox_flow(
        inbox=str(folders["inbox"]), processed=str(folders["processed"]),
        rejected=str(folders["rejected"]), settle_seconds=3600, db=folders["db"],
    )
    assert waiting == []
    assert (folders["inbox"] / "fresh.csv").exists()
