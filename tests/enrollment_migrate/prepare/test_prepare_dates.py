"""Dates: each format to the calendar date in UTC; auto inference from the whole column, and the
refusals (ambiguous orders, two-digit years without a pivot, times without a zone)."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from enrollment_migrate.prepare.dates import convert_date_column
from enrollment_migrate.prepare.mapping import DateRules
from enrollment_migrate.prepare.vocabulary import ROW

D = dt.date


def column(values: list, dtype: pl.DataType = pl.String) -> pl.DataFrame:
    return pl.DataFrame({"when": values}, schema={"when": dtype}).with_row_index(ROW, offset=2).with_columns(
        pl.col(ROW).cast(pl.Int64)
    )


def convert(values: list, dtype: pl.DataType = pl.String, **rules):
    return convert_date_column(column(values, dtype), "when", DateRules(**rules))


def dates(values: list, **rules) -> list[dt.date | None]:
    converted = convert(values, **rules)
    assert converted.decisions == [], [d.message for d in converted.decisions]
    return converted.dates.to_list()


def decision_kinds(values: list, dtype: pl.DataType = pl.String, **rules) -> list[str]:
    converted = convert(values, dtype, **rules)
    assert converted.dates is None
    return [d.kind for d in converted.decisions]


@pytest.mark.parametrize(("fmt", "values", "expected"), [
    ("iso", ["2024-03-01", "2024-3-1"], [D(2024, 3, 1), D(2024, 3, 1)]),
    ("d/m/yyyy", ["01/03/2024", "1/3/2024", "1.3.2024", "1-03-2024"], [D(2024, 3, 1)] * 4),
    ("m/d/yyyy", ["03/01/2024", "3/1/2024", "12/31/2023"], [D(2024, 3, 1), D(2024, 3, 1), D(2023, 12, 31)]),
    ("excel", ["45352", "61", "59", "1"], [D(2024, 3, 1), D(1900, 3, 1), D(1900, 2, 28), D(1900, 1, 1)]),
])
def test_each_stated_format(fmt, values, expected):
    assert dates(values, format=fmt) == expected


@pytest.mark.parametrize(("fmt", "values", "expected"), [
    ("d/m/yy", ["1/3/24", "31/12/69", "1/1/70"], [D(2024, 3, 1), D(2069, 12, 31), D(1970, 1, 1)]),
    ("m/d/yy", ["3/1/24", "12/31/99"], [D(2024, 3, 1), D(1999, 12, 31)]),
])
def test_two_digit_years_take_the_stated_pivot(fmt, values, expected):
    assert dates(values, format=fmt, two_digit_year_pivot=70) == expected


def test_iso_dates_are_read_whatever_the_format():
    assert dates(["2024-03-01", "2/3/2024"], format="d/m/yyyy") == [D(2024, 3, 1), D(2024, 3, 2)]


def test_blank_values_stay_blank():
    assert dates([None, "1/3/2024"], format="d/m/yyyy") == [None, D(2024, 3, 1)]


def test_auto_reads_day_first_when_a_first_number_is_over_12():
    converted = convert(["1/3/2024", "13/3/2024", "2024-03-05", "45352"])
    assert converted.dates.to_list() == [D(2024, 3, 1), D(2024, 3, 13), D(2024, 3, 5), D(2024, 3, 1)]
    assert converted.report.format == "auto → d/m/yyyy"
    assert converted.report.written_as == {"d/m/yyyy": 2, "yyyy-mm-dd": 1, "excel serial": 1}


def test_auto_reads_month_first_when_a_second_number_is_over_12():
    converted = convert(["1/3/2024", "3/13/2024"])
    assert converted.dates.to_list() == [D(2024, 1, 3), D(2024, 3, 13)]
    assert converted.report.format == "auto → m/d/yyyy"


def test_auto_refuses_a_column_where_every_day_is_12_or_less():
    converted = convert(["1/3/2024", "12/11/2023", "2024-05-20"])
    assert converted.dates is None
    (decision,) = converted.decisions
    assert decision.kind == "ambiguous_dates"
    assert "dates.format" in decision.message and "when" in decision.message
    assert [e["row"] for e in decision.examples] == [2, 3]


def test_the_stated_format_settles_an_ambiguous_column():
    assert dates(["1/3/2024", "12/11/2023"], format="m/d/yyyy") == [D(2024, 1, 3), D(2023, 12, 11)]
    assert dates(["1/3/2024"], format="auto", column_formats={"when": "d/m/yyyy"}) == [D(2024, 3, 1)]


def test_auto_refuses_a_column_that_mixes_both_orders():
    (decision,) = convert(["13/1/2024", "1/13/2024"]).decisions
    assert decision.kind == "mixed_date_orders"
    assert {e["value"] for e in decision.examples} == {"13/1/2024", "1/13/2024"}


def test_two_digit_years_need_a_pivot():
    assert decision_kinds(["13/1/24"]) == ["two_digit_years"]
    assert dates(["13/1/24", "14/1/1999"], two_digit_year_pivot=50) == [D(2024, 1, 13), D(1999, 1, 14)]


def test_four_digit_formats_do_not_read_two_digit_years():
    (decision,) = convert(["1/3/24"], format="d/m/yyyy").decisions
    assert decision.kind == "unreadable_dates"


def test_impossible_and_foreign_values_are_reported_with_their_rows():
    converted = convert(["31/2/2024", "1/3/2024", "N/A", "2024-02-30", "60"], format="d/m/yyyy")
    assert converted.dates is None
    (decision,) = converted.decisions
    assert decision.kind == "unreadable_dates"
    assert decision.examples == [
        {"row": 2, "value": "31/2/2024"}, {"row": 4, "value": "N/A"},
        {"row": 5, "value": "2024-02-30"}, {"row": 6, "value": "60"},
    ]
    assert "4 values" in decision.message
    assert convert(["60"], format="excel").decisions[0].kind == "unreadable_dates"  # 29/2/1900 never was


def test_timestamps_with_a_zone_become_the_date_in_utc():
    converted = convert([
        "2024-03-15T09:00:00+13:00",  # morning in Auckland: still 14 March in UTC
        "2024-03-15T09:00:00Z",
        "2024-03-15 21:30:00-05:00",  # evening in New York: 16 March in UTC
        "2024-03-15T23:00:00.250+0100",
        "2024-03-15 10:00 UTC",
    ])
    assert converted.dates.to_list() == [D(2024, 3, 14), D(2024, 3, 15), D(2024, 3, 16), D(2024, 3, 15), D(2024, 3, 15)]
    assert converted.report.with_time_of_day == 5
    assert converted.report.shifted_by_timezone == 2


def test_pacific_auckland_morning_is_the_previous_day_in_utc():
    converted = convert(
        ["15/3/2024 09:30", "15/3/2024 14:00", "15/7/2024 11:59", "15/7/2024 12:00", "16/3/2024"],
        format="d/m/yyyy", source_timezone="Pacific/Auckland",
    )
    # March is summer time there (UTC+13), July winter time (UTC+12); a date alone stays.
    assert converted.dates.to_list() == [D(2024, 3, 14), D(2024, 3, 15), D(2024, 7, 14), D(2024, 7, 15), D(2024, 3, 16)]
    assert converted.report.shifted_by_timezone == 2
    assert converted.report.with_time_of_day == 4


def test_a_written_offset_wins_over_the_source_timezone():
    assert dates(["2024-03-15T09:00:00+00:00"], source_timezone="Pacific/Auckland") == [D(2024, 3, 15)]


def test_us_times_with_am_pm_in_the_source_timezone():
    converted = convert(
        ["3/14/2024 7:30 PM", "3/14/2024 12:15 AM", "3/14/2024 12:15 PM"],
        format="m/d/yyyy", source_timezone="America/Chicago",
    )
    assert converted.dates.to_list() == [D(2024, 3, 15), D(2024, 3, 14), D(2024, 3, 14)]
    assert convert(["3/14/2024 13:15 PM"], format="m/d/yyyy", source_timezone="UTC").decisions[0].kind == "unreadable_dates"


def test_a_time_of_day_without_a_zone_asks_for_the_source_timezone():
    (decision,) = convert(["2024-03-15 09:30:00", "2024-03-16"]).decisions
    assert decision.kind == "time_without_zone"
    assert "source_timezone" in decision.message
    assert decision.examples == [{"row": 2, "value": "2024-03-15 09:30:00"}]


def test_midnight_without_a_zone_is_a_date_alone():
    # How spreadsheets (and calamine reading an .xlsx date cell) write a plain date.
    converted = convert(["2024-03-15 00:00:00"], source_timezone="Pacific/Auckland")
    assert converted.dates.to_list() == [D(2024, 3, 15)]
    assert converted.report.shifted_by_timezone == 0


def test_excel_serials_with_a_time_are_local_times():
    assert decision_kinds(["45366.375"]) == ["time_without_zone"]
    # 45366 is 15 March 2024; .375 is 09:00 in Auckland, 14 March 20:00 UTC.
    assert dates(["45366.375"], source_timezone="Pacific/Auckland") == [D(2024, 3, 14)]


def test_a_local_time_the_clocks_skip_is_reported():
    (decision,) = convert(["2024-09-29 02:30"], source_timezone="Pacific/Auckland").decisions
    assert decision.kind == "unreadable_dates"
    assert "do not exist in Pacific/Auckland" in decision.message


def test_date_values_from_an_adapter_pass_through():
    converted = convert([D(2024, 3, 1), None], pl.Date)
    assert converted.dates.to_list() == [D(2024, 3, 1), None]
    assert converted.report.converted == 1


def test_zoned_datetime_values_become_the_date_in_utc():
    auckland = dt.datetime(2024, 3, 15, 9, 0)
    frame = column([auckland], pl.Datetime("us")).with_columns(
        pl.col("when").dt.replace_time_zone("Pacific/Auckland")
    )
    converted = convert_date_column(frame, "when", DateRules())
    assert converted.dates.to_list() == [D(2024, 3, 14)]
    assert converted.report.shifted_by_timezone == 1


def test_naive_datetime_values_need_a_zone_unless_at_midnight():
    assert decision_kinds([dt.datetime(2024, 3, 15, 9)], pl.Datetime("us")) == ["time_without_zone"]
    assert convert([dt.datetime(2024, 3, 15)], pl.Datetime("us")).dates.to_list() == [D(2024, 3, 15)]
