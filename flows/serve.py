"""Serve the project's deployments on this machine: `make server`, or `python -m flows.serve`.

`prefect.serve` runs the flow runs of these deployments as subprocesses of this process: no work
pool, no worker. Two ways to run it:

    python -m flows.serve --local-server [--port 4200]
        starts a Prefect server (SQLite in PREFECT_HOME, bound to 127.0.0.1 only, analytics
        off) in the background, waits until its API answers, serves the deployments against it
        and, on Ctrl-C (or SIGTERM, or the terminal closing), stops serving and then the server.

    PREFECT_API_URL=http://host:4200/api python -m flows.serve
        serves against a Prefect server that is already running.

    python -m flows.serve --stop
        stops a server that an earlier --local-server left behind (its process was killed).

Relative paths in the deployments' parameters (the migration file, the warehouse, the reports)
are taken from the project folder, which is where the flow runs start.

This module imports nothing heavy at import time: Prefect reads its settings when it is first
imported, so the server's address is put in the environment before that happens.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"  # loopback only: the server and its UI are never exposed on the network
DEFAULT_PORT = 4200
PID_FILE = "server.pid"  # the name `prefect server start --background` / `stop` use as well
LOG_FILE = "server.log"
START_TIMEOUT = 120.0  # the first start creates the SQLite database and migrates it

SAMPLE = "data/sample"


def deployments() -> list[Any]:
    """The deployments of prefect.yaml, as `RunnerDeployment`s that `prefect.serve` can run
    (tests/flows/test_serve.py holds the two to the same names, entry points, parameters,
    schedules, limits and tags)."""
    from flows.portal import portal_load_flow
    from flows.rollback import expire_flow, rollback_flow
    from flows.run import run_flow
    from flows.validate import validate_flow

    served = [
        run_flow.to_deployment(
            name="migrate",
            description=(
                "Validate a migration file and apply it if acceptable, in one transaction: every "
                "accepted row, award and license use, or nothing."
            ),
            parameters={
                "file": f"{SAMPLE}/migration.csv", "import_date": None,
                "skip_invalid_rows": False, "skip_existing": False, "allow_reapply": False,
                "part_mb": None, "dask_address": None,
            },
            tags=["run"],
            concurrency_limit=1,  # a second migration waits (AwaitingConcurrencySlot)
        ),
        validate_flow.to_deployment(
            name="validate",
            description=(
                "Dry run of a migration file: every finding, the live/archive split and the "
                "awards it would make. Changes only the run log."
            ),
            parameters={
                "file": f"{SAMPLE}/migration.csv", "import_date": None,
                "skip_invalid_rows": False, "skip_existing": False, "part_mb": None, "dask_address": None,
            },
            tags=["validate"],
        ),
        rollback_flow.to_deployment(
            name="rollback",
            description=(
                "Undo an applied run within 7 days of its apply time; refused (nothing changed) after."
            ),
            parameters={"run_id": ""},
            tags=["rollback"],
            concurrency_limit=1,
        ),
        expire_flow.to_deployment(
            name="expire",
            description="Close the rollback window of runs applied more than 7 days ago (daily).",
            cron="15 2 * * *",  # a cron schedule without a timezone is in UTC
            tags=["expire"],
        ),
        portal_load_flow.to_deployment(
            name="portal-load",
            description="Load or update the target portal's users, courses and existing enrollments.",
            parameters={
                "users": f"{SAMPLE}/portal_users.csv",
                "courses": f"{SAMPLE}/portal_courses.csv",
                "enrollments": f"{SAMPLE}/portal_enrollments.csv",
            },
            tags=["portal"],
        ),
    ]
    inbox = _inbox_flow()
    if inbox is not None:
        served.append(inbox.to_deployment(
            name="inbox",
            description=(
                "Every 15 minutes: validate each new file in data/inbox/, apply it when auto_apply "
                "is on and it passes, and move it to data/processed/ or data/rejected/ with its "
                "report beside it."
            ),
            interval=15 * 60,  # seconds
            parameters={
                "inbox": "data/inbox", "processed": "data/processed", "rejected": "data/rejected",
                "auto_apply": False,
            },
            tags=["inbox"],
            concurrency_limit=1,  # a pass that outlasts 15 minutes delays the next one
        ))
    return served


def _inbox_flow() -> Any:
    """flows.inbox.inbox_flow, or None (with a warning) while that module does not exist."""
    try:
        from flows.inbox import inbox_flow
    except ModuleNotFoundError as missing:
        if missing.name != "flows.inbox":
            raise
        print("flows/inbox.py is missing: the inbox deployment is not served.", file=sys.stderr)
        return None
    return inbox_flow


def serve() -> None:
    """Serve the deployments against the Prefect API in the environment until stopped."""
    from prefect import serve as prefect_serve

    # Ctrl-C, SIGTERM (the runner's own handler) and a closed terminal all end the runner the
    # same way: in-flight runs are cancelled and the schedules paused (they resume when served
    # again), so that no run is left Late while nobody serves them.
    signal.signal(signal.SIGHUP, signal.default_int_handler)
    prefect_serve(*deployments(), pause_on_shutdown=True)


# --- the local server -------------------------------------------------------------------------


def prefect_home() -> Path:
    return Path(os.environ.get("PREFECT_HOME") or PROJECT / ".prefect").resolve()


def start_local_server(home: Path, port: int) -> subprocess.Popen:
    """`prefect server start` on 127.0.0.1:port, SQLite in `home`, in a session of its own (so
    that Ctrl-C reaches the runner first and the server is stopped after it); its log goes to
    home/server.log and its process id to home/server.pid."""
    home.mkdir(parents=True, exist_ok=True)
    pid_file = home / PID_FILE
    if pid_file.exists():
        pid = _read_pid(pid_file)
        if pid and _is_prefect_server(pid):
            sys.exit(f"A Prefect server started from {home} is still running (pid {pid}): "
                     "stop it with `make server-stop` first.")
        pid_file.unlink(missing_ok=True)
    if _port_taken(port):
        sys.exit(f"Port {port} of {HOST} is already in use: choose another "
                 "(make server PREFECT_PORT=...).")
    env = {k: v for k, v in os.environ.items()
           if k not in ("PREFECT_API_URL", "PREFECT_API_DATABASE_CONNECTION_URL")}
    env.update(
        PREFECT_HOME=str(home),
        PREFECT_SERVER_API_HOST=HOST,
        PREFECT_SERVER_API_PORT=str(port),
        PREFECT_SERVER_DATABASE_CONNECTION_URL=f"sqlite+aiosqlite:///{home / 'prefect.db'}",
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        DO_NOT_TRACK="1",
        PREFECT_SERVER_LOGGING_LEVEL=os.environ.get("PREFECT_SERVER_LOGGING_LEVEL", "WARNING"),
    )
    command = [sys.executable, "-m", "prefect", "server", "start",
               "--host", HOST, "--port", str(port), "--analytics-off"]
    with (home / LOG_FILE).open("w") as log:
        server = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                  stderr=subprocess.STDOUT, start_new_session=True, cwd=home)
    pid_file.write_text(str(server.pid))
    return server


def wait_until_up(server: subprocess.Popen, port: int, timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not _answers(port):
        if server.poll() is not None or time.monotonic() > deadline:
            log = prefect_home() / LOG_FILE
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-20:]) if log.exists() else ""
            stop_local_server()
            sys.exit(f"The Prefect server did not come up on {HOST}:{port}:\n{tail}")
        time.sleep(0.25)


def _port_taken(port: int) -> bool:
    try:
        socket.create_connection((HOST, port), timeout=1).close()
    except OSError:
        return False
    return True


def _answers(port: int) -> bool:
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy
    try:
        with direct.open(f"http://{HOST}:{port}/api/health", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def stop_local_server(home: Path | None = None, grace: float = 20.0) -> bool:
    """Stop the server whose process id is in home/server.pid; False if none was running."""
    pid_file = (home or prefect_home()) / PID_FILE
    pid = _read_pid(pid_file)
    if not pid or not _is_prefect_server(pid):
        pid_file.unlink(missing_ok=True)
        return False
    _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if _alive(pid):
        _signal(pid, signal.SIGKILL)
    pid_file.unlink(missing_ok=True)
    return True


def _signal(pid: int, sig: int) -> None:
    """To the server's process group when it leads one (started here), else to it alone."""
    try:
        if os.getpgid(pid) == pid:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _read_pid(pid_file: Path) -> int | None:
    try:
        return int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.waitpid(pid, os.WNOHANG)  # reap it if it is our child
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _is_prefect_server(pid: int) -> bool:
    """True if pid is alive and runs a Prefect server (not an unrelated process that reused it)."""
    if not _alive(pid):
        return False
    cmdline = Path(f"/proc/{pid}/cmdline")
    try:
        command = (cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
                   if cmdline.exists() else
                   subprocess.run(["ps", "-o", "command=", "-p", str(pid)],
                                  capture_output=True, text=True, check=False).stdout)
    except OSError:
        return False
    return "prefect" in command and ("server" in command or "uvicorn" in command)


