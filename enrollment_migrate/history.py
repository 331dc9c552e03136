"""Reading the store back: the run log and a learner's training history."""

from __future__ import annotations

import duckdb
import polars as pl

from enrollment_migrate.sql_files import sql


def run_log(con: duckdb.DuckDBPyConnection) -> list[dict[str, object]]:
    return con.sql(sql("run_log")).pl().to_dicts()


def learner_history(con: duckdb.DuckDBPyConnection, login_id: str) -> pl.DataFrame | None:
    """The learner's enrollments, live and archived; None unless exactly one user answers to
    login_id (one's email can be another's username: their histories are never mixed)."""
    matching = con.execute(
        "select count(*) from users where lower(email) = lower($login) or lower(username) = lower($login)",
        {"login": login_id.strip()},
    ).fetchall()[0][0]
    if matching != 1:
        return None
    return con.sql(sql("user_training_history"), params={"login_id": login_id.strip()}).pl()
