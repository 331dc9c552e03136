"""What `validate` will say about a prepared file that preparation can already see without the
portal: scores on statuses that cannot carry one, missing scores and completion dates, blank
logins and course names. They do not stop the file being written (the admin may want to run
with --skip-invalid-rows); the report names them so that nobody is surprised."""

from __future__ import annotations

import polars as pl

from schemas import rules
from schemas.template import (
    COMPLETED,
    COURSE_NAME,
    FINISHED_STATUSES,
    LOGIN_ID,
    SCORE,
    SCORED_STATUSES,
    STATUS,
)


def template_warnings(rows: pl.DataFrame) -> list[dict[str, object]]:
    """`rows` holds the template headers, statuses already mapped."""
    status, score = pl.col(STATUS.header), pl.col(SCORE.header)
    scored = status.is_in(SCORED_STATUSES)
    checks = [
        (rules.BLANK_COURSE_NAME, pl.col(COURSE_NAME.header).is_null(),
         "rows have no Course Name: validate rejects the whole file"),
        (rules.BLANK_LOGIN_ID, pl.col(LOGIN_ID.header).is_null(), "rows have no Login ID"),
        (rules.SCORE_NOT_ALLOWED, score.is_not_null() & ~scored,
         ("rows carry a score on a status other than Passed or Failed: validate rejects the whole "
          "file; map those words to Passed or Failed, or leave the score column out")),
        (rules.SCORE_REQUIRED, score.is_null() & scored,
         ("Passed or Failed rows have no score: validate reports each one "
          "(--skip-invalid-rows leaves them out)")),
        (rules.COMPLETED_DATE_REQUIRED,
         pl.col(COMPLETED.header).is_null() & status.is_in(FINISHED_STATUSES),
         "Completed, Passed or Failed rows have no Enrollment Completed Date"),
    ]
    counts = rows.select(
        failing.fill_null(False).sum().alias(rule.code) for rule, failing, _ in checks
    ).row(0, named=True)
    return [
        {"rule": rule.code, "rows": int(counts[rule.code]), "message": f"{counts[rule.code]} {message}"}
        for rule, _, message in checks
        if counts[rule.code]
    ]
