"""Start-up: what each command costs from a fresh shell, with and without PYTHONDONTWRITEBYTECODE.

    make bench-startup                     # 6 minutes quiet, 15 busy; rewrites the results and the doc's table
    .venv/bin/python bench/startup.py [--repeat 5] [--rows 100000] [--cases validate,runs,...] [--keep-bytecode]
    .venv/bin/python bench/startup.py --report-only   # the table and the doc again from startup.json

Issue 22, parts 7 and 1. Every measurement is a new process, as from a fresh shell: `subprocess`
running the installed `.venv/bin/enrollment-migrate`, timed from spawn to exit; one warm-up round
(not counted), then --repeat rounds; the best and the median are kept. The cases:

- `validate`: `validate data/sample/migration.csv --import-date 2025-01-15` against a warehouse
  holding the sample portal (as `make run` loads it), the local Prefect server already running
  (flows/local_server.py: the normal case);
- `runs`, `report RUN_ID`, `history LOGIN_ID`, `store status`, `server status`: the commands
  that only look, on a warehouse in the state `make run` leaves (the sample applied);
- `first command`: the same `validate` with a fresh PREFECT_HOME and no server, so that the
  command starts the local server (each round its own PREFECT_HOME; `enrollment-migrate server
  stop` after each, not timed);
- `validate 100k`: a `validate` of bench/generate.py's file of --rows rows (kept in
  bench/out/data/<rows>/) against a warehouse holding the portal it fits;
- `served run`: `python -m flows.serve --local-server` (what `make server` runs) serves the
  deployments against the same local server; a run of the `validate` deployment is created
  through Prefect's client and timed from its creation to COMPLETED, polling the API every 50 ms.

**Isolation.** A temporary folder holds PREFECT_HOME, the warehouses and the reports, and is
removed at the end; the caller's PREFECT_API_URL and ENROLLMENT_MIGRATE_* variables are dropped.
Every server and serve process started here is stopped in a `finally` (the servers by
`enrollment-migrate server stop`, then by their process group if that fails), also on Ctrl-C or
SIGTERM.

**PYTHONDONTWRITEBYTECODE, without letting the run help itself.** Each case runs a block with
the variable set (warm-up and rounds), then a block without it, one right after the other so
that both see about the same load. A block with the variable cannot write bytecode, so it reads
only what the install holds. A block without it may write bytecode for modules that have none
(its warm-up would, for its rounds): what it wrote is recorded, and the bytecode of modules that
had none when the run began (and import hooks' own caches, beartype's claw's
`*.opt-beartype*.pyc`) is removed before the next block, so that no block with the variable
starts from more bytecode than the install had, in this run or the next (`--keep-bytecode` keeps
it). With an install compiled by `uv sync` (pyproject.toml's `[tool.uv] compile-bytecode`) both
blocks read the same bytecode and must cost the same: the ratio set ÷ unset of each case is
reported and flagged beyond ±15%. What has no bytecode when the run begins (site-packages, and
the project's own source, which uv's editable install leaves uncompiled) is counted first, with
what compiling it costs.

Outputs: bench/results/startup.json, bench/results/startup.md, and docs/performance.md's section
"Start-up" between `<!-- startup:begin -->` and `<!-- startup:end -->`. A run of a subset
(--cases) writes bench/out/startup.json only.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import importlib.util
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.dont_write_bytecode = True  # the driver itself never writes bytecode either

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
DATA = BENCH / "out" / "data"
RESULTS = BENCH / "results"
DOC = REPO / "docs" / "performance.md"
BEGIN, END = "<!-- startup:begin -->", "<!-- startup:end -->"
VENV_BIN = REPO / ".venv" / "bin"
CLI = VENV_BIN / "enrollment-migrate"
PY = VENV_BIN / "python"
SAMPLE = Path("data/sample")  # relative: the commands run in the project folder, as a user types them
IMPORT_DATE = "2025-01-15"
LEARNER = "ana.silva@example.com"
PROJECT_PACKAGES = ("enrollment_migrate", "flows", "schemas")
DIFFERENCE = 0.15  # set ÷ unset beyond 1 ± this is flagged
STARTING = "Starting a local Prefect server"
PREAMBLE = ("# Start-up figures\n\nWritten by `bench/startup.py` (`make bench-startup`); what they measure: "
            "docs/performance.md, \"Start-up: every command in about a second\".\n\n")

sys.path.insert(0, str(BENCH))
import bytecode  # noqa: E402


@dataclasses.dataclass(frozen=True)
class Case:
    id: str
    what: str  # the table's first column
    target_s: float | None  # None: a floor, timed beside the commands to tell the machine's cost from theirs
    before: str  # issue 22's figure, before the work of that issue


# The plainest processes of the same kinds, in the same run: the interpreter with the data
# libraries, and an empty Prefect flow run against the same local server. What a command costs
# above its floor is the design's; the floor itself is the machine's and Prefect's.
FLOOR_FLOW = ("from prefect import flow\n"
              "@flow(name='startup-floor', persist_result=False)\n"
              "def empty():\n    return None\n"
              "empty()\n")
FLOORS = {
    "floor: data libraries": [str(PY), "-c", "import polars, duckdb"],
    "floor: empty flow": [str(PY), "-c", FLOOR_FLOW],
}
CASES = [
    Case("floor: data libraries", "floor: `python -c 'import polars, duckdb'`", None, ""),
    Case("floor: empty flow", "floor: an empty Prefect flow run against the local server", None, ""),
    Case("validate", "`validate` of the sample, local server running", 2.0, "8.38 s"),
    Case("runs", "`runs`", 0.6, "5.15 s"),
    Case("report", "`report RUN_ID`", 0.6, ""),
    Case("history", "`history LOGIN_ID`", 0.6, ""),
    Case("store status", "`store status`", 0.6, ""),
    Case("server status", "`server status`", 0.6, ""),
    Case("first command", "the first command: `validate`, starting the local server", 10.0, "28.7 s"),
    Case("validate 100k", "`validate` of a {rows:,}-row file", 4.0, "9.15 s"),
    Case("served run", "a served `validate` run, created → COMPLETED", 3.0, "11.7 s busy / 4.1 s quiet"),
]
VARIANTS = {"set": "PYTHONDONTWRITEBYTECODE=1", "unset": "PYTHONDONTWRITEBYTECODE unset"}


class Failed(Exception):
    pass


# --- processes ------------------------------------------------------------------------------------


def environment(home: Path, variant: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PREFECT_", "ENROLLMENT_MIGRATE_")) and k not in ("PYTHONPYCACHEPREFIX",)}
    env.update(PREFECT_HOME=str(home), DO_NOT_TRACK="1", PREFECT_SERVER_ANALYTICS_ENABLED="false",
               PREFECT_LOGGING_LEVEL="WARNING", ENROLLMENT_MIGRATE_LOCAL_SERVER="on")
    if variant == "set":
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    else:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def run(command: list[str], env: dict[str, str], ok: tuple[int, ...] = (0,)) -> tuple[float, subprocess.CompletedProcess]:
    """A new process, timed from spawn to exit."""
    started = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=REPO, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode not in ok:
        shown = " ".join(str(part) for part in command)
        raise Failed(f"`{shown}` exited {done.returncode}:\n{(done.stderr or done.stdout)[-2000:]}")
    return seconds, done


def server_state(home: Path) -> dict[str, Any] | None:
    try:
        return json.loads((home / "local-server" / "server.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def stop_server(home: Path, env: dict[str, str]) -> None:
    """`enrollment-migrate server stop` for that PREFECT_HOME; its process group if that fails."""
    state = server_state(home)
    if state is None:
        return
    with contextlib.suppress(Exception):
        run([str(CLI), "server", "stop"], {**env, "PREFECT_HOME": str(home)})
    state = server_state(home)
    if state and isinstance(state.get("pid"), int):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(state["pid"], signal.SIGTERM)
            time.sleep(2)
            os.killpg(state["pid"], signal.SIGKILL)


def stop_group(process: subprocess.Popen, first: int = signal.SIGINT, grace: float = 60.0) -> None:
    """Ctrl-C to a process group started here (start_new_session), then SIGTERM, then SIGKILL."""
    for sent, wait in ((first, grace), (signal.SIGTERM, 15.0), (signal.SIGKILL, 5.0)):
        if process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sent)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=wait)


class Load:
    """The 1-minute load average, sampled every 2 s while the benchmark runs."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(2.0):
            self.samples.append(os.getloadavg()[0])

    def __enter__(self) -> Load:
        self.before = os.getloadavg()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self.after = os.getloadavg()

    def figures(self) -> dict[str, Any]:
        during = self.samples or [self.before[0]]
        return {"before": [round(x, 2) for x in self.before], "after": [round(x, 2) for x in self.after],
                "during_mean": round(statistics.fmean(during), 2), "during_max": round(max(during), 2),
                "samples": len(self.samples)}


