"""What `validate` will say about a prepared file that preparation can already see without the
portal: scores on statuses that cannot carry one, missing scores and completion dates, blank
logins and course names. They do not stop the file being written (the admin may want to run
with --skip-invalid-rows); the report names them so that nobody is surprised."""

from __future__ import annotations

import datetime as dt

import polars as pl

from schemas import rules
from schemas.row_rules import row_checks
from schemas.template import COLUMNS, STATUS, STATUSES

# The rules preparation can already see, and what each means for the prepared file. Whether a
# row fails one is the registry's row check itself (schemas.row_rules), never a restatement.
EARLY_WARNINGS = {
    rules.BLANK_COURSE_NAME: "rows have no Course Name: validate rejects the whole file",
    rules.BLANK_LOGIN_ID: "rows have no Login ID",
    rules.SCORE_NOT_ALLOWED: ("rows carry a score on a status other than Passed or Failed: validate "
                              "rejects the whole file; map those words to Passed or Failed, or leave "
                              "the score column out"),
    rules.SCORE_REQUIRED: ("Passed or Failed rows have no score: validate reports each one "
                           "(--skip-invalid-rows leaves them out)"),
    rules.COMPLETED_DATE_REQUIRED: "Completed, Passed or Failed rows have no Enrollment Completed Date",
}


def template_warnings(rows: pl.DataFrame) -> list[dict[str, object]]:
    """`rows` holds the template headers, statuses already mapped."""
    words = {word.lower(): word for word in STATUSES}
    # The columns the row checks read, by the template's field names (as the engine prepares them).
    frame = rows.select(
        *(pl.col(c.header).alias(c.field) for c in COLUMNS if c.header in rows.columns),
        status_word=pl.col(STATUS.header).str.to_lowercase().replace_strict(words, default=None, return_dtype=pl.String),
    )
    # The import date is not known yet; none of these rules reads it.
    checks = [check for check in row_checks(dt.date.today()) if check.rule in EARLY_WARNINGS]
    counts = frame.select(
        pl.any_horizontal(check.failing.fill_null(False) for check in checks if check.rule is rule)
        .sum().alias(rule.code)
        for rule in EARLY_WARNINGS
    ).row(0, named=True)
    return [
        {"rule": rule.code, "rows": int(counts[rule.code]), "message": f"{counts[rule.code]} {message}"}
        for rule, message in EARLY_WARNINGS.items()
        if counts[rule.code]
    ]
