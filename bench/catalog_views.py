"""What the analysts' views cost: a plain folder glob (before retired partitions were kept), the
glob kept to the newest manifest's live files (now), and an explicit list of files.

Builds one table of --rows enrollment-like rows in --runs partitions, with --retired more
partitions of the same size retired, and times three queries on each kind of view, best of
--repeat, in one process. Run: .venv/bin/python bench/catalog_views.py [--rows 10000000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import tempfile
import time
from pathlib import Path

import duckdb

from enrollment_migrate import retention

QUERIES = {
    "count": "select count(*) from {view}",
    "by course": "select course_id, count(*), avg(score) from {view} group by all",
    "one learner": "select * from {view} where user_id = 4242",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--retired", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--manifests", type=int, default=1,
                        help="manifests on disk, as a session open across that many publications leaves")
    parser.add_argument("--explain", action="store_true", help="print the manifest view's plan for count(*)")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="catalog-views-"))
    try:
        db = root / "w.duckdb"
        folder = retention.parts_dir(db) / "enrollments"
        folder.mkdir(parents=True)
        per_run = args.rows // args.runs
        con = duckdb.connect()
        con.execute(f"copy (select 0::bigint as user_id, 0::bigint as course_id, 0.0::double as score, "
                    f"''::varchar as run_id limit 0) to '{folder / (retention.EMPTY + '.parquet')}'")
        live = [folder / f"{retention.EMPTY}.parquet"]
        for n in range(args.runs + args.retired):
            path = folder / f"run{n:04d}.parquet"
            con.execute(
                f"copy (select (range % 500000)::bigint as user_id, (range % 200)::bigint as course_id, "
                f"(range % 100)::double as score, 'run{n:04d}' as run_id "
                f"from range({n * per_run}, {(n + 1) * per_run})) to '{path}'"
            )
            if n < args.runs:
                live.append(path)
        for _ in range(args.manifests):
            retention.write_manifest(db, live, dt.datetime(2026, 1, 1))
        glob = f"'{folder}/*.parquet'"
        listed = "[" + ", ".join(f"'{p}'" for p in live) + "]"
        con.execute(f"create view plain_glob as select * from read_parquet({glob})")
        con.execute(f"create view manifest_glob as select * exclude (filename) from read_parquet({glob}, "
                    f"filename = true) where filename in ({retention.live_files_sql(db)})")
        con.execute(f"create view file_list as select * from read_parquet({listed})")

        if args.explain:
            print(con.sql("explain analyze select count(*) from manifest_glob").fetchall()[0][1])
        print(f"{args.rows:,} live rows in {args.runs} partitions, {args.retired} retired of the same size, "
              f"{args.manifests} manifests; best of {args.repeat}, seconds")
        print(f"{'query':<12} {'plain glob*':>12} {'manifest':>10} {'file list':>10}")
        for name, query in QUERIES.items():
            best = {}
            for view in ("plain_glob", "manifest_glob", "file_list"):
                times = []
                for _ in range(args.repeat):
                    start = time.perf_counter()
                    con.sql(query.format(view=view)).fetchall()
                    times.append(time.perf_counter() - start)
                best[view] = min(times)
            print(f"{name:<12} {best['plain_glob']:>12.3f} {best['manifest_glob']:>10.3f} {best['file_list']:>10.3f}")
        print("* the plain glob also reads the retired partitions: its answers are wrong here; it is the cost of before")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
