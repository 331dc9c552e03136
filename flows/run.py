"""The `run` flow: validate a migration file, then apply it if acceptable, in one transaction."""

from __future__ import annotations

import datetime as dt

from prefect import flow

from enrollment_migrate import warehouse
from flows.tasks import Progress, apply_checked, checked_file, plan, preflight, report, run_name


@flow(name="migrate", flow_run_name=run_name("run"), log_prints=False)
def run_flow(
    file: str,
    import_date: dt.date | None = None,
    skip_invalid_rows: bool = False,
    skip_existing: bool = False,
    allow_reapply: bool = False,
    db: str | None = None,
    reports_dir: str | None = None,
    part_mb: float | None = None,
    dask_address: str | None = None,
) -> dict[str, object]:
    """Validate, then apply an acceptable file: every row, award and license use, or none."""
    db_file = warehouse.db_path(db)
    preflight(file, db_file)
    run = plan("run", file, reports_dir, import_date, {
        "skip_invalid_rows": skip_invalid_rows, "skip_existing": skip_existing,
        "allow_reapply": allow_reapply, "part_mb": part_mb, "dask_address": dask_address,
    })
    progress = Progress(steps=5)
    with checked_file(run, db_file, progress) as checked:
        state = apply_checked(run, checked, db_file)
        progress.step_done()
        summary = report(run, checked, db_file, state)
        progress.step_done()
    return summary
