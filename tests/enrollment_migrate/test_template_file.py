"""Reading a template file (RULES.md §1): the file-level rules, header matching, CSV details and
spreadsheet row numbers, on both the fast (Polars) path and the lenient (csv module) path.

Decision recorded here: a blank line is not a record, but it keeps its spreadsheet row number
(as when a spreadsheet opens the CSV), so later rows are numbered by their place in the file.
"""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path
from unittest import mock

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import HEADERS, IMPORT_DATE, row, rules_of
from enrollment_migrate import template_file
from enrollment_migrate.engine import CheckResult, RunOptions, check_file
from enrollment_migrate.template_file import TemplateFile, load_template
from schemas import rules
from schemas.findings import FINDING_SCHEMA
from schemas.template import ACCESS_EXPIRES, COLUMNS
from schemas.template_rows import TemplateRows

BOM = b"\xef\xbb\xbf"
HEADER = ",".join(HEADERS)
EXPIRES = ACCESS_EXPIRES.header
FIELDS = [c.field for c in COLUMNS]


def line(login: str = "ann@example.com", course: str = "Privacy", status: str = "Completed",
         completed: str = "1/6/2024", score: str = "") -> str:
    """One unquoted record in the template's column order, valid for the fixture portal."""
    return f"{login},{course},,,{completed},{score},{status}"


ANN, DORA, CARL = line(), line("dora@example.com"), line("carl@example.com")
STRAY = line("b\"ob@example.com")  # a quote inside an unquoted field: forces the lenient reader


def text_file(tmp_path: Path, lines: list[str], *, newline: str = "\n", bom: bool = False,
              encoding: str = "utf-8", name: str = "upload.csv") -> Path:
    data = (newline.join(lines) + newline).encode(encoding)
    return bytes_file(tmp_path, (BOM if bom else b"") + data, name)


