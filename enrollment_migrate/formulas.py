"""Spreadsheet formulas: the one reading of which cells a spreadsheet would run, and the files
written for spreadsheets (findings.csv, history exports) that never let one run."""

from __future__ import annotations

import polars as pl

# A spreadsheet treats a cell starting with one of these as a formula (OWASP "CSV injection").
FORMULA_START = r"^[=+\-@\t\r]"


def neutralise_formulas(frame: pl.DataFrame) -> pl.DataFrame:
    """Prefix every text cell a spreadsheet would evaluate with an apostrophe."""
    return frame.with_columns(
        pl.when(pl.col(name).str.contains(FORMULA_START))
        .then(pl.lit("'") + pl.col(name))
        .otherwise(pl.col(name))
        .alias(name)
        for name, dtype in frame.schema.items()
        if dtype == pl.String
    )
