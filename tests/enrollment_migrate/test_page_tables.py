"""The page's tables are great-tables' markup and style, byte for byte: the tables of the page,
and frames with what makes a table differ (nulls, negatives, big numbers, markup and quotes in
text, control characters, an empty frame), rendered by both."""

from __future__ import annotations

import great_tables as gt
import polars as pl
import pytest

from enrollment_migrate.page_tables import Table, table_html


def great_tables(frame: pl.DataFrame, table: Table) -> str:
    """The table as the page built it with great-tables (until issue 22)."""
    shown = frame
    for name, text in table.links.items():
        shown = shown.with_columns(pl.format(f"[{text}]({{}})", pl.col(name)).alias(name))
    built = (
        gt.GT(shown.select(list(table.labels)), id=table.table_id)
        .cols_label(cases=table.labels)
        .opt_table_font(stack="system-ui", add=False)
        .tab_options(table_width="100%", table_font_size="0.9rem", column_labels_font_weight="bold")
    )
    if table.integers:
        built = built.fmt_integer(columns=list(table.integers))
    if table.links:
        built = built.fmt_markdown(columns=list(table.links))
    if table.missing is not None:
        built = built.sub_missing(missing_text=table.missing)
    return built.as_raw_html()


CASES = {
    "rules": (
        pl.DataFrame({"rule": ["unknown_user", "bad_score"], "severity": ["error: rejects", "warning"],
                      "findings": [1_234_567, 3], "meaning": ["a <b>user</b> & co", "it's \"odd\""],
                      "fix": ["Add them.", None], "samples": ["#rule-unknown_user", "#rule-bad_score"]}),
        Table("table-rules", {"rule": "rule", "severity": "severity", "findings": "findings",
                              "meaning": "what it means", "fix": "how to fix it", "samples": ""},
              integers=("findings",), links={"samples": "samples"}),
    ),
    "samples": (
        pl.DataFrame({"row": [2, 12_345, None], "column": ["Login ID", None, "Score"],
                      "value": ["an***@example.com", "=cmd|' /C calc'!A0", "⟨U+202E⟩85"]}),
        Table("table-samples-bad_score", {"row": "row", "column": "column", "value": "value"}, missing="–"),
    ),
    "by-year": (
        pl.DataFrame({"year": [1999, 2024], "completed": [736_919, 0], "open": [None, 12]},
                     schema={"year": pl.Int32, "completed": pl.Int64, "open": pl.Int64}),
        Table("table-by-year", {"year": "year", "completed": "completed", "open": "open"},
              integers=("completed", "open")),
    ),
    "capacity": (
        pl.DataFrame({"course": ["Fire & Safety", "Forklift"], "resource": ["licenses", "places"],
                      "total": [10, None], "used_by_others": [4, 0], "needed": [9, 2],
                      "available": [-3, 5], "enough": ["✘ no: short by 3", "✔ yes"]}),
        Table("table-capacity", {"course": "course", "resource": "limit", "total": "in the portal",
                                 "used_by_others": "used by other enrollments", "needed": "needed by this file",
                                 "available": "available", "enough": "enough?"},
              integers=("total", "used_by_others", "needed", "available")),
    ),
    "written": (
        pl.DataFrame({"what": ["live enrollments", "badges"], "rows": [10_000, None]}),
        Table("table-written", {"what": "written", "rows": "rows"}, integers=("rows",), missing="–"),
    ),
    "empty": (
        pl.DataFrame(schema={"row": pl.Int64, "value": pl.String}),
        Table("table-samples-none", {"row": "row", "value": "value"}, missing="–"),
    ),
    "floats and switches": (
        pl.DataFrame({"credits": [1.5, 2.0, None], "on": [True, False, None]}),
        Table("table-other", {"credits": "credits", "on": "on"}),
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_table_is_what_great_tables_makes_of_it(case):
    frame, table = CASES[case]
    assert table_html(frame, table) == great_tables(frame, table)


def test_every_cell_and_heading_is_escaped_unless_it_is_a_link_built_here():
    frame = pl.DataFrame({"a": ["<script>alert(1)</script>"], "b": ["#x\"><script>"]})
    page = table_html(frame, Table("t", {"a": "<i>A</i>", "b": "B"}, links={"b": "go"}))
    assert "<script>" not in page and "<i>A</i>" not in page
    assert '<a href="#x&quot;&gt;&lt;script&gt;">go</a>' in page
