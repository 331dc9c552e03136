"""An analyst's session on the published catalog, in a process of its own: one read-only DuckDB
connection that queries without pause until told to stop, then says how many queries it made,
every error it met, and every distinct answer it saw. The soak (bench/soak.py) and the tests of
retired partitions (tests/enrollment_migrate/test_retention.py) both watch the catalog with it."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

SCRIPT = textwrap.dedent(
    """
    import json, os, sys, duckdb
    db, stop = sys.argv[1], sys.argv[2]
    con = duckdb.connect(db, read_only=True)
    queries, errors, seen = 0, [], set()
    print("ready", flush=True)
    while not os.path.exists(stop):
        try:
            seen.add(("enrollments",) + con.sql("select count(*), sum(source_row) from enrollments").fetchall()[0])
            seen.add(("history",) + con.sql("select count(*), 0 from training_history").fetchall()[0])
        except Exception as exc:
            errors.append(str(exc).splitlines()[0][:200])
        queries += 2
    print(json.dumps({"queries": queries, "errors": errors, "seen": sorted(map(list, seen))}), flush=True)
    """
)


class AnalystSession:
    """Opened on `db` when made; `finish()` stops it and returns what it saw."""

    def __init__(self, db: Path, scratch: Path):
        self.stop_file = scratch / f"stop-session-{time.time_ns()}"
        self.process = subprocess.Popen(
            [sys.executable, "-c", SCRIPT, str(db), str(self.stop_file)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        if self.process.stdout.readline().strip() != "ready":
            raise RuntimeError(f"the session did not open: {self.process.stderr.read()}")

    def finish(self) -> dict:
        self.stop_file.touch()
        out, err = self.process.communicate(timeout=120)
        if self.process.returncode != 0:
            raise RuntimeError(f"the session failed: {err}")
        return json.loads(out)
