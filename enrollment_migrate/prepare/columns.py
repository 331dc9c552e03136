"""Template columns from source columns: renamed, derived with a format, or constant."""

from __future__ import annotations

import polars as pl

from enrollment_migrate.prepare.mapping import (
    DATE_HEADERS,
    TEMPLATE_HEADERS,
    ColumnSource,
    Mapping,
    MappingError,
)
from enrollment_migrate.prepare.vocabulary import PLACEHOLDER, ROW


def column_sources(source_columns: list[str], mapping: Mapping) -> dict[str, ColumnSource]:
    """Where each template column comes from. An adapter's output is template-shaped already:
    its columns stand for themselves unless the mapping names another source."""
    sources = dict(mapping.columns)
    if mapping.adapter:
        for header in TEMPLATE_HEADERS:
            if header not in sources and header in source_columns:
                sources[header] = ColumnSource("column", header)
    return sources


def shape_columns(source: pl.DataFrame, mapping: Mapping) -> pl.DataFrame:
    """The template's columns in order, after ROW. Date columns keep their type for the date
    step; the others are text. A source column the mapping names and the source lacks is a
    MappingError naming the key."""
    available = [c for c in source.columns if c != ROW]
    sources = column_sources(available, mapping)
    problems, expressions = [], []
    for header in TEMPLATE_HEADERS:
        given = sources.get(header)
        if given is None:
            expressions.append(pl.lit(None, pl.String).alias(header))
            continue
        names = {}
        for wanted in given.source_columns:
            found = find_column(available, wanted)
            if found is None:
                problems.append(
                    f"columns → {header}: the source has no column {wanted!r} "
                    f"(its columns: {', '.join(available)})"
                )
            else:
                names[wanted] = found
        if len(names) == len(given.source_columns):
            values = _values(given, names)
            expressions.append((values if header in DATE_HEADERS else values.cast(pl.String)).alias(header))
    if problems:
        raise MappingError(mapping.origin, problems)
    return source.select(pl.col(ROW), *expressions)


def find_column(available: list[str], wanted: str) -> str | None:
    """The source column named `wanted`: exactly, or else trimmed and case-insensitive when that
    names exactly one."""
    if wanted in available:
        return wanted
    loose = [c for c in available if c.strip().casefold() == wanted.strip().casefold()]
    return loose[0] if len(loose) == 1 else None


def _values(given: ColumnSource, names: dict[str, str]) -> pl.Expr:
    if given.kind == "constant":
        return pl.lit(given.value.strip() or None, pl.String)
    if given.kind == "column":
        return pl.col(names[given.value])
    # A blank source value makes the derived value blank: "{First} {Last}" with no last name is
    # not a name to migrate.
    pattern = PLACEHOLDER.sub("{}", given.value.replace("{}", ""))
    parts = [pl.col(names[n]).cast(pl.String).str.strip_chars() for n in PLACEHOLDER.findall(given.value)]
    if given.inner_spaces is not None:
        parts = [part.str.replace_all(r"\s+", given.inner_spaces, literal=False) for part in parts]
    built = pl.format(pattern, *parts)
    if given.strip_accents:
        built = built.str.normalize("NFD").str.replace_all(r"\p{Mn}", "")  # Zoë -> Zoe
    if given.lower_case:
        built = built.str.to_lowercase()
    return built.str.strip_chars()
