"""The tasks the migration flows are made of: few and meaningful, handing each other paths.

Prefect would hash and pickle DataFrames passed between tasks, so each task writes what it
produces into the run's work folder and passes the folder on.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
import shutil
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from pathlib import Path

from prefect import task, unmapped
from prefect.artifacts import (
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture, as_completed, wait
from prefect.runtime import flow_run

from enrollment_migrate import (
    apply, artifacts, engine, file_parts, report_page, reports, runs, warehouse,
)
from enrollment_migrate import errors, progress, work_claims
from enrollment_migrate.faults import fault_point
from enrollment_migrate.publish import CATALOG_AGAIN, publish_or_warn
from enrollment_migrate.engine import drivers
from enrollment_migrate.options import RunOptions
from enrollment_migrate.workdir import WorkDir

if TYPE_CHECKING:
    from prefect_dask import DaskTaskRunner

step = task(cache_policy=NO_CACHE, persist_result=False)


def _cut(plan: runs.RunPlan) -> file_parts.FileCut:
    part_mb = plan.options.part_mb
    return file_parts.cut(plan.file, None if part_mb is None else int(part_mb * (1 << 20)))


@step(name="load")
def load(plan: runs.RunPlan, db: Path) -> Path:
    """The file, part by part, through the per-row rules (engine.drivers, step 1)."""
    with progress.current().step("read", **_read_step(plan)) as done:
        with warehouse.connect(db) as con:
            drivers.save_portal(con, plan.work_dir, with_store=False)
        drivers.check_parts(_cut(plan), plan.work_dir, plan.options, done)
    return plan.work_dir.root


@step(name="check")
def check(plan: runs.RunPlan, loaded: Path, db: Path) -> Path:
    """The rules across rows, learner bucket by learner bucket, then the course rules and the
    verdict (engine.drivers, steps 2 and 3). `loaded`: the work folder the load filled."""
    with progress.current().step("check", CHECK_LABEL) as done, warehouse.connect(db) as con:
        # The buckets, then the conclusion as one more.
        drivers.check_buckets(WorkDir(loaded), con, plan.options, lambda n, of: done(n, of + 1))
        return _concluded(plan, con)


@step(name="check")
def check_whole(plan: runs.RunPlan, db: Path) -> Path:
    """A file that fits the memory budget, read and checked whole, in memory (engine.drivers:
    check_whole): one task, no work files but the result's."""
    tracker = progress.current()
    with warehouse.connect(db) as con:
        read = _read_step(plan)
        with tracker.step("read", **read) as done:
            loaded = drivers.load_whole(plan.file, con, plan.options)
            done(read["total"], read["total"])
        with tracker.step("check", CHECK_LABEL):
            return _concluded(plan, con, drivers.conclude_whole(con, loaded, plan.options))


def _concluded(plan: runs.RunPlan, con, result: engine.CheckResult | None = None) -> Path:
    """The verdict (`result`, or from the parts' and buckets' files), saved for the next task."""
    result = result or drivers.conclude(con, plan.work_dir, plan.options)
    if plan.command == "run":
        refused = apply.already_applied(con, plan.sha256, plan.options.allow_reapply)
        if refused.height:
            result = engine.reject_file(result, refused)
    engine.save_result(result, plan.work_dir.result)
    return plan.work_dir.result


# On a Dask cluster each part and each learner bucket is a task of its own, reading and writing
# Parquet in the run's work folder (which the workers must see); the store stays with the flow.

@step(name="load part")
def load_part(plan: runs.RunPlan, cut_file: file_parts.FileCut, part: file_parts.FilePart) -> Path:
    return drivers.check_part(cut_file, part, plan.work_dir, plan.options)


@step(name="check learners")
def check_learners(plan: runs.RunPlan, bucket: int, offsets: list[int]) -> Path:
    with contextlib.closing(drivers.store_copy(plan.work_dir)) as con:
        return drivers.check_bucket(bucket, plan.work_dir, offsets, con, plan.options)


@step(name="conclude")
def conclude(plan: runs.RunPlan, db: Path) -> Path:
    with warehouse.connect(db) as con:
        return _concluded(plan, con)


