"""A template file in which every row has a finding, and the peak memory of validating it.

    .venv/bin/python bench/all_findings.py --rows 1000000 --out bench/out/all-findings/1000000
    .venv/bin/python bench/all_findings.py --rows 1000000 --out bench/out/all-findings/1000000 --validate

The file is bench/generate.py's (its portal too), with every row given a finding: even rows an
unknown user (an error: the row stops there), odd rows a Completed Date on an In Progress
enrollment (completed_date_ignored, a warning: the row goes on through the learner and course
rules and is migrated). `--validate` runs the validate flow on it in a child process (the local
Prefect server off: Prefect's temporary one) and prints its seconds and peak RSS, as the child's
getrusage reports them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))

from generate import IMPORT_DATE, generated  # noqa: E402


def all_findings(work: Path, n_rows: int) -> dict[str, object]:
    """generate.py's files in `work`, with migration.csv rewritten so that every row has a finding."""
    described = json.loads((work / "generated.json").read_text()) if (work / "generated.json").exists() else {}
    if described.get("all_findings") and described["rows"] == n_rows:
        return described
    described = generated(work, n_rows)
    clean, target = work / "migration.csv", work / "all-findings.csv"
    odd = pl.int_range(pl.len()) % 2 == 1
    (
        pl.scan_csv(clean, infer_schema=False)
        .with_columns(
            pl.when(~odd).then(pl.format("ghost{}@example.com", pl.int_range(pl.len()))).otherwise(pl.col("Login ID"))
            .alias("Login ID"),
            pl.when(odd).then(pl.lit("In Progress")).otherwise(pl.col("Enrollment Status")).alias("Enrollment Status"),
            pl.when(odd).then(pl.lit("")).otherwise(pl.col("Enrollment Score")).alias("Enrollment Score"),
            pl.when(odd).then(pl.col("Enrollment Completed Date").fill_null(pl.lit("1/6/2023")))
            .otherwise(pl.col("Enrollment Completed Date")).alias("Enrollment Completed Date"),
        )
        .collect(engine="streaming")  # about 100 bytes a row: 250 MB at 2.5M rows
        .write_csv(target)
    )
    os.replace(target, clean)
    described = {**described, "all_findings": True, "file_bytes": clean.stat().st_size}
    (work / "generated.json").write_text(json.dumps(described, indent=2), encoding="utf-8")
    return described


def validate_child(file: str, db: str, reports: str) -> None:
    from enrollment_migrate.options import RunOptions
    from flows.validate import validate_flow

    started = time.perf_counter()
    summary = validate_flow(file=file, db=db, reports_dir=reports, options=RunOptions(IMPORT_DATE))
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"seconds": round(seconds, 2), "peak_rss_mb": round(peak / 2**20),
                      "state": summary["state"], "findings": sum(summary["rule_counts"].values()),
                      "report_dir": summary["report_dir"]}))


def measure(work: Path) -> dict[str, object]:
    """One validate of work/migration.csv in a fresh child, against a copy of the portal."""
    from enrollment_migrate import portal, warehouse

    db = work / "portal" / "w.duckdb"  # the warehouse: its catalog and its .store folder
    if not db.parent.exists():
        with warehouse.connect(db) as con:
            portal.load_portal(con, users=work / "portal_users.csv", courses=work / "portal_courses.csv",
                               enrollments=work / "portal_enrollments.csv", import_date=IMPORT_DATE)
    run = Path(tempfile.mkdtemp(prefix="all-findings-", dir=work))
    try:
        shutil.copytree(db.parent, run, dirs_exist_ok=True)
        env = {**os.environ, "PREFECT_HOME": str(run / "prefect"), "ENROLLMENT_MIGRATE_LOCAL_SERVER": "off",
               "DO_NOT_TRACK": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_LOGGING_LEVEL": "WARNING"}
        env.pop("PREFECT_API_URL", None)
        done = subprocess.run(
            [sys.executable, __file__, "--child", str(work / "migration.csv"), str(run / "w.duckdb"), str(run / "reports")],
            check=True, capture_output=True, text=True, cwd=REPO, env=env,
        )
        return json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(run, ignore_errors=True)


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        validate_child(*sys.argv[2:5])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--validate", type=int, default=0, help="validate it this many times")
    args = parser.parse_args()
    described = all_findings(args.out, args.rows)
    print(json.dumps(described))
    for _ in range(args.validate):
        print(json.dumps({"at": dt.datetime.now().isoformat(timespec="seconds"), **measure(args.out)}), flush=True)


if __name__ == "__main__":
    main()
