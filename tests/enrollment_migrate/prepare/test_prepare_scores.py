"""Scores written `88,50` or `85 %` become numbers, each conversion counted; what is still not
a number is named with its row, and validate then reports it."""

from __future__ import annotations

import polars as pl

from enrollment_migrate.prepare.mapping import parse_mapping
from enrollment_migrate.prepare.pipeline import prepare
from enrollment_migrate.prepare.report import summary_text
from enrollment_migrate.prepare.scores import convert_scores
from enrollment_migrate.prepare.vocabulary import ROW


def converted(values: list[str | None]):
    rows = pl.DataFrame({ROW: list(range(2, 2 + len(values))), "score": values},
                        schema={ROW: pl.Int64, "score": pl.String})
    return convert_scores(rows, "score")


def test_a_decimal_comma_and_a_percent_sign_become_a_number():
    done = converted(["88,50", "85 %", "90%", "72.5", None, "12,5 %"])
    assert done.scores.to_list() == ["88.50", "85", "90", "72.5", None, "12.5"]
    assert (done.report["decimal_comma"], done.report["percent"], done.report["not_number_count"]) == (2, 3, 0)


def test_a_score_still_not_a_number_is_named_with_its_row():
    done = converted(["1.000,50", "A+", "85"])  # a thousands separator next to a decimal comma: no score
    assert done.scores.to_list() == ["1.000,50", "A+", "85"]
    assert done.report["not_numbers"] == [{"row": 2, "value": "1.000,50"}, {"row": 3, "value": "A+"}]


def test_the_report_counts_the_conversions(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text('user;course;state;grade;done\nann@example.com;Safety;Passed;"88,50";2024-06-01\n'
                    "dora@example.com;Safety;Failed;40 %;2024-06-01\nbob;Safety;Passed;great;2024-06-01\n",
                    encoding="utf-8")
    prepared = prepare(path, parse_mapping({"source": {"separator": ";"}, "columns": {
        "Login ID": "user", "Course Name": "course", "Enrollment Status": "state", "Enrollment Score": "grade",
        "Enrollment Completed Date": "done",
    }}))
    assert prepared.rows["Enrollment Score"].to_list() == ["88.50", "40", "great"]
    report = prepared.report.as_dict() | {"formula_like_values": {"count": 0, "examples": []}}
    assert "Scores: 1 with a decimal comma and 1 with a percent sign read as numbers; 1 still not a " \
           "number (row 4: 'great')" in summary_text(report)
