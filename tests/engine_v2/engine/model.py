"""The engine's shared types: the options, the portal as the checks read it, a file's rows
between the steps, the result, and the frames' schemas."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import duckdb
import polars as pl

from enrollment_migrate.errors import PortalNotLoaded  # noqa: F401 - the engine raises it
from enrollment_migrate.options import RunOptions, two_year_cutoff  # noqa: F401 - the engine's options, its split
from engine_v2.engine.findings import Found, tally
from engine_v2.sql_files import sql
from enrollment_migrate.warehouse import named_in, registered

Store = Literal["live", "archived"]


# Migrated rows: in memory, or in Parquet files (a file checked in parts, a saved result).
Migrated = pl.DataFrame | list[Path]



def migrated_frame(migrated: Migrated) -> pl.LazyFrame:
    return migrated.lazy() if isinstance(migrated, pl.DataFrame) else pl.scan_parquet(migrated)



def summed(migrated: Migrated, query: pl.LazyFrame) -> pl.DataFrame:
    """A small aggregate of the migrated rows: over files, by Polars' streaming engine, which
    reads them a batch at a time (the default engine would load every column it needs whole)."""
    return query.collect(engine="in-memory" if isinstance(migrated, pl.DataFrame) else "streaming")



@dataclass
class Counts:
    rows: int = 0
    live: int = 0
    archived: int = 0
    skipped: int = 0
    errors: int = 0
    warnings: int = 0
    certificates: int = 0
    credits: float = 0
    badges: int = 0



@dataclass
class CheckResult:
    state: Literal["valid", "invalid"]
    # in memory, or in Parquet files in findings.csv's order (engine.findings): never read whole
    findings: Found
    migrated: Migrated  # accepted rows, as they would be stored, with their store and awards
    counts: Counts
    by_year: list[dict[str, int]] = field(default_factory=list)
    portal_fingerprint: str | None = None  # the portal the rows were checked against
    readiness: list[dict[str, object]] = field(default_factory=list)  # engine.readiness.checklist

    @property
    def rule_counts(self) -> dict[str, int]:
        counted = tally(self.findings).group_by("rule").agg(pl.col("findings").sum().alias("len")).sort("rule")
        return dict(zip(counted["rule"].to_list(), counted["len"].to_list(), strict=True))



MIGRATED_SCHEMA = {
    "row": pl.Int64,
    "login_id": pl.String,
    "course_name": pl.String,
    "user_id": pl.Int64,
    "course_id": pl.Int64,
    "status": pl.String,
    "score": pl.Float64,
    "created_at": pl.Datetime("us"),
    "started_at": pl.Datetime("us"),
    "completed_at": pl.Datetime("us"),
    "access_expires_at": pl.Datetime("us"),
    "store": pl.String,
    "certificate": pl.String,
    "credits": pl.Float64,
    "badge": pl.String,
}




@dataclass
class Portal:
    """What the checks read of the portal's users and courses, as frames.

    Read once from the store, or from the Parquet copy `save` writes for workers without it.
    """

    users: pl.DataFrame  # login_key, user_id, user_matches
    courses: pl.DataFrame  # course_key, course_id, course_matches, course_published
    settings: pl.DataFrame  # course_id, certificate, credits, badge: what a completion awards
    fingerprint: str  # of the users and courses read: an apply is refused if they changed since

    FILES = {"users": "user_keys", "courses": "course_keys", "settings": "course_awards"}

    @staticmethod
    def require_loaded(con: duckdb.DuckDBPyConnection) -> None:
        """PortalNotLoaded unless the store holds users and courses: two counts, cheap enough
        for a command to ask before it starts any work."""
        ((users, courses),) = con.execute(sql("portal_counts")).fetchall()
        if not users or not courses:
            raise PortalNotLoaded(
                "The portal has no users or no courses: load them first with "
                "'enrollment-migrate portal load --users FILE --courses FILE'."
            )

    @classmethod
    def read(cls, con: duckdb.DuckDBPyConnection) -> Portal:
        cls.require_loaded(con)
        return cls(
            con.sql(sql("portal_user_keys")).pl(),
            con.sql(sql("portal_course_keys")).pl(),
            con.sql(sql("course_awards")).pl(),
            portal_fingerprint(con),
        )

    def save(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        for name, file in self.FILES.items():
            getattr(self, name).write_parquet(directory / f"{file}.parquet")
        (directory / "fingerprint.txt").write_text(self.fingerprint, encoding="utf-8")
        return directory

    @classmethod
    def open(cls, directory: Path) -> Portal:
        frames = (pl.read_parquet(directory / f"{file}.parquet") for file in cls.FILES.values())
        return cls(*frames, (directory / "fingerprint.txt").read_text(encoding="utf-8"))

    @classmethod
    def open_settings(cls, directory: Path) -> pl.DataFrame:
        """Only the courses' awards, where the users' keys are not needed (learner buckets)."""
        return pl.read_parquet(directory / f"{cls.FILES['settings']}.parquet")



@dataclass
class CheckedRows:
    """A file's (or a part's) rows after the per-row rules."""

    findings: pl.DataFrame  # the file's own findings and each row's
    candidates: pl.DataFrame  # rows no blocking finding stops, for the rules across rows
    blocked: int  # rows a blocking finding stops



def portal_fingerprint(con: duckdb.DuckDBPyConnection) -> str:
    return con.execute(sql("portal_fingerprint")).fetchall()[0][0]



def row_among(rows: pl.Series) -> pl.Expr:
    return pl.col("row").is_in(pl.lit(rows).implode())



# What the steps after the per-row rules read of a row.
CANDIDATE_SCHEMA = {
    "row": pl.Int64,
    **dict.fromkeys(
        ["login_id", "course_name", "created_date", "started_date", "completed_date", "score",
         "access_expires_date", "status_word"],
        pl.String,
    ),
    "score_value": pl.Float64,
    **dict.fromkeys(["created", "started", "completed", "access_expires"], pl.Date),
    "user_id": pl.Int64,
    "course_id": pl.Int64,
}


CANDIDATE_COLUMNS = list(CANDIDATE_SCHEMA)



def empty_migrated() -> pl.DataFrame:
    return pl.DataFrame(schema=MIGRATED_SCHEMA)



def empty_candidates() -> pl.DataFrame:
    return pl.DataFrame(schema=CANDIDATE_SCHEMA)



def query(
    con: duckdb.DuckDBPyConnection,
    name: str,
    params: dict[str, object] | None = None,
    **relations: Migrated,
) -> pl.DataFrame:
    """Run a named SQL file with frames registered under the names it reads, and those of
    `params` it names."""
    text = sql(name)
    with registered(con, **relations):
        return con.sql(text, params=named_in(text, params)).pl()