# --- the set-up -----------------------------------------------------------------------------------


@dataclasses.dataclass
class Setup:
    work: Path
    home: Path  # the PREFECT_HOME of every case but the first command's
    rows: int
    sample: list[str] = dataclasses.field(default_factory=list)  # --db/--reports of the sample's warehouse
    demo: list[str] = dataclasses.field(default_factory=list)  # ... of the warehouse `make run` leaves
    large: list[str] = dataclasses.field(default_factory=list)
    large_file: Path | None = None
    large_import_date: str = IMPORT_DATE
    run_id: str = ""
    seconds: dict[str, float] = dataclasses.field(default_factory=dict)

    def where(self, name: str) -> list[str]:
        folder = self.work / name
        folder.mkdir(parents=True, exist_ok=True)
        return ["--db", str(folder / "warehouse.duckdb"), "--reports", str(folder / "reports")]


def portal_files() -> list[str]:
    return ["--users", str(SAMPLE / "portal_users.csv"), "--courses", str(SAMPLE / "portal_courses.csv"),
            "--enrollments", str(SAMPLE / "portal_enrollments.csv"),
            "--learning-paths", str(SAMPLE / "portal_learning_paths.csv"),
            "--settings", str(SAMPLE / "portal_settings.csv")]


def prepare(setup: Setup, wanted: set[str]) -> None:
    """The warehouses, the run the read-only commands look at, the 100k file; the first of these
    commands starts the local server that the cases use."""
    env = environment(setup.home, "set")
    setup.sample, setup.demo = setup.where("sample"), setup.where("demo")
    setup.seconds["portal load (starts the server)"], done = run([str(CLI), *setup.sample, "portal", "load", *portal_files()], env)
    if STARTING not in done.stderr:
        raise Failed(f"the set-up's first command did not start a local server:\n{done.stderr[-1000:]}")
    # The demo's warehouse as `make run` leaves it: the portal, a file with problems, the sample applied.
    run([str(CLI), *setup.demo, "portal", "load", *portal_files()], env)
    run([str(CLI), *setup.demo, "validate", str(SAMPLE / "migration_with_problems.csv"), "--import-date", IMPORT_DATE],
        env, ok=(1,))
    _, done = run([str(CLI), *setup.demo, "run", str(SAMPLE / "migration.csv"), "--import-date", IMPORT_DATE,
                   "--json"], env)
    applied = json.loads(done.stdout)
    if applied["state"] != "applied":
        raise Failed(f"the sample was not applied: {applied['state']}")
    setup.run_id = applied["run_id"]
    if "validate 100k" in wanted:
        import generate

        data = DATA / str(setup.rows)
        started = time.perf_counter()
        described = generate.generated(data, setup.rows)
        setup.seconds["generate (0 if reused)"] = time.perf_counter() - started
        setup.large, setup.large_file = setup.where("large"), data / "migration.csv"
        setup.large_import_date = str(described["import_date"])
        setup.seconds["portal load of the 100k portal"], _ = run(
            [str(CLI), *setup.large, "portal", "load", "--users", str(data / "portal_users.csv"),
             "--courses", str(data / "portal_courses.csv"), "--enrollments", str(data / "portal_enrollments.csv"),
             "--import-date", setup.large_import_date], env)


