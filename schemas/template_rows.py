"""The pandera contract of a template file as loaded (enrollment_migrate.template_file), which the
engine holds the loader to before its rules run."""

from __future__ import annotations

import pandera.polars as pa


class TemplateRows(pa.DataFrameModel):
    """A template file as loaded: one record per row, values trimmed, blanks as null."""

    row: int = pa.Field(ge=2)
    login_id: str = pa.Field(nullable=True)
    course_name: str = pa.Field(nullable=True)
    created_date: str = pa.Field(nullable=True)
    started_date: str = pa.Field(nullable=True)
    completed_date: str = pa.Field(nullable=True)
    score: str = pa.Field(nullable=True)
    status: str = pa.Field(nullable=True)
    access_expires_date: str = pa.Field(nullable=True)
    field_count: int = pa.Field(ge=0)

    class Config:
        strict = True
        ordered = False
