"""The mapping file: what it may say, and errors that name the key to correct."""

from __future__ import annotations

import textwrap

import polars as pl
import pytest

from conftest import REPO
from enrollment_migrate.prepare.columns import shape_columns
from enrollment_migrate.prepare.mapping import (
    ColumnSource,
    DateRules,
    MappingError,
    load_mapping,
    parse_mapping,
)
from enrollment_migrate.prepare.vocabulary import ROW, SourceOptions
from enrollment_migrate.runs import CannotRun

MINIMAL = {"columns": {"Login ID": "Email", "Course Name": "Course", "Enrollment Status": "State"}}


def problems(document) -> list[str]:
    with pytest.raises(MappingError) as refused:
        parse_mapping(document, "m.yaml")
    return refused.value.problems


def mapping_file(tmp_path, text: str):
    path = tmp_path / "mapping.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_a_full_mapping_file(tmp_path):
    mapping = load_mapping(mapping_file(tmp_path, """
        source: {encoding: windows-1252, separator: semicolon, blank_values: [N/A, "-"]}
        columns:
          login id: Email                      # headers match trimmed, case-insensitive
          Course Name: {format: "{Code} {Title}"}
          Enrollment Score: {column: Grade}
          Enrollment Access Expires Date: {constant: ""}
          Enrollment Status: State
        dates:
          format: d/m/yy
          two_digit_year_pivot: 70
          source_timezone: Pacific/Auckland
          columns: {enrollment completed date: excel}
        statuses:
          Complete: Completed
          no: Not Started                      # stays the word "no", not YAML's false
          Cancelled: DROP
          "": In Progress
    """))
    assert mapping.source == SourceOptions("windows-1252", ";", None, ("N/A", "-"))
    assert mapping.columns == {
        "Login ID": ColumnSource("column", "Email"),
        "Course Name": ColumnSource("format", "{Code} {Title}"),
        "Enrollment Score": ColumnSource("column", "Grade"),
        "Enrollment Access Expires Date": ColumnSource("constant", ""),
        "Enrollment Status": ColumnSource("column", "State"),
    }
    assert mapping.dates == DateRules("d/m/yy", 70, "Pacific/Auckland", {"Enrollment Completed Date": "excel"})
    assert mapping.statuses == {"complete": "Completed", "no": "Not Started", "cancelled": "drop", "": "In Progress"}


def test_the_sample_mappings_load():
    assert load_mapping(REPO / "data/sample/legacy_lms.yaml").dates.format == "m/d/yyyy"
    assert load_mapping(REPO / "data/sample/oulad.yaml").adapter == "oulad"


def test_every_problem_is_reported_at_once_naming_its_key():
    found = problems({
        "colums": {},
        "columns": {"Login": "Email", "Course Name": {"formt": "x"}, "Enrollment Status": "State",
                    "Enrollment Score": {"format": "no placeholder"}},
        "dates": {"format": "dmy", "source_timezone": "Mars/Olympus", "two_digit_year_pivot": 150},
        "statuses": {"ok": "Done"},
    })
    expected = [
        "colums: not a key of this section (did you mean 'columns'?)",
        "columns → Login: not a template column (did you mean 'Login ID'?",
        "columns → Course Name: {'formt': 'x'} must be a source column's name",
        "columns → Enrollment Score → format: 'no placeholder' names no source column",
        "columns: 'Login ID' is missing",
        "columns: 'Course Name' is missing",
        "dates → format: 'dmy' is not a date format",
        "dates → two_digit_year_pivot: 150 must be a whole number from 0 to 100",
        "dates → source_timezone: 'Mars/Olympus' is not a time zone name",
        "statuses → ok: 'Done' is not a template status",
    ]
    assert len(found) == len(expected)
    for problem, start in zip(found, expected):
        assert problem.startswith(start), (problem, start)


def test_two_digit_year_formats_need_a_pivot():
    (problem,) = problems({**MINIMAL, "dates": {"columns": {"Enrollment Created Date": "m/d/yy"}}})
    assert problem.startswith("dates → two_digit_year_pivot: required with the format m/d/yy")