def commands(setup: Setup) -> dict[str, list[str]]:
    cli = str(CLI)
    validate = ["validate", str(SAMPLE / "migration.csv"), "--import-date", IMPORT_DATE]
    found = {
        "validate": [cli, *setup.sample, *validate],
        "runs": [cli, *setup.demo, "runs"],
        "report": [cli, *setup.demo, "report", setup.run_id],
        "history": [cli, *setup.demo, "history", LEARNER],
        "store status": [cli, *setup.demo, "store", "status"],
        "server status": [cli, "server", "status"],
        "first command": [cli, *setup.sample, *validate],
        **FLOORS,
    }
    if setup.large_file:
        found["validate 100k"] = [cli, *setup.large, "validate", str(setup.large_file.relative_to(REPO)),
                                  "--import-date", setup.large_import_date]
    return found


def shown(command: list[str]) -> str:
    """The command as a user types it: without the benchmark's --db/--reports."""
    parts, skip = [], False
    for part in command[1:]:
        if skip:
            skip = False
            continue
        if part in ("--db", "--reports"):
            skip = True
            continue
        parts.append(part)
    return "enrollment-migrate " + " ".join(parts)


# --- the cases ------------------------------------------------------------------------------------


def rounds(measure, repeat: int) -> dict[str, Any]:
    warm_up = measure()
    seconds = [measure() for _ in range(repeat)]
    return {"warm_up_s": round(warm_up, 3), "seconds": [round(s, 3) for s in seconds],
            "best_s": round(min(seconds), 3), "median_s": round(statistics.median(seconds), 3)}


