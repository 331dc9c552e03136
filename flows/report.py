"""The `report` flow: build a run's report page again, from its report folder and the warehouse."""

from __future__ import annotations

from prefect import flow

from enrollment_migrate import report_page, warehouse


@flow(name="report", flow_run_name="report {run_id}", log_prints=False)
def report_page_flow(run_id: str, db: str | None = None, reports_dir: str | None = None) -> str:
    """The run's report.html as the run is now (rolled back, its window closed); returns its path."""
    folder = report_page.report_dir_of(warehouse.reports_path(reports_dir), run_id)
    with warehouse.connect(warehouse.db_path(db)) as con:
        return str(report_page.write_page(folder, con))
