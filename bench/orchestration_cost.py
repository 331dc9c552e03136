"""What orchestration costs a small `validate`, from the command line and from a served deployment.

    .venv/bin/python bench/orchestration_cost.py [--repeat 5] [--rows 10]

Each command is a fresh process timed from spawn to exit (median of --repeat rounds, one
warm-up round first), with a PREFECT_HOME of its own that is removed at the end:

- `local server`: `enrollment-migrate validate FILE --json` as a user runs it, reporting to the
  local Prefect server (flows/local_server.py), already running;
- `first command`: the same when no server runs yet (it starts one: once per idle period);
- `temporary server`: the same with ENROLLMENT_MIGRATE_LOCAL_SERVER=off, Prefect's temporary
  server inside the process, as every command paid before the local server;
- `import prefect`: the floor under any command that runs a flow.

Where the time of one command goes is read from what the run itself recorded on the server (the
flow run's and its task runs' start and end times), not from wrappers around the code.

Served runs: `python -m flows.serve --local-server` serves the deployments against the same
server; a `validate` deployment run is created through the API and timed to RUNNING (the runner
noticing it) and to COMPLETED, once with the runner polling every 2 s (the default of
flows/serve.py) and once every 1 s. Figures go to bench/out/orchestration_cost.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
OUT = REPO / "bench" / "out"
PY = sys.executable
CLI = str(Path(PY).with_name("enrollment-migrate"))
IMPORT_DATE = "2025-01-15"
SAMPLE = REPO / "data" / "sample"


def timed(command: list[str], env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, cwd=REPO)
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return seconds, done.stdout


def median(values: list[float]) -> float:
    return round(statistics.median(values), 3)


def prepared(work: Path, rows: int, env: dict[str, str]) -> list[str]:
    """A `rows`-row file cut from the sample and a warehouse holding the sample portal; the
    validate command's arguments."""
    lines = (SAMPLE / "migration.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    file = work / f"migration-{rows}.csv"
    file.write_text("".join(lines[: rows + 1]), encoding="utf-8")
    db = ["--db", str(work / "warehouse.duckdb"), "--reports", str(work / "reports")]
    subprocess.run([CLI, *db, "portal", "load", "--users", str(SAMPLE / "portal_users.csv"),
                    "--courses", str(SAMPLE / "portal_courses.csv")], env=env, check=True, capture_output=True)
    return [*db, "validate", str(file), "--import-date", IMPORT_DATE, "--json"]


def recorded_spans(api_url: str, run_id: str) -> dict[str, object]:
    """The flow run of a validate (found by its run id, which names its report folder) and its
    task runs, as the server recorded them: seconds from the flow run's start."""
    os.environ["PREFECT_API_URL"] = api_url
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
    from prefect.client.schemas.sorting import FlowRunSort

    with get_client(sync_client=True) as client:
        flow_run = next(r for r in client.read_flow_runs(sort=FlowRunSort.START_TIME_DESC, limit=20)
                        if r.name.startswith("validate") and r.state and r.state.is_completed())
        tasks = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run.id])))
    start = flow_run.start_time
    spans = {"flow run": round((flow_run.end_time - start).total_seconds(), 3)}
    for task in sorted(tasks, key=lambda t: t.start_time or start):
        if task.start_time and task.end_time:
            spans[f"task {task.name.rsplit('-', 1)[0]}"] = round((task.end_time - task.start_time).total_seconds(), 3)
    return {"run_id": run_id, "seconds": spans}


def served_latency(env: dict[str, str], api_url: str, db_args: list[str], poll: int, repeat: int) -> dict[str, float]:
    """Runs of the `validate` deployment, created through the API: seconds to RUNNING and to
    COMPLETED, with the runner polling every `poll` seconds."""
    from prefect.client.orchestration import get_client

    serving = subprocess.Popen([PY, "-m", "flows.serve", "--local-server"], cwd=REPO,
                               env={**env, "PREFECT_RUNNER_POLL_FREQUENCY": str(poll)},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    parameters = {"file": str(SAMPLE / "migration.csv"), "db": db_args[1], "reports_dir": db_args[3],
                  "options": {"import_date": IMPORT_DATE}}
    to_running, to_completed = [], []
    try:
        with get_client(sync_client=True) as client:
            deadline = time.monotonic() + 120
            while True:
                try:
                    deployment = client.read_deployment_by_name("validate/validate")
                    break
                except Exception:  # noqa: BLE001 - not served yet
                    if time.monotonic() > deadline or serving.poll() is not None:
                        raise SystemExit("flows.serve did not register the deployments") from None
                    time.sleep(0.5)
            time.sleep(poll + 1)  # the runner's first poll
            for _ in range(repeat + 1):  # the first is a warm-up
                created = time.perf_counter()
                run = client.create_flow_run_from_deployment(deployment.id, parameters=parameters)
                running = None
                while True:
                    state = client.read_flow_run(run.id).state
                    if running is None and state.is_running():
                        running = time.perf_counter() - created
                    if state.is_final():
                        break
                    time.sleep(0.05)
                if not state.is_completed():
                    raise SystemExit(f"the served run ended {state.type}: {state.message}")
                to_running.append(running if running is not None else float("nan"))
                to_completed.append(time.perf_counter() - created)
    finally:
        os.killpg(serving.pid, 2)  # Ctrl-C: stops serving; the server was not started by it
        serving.wait(timeout=60)
    return {"poll_s": poll, "to_running_s": median(to_running[1:]), "to_completed_s": median(to_completed[1:])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rows", type=int, default=10)
    args = parser.parse_args()

    from flows import local_server

    work = Path(tempfile.mkdtemp(prefix="orchestration-cost-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(DO_NOT_TRACK="1", PREFECT_LOGGING_LEVEL="WARNING", PREFECT_HOME=str(work / "prefect-home"),
               ENROLLMENT_MIGRATE_LOCAL_SERVER="on")
    os.environ.update(env)
    folder = local_server.home()
    results: dict[str, object] = {"rows": args.rows, "repeat": args.repeat}
    try:
        validate = [CLI, *prepared(work, args.rows, env)]  # the first command starts the server
        state = local_server.running(folder)
        commands = {
            "local server": (validate, env),
            "temporary server": (validate, {**env, "ENROLLMENT_MIGRATE_LOCAL_SERVER": "off"}),
            "import prefect": ([PY, "-c", "import prefect"], env),
        }
        seconds: dict[str, list[float]] = {name: [] for name in commands}
        for round_ in range(args.repeat + 1):
            for name, (command, case_env) in commands.items():
                took, out = timed(command, case_env)
                if round_:
                    seconds[name].append(took)
                if name == "local server":
                    last_run = json.loads(out)["run_id"]
        results["median_s"] = {name: median(values) for name, values in seconds.items()}
        results["local server"] = {"url": state.ui}
        results["where one command's time goes"] = recorded_spans(state.api_url, last_run)

        firsts = []
        for _ in range(max(1, args.repeat // 2)):
            local_server.stop(folder)
            firsts.append(timed(validate, env)[0])
        results["median_s"]["first command (starts the server)"] = median(firsts)

        db_args = validate[1:5]
        results["served"] = [served_latency(env, state.api_url if local_server.running(folder) else
                                            local_server.ensure(folder).api_url, db_args, poll, args.repeat)
                             for poll in (2, 1)]
    finally:
        local_server.stop(folder)
        shutil.rmtree(work, ignore_errors=True)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "orchestration_cost.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