def command_case(case_id: str, command: list[str], env: dict[str, str], repeat: int) -> dict[str, Any]:
    ok = (0, 1) if case_id.startswith("validate") else (0,)  # the 100k file has faults: exit 1, invalid

    def once() -> float:
        seconds, done = run(command, env, ok)
        if STARTING in done.stderr:
            raise Failed(f"`{shown(command)}` started a local server: the one of the set-up was gone")
        return seconds

    return rounds(once, repeat)


def first_command_case(setup: Setup, command: list[str], variant: str, repeat: int) -> dict[str, Any]:
    count = iter(range(1000))
    stops: list[float] = []

    def once() -> float:
        home = setup.work / "first" / f"{variant}-{next(count)}" / "prefect-home"
        env = environment(home, variant)
        try:
            seconds, done = run(command, env)
            if STARTING not in done.stderr:
                raise Failed("the first command did not start a local server")
            if server_state(home) is None:
                raise Failed("the first command left no local server running")
        finally:
            started = time.perf_counter()
            stop_server(home, env)
            stops.append(time.perf_counter() - started)
            shutil.rmtree(home.parent, ignore_errors=True)
        return seconds

    figures = rounds(once, repeat)
    figures["server_stop_s_median"] = round(statistics.median(stops), 3)
    return figures


def served_case(setup: Setup, variant: str, repeat: int) -> dict[str, Any]:
    """`python -m flows.serve --local-server` against the set-up's server, and runs of the
    `validate` deployment created through the client, timed to COMPLETED."""
    state = server_state(setup.home)
    if state is None:
        raise Failed("no local server to serve against")
    # `make server`'s environment: the flow runs log at INFO (to the server); the runner's own poll.
    env = {**environment(setup.home, variant), "PREFECT_LOGGING_LEVEL": "INFO"}
    log_path = setup.work / f"serve-{variant}.log"
    folder = setup.work / "served"
    parameters = {"file": str(REPO / SAMPLE / "migration.csv"), "db": str(folder / "warehouse.duckdb"),
                  "reports_dir": str(folder / "reports"), "options": {"import_date": IMPORT_DATE}}
    if not (folder / "warehouse.duckdb").exists():
        run([str(CLI), *setup.where("served"), "portal", "load", *portal_files()], environment(setup.home, "set"))
    with log_path.open("wb") as log:
        serving = subprocess.Popen([str(PY), "-m", "flows.serve", "--local-server"], cwd=REPO, env=env,
                                   stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        started = time.perf_counter()
        while "being served" not in log_path.read_text(errors="replace"):
            if serving.poll() is not None or time.perf_counter() - started > 180:
                tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-20:])
                raise Failed(f"flows.serve did not start serving (exit {serving.poll()}):\n{tail}")
            time.sleep(0.2)
        ready_s = time.perf_counter() - started
        time.sleep(2.0)  # its first poll for runs

        from prefect.client.orchestration import get_client  # the driver's env points at the server

        details: list[dict[str, float]] = []
        with get_client(sync_client=True) as client:
            deployment = client.read_deployment_by_name("validate/validate")

            def once() -> float:
                created = time.perf_counter()
                flow_run = client.create_flow_run_from_deployment(deployment.id, parameters=parameters)
                running = None
                while True:
                    polled = client.read_flow_run(flow_run.id)
                    now = time.perf_counter() - created
                    if running is None and polled.state and polled.state.is_running():
                        running = now
                    if polled.state and polled.state.is_final():
                        break
                    if now > 180:
                        raise Failed(f"the served run {flow_run.id} was still {polled.state_type} after 180 s")
                    time.sleep(0.05)
                if not polled.state.is_completed():
                    raise Failed(f"the served run ended {polled.state.type}: {polled.state.message}")
                recorded = {"to_completed_s": (polled.state.timestamp - polled.created).total_seconds()}
                if polled.start_time:
                    recorded["to_running_s"] = (polled.start_time - polled.created).total_seconds()
                details.append({"polled_to_running_s": round(running, 3) if running else None,
                                **{k: round(v, 3) for k, v in recorded.items()}})
                return now

            figures = rounds(once, repeat)
        counted = details[1:]
        figures.update(serve_ready_s=round(ready_s, 3), runs=counted)
        for key in ("polled_to_running_s", "to_running_s", "to_completed_s"):
            values = [d[key] for d in counted if d.get(key) is not None]
            if values:
                figures[f"median_{key}"] = round(statistics.median(values), 3)
        return figures
    finally:
        stop_group(serving)  # Ctrl-C: stops serving; the server, started by the set-up, stays


