"""Read-only flows: the run log, the store's files, and one learner's training history export."""

from __future__ import annotations

from prefect import flow

from enrollment_migrate import history, retention, warehouse
from enrollment_migrate.reports import neutralise_formulas


@flow(name="runs", log_prints=False)
def run_log_flow(db: str | None = None) -> list[dict[str, object]]:
    """The run log, newest first."""
    with warehouse.connect(warehouse.db_path(db)) as con:
        return history.run_log(con)


@flow(name="store-status", log_prints=False)
def store_status_flow(db: str | None = None) -> dict[str, object]:
    """The live partitions, the retired files waiting for deletion, the open analysts' sessions.
    Reads files only: it waits for no other command."""
    return retention.status(warehouse.db_path(db)).as_dict()


@flow(name="history", flow_run_name="history export", log_prints=False)
def learner_history_flow(login_id: str, db: str | None = None) -> str | None:
    """One learner's training history, live and archived, as CSV that no spreadsheet runs as a
    formula; None unless exactly one portal user answers to login_id."""
    with warehouse.connect(warehouse.db_path(db)) as con:
        rows = history.learner_history(con, login_id)
    return None if rows is None else neutralise_formulas(rows).write_csv()
