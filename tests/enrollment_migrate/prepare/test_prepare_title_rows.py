"""Title rows above the column names, as Cornerstone and SuccessFactors reports have: the header
row is found by the mapping's column names (or given as source.header_row), the report says which
row was taken, and rows keep their spreadsheet numbers."""

from __future__ import annotations

import pytest

from enrollment_migrate.prepare.mapping import MappingError, parse_mapping
from enrollment_migrate.prepare.pipeline import prepare
from enrollment_migrate.prepare.report import summary_text
from enrollment_migrate.prepare.vocabulary import ROW

COLUMNS = {"Login ID": "User Email", "Course Name": "Course Title", "Enrollment Status": "Status"}
TITLED = (
    "Completions Report,,\n"
    "Generated 2024-06-01 by Learning Admin,,\n"
    ",,\n"
    "User Email,Course Title,Status\n"
    "ann@example.com,Safety,Completed\n"
    "dora@example.com,Privacy,In Progress\n"
)


def prepared(tmp_path, text: str, mapping: dict, name: str = "export.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return prepare(path, parse_mapping(mapping))


def test_the_header_is_found_below_title_rows_and_rows_keep_their_numbers(tmp_path):
    done = prepared(tmp_path, TITLED, {"columns": COLUMNS})
    assert done.rows["Login ID"].to_list() == ["ann@example.com", "dora@example.com"]
    assert done.rows[ROW].to_list() == [5, 6]  # as a spreadsheet numbers them
    source = done.report.source
    assert (source["header_row"], source["header_row_found"]) == (4, True)
    text = summary_text(done.report.as_dict())
    assert "column names on row 4 (found by the mapping's column names, below title rows)" in text


def test_a_header_row_given_in_the_mapping_is_taken(tmp_path):
    done = prepared(tmp_path, TITLED, {"source": {"header_row": 4}, "columns": COLUMNS})
    assert done.rows[ROW].to_list() == [5, 6]
    assert (done.report.source["header_row"], done.report.source["header_row_found"]) == (4, False)


def test_a_file_without_title_rows_reads_as_before(tmp_path):
    done = prepared(tmp_path, TITLED.split(",,\n")[-1], {"columns": COLUMNS})
    assert done.rows[ROW].to_list() == [2, 3]
    assert done.report.source["header_row"] == 1


def test_a_title_block_in_a_workbook_with_merged_looking_cells(tmp_path):
    xlsxwriter = pytest.importorskip("xlsxwriter")
    path = tmp_path / "export.xlsx"
    with xlsxwriter.Workbook(path) as book:
        sheet = book.add_worksheet("Report")
        sheet.merge_range("A1:C1", "Completions Report")  # a title across the columns
        sheet.write("A2", "Period: 2024")
        for column, value in enumerate(("User Email", "Course Title", "Status")):
            sheet.write(3, column, value)
        for column, value in enumerate(("ann@example.com", "Safety", "Completed")):
            sheet.write(4, column, value)
    done = prepare(path, parse_mapping({"columns": COLUMNS}))
    assert done.rows.select("Login ID", "Course Name", "Enrollment Status").rows() == [
        ("ann@example.com", "Safety", "Completed"),
    ]
    assert (done.report.source["header_row"], done.report.source["header_row_found"]) == (4, True)


@pytest.mark.parametrize("value", [0, -1, "four", True])
def test_a_header_row_that_is_not_a_row_number_names_the_key(value):
    with pytest.raises(MappingError, match="source → header_row: .* must be a row number"):
        parse_mapping({"source": {"header_row": value}, "columns": COLUMNS})
