"""The analysts' soak: cycles of run, validate and rollback from the command line on one
warehouse, then commands all at once, while an analyst's session queries the catalog without
pause. Prints the session's queries and errors, the time per command over the cycles, and the
files waiting for deletion; then `expire` deletes them once the session has closed.

Run: .venv/bin/python bench/soak.py [--cycles 40] [--at-once 7]   (docs/reliability.md)
Starts a Prefect server of its own on 127.0.0.1 (--port), as an admin's machine would have.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "data" / "sample"
sys.path.insert(0, str(REPO))

from analyst_session import AnalystSession  # noqa: E402  (beside this file)

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cycles", type=int, default=40)
    parser.add_argument("--at-once", type=int, default=7)
    parser.add_argument("--port", type=int, default=4391)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="soak-"))
    os.environ["PREFECT_HOME"] = str(work / "prefect")
    from flows import serve

    server = serve.start_local_server(serve.prefect_home(), args.port)
    try:
        serve.wait_until_up(server, args.port)
        soak(work, args)
    finally:
        serve.stop_local_server()


def soak(work: Path, args: argparse.Namespace) -> None:
    db = work / "w.duckdb"
    env = {**os.environ, "PREFECT_API_URL": f"http://127.0.0.1:{args.port}/api",
           "ENROLLMENT_MIGRATE_LOCK_TIMEOUT": "600"}
    base = [sys.executable, "-m", "enrollment_migrate", "--db", str(db), "--reports", str(work / "reports")]

    def command(*given: str) -> tuple[float, dict]:
        start = time.perf_counter()
        done = subprocess.run([*base, *given, "--json"], capture_output=True, text=True, env=env, cwd=REPO)
        if done.returncode not in (0, 1):
            raise SystemExit(f"{given[0]} failed ({done.returncode}): {done.stderr[-2000:]}")
        return time.perf_counter() - start, json.loads(done.stdout)

    command("portal", "load", "--users", str(SAMPLE / "portal_users.csv"), "--courses",
            str(SAMPLE / "portal_courses.csv"), "--enrollments", str(SAMPLE / "portal_enrollments.csv"))
    migration = ["run", str(SAMPLE / "migration.csv"), "--import-date", "2025-01-15"]

    session = AnalystSession(db, work)

    times: dict[str, list[float]] = {"run": [], "validate": [], "rollback": []}
    for cycle in range(args.cycles):
        took, applied = command(*migration)
        times["run"].append(took)
        took, _ = command("validate", *migration[1:])
        times["validate"].append(took)
        took, _ = command("rollback", applied["run_id"])
        times["rollback"].append(took)
        print(f"cycle {cycle + 1}: run {times['run'][-1]:.2f} s, validate {times['validate'][-1]:.2f} s, "
              f"rollback {times['rollback'][-1]:.2f} s", file=sys.stderr)

    # then commands all at once: runs and validations queue on the state lock
    start = time.perf_counter()
    at_once = [subprocess.Popen([*base, *(migration if n % 2 else ["validate", *migration[1:]]), "--json"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)
               for n in range(args.at_once)]
    states = sorted(json.loads(p.communicate()[0])["state"] for p in at_once)
    at_once_took = time.perf_counter() - start

    _, waiting = command("store", "status")
    seen = session.finish()
    env["ENROLLMENT_MIGRATE_PARTITION_RETENTION"] = "0"
    _, swept = command("expire")
    _, after = command("store", "status")

    print(f"\n{args.cycles} cycles of run, validate and rollback; then {args.at_once} commands at once "
          f"({', '.join(states)}) in {at_once_took:.1f} s")
    print(f"analyst's session: {seen['queries']:,} queries, {len(seen['errors'])} errors, "
          f"answers seen {[tuple(answer) for answer in seen['seen']]}")
    if seen["errors"]:
        print("first error:", seen["errors"][0])
    print("median seconds per command, first ten cycles -> last ten:")
    for name, values in times.items():
        print(f"  {name:<9} {statistics.median(values[:10]):.2f} -> {statistics.median(values[-10:]):.2f}"
              f"  (min {min(values):.2f}, max {max(values):.2f})")
    print(f"waiting for deletion with the session open: {waiting['retired_files']} files, "
          f"{waiting['retired_bytes']:,} bytes; live partitions {waiting['partitions']} "
          f"({waiting['partition_bytes']:,} bytes)")
    print(f"after the session closed, expire (retention 0) deleted {swept['deleted_files']} files; "
          f"waiting now: {after['retired_files']}")


if __name__ == "__main__":
    main()
