"""The `portal load` flow: users, courses, existing enrollments, learning paths and settings into
the warehouse."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from pathlib import Path

from prefect import flow

from enrollment_migrate import portal, warehouse
from enrollment_migrate.publish import publish_or_warn


@flow(name="portal-load", log_prints=False)
def portal_load_flow(
    users: str | None = None,
    courses: str | None = None,
    enrollments: str | None = None,
    learning_paths: str | None = None,
    settings: str | None = None,
    import_date: dt.date | None = None,
    db: str | None = None,
) -> dict[str, int]:
    """Load or update the target portal; all the given files, or none if any is refused."""
    db_file = warehouse.db_path(db)
    with warehouse.connect(db_file) as con:
        loaded = portal.load_portal(
            con,
            users=Path(users) if users else None,
            courses=Path(courses) if courses else None,
            enrollments=Path(enrollments) if enrollments else None,
            learning_paths=Path(learning_paths) if learning_paths else None,
            settings=Path(settings) if settings else None,
            import_date=import_date,
        )
        publish_or_warn(con, db_file)
    return asdict(loaded)
