"""The command line: exit statuses, --json purity, readable output (INTERFACES.md)."""

import json
import os
import re
import subprocess
import sys
import webbrowser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import REPO, row, write_template
from enrollment_migrate.cli import app

SAMPLE = REPO / "data" / "sample"
pytestmark = pytest.mark.usefixtures("prefect_harness")


@pytest.fixture
def cli(tmp_path):
    runner = CliRunner()
    base = ["--db", str(tmp_path / "w.duckdb"), "--reports", str(tmp_path / "reports")]

    def invoke(*args: str):
        return runner.invoke(app, [*base, *args], catch_exceptions=False)

    return invoke


@pytest.fixture
def cli_with_portal(cli):
    result = cli(
        "portal", "load",
        "--users", str(SAMPLE / "portal_users.csv"),
        "--courses", str(SAMPLE / "portal_courses.csv"),
    )
    assert result.exit_code == 0, result.output
    return cli


def test_json_output_is_one_object_and_nothing_else_in_a_real_process(tmp_path):
    """A real process, reporting to the session's Prefect server."""
    from prefect.settings import PREFECT_API_URL

    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value()}
    base = [sys.executable, "-m", "enrollment_migrate", "--db", str(tmp_path / "w.duckdb"),
            "--reports", str(tmp_path / "reports")]
    load = subprocess.run(
        [*base, "portal", "load", "--users", str(SAMPLE / "portal_users.csv"),
         "--courses", str(SAMPLE / "portal_courses.csv"), "--json"],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert load.returncode == 0, load.stderr
    assert json.loads(load.stdout) == {"users": 8, "courses": 5, "enrollments": 0, "learning_paths": 0, "settings": 0}
    done = subprocess.run(
        [*base, "validate", str(SAMPLE / "migration.csv"), "--import-date", "2025-01-15", "--json"],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)  # fails on anything else on stdout
    assert summary["state"] == "valid"
    assert set(summary) >= {
        "run_id", "state", "file", "sha256", "import_date", "rows", "live", "archived", "skipped",
        "errors", "warnings", "certificates", "credits", "badges", "rule_counts", "readiness", "by_year",
        "report_dir",
    }
    assert [item["status"] for item in summary["readiness"]].count("unknown") >= 1  # no settings loaded
    assert all(set(item) >= {"item", "status", "detail", "count", "rule"} for item in summary["readiness"])


def test_invalid_file_exits_1_with_a_readable_summary(cli_with_portal, tmp_path):
    path = write_template(tmp_path / "bad.csv", [row(login="stranger@example.com", course="Fire Safety Essentials")])
    result = cli_with_portal("validate", str(path), "--import-date", "2025-01-15")
    assert result.exit_code == 1
    assert "INVALID" in result.stdout
    assert "unknown_user" in result.stdout
    assert "Report:" in result.stdout
    page = re.search(r"^Report page: (\S+report\.html) ", result.stdout, re.M).group(1)
    assert "Will not go in" in Path(page).read_text(encoding="utf-8")


def test_valid_file_exits_0(cli_with_portal):
    result = cli_with_portal("validate", str(SAMPLE / "migration.csv"), "--import-date", "2025-01-15")
    assert result.exit_code == 0
    assert "VALID" in result.stdout
    # the readiness checklist, compact: every step with its status
    assert "Ready to migrate?" in result.stdout
    assert "Training History option" in result.stdout and "unknown ?" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["validate", "missing.csv"], "no such file"),
        (["validate", str(SAMPLE / "migration.csv"), "--import-date", "15/01/2025"], "YYYY-MM-DD"),
        (["portal", "load"], "at least one of"),
    ],
)
def test_what_cannot_run_exits_2_with_a_message(cli_with_portal, args, message):
    result = cli_with_portal(*args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_the_portal_s_learning_paths_and_settings_load_from_the_command_line(cli_with_portal):
    result = cli_with_portal(
        "portal", "load", "--learning-paths", str(SAMPLE / "portal_learning_paths.csv"),
        "--settings", str(SAMPLE / "portal_settings.csv"),
    )
    assert result.exit_code == 0, result.output
    assert "4 learning path lines, 2 settings" in " ".join(result.output.split())


def test_validate_without_a_portal_exits_2(cli):
    result = cli("validate", str(SAMPLE / "migration.csv"))
    assert result.exit_code == 2
    assert "portal load" in result.stderr


def test_refused_portal_file_exits_1_naming_row_and_column(cli, tmp_path):
    users = tmp_path / "users.csv"
    users.write_text("email,login_enabled\nann@x.com,perhaps\n", encoding="utf-8")
    result = cli("portal", "load", "--users", str(users))
    assert result.exit_code == 1
    assert "row 2, column login_enabled" in result.stderr


def test_an_unreachable_prefect_server_exits_2_with_a_message(tmp_path):
    env = {**os.environ, "PREFECT_API_URL": "http://127.0.0.1:9/api"}  # nothing listens on 9
    done = subprocess.run(
        [sys.executable, "-m", "enrollment_migrate", "--db", str(tmp_path / "w.duckdb"),
         "validate", str(SAMPLE / "migration.csv"), "--json"],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert "Cannot run" in done.stderr and "127.0.0.1:9" in done.stderr


def test_report_builds_a_runs_page_again_and_opens_it(cli_with_portal, monkeypatch):
    done = cli_with_portal("validate", str(SAMPLE / "migration.csv"), "--import-date", "2025-01-15", "--json")
    summary = json.loads(done.stdout)
    page = Path(summary["report_dir"]) / "report.html"
    page.unlink()
    opened = []
    monkeypatch.setattr(webbrowser, "open", lambda url: opened.append(url) or True)

    result = cli_with_portal("report", summary["run_id"], "--open")

    assert result.exit_code == 0, result.output
    assert f"Report page: {page}" in result.stdout
    assert "Will go in" in page.read_text(encoding="utf-8")
    assert opened == [page.resolve().as_uri()]


@pytest.mark.parametrize(
    ("run_id", "message"),
    [("../reports", "is not a run id"), ("20250115T093000Z-1a2b3c", "There is no report of run")],
)
def test_report_of_an_unknown_run_exits_2(cli_with_portal, run_id, message):
    result = cli_with_portal("report", run_id)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_parts_and_a_dask_cluster_from_the_command_line_find_the_same(cli_with_portal):
    def summary(*options: str) -> dict:
        result = cli_with_portal("validate", str(SAMPLE / "migration.csv"), "--import-date", "2025-01-15",
                                 "--json", *options)
        assert result.exit_code == 0, result.output
        found = json.loads(result.output)
        return {k: v for k, v in found.items() if k not in ("run_id", "report_dir", "report_page")}

    whole = summary("--part-mb", "0")
    assert summary("--part-mb", "0.0005") == whole  # about 500 bytes: several parts
    assert summary("--part-mb", "0.0005", "--dask", "local") == whole


def test_store_status_counts_the_retired_files_and_expire_deletes_them_when_due(cli_with_portal, monkeypatch):
    applied = cli_with_portal("run", str(SAMPLE / "migration.csv"), "--import-date", "2025-01-15", "--json")
    assert applied.exit_code == 0, applied.output
    run_id = json.loads(applied.stdout)["run_id"]
    assert cli_with_portal("rollback", run_id).exit_code == 0

    status = json.loads(cli_with_portal("store", "status", "--json").stdout)
    assert status["retired_files"] >= 5  # the run's enrollments, archive, awards, and older manifests
    assert status["retired_bytes"] > 0 and status["due_for_deletion"] == 0
    assert (status["open_sessions"], status["retention_seconds"]) == (0, 3600)
    readable = cli_with_portal("store", "status")
    assert f"Waiting for deletion: {status['retired_files']} retired files" in readable.stdout

    assert json.loads(cli_with_portal("expire", "--json").stdout) == {"expired": [], "deleted_files": 0}
    monkeypatch.setenv("ENROLLMENT_MIGRATE_PARTITION_RETENTION", "0")
    swept = json.loads(cli_with_portal("expire", "--json").stdout)
    # expire publishes every time (a catalog a full disk left behind catches up there): the first
    # one retired the manifest before its own.
    assert swept == {"expired": [], "deleted_files": status["retired_files"] + 1}
    assert json.loads(cli_with_portal("store", "status", "--json").stdout)["retired_files"] == 0


def test_a_retention_that_is_not_a_duration_exits_2_naming_the_setting(cli_with_portal, monkeypatch):
    monkeypatch.setenv("ENROLLMENT_MIGRATE_PARTITION_RETENTION", "a while")
    result = cli_with_portal("store", "status")
    assert result.exit_code == 2
    assert "ENROLLMENT_MIGRATE_PARTITION_RETENTION" in result.output


def test_a_rejected_run_says_plainly_that_nothing_went_in_and_what_would_have(cli_with_portal):
    first = cli_with_portal("run", str(SAMPLE / "migration.csv"), "--import-date", "2025-01-15", "--json")
    applied = json.loads(first.stdout)
    again = cli_with_portal("run", str(SAMPLE / "migration.csv"), "--import-date", "2025-01-15")
    assert again.exit_code == 1
    text = " ".join(again.stdout.split())
    assert "Rejected: nothing went in." in text
    assert f"Had it gone in: {applied['live']} live and {applied['archived']} archived rows" in text