def check_on_dask(run: runs.RunPlan, db: Path, address: str) -> Path:
    """The check with its per-part and per-bucket work on a Dask cluster: `address` is a
    scheduler's (tcp://host:8786), or "local" for a cluster of threads in this process. The
    workers report no progress: the flow does, as their parts and buckets come back."""
    tracker = progress.current()
    tracker.start("read", **_read_step(run))
    cut_file = _cut(run)
    with warehouse.connect(db) as con:
        drivers.save_portal(con, run.work_dir, with_store=True)
    with dask_runner(address) as runner:
        loads = runner.map(load_part, {"plan": unmapped(run), "cut_file": unmapped(cut_file), "part": list(cut_file.parts)})
        _as_they_finish(loads, [cut_file.bytes_of(part) for part in cut_file.parts], tracker.reporter("read"))
        loads.result()
        tracker.finish("read")
        tracker.start("check", CHECK_LABEL)
        parts = drivers.checked_parts(run.work_dir)
        if parts[0].readable:
            offsets = drivers.row_offsets(parts)
            buckets = runner.map(check_learners, {
                "plan": unmapped(run), "bucket": list(range(len(parts))), "offsets": unmapped(offsets),
            })
            # The conclusion counts as one bucket more.
            _as_they_finish(buckets, [1] * len(parts), lambda n, of: tracker.advance("check", n, of + 1))
            buckets.result()
    checked = conclude(run, db)
    tracker.finish("check")
    return checked


def _as_they_finish(futures, amounts: list[int], done: progress.Reporter) -> None:
    """Tell `done` the sum of the futures' amounts as each future ends (failed ones too: the
    caller's result() then raises the first failure, as it did before)."""
    amount_of = {id(future): amount for future, amount in zip(futures, amounts)}
    so_far, whole = 0, sum(amounts)
    for future in as_completed(list(futures)):
        so_far += amount_of[id(future)]
        done(so_far, whole)


# --- progress (enrollment_migrate.progress) --------------------------------------------------------

# Each step's share of a run's time, about as a file of a million rows takes it (a validate:
# 4-6 s to read, 2-3.5 to check, 1.3 to split, 3-4 for the report; a run as much, and 3 s to
# apply while the split runs beside it). The read moves by bytes, the check by learner buckets,
# the others as they end.
STEPS = {
    "validate": {"hash": 2, "read": 40, "check": 22, "split": 10, "report": 26},
    "run": {"hash": 2, "read": 33, "check": 16, "split": 8, "apply": 18, "report": 23},
}
CHECK_LABEL = "Checking learners and courses"


def _read_step(plan: runs.RunPlan) -> dict[str, Any]:
    file = Path(plan.file)
    return {"label": f"Reading {file.name}", "total": file.stat().st_size, "unit": "bytes"}


def dask_runner(address: str) -> DaskTaskRunner:
    from prefect_dask import DaskTaskRunner  # Dask only for the runs that ask for it (0.3 s to import)

    # The cluster's own INFO lines (workers starting, connections) would bury the run's.
    logging.getLogger("distributed").setLevel(logging.WARNING)
    if address == "local":
        return DaskTaskRunner(cluster_kwargs={"processes": False, "n_workers": 2, "threads_per_worker": 1})
    return DaskTaskRunner(address=address)


def _shows(name: str, label: str):
    """A task that is one step of the run's progress, whole: started as it starts, finished as
    it returns."""

    def wrap(function):
        @functools.wraps(function)
        def run(*args, **kwargs):
            with progress.current().step(name, label):
                return function(*args, **kwargs)

        return run

    return wrap


@step(name="split")
@_shows("split", "Splitting live and archived")
def split(plan: runs.RunPlan, migrated: list[Path]) -> dict[str, Path]:
    """live.parquet and archived.parquet from the checked rows' files (their paths only)."""
    return reports.write_rows(migrated, plan.report_dir)


@step(name="apply")
@_shows("apply", "Applying in one transaction")
def apply_checked(plan: runs.RunPlan, checked: Path, db: Path, rows: PrefectFuture | None = None) -> str:
    """Apply an acceptable run in one transaction, or record its rejection; returns the state.

    Everything the run's record needs is written before the commit: the live and archived rows'
    files (`rows`, the split running beside the apply: waited for inside the transaction),
    findings.csv and summary.json. A failure before the commit (a full disk) then leaves the store
    exactly as it was; what follows the commit (the catalog, the page) can only warn (`report`)."""
    result = engine.open_saved_result(checked)
    with warehouse.connect(db) as con:
        if result.state != "valid":
            if rows is not None:
                rows.result()  # recorded only once its report's rows are written
            warehouse.record_run(con, runs.run_record(plan, result, "rejected"), result.findings)
            publish_or_warn(con, db)
            return "rejected"
        applied_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        record = runs.run_record(plan, result, "applied", applied_at)

        def before_commit() -> None:
            if rows is not None:
                rows.result()  # the split's failure fails the apply: nothing is committed
            _write_report_files(plan, result, runs.summary(plan, result, "applied"))

        try:
            apply.apply_run(
                con, record, result.findings, result.migrated,
                allow_reapply=plan.options.allow_reapply,
                checked_portal=result.portal_fingerprint,
                before_commit=before_commit,
            )
        except apply.ChangedSinceCheck as changed:
            rejected = engine.reject_file(result, changed.findings)
            engine.save_result(rejected, checked)
            warehouse.record_run(con, runs.run_record(plan, rejected, "rejected"), rejected.findings)
            publish_or_warn(con, db)
            return "rejected"
    return "applied"


