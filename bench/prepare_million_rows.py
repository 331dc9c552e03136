"""Benchmark: preparing a 1,000,000-row export of another LMS, and the OULAD dataset.

Run with `.venv/bin/python bench/prepare_million_rows.py [--rows N]`.

The export is generated with vectorised Polars expressions: semicolons, Windows-1252 (an accent
in some course names), its own column names and status words, US dates (m/d/yyyy) over eight
years, completion times of day in a US zone. Times best of 3 (warm, wall seconds): reading the
source, preparing its rows (mapping, dates, statuses, checks), and writing the template file;
then the same for the OULAD adapter. Prints the figures and writes bench/out/prepare.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # run as a script from anywhere: the imports below need the repo

from enrollment_migrate.prepare.mapping import load_mapping, parse_mapping
from enrollment_migrate.prepare.output import write_template_csv
from enrollment_migrate.prepare.pipeline import prepare_rows, read

OULAD = REPO.parent / "shared" / "datasets" / "oulad"
WORDS = ["complete", "in progress", "not attempted", "passed", "failed"]
MAPPING = {
    "columns": {
        "Login ID": "Email", "Course Name": "Course", "Enrollment Created Date": "Enrolled",
        "Enrollment Completed Date": "Finished", "Enrollment Score": "Grade",
        "Enrollment Status": "State",
    },
    "dates": {"format": "m/d/yyyy", "source_timezone": "America/Chicago"},
    "statuses": {"complete": "Completed", "in progress": "In Progress", "not attempted": "Not Started",
                 "passed": "Passed", "failed": "Failed"},
}


def generate(path: Path, rows: int) -> None:
    index = pl.int_range(0, rows, eager=True).alias("i").to_frame()
    day = (pl.col("i") * 7919 % 2900).cast(pl.Int64)
    word = (pl.col("i") * 31 % len(WORDS)).cast(pl.Int64)
    finished = word.is_in([0, 3, 4])
    index.select(
        Email=pl.format("user{}@example.com", pl.col("i") % 50_000),
        Course=pl.format("Sécurité {}", pl.col("i") % 200),
        Enrolled=(pl.date(2017, 1, 1) + pl.duration(days=day)).dt.strftime("%-m/%-d/%Y"),
        Finished=pl.when(finished).then(
            (pl.date(2017, 1, 1) + pl.duration(days=day + 9)).dt.strftime("%-m/%-d/%Y")
            + pl.format(" {}:30 PM", pl.col("i") % 12 + 1)
        ),
        Grade=pl.when(word.is_in([3, 4])).then((pl.col("i") % 101).cast(pl.String)),
        State=word.replace_strict(dict(enumerate(WORDS)), return_dtype=pl.String),
    ).write_csv(path.with_suffix(".utf8"), separator=";")
    path.write_bytes(path.with_suffix(".utf8").read_text(encoding="utf-8").encode("cp1252"))


def best_of_three(source: Path, mapping) -> dict[str, float]:
    timings = []
    for _ in range(3):
        with tempfile.TemporaryDirectory() as scratch:
            started = time.perf_counter()
            table = read(source, mapping)
            read_at = time.perf_counter()
            prepared = prepare_rows(table, mapping)
            prepared_at = time.perf_counter()
            assert prepared.ready, [d.message for d in prepared.report.decisions]
            write_template_csv(prepared.rows, Path(scratch) / "migration.csv")
            written_at = time.perf_counter()
        timings.append({"read": read_at - started, "prepare": prepared_at - read_at,
                        "write": written_at - prepared_at, "total": written_at - started,
                        "rows": prepared.report.rows_out})
    return min(timings, key=lambda t: t["total"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    figures = {}
    with tempfile.TemporaryDirectory() as folder:
        export = Path(folder) / "export.csv"
        generate(export, args.rows)
        figures["export"] = {"bytes": export.stat().st_size, **best_of_three(export, parse_mapping(MAPPING))}
    if OULAD.is_dir():
        figures["oulad"] = best_of_three(OULAD, load_mapping(REPO / "data" / "sample" / "oulad.yaml"))
    for name, timing in figures.items():
        print(f"{name:7} {timing['rows']:>9,} rows  read {timing['read']:.2f} s  prepare "
              f"{timing['prepare']:.2f} s  write {timing['write']:.2f} s  total {timing['total']:.2f} s")
    out = REPO / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "prepare.json").write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
