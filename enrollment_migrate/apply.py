"""Applying a checked run to the store, and rolling it back within its 7-day window.

Each is one DuckDB transaction: a crash or a kill at any moment leaves the store as it was.
The rows a run adds carry its run_id, so that rolling it back removes exactly them; its snapshot
records what it added and the store's fingerprint before it, so that the undo can be proven.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import asdict, dataclass

import duckdb
import polars as pl

from enrollment_migrate import engine
from enrollment_migrate.faults import fault_point
from enrollment_migrate.errors import PortalChanged
from enrollment_migrate.sql_files import sql
from enrollment_migrate.warehouse import (  # noqa: F401 - ROLLBACK_WINDOW, RUN_ID_SHAPE: where callers look
    ROLLBACK_WINDOW,
    RUN_ID_SHAPE,
    RunRecord,
    execute_script,
    insert_run,
    registered,
    transaction,
)
from schemas import rules
from schemas.findings import finding, findings_frame


@dataclass
class Added:
    enrollments: int = 0
    archived: int = 0
    certificates: int = 0
    credits: int = 0
    badges: int = 0


class RollbackRefused(Exception):
    """rollback_window_expired, already_rolled_back or not_applied; nothing was changed."""

    def __init__(self, run_id: str, reason: str, detail: str):
        self.run_id, self.reason = run_id, reason
        super().__init__(detail)


def fingerprint(con: duckdb.DuckDBPyConnection) -> str:
    return con.execute(sql("store_fingerprint")).fetchall()[0][0]


def runs_that_applied(con: duckdb.DuckDBPyConnection, sha256: str) -> list[str]:
    """Applied runs of this file (by content) that have not been rolled back."""
    return [r[0] for r in con.execute(sql("applied_runs_of_file"), {"sha256": sha256}).fetchall()]


class ChangedSinceCheck(Exception):
    """The store changed between the check and the apply (another run, a portal load) so that
    the file is no longer acceptable; `findings` say why. Nothing was written."""

    def __init__(self, findings: pl.DataFrame):
        self.findings = findings
        super().__init__("; ".join(findings["message"].to_list()))


def apply_run(
    con: duckdb.DuckDBPyConnection,
    run: RunRecord,
    findings: pl.DataFrame,
    migrated: engine.Migrated,
    allow_reapply: bool = False,
    checked_portal: str | None = None,
    before_commit: Callable[[], None] | None = None,
) -> Added:
    """Record the run as applied and write its rows and awards: all of it, or none.

    `checked_portal` is the portal fingerprint the rows were checked against: if users or
    courses changed since, the run is refused (ChangedSinceCheck) rather than applied unchecked.
    `before_commit` runs last inside the transaction: what must be in place for the run to stand
    (its report files); its failure commits nothing.
    """
    with transaction(con):
        _refuse_if_changed_since_check(con, run, migrated, allow_reapply, checked_portal)
        before = fingerprint(con)
        insert_run(con, run, findings)
        with registered(con, migrated_rows=migrated):
            execute_script(con, "apply_run", {"run_id": run.run_id})
        fault_point("apply")
        added = additions(con, run.run_id)
        con.execute(
            sql("insert_snapshot"),
            {"run_id": run.run_id, "fingerprint_before": before, "fingerprint_after": fingerprint(con),
             "taken_at": run.applied_at, **asdict(added)},
        )
        if before_commit is not None:
            before_commit()
        fault_point("commit")
    return added


def _refuse_if_changed_since_check(
    con: duckdb.DuckDBPyConnection,
    run: RunRecord,
    migrated: engine.Migrated,
    allow_reapply: bool,
    checked_portal: str | None,
) -> None:
    """Inside the apply's transaction, the checks another writer could have made stale."""
    if checked_portal is not None and engine.portal_fingerprint(con) != checked_portal:
        raise PortalChanged(
            "The portal's users or courses changed while the file was being checked; nothing "
            "was applied. Run it again to check it against the portal as it is now."
        )
    problems = already_applied(con, run.sha256, allow_reapply, since_check=True)
    capacity = engine.course_findings(con, migrated, run.import_date)
    shortfalls = capacity.filter(
        pl.col("rule").is_in([rules.LICENSE_SHORTFALL.code, rules.ILT_CAPACITY_SHORTFALL.code])
    )
    if problems.height or shortfalls.height:
        raise ChangedSinceCheck(pl.concat([problems, shortfalls]))


def already_applied(
    con: duckdb.DuckDBPyConnection, sha256: str | None, allow_reapply: bool, *, since_check: bool = False
) -> pl.DataFrame:
    """file_already_migrated, the one check of the rule: the file (by SHA-256) was applied by a
    run not rolled back, and --allow-reapply was not given. Asked when the check concludes, and
    again inside the apply's transaction (`since_check`: another writer applied it meanwhile)."""
    earlier = [] if allow_reapply or not sha256 else runs_that_applied(con, sha256)
    if not earlier:
        return findings_frame()
    message = (
        f"Run {earlier[-1]} applied this file while it was being checked; --allow-reapply applies it again."
        if since_check else
        f"This file (same SHA-256) was applied by run {earlier[-1]}, which has not been rolled back; "
        "--allow-reapply applies it again."
    )
    return findings_frame([finding(rules.FILE_ALREADY_MIGRATED, message)])


def additions(con: duckdb.DuckDBPyConnection, run_id: str) -> Added:
    (row,) = con.execute(sql("run_additions"), {"run_id": run_id}).fetchall()
    return Added(*row)


@dataclass
class RolledBack:
    run_id: str
    removed: Added
    # True when the store had not changed since the run was applied (no later run, no rollback of
    # an earlier one, no portal reload) and its fingerprint is again the one recorded before the
    # run: the undo is then proven exact. None when the store had changed, so that no such proof
    # exists; False when the undo is not exact.
    fingerprint_restored: bool | None


def rollback_run(con: duckdb.DuckDBPyConnection, run_id: str, now: dt.datetime) -> RolledBack:
    if not RUN_ID_SHAPE.match(run_id):
        raise RollbackRefused(run_id, "not_applied", f"{run_id!r} is not a run id.")
    with transaction(con):
        found = con.execute(
            "select state, applied_at from migration_runs where run_id = $run_id", {"run_id": run_id}
        ).fetchall()
        _refuse_unless_rollbackable(run_id, found[0] if found else None, now)
        removed = additions(con, run_id)
        at_start = fingerprint(con)
        execute_script(con, "remove_run", {"run_id": run_id})
        fault_point("rollback")
        con.execute(
            "update migration_runs set state = 'rolled_back', rolled_back_at = $now where run_id = $run_id",
            {"run_id": run_id, "now": now},
        )
        restored = _fingerprint_restored(con, run_id, at_start)
    return RolledBack(run_id, removed, restored)


def _refuse_unless_rollbackable(run_id: str, found: tuple | None, now: dt.datetime) -> None:
    if found is None:
        raise RollbackRefused(run_id, "not_applied", f"There is no run {run_id}.")
    state, applied_at = found
    if state == "rolled_back":
        raise RollbackRefused(run_id, "already_rolled_back", f"Run {run_id} was already rolled back.")
    if state == "expired" or (state == "applied" and now - applied_at > ROLLBACK_WINDOW):
        raise RollbackRefused(
            run_id,
            "rollback_window_expired",
            f"Run {run_id} was applied at {applied_at:%Y-%m-%d %H:%M} UTC: its 7-day rollback "
            "window has closed.",
        )
    if state != "applied":
        raise RollbackRefused(run_id, "not_applied", f"Run {run_id} was never applied ({state}).")


def _fingerprint_restored(con: duckdb.DuckDBPyConnection, run_id: str, at_start: str) -> bool | None:
    """Compare with the store before the run, if the store was as the run left it (at_start)."""
    found = con.execute(
        "select fingerprint_before, fingerprint_after from migration_snapshots where run_id = $run_id",
        {"run_id": run_id},
    ).fetchall()
    if not found or found[0][1] != at_start:
        # Later runs, the rollback of an earlier run or a portal reload changed the store since
        # this run: it cannot equal the store before this run, and no proof by fingerprint exists.
        return None
    return found[0][0] == fingerprint(con)


def expire_runs(con: duckdb.DuckDBPyConnection, now: dt.datetime) -> list[str]:
    """Close the rollback window of runs applied more than 7 days ago."""
    with transaction(con):
        expired = [r[0] for r in con.execute(sql("expirable_runs"), {"now": now}).fetchall()]
        if expired:
            con.execute(
                "update migration_runs set state = 'expired' where run_id in (select unnest($ids))",
                {"ids": expired},
            )
            con.execute(
                "update migration_snapshots set expired_at = $now where run_id in (select unnest($ids))",
                {"ids": expired, "now": now},
            )
        fault_point("expire")
    return expired
