"""A mapping's own date pattern, in plain tokens: Moodle's `Tuesday, 5 March 2024, 11:30 PM` and
`05-Mar-2024`, `dd.mm.yyyy`, `yyyy/mm/dd`; English month and weekday names, short or full; a
pattern that cannot express a date is an error naming its key."""

from __future__ import annotations

import datetime as dt

import pytest

from enrollment_migrate.prepare.date_patterns import PatternError, parser_formats, reads_time_of_day
from enrollment_migrate.prepare.mapping import MappingError, parse_mapping
from enrollment_migrate.prepare.pipeline import prepare
from enrollment_migrate.prepare.report import summary_text

COLUMNS = {"Login ID": "user", "Course Name": "course", "Enrollment Status": "state",
           "Enrollment Completed Date": "done"}


def dates(tmp_path, values: list[str], dates_section: dict):
    path = tmp_path / "export.csv"
    lines = ["user;course;state;done"] + [f"ann@example.com;Safety;Completed;{value}" for value in values]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return prepare(path, parse_mapping({"source": {"separator": ";"}, "columns": COLUMNS, "dates": dates_section}))


@pytest.mark.parametrize(("pattern", "values"), [
    ("dd.mm.yyyy", ["05.03.2024", "5.3.2024"]),
    ("yyyy/mm/dd", ["2024/03/05", "2024/3/5"]),
    ("d-MMM-yyyy", ["05-Mar-2024", "5-March-2024"]),  # short and full names, mixed
    ("MMM d, yyyy", ["mar 5, 2024", "MAR 5, 2024"]),
])
def test_a_pattern_reads_its_dates(tmp_path, pattern, values):
    done = dates(tmp_path, values, {"format": pattern})
    assert done.ready, [d.message for d in done.report.decisions]
    assert done.rows["Enrollment Completed Date"].to_list() == [dt.date(2024, 3, 5)] * len(values)
    assert done.report.dates[0]["written_as"] == {pattern: len(values)}


def test_moodle_s_default_with_a_time_of_day_in_the_source_s_zone(tmp_path):
    done = dates(tmp_path, ["Tuesday, 5 March 2024, 11:30 PM", "Monday, 4 March 2024, 9:05 AM"],
                 {"format": "dddd, d MMMM yyyy, h:mm a", "source_timezone": "Europe/London"})
    assert done.ready
    assert done.rows["Enrollment Completed Date"].to_list() == [dt.date(2024, 3, 5), dt.date(2024, 3, 4)]
    assert done.report.dates[0]["with_time_of_day"] == 2


def test_moodle_s_first_hour_in_london_is_the_day_before_and_the_report_says_how_midnight_was_read(tmp_path):
    # The report said "29 had a time of day" and wrote 1/7/2024 for the other 31: the
    # minutes were multiplied in Int8.
    values = [f"Monday, 1 July 2024, 12:{m:02d} AM" for m in range(60)]
    done = dates(tmp_path, values, {"format": "dddd, d MMMM yyyy, h:mm a", "source_timezone": "Europe/London"})
    assert done.ready
    assert done.rows["Enrollment Completed Date"].to_list() == [dt.date(2024, 6, 30)] * 60
    (report,) = done.report.as_dict()["dates"]
    assert (report["with_time_of_day"], report["shifted_by_timezone"]) == (60, 60)
    assert (report["at_midnight"], report["midnight"]) == (1, "time of day")
    assert ("60 had a time of day, 60 shifted to the UTC date; 1 at 00:00 read as times of day "
            "(the column has other times of day)") in summary_text(done.report.as_dict())


def test_a_column_of_midnights_is_reported_as_read_as_dates_alone(tmp_path):
    done = dates(tmp_path, ["Monday, 1 July 2024, 12:00 AM", "Tuesday, 2 July 2024, 12:00 AM"],
                 {"format": "dddd, d MMMM yyyy, h:mm a", "source_timezone": "Europe/Berlin"})
    assert done.rows["Enrollment Completed Date"].to_list() == [dt.date(2024, 7, 1), dt.date(2024, 7, 2)]
    (report,) = done.report.as_dict()["dates"]
    assert (report["at_midnight"], report["midnight"], report["with_time_of_day"]) == (2, "date alone", 0)
    line = next(line for line in summary_text(done.report.as_dict()).splitlines() if "converted" in line)
    assert line.endswith("2 of 2 converted (2 dddd, d MMMM yyyy, h:mm a); "
                         "2 at 00:00 read as dates alone (no other time of day in the column)")


def test_a_date_column_without_midnights_says_nothing_of_them(tmp_path):
    done = dates(tmp_path, ["05.03.2024"], {"format": "dd.mm.yyyy"})
    assert done.report.dates[0]["midnight"] is None
    assert "00:00" not in summary_text(done.report.as_dict())


def test_whether_a_pattern_reads_a_time_of_day():
    assert reads_time_of_day("dddd, d MMMM yyyy, h:mm a") and reads_time_of_day("d.M.yyyy HH:mm")
    assert not reads_time_of_day("dd.mm.yyyy") and not reads_time_of_day("d-MMM-yyyy")


def test_a_time_of_day_without_a_zone_is_still_a_decision(tmp_path):
    done = dates(tmp_path, ["Tuesday, 5 March 2024, 11:30 PM"], {"format": "dddd, d MMMM yyyy, h:mm a"})
    assert [d.kind for d in done.report.decisions] == ["time_without_zone"]


def test_iso_dates_are_read_beside_a_pattern_and_others_are_named(tmp_path):
    done = dates(tmp_path, ["05.03.2024", "2024-03-06", "5/3/2024"], {"format": "dd.mm.yyyy"})
    (decision,) = done.report.decisions
    assert decision.kind == "unreadable_dates" and decision.examples == [{"row": 4, "value": "5/3/2024"}]
    assert "dd.mm.yyyy" in decision.message


@pytest.mark.parametrize(("pattern", "why"), [
    ("dd.mm", "it has no year"),
    ("yy-mm-dd", "two-digit years"),
    ("dd.mm.yyyy q", "'q' is not a date token"),
    ("HH:mm", "it has no year and no month and no day"),
])
def test_a_pattern_that_cannot_express_a_date_names_the_key(pattern, why):
    with pytest.raises(PatternError, match=why):
        parser_formats(pattern)
    with pytest.raises(MappingError, match=f"dates → format: {pattern!r} is not a date format: .*{why}"):
        parse_mapping({"columns": COLUMNS, "dates": {"format": pattern}})
    with pytest.raises(MappingError, match="dates → columns → Enrollment Completed Date"):
        parse_mapping({"columns": COLUMNS, "dates": {"columns": {"Enrollment Completed Date": pattern}}})


def test_minutes_after_an_hour_and_months_before_one():
    assert parser_formats("mm/dd/yyyy HH:mm") == ["%m/%d/%Y %H:%M"]


@pytest.mark.parametrize("pattern", ["d.M.yyyy h:mm", "d.M.yyyy HH:mm a"])
def test_a_twelve_hour_clock_and_am_pm_go_together(pattern):
    """'h' without 'a' once reached the parser and failed there with a traceback."""
    from enrollment_migrate.prepare.date_patterns import PatternError, parser_formats

    with pytest.raises(PatternError, match="needs"):
        parser_formats(pattern)
