"""Reading the store back: the run log and a learner's training history."""

from __future__ import annotations

import duckdb
import polars as pl

from enrollment_migrate.sql_files import sql


def run_log(con: duckdb.DuckDBPyConnection) -> list[dict[str, object]]:
    return con.sql(sql("run_log")).pl().to_dicts()


def learner_history(con: duckdb.DuckDBPyConnection, login_id: str) -> pl.DataFrame | None:
    """The learner's enrollments, live and archived; None when no user answers to login_id."""
    known = con.execute(
        "select count(*) from users where lower(email) = lower($login) or lower(username) = lower($login)",
        {"login": login_id.strip()},
    ).fetchall()[0][0]
    if not known:
        return None
    return con.sql(sql("user_training_history"), params={"login_id": login_id.strip()}).pl()
