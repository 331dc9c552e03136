"""The prepare flow and `enrollment-migrate prepare`: what is written, and the exit statuses
(0 written, 1 something to decide, 2 cannot run)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from conftest import REPO
from enrollment_migrate import portal, warehouse
from enrollment_migrate.cli import app
from flows.prepare import prepare_flow

SAMPLE = REPO / "data" / "sample"
EXPORT = SAMPLE / "legacy_lms_export.csv"
MAPPING = SAMPLE / "legacy_lms.yaml"
pytestmark = pytest.mark.usefixtures("prefect_harness")


def prepare_cli(*args: str):
    return CliRunner().invoke(app, ["prepare", *args], catch_exceptions=False)


def unwrapped(text: str) -> str:
    """The console wraps long lines to its width: compare words, not line breaks."""
    return " ".join(text.split())


@pytest.fixture
def undecided_mapping(tmp_path):
    """The sample mapping less one status word."""
    path = tmp_path / "undecided.yaml"
    path.write_text(MAPPING.read_text(encoding="utf-8").replace("  registered: Not Started\n", ""), encoding="utf-8")
    return path


def test_the_flow_writes_the_file_its_report_and_portal_files(tmp_path):
    out = tmp_path / "migration.csv"
    report = prepare_flow(source=str(EXPORT), mapping=str(MAPPING), out=str(out), portal_out=str(tmp_path / "portal"))

    assert report["state"] == "prepared" and report["out"] == str(out)
    assert (report["rows_in"], report["rows_out"]) == (11, 9)
    assert out.read_text(encoding="utf-8").count("\n") == 10
    assert json.loads((tmp_path / "migration.prepare.json").read_text(encoding="utf-8")) == report
    assert (report["portal_files"]["user_count"], report["portal_files"]["course_count"]) == (9, 4)
    with warehouse.connect(tmp_path / "w.duckdb") as con:  # the portal files load as they are
        loaded = portal.load_portal(con, users=tmp_path / "portal/portal_users.csv",
                                    courses=tmp_path / "portal/portal_courses.csv")
    assert (loaded.users, loaded.courses) == (9, 4)


def test_the_flow_writes_nothing_but_the_report_while_decisions_are_open(tmp_path, undecided_mapping):
    out = tmp_path / "migration.csv"
    out.write_text("an earlier file\n", encoding="utf-8")
    report = prepare_flow(source=str(EXPORT), mapping=str(undecided_mapping), out=str(out),
                          portal_out=str(tmp_path / "portal"))

    assert report["state"] == "needs_decisions" and report["out"] is None
    assert [d["kind"] for d in report["decisions"]] == ["unmapped_statuses"]
    assert out.read_text(encoding="utf-8") == "an earlier file\n"  # left as it was
    assert not (tmp_path / "portal").exists()
    assert json.loads((tmp_path / "migration.prepare.json").read_text(encoding="utf-8"))["state"] == "needs_decisions"


def test_cli_exit_0_and_one_json_object(tmp_path):
    result = prepare_cli(str(EXPORT), "--mapping", str(MAPPING), "--out", str(tmp_path / "m.csv"), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["state"] == "prepared" and report["rows_out"] == 9


def test_cli_readable_summary(tmp_path):
    result = prepare_cli(str(EXPORT), "--mapping", str(MAPPING), "--out", str(tmp_path / "m.csv"))
    assert result.exit_code == 0
    assert result.stdout.startswith(f"PREPARED  {tmp_path / 'm.csv'}  (9 rows)")
    assert "dropped 1: status 'cancelled' mapped to drop" in result.stdout


def test_cli_exit_1_says_what_to_decide(tmp_path, undecided_mapping):
    result = prepare_cli(str(EXPORT), "--mapping", str(undecided_mapping), "--out", str(tmp_path / "m.csv"))
    assert result.exit_code == 1
    assert "To decide:" in result.stdout and "'Registered' (1 rows)" in result.stdout
    assert not (tmp_path / "m.csv").exists()


def test_cli_exit_2_for_a_mapping_that_needs_correcting(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("columns:\n  Login: Learner Email\n", encoding="utf-8")
    result = prepare_cli(str(EXPORT), "--mapping", str(bad), "--out", str(tmp_path / "m.csv"))
    assert result.exit_code == 2
    assert "columns → Login: not a template column" in unwrapped(result.stderr)
    assert not (tmp_path / "m.csv").exists()


def test_cli_exit_2_when_the_source_cannot_be_read(tmp_path):
    result = prepare_cli(str(tmp_path / "missing.csv"), "--mapping", str(MAPPING), "--out", str(tmp_path / "m.csv"))
    assert result.exit_code == 2
    assert "missing.csv: no such file" in unwrapped(result.stderr)
    result = prepare_cli(str(EXPORT), "--mapping", str(MAPPING), "--out", str(EXPORT))
    assert result.exit_code == 2 and "is the same file as the input" in unwrapped(result.stderr)
