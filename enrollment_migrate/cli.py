"""The `enrollment-migrate` command line (INTERFACES.md). Every command that does work runs as a
Prefect flow; the read-only ones (`runs`, `report`, `history`, `store status`, `server status`)
answer straight from the store, opened read-only, and import nothing of Prefect.

Exit status: 0 valid / applied, 1 invalid or rejected, 2 could not run, 3 refused.
With --json exactly one JSON object goes to standard output; everything else goes to stderr.
Every error a person can act on is one line on stderr (enrollment_migrate.errors), never a
traceback; every path is held to its role before anything is opened (enrollment_migrate.paths).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import os
import sys
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.columns import Columns
from rich.console import Console
from rich.markup import escape
from rich.table import Column, Table
from rich.text import Text

from enrollment_migrate import errors, settings
from enrollment_migrate.errors import EXIT_INVALID, EXIT_OK, EXIT_REFUSED
from enrollment_migrate.options import RunOptions
from enrollment_migrate.paths import Role

app = typer.Typer(
    help="Validate, split and apply enrollment-history migration files.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
portal_app = typer.Typer(help="The target portal: users, courses, existing enrollments.", no_args_is_help=True)
app.add_typer(portal_app, name="portal")
store_app = typer.Typer(help="The warehouse's files: partitions, and those waiting for deletion.", no_args_is_help=True)
app.add_typer(store_app, name="store")
server_app = typer.Typer(
    help="The local Prefect server the commands use when PREFECT_API_URL is not set.", no_args_is_help=True
)
app.add_typer(server_app, name="server")

out = Console()
err = Console(stderr=True)


@app.callback()
def main_options(
    ctx: typer.Context,
    db: Annotated[Optional[Path], typer.Option(help="Warehouse file [env ENROLLMENT_MIGRATE_DB; data/warehouse.duckdb].")] = None,
    reports: Annotated[Optional[Path], typer.Option(help="Reports folder [env ENROLLMENT_MIGRATE_REPORTS; data/reports].")] = None,
) -> None:
    ctx.obj = {"db": str(db) if db else None, "reports": str(reports) if reports else None}
    try:
        settings.check_all()  # a wrong variable is one line before anything starts
    except errors.UserError as exc:
        _fail(exc)


# Each path parameter says in its annotation what it must be (enrollment_migrate.paths.Role):
# `checked` holds it to that before the command starts, and the tests are generated from these.


def checked(*, warehouse: Role | None = None, reports: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Every command: its paths held to their roles before it runs (its own path parameters, as
    their annotations declare; the warehouse it opens, `warehouse`: Role.WAREHOUSE to change it,
    Role.WAREHOUSE_READ to look; the reports folder it writes, `reports`), an output that is one of
    its inputs refused, and any failure said in one line (`_fail`). The declaration is kept on
    the command (`paths_declared`) for the tests."""

    def wrap(command: Callable[..., Any]) -> Callable[..., Any]:
        hints = typing.get_type_hints(command, include_extras=True)
        roles = {name: role for name, hint in hints.items()
                 for role in getattr(hint, "__metadata__", ()) if isinstance(role, Role)}

        @functools.wraps(command)
        def run(*args: Any, **kwargs: Any) -> Any:
            try:
                _check_paths(kwargs["ctx"], roles, kwargs, warehouse, reports)
                return command(*args, **kwargs)
            except (typer.Exit, typer.Abort, typer.TyperException, KeyboardInterrupt):
                raise
            except Exception as exc:  # noqa: BLE001 - every failure is one line a person can act on
                _fail(exc)

        run.paths_declared = {"parameters": roles, "warehouse": warehouse, "reports": reports}  # type: ignore[attr-defined]
        return run

    return wrap


