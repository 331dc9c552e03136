"""Publishing the warehouse for analysts: a catalog they can keep open all day.

DuckDB lets a file be opened by one writer or by readers, never both, so analysts never open the
tool's state. They open `<db>`, a small DuckDB catalog rebuilt after every change:

- the large tables (enrollments, archive, awards, findings) are views over immutable Parquet
  partitions, one per run (and one for the portal's own enrollments), in `<db>.store/parts/`;
  the views read the partition folders, so even a session opened before a run sees the run's rows
  (or no longer sees a rolled-back run's) on its next query;
- a partition file is never changed or removed from under a query: the views keep the files
  that the newest manifest lists as live; a rolled-back or replaced partition is retired, and
  deleted after a retention, once no session is open (enrollment_migrate.retention);
- the small tables (users, courses, the run log, snapshots) are copied into the catalog;
- the catalog is written beside `<db>` and moved over it (`os.replace`, atomic): a session that
  has the old one open keeps reading it; a reconnect sees the new one.

Publishing follows the state's commit. A crash in between leaves the catalog one step behind,
and the next publication (after any command that changes the state) catches up: partitions are
made to match the state, whatever was missed; a crash before the retired files' deletion
leaves them to the next publication or `expire`.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
import os
from pathlib import Path

import duckdb

from enrollment_migrate import retention
from enrollment_migrate.errors import reason
from enrollment_migrate.faults import fault_point
from enrollment_migrate.sql_files import sql
from enrollment_migrate.warehouse import parts_dir

# Tables whose rows belong to one run each (run_id null: the portal's own enrollments).
PARTITIONED = (
    "enrollments", "archived_enrollments", "certificates", "credits", "badges", "migration_findings",
)
COPIED = ("users", "courses", "learning_paths", "portal_settings", "migration_runs", "migration_snapshots")


def publish(con: duckdb.DuckDBPyConnection, db: str | Path) -> Path:
    """Bring the partitions in line with the state, swap in a new catalog at `db`, then delete
    the retired partition files that are due."""
    db = Path(db).resolve()
    live = [path for table in PARTITIONED for path in _sync_partitions(con, table, parts_dir(db) / table)]
    retention.write_manifest(db, live)
    catalog = _swap_in_catalog(con, db)
    fault_point("sweep")
    retention.sweep(db)
    return catalog


CATALOG_AGAIN = "the next command that changes the warehouse, or `enrollment-migrate expire`, publishes it"


def publish_or_warn(con: duckdb.DuckDBPyConnection, db: str | Path, *, warn: bool = True) -> str | None:
    """Publish after a committed change. The state is the record: if publishing fails (a full
    disk), the change stands, the analysts' catalog stays one step behind, and the next command
    that publishes catches up. Returns None when the catalog is current, else why it is not
    (`warn`: also say so in the log; a caller that reports it itself passes False)."""
    try:
        publish(con, db)
    except (OSError, duckdb.Error) as exc:  # DuckDB words a full disk as its own IOException
        why = reason(exc)
        logging.getLogger(__name__).log(
            logging.WARNING if warn else logging.INFO,
            "The analysts' catalog %s could not be refreshed (%s); %s.", db, why, CATALOG_AGAIN,
        )
        return why
    return None


def _sync_partitions(con: duckdb.DuckDBPyConnection, table: str, folder: Path) -> list[Path]:
    """Write the partitions the state holds and the folder lacks; returns the table's live files.
    A partition is immutable (a run's rows, or the portal's named by their content), so one on
    disk is reused as it is, even one retired earlier."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not (folder / f"{retention.EMPTY}.parquet").exists():
        _write(con, con.sql(f"select * from {table} limit 0"), folder, retention.EMPTY)
    wanted = _partitions_in_state(con, table)
    present = {p.stem for p in folder.glob("*.parquet")}
    for name in sorted(set(wanted) - present):
        run_id = wanted[name]
        rows = (
            con.sql(f"select * from {table} where run_id is null")
            if run_id is None
            else con.sql(f"select * from {table} where run_id = $run_id", params={"run_id": run_id})
        )
        _write(con, rows, folder, name)
    return [folder / f"{name}.parquet" for name in (retention.EMPTY, *sorted(wanted))]


def _partitions_in_state(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str | None]:
    """Partition name -> the run it holds (None: the portal's rows, named by their content)."""
    run_ids = [r[0] for r in con.execute(f"select distinct run_id from {table}").fetchall()]
    names: dict[str, str | None] = {run_id: run_id for run_id in run_ids if run_id is not None}
    if None in run_ids:
        (content,) = con.execute(
            f"select count(*) || ':' || coalesce(bit_xor(hash(t)), 0) from {table} t where run_id is null"
        ).fetchall()[0]
        names[f"portal-{hashlib.sha256(content.encode()).hexdigest()[:16]}"] = None
    return names


def _write(con: duckdb.DuckDBPyConnection, rows: duckdb.DuckDBPyRelation, folder: Path, name: str) -> None:
    """Write under a name the views do not match, then move into place: never a partial file.
    DuckDB streams the rows to the file (a run's partition can hold a hundred million). A view
    promises no order, and keeping the state's order made DuckDB buffer the rows: a run's
    findings partition of 5M rows took 440 MB more (bench/all_findings.py)."""
    temporary = folder / f".{name}.parquet.tmp"
    con.execute("set preserve_insertion_order = false")
    try:
        rows.write_parquet(str(temporary))
        fault_point("publish", temporary)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    finally:
        con.execute("reset preserve_insertion_order")
    os.replace(temporary, folder / f"{name}.parquet")


def _swap_in_catalog(con: duckdb.DuckDBPyConnection, db: Path) -> Path:
    building = db.with_name(f".{db.name}.{os.getpid()}.publishing")
    building.unlink(missing_ok=True)
    state = con.execute("select current_database()").fetchall()[0][0]
    # DDL takes no parameters: the paths are the tool's own, quoted as SQL literals.
    unfinished = building.with_name(building.name + ".wal")
    try:
        _build_catalog(con, db, building, state)
        if unfinished.exists():
            # Detaching checkpoints the catalog into its file; a WAL left over means that failed
            # (a full disk, which DuckDB does not always raise), and the file lacks what it holds.
            raise OSError(errno.ENOSPC, "the catalog could not be written whole", str(building))
        os.chmod(building, 0o600)
        retention.keep_catalog(building, db)
        fault_point("catalog", building)
        os.replace(building, db)
    except BaseException:
        # A half-built catalog is never left beside the one analysts open.
        building.unlink(missing_ok=True)
        unfinished.unlink(missing_ok=True)
        with contextlib.suppress(duckdb.Error):
            con.execute(f"use {state}")
        raise
    return db


def _build_catalog(con: duckdb.DuckDBPyConnection, db: Path, building: Path, state: str) -> None:
    con.execute(f"attach {_literal(building)} as published")
    try:
        for table in COPIED:
            con.execute(f"create table published.{table} as select * from {table}")
        con.execute("use published")
        for table in PARTITIONED:
            folder = parts_dir(db) / table
            con.execute(
                f"create view {table} as select * exclude (filename) "
                f"from read_parquet({_literal(folder / '*.parquet')}, filename = true) "
                f"where filename in ({retention.live_files_sql(db)})"
            )
        con.execute(sql("analyst_views"))
    finally:
        con.execute(f"use {state}")
        with contextlib.suppress(duckdb.Error):  # a failed checkpoint has already detached it
            con.execute("detach published")


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"