def measure(setup: Setup, case_id: str, variant: str, repeat: int) -> dict[str, Any]:
    load = round(os.getloadavg()[0], 2)
    print(f"  {case_id}, {VARIANTS[variant]} ...", end=" ", flush=True)
    try:
        if case_id == "first command":
            figures = first_command_case(setup, commands(setup)[case_id], variant, repeat)
        elif case_id == "served run":
            figures = served_case(setup, variant, repeat)
        else:
            env = environment(setup.home, variant)
            if case_id in FLOORS:  # the commands find the server by PREFECT_HOME; Prefect by its URL
                env["PREFECT_API_URL"] = f"http://127.0.0.1:{server_state(setup.home)['port']}/api"
            figures = command_case(case_id, commands(setup)[case_id], env, repeat)
    except Failed as exc:
        figures = {"error": str(exc)}
        print(f"FAILED: {str(exc).splitlines()[0]}", flush=True)
    else:
        print(f"best {figures['best_s']:.2f} s, median {figures['median_s']:.2f} s", flush=True)
    figures["load_at_start"] = load
    return figures


class Bytecode:
    """What each block of rounds wrote, and, after a block without PYTHONDONTWRITEBYTECODE, the
    removal of what it wrote for modules that had no bytecode when the run began (and of import
    hooks' own caches, beartype's claw's `*.opt-beartype*.pyc`), so that no later block, with the
    variable or without, starts from more bytecode than the install had."""

    def __init__(self, roots: list[Path], keep: bool) -> None:
        self.roots, self.keep = roots, keep
        self.stale_at_start = set(bytecode.stale(roots))
        self.before: dict[Path, tuple[int, int]] | None = None
        self.written: dict[str, list[Path]] = {variant: [] for variant in VARIANTS}
        self.removed: list[Path] = []

    def begin(self, variant: str) -> None:
        self.variant, self.before = variant, bytecode.snapshot(self.roots)

    def end(self) -> list[Path]:
        if self.before is None:
            return []
        changed = bytecode.written(self.before, bytecode.snapshot(self.roots))
        self.written[self.variant] += changed
        if self.variant == "unset" and not self.keep:
            for path in changed:
                if self._ours(path):
                    path.unlink(missing_ok=True)
                    self.removed.append(path)
        self.before = None
        return changed

    def _ours(self, path: Path) -> bool:
        source = _source(path)
        if source is None:
            return False
        if source in self.stale_at_start or self.roots[0] not in path.parents:
            return True  # a module without bytecode at the start, or the project's own source
        plain = Path(importlib.util.cache_from_source(str(source)))
        return path != plain and path not in (self.before or {})  # an import hook's new cache


