"""A file of 200,000 rows, generated with faults at known rows: every fault is found, once, at
its row, and the counts add up (the vectorised paths must not lose or shift rows at scale)."""

import datetime as dt

import polars as pl

from conftest import IMPORT_DATE
from enrollment_migrate.engine import RunOptions, check_file

N = 200_000
USERS = ["ann@example.com", "bob@example.com", "dora@example.com", "carl@example.com"]
COURSES = ["Safety", "Privacy", "Recert", "Noisy"]
STATUSES = ["Completed", "Passed", "Failed"]


def generated(n: int) -> pl.DataFrame:
    i = pl.int_range(n, dtype=pl.Int64)
    completed = pl.lit(dt.date(2016, 1, 1)) + pl.duration(days=(i * 7919) % 3000)
    status = pl.lit(pl.Series(STATUSES)).gather(i % 3)
    frame = pl.select(
        pl.lit(pl.Series(USERS)).gather(i % 4).alias("Login ID"),
        pl.lit(pl.Series(COURSES)).gather((i // 4) % 4).alias("Course Name"),
        pl.lit(None, pl.String).alias("Enrollment Created Date"),
        pl.lit(None, pl.String).alias("Enrollment Started Date"),
        completed.dt.strftime("%-d/%-m/%Y").alias("Enrollment Completed Date"),
        pl.when(status != "Completed").then((i % 101).cast(pl.String)).alias("Enrollment Score"),
        status.alias("Enrollment Status"),
    )
    # Faults at rows we know: every 1,000th record has a bad date, every 1,337th an unknown user.
    record = pl.int_range(n)
    return frame.with_columns(
        pl.when(record % 1000 == 999).then(pl.lit("2016-01-01"))
        .otherwise(pl.col("Enrollment Completed Date")).alias("Enrollment Completed Date"),
        pl.when(record % 1337 == 1336).then(pl.lit("ghost@example.com"))
        .otherwise(pl.col("Login ID")).alias("Login ID"),
    )


def test_a_large_file_keeps_every_row_in_place(portal_db, tmp_path):
    path = tmp_path / "large.csv"
    frame = generated(N)
    frame.write_csv(path)
    result = check_file(path, portal_db, RunOptions(IMPORT_DATE, skip_invalid_rows=True))

    def rows_of(rule: str) -> list[int]:
        return result.findings.filter(pl.col("rule") == rule)["row"].to_list()

    assert rows_of("bad_date_format") == list(range(1000 + 1, N + 2, 1000))
    assert rows_of("unknown_user") == list(range(1337 + 1, N + 2, 1337))
    c = result.counts
    assert c.rows == N
    assert c.rows == c.live + c.archived + c.skipped
    assert result.migrated["row"].is_sorted() and result.migrated["row"].n_unique() == result.migrated.height
    assert result.state == "valid"
