"""Statuses: the source's words to the template's five, as the mapping says; nothing guessed.

Words match trimmed and case-insensitive. The template's own words (`completed`, `IN PROGRESS`)
stand for themselves unless the mapping says otherwise. A word the mapping does not name is
reported with its count and first rows, and the file is not written until it is mapped (or
mapped to `drop`).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from enrollment_migrate.prepare.vocabulary import DROP, ROW
from enrollment_migrate.prepare.report import Decision, examples
from schemas.template import STATUSES

BLANK_WORD = "(blank)"


@dataclass
class StatusMapping:
    statuses: pl.Series  # the template status, DROP, or null where unmapped; aligned with input
    mapped: list[dict[str, object]]  # {"from": word as first written, "to": status, "rows": n}
    decisions: list[Decision]


def map_statuses(rows: pl.DataFrame, column: str, statuses: dict[str, str]) -> StatusMapping:
    """`statuses` maps case-folded words (blank as "") to a template status or DROP."""
    table = {s.casefold(): s for s in STATUSES} | statuses
    word = pl.col(column).cast(pl.String).str.strip_chars().fill_null("")
    keyed = rows.select(
        ROW,
        word.alias("word"),
        word.str.to_lowercase().alias("key"),
    ).with_columns(
        status=pl.col("key").replace_strict(table, default=None, return_dtype=pl.String),
    )
    used = (
        keyed.group_by("key", maintain_order=True)
        .agg(pl.col("word").first(), pl.col("status").first(), pl.len().alias("rows"))
        .with_columns(pl.col("word").replace("", BLANK_WORD))
    )
    mapped = [
        {"from": r["word"], "to": r["status"], "rows": int(r["rows"])}
        for r in used.filter(pl.col("status").is_not_null()).iter_rows(named=True)
    ]
    unmapped = used.filter(pl.col("status").is_null())
    decisions = []
    if unmapped.height:
        words = ", ".join(f"{r['word']!r} ({r['rows']} rows)" for r in unmapped.iter_rows(named=True))
        decisions.append(Decision(
            "unmapped_statuses", column,
            f"{column}: these source words are not mapped to a template status: {words}. Map each "
            "one under statuses, to one of " + ", ".join(STATUSES) + f", or to {DROP} to leave its "
            "rows out" + ("; a blank status is mapped under the key \"\"" if (unmapped["key"] == "").any() else "")
            + ".",
            examples(keyed.filter(pl.col("status").is_null()).with_columns(
                pl.col("word").replace("", BLANK_WORD)), "word"),
        ))
    return StatusMapping(keyed["status"], mapped, decisions)