# --- the whole run --------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="counted rounds of each case, after one warm-up [5]")
    parser.add_argument("--rows", type=int, default=100_000, help="rows of the large file [100000]")
    parser.add_argument("--cases", help="a comma-separated subset of: " + ", ".join(c.id for c in CASES))
    parser.add_argument("--keep-bytecode", action="store_true",
                        help="keep the bytecode the blocks without PYTHONDONTWRITEBYTECODE wrote")
    parser.add_argument("--report-only", action="store_true",
                        help="measure nothing: write the table and the doc's section again from bench/results/startup.json")
    args = parser.parse_args()
    if args.report_only:
        text = report(json.loads((RESULTS / "startup.json").read_text(encoding="utf-8")))
        (RESULTS / "startup.md").write_text(PREAMBLE + text, encoding="utf-8")
        update_doc(text)
        return 0
    if not CLI.exists():
        sys.exit(f"{CLI} is not installed: make .venv/.installed")
    wanted = [c.id for c in CASES] if not args.cases else [c.strip() for c in args.cases.split(",") if c.strip()]
    unknown = set(wanted) - {c.id for c in CASES}
    if unknown:
        sys.exit(f"unknown cases: {', '.join(sorted(unknown))}")

    def interrupted(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGHUP, interrupted)

    work = Path(tempfile.mkdtemp(prefix="bench-startup-"))
    setup = Setup(work=work, home=work / "prefect-home", rows=args.rows)
    # The driver's own Prefect client (the served runs) talks to the set-up's server, never the user's.
    for key in [k for k in os.environ if k.startswith("PREFECT_")]:
        del os.environ[key]
    os.environ.update(PREFECT_HOME=str(setup.home), DO_NOT_TRACK="1", PREFECT_LOGGING_LEVEL="WARNING")
    roots = [bytecode.package_folder("prefect").parent,
             *(REPO / name for name in PROJECT_PACKAGES if (REPO / name).is_dir())]
    result: dict[str, Any] = {"repeat": args.repeat, "rows": args.rows, "cases": {}}
    kept = Bytecode(roots, args.keep_bytecode)
    result["bytecode_before"] = uncompiled(roots, kept.stale_at_start)
    print(f"Start-up benchmark in {work} (load average {os.getloadavg()[0]:.2f})", flush=True)
    measured: dict[str, dict[str, dict[str, Any]]] = {}
    try:
        with Load() as load:
            prepare(setup, set(wanted))
            os.environ["PREFECT_API_URL"] = f"http://127.0.0.1:{server_state(setup.home)['port']}/api"
            result["setup_s"] = {k: round(v, 3) for k, v in setup.seconds.items()}
            result["commands"] = {k: shown(v) for k, v in commands(setup).items()}
            result["commands"]["served run"] = "python -m flows.serve --local-server; a `validate` deployment run"
            # Each case with the variable, then without it, one after the other so that both see
            # about the same load; what the block without it wrote is removed before the next block.
            for case_id in wanted:
                measured[case_id] = {}
                for variant in VARIANTS:
                    kept.begin(variant)
                    measured[case_id][variant] = measure(setup, case_id, variant, args.repeat)
                    measured[case_id][variant]["bytecode_written"] = len(kept.end())
        result["load"] = load.figures()
    finally:
        for variant in VARIANTS:  # the set-up's server (the first command's are stopped as they go)
            stop_server(setup.home, environment(setup.home, variant))
        shutil.rmtree(work, ignore_errors=True)
        kept.end()  # a block cut short by a failure or Ctrl-C

    result["bytecode_written"] = {
        variant: {"files": len(paths), "by_folder": by_folder(paths, roots),
                  "paths": [str(p.relative_to(REPO)) for p in paths]}
        for variant, paths in kept.written.items()
    }
    result["bytecode_removed"] = {"files": len(kept.removed), "by_folder": by_folder(kept.removed, roots),
                                  "hook_caches": sum(1 for p in kept.removed if ".opt-" in p.name)}
    result["bytecode_after"] = uncompiled(roots)
    for case in CASES:
        if case.id not in wanted:
            continue
        result["cases"][case.id] = judged(case, measured[case.id]["set"], measured[case.id]["unset"], args.rows)
    result.update(measured_at=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(), machine=machine(),
                  commit=_git("rev-parse", "--short", "HEAD").strip(),
                  modified=_git("status", "--porcelain", "--", *PROJECT_PACKAGES, "pyproject.toml", "uv.lock").splitlines())
    result["busy"] = busy(result["load"])
    text = report(result)
    print("\n" + text, flush=True)
    if args.cases:
        out = BENCH / "out" / "startup.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        print(f"A subset of the cases: {out} only (bench/results and docs untouched).")
        return 0
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "startup.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    (RESULTS / "startup.md").write_text(PREAMBLE + text, encoding="utf-8")
    update_doc(text)
    return 0


