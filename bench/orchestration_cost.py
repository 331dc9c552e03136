"""What orchestration costs a `validate` of a 10-row file, and what the tool adds on top of Prefect.

    .venv/bin/python bench/orchestration_cost.py [--repeat 5] [--rows 10]

Measured in one run, each case a fresh process timed from spawn to exit (median of --repeat
rounds, the cases interleaved within a round; one warm-up round first, not counted):

  (a) `enrollment-migrate validate FILE --json` with no Prefect server configured: Prefect starts
      a temporary server for the process (PREFECT_HOME kept between runs, as a user's is);
  (b) the same command against a running local server (PREFECT_API_URL, 127.0.0.1);
  (c) the engine alone, no Prefect: load_template + check_file on the same file and warehouse;
  (d) Prefect alone: `import prefect`; an empty flow run; and a flow shaped like `validate` (one
      `file` parameter, four empty tasks), without and with the server.

Then, against the server: a phase timeline of one CLI run (interpreter start, imports, Prefect's
flow-run set-up, each task's own code vs its task run, the flow's end, exit); the modules the CLI
imports that Prefect itself does not (python -X importtime); and the proposals, each measured as
an A/B of the same in-process CLI run with and without the change applied by monkeypatching
(nothing in the tool's source is changed). Figures go to bench/out/orchestration_cost.json.

The server this starts (temporary PREFECT_HOME, a free port on 127.0.0.1) is stopped at the end,
also on Ctrl-C or an error.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "bench" / "out"
PY = sys.executable
CLI = str(Path(PY).with_name("enrollment-migrate"))
IMPORT_DATE = "2025-01-15"


# ----------------------------------------------------------------------------------------------
# Child processes: `python bench/orchestration_cost.py --child KIND ...`
# ----------------------------------------------------------------------------------------------


def child_engine(db: str, file: str) -> None:
    """(c): the engine alone, in-process; prints its own timings as JSON."""
    t0 = time.perf_counter()
    import datetime as dt

    from enrollment_migrate import engine, warehouse
    from enrollment_migrate.template_file import load_template

    t1 = time.perf_counter()
    template = load_template(file)
    t2 = time.perf_counter()
    with warehouse.connect(db) as con:
        t3 = time.perf_counter()
        result = engine.check_file(template, con, engine.RunOptions(dt.date.fromisoformat(IMPORT_DATE)))
        t4 = time.perf_counter()
    t5 = time.perf_counter()
    print(json.dumps({
        "imports_s": t1 - t0, "load_template_s": t2 - t1, "open_warehouse_s": t3 - t2,
        "check_file_s": t4 - t3, "close_warehouse_s": t5 - t4, "engine_s": (t2 - t1) + (t4 - t3),
        "state": result.state, "rows": result.counts.rows,
    }))


def child_prefect(shape: str) -> None:
    """(d): Prefect alone: import only, an empty flow, or a flow shaped like validate."""
    import prefect

    if shape == "import":
        return
    if shape == "empty":
        @prefect.flow(name="empty")
        def empty() -> None:
            return None

        empty()
        return

    @prefect.task
    def step(n: int) -> int:
        return n

    @prefect.flow(name="validate-shaped", flow_run_name="shaped {file}")
    def shaped(file: str) -> int:
        return sum(step(n) for n in range(4))

    if shape == "shaped-no-heartbeat":
        from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

        with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
            shaped(file="data/sample/migration.csv")
    else:
        shaped(file="data/sample/migration.csv")


def child_cli(timeline: str | None, patches: list[str], cli_args: list[str]) -> None:
    """The CLI in-process, with phase marks and, optionally, proposals applied as patches
    (`--child cli [--timeline FILE] [no-...] :: CLI ARGS`)."""
    import atexit
    import functools
    import types

    marks: list[tuple[str, float]] = [("child start", time.perf_counter())]

    def mark(name: str) -> None:
        marks.append((name, time.perf_counter()))

    exit_code: list[object] = [0]
    if "no-teardown" in patches:
        import logging

        def exit_now() -> None:
            # Registered first, so it runs last: Prefect has drained its events and logs (its
            # services drain at thread shutdown, before atexit) and the other exit handlers have
            # run; what is skipped is the interpreter's module-by-module teardown.
            logging.shutdown()
            sys.stdout.flush()
            sys.stderr.flush()
            code = exit_code[0]
            os._exit(code if isinstance(code, int) else 0 if code is None else 1)

        atexit.register(exit_now)

    if "no-hypothesis" in patches:
        sys.modules["hypothesis"] = None  # as installed without the [test] extra: pandera skips it

    import prefect  # noqa: F401

    mark("import prefect")
    from enrollment_migrate import cli

    mark("import cli (typer, rich)")
    from flows import tasks, validate

    mark("import flows.validate (polars, duckdb, pandera, the tool)")

    def wrap(owner: object, attr: str, label: str) -> None:
        inner = getattr(owner, attr, None)
        if inner is None:
            return

        def timed(*args, **kwargs):
            mark(f"{label} >")
            try:
                return inner(*args, **kwargs)
            finally:
                mark(f"{label} <")

        if isinstance(inner, types.FunctionType):
            # the wrapped function's own globals, so that Prefect resolves its string annotations
            timed = types.FunctionType(timed.__code__, inner.__globals__, inner.__name__,
                                       None, timed.__closure__)
        setattr(owner, attr, functools.update_wrapper(timed, inner))

    for name in ("load", "check", "split", "report"):
        wrap(getattr(tasks, name), "fn", f"task {name}")
    wrap(validate.validate_flow, "fn", "flow body")
    wrap(validate, "preflight", "preflight")
    wrap(validate, "plan", "plan")
    wrap(tasks, "_create_artifacts", "artifacts")
    progress = getattr(tasks, "Progress", None)
    if progress is not None:
        wrap(progress, "__init__", "progress artifact")
        wrap(progress, "step_done", "progress update")
    wrap(cli, "_run_flow", "Prefect flow call")

    if "no-heartbeat" in patches:
        from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

        run_flow = cli._run_flow

        def without_heartbeat(*args, **kwargs):
            with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
                return run_flow(*args, **kwargs)

        cli._run_flow = without_heartbeat
    if "no-preflight-portal-query" in patches:
        # the portal check that check_file makes again (PortalNotLoaded): the file checks only
        from enrollment_migrate import runs

        def file_checks_only(file: str, db: Path) -> None:
            path = Path(file)
            if not path.is_file():
                raise runs.CannotRun(f"{file}: no such file")
            path.open("rb").close()

        validate.preflight = file_checks_only
    if "no-progress-artifact" in patches and progress is not None:
        progress.__init__ = lambda self, steps: None
        progress.step_done = lambda self: None

    def write_marks() -> None:  # registered first, so it runs after Prefect's own exit handlers
        mark("after Prefect's exit handlers")
        if timeline:
            Path(timeline).write_text(json.dumps(marks))

    atexit.register(write_marks)
    sys.argv = ["enrollment-migrate", *cli_args]
    try:
        cli.main()
    except SystemExit as exit:
        exit_code[0] = exit.code
        raise


# ----------------------------------------------------------------------------------------------
# The parent
# ----------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers(url: str) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"{url}/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


class LocalServer:
    """A Prefect server on 127.0.0.1 for the benchmark, in a session of its own."""

    def __init__(self, home: Path, env: dict[str, str]):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/api"
        home.mkdir(parents=True, exist_ok=True)
        self.log = (home / "server.log").open("w")
        t0 = time.perf_counter()
        self.process = subprocess.Popen(
            [PY, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(self.port),
             "--analytics-off"],
            env={**env, "PREFECT_HOME": str(home)}, stdin=subprocess.DEVNULL, stdout=self.log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )
        while not answers(self.url):
            if self.process.poll() is not None or time.perf_counter() - t0 > 180:
                self.stop()
                raise SystemExit(f"The Prefect server did not start; see {home / 'server.log'}")
            time.sleep(0.2)
        self.start_s = time.perf_counter() - t0

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


def timed(command: list[str], env: dict[str, str], expect: int = 0) -> tuple[float, str]:
    t0 = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - t0
    if done.returncode != expect:
        raise SystemExit(f"{' '.join(command)} exited {done.returncode}:\n{done.stderr[-3000:]}")
    return seconds, done.stdout


def summary_of(seconds: list[float]) -> dict[str, float]:
    return {"median_s": statistics.median(seconds), "min_s": min(seconds), "max_s": max(seconds),
            "n": len(seconds)}


def prepare(work: Path, rows: int) -> tuple[Path, Path, Path]:
    """A `rows`-row migration file cut from the sample, and a warehouse with the sample portal."""
    sample = REPO / "data" / "sample"
    lines = (sample / "migration.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    if len(lines) - 1 < rows:
        raise SystemExit(f"the sample has only {len(lines) - 1} rows")
    file = work / f"migration-{rows}.csv"
    file.write_text("".join(lines[: rows + 1]), encoding="utf-8")
    db, reports = work / "warehouse" / "warehouse.duckdb", work / "reports"
    sys.path.insert(0, str(REPO))
    from flows.portal import portal_load_flow  # the flow's function, without Prefect's engine

    portal_load_flow.fn(users=str(sample / "portal_users.csv"), courses=str(sample / "portal_courses.csv"),
                        enrollments=str(sample / "portal_enrollments.csv"), db=str(db))
    return file, db, reports


def timeline_phases(marks: list[tuple[str, float]], spawned: float, exited: float) -> list[dict[str, object]]:
    """Consecutive marks as phases; the gaps inside the flow body are Prefect's task-run cost."""
    points = [("spawn", spawned), *marks, ("process exit", exited)]
    phases = []
    for (name0, t0), (name1, t1) in itertools.pairwise(points):
        phases.append({"from": name0, "to": name1, "ms": round((t1 - t0) * 1000, 1)})
    return phases


