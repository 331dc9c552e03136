"""The `run` flow: validate a migration file, then apply it if acceptable, in one transaction."""

from __future__ import annotations

from prefect import flow

from enrollment_migrate import warehouse
from enrollment_migrate.options import RunOptions
from prefect.utilities.annotations import quote

from flows.tasks import (
    apply_checked, checked_file, run_in_progress, plan, preflight, report, run_name, tracked,
)


@flow(name="migrate", flow_run_name=run_name("run"), log_prints=False)
def run_flow(
    file: str,
    options: RunOptions = RunOptions(),
    db: str | None = None,
    reports_dir: str | None = None,
) -> dict[str, object]:
    """Validate, then apply an acceptable file: every row, award and license use, or none."""
    db_file = warehouse.db_path(db)
    preflight(file, db_file)
    with tracked("run"):
        run = plan("run", file, reports_dir, options)
        with run_in_progress(run, db_file) as held, checked_file(run, db_file) as (checked, rows):
            # quote: the apply waits for the split inside its transaction, not before it starts.
            state = apply_checked(run, checked, db_file, rows=quote(rows))
            held["applied"] = state == "applied"
            summary = report(run, checked, db_file, state)
    return summary
