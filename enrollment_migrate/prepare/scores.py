"""Scores as the template wants them: a number. Exports write `88,50` (a decimal comma) and
`85 %`; by default both are read as the number they mean, and each conversion is counted in the
report. A score that is still not a number after that is named with its row (validate would
report it as `bad_score`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from enrollment_migrate.prepare.report import examples
from enrollment_migrate.prepare.vocabulary import ROW

_NUMBER = r"^[0-9]+(\.[0-9]+)?$"
_DECIMAL_COMMA = r"^[0-9]+,[0-9]+$"  # 88,50; a score is at most 100, so the comma is never thousands
_PERCENT = r"^(.*?)\s*%$"


@dataclass
class ScoreConversion:
    scores: pl.Series
    report: dict[str, Any] = field(default_factory=dict)  # {"decimal_comma", "percent", "not_numbers"}


def _percent(value: pl.Expr) -> pl.Expr:
    return value.str.contains(_PERCENT)


def _without_percent(value: pl.Expr) -> pl.Expr:
    return pl.when(_percent(value)).then(value.str.extract(_PERCENT, 1)).otherwise(value)


def _decimal_comma(value: pl.Expr) -> pl.Expr:
    return _without_percent(value).str.contains(_DECIMAL_COMMA)


def number_text(value: pl.Expr) -> pl.Expr:
    """The value written as the template wants a number: no percent sign, a decimal point."""
    bare = _without_percent(value)
    return pl.when(_decimal_comma(value)).then(bare.str.replace(",", ".", literal=True)).otherwise(bare)


def as_number(value: pl.Expr) -> pl.Expr:
    """A score or grade as a number (number_text's reading), or null when it is not one."""
    text = number_text(value).str.strip_chars()
    return pl.when(text.str.contains(_NUMBER)).then(text.cast(pl.Float64, strict=False))


def convert_scores(rows: pl.DataFrame, header: str) -> ScoreConversion:
    """The score column with percent signs dropped and decimal commas made points; what was
    converted, and the values that are still not numbers (with their rows)."""
    given = pl.col(header)
    converted = rows.select(
        ROW, header,
        _percent=_percent(given).fill_null(False),
        _comma=_decimal_comma(given).fill_null(False),
        _score=number_text(given),
    )
    not_numbers = converted.filter(pl.col("_score").is_not_null() & ~pl.col("_score").str.contains(_NUMBER))
    return ScoreConversion(
        converted["_score"].alias(header),
        {
            "decimal_comma": int(converted["_comma"].sum()),
            "percent": int(converted["_percent"].sum()),
            "not_numbers": examples(not_numbers, header),
            "not_number_count": not_numbers.height,
        },
    )
