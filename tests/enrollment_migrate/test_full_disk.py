"""A full disk: what is reported is what happened (issue 21, point 1).

Every write of a command happens either before its commit, so that a full disk there leaves the
store exactly as it was and the command exits 2 with one line ("no space left on PATH: nothing
was applied"), or after it, so that a full disk there is a warning, the command exits 0 saying it
was done, and names what could not be written with the way to write it again. Nothing partial is
left behind either way.

Two ways in: ENOSPC injected at each write point (enrollment_migrate.faults), for run, validate,
rollback, expire and portal load; and a real small file system (tmpfs, where the tests may mount
one), filled to several levels before a run.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from conftest import REPO, row, write_template
from enrollment_migrate import warehouse
from enrollment_migrate.cli import app
from enrollment_migrate.faults import FAULT_AT

SAMPLE = REPO / "data" / "sample"
pytestmark = pytest.mark.usefixtures("prefect_harness")
TABLES = ("users", "courses", "enrollments", "archived_enrollments", "certificates", "credits", "badges",
          "migration_runs", "migration_snapshots", "migration_findings")
DEBRIS = ("*.tmp", "*.partial", "*.publishing", "*.publishing.wal", ".work")
IMPORT = ["--import-date", "2025-01-15"]


def store(db: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(warehouse.state_path(db)), read_only=True) as con:
        return {t: sorted(con.execute(f"select * from {t}").fetchall(), key=repr) for t in TABLES}


def run_states(db: Path) -> list[str]:
    with duckdb.connect(str(warehouse.state_path(db)), read_only=True) as con:
        return [r[0] for r in con.execute("select state from migration_runs order by started_at").fetchall()]


def catalog_count(db: Path, table: str) -> int:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(f"select count(*) from {table}").fetchall()[0][0]


def debris(*folders: Path) -> list[Path]:
    return [p for folder in folders for pattern in DEBRIS for p in folder.rglob(pattern)]


def _prefect_console_follows_stderr() -> None:
    """Prefect's console handler keeps the stream it was made with: in-process, that can be an
    earlier CliRunner call's stderr, closed since. Let it write to whatever stderr is now."""
    for handler in logging.getLogger().handlers + logging.getLogger("prefect").handlers:
        console = getattr(handler, "console", None)
        if console is not None:
            console._file, console.stderr = None, True


class Cli:
    def __init__(self, db: Path, reports: Path):
        self.base = ["--db", str(db), "--reports", str(reports)]
        self.runner = CliRunner()

    def __call__(self, *args: str):
        _prefect_console_follows_stderr()
        done = self.runner.invoke(app, [*self.base, *args], catch_exceptions=False)
        assert "Traceback" not in done.output + done.stderr, done.stderr
        return done


@pytest.fixture
def loaded(tmp_path) -> tuple[Cli, Path, Path]:
    db, reports = tmp_path / "w.duckdb", tmp_path / "reports"
    cli = Cli(db, reports)
    done = cli("portal", "load", "--users", str(SAMPLE / "portal_users.csv"),
               "--courses", str(SAMPLE / "portal_courses.csv"))
    assert done.exit_code == 0, done.stderr
    return cli, db, reports


def migration(tmp_path: Path) -> Path:
    return write_template(tmp_path / "m.csv", [
        row("ana.silva@example.com", "Fire Safety Essentials", completed="10/10/2024"),
        row("ben.okafor@example.com", "Fire Safety Essentials", completed="1/1/2019"),
    ])


# The write points before the commit of a run, and after it.
BEFORE_COMMIT = ("work", "rows", "findings", "summary", "apply", "commit")
AFTER_COMMIT = ("publish", "manifest", "catalog", "page")


@pytest.mark.parametrize("point", BEFORE_COMMIT)
def test_run_full_before_the_commit_applies_nothing_and_says_so(loaded, tmp_path, monkeypatch, point):
    cli, db, reports = loaded
    before = store(db)
    monkeypatch.setenv(FAULT_AT, f"{point}:enospc")
    done = cli("run", str(migration(tmp_path)), *IMPORT)
    assert done.exit_code == 2, done.stderr
    line = done.stderr.strip()
    assert line.startswith("Cannot run: no space left on ") and line.endswith("nothing was applied."), line
    assert len(line.splitlines()) == 1
    assert store(db) == before
    assert not debris(tmp_path)
    assert not reports.exists() or not any(reports.iterdir())  # the run's report folder went too


@pytest.mark.parametrize("point", AFTER_COMMIT)
def test_run_full_after_the_commit_is_applied_and_names_what_was_not_written(loaded, tmp_path, monkeypatch, point):
    cli, db, reports = loaded
    monkeypatch.setenv(FAULT_AT, f"{point}:enospc")
    done = cli("run", str(migration(tmp_path)), *IMPORT, "--json")
    assert done.exit_code == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["state"] == "applied"
    assert run_states(db) == ["applied"]
    (missing, *_) = summary["not_written"]
    assert missing["what"] == ("the report page" if point == "page" else "the analysts' catalog")
    assert missing["why"].startswith("no space left on ")
    assert not debris(tmp_path)
    monkeypatch.delenv(FAULT_AT)
    if point == "page":  # the way to write it again, as the summary says
        assert f"enrollment-migrate report {summary['run_id']}" in missing["again"]
        assert cli("report", summary["run_id"]).exit_code == 0
        assert (Path(summary["report_dir"]) / "report.html").is_file()
    else:
        assert "expire" in missing["again"]
        assert catalog_count(db, "migration_runs") == 0  # behind, until published again
        assert cli("expire").exit_code == 0
        assert catalog_count(db, "migration_runs") == 1 and catalog_count(db, "enrollments") == 1