def _check_paths(
    ctx: typer.Context, roles: dict[str, Role], given: dict[str, Any], warehouse: Role | None, reports: bool
) -> None:
    from enrollment_migrate import paths

    obj = ctx.find_root().obj or {}
    inputs, outputs = [], []
    for name, role in roles.items():
        if given.get(name) is None:
            continue
        path = paths.check(Path(given[name]), role)
        (outputs if role is Role.OUTPUT_FILE else inputs).append(path)
    def chosen(option: str, setting: settings.Setting) -> tuple[Path, bool]:
        """The flag's path, else the variable's, else the default (whose folders may be made)."""
        return Path(obj.get(option) or setting.value()), bool(obj.get(option)) or setting.is_set()

    if warehouse is not None:
        db, given_db = chosen("db", settings.DB)
        paths.check(db, warehouse, created_parents=not given_db)
        inputs += [db, db.with_name(db.name + ".store") / "state.duckdb"]
    if reports:
        folder, given_folder = chosen("reports", settings.REPORTS)
        paths.check(folder, Role.OUTPUT_FOLDER, created_parents=not given_folder)
    for output in outputs:
        paths.not_an_input(output, inputs)


def _import_date(value: Optional[str]) -> Optional[dt.date]:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        _cannot_run(f"--import-date {value!r} is not a date in YYYY-MM-DD form.")


def _cannot_run(message: str) -> typing.NoReturn:
    _fail(errors.CannotRun(message))


def _shown(text: object) -> str:
    """Text from a file or a path, for the terminal: its control characters as marks (an ESC
    would start an escape sequence), each line on its own."""
    from enrollment_migrate.visible import visible

    return "\n".join(visible(line) for line in str(text).split("\n"))


def _fail(exc: BaseException) -> typing.NoReturn:
    """The one place an error becomes what a person reads and the exit status."""
    shown = errors.shown(exc)
    # The message may quote a path or a value: never read as markup, never wrapped mid-path.
    err.print(f"[bold red]{shown.label}:[/] ", end="", highlight=False)
    err.print(_shown(shown.message), highlight=False, markup=False, soft_wrap=True)
    if shown.bug:
        err.print("This is not a problem in your file; the log above has the details for a bug report.",
                  highlight=False)
    raise typer.Exit(shown.exit_status)


def _run_flow(target: str, **parameters: Any) -> Any:
    """Run the flow `target` ("module:name"). Without PREFECT_API_URL it reports to the local
    server (flows.local_server), started if none runs (said on stderr) and held in use until the
    flow ends. Its address is settled before the flow's module, and so Prefect, is imported:
    Prefect reads its settings then (and each command imports only what it runs). A server started
    here comes up while the flow's modules load, on the other core: the wait is the longer of the
    two, not their sum."""
    from flows import local_server

    with contextlib.ExitStack() as held:
        if not os.environ.get("PREFECT_API_URL") and local_server.enabled():
            state = held.enter_context(local_server.in_use(wait=False))
            os.environ["PREFECT_API_URL"] = state.api_url
            flow = _flow(target)
            local_server.wait_up(local_server.home(), state)
        else:
            flow = _flow(target)
        return _call_flow(flow, parameters)


def _flow(target: str) -> Any:
    import importlib

    module, name = target.split(":")
    return getattr(importlib.import_module(module), name)


def _call_flow(flow: Any, parameters: dict[str, Any]) -> Any:
    """The flow run; a failure reaches `main`, which says it in one line."""
    from enrollment_migrate.logs import hide_expected_failures

    from prefect import tags
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    hide_expected_failures(errors.UserError)
    command = {"migrate": "run"}.get(flow.name, flow.name)
    # A command's flow ends with its process: heartbeats would only make each run wait for the
    # heartbeat thread at the end (0.4-0.5 s, bench/orchestration_cost.py). Served runs keep them.
    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}), tags("enrollment-migrate", command):
        return flow(**parameters)


