"""Serve the project's deployments on this machine: `make server`, or `python -m flows.serve`.

`prefect.serve` runs the flow runs of these deployments as subprocesses of this process: no work
pool, no worker. Two ways to run it:

    python -m flows.serve --local-server [--port 4200]
        serves the deployments against the local Prefect server (flows.local_server: SQLite in
        PREFECT_HOME/local-server, bound to 127.0.0.1 only, analytics off), the one the commands
        use, starting it first if none runs. On Ctrl-C (or SIGTERM, or the terminal closing) it
        stops serving, and stops the server if it started it.

    PREFECT_API_URL=http://host:4200/api python -m flows.serve
        serves against a Prefect server that is already running.

    python -m flows.serve --stop
        stops the local server (one a killed --local-server left behind, say).

Relative paths in the deployments' parameters (the migration file, the warehouse, the reports)
are taken from the project folder, which is where the flow runs start.

This module imports nothing heavy at import time: Prefect reads its settings when it is first
imported, so the server's address is put in the environment before that happens.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path
from typing import Any

from flows import local_server

PROJECT = Path(__file__).resolve().parents[1]


def deployments() -> list[Any]:
    """The deployments of prefect.yaml, the one list of them, as `RunnerDeployment`s that
    `prefect.serve` runs here (no work pool): each entry's flow, description, parameters,
    schedules, concurrency limit and tags."""
    import importlib

    import yaml
    from prefect.schedules import Cron, Interval

    with (PROJECT / "prefect.yaml").open(encoding="utf-8") as handle:
        declared = yaml.safe_load(handle)["deployments"]
    served = []
    for entry in declared:
        path, name = entry["entrypoint"].split(":")
        flow = getattr(importlib.import_module(path.removesuffix(".py").replace("/", ".")), name)
        schedules = [
            Cron(wanted["cron"], timezone=wanted.get("timezone", "UTC")) if "cron" in wanted
            else Interval(wanted["interval"])
            for wanted in entry.get("schedules", [])
        ]
        served.append(flow.to_deployment(
            name=entry["name"],
            description=entry.get("description"),
            parameters=entry.get("parameters", {}),
            schedules=schedules or None,
            concurrency_limit=entry.get("concurrency_limit"),
            tags=entry.get("tags", []),
        ))
    return served


def serve() -> None:
    """Serve the deployments against the Prefect API in the environment until stopped."""
    from prefect import serve as prefect_serve

    # Ctrl-C, SIGTERM (the runner's own handler) and a closed terminal all end the runner the
    # same way: in-flight runs are cancelled and the schedules paused (they resume when served
    # again), so that no run is left Late while nobody serves them.
    signal.signal(signal.SIGHUP, signal.default_int_handler)
    prefect_serve(*deployments(), pause_on_shutdown=True)


# --- entry point ------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m flows.serve", description=__doc__.split("\n\n")[0])
    parser.add_argument("--local-server", action="store_true",
                        help=f"serve against the local Prefect server (flows.local_server), started on "
                             f"{local_server.HOST} first if none runs, and stopped at the end if started here")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PREFECT_PORT") or local_server.DEFAULT_PORT),
                        help=f"the port of a local server started here [env PREFECT_PORT; {local_server.DEFAULT_PORT}]")
    parser.add_argument("--stop", action="store_true", help="stop the local server")
    args = parser.parse_args(argv)

    os.chdir(PROJECT)  # the flow runs start here: relative parameters are project paths
    os.environ.setdefault("DO_NOT_TRACK", "1")
    if args.stop:
        print("Local Prefect server stopped." if local_server.stop() else "No local Prefect server was running.")
        return
    if not args.local_server:
        if not os.environ.get("PREFECT_API_URL"):
            sys.exit("Set PREFECT_API_URL to the Prefect server to serve against, or give --local-server.")
        serve()
        return

    folder = local_server.home()
    with local_server.in_use(folder, start=False) as state:
        started_here = state is None
        if started_here:
            if local_server.port_taken(args.port):
                sys.exit(f"Port {args.port} of {local_server.HOST} is already in use: choose another "
                         "(make server PREFECT_PORT=...).")
            print(f"Starting a Prefect server on http://{local_server.HOST}:{args.port} (SQLite in {folder}) ...",
                  flush=True)
            try:
                state = local_server.start(folder, idle=None, port=args.port)
            except local_server.ServerError as exc:
                sys.exit(str(exc))
        os.environ["PREFECT_API_URL"] = state.api_url
        os.environ["PREFECT_UI_URL"] = state.ui
        # The runner asks for new runs every second instead of Prefect's 10 s: a run created in
        # the UI is RUNNING 2.2 s later (2.7 s with a 2 s poll; the rest is its process starting,
        # bench/orchestration_cost.py), for one small query a second to a server on this machine.
        os.environ.setdefault("PREFECT_RUNNER_POLL_FREQUENCY", "1")
        print(f"\nPrefect UI: {state.ui}   (API {state.api_url}; server log {folder / 'server.log'})\n"
              + ("Ctrl-C stops serving the deployments and the server.\n" if started_here else
                 "Ctrl-C stops serving the deployments; the server, started earlier, stays.\n"), flush=True)
        try:
            serve()
        except KeyboardInterrupt:
            pass
        finally:
            if started_here:
                print("Stopping the Prefect server ...", flush=True)
                local_server.stop(folder)
                print("Stopped.", flush=True)


if __name__ == "__main__":
    main()
