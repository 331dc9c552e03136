"""The preparation report: what was read, mapped, converted and dropped, and what is left for
the admin to decide. Written as JSON beside the prepared file; `summary_text` is the readable
form the command prints."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import polars as pl

from enrollment_migrate.prepare.vocabulary import ROW
from enrollment_migrate.visible import visible

PREPARED, NEEDS_DECISIONS = "prepared", "needs_decisions"
# How a date column read its values written at 00:00:00 with no zone (DateColumnReport.midnight):
# as dates alone when no other time of day is in the column, else as times of day in its zone.
MIDNIGHT_AS_DATE, MIDNIGHT_AS_TIME = "date alone", "time of day"
_EXAMPLES = 5


@dataclass(frozen=True)
class Decision:
    """Something the mapping or the data leaves open; the file is not written until it is
    settled. `examples` are the first rows concerned: {"row": source row, "value": as written}."""

    kind: str
    column: str | None
    message: str
    examples: list[dict[str, Any]] = field(default_factory=list)


def examples(frame: pl.DataFrame, column: str, limit: int = _EXAMPLES) -> list[dict[str, Any]]:
    return [
        {"row": int(r[0]), "value": None if r[1] is None else str(r[1])}
        for r in frame.select(ROW, column).head(limit).iter_rows()
    ]


@dataclass
class PreparationReport:
    state: str  # PREPARED or NEEDS_DECISIONS
    source: dict[str, Any]  # how it was read: kind, encoding, separator, sheet, adapter
    mapping: str
    out: str | None = None  # the prepared file; None while decisions are open
    rows_in: int = 0
    rows_out: int = 0
    rows_dropped: list[dict[str, Any]] = field(default_factory=list)  # {"reason", "rows"}
    columns: list[dict[str, Any]] = field(default_factory=list)  # {"column", "from", "values"}
    statuses: list[dict[str, Any]] = field(default_factory=list)  # {"from", "to", "rows"}
    dates: list[dict[str, Any]] = field(default_factory=list)  # DateColumnReport as dicts
    decisions: list[Decision] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)  # {"rule", "rows", "message"}
    # scores.convert_scores: {"decimal_comma", "percent", "not_numbers", "not_number_count"}
    scores: dict[str, Any] = field(default_factory=dict)
    # Values a spreadsheet would run as formulas, kept exactly: {"count", "examples": [{"row",
    # "column", "value"}]} (output.formula_like).
    formula_like_values: dict[str, Any] = field(default_factory=lambda: {"count": 0, "examples": []})
    portal_files: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _quoted(value: Any) -> str:
    """A value quoted as Python would, its control characters shown as `visible` shows them."""
    return repr(visible(value) if isinstance(value, str) else value)


def summary_text(report: dict[str, Any]) -> str:
    """The report for a person: a verdict, then what was done, then what to decide. Every line
    is shown by `visible`: a value's control characters (a terminal's ESC, a right-to-left
    override, a line break) as marks, never as what they do."""
    lines = []
    source = report["source"]
    read = [source["kind"]]
    if source.get("encoding"):
        read.append(f"encoding {source['encoding']}" + (" (detected)" if source["encoding_detected"] else ""))
    if source.get("byte_order_mark"):
        read.append("byte-order mark")
    if source.get("separator"):
        read.append(f"separator {source['separator']!r}" + (" (detected)" if source["separator_detected"] else ""))
    if source.get("sheet"):
        read.append(f"sheet {_quoted(source['sheet'])}")
    if source.get("header_row", 1) != 1:
        found = " (found by the mapping's column names, below title rows)" if source.get("header_row_found") else ""
        read.append(f"column names on row {source['header_row']}{found}")
    if source.get("adapter"):
        read.append(f"adapter {source['adapter']}")
    if report["state"] == PREPARED:
        lines.append(f"PREPARED  {report['out']}  ({report['rows_out']} rows)")
    else:
        lines.append(f"NEEDS DECISIONS  {len(report['decisions'])} to make; nothing was written")
    lines.append(f"Source: {source['path']} ({', '.join(read)}); mapping {report['mapping']}")
    lines.append(f"Rows: {report['rows_in']} in, {report['rows_out']} out")
    for dropped in report["rows_dropped"]:
        lines.append(f"  dropped {dropped['rows']}: {dropped['reason']}")
    lines.append("Columns:")
    for column in report["columns"]:
        built = f", e.g. {', '.join(column['examples'])}" if column.get("examples") else ""
        lines.append(f"  {column['column']}: {column['values']} values from {column['from']}{built}")
    if report["statuses"]:
        lines.append("Statuses:")
        for status in report["statuses"]:
            lines.append(f"  {status['from']} -> {status['to']}: {status['rows']} rows")
    if report["dates"]:
        lines.append("Dates:")
        for date in report["dates"]:
            written = ", ".join(f"{n} {shape}" for shape, n in date["written_as"].items()) or "none"
            line = f"  {date['column']} ({date['format']}): {date['converted']} of {date['values']} converted ({written})"
            if date["with_time_of_day"]:
                line += f"; {date['with_time_of_day']} had a time of day, {date['shifted_by_timezone']} shifted to the UTC date"
            if date["midnight"]:
                line += f"; {date['at_midnight']} at 00:00 read as " + (
                    "times of day (the column has other times of day)" if date["midnight"] == MIDNIGHT_AS_TIME
                    else "dates alone (no other time of day in the column)"
                )
            lines.append(line)
    scores = report.get("scores") or {}
    if scores.get("decimal_comma") or scores.get("percent") or scores.get("not_number_count"):
        line = (f"Scores: {scores['decimal_comma']} with a decimal comma and {scores['percent']} with a "
                "percent sign read as numbers")
        if scores["not_number_count"]:
            named = ", ".join(f"row {e['row']}: {_quoted(e['value'])}" for e in scores["not_numbers"])
            line += f"; {scores['not_number_count']} still not a number ({named})"
        lines.append(line)
    formulas = report["formula_like_values"]
    if formulas["count"]:
        shown = ", ".join(f"row {e['row']} {e['column']} {_quoted(e['value'])}" for e in formulas["examples"])
        lines.append(
            f"{formulas['count']} values start as a spreadsheet formula would (=, +, -, @) and are kept "
            f"exactly, as the platform needs them: {shown}"
            + (" …" if formulas["count"] > len(formulas["examples"]) else "")
            + ". Do not open and re-save the file in a spreadsheet, which could run or change them."
        )
    if report.get("portal_files"):
        files = report["portal_files"]
        lines.append(f"Portal files: {files['users']} ({files['user_count']} users), "
                     f"{files['courses']} ({files['course_count']} courses)")
    if report["warnings"]:
        lines.append("Validate will report (the file is written; decide before you run it):")
        for warning in report["warnings"]:
            lines.append(f"  {warning['rule']}: {warning['message']}")
    if report["decisions"]:
        lines.append("To decide:")
        for number, decision in enumerate(report["decisions"], 1):
            lines.append(f"  {number}. {decision['message']}")
            if decision["examples"]:
                shown = ", ".join(f"row {e['row']}: {_quoted(e['value'])}" for e in decision["examples"])
                lines.append(f"     e.g. {shown}")
    return "\n".join(visible(line) for line in lines)
