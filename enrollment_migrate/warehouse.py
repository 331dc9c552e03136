"""The DuckDB warehouse: opening it, and the few writes the validation makes (the run log)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from enrollment_migrate.sql_files import sql

DEFAULT_DB = Path("data/warehouse.duckdb")
DEFAULT_REPORTS = Path("data/reports")


def db_path(given: str | Path | None = None) -> Path:
    return Path(given or os.environ.get("ENROLLMENT_MIGRATE_DB") or DEFAULT_DB)


def reports_path(given: str | Path | None = None) -> Path:
    return Path(given or os.environ.get("ENROLLMENT_MIGRATE_REPORTS") or DEFAULT_REPORTS)


@contextlib.contextmanager
def connect(path: str | Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse (creating it, owner-only, if new) with its schema in place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    con = duckdb.connect(str(path))
    try:
        con.execute(sql("warehouse_schema"))
        yield con
    finally:
        con.close()


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    con.execute("begin transaction")
    try:
        yield con
    except BaseException:
        con.execute("rollback")
        raise
    con.execute("commit")


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
def registered(con: duckdb.DuckDBPyConnection, **frames: pl.DataFrame) -> Iterator[None]:
    """Frames visible to SQL under the names the SQL files read, for the block's length."""
    for name, frame in frames.items():
        con.register(name, frame)
    try:
        yield
    finally:
        for name in frames:
            with contextlib.suppress(duckdb.Error):  # an aborted transaction refuses; it is undone anyway
                con.unregister(name)


def execute_script(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, object] | None = None) -> None:
    """Run a SQL file of several statements, each with the parameters it names."""
    for statement in con.extract_statements(sql(name)):
        text = statement.query
        named = {key: value for key, value in (params or {}).items() if f"${key}" in text}
        con.execute(text, named or None)