def bytes_file(tmp_path: Path, data: bytes, name: str = "upload.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def check(path: Path, con, **options) -> CheckResult:
    return check_file(path, con, RunOptions(IMPORT_DATE, **options))


def findings_of(template: TemplateFile | CheckResult) -> list[tuple[int | None, str | None, str]]:
    return template.findings.select("row", "column", "rule").rows()


def rows_of(template: TemplateFile, *fields: str) -> list[tuple]:
    assert template.rows is not None, findings_of(template)
    return template.rows.select("row", *fields).rows()


class PathSpy:
    """Which reader loaded the values: the fast path, or the lenient fallback."""

    def __init__(self) -> None:
        self.lenient = 0


@pytest.fixture
def reader_used(monkeypatch: pytest.MonkeyPatch) -> PathSpy:
    spy = PathSpy()
    lenient = template_file._read_values_leniently

    def counting(*args, **kwargs):
        spy.lenient += 1
        return lenient(*args, **kwargs)

    monkeypatch.setattr(template_file, "_read_values_leniently", counting)
    return spy


def load_lenient(path: Path) -> TemplateFile:
    """Load a file as if Polars had refused it, to compare the lenient path with the fast one."""
    with mock.patch.object(template_file, "_read_values", lambda *args, **kwargs: None):
        return load_template(path)


def assert_same_load(fast: TemplateFile, lenient: TemplateFile) -> None:
    assert fast.record_count == lenient.record_count
    assert fast.findings.equals(lenient.findings)
    assert fast.rows is not None and lenient.rows is not None
    assert fast.rows.equals(lenient.rows), (fast.rows, lenient.rows)


# --- not_utf8 --------------------------------------------------------------------------------


def assert_not_utf8_at(template: TemplateFile, row_number: int) -> None:
    assert findings_of(template) == [(row_number, None, rules.NOT_UTF8.code)]
    assert template.findings["severity"].to_list() == [rules.Severity.FATAL.value]
    assert f"row {row_number} " in template.findings["message"][0]
    assert template.rows is None


def test_windows_1252_bytes_are_not_utf8_and_nothing_else_is_checked(tmp_path, portal_db):
    # Excel's "CSV" (not "CSV UTF-8") saves curly quotes and accents as single cp1252 bytes.
    path = text_file(tmp_path, [HEADER, ANN, line(course="Caf\u00e9 \u201cBasics\u201d")],
                     encoding="cp1252")
    assert_not_utf8_at(load_template(path), 3)
    result = check(path, portal_db)
    assert result.state == "invalid"
    assert rules_of(result) == {rules.NOT_UTF8.code}


def test_latin1_byte_in_row_5_names_row_5(tmp_path):
    path = text_file(tmp_path, [HEADER, ANN, DORA, CARL, line("jos\u00e9@example.com"), ANN],
                     encoding="latin-1")
    assert_not_utf8_at(load_template(path), 5)


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_quoted_newline_before_the_bad_byte_still_gives_the_spreadsheet_row(tmp_path, newline):
    # Row 2 spans three lines of the file; the bad byte is on the file's 7th line, row 5.
    multi = f'ann@example.com,"Pri{newline}va{newline}cy",,,1/6/2024,,Completed'
    path = text_file(tmp_path, [HEADER, multi, DORA, CARL, line("jos\u00e9@example.com")],
                     newline=newline, encoding="latin-1")
    assert_not_utf8_at(load_template(path), 5)


def test_stray_quote_before_the_bad_byte_still_gives_the_spreadsheet_row(tmp_path):
    # A spreadsheet reads the stray quote as a character: it opens no quoted field.
    path = text_file(tmp_path, [HEADER, line(course='12" Ruler'), DORA, CARL,
                                line("jos\u00e9@example.com"), ANN], encoding="latin-1")
    assert_not_utf8_at(load_template(path), 5)


@pytest.mark.parametrize(
    ("before", "row_number"),
    [([], 2), ([line(course='12" Ruler')], 3)],
    ids=["regular", "after-stray-quote"],
)
def test_bad_byte_first_on_a_line_inside_a_quoted_field(tmp_path, before, row_number):
    # The bad byte opens the second line of a quoted field: it belongs to that field's row.
    lines = [HEADER, *before, 'ann@example.com,"Pri\n\u00e9vacy",,,1/6/2024,,Completed', DORA]
    assert_not_utf8_at(load_template(text_file(tmp_path, lines, encoding="latin-1")), row_number)


def test_every_field_quoted_with_crlf_before_the_bad_byte(tmp_path):
    quoted = [",".join(f'"{v}"' for v in text.split(",")) for text in (HEADER, ANN, DORA)]
    path = text_file(tmp_path, [*quoted, line("jos\u00e9@example.com")], newline="\r\n",
                     encoding="latin-1")
    assert_not_utf8_at(load_template(path), 4)


def test_blank_line_before_the_bad_byte_takes_a_row_number(tmp_path):
    path = text_file(tmp_path, [HEADER, ANN, "", line("jos\u00e9@example.com")], encoding="latin-1")
    assert_not_utf8_at(load_template(path), 4)


@pytest.mark.parametrize(
    ("lines", "bom", "row_number"),
    [
        ([HEADER.replace("Login ID", "Login ID\u00e9"), ANN], False, 1),
        ([HEADER, ANN, "\u00e9" + DORA], False, 3),  # the bad byte starts its line
        ([HEADER, ANN, line("jos\u00e9@example.com")], True, 3),  # a UTF-8 BOM, then latin-1
    ],
    ids=["in-header", "line-start", "after-bom"],
)
def test_bad_byte_positions(tmp_path, lines, bom, row_number):
    path = text_file(tmp_path, lines, bom=bom, encoding="latin-1")
    assert_not_utf8_at(load_template(path), row_number)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"], ids=["utf16-le-bom", "utf16-be-bom"])
def test_utf16_file_is_not_utf8(tmp_path, encoding):
    data = (HEADER + "\r\n" + ANN + "\r\n").encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    assert_not_utf8_at(load_template(bytes_file(tmp_path, data)), 1)


@pytest.mark.parametrize(
    "data",
    [
        (HEADER + "\n" + ANN + "\n").encode() + b"jos\xc3",  # a sequence cut off at the end
        (HEADER + "\n" + ANN + "\n").encode() + b"\xc0\xaf,x\n",  # an overlong encoding
        (HEADER + "\n" + ANN + "\n").encode() + b"\xed\xa0\x80,x\n",  # an encoded surrogate
    ],
    ids=["truncated", "overlong", "surrogate"],
)
def test_invalid_utf8_sequences_are_not_utf8(tmp_path, data):
    assert_not_utf8_at(load_template(bytes_file(tmp_path, data)), 3)


def test_utf8_with_accents_and_emoji_is_utf8(tmp_path):
    course = "Caf\u00e9 \u201cBasics\u201d \U0001f600"
    template = load_template(text_file(tmp_path, [HEADER, line("jos\u00e9@example.com", course)]))
    assert findings_of(template) == []
    assert rows_of(template, "login_id", "course_name") == [(2, "jos\u00e9@example.com", course)]


# --- empty_file ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"",
        BOM,
        b"\n\n\n",
        HEADER.encode(),
        (HEADER + "\n").encode(),
        BOM + (HEADER + "\r\n").encode(),
        (HEADER + "\n\n\n").encode(),
        (HEADER + "\r\n\r\n\r\n").encode(),
    ],
    ids=["zero-bytes", "only-bom", "only-blank-lines", "header-no-newline", "header-only",
         "bom-header-crlf", "header-blank-lines", "header-blank-lines-crlf"],
)
def test_empty_file(tmp_path, portal_db, data):
    path = bytes_file(tmp_path, data)
    template = load_template(path)
    assert findings_of(template) == [(None, None, rules.EMPTY_FILE.code)]
    assert template.rows is None and template.record_count == 0
    result = check(path, portal_db)
    assert result.state == "invalid"
    assert result.counts.rows == 0
    assert result.findings["severity"].to_list() == [rules.Severity.FATAL.value]