def describe_phase(frm: str, to: str) -> str:
    named = {
        ("spawn", "child start"): "interpreter start-up",
        ("child start", "import prefect"): "import prefect",
        ("import prefect", "import cli (typer, rich)"): "import the CLI (typer, rich)",
        ("import cli (typer, rich)", "import flows.validate (polars, duckdb, pandera, the tool)"):
            "import the flows (polars, duckdb, pandera, the tool)",
        ("Prefect flow call >", "flow body >"): "Prefect: flow run set-up (API calls)",
        ("flow body <", "Prefect flow call <"): "Prefect: flow run end (final state, heartbeat thread)",
        ("after Prefect's exit handlers", "process exit"): "interpreter teardown",
    }
    if (frm, to) in named:
        return named[(frm, to)]
    if frm.endswith(" >") and to == frm[:-2] + " <":
        return f"{frm[:-2]}: its own code"
    if to == "after Prefect's exit handlers":
        return "print the summary; Prefect's exit handlers (events, logs)"
    if frm.startswith("task ") and frm.endswith(" <") or to.startswith("task ") and to.endswith(" >"):
        return f"Prefect task-run cost ({frm} -> {to})"
    return f"{frm} -> {to}"


def measure_imports(env: dict[str, str], cli_args: list[str], work: Path) -> dict[str, object]:
    """Modules the CLI run imports beyond those of `import prefect` and a flow run with a
    parameter; -X importtime self times (inflated by the measurement, so read them as shares)."""
    import re

    def importtime(args: list[str]) -> dict[str, tuple[int, int, int]]:
        done = subprocess.run([PY, "-X", "importtime", *args], env=env, cwd=REPO,
                              capture_output=True, text=True, check=True)
        found: dict[str, tuple[int, int, int]] = {}
        for line in done.stderr.splitlines():
            m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
            if m and m[4] not in found:
                found[m[4]] = (int(m[1]), int(m[2]), len(m[3]) // 2)
        return found

    run_cli = ("import sys; sys.argv = ['enrollment-migrate', *sys.argv[1:]]; "
               "from enrollment_migrate.cli import main; main()")
    cli_modules = importtime(["-c", run_cli, *cli_args])
    prefect_modules = importtime([str(Path(__file__)), "--child", "prefect", "shaped"])
    extra: dict[str, int] = {}
    for name, (self_us, _cum, _depth) in cli_modules.items():
        if name not in prefect_modules:
            top = name.split(".")[0]
            extra[top] = extra.get(top, 0) + self_us
    total_cli = sum(v[0] for v in cli_modules.values())
    total_prefect = sum(v[0] for v in prefect_modules.values())
    return {
        "cli_all_imports_ms": round(total_cli / 1000, 1),
        "prefect_flow_imports_ms": round(total_prefect / 1000, 1),
        "imports_the_tool_adds_ms": round(sum(extra.values()) / 1000, 1),
        "by_package_ms": {k: round(v / 1000, 1) for k, v in sorted(extra.items(), key=lambda kv: -kv[1])
                          if v >= 2000},
    }


def measure_import(env: dict[str, str], before: str, statement: str, repeat: int) -> float:
    """Median seconds of `statement` in a process that has already run `before`."""
    code = (f"{before}\nimport time\nt = time.perf_counter()\n{statement}\n"
            "print(time.perf_counter() - t)")
    values = []
    for _ in range(repeat):
        done = subprocess.run([PY, "-c", code], env=env, cwd=REPO, capture_output=True, text=True, check=True)
        values.append(float(done.stdout.strip().splitlines()[-1]))
    return statistics.median(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rows", type=int, default=10)
    parser.add_argument("--ab-repeat", type=int, default=11, help="rounds of the proposals' A/B")
    parser.add_argument("--child", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "engine":
            child_engine(*rest)
        elif kind == "prefect":
            child_prefect(*rest)
        elif kind == "cli":
            split = rest.index("::")
            options, cli_args = rest[:split], rest[split + 1:]
            timeline = options[options.index("--timeline") + 1] if "--timeline" in options else None
            child_cli(timeline, [o for o in options if o.startswith("no-")], cli_args)
        return

    work = Path(tempfile.mkdtemp(prefix="orchestration-cost-"))
    base = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    base.update(DO_NOT_TRACK="1", PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_LOGGING_LEVEL="WARNING",
                PREFECT_HOME=str(work / "prefect-home"), PYTHONPATH=str(REPO))
    file, db, reports = prepare(work, args.rows)
    cli_args = ["--db", str(db), "--reports", str(reports), "validate", str(file), "--import-date", IMPORT_DATE, "--json"]
    me = str(Path(__file__))
    print(f"work folder {work}; {args.rows}-row file; {args.repeat} rounds after a warm-up", file=sys.stderr)

    server = LocalServer(work / "server-home", base)
    results: dict[str, object] = {"rows": args.rows, "repeat": args.repeat, "server_start_s": server.start_s,
                                  "command": f"{CLI} {' '.join(cli_args)}"}
    try:
        served = {**base, "PREFECT_API_URL": server.url}
        cases = {
            "a_cli_no_server": ([CLI, *cli_args], base),
            "b_cli_running_server": ([CLI, *cli_args], served),
            "c_engine_alone_process": ([PY, me, "--child", "engine", str(db), str(file)], base),
            "d_import_prefect": ([PY, me, "--child", "prefect", "import"], base),
            "d_empty_flow_no_server": ([PY, me, "--child", "prefect", "empty"], base),
            "d_empty_flow_running_server": ([PY, me, "--child", "prefect", "empty"], served),
            "d_validate_shaped_flow_no_server": ([PY, me, "--child", "prefect", "shaped"], base),
            "d_validate_shaped_flow_running_server": ([PY, me, "--child", "prefect", "shaped"], served),
            "d_validate_shaped_flow_running_server_no_heartbeat":
                ([PY, me, "--child", "prefect", "shaped-no-heartbeat"], served),
            "python_start_up": ([PY, "-c", "pass"], base),
        }
        seconds: dict[str, list[float]] = {name: [] for name in cases}
        engine_inner: list[dict[str, float]] = []
        first_no_server = None
        for round_ in range(args.repeat + 1):
            for name, (command, env) in cases.items():
                s, out = timed(command, env)
                if name == "a_cli_no_server" and first_no_server is None:
                    first_no_server = s
                    summary = json.loads(out)
                    assert summary["state"] == "valid" and summary["rows"] == args.rows, summary
                if round_ == 0:
                    continue  # warm-up: caches, the temporary server's database, .pyc files
                seconds[name].append(s)
                if name == "c_engine_alone_process":
                    engine_inner.append(json.loads(out))
            print(f"round {round_} done", file=sys.stderr)
        results["first_cli_run_no_server_fresh_prefect_home_s"] = first_no_server
        results["cases"] = {name: summary_of(values) for name, values in seconds.items()}
        results["engine_in_process"] = {
            key: statistics.median(r[key] for r in engine_inner)
            for key in ("imports_s", "load_template_s", "open_warehouse_s", "check_file_s", "engine_s")
        }

        # The timeline of a CLI run against the server: each phase's median over --repeat runs.
        timelines = []
        for i in range(args.repeat):
            marks_file = work / f"timeline-{i}.json"
            t0 = time.perf_counter()
            timed([PY, me, "--child", "cli", "--timeline", str(marks_file), "::", *cli_args], served)
            t1 = time.perf_counter()
            timelines.append(timeline_phases(json.loads(marks_file.read_text()), t0, t1))
        shapes = {tuple((p["from"], p["to"]) for p in phases) for phases in timelines}
        if len(shapes) != 1:
            raise SystemExit(f"the runs' phases differ: {shapes}")
        phases = [
            {**first, "ms": round(statistics.median(run[i]["ms"] for run in timelines), 1),
             "what": describe_phase(first["from"], first["to"])}
            for i, first in enumerate(timelines[0])
        ]
        results["timeline_running_server"] = {"total_ms_median": round(sum(p["ms"] for p in phases)),
                                              "phases": phases}

        # The heartbeat thread's join adds 0-1 s at random to every flow run, so the other
        # proposals are measured on top of "heartbeat off", where that noise is gone.
        quiet = ["no-heartbeat"]
        variants = {
            "as is": [],
            "heartbeat off": quiet,
            "heartbeat off + exit without the interpreter's teardown": [*quiet, "no-teardown"],
            "heartbeat off + no preflight portal query (check_file makes it)": [*quiet, "no-preflight-portal-query"],
            "heartbeat off + no progress artifact (small file)": [*quiet, "no-progress-artifact"],
            "heartbeat off + hypothesis not installed (pandera skips it)": [*quiet, "no-hypothesis"],
            "all of the above": [*quiet, "no-teardown", "no-preflight-portal-query", "no-progress-artifact",
                                 "no-hypothesis"],
        }
        ab: dict[str, list[float]] = {name: [] for name in variants}
        inside: dict[str, list[float]] = {name: [] for name in variants}  # child start -> exit handlers
        marks_file = work / "ab.json"
        for _ in range(args.ab_repeat + 1):
            for name, patches in variants.items():
                marks_file.unlink(missing_ok=True)
                s, _out = timed([PY, me, "--child", "cli", "--timeline", str(marks_file), *patches, "::",
                                 *cli_args], served)
                ab[name].append(s)
                marks = json.loads(marks_file.read_text()) if marks_file.exists() else None
                inside[name].append(marks[-1][1] - marks[0][1] if marks else float("nan"))
        ab = {name: values[1:] for name, values in ab.items()}  # the first round warms up
        inside = {name: values[1:] for name, values in inside.items()}
        med = {name: statistics.median(values) for name, values in ab.items()}
        med_in = {name: statistics.median(values) for name, values in inside.items()}

        def reference(name: str) -> str:
            return "heartbeat off" if name.startswith("heartbeat off +") else "as is"

        results["proposals_running_server"] = {
            name: {**summary_of(values),
                   "gain_ms": round((med[reference(name)] - med[name]) * 1000),
                   "in_process_median_s": med_in[name],
                   "in_process_gain_ms": round((med_in[reference(name)] - med_in[name]) * 1000),
                   "gain_vs": reference(name)}
            for name, values in ab.items()
        }
        results["import_costs_ms"] = {
            "rich tables, after typer (cli imports them for the human output; --json does not need them)":
                round(1000 * measure_import(base, "import typer", "import rich.columns, rich.table, rich.console",
                                            args.repeat), 1),
            "enrollment_migrate.apply, after the rest of flows.tasks (validate never applies)":
                round(1000 * measure_import(base, "import polars, duckdb, pandera.polars\n"
                                            "import enrollment_migrate.engine, enrollment_migrate.publish, "
                                            "enrollment_migrate.reports, enrollment_migrate.runs",
                                            "import enrollment_migrate.apply", args.repeat), 1),
            "hypothesis, imported by pandera's polars checks when installed (the [test] extra)":
                round(1000 * (measure_import(base, "import pandera.polars", "import pandera.backends.polars.builtin_checks",
                                             args.repeat)
                              - measure_import(base, "import sys\nsys.modules['hypothesis'] = None\nimport pandera.polars",
                                               "import pandera.backends.polars.builtin_checks", args.repeat)), 1),
            "Prefect's lazy set-up (prefect.main: logging configuration) on the first `from prefect import flow`":
                round(1000 * measure_import(base, "import prefect", "from prefect import flow", args.repeat), 1),
            "fastapi (Prefect imports it to serialise any flow parameter)":
                round(1000 * measure_import(base, "import prefect", "import fastapi.encoders", args.repeat), 1),
        }
        results["imports_running_server"] = measure_imports(served, cli_args, work)
    finally:
        server.stop()

    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "orchestration_cost.json").write_text(json.dumps(results, indent=2))
    report(results)


def report(r: dict[str, object]) -> None:
    c = r["cases"]

    def ms(name: str) -> str:
        return f"{c[name]['median_s'] * 1000:7.0f} ms"

    print(f"\nvalidate of a {r['rows']}-row file, median of {r['repeat']} (fresh process each):")
    print(f"  (a) CLI, no server (temporary server)   {ms('a_cli_no_server')}"
          f"   (first run with a fresh PREFECT_HOME: {r['first_cli_run_no_server_fresh_prefect_home_s'] * 1000:.0f} ms)")
    print(f"  (b) CLI, running local server           {ms('b_cli_running_server')}")
    e = r["engine_in_process"]
    print(f"  (c) engine alone, process               {ms('c_engine_alone_process')}"
          f"   (in-process: load_template {e['load_template_s'] * 1000:.0f} ms + check_file "
          f"{e['check_file_s'] * 1000:.0f} ms; imports {e['imports_s'] * 1000:.0f} ms)")
    print(f"  (d) python -c pass                      {ms('python_start_up')}")
    print(f"      import prefect                      {ms('d_import_prefect')}")
    print(f"      empty flow, no server               {ms('d_empty_flow_no_server')}")
    print(f"      empty flow, running server          {ms('d_empty_flow_running_server')}")
    print(f"      validate-shaped flow, no server     {ms('d_validate_shaped_flow_no_server')}"
          "   (1 parameter, 4 empty tasks)")
    print(f"      validate-shaped flow, running server{ms('d_validate_shaped_flow_running_server')}")
    print(f"      the same, heartbeat thread off      {ms('d_validate_shaped_flow_running_server_no_heartbeat')}")
    p = r["proposals_running_server"]
    added = p["heartbeat off"]["median_s"] - c["d_validate_shaped_flow_running_server_no_heartbeat"]["median_s"]
    print(f"  the tool on top of the same-shaped Prefect flow (running server, heartbeat off on both "
          f"sides): {added * 1000:.0f} ms")
    print(f"\ntimeline of a CLI run against the server, median of each phase (sum "
          f"{r['timeline_running_server']['total_ms_median']} ms):")
    for phase in r["timeline_running_server"]["phases"]:
        print(f"  {phase['ms']:7.1f} ms  {phase['what']}")
    print("\nproposals, A/B against the server, median of each: the process's wall time and its gain;"
          "\nthe time inside the process (start to exit handlers: no start-up, no teardown) and its gain"
          "\n(gain vs 'as is', or vs 'heartbeat off' for the '+' lines):")
    for name, v in r["proposals_running_server"].items():
        print(f"  {v['median_s'] * 1000:7.0f} ms {v['gain_ms']:+5d} ms | {v['in_process_median_s'] * 1000:7.0f} ms "
              f"{v['in_process_gain_ms']:+5d} ms  {name}")
    print("\nimport costs (median, in a warm process):")
    for name, value in r["import_costs_ms"].items():
        print(f"  {value:7.1f} ms  {name}")
    i = r["imports_running_server"]
    print("\n(-X importtime counts Prefect's lazy set-up, run by the first `from prefect import task` in"
          " flows/tasks.py, as self time of `flows`)")
    print(f"-X importtime: the CLI run imports {i['cli_all_imports_ms']:.0f} ms of modules, a validate-shaped "
          f"Prefect flow {i['prefect_flow_imports_ms']:.0f} ms; the tool adds {i['imports_the_tool_adds_ms']:.0f} ms:")
    for name, value in i["by_package_ms"].items():
        print(f"  {value:7.1f} ms  {name}")
    print(f"\nfigures: {OUT / 'orchestration_cost.json'}")


if __name__ == "__main__":
    main()
