"""The preparation as pure steps over frames: read the source (a file, or an adapter's
computation), then shape, map, convert and check its rows. The flow adds only the hand-offs."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import polars as pl

from enrollment_migrate.prepare.adapters import make_adapter
from enrollment_migrate.prepare.checks import template_warnings
from enrollment_migrate.prepare.columns import column_sources, find_column, shape_columns
from enrollment_migrate.prepare.dates import convert_date_column
from enrollment_migrate.prepare.mapping import (
    DATE_HEADERS, TEMPLATE_HEADERS, Mapping, MappingError, source_column_names,
)
from enrollment_migrate.prepare.report import NEEDS_DECISIONS, PREPARED, PreparationReport
from enrollment_migrate.prepare.sources import SourceDescription, SourceTable, read_source, tidy_values
from enrollment_migrate.prepare.vocabulary import DROP, ROW, SourceUnreadable
from enrollment_migrate.prepare.scores import as_number, convert_scores
from enrollment_migrate.prepare.statuses import BLANK_WORD, map_statuses
from schemas.template import SCORE, STATUS


@dataclass
class Prepared:
    rows: pl.DataFrame  # ROW and the template's headers: dates as pl.Date, statuses mapped
    report: PreparationReport

    @property
    def ready(self) -> bool:
        return self.report.state == PREPARED


def read(source: str | Path, mapping: Mapping) -> SourceTable:
    """The source as a table: the file read as text, or the mapping's adapter's frame."""
    if mapping.adapter is None:
        return read_source(source, mapping.source, source_column_names(mapping))
    adapter = make_adapter(mapping.adapter, mapping.adapter_options)
    if not Path(source).exists():
        raise SourceUnreadable(f"{source}: no such file or folder")
    frame = adapter.frames(Path(source))
    return SourceTable(
        tidy_values(frame, mapping.source.blank_values),
        SourceDescription(str(source), "adapter", adapter=mapping.adapter),
    )


def prepare_rows(table: SourceTable, mapping: Mapping) -> Prepared:
    source = table.frame
    report = PreparationReport(PREPARED, table.description.as_dict(), mapping.origin, rows_in=source.height)
    values = [c for c in source.columns if c != ROW]
    is_blank = pl.all_horizontal(pl.col(c).is_null() for c in values) if values else pl.lit(True)
    blank_rows = source.filter(is_blank).height
    if blank_rows:
        report.rows_dropped.append({"reason": "every value blank", "rows": blank_rows})
    shaped = shape_columns(source.filter(~is_blank), mapping)

    statuses = map_statuses(shaped, STATUS.header, mapping.statuses)
    report.statuses = statuses.mapped
    shaped = shaped.with_columns(statuses.statuses.alias(STATUS.header))
    if mapping.pass_mark:
        graded, report.statuses = _graded(source.filter(~is_blank), shaped, mapping, report.statuses)
        shaped = shaped.with_columns(graded)
    report.rows_dropped += [
        {"reason": f"status {m['from']!r} mapped to {DROP}" if m["from"] != BLANK_WORD
         else f"blank status mapped to {DROP}", "rows": m["rows"]}
        for m in statuses.mapped if m["to"] == DROP
    ]
    kept = shaped.filter(pl.col(STATUS.header).ne_missing(DROP))
    decisions = list(statuses.decisions)

    converted = {}
    for header in DATE_HEADERS:
        conversion = convert_date_column(kept, header, mapping.dates)
        if conversion.report.values:
            report.dates.append(asdict(conversion.report))
        decisions += conversion.decisions
        if conversion.dates is not None:
            converted[header] = conversion.dates
    rows = kept.with_columns(**converted) if not decisions else kept
    scores = convert_scores(rows, SCORE.header)
    rows = rows.with_columns(scores.scores)
    report.scores = scores.report

    sources = column_sources(values, mapping)
    report.columns = [
        {"column": header, "from": sources[header].describe(), "values": int(rows[header].is_not_null().sum()),
         # three values a format built (logins from names): what the portal will be asked for
         **({"examples": rows[header].drop_nulls().head(3).to_list()} if sources[header].kind == "format" else {})}
        for header in TEMPLATE_HEADERS if header in sources
    ]
    report.rows_out = rows.height
    report.decisions = decisions
    if decisions:
        report.state = NEEDS_DECISIONS
    else:
        report.warnings = template_warnings(rows)
    return Prepared(rows, report)


def _graded(
    source: pl.DataFrame, shaped: pl.DataFrame, mapping: Mapping, mapped: list[dict]
) -> tuple[pl.Series, list[dict]]:
    """A status from two columns (mapping.PassMark): rows mapped to Completed with a grade that
    is a number become Passed at or above the mark, Failed below it; the report says how many."""
    mark = mapping.pass_mark
    found = find_column([c for c in source.columns if c != ROW], mark.grade)
    if found is None:
        raise MappingError(mapping.origin, [f"pass_mark → grade: the source has no column {mark.grade!r}"])
    grade = as_number(source[found].cast(pl.String))
    completed = shaped[STATUS.header] == "Completed"
    passed = pl.select(pl.when(completed & grade.is_not_null()).then(
        pl.when(grade >= mark.at_least).then(pl.lit("Passed")).otherwise(pl.lit("Failed"))
    ).otherwise(pl.lit(shaped[STATUS.header]))).to_series().alias(STATUS.header)
    by_mark = [
        {"from": f"Completed, {found} {'≥' if to == 'Passed' else '<'} {mark.at_least:g}", "to": to,
         "rows": int(((passed == to) & completed).sum())}
        for to in ("Passed", "Failed")
    ]
    return passed, mapped + [entry for entry in by_mark if entry["rows"]]


def prepare(source: str | Path, mapping: Mapping) -> Prepared:
    return prepare_rows(read(source, mapping), mapping)