def test_one_record_is_not_an_empty_file(tmp_path):
    template = load_template(text_file(tmp_path, [HEADER, ANN]))
    assert findings_of(template) == []
    assert template.record_count == 1


@pytest.mark.parametrize(
    "data",
    [(HEADER + "\r" + ANN + "\r").encode(), (HEADER + "\r" + ANN).encode(), BOM + (HEADER + "\r").encode()],
    ids=["records", "no-final-break", "bom-header-only"],
)
def test_lone_cr_line_endings_are_named_not_called_empty(tmp_path, portal_db, data):
    path = bytes_file(tmp_path, data)
    template = load_template(path)
    assert findings_of(template) == [(None, None, rules.NOT_CSV_LINE_ENDINGS.code)]
    assert "lone CR" in template.findings["message"][0]
    result = check(path, portal_db)
    assert (result.state, result.findings["severity"].to_list()) == ("invalid", ["fatal"])


@pytest.mark.parametrize(
    "data", [(HEADER + "\r\n" + ANN + "\r\n").encode(), (HEADER + "\n" + ANN + "\r\n").encode(),
             (HEADER + "\r\n").encode()],
    ids=["crlf", "mixed", "header-crlf"],
)
def test_crlf_is_not_taken_for_lone_crs(tmp_path, data):
    assert rules.NOT_CSV_LINE_ENDINGS.code not in {f[2] for f in findings_of(load_template(bytes_file(tmp_path, data)))}


# --- missing_column, duplicate_column, unknown_column -----------------------------------------


def test_one_missing_column_is_one_finding_naming_it(tmp_path, portal_db):
    headers = [h for h in HEADERS if h != "Enrollment Score"]
    path = text_file(tmp_path, [",".join(headers), "ann@example.com,Privacy,,,1/6/2024,Completed"])
    result = check(path, portal_db)
    assert findings_of(result) == [(None, "Enrollment Score", rules.MISSING_COLUMN.code)]
    assert result.state == "invalid"
    assert result.findings["severity"].to_list() == [rules.Severity.FATAL.value]


def test_each_missing_column_is_its_own_finding(tmp_path):
    path = text_file(tmp_path, ["Login ID,Enrollment Status", "ann@example.com,Completed"])
    template = load_template(path)
    missing = template.findings.filter(pl.col("rule") == rules.MISSING_COLUMN.code)
    expected = set(HEADERS) - {"Login ID", "Enrollment Status"}
    assert sorted(missing["column"].to_list()) == sorted(expected)
    assert missing["row"].null_count() == missing.height == 5
    assert template.rows is None


def test_duplicate_column_matched_by_trimmed_case_folded_name(tmp_path, portal_db):
    path = text_file(tmp_path, [HEADER + ", login id ", ANN + ",ann@example.com"])
    result = check(path, portal_db)
    assert findings_of(result) == [(None, "Login ID", rules.DUPLICATE_COLUMN.code)]
    assert result.state == "invalid"
    assert "columns 1, 8" in result.findings["message"][0]