@pytest.mark.parametrize("point", ("work", "rows", "findings", "summary"))
def test_validate_full_records_nothing_and_leaves_no_report(loaded, tmp_path, monkeypatch, point):
    cli, db, reports = loaded
    before = store(db)
    monkeypatch.setenv(FAULT_AT, f"{point}:enospc")
    done = cli("validate", str(migration(tmp_path)), *IMPORT)
    assert done.exit_code == 2
    assert done.stderr.strip().startswith("Cannot run: no space left on ")
    assert store(db) == before
    assert not debris(tmp_path) and (not reports.exists() or not any(reports.iterdir()))


def test_validate_full_while_publishing_is_valid_with_a_warning(loaded, tmp_path, monkeypatch):
    cli, db, _ = loaded
    monkeypatch.setenv(FAULT_AT, "publish:enospc")
    done = cli("validate", str(migration(tmp_path)), *IMPORT)
    assert done.exit_code == 0
    assert "could not be refreshed (no space left on " in done.stderr
    assert not debris(tmp_path)


@pytest.mark.parametrize(("command", "point"), [
    ("rollback", "rollback"), ("expire", "expire"), ("portal", "portal"),
    ("rollback", "manifest"), ("expire", "catalog"), ("portal", "catalog"),
])
def test_rollback_expire_and_portal_load_full(loaded, tmp_path, monkeypatch, command, point):
    """Inside their one transaction: exit 2, nothing changed. While publishing: done, with a
    warning, and the catalog catches up at the next command."""
    cli, db, _ = loaded
    applied = json.loads(cli("run", str(migration(tmp_path)), *IMPORT, "--json").stdout)
    args = {
        "rollback": ["rollback", applied["run_id"]],
        "expire": ["expire", "--now", "2099-01-01T00:00"],
        "portal": ["portal", "load", "--users", str(SAMPLE / "portal_users.csv")],
    }[command]
    before = store(db)
    monkeypatch.setenv(FAULT_AT, f"{point}:enospc")
    done = cli(*args)
    if point == command:
        assert done.exit_code == 2
        assert done.stderr.strip() .startswith("Cannot run: no space left on ")
        assert done.stderr.strip().endswith("nothing was changed.")
        assert store(db) == before
    else:
        assert done.exit_code == 0, done.stderr
        assert "could not be refreshed (no space left on " in done.stderr
        if command != "portal":
            assert store(db) != before
    assert not debris(tmp_path)


# --- a real small file system ------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path):
    """A 24 MB tmpfs, where this process may mount one (root on Linux); else skipped."""
    mount = tmp_path / "disk"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mount)],
                          capture_output=True, check=False) if shutil.which("mount") else None
    if made is None or made.returncode != 0:
        pytest.skip("no tmpfs can be mounted here (needs root); the injected faults above cover it")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(folder: Path, leave_kb: int) -> Path:
    stats = os.statvfs(folder)
    free = stats.f_bavail * stats.f_frsize
    filler = folder / "filler"
    with filler.open("wb") as handle:
        os.posix_fallocate(handle.fileno(), 0, max(0, free - leave_kb * 1024))
    return filler


@pytest.mark.parametrize("leave_kb", [16, 64, 256, 700, 1500, 3000, 6000])
def test_a_run_on_a_nearly_full_disk_reports_what_happened(small_disk, tmp_path, leave_kb):
    """Whatever the room left, the exit status and the line agree with the store."""
    db, reports = small_disk / "w.duckdb", small_disk / "reports"
    cli = Cli(db, reports)
    assert cli("portal", "load", "--users", str(SAMPLE / "portal_users.csv"),
               "--courses", str(SAMPLE / "portal_courses.csv")).exit_code == 0
    before = store(db)
    filler = _fill(small_disk, leave_kb)
    try:
        done = cli("run", str(SAMPLE / "migration.csv"), *IMPORT, "--json")
    finally:
        filler.unlink()
    after = store(db)
    if done.exit_code == 0:
        summary = json.loads(done.stdout)
        assert summary["state"] == "applied"
        assert run_states(db) == ["applied"]
        for missing in summary.get("not_written", []):
            assert missing["why"] and missing["again"]
    else:
        assert done.exit_code == 2, done.stderr
        assert "no space left on " in done.stderr and "nothing was applied" in done.stderr
        assert after == before
    assert not debris(small_disk)
    # With room again, the analysts' catalog is brought up to the store.
    assert cli("expire").exit_code == 0
    assert catalog_count(db, "enrollments") == len(after["enrollments"])
    with contextlib.suppress(FileNotFoundError):
        assert not list((reports).glob("*/.work"))
