"""The `inbox` flow (scheduled): files dropped in data/inbox/ are validated, applied when
`auto_apply` is on and they pass, and moved to data/processed/ or data/rejected/ with their
report beside them.

A file is claimed by moving it out of the inbox before any work, so that no later tick (nor a
second worker) picks it up again; and `run` refuses a file whose content was already applied
(`file_already_migrated`), so that a file dropped twice is never applied twice.
"""

from __future__ import annotations

import datetime as dt
import shutil
import time
from pathlib import Path

from prefect import flow, get_run_logger

from enrollment_migrate.engine import PortalNotLoaded
from enrollment_migrate.errors import CannotRun
from enrollment_migrate.options import RunOptions
from flows.run import run_flow
from flows.validate import validate_flow

ACCEPTED = {"valid", "applied"}


@flow(name="inbox", log_prints=False)
def inbox_flow(
    inbox: str = "data/inbox",
    processed: str = "data/processed",
    rejected: str = "data/rejected",
    auto_apply: bool = False,
    import_date: dt.date | None = None,
    settle_seconds: float = 5.0,
    db: str | None = None,
    reports_dir: str | None = None,
) -> list[dict[str, object]]:
    """Process every CSV file in the inbox that has not changed for `settle_seconds`."""
    logger = get_run_logger()
    inbox_dir = Path(inbox)
    claimed_dir = inbox_dir / ".claimed"
    claimed_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    outcomes = []
    for dropped in sorted(inbox_dir.glob("*.csv")):
        if time.time() - dropped.stat().st_mtime < settle_seconds:
            continue  # still being written, perhaps: the next tick takes it
        claimed = claimed_dir / dropped.name
        dropped.rename(claimed)
        outcome = _process(claimed, auto_apply, import_date, db, reports_dir)
        destination = Path(processed if outcome["state"] in ACCEPTED else rejected)
        outcome["moved_to"] = str(_move_with_report(claimed, destination, outcome))
        logger.info("%s: %s -> %s", dropped.name, outcome["state"], destination)
        outcomes.append(outcome)
    return outcomes


def _process(path: Path, auto_apply: bool, import_date, db, reports_dir) -> dict[str, object]:
    common = {"file": str(path), "options": RunOptions(import_date), "db": db, "reports_dir": reports_dir}
    try:
        summary = validate_flow(**common)
        if auto_apply and summary["state"] == "valid":
            summary = run_flow(**common)
    except (CannotRun, PortalNotLoaded) as cannot:
        return {"file": path.name, "state": "error", "error": str(cannot), "report_dir": None}
    return {"file": path.name, "state": summary["state"], "run_id": summary["run_id"],
            "report_dir": summary["report_dir"]}


def _move_with_report(claimed: Path, destination: Path, outcome: dict[str, object]) -> Path:
    """destination/<name>, never over an earlier file of the same name, and its report beside
    it as destination/<name>.report/."""
    destination.mkdir(parents=True, exist_ok=True, mode=0o700)
    target = destination / claimed.name
    if target.exists():
        target = destination / f"{claimed.stem}.{outcome.get('run_id') or int(time.time())}{claimed.suffix}"
    shutil.move(claimed, target)
    report = Path(str(outcome["report_dir"])) if outcome.get("report_dir") else None
    beside = target.with_name(target.name + ".report")
    if report and report.is_dir():
        shutil.copytree(report, beside, dirs_exist_ok=True)
    elif outcome.get("error"):
        beside.mkdir(exist_ok=True)
        (beside / "error.txt").write_text(str(outcome["error"]) + "\n", encoding="utf-8")
    return target
