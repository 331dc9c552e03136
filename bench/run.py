"""The benchmark suite: `validate`, `run` and `rollback` against a baseline measured in the same run.

    make bench                                  # 1M and 10M rows
    .venv/bin/python bench/run.py --rows 1000000 --rows 10000000 [--repeat 2] [--part-mb 64]
    .venv/bin/python bench/run.py --rows 100000000 --steps validate,run --repeat 1   # streaming

For each size, the files come from bench/generate.py (kept in bench/out/data/<rows>/ for the next
run). Each measurement runs in a fresh process, so that one step's memory does not count against
the next, and is timed around the step only:

- baseline: Polars reading the CSV (every column as text), parsing its three date columns and
  writing it to Parquet: the least any tool must do to turn the file into analysts' tables;
- peer: ../shared/peers/polars_peer.py, the plain Polars script of the main rules an expert
  would write (its per-row rules, both duplicate rules, the split, license counts, Parquet), in
  its own process too, timed around the script alone; validate and run are also given as a
  ratio to it (issue 23's targets: validate ≤ 1.5×, run ≤ 2×);
- validate: the `validate` flow (every rule, findings.csv, summary.json, live/archived Parquet,
  the run log and the analysts' catalog), into a copy of a warehouse holding the portal;
- run: the `migrate` flow with --skip-invalid-rows (the file has ~1% faulty rows): the same
  checks, then the apply in one transaction, the snapshot and the catalog;
- rollback: the `rollback` flow of that run (one transaction, the catalog).

The flows run against a Prefect temporary server that a warm-up flow (10 rows) has already
started in the same process: its start-up (several seconds, once per process, or none with a
running server) is not counted, its per-task calls are. Peak memory is the process's resident
high-water mark (VmHWM) during the step, reset before it through /proc/self/clear_refs; the
figure compared with the file is that peak minus the resident size when the step began (the
interpreter, Polars, DuckDB and Prefect already loaded, ~0.4 GB).

The best of --repeat rounds is kept. Figures go to bench/results/<rows>.json, and a table of all
sizes measured to bench/results/README.md; docs/performance.md explains them.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "bench" / "out" / "data"
RESULTS = REPO / "bench" / "results"
sys.path[:0] = [str(REPO), str(REPO / "bench")]

import generate  # noqa: E402

DATE_COLUMNS = ["Enrollment Created Date", "Enrollment Started Date", "Enrollment Completed Date"]
STEPS = ("baseline", "peer", "validate", "run", "rollback")
# The plain Polars script of the main rules that an expert would write (../shared/peers): the
# engine is timed against it as well as against the baseline.
PEER = REPO.parent / "shared" / "peers" / "polars_peer.py"
TARGETS = {  # issue 23's, on this machine: ratio to the peer (validate at 10M: to the baseline)
    "validate": {"peer": 1.5, "baseline_at_10M": 4.0}, "run": {"peer": 2.0}, "rollback": {"run": 0.5},
}


# -- in the measured process ----------------------------------------------------------------------


def _status(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(field)


class Measured:
    """Wall time and peak resident memory of the block, from a reset high-water mark."""

    def __enter__(self) -> Measured:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as handle:
            handle.write("5")  # VmHWM back to the current RSS
        self.rss_before = _status("VmRSS")
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.perf_counter() - self.started
        self.peak = _status("VmHWM")

    def figures(self) -> dict[str, float]:
        return {"seconds": self.seconds, "peak_rss": self.peak, "rss_before": self.rss_before,
                "peak_over_start": self.peak - self.rss_before}


def baseline(file: Path, out: Path) -> dict[str, float]:
    import polars as pl

    with Measured() as measured:
        frame = pl.read_csv(file, infer_schema=False)
        frame = frame.with_columns(pl.col(c).str.to_date("%d/%m/%Y", strict=False) for c in DATE_COLUMNS)
        frame.write_parquet(out / "baseline.parquet")
        del frame
    return measured.figures()


def peer(file: Path, import_date: str) -> dict[str, float]:
    """The peer script, run here as its own main module, timed around it alone (Polars already
    imported, as for the baseline). It reads the folder of `file` by the generator's names and
    writes its Parquet to polars_out/ there; it prints its counts, kept with the figures."""
    import contextlib
    import io
    import runpy

    import polars  # noqa: F401  (imported before the clock starts, as the flows' steps have it)

    printed = io.StringIO()
    argv = sys.argv
    sys.argv = [str(PEER), str(file.parent), import_date]
    try:
        with Measured() as measured, contextlib.redirect_stdout(printed):
            runpy.run_path(str(PEER), run_name="__main__")
    finally:
        sys.argv = argv
    return {**measured.figures(), "printed": printed.getvalue().strip().splitlines()[-2:]}


def flows(file: Path, db: Path, reports: Path, import_date: dt.date, steps: list[str], part_mb: float | None) -> dict:
    from flows.rollback import rollback_flow
    from flows.run import run_flow
    from flows.validate import validate_flow

    _warm_up()
    from enrollment_migrate.options import RunOptions

    options = RunOptions(import_date, part_mb=part_mb)
    common = dict(file=str(file), db=str(db), reports_dir=str(reports))
    figures: dict[str, dict] = {}
    if "validate" in steps:
        with Measured() as measured:
            summary = validate_flow(**common, options=options)
        figures["validate"] = {**measured.figures(), "state": summary["state"], "live": summary["live"],
                               "archived": summary["archived"], "findings": sum(summary["rule_counts"].values())}
    if "run" in steps:
        with Measured() as measured:
            summary = run_flow(**common, options=dataclasses.replace(options, skip_invalid_rows=True))
        figures["run"] = {**measured.figures(), "state": summary["state"], "live": summary["live"],
                          "archived": summary["archived"]}
        if "rollback" in steps and summary["state"] == "applied":
            with Measured() as measured:
                undone = rollback_flow(run_id=summary["run_id"], db=str(db))
            figures["rollback"] = {**measured.figures(), "state": undone["state"],
                                   "fingerprint_restored": undone.get("fingerprint_restored")}
    return figures


def _warm_up() -> None:
    """Start the temporary Prefect server and import everything the flows use, on a 10-row file."""
    from enrollment_migrate.options import RunOptions
    from flows.portal import portal_load_flow
    from flows.validate import validate_flow

    sample = REPO / "data" / "sample"
    folder = Path(tempfile.mkdtemp(prefix="bench-warm-up-"))
    portal_load_flow(users=str(sample / "portal_users.csv"), courses=str(sample / "portal_courses.csv"),
                     db=str(folder / "warehouse.duckdb"))
    validate_flow(file=str(sample / "migration.csv"), options=RunOptions(dt.date(2025, 1, 15)),
                  db=str(folder / "warehouse.duckdb"), reports_dir=str(folder / "reports"))
    shutil.rmtree(folder, ignore_errors=True)


def child(args: argparse.Namespace) -> None:
    work = Path(args.work)
    if args.child == "baseline":
        figures = {"baseline": baseline(Path(args.file), work)}
    elif args.child == "peer":
        figures = {"peer": peer(Path(args.file), args.import_date)}
    else:
        figures = flows(Path(args.file), work / "warehouse.duckdb", work / "reports",
                        dt.date.fromisoformat(args.import_date), args.steps.split(","), args.part_mb)
    print(json.dumps(figures))


# -- the driver ------------------------------------------------------------------------------------


def isolated_environment(home: Path) -> dict[str, str]:
    env = {**os.environ, "PREFECT_HOME": str(home), "DO_NOT_TRACK": "1",
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_LOGGING_LEVEL": "WARNING"}
    env.pop("PREFECT_API_URL", None)
    return env


def portal_warehouse(data: Path, described: dict) -> Path:
    """A warehouse holding the generated portal, made once per size and copied for each step."""
    db = data / "portal" / "warehouse.duckdb"
    if not db.exists():
        from enrollment_migrate import portal, warehouse

        with warehouse.connect(db) as con:
            portal.load_portal(con, users=data / "portal_users.csv", courses=data / "portal_courses.csv",
                               enrollments=data / "portal_enrollments.csv",
                               import_date=dt.date.fromisoformat(described["import_date"]))
    return db


def measure(step_group: str, data: Path, described: dict, steps: list[str], part_mb: float | None) -> dict:
    work = Path(tempfile.mkdtemp(prefix=f"bench-{step_group}-", dir=DATA))
    try:
        if step_group == "flows":
            source = portal_warehouse(data, described)
            shutil.copytree(source.parent, work, dirs_exist_ok=True)
        command = [sys.executable, str(Path(__file__).resolve()), "--child", step_group, "--work", str(work),
                   "--file", str(data / "migration.csv"), "--import-date", described["import_date"],
                   "--steps", ",".join(steps)]
        if part_mb is not None:
            command += ["--part-mb", str(part_mb)]
        done = subprocess.run(command, check=True, capture_output=True, text=True, cwd=REPO,
                              env=isolated_environment(work / "prefect-home"))
        return json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(work, ignore_errors=True)


def best(rounds: list[dict]) -> dict:
    return min(rounds, key=lambda figures: figures["seconds"])


def bench_size(rows: int, steps: list[str], repeat: int, part_mb: float | None) -> dict:
    data = DATA / str(rows)
    started = time.perf_counter()
    described = generate.generated(data, rows)
    print(f"{rows:,} rows: {described['file_bytes'] / 1e6:,.0f} MB ({time.perf_counter() - started:.0f} s to have it)",
          flush=True)
    rounds: dict[str, list[dict]] = {step: [] for step in steps}
    flow_steps = [s for s in steps if s not in ("baseline", "peer")]
    for _ in range(repeat):
        for alone in ("baseline", "peer"):
            if alone in steps:
                rounds[alone].append(measure(alone, data, described, [alone], part_mb)[alone])
        if flow_steps:
            for step, figures in measure("flows", data, described, flow_steps, part_mb).items():
                rounds[step].append(figures)
    size = described["file_bytes"]
    figures = {step: best(found) for step, found in rounds.items() if found}
    for step, found in figures.items():
        found["rows_per_second"] = rows / found["seconds"]
        found["peak_over_start_per_file_byte"] = found["peak_over_start"] / size
        reference = figures.get("run") if step == "rollback" else figures.get("baseline")
        if reference and step != "baseline":
            found["ratio"] = found["seconds"] / reference["seconds"]
        if step in ("validate", "run") and "peer" in figures:
            found["ratio_to_peer"] = found["seconds"] / figures["peer"]["seconds"]
    return {
        "rows": rows, "file_bytes": size, "generated": described, "repeat": repeat, "part_mb": part_mb,
        "steps": figures, "targets": TARGETS, "machine": machine(), "measured_at": dt.datetime.now(dt.UTC).isoformat(),
        "commit": _git("rev-parse", "--short", "HEAD"), "modified": bool(_git("status", "--porcelain", "--", "enrollment_migrate", "schemas", "sql", "flows")),
    }


def machine() -> dict[str, object]:
    import duckdb
    import polars

    return {"cpus": os.cpu_count(), "python": platform.python_version(), "polars": polars.__version__,
            "duckdb": duckdb.__version__, "memory_gb": round(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2**30)}


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def table(results: list[dict]) -> str:
    lines = [
        "| rows | CSV | step | time | rows/s | ÷ baseline | target | ÷ peer | peak RSS | peak − start | ÷ CSV |",
        "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        for step in STEPS:
            found = result["steps"].get(step)
            if not found:
                continue
            ratio = f"{found['ratio']:.2f}×" if "ratio" in found else ""
            to_peer = f"{found['ratio_to_peer']:.2f}×" if "ratio_to_peer" in found else ""
            target = {"validate": "≤ 4× at 10M" if result["rows"] >= 10_000_000 else "", "run": "",
                      "rollback": "≤ 0.5× run"}.get(step, "")
            if to_peer:
                to_peer += {"validate": " (≤ 1.5×)", "run": " (≤ 2×)"}.get(step, "")
            lines.append(
                f"| {result['rows']:,} | {result['file_bytes'] / 1e6:,.0f} MB | {step} | {found['seconds']:.2f} s | "
                f"{found['rows_per_second'] / 1e6:.2f} M | {ratio} | {target} | {to_peer} | {found['peak_rss'] / 1e9:.2f} GB | "
                f"{found['peak_over_start'] / 1e9:.2f} GB | {found['peak_over_start_per_file_byte']:.2f}× |"
            )
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, action="append", help="file sizes [1M and 10M]")
    parser.add_argument("--steps", default=",".join(STEPS), help="comma-separated, of: " + ", ".join(STEPS))
    parser.add_argument("--repeat", type=int, default=2, help="rounds per size; the best counts")
    parser.add_argument("--part-mb", type=float, default=None, help="part size for the flows [their default]")
    parser.add_argument("--child", choices=["baseline", "peer", "flows"], help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--import-date", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return 0
    RESULTS.mkdir(parents=True, exist_ok=True)
    steps = [s for s in args.steps.split(",") if s]
    for rows in args.rows or [1_000_000, 10_000_000]:
        result = bench_size(rows, steps, args.repeat, args.part_mb)
        (RESULTS / f"{rows}.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        print(table([result]), flush=True)
    # <rows>.json only: startup.json beside them is bench/startup.py's.
    sized = [p for p in RESULTS.glob("*.json") if p.stem.isdigit()]
    every = [json.loads(p.read_text()) for p in sorted(sized, key=lambda p: int(p.stem))]
    (RESULTS / "README.md").write_text(
        "# Benchmark results\n\nWritten by `bench/run.py` (`make bench`); how to read them: "
        "docs/performance.md.\n\n" + table(every), encoding="utf-8",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
