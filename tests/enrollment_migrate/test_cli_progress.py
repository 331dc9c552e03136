"""The command line's progress on a terminal (issue 22, part 8): the file's read, then each step
as it starts, on stderr when it is a terminal; none of it under --json or when stderr is not a
terminal. And its numbers, and the report page's, with thousands separators."""

import csv
import datetime as dt
import io
import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from conftest import REPO, write_template
from enrollment_migrate import cli
from flows.portal import portal_load_flow

SAMPLE = REPO / "data" / "sample"
pytestmark = pytest.mark.usefixtures("prefect_harness")
PROGRESS_WORDS = ("Fingerprinting", "Reading ", "Checking learners", "Splitting", "Writing the report")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@pytest.fixture
def command(tmp_path):
    """The command line in a process of its own, reporting to the session's Prefect server,
    against a warehouse holding the sample portal."""
    from prefect.settings import PREFECT_API_URL

    db = tmp_path / "w.duckdb"
    portal_load_flow(users=str(SAMPLE / "portal_users.csv"), courses=str(SAMPLE / "portal_courses.csv"), db=str(db))
    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value(), "COLUMNS": "120"}
    base = [sys.executable, "-m", "enrollment_migrate", "--db", str(db), "--reports", str(tmp_path / "reports")]
    return base, env


def on_terminal(args: list[str], env: dict[str, str], out: Path) -> tuple[int, str, str]:
    """Run with stderr on a pseudo-terminal (stdout to a file): the exit status, stdout, and
    what the terminal received, its escape sequences removed."""
    leader, follower = pty.openpty()
    with out.open("wb") as stdout:
        process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=stdout, stderr=follower, env=env)
    os.close(follower)
    received = []
    while True:
        try:
            chunk = os.read(leader, 1 << 16)
        except OSError:  # EIO: the process closed its end
            break
        if not chunk:
            break
        received.append(chunk)
    os.close(leader)
    status = process.wait(timeout=120)
    return status, out.read_text(encoding="utf-8"), ANSI.sub("", b"".join(received).decode("utf-8", "replace"))


def test_on_a_terminal_the_file_read_then_each_step_shows_as_it_starts(command, tmp_path):
    base, env = command
    status, stdout, screen = on_terminal(
        [*base, "validate", str(SAMPLE / "migration.csv"), "--import-date", "2025-01-15", "--part-mb", "0.0005"],
        env, tmp_path / "out.txt",
    )
    assert status == 0, screen
    assert stdout.startswith("VALID")
    firsts = [screen.index(word) for word in PROGRESS_WORDS]
    assert firsts == sorted(firsts), screen  # the fingerprint, the read, then the steps in order
    assert re.search(r"Reading migration\.csv +━+ +1\.9/1\.9 kB +[\d.]+ [kM]B/s", screen), screen
    last = screen[screen.rindex("Reading migration.csv") - 2:]
    assert [line[0] for line in last.strip().splitlines()] == ["✓"] * 4, last  # every step done
    assert "VALID" not in screen  # the summary is on stdout


def test_with_json_the_terminal_shows_no_progress(command, tmp_path):
    base, env = command
    status, stdout, screen = on_terminal(
        [*base, "validate", str(SAMPLE / "migration.csv"), "--import-date", "2025-01-15", "--json"],
        env, tmp_path / "out.txt",
    )
    assert status == 0, screen
    assert json.loads(stdout)["state"] == "valid"
    assert not [word for word in PROGRESS_WORDS if word in screen], screen


def test_when_stderr_is_not_a_terminal_nothing_of_the_progress_is_written(command):
    base, env = command
    # FORCE_COLOR makes Rich take a pipe for a terminal; the progress asks the file itself.
    done = subprocess.run([*base, "run", str(SAMPLE / "migration.csv"), "--import-date", "2025-01-15"],
                          capture_output=True, text=True, env={**env, "FORCE_COLOR": "1"}, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "APPLIED" in done.stdout
    assert not [word for word in PROGRESS_WORDS + ("Applying",) if word in done.stderr + done.stdout], done.stderr


def test_the_terminal_summary_separates_thousands(monkeypatch):
    screen = io.StringIO()
    monkeypatch.setattr(cli, "out", Console(file=screen, width=200, color_system=None))
    summary = {
        "run_id": "r", "state": "rejected", "file": "big.csv", "import_date": "2025-01-15",
        "rows": 1_234_567, "live": 0, "archived": 0, "skipped": 12_000, "errors": 4_321, "warnings": 1_000,
        "certificates": 0, "credits": 0, "badges": 0,
        "would_have": {"live": 480_000, "archived": 736_919, "certificates": 12_345, "badges": 2_000, "credits": 12_500.5},
        "rule_counts": {"unknown_user": 4_321, "duplicate_row": 1_000},
        "readiness": [{"item": "Training History option", "status": "unknown", "count": 736_919, "rule": None,
                       "detail": "Is Training History enabled? The file has 736,919 archived rows."}],
        "by_year": [{"year": 2016, "completed": 654_321, "open": 1_000}],
        "report_dir": "/nonexistent/r",
    }
    cli._print_summary(summary)
    text = screen.getvalue()
    assert "Had it gone in: 480,000 live and 736,919 archived rows, 12,345 certificates, 2,000 badges, " \
           "12,500.5 credits" in text
    for shown in ("1,234,567", "12,000", "4,321", "1,000", "654,321", "736,919 archived rows"):
        assert shown in text, shown
    assert "2016" in text and "2,016" not in text  # a year is not an amount
    assert not re.search(r"\d{4,}", text.replace("2016", "").replace("2025-01-15", "")), text


def test_a_run_of_thousands_of_rows_says_them_with_separators_in_the_terminal_and_on_the_page(tmp_path):
    db = str(tmp_path / "w.duckdb")
    portal_load_flow(users=str(SAMPLE / "portal_users.csv"), courses=str(SAMPLE / "portal_courses.csv"), db=db)
    with (SAMPLE / "portal_users.csv").open(encoding="utf-8") as handle:
        users = [line["email"] for line in csv.DictReader(handle)]
    courses = ["Fire Safety Essentials", "Data Protection 101", "Leadership Foundations"]
    first = dt.date(2015, 1, 1)
    rows = [{"Login ID": users[n % len(users)], "Course Name": courses[n // len(users) % len(courses)],
             "Enrollment Completed Date": f"{(day := first + dt.timedelta(days=n // 24)).day}/{day.month}/{day.year}",
             "Enrollment Status": "Completed"} for n in range(1200)]
    path = write_template(tmp_path / "archive.csv", rows)
    result = CliRunner().invoke(cli.app, ["--db", db, "--reports", str(tmp_path / "reports"), "validate", str(path),
                                          "--import-date", "2025-01-15"], catch_exceptions=False)
    text = result.output
    assert "1,200" in text and "1200" not in text, text
    (report,) = (tmp_path / "reports").iterdir()
    summary = json.loads((report / "summary.json").read_text(encoding="utf-8"))
    assert summary["rows"] == 1200 and summary["archived"] == 1200  # the JSON keeps plain numbers
    (history,) = [item for item in summary["readiness"] if item["item"].startswith("Training History")]
    assert "The file has 1,200 archived rows" in history["detail"]
    page = (report / "report.html").read_text(encoding="utf-8")
    assert '<span class="n">1,200</span>rows in the file' in page
    assert "The file has 1,200 archived rows" in page
