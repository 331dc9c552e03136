"""Where a check's time goes, step by step: the profile behind docs/performance.md.

    .venv/bin/python bench/profile_steps.py --rows 1000000 [--part-mb 64]

Runs the engine as the flows do (enrollment_migrate.engine.drivers: parts, learner buckets, the
verdict), without Prefect, on a file from bench/generate.py, with each inner step wrapped by a
timer (the wrapper replaces the module attribute its caller looks up; nothing in the tool is
changed). Prints the seconds per step, summed over parts and buckets, beside the baseline's.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import functools
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "bench")]

import generate  # noqa: E402
import run as suite  # noqa: E402
from enrollment_migrate import engine, file_parts, reports, template_file, warehouse  # noqa: E402
from enrollment_migrate.engine import drivers  # noqa: E402
from enrollment_migrate.engine import learners as engine_learners  # noqa: E402
from enrollment_migrate.engine import rows as engine_rows  # noqa: E402
from enrollment_migrate.engine import verdict as engine_verdict  # noqa: E402

TIMED = {
    template_file: ["_read_lines", "_record_layout", "_read_values", "_assemble_rows"],
    engine_rows: ["prepare_rows", "_row_findings"],
    engine_learners: ["_learner_findings", "_migrated_rows"],
    engine_verdict: ["course_findings", "_by_year", "_result"],
    drivers: ["save_portal", "check_part", "check_bucket", "conclude"],
    reports: ["write_rows"],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--part-mb", type=float, default=None)
    args = parser.parse_args()
    data = suite.DATA / str(args.rows)
    described = generate.generated(data, args.rows)
    file = data / "migration.csv"
    spent: dict[str, float] = collections.defaultdict(float)
    for module, names in TIMED.items():
        for name in names:
            setattr(module, name, _timed(getattr(module, name), f"{module.__name__.split('.')[-1]}.{name}", spent))

    work = Path(tempfile.mkdtemp(prefix="profile-", dir=suite.DATA))
    try:
        shutil.copytree(suite.portal_warehouse(data, described).parent, work / "db")
        baseline = suite.baseline(file, work)["seconds"]
        started = time.perf_counter()
        cut = file_parts.cut(file, None if args.part_mb is None else int(args.part_mb * (1 << 20)))
        spent["file_parts.cut"] += time.perf_counter() - started
        with warehouse.connect(work / "db" / "warehouse.duckdb") as con:
            options = engine.RunOptions(dt.date.fromisoformat(described["import_date"]), skip_invalid_rows=True)
            result = drivers.check_in_parts(cut, con, options, work / "check")
        (work / "out").mkdir()
        reports.write_rows(result.migrated, work / "out")
        total = time.perf_counter() - started
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{args.rows:,} rows in {len(cut.parts)} part(s); baseline {baseline:.2f} s; engine {total:.2f} s "
          f"({total / baseline:.1f}×)")
    for label, seconds in sorted(spent.items(), key=lambda item: -item[1]):
        print(f"  {label:36s} {seconds:6.2f} s  {seconds / baseline:5.2f}× baseline")


def _timed(function, label: str, spent: dict[str, float]):
    @functools.wraps(function)
    def timed(*args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent[label] += time.perf_counter() - started

    return timed


if __name__ == "__main__":
    main()
