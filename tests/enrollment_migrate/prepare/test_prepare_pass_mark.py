"""A status from two columns, written in the mapping: a completion state plus a grade against a
pass mark (Passed at or above it, Failed below), with no adapter."""

from __future__ import annotations

import pytest

from enrollment_migrate.prepare.mapping import MappingError, parse_mapping
from enrollment_migrate.prepare.pipeline import prepare

EXPORT = ("user;course;state;grade\n"
          "ann@example.com;Safety;complete;75\n"
          "bob@example.com;Safety;complete;59,5\n"
          "carl@example.com;Safety;complete;60 %\n"
          "dora@example.com;Safety;complete;\n"
          "eve@example.com;Safety;in progress;90\n")
MAPPING = {
    "source": {"separator": ";"},
    "columns": {"Login ID": "user", "Course Name": "course", "Enrollment Status": "state", "Enrollment Score": "grade"},
    "statuses": {"complete": "Completed", "in progress": "In Progress"},
    "pass_mark": {"grade": "Grade", "at_least": 60},
}


def test_completed_rows_with_a_grade_pass_or_fail_by_the_mark(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(EXPORT, encoding="utf-8")
    done = prepare(path, parse_mapping(MAPPING))
    assert done.rows["Enrollment Status"].to_list() == ["Passed", "Failed", "Passed", "Completed", "In Progress"]
    assert done.rows["Enrollment Score"].to_list() == ["75", "59.5", "60", None, "90"]
    assert {"from": "Completed, grade ≥ 60", "to": "Passed", "rows": 2} in done.report.statuses
    assert {"from": "Completed, grade < 60", "to": "Failed", "rows": 1} in done.report.statuses


@pytest.mark.parametrize(("pass_mark", "message"), [
    ({"grade": "grade"}, "pass_mark → at_least: .* must be a number"),
    ({"at_least": 60}, "pass_mark → grade: .* must name the source column"),
    ({"grade": "grade", "at_least": 60, "mark": 1}, "pass_mark → mark"),
])
def test_a_pass_mark_written_wrong_names_its_key(pass_mark, message):
    with pytest.raises(MappingError, match=message):
        parse_mapping(MAPPING | {"pass_mark": pass_mark})


def test_a_grade_column_the_source_lacks_names_the_key(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(EXPORT, encoding="utf-8")
    with pytest.raises(MappingError, match="pass_mark → grade: the source has no column 'points'"):
        prepare(path, parse_mapping(MAPPING | {"pass_mark": {"grade": "points", "at_least": 60}}))
