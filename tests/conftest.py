"""Shared fixtures: a portal in a fresh warehouse, template files written from rows, and one
Prefect test harness for the whole session (temporary PREFECT_HOME, analytics off)."""

from __future__ import annotations

import csv
import datetime as dt
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

# Prefect reads its settings at import time: isolate it before anything imports it.
_PREFECT_HOME = tempfile.mkdtemp(prefix="prefect-home-")
os.environ["PREFECT_HOME"] = _PREFECT_HOME
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.pop("PREFECT_API_URL", None)
# No background server left behind by a test: commands without PREFECT_API_URL start Prefect's
# temporary one (tests/flows/test_local_server.py tries the local server itself).
os.environ["ENROLLMENT_MIGRATE_LOCAL_SERVER"] = "off"

import duckdb  # noqa: E402
import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

import enrollment_migrate.engine  # noqa: E402
from engine_v2 import same_as_v2  # noqa: E402

# Every check a test makes runs the frozen engine beside the engine, and fails on any difference
# in findings or rows (engine v3, issue 23): set before any test module imports check_file.
enrollment_migrate.engine.check_file = same_as_v2(enrollment_migrate.engine.check_file)

from enrollment_migrate import portal, warehouse  # noqa: E402
from enrollment_migrate.engine import CheckResult, RunOptions, check_file  # noqa: E402
from schemas.examples import PORTAL_COURSES, PORTAL_USERS  # noqa: E402,F401  (the example portal: users, courses)
from schemas.template import COLUMNS  # noqa: E402

# Property tests: a few dozen cases each in `make test`; thousands with HYPOTHESIS_PROFILE=fuzz
# (`make fuzz`). tmp_path is function-scoped on purpose: every case writes its own file.
for _name, _examples in (("default", 60), ("fuzz", 3000)):
    settings.register_profile(
        _name, max_examples=_examples, deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
OULAD = SHARED / "datasets" / "oulad"
HEADERS = [c.header for c in COLUMNS if c.required]
IMPORT_DATE = dt.date(2025, 1, 15)
# The fixture portal is the example portal of schemas.examples (PORTAL_USERS, PORTAL_COURSES above).


def write_template(path: Path, rows: list[dict[str, str]] | list[list[str]], headers: list[str] | None = None) -> Path:
    """A template file: rows as dicts keyed by header (missing keys blank) or as raw lists."""
    headers = headers or HEADERS
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(headers)
        for row in rows:
            writer.writerow([row.get(h, "") for h in headers] if isinstance(row, dict) else row)
    return path


def row(login: str = "ann@example.com", course: str = "Privacy", status: str = "Completed", *,
        created: str = "", started: str = "", completed: str = "1/6/2024", score: str = "",
        expires: str | None = None) -> dict[str, str]:
    """One template row; defaults make a valid live Completed row for the fixture portal."""
    values = {
        "Login ID": login, "Course Name": course, "Enrollment Created Date": created,
        "Enrollment Started Date": started, "Enrollment Completed Date": completed,
        "Enrollment Score": score, "Enrollment Status": status,
    }
    if expires is not None:
        values["Enrollment Access Expires Date"] = expires
    return values


@pytest.fixture(scope="module")
def shared_portal(tmp_path_factory) -> Iterator[duckdb.DuckDBPyConnection]:
    """The fixture portal (users and courses above), loaded once per test module."""
    folder = tmp_path_factory.mktemp("portal")
    (folder / "users.csv").write_text(PORTAL_USERS, encoding="utf-8")
    (folder / "courses.csv").write_text(PORTAL_COURSES, encoding="utf-8")
    with warehouse.connect(folder / "warehouse.duckdb") as con:
        portal.load_portal(con, users=folder / "users.csv", courses=folder / "courses.csv")
        yield con


@pytest.fixture
def portal_warehouse(tmp_path: Path) -> Path:
    """A warehouse of its own holding the fixture portal (users and courses above), for tests
    that open it in several commands or processes."""
    db = tmp_path / "warehouse.duckdb"
    (tmp_path / "users.csv").write_text(PORTAL_USERS, encoding="utf-8")
    (tmp_path / "courses.csv").write_text(PORTAL_COURSES, encoding="utf-8")
    with warehouse.connect(db) as con:
        portal.load_portal(con, users=tmp_path / "users.csv", courses=tmp_path / "courses.csv")
    return db


# Tables a test may write to; emptied after each test so that tests stay independent.
_WRITTEN_TABLES = (
    "enrollments", "archived_enrollments", "certificates", "credits", "badges",
    "migration_runs", "migration_findings", "learning_paths", "portal_settings",
)


@pytest.fixture
def portal_db(shared_portal: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """The fixture portal with no enrollments; what the test adds is removed after it."""
    yield shared_portal
    shared_portal.execute("; ".join(f"delete from {table}" for table in _WRITTEN_TABLES))


def check_rows(con, path: Path, rows, headers=None, import_date=IMPORT_DATE, **options) -> CheckResult:
    write_template(path, rows, headers)
    return check_file(path, con, RunOptions(import_date, **options))


@pytest.fixture
def validate_rows(tmp_path: Path, portal_db: duckdb.DuckDBPyConnection):
    """validate_rows(rows, **options) -> CheckResult, against the fixture portal."""

    def run(rows, headers=None, import_date=IMPORT_DATE, **options) -> CheckResult:
        return check_rows(portal_db, tmp_path / "migration.csv", rows, headers, import_date, **options)

    return run


def rules_of(result: CheckResult, row_number: int | None = None) -> set[str]:
    findings = result.findings
    if row_number is not None:
        findings = findings.filter(findings["row"] == row_number)
    return set(findings["rule"].to_list())


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One Prefect test server for the whole session (it takes seconds to start); with
    pytest-xdist, one per worker, each with its own database, in the worker's own PREFECT_HOME
    and on a port the system gives it.

    Its database starts as a copy of the migrated empty one the local server copies
    (flows.local_server.template_database, made once per machine and Prefect version): Prefect's
    migrations of a new SQLite database took 7 s of the harness's 12 s here. The server still
    checks its migrations on start. Without the template, Prefect migrates a new one as before.
    Flows called here send no heartbeats, as the commands' flows (cli._call_flow): at each
    flow's end Prefect waits up to a second for the heartbeat thread to notice."""
    from unittest import mock

    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing import utilities

    from flows import local_server

    template = local_server.template_database()
    made = utilities.mkdtemp  # the harness's own folder for its database (prefect-test.db)

    def folder_with_the_template() -> str:
        folder = made()
        if template is not None:
            shutil.copyfile(template, Path(folder) / "prefect-test.db")
        return folder

    with mock.patch.object(utilities, "mkdtemp", folder_with_the_template), \
            utilities.prefect_test_harness(server_startup_timeout=60), \
            temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield
