"""The `rollback` and `expire` flows: undo an applied run within 7 days; close older windows and
delete the retired partition files that are due."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict

from prefect import flow

from enrollment_migrate import apply, report_page, retention, warehouse
from enrollment_migrate.publish import publish_or_warn


def _utc(now: dt.datetime | None) -> dt.datetime:
    now = now or dt.datetime.now(dt.UTC)
    return now.astimezone(dt.UTC).replace(tzinfo=None) if now.tzinfo else now


@flow(name="rollback", flow_run_name="rollback {run_id}", log_prints=False)
def rollback_flow(run_id: str, now: dt.datetime | None = None, db: str | None = None) -> dict[str, object]:
    """Remove exactly what the run added; refused (nothing changed) outside its window."""
    db_file = warehouse.db_path(db)
    with warehouse.connect(db_file) as con:
        try:
            done = apply.rollback_run(con, run_id, _utc(now))
        except apply.RollbackRefused as refused:
            return {"run_id": run_id, "state": "refused", "reason": refused.reason, "message": str(refused)}
        publish_or_warn(con, db_file)
        # Its page said it could be rolled back: now it says it was.
        report_page.rebuild_recorded_page(con, run_id)
    return {
        "run_id": run_id,
        "state": "rolled_back",
        "removed": asdict(done.removed),
        "fingerprint_restored": done.fingerprint_restored,
    }


@flow(name="expire", log_prints=False)
def expire_flow(now: dt.datetime | None = None, db: str | None = None) -> dict[str, object]:
    """Expire the snapshots of runs applied more than 7 days ago, and delete the retired partition
    files older than the retention while no analyst's session is open (deployed daily)."""
    db_file = warehouse.db_path(db)
    with warehouse.connect(db_file) as con:
        deleted = retention.sweep(db_file.resolve(), _utc(now))
        expired = apply.expire_runs(con, _utc(now))
        # Always: a catalog left behind by a full disk after an earlier change catches up here.
        publish_or_warn(con, db_file)
    return {"expired": expired, "deleted_files": len(deleted)}