def test_duplicate_optional_column_is_a_duplicate_too(tmp_path):
    path = text_file(tmp_path, [f"{HEADER},{EXPIRES},{EXPIRES.upper()}", ANN + ",,"])
    template = load_template(path)
    assert findings_of(template) == [(None, EXPIRES, rules.DUPLICATE_COLUMN.code)]
    assert template.rows is None


def test_unknown_columns_warn_once_each_and_their_values_are_ignored(validate_rows):
    headers = [*HEADERS, "Notes", "Manager"]
    rows = [
        {**row(), "Notes": "=HYPERLINK(\"http://x\")", "Manager": "31/2/2023"},
        {**row("dora@example.com"), "Notes": "not a date", "Manager": "x"},
        {**row("carl@example.com", "Safety"), "Notes": "", "Manager": "Passed"},
    ]
    result = validate_rows(rows, headers=headers)
    assert result.state == "valid"
    assert findings_of(result) == [
        (None, "Manager", rules.UNKNOWN_COLUMN.code),
        (None, "Notes", rules.UNKNOWN_COLUMN.code),
    ]
    assert set(result.findings["severity"]) == {rules.Severity.WARNING.value}
    assert result.findings["value"].null_count() == 2
    assert result.counts.live == 3 and result.counts.warnings == 2


def test_header_with_no_name_is_an_unknown_column(tmp_path):
    # A trailing comma on every line: an extra column with no name.
    template = load_template(text_file(tmp_path, [HEADER + ",", ANN + ","]))
    assert [r for _, _, r in findings_of(template)] == [rules.UNKNOWN_COLUMN.code]
    assert template.findings["column"][0] == "(column 8, no name)"
    assert rows_of(template, "login_id", "field_count") == [(2, "ann@example.com", 8)]


# --- malformed_row ---------------------------------------------------------------------------


@pytest.mark.parametrize("lenient", [False, True], ids=["fast", "lenient"])
def test_malformed_rows_too_few_and_too_many_fields(tmp_path, portal_db, reader_used, lenient):
    lines = [
        HEADER,
        ANN,                                      # row 2
        "ann@example.com,,31/2/2023",             # row 3: 3 fields; blank course, bad date
        DORA,                                     # row 4
        line(course="", score="x") + ",extra,2",  # row 5: 9 fields; blank course, bad score
    ]
    if lenient:
        lines.append(STRAY)                       # row 6
    result = check(text_file(tmp_path, lines), portal_db)
    assert reader_used.lenient == int(lenient)
    malformed = result.findings.filter(pl.col("rule") == rules.MALFORMED_ROW.code)
    assert malformed.select("row", "value", "severity").rows() == [
        (3, "3", rules.Severity.ERROR.value),
        (5, "9", rules.Severity.ERROR.value),
    ]
    # No other rule looks at a malformed row: its values are not where the header says.
    assert rules_of(result, 3) == rules_of(result, 5) == {rules.MALFORMED_ROW.code}
    assert rules_of(result, 2) == rules_of(result, 4) == set()
    assert result.state == "invalid"

    skipping = check(tmp_path / "upload.csv", portal_db, skip_invalid_rows=True)
    assert skipping.state == "valid"
    assert skipping.migrated["row"].to_list() == [2, 4]


def test_rows_with_the_header_field_count_are_not_malformed(tmp_path):
    template = load_template(text_file(tmp_path, [HEADER, ANN, ",,,,,,"]))
    assert findings_of(template) == []
    assert template.rows["field_count"].to_list() == [7, 7]


def test_quote_after_a_space_does_not_quote_the_field(tmp_path, reader_used):
    # `, "A,B"`: the quote is not at the start of the field, so it is a character and the comma
    # separates (RFC 4180; a spreadsheet does the same). The row is malformed, not shifted.
    shifted = 'ann@example.com, "Pri,vacy",,,1/6/2024,,Completed'
    template = load_template(text_file(tmp_path, [HEADER, shifted, ANN]))
    assert findings_of(template) == [(2, None, rules.MALFORMED_ROW.code)]
    assert template.findings["value"].to_list() == ["8"]
    assert rows_of(template, "course_name", "field_count") == [(2, '"Pri', 8), (3, "Privacy", 7)]


