"""The DuckDB warehouse: where its state lives, opening it, and the run log.

Two files serve two kinds of user. The tool's state is a private DuckDB file
(`<db>.store/state.duckdb`) that only enrollment-migrate opens, one command at a time. Analysts
open the published catalog at `<db>` (see enrollment_migrate.publish), which the tool never holds
open: it is rebuilt beside it and swapped in, so that a read-only session never blocks a run.
"""

from __future__ import annotations

import contextlib
import logging
import datetime as dt
import json
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from enrollment_migrate import settings
from enrollment_migrate.errors import BadPath, WarehouseBusy
from enrollment_migrate.sql_files import sql

DEFAULT_DB = settings.DB.default
DEFAULT_REPORTS = settings.REPORTS.default


def db_path(given: str | Path | None = None) -> Path:
    return Path(given or settings.DB.value())


def reports_path(given: str | Path | None = None) -> Path:
    return Path(given or settings.REPORTS.value())


def store_dir(db: str | Path) -> Path:
    """The tool's private folder beside the published catalog."""
    db = Path(db)
    return db.with_name(db.name + ".store")


def state_path(db: str | Path) -> Path:
    return store_dir(db) / "state.duckdb"


def parts_dir(db: str | Path) -> Path:
    return store_dir(db) / "parts"


@contextlib.contextmanager
def connect(db: str | Path, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the tool's state for the warehouse `db` (creating it, owner-only, if new).
    `read_only`: for the commands that only look; they change nothing, so they also answer on a
    warehouse in a read-only folder, and refuse (exit 2) one that does not exist."""
    state = state_path(db)
    if read_only:
        con = _open_waiting(_readable_state(Path(db), state), read_only=True)
    else:
        state.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        _adopt_single_file_warehouse(Path(db), state)
        con = _open_waiting(state)
        from enrollment_migrate import work_claims  # it names this module's folders

        work_claims.sweep(db)  # a killed run's work folders
    try:
        if not read_only:
            con.execute(sql("warehouse_schema"))
            con.execute(sql("analyst_views"))
        yield con
    finally:
        # What was committed is in the WAL: a checkpoint that fails at close (a full disk) loses
        # nothing, and the next open replays it. Closing must not fail what has succeeded.
        try:
            con.close()
        except duckdb.Error as exc:
            logging.getLogger(__name__).info("Closing %s: %s", state, str(exc).splitlines()[0])


def _readable_state(db: Path, state: Path) -> Path:
    if state.is_file():
        return state
    if db.is_file():  # a warehouse from before the state moved beside the catalog
        return db
    raise BadPath(f"{db}: no warehouse here: `portal load` makes one.")


def memory_limit() -> str:
    return settings.DUCKDB_MEMORY.value()


def _open_waiting(state: Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """DuckDB lets one process write a file: wait for another command to finish with it."""
    timeout = settings.LOCK_TIMEOUT.value()
    deadline = time.monotonic() + timeout
    while True:
        try:
            return duckdb.connect(str(state), read_only=read_only, config={"memory_limit": memory_limit()})
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise
            if time.monotonic() >= deadline:
                raise WarehouseBusy(
                    f"Another enrollment-migrate command is using {state.parent} and did not "
                    f"finish within {timeout:g} s; try again when it has."
                ) from None
            time.sleep(0.2)


def _adopt_single_file_warehouse(db: Path, state: Path) -> None:
    """A warehouse made before the state moved beside the catalog was one DuckDB file holding
    everything: it becomes the state (and `db` a catalog at the next publication)."""
    if state.exists() or not db.exists():
        return
    with duckdb.connect(str(db), read_only=True) as old:
        kind = old.execute(
            "select table_type from information_schema.tables where table_name = 'enrollments'"
        ).fetchall()
    if kind == [("BASE TABLE",)]:
        shutil.copy2(db, state)


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    con.execute("begin transaction")
    try:
        yield con
    except BaseException:
        con.execute("rollback")
        raise
    con.execute("commit")


# A run id: its UTC start and six hex digits (runs.new_run_id); an argument of another shape is
# refused before it names a file or a row.
RUN_ID_SHAPE = re.compile(r"^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{6}$")
# An applied run can be rolled back for exactly this long; `expire` then drops its snapshot.
ROLLBACK_WINDOW = dt.timedelta(hours=168)


@dataclass
class RunRecord:
    run_id: str
    command: str
    file: str
    sha256: str | None
    import_date: dt.date
    state: str
    started_at: dt.datetime
    rows: int = 0
    live: int = 0
    archived: int = 0
    skipped: int = 0
    errors: int = 0
    warnings: int = 0
    options: dict[str, object] = field(default_factory=dict)
    report_dir: str | None = None
    applied_at: dt.datetime | None = None


def record_run(con: duckdb.DuckDBPyConnection, run: RunRecord, findings: pl.DataFrame) -> None:
    """Write the run and its findings to the run log, both or neither."""
    with transaction(con):
        insert_run(con, run, findings)


def insert_run(con: duckdb.DuckDBPyConnection, run: RunRecord, findings: pl.DataFrame) -> None:
    """The run and its findings, inside the caller's transaction."""
    params = {**run.__dict__, "options": json.dumps(run.options, sort_keys=True, default=str)}
    con.execute(sql("insert_migration_run"), params)
    with registered(con, run_findings=findings):
        con.execute(sql("insert_migration_findings"), {"run_id": run.run_id})


@contextlib.contextmanager
def registered(con: duckdb.DuckDBPyConnection, **frames: pl.DataFrame | list[Path]) -> Iterator[None]:
    """Frames visible to SQL under the names the SQL files read, for the block's length; a list
    of Parquet files is read where it lies, never into memory as a whole."""
    for name, frame in frames.items():
        con.register(name, frame if isinstance(frame, pl.DataFrame) else con.read_parquet([str(p) for p in frame]))
    try:
        yield
    finally:
        for name in frames:
            with contextlib.suppress(duckdb.Error):  # an aborted transaction refuses; it is undone anyway
                con.unregister(name)


def named_in(text: str, params: dict[str, object] | None) -> dict[str, object] | None:
    """The parameters a statement names ($name): DuckDB refuses any it does not."""
    return {key: value for key, value in (params or {}).items() if f"${key}" in text} or None


def execute_script(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, object] | None = None) -> None:
    """Run a SQL file of several statements, each with the parameters it names."""
    for statement in con.extract_statements(sql(name)):
        con.execute(statement.query, named_in(statement.query, params))
