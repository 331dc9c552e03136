"""Reading sources: encodings (detected or given), byte-order marks, separators, spreadsheets
(.xlsx, the old .xls, OpenDocument .ods)."""

from __future__ import annotations


import datetime as dt

import polars as pl
import pytest

from workbooks import ods
from enrollment_migrate.prepare.sources import detect_encoding, read_source
from enrollment_migrate.prepare.vocabulary import ROW, SourceOptions, SourceUnreadable

# Accents that differ between code pages (è is č in Windows-1250), and a quoted separator.
HEADER = ["Learner", "Course", "Status"]
RECORDS = [
    ["zoë@example.com", "Sécurité incendie", "Terminé"],
    ["renée@example.com", "Café crème, niveau 2", "En cours"],
    ["josé@example.com", "Santé; sécurité | travail", "Réussi"],
]


def export(path, encoding: str, separator: str) -> None:
    def field(value: str) -> str:
        return f'"{value}"' if any(c in value for c in ",;|\t") else value

    lines = [separator.join(field(v) for v in row) for row in [HEADER, *RECORDS]]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))


def values(table) -> list[list[str]]:
    return [list(row) for row in table.frame.select(HEADER).iter_rows()]


@pytest.mark.parametrize(("encoding", "reported", "bom"), [
    ("utf-8", "utf-8", False),
    ("utf-8-sig", "utf-8", True),
    ("cp1252", "cp1252", False),
    ("utf-16", "utf-16", True),  # Python writes the byte-order mark
    ("utf-16-le", "utf-16-le", False),
])
def test_each_encoding_is_detected(tmp_path, encoding, reported, bom):
    path = tmp_path / "export.csv"
    export(path, encoding, ",")
    table = read_source(path, SourceOptions())
    assert values(table) == RECORDS
    assert table.description.encoding == reported
    assert table.description.encoding_detected
    assert table.description.byte_order_mark is bom


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_mark_is_not_taken_for_utf8(encoding):
    # Plain ASCII in UTF-16 is valid UTF-8 (with NUL bytes between the letters).
    assert detect_encoding("Learner,Course\nann@example.com,Safety\n".encode(encoding))[0] == encoding


def test_a_late_accent_in_a_large_file_is_still_found(tmp_path):
    path = tmp_path / "export.csv"
    text = "Learner,Course\n" + "ann@example.com,Safety\n" * 60_000 + "zoë@example.com,Sécurité crème\n"
    path.write_bytes(text.encode("cp1252"))
    assert path.stat().st_size > 1 << 20  # beyond the head that detection reads first
    table = read_source(path, SourceOptions())
    assert table.description.encoding == "cp1252"
    assert table.frame.row(-1) == (60_002, "zoë@example.com", "Sécurité crème")


