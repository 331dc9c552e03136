"""The validation engine: every rule of RULES.md over a template file, in three steps.

- `rows`: step 1, row by row (a part of a file at a time, on any worker): the row checks.
- `learners`: step 2, learner by learner: duplicates, existing enrollments, recertification.
- `verdict`: step 3, once for the file, with the store: the course checks, counts, verdict.
- `model`: the shared types (options, portal, rows between the steps, result); `results`: a
  result kept on disk between tasks; `drivers`: the one way the three steps run over a file, in
  parts and learner buckets through a work folder (a whole file is one part: `check_file`).

The checks themselves are declared in the rule registry (schemas.checks); the engine loops over
them. Per-row checks are Polars expressions; what needs the store or a learner's other rows is
DuckDB SQL from ../sql, against the warehouse connection with the rows registered as relations.
Nothing here writes to the store. This package's names below are its interface.
"""

from enrollment_migrate.engine.drivers import check_file
from enrollment_migrate.engine.learners import check_learners
from enrollment_migrate.engine.model import (
    MIGRATED_SCHEMA,
    CheckedRows,
    CheckResult,
    Counts,
    Migrated,
    RunOptions,
    Portal,
    PortalNotLoaded,
    empty_candidates,
    migrated_frame,
    portal_fingerprint,
    summed,
    two_year_cutoff,
)
from enrollment_migrate.engine.results import open_saved_result, save_result, saved_rows
from enrollment_migrate.engine.rows import check_rows, prepare_rows
from enrollment_migrate.engine.verdict import (
    conclude,
    course_findings,
    reject_file,
    unreadable_result,
)

__all__ = [
    "MIGRATED_SCHEMA", "CheckResult", "CheckedRows", "Counts", "Migrated", "RunOptions", "Portal",
    "PortalNotLoaded", "check_file", "check_learners", "check_rows", "conclude", "course_findings",
    "empty_candidates", "migrated_frame", "open_saved_result", "portal_fingerprint", "prepare_rows",
    "reject_file", "save_result", "saved_rows", "summed", "two_year_cutoff", "unreadable_result",
]
