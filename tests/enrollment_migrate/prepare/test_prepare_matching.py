"""prepare's matching rules, stated in the README's mapping reference and held here:

- `blank_values` match trimmed and case-insensitively (`n/a` is `N/A`);
- a mapping's source column names match exactly, else trimmed and case-insensitively when that
  names exactly one column (two candidates are an error naming the key);
- a row made only of blanks and blank words is a blank row: dropped and counted.
"""

from __future__ import annotations

import pytest

from enrollment_migrate.prepare.mapping import MappingError, parse_mapping
from enrollment_migrate.prepare.pipeline import prepare

COLUMNS = {"Login ID": "user", "Course Name": "course", "Enrollment Status": "state"}


def prepared(tmp_path, text: str, mapping: dict):
    path = tmp_path / "export.csv"
    path.write_text(text, encoding="utf-8")
    return prepare(path, parse_mapping(mapping))


def test_blank_words_match_whatever_their_case_and_spaces(tmp_path):
    done = prepared(tmp_path, "user,course,state\nann@example.com, n/A ,Completed\n",
                    {"source": {"blank_values": ["N/A"]}, "columns": COLUMNS})
    assert done.rows["Course Name"].to_list() == [None]


def test_source_columns_match_trimmed_and_case_insensitively_when_only_one_fits(tmp_path):
    done = prepared(tmp_path, " USER ,Course,STATE\nann@example.com,Safety,Completed\n", {"columns": COLUMNS})
    assert done.rows.select("Login ID", "Course Name", "Enrollment Status").row(0) == (
        "ann@example.com", "Safety", "Completed",
    )


def test_two_columns_that_match_loosely_are_an_error_naming_the_key(tmp_path):
    with pytest.raises(MappingError, match="columns → Login ID: the source has no column 'user'"):
        prepared(tmp_path, "User,USER,course,state\na@x.org,b@x.org,Safety,Completed\n", {"columns": COLUMNS})


def test_a_row_of_blank_words_is_a_blank_row(tmp_path):
    done = prepared(tmp_path, "user,course,state\nann@example.com,Safety,Completed\n-, N/A ,-\n",
                    {"source": {"blank_values": ["N/A", "-"]}, "columns": COLUMNS})
    assert done.rows.height == 1
    assert done.report.rows_dropped == [{"reason": "every value blank", "rows": 1}]