def test_a_given_encoding_is_used_as_given(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes("Learner,Course,Status\nx@example.com,Œuvre,Terminé\n".encode("cp1252"))
    table = read_source(path, SourceOptions(encoding="latin-1"))
    assert table.description.encoding == "latin-1" and not table.description.encoding_detected
    assert table.frame["Course"][0] == "\x8cuvre"  # what latin-1 makes of Windows-1252's Œ


def test_a_wrong_given_encoding_cannot_run(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes("Learner\nTerminé\n".encode("cp1252"))
    with pytest.raises(SourceUnreadable, match="not readable as utf-8"):
        read_source(path, SourceOptions(encoding="utf-8"))


def test_detection_prefers_valid_utf8_and_the_byte_order_mark():
    assert detect_encoding("é".encode()) == ("utf-8", True, False)
    assert detect_encoding(b"\xef\xbb\xbfabc") == ("utf-8-sig", True, True)
    assert detect_encoding(b"\xef\xbb\xbfabc", "utf-8") == ("utf-8-sig", False, True)


@pytest.mark.parametrize("separator", [",", ";", "\t", "|"])
def test_each_separator_is_detected(tmp_path, separator):
    path = tmp_path / "export.csv"
    export(path, "utf-8", separator)
    table = read_source(path, SourceOptions())
    assert table.description.separator == separator and table.description.separator_detected
    assert values(table) == RECORDS


def test_a_given_separator_is_used(tmp_path):
    path = tmp_path / "export.txt"
    path.write_text("a;b\n1,5;2\n", encoding="utf-8")
    table = read_source(path, SourceOptions(separator=";"))
    assert table.frame.select("a", "b").row(0) == ("1,5", "2")


def test_values_are_trimmed_blanks_are_null_and_rows_are_numbered(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(" Learner , Score \n  ann  ,N/A\nbob,\n", encoding="utf-8")
    table = read_source(path, SourceOptions(blank_values=("n/a",)))
    assert table.frame.select("Learner", "Score", ROW).rows() == [("ann", None, 2), ("bob", None, 3)]


def test_an_empty_file_cannot_run(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(b"\n\n")
    with pytest.raises(SourceUnreadable, match="empty"):
        read_source(path, SourceOptions())


def test_a_ragged_file_names_the_separator_to_check(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("a,b\n1,2\n1,2,3,4\n", encoding="utf-8")
    with pytest.raises(SourceUnreadable, match="separator"):
        read_source(path, SourceOptions())


def test_a_missing_source_or_a_broken_workbook_cannot_run(tmp_path):
    with pytest.raises(SourceUnreadable, match="no such file"):
        read_source(tmp_path / "nothing.csv", SourceOptions())
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(SourceUnreadable, match=r"not a readable \.xls workbook"):
        read_source(tmp_path / "old.xls", SourceOptions())


@pytest.mark.parametrize("html", [
    b"<html><body><table><tr><td>Email</td></tr></table></body></html>",
    b"\xef\xbb\xbf\r\n  <TABLE border=1><tr><td>Email</td></tr></TABLE>",
])
def test_an_html_table_named_xls_says_what_it_is(tmp_path, html):
    path = tmp_path / "report.xls"
    path.write_bytes(html)
    with pytest.raises(SourceUnreadable, match="an HTML table saved with a .xls name.*save it as .xlsx, or as CSV"):
        read_source(path, SourceOptions())


ENROLLMENTS = [("Email", "Course", "Grade"), ("ann@example.com", "Safety", "85.5"), ("bob", "Privacy", "")]


def test_the_old_excel_xls_is_read_by_sheet_name_or_position(tmp_path):
    xlwt = pytest.importorskip("xlwt")
    path = tmp_path / "export.xls"
    book = xlwt.Workbook()
    book.add_sheet("Cover").write(0, 0, "exported by an old LMS")
    sheet = book.add_sheet("Enrollments")
    for r, values in enumerate(ENROLLMENTS):
        for c, value in enumerate(values):
            if value:
                sheet.write(r, c, float(value) if value == "85.5" else value)
    book.save(str(path))
    for chosen in ("Enrollments", 1):
        table = read_source(path, SourceOptions(sheet=chosen))
        assert (table.description.kind, table.description.sheet) == ("xls", "Enrollments")
        assert table.frame.select("Email", "Course", "Grade").rows() == [
            ("ann@example.com", "Safety", "85.5"), ("bob", "Privacy", None),
        ]


def test_an_opendocument_ods_is_read(tmp_path):
    table = read_source(ods(tmp_path / "export.ods", ENROLLMENTS), SourceOptions())
    assert (table.description.kind, table.description.sheet) == ("ods", "Export")
    assert table.frame.select("Email", "Course", "Grade").rows() == [
        ("ann@example.com", "Safety", "85.5"), ("bob", "Privacy", None),
    ]


@pytest.fixture
def workbook(tmp_path):
    pytest.importorskip("xlsxwriter")
    path = tmp_path / "export.xlsx"
    enrollments = pl.DataFrame({
        "Email": ["ann@example.com", "@SUM(1+1)"],
        "Completed": [dt.date(2024, 3, 1), dt.date(2023, 12, 25)],
        "Started at": [dt.datetime(2024, 2, 1, 9, 30), None],
        "Grade": [85.5, None],
        "Employee": [1234, 5678],
    })
    with __import__("xlsxwriter").Workbook(path) as book:
        pl.DataFrame({"note": ["cover sheet"]}).write_excel(book, worksheet="Cover")
        enrollments.write_excel(book, worksheet="Enrollments")
    return path


def test_xlsx_is_read_as_text_by_sheet_name(workbook):
    table = read_source(workbook, SourceOptions(sheet="Enrollments"))
    assert table.description.kind == "xlsx" and table.description.sheet == "Enrollments"
    assert dict(table.frame.schema) == {
        ROW: pl.Int64, **{name: pl.String for name in ("Email", "Completed", "Started at", "Grade", "Employee")}
    }
    assert table.frame.select(pl.exclude(ROW)).rows() == [
        ("ann@example.com", "2024-03-01 00:00:00", "2024-02-01 09:30:00", "85.5", "1234"),
        ("@SUM(1+1)", "2023-12-25 00:00:00", None, None, "5678"),
    ]


def test_xlsx_sheets_by_position_and_unknown_sheets(workbook):
    assert read_source(workbook, SourceOptions(sheet=1)).description.sheet == "Enrollments"
    assert read_source(workbook, SourceOptions()).description.sheet == "Cover"
    with pytest.raises(SourceUnreadable, match="Cover, Enrollments"):
        read_source(workbook, SourceOptions(sheet="Data"))