@portal_app.command("load")
@checked(warehouse=Role.WAREHOUSE)
def portal_load(
    ctx: typer.Context,
    users: Annotated[Optional[Path], Role.INPUT_FILE, typer.Option(help="Users file: email,username,first_name,last_name,login_enabled.")] = None,
    courses: Annotated[Optional[Path], Role.INPUT_FILE, typer.Option(help="Courses file (INTERFACES.md).")] = None,
    enrollments: Annotated[Optional[Path], Role.INPUT_FILE, typer.Option(help="Existing enrollments, in the migration template format.")] = None,
    learning_paths: Annotated[Optional[Path], Role.INPUT_FILE, typer.Option(help="Learning paths: learning_path,course_name (replaces the portal's paths).")] = None,
    settings: Annotated[Optional[Path], Role.INPUT_FILE, typer.Option(help="Settings: setting,value for training_history and gamification (replaces them; blank = not known).")] = None,
    import_date: Annotated[Optional[str], typer.Option(help="Date the enrollments' blank dates stand for (YYYY-MM-DD).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Load or update the target portal; loading the same file again updates, never duplicates."""
    files = {"users": users, "courses": courses, "enrollments": enrollments,
             "learning_paths": learning_paths, "settings": settings}
    if not any(files.values()):
        _cannot_run("give at least one of --users, --courses, --enrollments, --learning-paths, --settings.")

    loaded = _run_flow(
        "flows.portal:portal_load_flow",
        **{name: str(path) if path else None for name, path in files.items()},
        import_date=_import_date(import_date),
        db=ctx.obj["db"],
    )
    if as_json:
        print(json.dumps(loaded))
    else:
        said = [f"{_count(loaded['users'])} users", f"{_count(loaded['courses'])} courses",
                f"{_count(loaded['enrollments'])} existing enrollments"]
        said += [f"{_count(loaded['learning_paths'])} learning path lines"] if learning_paths else []
        said += [f"{_count(loaded['settings'])} settings"] if settings else []
        out.print(f"Portal loaded: {', '.join(said)}.")


PartMb = Annotated[Optional[float], typer.Option(
    "--part-mb",
    help="Check the file in parts of about this many MB, memory bounded by it [env "
    "ENROLLMENT_MIGRATE_PART_MB; an eighth of the file, 8 to 64]; 0 checks it whole.",
)]
MemoryBudget = Annotated[Optional[str], typer.Option(
    "--memory-budget",
    help="Check the file whole, in memory, when it needs at most this much (6GB, 512MB), else in "
    "parts [a quarter of the machine's memory].",
)]
DaskAddress = Annotated[Optional[str], typer.Option(
    "--dask",
    help="Check the parts on this Dask scheduler (tcp://host:8786; the workers must see the "
    "file and the reports folder), or 'local' for a cluster in this process.",
)]


@app.command()
@checked(warehouse=Role.WAREHOUSE, reports=True)
def validate(
    ctx: typer.Context,
    file: Annotated[Path, Role.INPUT_FILE, typer.Argument(help="Migration file (CSV in the template format).")],
    import_date: Annotated[Optional[str], typer.Option(help="Import date, YYYY-MM-DD [today, UTC].")] = None,
    skip_invalid_rows: Annotated[bool, typer.Option(help="Count rows with errors as skipped instead of rejecting the file.")] = False,
    skip_existing: Annotated[bool, typer.Option(help="Skip rows whose enrollment the portal already holds.")] = False,
    part_mb: PartMb = None,
    memory_budget: MemoryBudget = None,
    dask: DaskAddress = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON summary only.")] = False,
) -> None:
    """Dry run: every finding, the live/archive split and the awards it would make."""
    _summarise_flow(
        ctx, "flows.validate:validate_flow", as_json, file, import_date,
        skip_invalid_rows=skip_invalid_rows, skip_existing=skip_existing, part_mb=part_mb, dask_address=dask,
        memory_budget=memory_budget,
    )


@app.command()
@checked(warehouse=Role.WAREHOUSE, reports=True)
def run(
    ctx: typer.Context,
    file: Annotated[Path, Role.INPUT_FILE, typer.Argument(help="Migration file (CSV in the template format).")],
    import_date: Annotated[Optional[str], typer.Option(help="Import date, YYYY-MM-DD [today, UTC].")] = None,
    skip_invalid_rows: Annotated[bool, typer.Option(help="Drop rows with errors and apply the rest.")] = False,
    skip_existing: Annotated[bool, typer.Option(help="Skip rows whose enrollment the portal already holds.")] = False,
    allow_reapply: Annotated[bool, typer.Option(help="Apply a file again although an earlier run applied it.")] = False,
    part_mb: PartMb = None,
    memory_budget: MemoryBudget = None,
    dask: DaskAddress = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON summary only.")] = False,
) -> None:
    """Validate, then apply an acceptable file in one transaction (all of it or nothing)."""
    _summarise_flow(
        ctx, "flows.run:run_flow", as_json, file, import_date,
        skip_invalid_rows=skip_invalid_rows, skip_existing=skip_existing, allow_reapply=allow_reapply,
        part_mb=part_mb, dask_address=dask, memory_budget=memory_budget,
    )


@app.command()
@checked()
def prepare(
    ctx: typer.Context,
    source: Annotated[Path, Role.INPUT_SOURCE, typer.Argument(help="Export of another system (CSV or .xlsx), or the folder an adapter reads.")],
    mapping: Annotated[Path, Role.INPUT_FILE, typer.Option(help="Mapping file (YAML): columns, statuses, dates, or an adapter.")],
    out_file: Annotated[Path, Role.OUTPUT_FILE, typer.Option("--out", help="Template file to write (CSV, UTF-8); its report goes beside it.")],
    portal_out: Annotated[Optional[Path], Role.OUTPUT_FOLDER, typer.Option(help="Also write portal_users.csv and portal_courses.csv that the rows fit, into this folder (for a test portal).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the preparation report as one JSON object.")] = False,
) -> None:
    """Turn an export from another system into a template file; exit 1 when the mapping or the
    data leaves something to decide (the report says what), and nothing is written."""
    from enrollment_migrate.prepare.report import PREPARED, summary_text

    report = _run_flow(
        "flows.prepare:prepare_flow", source=str(source), mapping=str(mapping), out=str(out_file),
        portal_out=str(portal_out) if portal_out else None,
    )
    if as_json:
        print(json.dumps(report))
    else:
        out.print(summary_text(report), highlight=False, markup=False, soft_wrap=True)
    raise typer.Exit(EXIT_OK if report["state"] == PREPARED else EXIT_INVALID)


def _summarise_flow(
    ctx: typer.Context, flow: str, as_json: bool, file: Path, import_date: Optional[str], **options: Any
) -> None:
    """Run validate or run with the options its flags set, print its summary, exit 0 when valid
    or applied and 1 otherwise."""
    options["part_mb"] = settings.part_mb_option(options.get("part_mb"))
    options["memory_budget"] = settings.memory_budget_option(options.get("memory_budget"))
    with _progress_shown(as_json):
        summary = _run_flow(
            flow,
            file=str(file),
            options=RunOptions(_import_date(import_date), **options),
            db=ctx.obj["db"],
            reports_dir=ctx.obj["reports"],
        )
    if as_json:
        print(json.dumps(summary))
    else:
        _print_summary(summary)
    raise typer.Exit(EXIT_OK if summary["state"] in ("valid", "applied") else EXIT_INVALID)


def _progress_shown(as_json: bool) -> contextlib.AbstractContextManager[Any]:
    """The flow's progress on stderr (enrollment_migrate.progress: the file read, then each
    step as it starts) when stderr is a terminal, and never with --json."""
    if as_json or not _is_terminal(err.file):
        return contextlib.nullcontext()
    from enrollment_migrate import progress

    return progress.terminal(err)


def _is_terminal(stream: Any) -> bool:
    """A terminal for certain: not Rich's guess, which FORCE_COLOR turns on for a pipe."""
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or closed
        return False


def _clock(now: Optional[str]) -> Optional[dt.datetime]:
    if now is None:
        return None
    try:
        return dt.datetime.fromisoformat(now)
    except ValueError:
        _cannot_run(f"--now {now!r} is not an ISO-8601 time.")


Now = Annotated[Optional[str], typer.Option(help="ISO-8601 time standing in for the clock (drills, tests).")]


@app.command()
@checked(warehouse=Role.WAREHOUSE)
def rollback(
    ctx: typer.Context,
    run_id: Annotated[str, typer.Argument(help="The applied run to undo.")],
    now: Now = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Undo an applied run within 7 days of its apply time."""
    outcome = _run_flow("flows.rollback:rollback_flow", run_id=run_id, now=_clock(now), db=ctx.obj["db"])
    if as_json:
        print(json.dumps({k: v for k, v in outcome.items() if k != "message"}))
    elif outcome["state"] == "refused":
        err.print(f"[bold yellow]Refused ({outcome['reason']}):[/] {outcome['message']}", highlight=False)
    else:
        removed = ", ".join(f"{_count(n)} {name}" for name, n in outcome["removed"].items())
        proof = {True: "the store is again exactly as before the run",
                 None: "the store had changed since the run (later runs, rollbacks or portal loads), "
                       "so it was not compared with the store before it",
                 False: "the store differs from before the run"}
        out.print(f"Rolled back {run_id}: removed {removed}; {proof[outcome['fingerprint_restored']]}.",
                  highlight=False)
    raise typer.Exit(EXIT_REFUSED if outcome["state"] == "refused" else EXIT_OK)


@app.command()
@checked(warehouse=Role.WAREHOUSE)
def expire(
    ctx: typer.Context,
    now: Now = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Close the rollback window of runs applied more than 7 days ago, and delete the retired
    partition files that are due (what the daily `expire` deployment does)."""

    outcome = _run_flow("flows.rollback:expire_flow", now=_clock(now), db=ctx.obj["db"])
    if as_json:
        print(json.dumps(outcome))
        return
    out.print(f"Expired {_count(len(outcome['expired']))} runs' snapshots; deleted {_count(outcome['deleted_files'])} "
              "retired partition files.", highlight=False)


def _db(ctx: typer.Context) -> Path:
    from enrollment_migrate import warehouse

    return warehouse.db_path(ctx.obj["db"])


@store_app.command("status")
@checked(warehouse=Role.WAREHOUSE_READ)
def store_status(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """The analysts' partitions, the retired files waiting for deletion, and the open sessions.
    Reads files only: it waits for no other command."""
    from rich.filesize import decimal as size

    from enrollment_migrate import retention, work_claims

    status = retention.status(_db(ctx)).as_dict()
    status["stopped_runs_work_folders"] = work_claims.orphans(_db(ctx))
    if as_json:
        print(json.dumps(status))
        return
    out.print(f"Partitions: {_count(status['partitions'])} live ({size(status['partition_bytes'])}).", highlight=False)
    retention = dt.timedelta(seconds=status["retention_seconds"])
    waiting = (f"Waiting for deletion: {_count(status['retired_files'])} retired files ({size(status['retired_bytes'])})"
               f"; {_count(status['due_for_deletion'])} older than the retention ({retention}).")
    if status["retired_files"]:
        waiting += f" Oldest retired {status['oldest_retired_at'][:16].replace('T', ' ')} UTC."
    out.print(waiting, highlight=False)
    if status["stopped_runs_work_folders"]:
        out.print(f"Work folders left by runs that were stopped: {_count(status['stopped_runs_work_folders'])} "
                  "(the next command that changes the warehouse removes them).", highlight=False)
    sessions = status["open_sessions"]
    out.print(f"Open analysts' sessions: {_count(sessions)}" + (
        "; retired files are deleted once they close (by `expire` or the next command that publishes)."
        if sessions else "."), highlight=False)


@app.command("report")
@checked(warehouse=Role.WAREHOUSE_READ, reports=True)
def report_page(
    ctx: typer.Context,
    run_id: Annotated[str, typer.Argument(help="The run whose page to build (see 'runs').")],
    open_page: Annotated[bool, typer.Option("--open", help="Then open it in the default browser.")] = False,
) -> None:
    """Build a run's report page (report.html in its report folder) again, showing the run as it
    is now; exit 2 for an unknown run."""
    from enrollment_migrate import report_page as pages, warehouse

    folder = pages.report_dir_of(warehouse.reports_path(ctx.obj["reports"]), run_id)
    if not pages.charts_cached(folder):  # a run's page keeps its charts; an older one's does not
        pages.warm_up_charts()  # the chart renderer starts while the page's data are read
    with warehouse.connect(_db(ctx), read_only=True) as con:
        page = pages.write_page(folder, con)
    out.print(f"Report page: {_shown(page)}", highlight=False, markup=False, soft_wrap=True)
    if open_page:
        import webbrowser

        if not webbrowser.open(page.resolve().as_uri()):
            err.print(f"No browser could be started here: open {_shown(page)} in one.", highlight=False, markup=False)


@app.command("runs")
@checked(warehouse=Role.WAREHOUSE_READ)
def list_runs(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON array.")] = False,
) -> None:
    """The run log, newest first."""
    from enrollment_migrate import history, warehouse

    with warehouse.connect(_db(ctx), read_only=True) as con:
        log = history.run_log(con)
    if as_json:
        print(json.dumps(log, default=lambda value: value.isoformat()))
        return
    table = Table(header_style="bold", box=None, pad_edge=False, collapse_padding=True)
    table.add_column("run", no_wrap=True)  # the id `rollback` needs: never cut
    table.add_column("state", no_wrap=True)
    for name in ("rows", "live", "arch.", "err."):
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("applied (UTC)", no_wrap=True)
    for entry in log:
        applied = entry["applied_at"]
        table.add_row(entry["run_id"], entry["state"],
                      *(_count(entry[k]) for k in ("rows", "live", "archived", "errors")),
                      f"{applied:%Y-%m-%d %H:%M}" if applied else "")
    out.print(table)


@app.command("history")
@checked(warehouse=Role.WAREHOUSE_READ)
def training_history(
    ctx: typer.Context,
    login_id: Annotated[str, typer.Argument(help="The learner's email or username.")],
    out_file: Annotated[Optional[Path], Role.OUTPUT_FILE, typer.Option("--out", help="CSV file to write [stdout].")] = None,
) -> None:
    """One learner's full training history (live and archived), as CSV that no spreadsheet runs as
    a formula."""
    from enrollment_migrate import files, history, warehouse
    from enrollment_migrate.formulas import neutralise_formulas

    with warehouse.connect(_db(ctx), read_only=True) as con:
        rows = history.learner_history(con, login_id)
    if rows is None:
        _cannot_run(f"{login_id!r} is not the email or username of exactly one portal user.")
    text = neutralise_formulas(rows).write_csv()
    if out_file:
        files.write_text_atomically(out_file, text)
        err.print(f"{_count(text.count(chr(10)) - 1)} enrollments written to {_shown(out_file)}", markup=False)
    else:
        # The CSV exactly, for a pipe or a file; on a terminal, its controls as marks.
        sys.stdout.write(_shown(text) if sys.stdout.isatty() else text)


@server_app.command("status")
@checked()
def server_status(ctx: typer.Context) -> None:
    """Where the local Prefect server runs and since when (or that none runs)."""
    from flows import local_server

    state = local_server.running()
    if state is None:
        out.print("No local Prefect server is running.")
        return
    idle = "only when stopped" if state.idle_seconds is None else f"after {local_server.shown(state.idle_seconds)} unused"
    took = "" if state.up_after is None else f" (it took {state.up_after:g} s to start)"
    out.print(f"Local Prefect server: {state.ui} (UI; API {state.api_url}), since {state.started_at}"
              f"{took}; stops {idle}. Folder: {local_server.home()}", highlight=False)


@server_app.command("stop")
@checked()
def server_stop(ctx: typer.Context) -> None:
    """Stop the local Prefect server (the next command starts another)."""
    from flows import local_server

    state = local_server.stop()
    out.print(f"Local Prefect server on {state.ui} stopped." if state else "No local Prefect server was running.",
              highlight=False)


def _print_summary(summary: dict[str, Any]) -> None:
    verdict = {
        "valid": "[bold green]VALID[/]", "applied": "[bold green]APPLIED[/]",
        "invalid": "[bold red]INVALID[/]", "rejected": "[bold red]REJECTED[/]",
    }.get(summary["state"], summary["state"])
    out.print(f"{verdict}  {escape(_shown(summary['file']))}  (import date {summary['import_date']})",
              highlight=False)
    # Say plainly what went in, and what would have: only an applied run changed the store.
    plainly = {
        "valid": "A dry run: nothing was changed. Live and archived rows are what would go in.",
        "invalid": "Nothing goes in until the errors are fixed. Live and archived rows are those that pass.",
        "rejected": "Rejected: nothing went in.",
    }.get(summary["state"])
    if plainly:
        out.print(plainly, highlight=False)
    for missing in summary.get("not_written", []):
        err.print(f"[bold yellow]Applied, but {missing['what']} could not be written[/] "
                  f"({escape(_shown(missing['why']))}); {escape(missing['again'])}.", highlight=False, soft_wrap=True)
    if "would_have" in summary:
        would = summary["would_have"]
        out.print(f"Had it gone in: {_count(would['live'])} live and {_count(would['archived'])} archived rows, "
                  f"{_count(would['certificates'])} certificates, {_count(would['badges'])} badges, "
                  f"{_count(would['credits'])} credits; the by-year table counts those rows.", highlight=False)
    counts = Table("rows", Column("", justify="right"), title="Rows", title_justify="left", show_header=False)
    for name in ("rows", "live", "archived", "skipped", "errors", "warnings"):
        counts.add_row(name, _count(summary[name]))
    awards = Table("award", Column("", justify="right"), title="Awards (live rows)", title_justify="left",
                   show_header=False)
    for name in ("certificates", "credits", "badges"):
        awards.add_row(name, _count(summary[name]))
    out.print(Columns([counts, awards]))
    _print_readiness(summary.get("readiness") or [])
    if summary["rule_counts"]:
        from schemas.rules import ALL_RULES

        found = Table("rule", "severity", Column("findings", justify="right"), title="Findings", title_justify="left")
        for rule, n in summary["rule_counts"].items():
            found.add_row(rule, ALL_RULES[rule].severity.value, _count(n))
        out.print(found)
        _print_first_problems(Path(summary["report_dir"]) / "findings.csv", summary["errors"])
    if summary["by_year"]:
        years = Table("year", Column("completed", justify="right"), Column("open", justify="right"),
                      title="By year", title_justify="left")
        for year in summary["by_year"]:
            years.add_row(str(year["year"]), _count(year["completed"]), _count(year["open"]))
        out.print(years)
    out.print(f"Report: {_shown(summary['report_dir'])}", highlight=False, markup=False)
    from enrollment_migrate.report_page import page_path

    page = page_path(Path(summary["report_dir"]))
    if page.is_file():
        out.print(f"Report page: {_shown(page)} (open it in a browser)", highlight=False, markup=False,
                  soft_wrap=True)
    else:
        out.print(f"Report page: not built; 'enrollment-migrate report {summary['run_id']}' builds it",
                  highlight=False)


def _count(value: Any) -> str:
    """A count or a sum as people read it: thousands separated (736,919); credits may be a
    fraction (12.5). The JSON keeps plain numbers."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{int(value):,}" if value.is_integer() else f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{value:,}"


READINESS_MARKS = {"ok": "[green]ok[/]", "attention": "[yellow]attention[/]", "blocking": "[bold red]blocking[/]",
                   "unknown": "[magenta]unknown ?[/]"}


def _print_readiness(items: list[dict[str, Any]]) -> None:
    """Ready to migrate? The checklist, one line an item; the details of those not ok."""
    if not items:
        return
    table = Table("step", "status", "", title="Ready to migrate?", title_justify="left", show_header=False,
                  box=None, padding=(0, 1))
    table.columns[0].no_wrap = True
    table.columns[2].overflow = "fold"  # a rule's code is one long word: folded, never cut
    for item in items:
        table.add_row(item["item"], READINESS_MARKS[item["status"]],
                      "" if item["status"] == "ok" else Text(_shown(item["detail"])))
    out.print(table)


def _print_first_problems(findings_csv: Path, errors_found: int, limit: int = 10) -> None:
    """The first rejecting findings, so that the admin can start fixing without the CSV (read no
    further than they are: a file can have millions of findings)."""
    from enrollment_migrate.reports import first_problems

    if not errors_found or not findings_csv.exists():
        return
    problems = first_problems(findings_csv, limit)
    # Rows stay as a spreadsheet numbers them (no separators): they are looked up, not read as amounts.
    table = Table("row", "column", "rule", "message", title=f"First problems (of {_count(errors_found)})",
                  title_justify="left")
    for problem in problems.iter_rows(named=True):
        # A column is a header from the file: shown as text, never read as markup.
        table.add_row(problem["row"] or "", Text(_shown(problem["column"] or "")), problem["rule"],
                      Text(_shown(problem["message"])))
    out.print(table)


def main() -> None:
    # Prefect reads its settings at import: keep its console quiet unless asked otherwise.
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    try:
        app()  # each command says its own failures in one line (`checked`)
    except KeyboardInterrupt:
        err.print("Interrupted.")
        sys.exit(130)
