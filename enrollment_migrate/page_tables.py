"""The report page's tables as HTML: the markup and the style great-tables gives them (the page
was first built with it), written here from a frame in one pass. great-tables took half a second
of each page for its ten small tables and its import; the markup is regular, and
tests/enrollment_migrate/test_page_tables.py holds this module to great-tables' own output.

Every cell is escaped, unless the caller marks a column as links it built itself.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import polars as pl

_ID = "__TABLE_ID__"  # in the style sheet: each table's rules are scoped to its id


@dataclass(frozen=True)
class Table:
    table_id: str
    labels: dict[str, str]  # column -> its heading, in the order shown
    integers: tuple[str, ...] = ()  # shown with thousands separators ("1,234", "−5")
    links: dict[str, str] = field(default_factory=dict)  # column -> its link's text; the cell holds its target
    missing: str | None = None  # shown for a missing value; None: as great-tables shows it ("None")


def table_html(frame: pl.DataFrame, table: Table) -> str:
    """The frame's columns named in `table.labels`, as a great-tables table."""
    columns = list(table.labels)
    align = {name: _alignment(frame.schema[name]) for name in columns}
    out = [_style().replace(_ID, table.table_id),
           '\n<table class="gt_table" data-quarto-disable-processing="false" data-quarto-bootstrap="false">\n'
           '<thead>\n\n<tr class="gt_col_headings">\n']
    for name in columns:
        out.append(f'  <th class="gt_col_heading gt_columns_bottom_border gt_{align[name]}" rowspan="1" '
                   f'colspan="1" scope="col" id="{table.table_id}-{name}">{html.escape(table.labels[name])}</th>\n')
    out.append('</tr>\n</thead>\n<tbody class="gt_table_body">\n')
    cells = [_cells(frame[name], name, table) for name in columns]
    for row in zip(*cells, strict=True):  # a page's table: a few dozen rows at most
        out.append("  <tr>\n")
        for name, text in zip(columns, row, strict=True):
            out.append(f'    <td headers="{table.table_id}-{name}" class="gt_row gt_{align[name]}">{text}</td>\n')
        out.append("  </tr>\n")
    if frame.height == 0:
        out.append("\n")
    out.append("</tbody>\n\n</table>\n\n</div>\n")
    return "".join(out)


def _cells(values: pl.Series, name: str, table: Table) -> list[str]:
    missing = table.missing if table.missing is not None else "None"
    if name in table.links:
        text = html.escape(table.links[name])
        return [missing if v is None else f'<a href="{html.escape(v)}">{text}</a>' for v in values.to_list()]
    if name in table.integers:
        return [missing if v is None else _integer(v) for v in values.to_list()]
    return [missing if v is None else html.escape(str(v)) for v in values.to_list()]


def _integer(value: float) -> str:
    number = round(value)
    return f"−{-number:,}" if number < 0 else f"{number:,}"  # great-tables' minus sign


def _alignment(dtype: pl.DataType) -> str:
    if dtype.is_numeric():
        return "right"
    return "center" if dtype == pl.Boolean else "left"


@cache
def _style() -> str:
    return resources.files("enrollment_migrate.templates").joinpath("table_head.html").read_text(encoding="utf-8")