def test_date_columns_must_be_template_date_columns():
    (problem,) = problems({**MINIMAL, "dates": {"columns": {"Enrollment Score": "iso"}}})
    assert problem.startswith("dates → columns → Enrollment Score: not a template column")


def test_a_template_column_given_twice_and_a_word_mapped_twice():
    found = problems({
        "columns": {**MINIMAL["columns"], "LOGIN ID": "Other"},
        "statuses": {"Done": "Completed", "done": "Passed"},
    })
    assert found[0] == "columns → LOGIN ID: 'Login ID' is given twice"
    assert found[1].startswith("statuses → done: the word is mapped twice")


def test_source_options_are_checked():
    found = problems({**MINIMAL, "source": {"encoding": "klingon", "separator": "::", "sheet": [1], "blanks": 1}})
    assert [p.split(":")[0] for p in found] == [
        "source → blanks", "source → encoding", "source → separator", "source → sheet",
    ]


def test_adapters_and_their_options_are_checked():
    (unknown,) = problems({"adapter": "moodle"})
    assert unknown == "adapter: 'moodle' is not a known adapter (known: oulad)"
    (option,) = problems({"adapter": "oulad", "adapter_options": {"login": "x{id_student}"}})
    assert option.startswith("adapter_options → login: not an option of the oulad adapter (its options: login_id, course_name")
    (column,) = problems({"adapter": "oulad", "adapter_options": {"login_id": "{student}@x.org"}})
    assert column.startswith("adapter_options → login_id: 'student' is not a studentInfo column")
    # An adapter's output is template-shaped: no columns are required of the mapping.
    assert parse_mapping({"adapter": "oulad"}).columns == {}


def test_yaml_errors_name_the_line(tmp_path):
    with pytest.raises(MappingError, match="line 3: not valid YAML: mapping values are not allowed here"):
        load_mapping(mapping_file(tmp_path, "columns:\n  Login ID: Email\n  Course Name: Title: x\n"))
    with pytest.raises(MappingError, match="the key 'Login ID' is given twice"):
        load_mapping(mapping_file(tmp_path, "columns:\n  Login ID: Email\n  Login ID: Other\n"))
    with pytest.raises(MappingError, match="must be a YAML mapping"):
        load_mapping(mapping_file(tmp_path, "- just a list\n"))
    with pytest.raises(MappingError, match="does not exist"):
        load_mapping(tmp_path / "nothing.yaml")


def test_a_mapping_error_is_a_cannot_run():
    # The command line turns it into exit status 2 with the message.
    assert issubclass(MappingError, CannotRun)


def test_shaping_finds_source_columns_and_names_the_missing_ones():
    source = pl.DataFrame({
        ROW: [2, 3], "EMAIL ": ["a@x.org", "b@x.org"], "Code": ["F1", None], "Title": ["Fire", "Data"],
        "State": ["done", "done"],
    })
    mapping = parse_mapping({"columns": {
        "Login ID": "email",  # trimmed, case-insensitive when it names exactly one column
        "Course Name": {"format": "{Code} – {Title}"},
        "Enrollment Status": "State",
        "Enrollment Score": {"constant": 50},
    }})
    shaped = shape_columns(source, mapping)
    assert shaped.columns[0] == ROW and shaped.columns[1:4] == ["Login ID", "Course Name", "Enrollment Created Date"]
    assert shaped["Login ID"].to_list() == ["a@x.org", "b@x.org"]
    assert shaped["Course Name"].to_list() == ["F1 – Fire", None]  # a blank part blanks the value
    assert shaped["Enrollment Score"].to_list() == ["50", "50"]
    assert shaped["Enrollment Created Date"].to_list() == [None, None]

    wrong = parse_mapping({"columns": {
        "Login ID": "Email", "Course Name": {"format": "{Code} {Name}"}, "Enrollment Status": "Status",
    }})
    with pytest.raises(MappingError) as refused:
        shape_columns(source, wrong)
    assert refused.value.problems == [
        "columns → Course Name: the source has no column 'Name' (its columns: EMAIL , Code, Title, State)",
        "columns → Enrollment Status: the source has no column 'Status' (its columns: EMAIL , Code, Title, State)",
    ]