# --- header variants -------------------------------------------------------------------------


def mapped(rows: list[dict[str, str]], headers: list[str]) -> list[dict[str, str]]:
    """Rows keyed by the template's headers, re-keyed by the file's own spelling of them."""
    by_key = {h.strip().casefold(): h for h in headers}
    return [{by_key[k.casefold()]: v for k, v in r.items()} for r in rows]


@pytest.mark.parametrize(
    "spell",
    [str.upper, str.lower, lambda h: f"  {h}\t", lambda h: f" {h.swapcase()} "],
    ids=["upper", "lower", "padded", "padded-swapcase"],
)
def test_headers_match_by_trimmed_case_insensitive_name(validate_rows, spell):
    headers = [spell(h) for h in HEADERS]
    rows = [row(), row("dora@example.com", "Safety", "Passed", score="80")]
    result = validate_rows(mapped(rows, headers), headers=headers)
    assert findings_of(result) == []
    assert result.state == "valid"
    assert result.migrated.select("row", "login_id", "course_name", "status", "score").rows() == [
        (2, "ann@example.com", "Privacy", "Completed", None),
        (3, "dora@example.com", "Safety", "Passed", 80.0),
    ]


def test_columns_in_any_order(tmp_path, validate_rows):
    headers = [EXPIRES, *reversed(HEADERS)]
    rows = [row(created="2/1/2024", started="3/1/2024", completed="4/1/2024", score="75",
                status="Passed", expires="5/1/2026")]
    result = validate_rows(rows, headers=headers)
    assert findings_of(result) == []
    template = load_template(tmp_path / "migration.csv")
    assert template.rows.select(*FIELDS).rows() == [(
        "ann@example.com", "Privacy", "2/1/2024", "3/1/2024", "4/1/2024", "75", "Passed", "5/1/2026"
    )]


def test_optional_access_expires_column_absent_or_present(tmp_path, validate_rows):
    absent = validate_rows([row()])
    assert findings_of(absent) == []
    assert absent.migrated["access_expires_at"].to_list() == [None]

    headers = [*HEADERS, f" {EXPIRES.lower()} "]
    rows = [row(expires="1/1/2026"), row("dora@example.com", expires="")]
    present = validate_rows(mapped(rows, headers), headers=headers)
    assert findings_of(present) == []
    expires = present.migrated["access_expires_at"].dt.date().cast(pl.String)
    assert expires.to_list() == ["2026-01-01", None]


# --- CSV details -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("newline", "bom"),
    [("\n", True), ("\r\n", False), ("\r\n", True)],
    ids=["bom", "crlf", "bom-crlf"],
)
def test_bom_and_crlf(tmp_path, portal_db, newline, bom):
    # The last field is blank on purpose: a kept "\r" would make it a value.
    lines = [HEADER, ANN, line("dora@example.com", "Safety", "Passed", score="90"),
             "carl@example.com,Privacy,,,,,In Progress"]
    path = text_file(tmp_path, lines, newline=newline, bom=bom)
    template = load_template(path)
    assert template.headers == HEADERS
    assert findings_of(template) == []
    assert rows_of(template, "status", "score") == [
        (2, "Completed", None), (3, "Passed", "90"), (4, "In Progress", None)
    ]
    assert check(path, portal_db).state == "valid"