# --- entry point ------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m flows.serve", description=__doc__.split("\n\n")[0])
    parser.add_argument("--local-server", action="store_true",
                        help=f"start a local Prefect server on {HOST} first, and stop it at the end")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PREFECT_PORT") or DEFAULT_PORT),
                        help=f"the local server's port [env PREFECT_PORT; {DEFAULT_PORT}]")
    parser.add_argument("--stop", action="store_true",
                        help="stop a local server left running by an earlier --local-server")
    args = parser.parse_args(argv)

    os.chdir(PROJECT)  # the flow runs start here: relative parameters are project paths
    os.environ.setdefault("DO_NOT_TRACK", "1")
    home = prefect_home()
    os.environ["PREFECT_HOME"] = str(home)

    if args.stop:
        print("Prefect server stopped." if stop_local_server(home) else "No local Prefect server was running.")
        return
    if not args.local_server:
        if not os.environ.get("PREFECT_API_URL"):
            sys.exit("Set PREFECT_API_URL to the Prefect server to serve against, or give --local-server.")
        serve()
        return

    ui = f"http://{HOST}:{args.port}"
    os.environ["PREFECT_API_URL"] = f"{ui}/api"
    os.environ["PREFECT_UI_URL"] = ui
    # A run triggered in the UI starts within 2 s instead of the default 10 s poll.
    os.environ.setdefault("PREFECT_RUNNER_POLL_FREQUENCY", "2")
    print(f"Starting a Prefect server on {ui} (SQLite in {home}) ...", flush=True)
    server = start_local_server(home, args.port)
    try:
        wait_until_up(server, args.port)
        print(f"\nPrefect UI: {ui}   (API {ui}/api; server log {home / LOG_FILE})\n"
              "Ctrl-C stops serving the deployments and the server.\n", flush=True)
        serve()
    except KeyboardInterrupt:
        pass
    finally:
        print("Stopping the Prefect server ...", flush=True)
        stop_local_server(home)
        print("Stopped.", flush=True)


if __name__ == "__main__":
    main()