def _write_report_files(plan: runs.RunPlan, result: engine.CheckResult, summary: dict[str, object]) -> None:
    reports.write_findings_csv(result.findings, plan.report_dir / "findings.csv")
    reports.write_summary(summary, plan.report_dir / "summary.json")


@step(name="report")
@_shows("report", "Writing the report")
def report(plan: runs.RunPlan, checked: Path, db: Path, state: str | None = None) -> dict[str, object]:
    """The report folder with its report page, and the run's artifacts in the Prefect UI; and for
    a validation, which changes nothing else, its run log entry.

    After an apply (`state` "applied") the change is committed and its report files are written:
    what follows can fail (a full disk) without undoing it, so each step only warns, and the
    summary lists what could not be written (`not_written`) and how to write it again."""
    result = engine.open_saved_result(checked, with_rows=False)
    summary = runs.summary(plan, result, state or result.state)
    if state != "applied":
        _write_report_files(plan, result, summary)
        with warehouse.connect(db) as con:
            if state is None:
                warehouse.record_run(con, runs.run_record(plan, result, result.state), result.findings)
                publish_or_warn(con, db)
            # After the run log entry: the page shows the run as the warehouse records it.
            page = report_page.write_page_or_warn(plan.report_dir, con)
        _create_artifacts(plan, summary, result.findings, page)
        return summary
    after = AfterCommit(plan.run_id)
    page, page_again = None, f"`enrollment-migrate report {plan.run_id}` builds it"
    try:
        with warehouse.connect(db) as con:
            if (why := publish_or_warn(con, db, warn=False)) is not None:
                after.failed("the analysts' catalog", why, CATALOG_AGAIN)
            with after.step("the report page", page_again):
                page = report_page.write_page(plan.report_dir, con)
    except Exception as exc:  # noqa: BLE001 - the store could not be opened again: neither was made
        after.failed("the analysts' catalog", errors.reason(exc), CATALOG_AGAIN)
        after.failed("the report page", errors.reason(exc), page_again)
    with after.step("the Prefect artifacts", "they are shown for the next run"):
        _create_artifacts(plan, summary, result.findings, page)
    if after.not_written:
        summary["not_written"] = after.not_written
        with after.step("the list of what was not written, in summary.json", "it is the list above"):
            reports.write_summary(summary, plan.report_dir / "summary.json")
    return summary


class AfterCommit:
    """The steps that follow a committed apply: each one's failure is a warning and a line of
    `not_written` (what, why, how to write it again), never a failure of the run."""

    def __init__(self, run_id: str):
        self.run_id = run_id
        self.not_written: list[dict[str, str]] = []

    @contextlib.contextmanager
    def step(self, what: str, again: str) -> Iterator[None]:
        try:
            yield
        except Exception as exc:  # noqa: BLE001 - the run is applied whatever fails here
            self.failed(what, errors.reason(exc), again)

    def failed(self, what: str, why: str, again: str) -> None:
        self.not_written.append({"what": what, "why": why, "again": again})
        # INFO: the command says it in its summary; a served run's log in the UI shows it here.
        logging.getLogger(__name__).info(
            "Run %s is applied, but %s could not be written (%s); %s.", self.run_id, what, why, again
        )


def _create_artifacts(plan: runs.RunPlan, summary: dict[str, object], findings, page: Path | None) -> None:
    mask = not artifacts.show_login_ids()
    create_markdown_artifact(
        artifacts.summary_markdown(summary, plan.command, page), key=artifacts.SUMMARY_KEY,
        description="Verdict, counts, live/archived split, awards and where the reports are.",
    )
    create_table_artifact(
        artifacts.findings_by_rule(findings) or [{"rule": "(none)", "severity": "", "findings": 0}],
        key=artifacts.FINDINGS_BY_RULE_KEY, description="Findings counted by rule and severity.",
    )
    create_table_artifact(
        artifacts.findings_sample(findings, mask=mask) or [{"row": None, "rule": "(no findings)"}],
        key=artifacts.FINDINGS_SAMPLE_KEY,
        description=f"The first {artifacts.SAMPLE_SIZE} findings"
        + (" (Login IDs masked)" if mask else "") + "; all of them are in findings.csv.",
    )
    create_table_artifact(
        artifacts.readiness_table(summary["readiness"]) or [{"step": "(not checked)"}],
        key=artifacts.READINESS_KEY,
        description="Ready to migrate? Each preparation step of the migration guide, checked against "
        "the portal and the file: ok, attention, blocking, or unknown (a question for the platform's support).",
    )
    create_table_artifact(
        summary["by_year"] or [{"year": None, "completed": 0, "open": 0}],
        key=artifacts.BY_YEAR_KEY,
        description="Completed records by year of completion, open records by year of enrollment.",
    )