def test_rfc4180_quoting(tmp_path, reader_used):
    lines = [
        HEADER,
        '"ann@example.com","Intro, Part 1",,,1/6/2024,,Completed',
        'ann@example.com,"The ""Best"" Course",,,1/6/2024,,Completed',
        'ann@example.com,"""Quoted"", then, commas",,,1/6/2024,,Completed',
        'ann@example.com,"Line one\nLine two\n\nLine four",,,1/6/2024,,Completed',
        'ann@example.com,",,,,,,,,,,",,,1/6/2024,,Completed',
    ]
    template = load_template(text_file(tmp_path, lines))
    assert reader_used.lenient == 0
    assert findings_of(template) == []
    assert rows_of(template, "course_name", "field_count") == [
        (2, "Intro, Part 1", 7),
        (3, 'The "Best" Course', 7),
        (4, '"Quoted", then, commas', 7),
        (5, "Line one\nLine two\n\nLine four", 7),
        (6, ",,,,,,,,,,", 7),
    ]


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_rows_after_a_multiline_record_are_numbered_by_record(tmp_path, portal_db, newline):
    lines = [
        HEADER,
        f'ann@example.com,"Pri{newline}va{newline}cy",,,1/6/2024,,Completed',  # row 2, 3 lines
        line("dora@example.com", status="Done"),                              # row 3
        f'carl@example.com,Safety,,,1/6/2024,,"Comp{newline}leted"',          # row 4, 2 lines
        line("nobody@example.com"),                                           # row 5
    ]
    path = text_file(tmp_path, lines, newline=newline)
    template = load_template(path)
    assert rows_of(template, "login_id") == [
        (2, "ann@example.com"),
        (3, "dora@example.com"),
        (4, "carl@example.com"),
        (5, "nobody@example.com"),
    ]
    assert template.rows["course_name"][0] == f"Pri{newline}va{newline}cy"
    result = check(path, portal_db)
    assert rules_of(result, 3) == {rules.UNKNOWN_STATUS.code}
    assert rules_of(result, 5) == {rules.UNKNOWN_USER.code}
    assert_same_load(template, load_lenient(path))


def test_values_are_trimmed_and_whitespace_only_values_are_blank(tmp_path, portal_db, reader_used):
    lines = [
        HEADER,
        '  ann@example.com\t, Privacy ,   ,"  ",  1/6/2024  ,"", Completed ',
        '" dora@example.com ","\tSafety\n",,,1/6/2024," 85 ",  passed',
        '\u00a0carl@example.com\u00a0,Privacy,\t,,1/6/2024,   ,Completed',
    ]
    path = text_file(tmp_path, lines)
    template = load_template(path)
    assert reader_used.lenient == 0
    assert template.rows.select(*FIELDS).rows() == [
        ("ann@example.com", "Privacy", None, None, "1/6/2024", None, "Completed", None),
        ("dora@example.com", "Safety", None, None, "1/6/2024", "85", "passed", None),
        ("carl@example.com", "Privacy", None, None, "1/6/2024", None, "Completed", None),
    ]
    result = check(path, portal_db)
    assert findings_of(result) == []
    assert result.state == "valid"


def test_every_field_quoted_and_quoted_empty_values_are_blank(tmp_path, portal_db, reader_used):
    # Some exporters quote every field, blanks included: "" is a blank, not a value.
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(HEADERS)
    writer.writerow(["ann@example.com", "Privacy", "", "", "1/6/2024", "", "Completed"])
    writer.writerow(["dora@example.com", "Privacy", "", "", "", "", "In Progress"])
    path = bytes_file(tmp_path, buffer.getvalue().encode())
    assert '"",""' in path.read_text()
    result = check(path, portal_db)
    assert reader_used.lenient == 0
    assert findings_of(result) == []
    assert result.state == "valid"
    assert result.counts.live == 2


# --- broken quoting --------------------------------------------------------------------------


def test_stray_quote_in_an_unquoted_field_is_a_character(tmp_path, portal_db, reader_used):
    lines = [HEADER, ANN, line('b"ob@example.com'), line(course='12" Ruler'), DORA]
    path = text_file(tmp_path, lines)
    template = load_template(path)
    assert reader_used.lenient == 1
    assert findings_of(template) == []
    assert rows_of(template, "login_id", "course_name", "created_date", "score") == [
        (2, "ann@example.com", "Privacy", None, None),
        (3, 'b"ob@example.com', "Privacy", None, None),
        (4, "ann@example.com", '12" Ruler', None, None),
        (5, "dora@example.com", "Privacy", None, None),
    ]
    result = check(path, portal_db)
    # Only what is really wrong: blanks are blanks on the lenient path too.
    assert findings_of(result) == [
        (3, "Login ID", rules.UNKNOWN_USER.code),
        (4, "Course Name", rules.UNKNOWN_COURSE.code),
    ]


