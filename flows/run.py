"""The `run` flow: validate a migration file, then apply it if acceptable, in one transaction."""

from __future__ import annotations

from prefect import flow

from enrollment_migrate import warehouse
from enrollment_migrate.options import RunOptions
from flows.tasks import Progress, apply_checked, checked_file, plan, preflight, report, run_name


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
    run = plan("run", file, reports_dir, options)
    progress = Progress(steps=5)
    with checked_file(run, db_file, progress) as checked:
        state = apply_checked(run, checked, db_file)
        progress.step_done()
        summary = report(run, checked, db_file, state)
        progress.step_done()
    return summary