def uncompiled(roots: list[Path], stale_paths: set[Path] | None = None) -> dict[str, Any]:
    """How many .py files have no up-to-date bytecode, per folder."""
    stale_paths = set(bytecode.stale(roots)) if stale_paths is None else stale_paths
    found = {}
    for root in roots:
        every = list(bytecode.sources(root))
        stale = sorted(p for p in stale_paths if root in p.parents)
        started = time.perf_counter()
        for path in stale:  # what a process importing them all pays to compile them
            compile(path.read_bytes(), str(path), "exec", dont_inherit=True)
        found[_name(root)] = {"modules": len(every), "without_bytecode": len(stale),
                              "compile_ms": round((time.perf_counter() - started) * 1000, 1),
                              "examples": [str(p.relative_to(root)) for p in stale[:5]]}
    return found


def _source(cached: Path) -> Path | None:
    try:
        return Path(importlib.util.source_from_cache(str(cached)))
    except ValueError:
        return None


def by_folder(paths: list[Path], roots: list[Path]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for path in paths:
        root = next((r for r in roots if r in path.parents), None)
        key = _name(root) if root else str(path.parent)
        if root and root.name == "site-packages":
            key += "/" + path.relative_to(root).parts[0]
        counts[key] = counts.get(key, 0) + 1
    return counts


def _name(root: Path) -> str:
    return "site-packages" if root.name == "site-packages" else str(root.relative_to(REPO))


def judged(case: Case, with_set: dict[str, Any], unset: dict[str, Any], rows: int) -> dict[str, Any]:
    found: dict[str, Any] = {"what": case.what.format(rows=rows), "target_s": case.target_s,
                             "before_issue_22": case.before, "set": with_set, "unset": unset}
    if "best_s" in with_set and "best_s" in unset:
        ratio = with_set["best_s"] / unset["best_s"]
        found.update(ratio_best=round(ratio, 3), ratio_median=round(with_set["median_s"] / unset["median_s"], 3),
                     differs=abs(ratio - 1) > DIFFERENCE)
        if case.target_s is not None:
            found["met"] = max(with_set["best_s"], unset["best_s"]) <= case.target_s
    return found


def busy(load: dict[str, Any]) -> bool:
    """Other work on the machine: a load average of 1 or more before the run began (half of two
    cores), or one beyond what the benchmark itself adds (about one process at a time) during it."""
    return load["before"][0] >= 1.0 or load["during_mean"] >= 1.8


def machine() -> dict[str, Any]:
    return {"cpus": os.cpu_count(), "python": platform.python_version(),
            "memory_gb": round(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2**30)}


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=True).stdout.rstrip()
    except (OSError, subprocess.CalledProcessError):
        return ""


# --- the report -----------------------------------------------------------------------------------


def _cell(figures: dict[str, Any]) -> str:
    if "error" in figures:
        return "failed"
    return f"{figures['best_s']:.2f} s ({figures['median_s']:.2f})"


def _target(seconds: float | None) -> str:
    return "—" if seconds is None else f"≤ {seconds:g} s"


def above_floor(cases: dict[str, Any]) -> list[str]:
    """What the flow commands cost above the empty flow's floor, with the variable (best times)."""
    floor = cases.get("floor: empty flow", {}).get("set", {}).get("best_s")
    if floor is None:
        return []
    found = [f"`{case_id}` {cases[case_id]['set']['best_s'] - floor:+.2f} s"
             for case_id in ("validate", "validate 100k") if "best_s" in cases.get(case_id, {}).get("set", {})]
    return [f"Above the empty flow's floor ({floor:.2f} s), with the variable: " + ", ".join(found) + "."] if found else []