def test_unterminated_quote_at_the_end_is_a_malformed_row(tmp_path, portal_db, reader_used):
    unterminated = 'carl@example.com,"Privacy,,,1/6/2024,,Completed'
    path = text_file(tmp_path, [HEADER, ANN, DORA, unterminated])
    result = check(path, portal_db)
    assert reader_used.lenient == 1
    assert findings_of(result) == [(4, None, rules.MALFORMED_ROW.code)]
    assert result.findings["value"].to_list() == ["2"]
    assert result.counts.rows == 3


def test_unterminated_quote_without_final_newline(tmp_path):
    path = bytes_file(tmp_path, (HEADER + "\n" + ANN + '\n"dora@example.com,Privacy').encode())
    template = load_template(path)
    assert findings_of(template) == [(3, None, rules.MALFORMED_ROW.code)]


def test_unterminated_quote_in_a_large_header_is_findings_not_an_error(tmp_path):
    # The open quote swallows the whole file into one header field (over the csv module's
    # default 128 KiB field limit).
    header = HEADER.replace("Course Name", '"Course Name')
    template = load_template(text_file(tmp_path, [header] + [ANN] * 5_000))
    assert template.rows is None
    assert rules.MISSING_COLUMN.code in {r for _, _, r in findings_of(template)}


def test_quote_then_text_is_read_as_a_spreadsheet_reads_it(tmp_path):
    path = text_file(tmp_path, [HEADER, '"ann"@example.com,Privacy,,,1/6/2024,,Completed', DORA])
    template = load_template(path)
    assert findings_of(template) == []
    assert rows_of(template, "login_id") == [(2, "ann@example.com"), (3, "dora@example.com")]


# --- blank lines -----------------------------------------------------------------------------


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
@pytest.mark.parametrize("lenient", [False, True], ids=["fast", "lenient"])
def test_blank_lines_are_not_records_but_keep_their_row_numbers(tmp_path, portal_db, reader_used,
                                                                   newline, lenient):
    lines = [
        HEADER,
        ANN,                                      # row 2
        "",                                       # row 3
        DORA,                                     # row 4
        "",                                       # row 5
        "",                                       # row 6
        line("carl@example.com", status="Done"),  # row 7
        f'ann@example.com,"Pri{newline}{newline}vacy",,,1/6/2024,,Completed',  # row 8, 3 lines
        "",                                       # row 9
        STRAY if lenient else line("nobody@example.com"),  # row 10
        "",
        "",
    ]
    path = text_file(tmp_path, lines, newline=newline)
    template = load_template(path)
    assert reader_used.lenient == int(lenient)
    assert template.record_count == 5
    assert template.rows["row"].to_list() == [2, 4, 7, 8, 10]
    result = check(path, portal_db)
    assert rules_of(result, 7) == {rules.UNKNOWN_STATUS.code}
    assert rules_of(result, 8) == {rules.UNKNOWN_COURSE.code}
    assert rules_of(result, 10) == {rules.UNKNOWN_USER.code}
    assert result.findings["row"].drop_nulls().to_list() == [7, 8, 10]
    assert result.counts.rows == 5


def test_whitespace_only_line_is_a_one_field_record(tmp_path, reader_used):
    # Not a blank line: a spreadsheet shows a row with spaces in its first cell. (decision)
    fast = load_template(text_file(tmp_path, [HEADER, ANN, "   ", DORA]))
    assert findings_of(fast) == [(3, None, rules.MALFORMED_ROW.code)]
    assert fast.rows["row"].to_list() == [2, 3, 4]
    assert reader_used.lenient == 0
    assert_same_load(fast, load_lenient(tmp_path / "upload.csv"))


# --- size ------------------------------------------------------------------------------------


MEGABYTE = 1_000_000


