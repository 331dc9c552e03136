"""The `validate` flow: load, check, split and report a migration file; changes only the run log.

Tasks hand each other paths (the run's work folder), never DataFrames: Prefect would hash and
pickle them for its cache.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from enrollment_migrate import engine, reports, runs, warehouse
from enrollment_migrate.template_file import load_template, open_saved_template, save_template

step = task(cache_policy=NO_CACHE, persist_result=False)


@step(name="load")
def load(plan: runs.RunPlan) -> Path:
    save_template(load_template(plan.file), plan.work_dir / "loaded")
    return plan.work_dir / "loaded"


@step(name="check")
def check(plan: runs.RunPlan, loaded: Path, db: Path) -> Path:
    options = engine.Options(
        plan.import_date,
        skip_invalid_rows=bool(plan.options.get("skip_invalid_rows")),
        skip_existing=bool(plan.options.get("skip_existing")),
    )
    with warehouse.connect(db) as con:
        result = engine.check_file(open_saved_template(loaded), con, options)
    engine.save_result(result, plan.work_dir / "checked")
    return plan.work_dir / "checked"


@step(name="split")
def split(plan: runs.RunPlan, checked: Path) -> dict[str, Path]:
    return reports.write_rows(engine.open_saved_result(checked).migrated, plan.report_dir)


@step(name="report")
def report(plan: runs.RunPlan, checked: Path, db: Path, state: str | None = None) -> dict[str, object]:
    result = engine.open_saved_result(checked, with_rows=False)
    state = state or result.state
    sha256 = runs.file_sha256(plan.file)
    summary = runs.summary(plan, sha256, result, state)
    reports.write_findings_csv(result.findings, plan.report_dir / "findings.csv")
    reports.write_summary(summary, plan.report_dir / "summary.json")
    with warehouse.connect(db) as con:
        warehouse.record_run(con, runs.run_record(plan, sha256, result, state), result.findings)
    return summary


def preflight(file: str, db: Path) -> None:
    """Refuse, before any task runs, what cannot run at all (exit status 2)."""
    path = Path(file)
    if not path.is_file():
        raise runs.CannotRun(f"{file}: no such file")
    try:
        path.open("rb").close()
    except OSError as exc:
        raise runs.CannotRun(f"{file}: {exc.strerror}") from exc
    with warehouse.connect(db) as con:
        users, courses = con.execute("select (select count(*) from users), (select count(*) from courses)").fetchone()
    if not users or not courses:
        raise runs.CannotRun(
            f"The portal in {db} has no users or no courses: load them first with "
            "'enrollment-migrate portal load --users FILE --courses FILE'."
        )


@flow(name="validate", flow_run_name="validate {file} @ {import_date}", log_prints=False)
def validate_flow(
    file: str,
    import_date: dt.date | None = None,
    skip_invalid_rows: bool = False,
    skip_existing: bool = False,
    db: str | None = None,
    reports_dir: str | None = None,
) -> dict[str, object]:
    """Dry run: every finding, the live/archive split and the awards; changes only the run log."""
    db_file = warehouse.db_path(db)
    preflight(file, db_file)
    plan = runs.plan_run(
        "validate",
        file,
        warehouse.reports_path(reports_dir),
        import_date,
        {"skip_invalid_rows": skip_invalid_rows, "skip_existing": skip_existing},
    )
    reports.run_dir(plan.report_dir.parent, plan.run_id)
    loaded = load(plan)
    checked = check(plan, loaded, db_file)
    split(plan, checked)
    summary = report(plan, checked, db_file)
    shutil.rmtree(plan.work_dir, ignore_errors=True)
    return summary
