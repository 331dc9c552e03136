"""The `validate` flow: load, check, split and report a migration file; changes only the run log."""

from __future__ import annotations

import datetime as dt

from prefect import flow

from enrollment_migrate import warehouse
from flows.tasks import Progress, checked_file, plan, preflight, report, run_name


@flow(name="validate", flow_run_name=run_name("validate"), log_prints=False)
def validate_flow(
    file: str,
    import_date: dt.date | None = None,
    skip_invalid_rows: bool = False,
    skip_existing: bool = False,
    db: str | None = None,
    reports_dir: str | None = None,
    part_mb: float | None = None,
    dask_address: str | None = None,
) -> dict[str, object]:
    """Dry run: every finding, the live/archive split and the awards; changes only the run log."""
    db_file = warehouse.db_path(db)
    preflight(file, db_file)
    run = plan("validate", file, reports_dir, import_date,
               {"skip_invalid_rows": skip_invalid_rows, "skip_existing": skip_existing,
                "part_mb": part_mb, "dask_address": dask_address})
    progress = Progress(steps=4)
    with checked_file(run, db_file, progress) as checked:
        summary = report(run, checked, db_file)
        progress.step_done()
    return summary
