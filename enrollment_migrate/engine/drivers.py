"""The three steps over a whole file in memory (enrollment_migrate.partitioned runs them
over the parts of a file)."""

from __future__ import annotations

import duckdb
import polars as pl

from enrollment_migrate.engine.learners import check_learners
from enrollment_migrate.engine.model import CheckResult, Options, Portal
from enrollment_migrate.engine.rows import check_rows
from enrollment_migrate.engine.verdict import conclude, unreadable_result
from enrollment_migrate.template_file import TemplateFile


def check_file(template: TemplateFile, con: duckdb.DuckDBPyConnection, options: Options) -> CheckResult:
    """Every rule over a whole file in memory: the three steps below, one after the other
    (enrollment_migrate.partitioned runs them part by part)."""
    if template.rows is None:
        return unreadable_result(template.findings, template.record_count, options)
    portal = Portal.read(con)
    rows = check_rows(template, portal, options)
    learners_findings, migrated = check_learners(con, rows.candidates, portal.settings, options)
    return conclude(
        con, pl.concat([rows.findings, learners_findings]), migrated, template.record_count, rows.blocked,
        options, portal.fingerprint,
    )
