"""The `validate` flow: load, check, split and report a migration file; changes only the run log."""

from __future__ import annotations

from prefect import flow

from enrollment_migrate import warehouse
from enrollment_migrate.options import RunOptions
from prefect.futures import wait

from flows.tasks import checked_file, run_in_progress, plan, preflight, report, run_name, tracked


@flow(name="validate", flow_run_name=run_name("validate"), log_prints=False)
def validate_flow(
    file: str,
    options: RunOptions = RunOptions(),
    db: str | None = None,
    reports_dir: str | None = None,
) -> dict[str, object]:
    """Dry run: every finding, the live/archive split and the awards; changes only the run log."""
    db_file = warehouse.db_path(db)
    preflight(file, db_file)
    with tracked("validate"):
        run = plan("validate", file, reports_dir, options)
        with run_in_progress(run, db_file), checked_file(run, db_file) as (checked, rows):
            wait([rows])  # the page counts the live and archived rows' files
            rows.result()
            summary = report(run, checked, db_file)
    return summary