@pytest.mark.parametrize("lenient", [False, True], ids=["fast", "lenient"])
@pytest.mark.parametrize("quoted", [False, True], ids=["unquoted", "quoted"])
def test_one_megabyte_field(tmp_path, reader_used, lenient, quoted):
    value = ("x, y\n" if quoted else "xy") * (MEGABYTE // (5 if quoted else 2))
    course = f'"{value}"' if quoted else value
    lines = [HEADER, line(course=course), DORA] + ([STRAY] if lenient else [])
    template = load_template(text_file(tmp_path, lines))
    assert reader_used.lenient == int(lenient)
    assert findings_of(template) == []
    assert template.rows["row"].to_list() == ([2, 3, 4] if lenient else [2, 3])
    assert template.rows["course_name"][0] == value.strip()
    assert len(template.rows["course_name"][0]) >= MEGABYTE - 1


@pytest.mark.parametrize("lenient", [False, True], ids=["fast", "lenient"])
def test_two_thousand_unknown_columns(tmp_path, portal_db, reader_used, lenient):
    extra = [f"Extra {i}" for i in range(2_000)]
    values = ",".join(str(i) for i in range(2_000))
    lines = [",".join([*HEADERS, *extra]), f"{ANN},{values}", f"{DORA},{values}"]
    if lenient:
        lines.append(f"{STRAY},{values}")
    path = text_file(tmp_path, lines)
    result = check(path, portal_db)
    assert reader_used.lenient == int(lenient)
    unknown = result.findings.filter(pl.col("rule") == rules.UNKNOWN_COLUMN.code)
    assert sorted(unknown["column"].to_list()) == sorted(extra)
    assert result.counts.live == 2
    assert set(result.findings["rule"]) - {rules.UNKNOWN_COLUMN.code} == (
        {rules.UNKNOWN_USER.code} if lenient else set()
    )


# --- the two readers agree -------------------------------------------------------------------

CELL = st.text(alphabet=st.sampled_from(list('ab ,"\n\t\u00e9')), max_size=6)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    records=st.lists(st.lists(CELL, min_size=7, max_size=7), min_size=1, max_size=6),
    blanks=st.lists(st.booleans(), min_size=6, max_size=6),
    newline=st.sampled_from(["\n", "\r\n"]),
    bom=st.booleans(),
)
def test_fast_and_lenient_readers_agree_with_the_csv_standard(records, blanks, newline, bom):
    """Any RFC 4180 file loads to the same rows on both paths, numbered as a spreadsheet does."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator=newline)
    writer.writerow(HEADERS)
    expected, number = [], 1
    for record, blank_before in zip(records, blanks, strict=False):
        if blank_before:
            buffer.write(newline)
            number += 1
        writer.writerow(record)
        number += 1
        trimmed = [v.strip() or None for v in record]
        expected.append((number, *trimmed, None, 7))
    with tempfile.TemporaryDirectory() as directory:
        path = bytes_file(Path(directory), (BOM if bom else b"") + buffer.getvalue().encode())
        with mock.patch.object(template_file, "_read_values_leniently",
                               side_effect=AssertionError("fast path expected")):
            fast = load_template(path)
        lenient = load_lenient(path)
    assert findings_of(fast) == []
    assert fast.rows.select("row", *FIELDS, "field_count").rows() == expected
    assert_same_load(fast, lenient)
    TemplateRows.validate(fast.rows)
    assert fast.findings.schema == pl.Schema(FINDING_SCHEMA)


def test_loaded_rows_follow_the_template_rows_contract(tmp_path):
    for lines in ([HEADER, ANN, "", DORA], [HEADER, ANN, STRAY, "a,b"]):
        template = load_template(text_file(tmp_path, lines))
        TemplateRows.validate(template.rows)
        assert template.rows.columns == ["row", *FIELDS, "field_count"]


def test_utf16_without_a_bom_is_not_utf8(tmp_path):
    data = (HEADER + "\r\n" + ANN + "\r\n").encode("utf-16-le")  # no BOM: NUL bytes, no bad byte
    result = load_template(bytes_file(tmp_path, data))
    assert_not_utf8_at(result, 1)
    assert "UTF-16" in result.findings["message"][0]


def test_a_blank_first_line_says_the_header_must_come_first(tmp_path):
    result = load_template(bytes_file(tmp_path, ("\n" + HEADER + "\n" + ANN + "\n").encode()))
    assert result.findings["rule"].to_list() == ["empty_file"]
    assert "header row must come first" in result.findings["message"][0]


def test_a_huge_unknown_header_is_shown_shortened(tmp_path):
    data = (HEADER + ',"' + "x" * 5000 + "\n" + ANN + "\n").encode()  # an unterminated quote
    result = load_template(bytes_file(tmp_path, data))
    unknown = result.findings.filter(result.findings["rule"] == "unknown_column")
    assert unknown.height == 1
    assert len(unknown["column"][0]) <= 100 and unknown["column"][0].endswith("…")
