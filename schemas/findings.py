"""The shape of a finding, as the engine produces it and the reports write it."""

from __future__ import annotations

from collections.abc import Iterable

import pandera.polars as pa
import polars as pl

from schemas.rules import ALL_RULES, Rule, Severity

FINDING_SCHEMA: dict[str, pl.DataType] = {
    "row": pl.Int64(),
    "column": pl.String(),
    "rule": pl.String(),
    "severity": pl.String(),
    "value": pl.String(),
    "message": pl.String(),
}

SEVERITY_ORDER = {s.value: i for i, s in enumerate(Severity)}


class Findings(pa.DataFrameModel):
    """One line per finding; `row` is the spreadsheet row, null for file and course findings."""

    row: int = pa.Field(nullable=True, ge=1)
    column: str = pa.Field(nullable=True)
    rule: str = pa.Field(isin=sorted(ALL_RULES))
    severity: str = pa.Field(isin=[s.value for s in Severity])
    value: str = pa.Field(nullable=True)
    message: str

    class Config:
        strict = True


def finding(
    rule: Rule,
    message: str,
    *,
    row: int | None = None,
    column: str | None = None,
    value: str | None = None,
) -> dict[str, object]:
    return {
        "row": row,
        "column": column,
        "rule": rule.code,
        "severity": rule.severity.value,
        "value": value,
        "message": message,
    }


def finding_columns(
    rule: Rule | pl.Expr,
    message: pl.Expr,
    *,
    column: str | None = None,
    value: pl.Expr | None = None,
    severity: Severity | None = None,
) -> list[pl.Expr]:
    """The six columns of a finding, as expressions over a frame of the rows (its `row` column)
    that fire a rule: the one builder of findings from frames. `rule` is a rule, or an
    expression of rule codes when one query answers for several rules; the severity is always the catalogue's (`severity`
    overrides it only where an option changes it: --skip-existing makes existing_enrollment
    skipped)."""
    if isinstance(rule, Rule):
        code = pl.lit(rule.code)
        graded = pl.lit((severity or rule.severity).value)
    else:
        code = rule
        graded = rule.replace_strict(_SEVERITY_OF, return_dtype=pl.String)
    return [
        pl.col("row").cast(pl.Int64),
        pl.lit(column, pl.String).alias("column"),
        code.alias("rule"),
        graded.alias("severity"),
        (pl.lit(None, pl.String) if value is None else value).cast(pl.String).alias("value"),
        message.alias("message"),
    ]


_SEVERITY_OF = {code: rule.severity.value for code, rule in ALL_RULES.items()}


def findings_frame(items: Iterable[dict[str, object]] = ()) -> pl.DataFrame:
    return pl.DataFrame(list(items), schema=FINDING_SCHEMA)


def empty_findings() -> pl.DataFrame:
    return pl.DataFrame(schema=FINDING_SCHEMA)


def sort_findings(findings: pl.DataFrame) -> pl.DataFrame:
    """File findings first, then rows in order, then course findings; stable within a row."""
    return findings.sort(
        pl.col("row").is_not_null(),
        "row",
        pl.col("severity").replace_strict(SEVERITY_ORDER, return_dtype=pl.Int8),
        "rule",
        "column",
        nulls_last=False,
        maintain_order=True,
    )