class ArtifactProgress(progress.Sink):
    """The run's progress artifact in the Prefect UI, moving by the run's fraction done: at the
    end of each step, and in between at most once every INTERVAL seconds (each update is a
    round trip to the API; a small file's run makes no more of them than it did)."""

    INTERVAL = 1.0
    QUIET_ENDS = frozenset({"hash"})  # the fingerprint is the start of the file's read

    def __init__(self) -> None:
        self.artifact = create_progress_artifact(0.0, key=artifacts.PROGRESS_KEY, description="Share of the run done")
        self.sent, self.sent_at = 0.0, time.monotonic()

    def moved(self, fraction: float, ended: progress.Step | None) -> None:
        percent = round(100.0 * fraction, 1)
        now = time.monotonic()
        at_end = ended is not None and ended.name not in self.QUIET_ENDS
        if percent > self.sent and (at_end or now - self.sent_at >= self.INTERVAL):
            update_progress_artifact(self.artifact, percent)
            self.sent, self.sent_at = percent, now


@contextlib.contextmanager
def tracked(command: str) -> Iterator[progress.Tracker]:
    """The flow run's progress: its steps (STEPS), shown by the Prefect artifact and by what
    the command line observes in its own process (the terminal)."""
    tracker = progress.Tracker(STEPS[command], [ArtifactProgress(), *progress.observers()])
    with progress.tracking(tracker):
        yield tracker


@contextlib.contextmanager
def checked_file(run: runs.RunPlan, db: Path) -> Iterator[tuple[Path, PrefectFuture]]:
    """The steps validate and run share: the file loaded and checked (the checked result's
    folder is yielded), then the live/archived files written while the flow goes on (they read
    only the check's files, and the apply and report never theirs; the split's future is
    yielded beside the folder, for the steps that must see it done); the work folder goes when
    both are done."""
    address = run.options.dask_address
    fault_point("work", run.work_dir.root)
    report_page.warm_up_charts()  # ready when the report step draws the page
    if address:
        checked = check_on_dask(run, db, address)
    elif drivers.fits_whole(run.file, run.options):
        checked = check_whole(run, db)
    else:
        loaded = load(run, db)
        checked = check(run, loaded, db)
    # The paths, not the result's folder: a rejected apply rewrites the result there meanwhile.
    rows = split.submit(run, engine.saved_rows(checked))
    try:
        yield checked, rows
    finally:
        wait([rows])
    rows.result()  # a failed split fails the flow
    run.work_dir.remove()


@contextlib.contextmanager
def run_in_progress(run: runs.RunPlan, db: Path) -> Iterator[dict[str, bool]]:
    """The run's folders claimed in the warehouse while it runs, so that a kill leaves nothing the
    next command does not remove (enrollment_migrate.work_claims). A run that fails before its
    commit leaves nothing behind: its report folder, work files included, goes, and a full disk
    is said as such ("no space left on PATH: nothing was applied"). The flow marks `applied`
    once the commit is made: from then on the run stands, and nothing is removed."""
    held = {"applied": False}
    work_claims.claim(db, run.run_id, run.report_dir)
    try:
        yield held
    except BaseException as exc:
        if held["applied"]:
            raise
        shutil.rmtree(run.report_dir, ignore_errors=True)
        if errors.is_disk_full(exc):
            done = "applied" if run.command == "run" else "recorded"
            raise errors.NoSpace(f"{errors.no_space_line(exc, run.report_dir)}: nothing was {done}.") from exc
        raise
    finally:
        work_claims.release(db, run.run_id)


def run_name(command: str):
    """Flow runs are named after the file and the import date."""

    def name() -> str:
        parameters = flow_run.parameters
        options = parameters.get("options")  # as given: the object, or its fields from the API
        if isinstance(options, dict):
            options = RunOptions.from_recorded(options)
        when = (options.import_date if options else None) or dt.datetime.now(dt.UTC).date()
        return f"{command} {Path(parameters['file']).name} @ {when}"

    return name


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
        engine.Portal.require_loaded(con)


def plan(command: str, file: str, reports_dir: str | None, options: RunOptions) -> runs.RunPlan:
    """The run's id, folders and the file's fingerprint (the file's first read, in the progress)."""
    fingerprint = {"label": f"Fingerprinting {Path(file).name}", "total": Path(file).stat().st_size, "unit": "bytes"}
    with progress.current().step("hash", **fingerprint) as hashed:
        planned = runs.plan_run(command, file, warehouse.reports_path(reports_dir), options, hashed=hashed)
    reports.run_dir(planned.report_dir.parent, planned.run_id)
    return planned