def report(result: dict[str, Any]) -> str:
    load = result["load"]
    lines = [
        f"Measured {result['measured_at'][:16].replace('T', ' ')} UTC at {result['commit']}"
        + (f" (with uncommitted changes to the product: {', '.join(m[3:] for m in result['modified'])})"
           if result["modified"] else "")
        + f", on {result['machine']['cpus']} cores: best of {result['repeat']} after a warm-up, the median in "
        "brackets; each a new process from spawn to exit.",
        "",
        f"Load average (1, 5, 15 min) before the run: {', '.join(f'{x:.2f}' for x in load['before'])}; "
        f"during it (1 min, every 2 s): mean {load['during_mean']:.2f}, max {load['during_max']:.2f}; "
        f"after: {', '.join(f'{x:.2f}' for x in load['after'])}. The last column is the 1-minute load when each "
        "case began, with the variable and without.",
        "",
    ]
    if result["busy"]:
        lines += ["**The machine was busy**: other work ran on the same two cores during the run (the benchmark "
                  "itself adds about 1 to the load), so these seconds are high and uneven; they will be taken again "
                  "on a quiet machine.", ""]
    lines += [
        "| what | `PYTHONDONTWRITEBYTECODE=1` | unset | ratio | target | met? | issue 22, before | load |",
        "|---|---:|---:|---:|---:|---|---:|---:|",
    ]
    flagged = []
    for case_id, found in result["cases"].items():
        ratio = f"{found['ratio_best']:.2f}" if "ratio_best" in found else ""
        if found.get("differs"):
            ratio = f"**{ratio}**"
            flagged.append(case_id)
        met = "" if "met" not in found else ("met" if found["met"] else "missed")
        loads = " / ".join(f"{found[v].get('load_at_start', 0):.1f}" for v in VARIANTS)
        lines.append(f"| {found['what']} | {_cell(found['set'])} | {_cell(found['unset'])} | {ratio} | "
                     f"{_target(found['target_s'])} | {met} | {found['before_issue_22'] or '—'} | {loads} |")
    lines.append("")
    lines.append("The ratio is set ÷ unset of the best times; \"met\" when both are within the target.")
    lines += above_floor(result["cases"])
    if flagged:
        lines.append(f"**Differ by more than {DIFFERENCE:.0%}** with and without the variable: "
                     + ", ".join(f"`{c}`" for c in flagged)
                     + (" (on a machine this busy, a difference may be the load's: see the bytecode below)."
                        if result["busy"] else "."))
    else:
        lines.append(f"No command differs by more than {DIFFERENCE:.0%} with and without the variable.")
    failed = {c: f["set"].get("error") or f["unset"].get("error") for c, f in result["cases"].items()
              if "error" in f["set"] or "error" in f["unset"]}
    for case_id, error in failed.items():
        lines.append(f"`{case_id}` failed: {error.splitlines()[0]}")
    lines.append("")
    before = result["bytecode_before"]
    site = before.get("site-packages", {})
    project = [(name, f) for name, f in before.items() if name != "site-packages"]
    lines.append(
        f"Bytecode when the run began: site-packages {site.get('without_bytecode', 0)} of {site.get('modules', 0)} "
        "modules without up-to-date bytecode; the project's own source (an editable install, which `uv sync` "
        "does not compile) " + ", ".join(f"`{name}` {f['without_bytecode']} of {f['modules']}" for name, f in project)
        + f", {sum(f['compile_ms'] for _, f in project):.0f} ms to compile them all (the most a command pays for "
        "them with the variable set).")
    unset, removed = result["bytecode_written"]["unset"], result["bytecode_removed"]
    shown_folders = ", ".join(f"{k} {v}" for k, v in unset["by_folder"].items())
    lines.append(
        f"Without the variable, the commands wrote {unset['files']} bytecode files" + (f" ({shown_folders})" if shown_folders else "")
        + (f"; {removed['files']} of them removed after the block that wrote them, before the next block with the "
           "variable, so that none helped it" if removed["files"] else "")
        + (f" ({removed['hook_caches']} of them beartype's claw's own cache, `*.opt-beartype*.pyc`: Prefect's "
           "server imports `key_value` through `docket`, which beartype instruments at import, a cache `uv sync` "
           "cannot write)" if removed["hook_caches"] else "")
        + f". With the variable they wrote {result['bytecode_written']['set']['files']}.")
    served = result["cases"].get("served run", {}).get("set", {})
    if "median_to_completed_s" in served:
        lines.append("")
        lines.append(
            f"Served run (`PYTHONDONTWRITEBYTECODE=1`), medians: RUNNING {served.get('median_polled_to_running_s', 0):.2f} s "
            f"after its creation as polled ({served.get('median_to_running_s', 0):.2f} s as the server recorded it), "
            f"COMPLETED {served['median_to_completed_s']:.2f} s as the server recorded it; the runner polls every "
            "second (flows/serve.py).")
    return "\n".join(lines) + "\n"


def update_doc(text: str) -> None:
    """Replace docs/performance.md's section between the markers with the new figures."""
    content = DOC.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.S)
    if not pattern.search(content):
        print(f"{DOC} has no {BEGIN} ... {END}: the doc is not updated.", file=sys.stderr)
        return
    DOC.write_text(pattern.sub(lambda _: f"{BEGIN}\n{text}{END}", content, count=1), encoding="utf-8")
    print(f"Updated {DOC.relative_to(REPO)} and bench/results/startup.{{json,md}}.")


if __name__ == "__main__":
    sys.exit(main())
