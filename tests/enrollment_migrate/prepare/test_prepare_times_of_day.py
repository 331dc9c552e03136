"""Times of day to the calendar date in UTC, against Python's zoneinfo: every minute of the
12 AM, 1 AM, 12 PM and 11 PM hours (and of 2 AM and 3 AM, where the clocks change), in zones east
and west of UTC, in winter, in summer and on the days the clocks change, written in each format
that takes a time; times the clocks skip are refused as such, times they repeat are read as the
earlier. And midnight, decided per column: a date alone in a column whose every time of day is
00:00, a time of day like any other in a column with other times."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from enrollment_migrate.prepare.dates import convert_date_column
from enrollment_migrate.prepare.mapping import DateRules
from enrollment_migrate.prepare.report import MIDNIGHT_AS_DATE, MIDNIGHT_AS_TIME
from enrollment_migrate.prepare.vocabulary import ROW

D = dt.date
ZONES = ("Europe/London", "Europe/Berlin", "Asia/Kolkata", "Australia/Sydney",
         "America/New_York", "America/Los_Angeles")
# 12 AM, 1 AM, 12 PM and 11 PM, where a UTC date is most often not the date as written; 2 AM and
# 3 AM, where these zones' clocks change.
HOURS = (0, 1, 2, 3, 12, 23)
# English names written out: the test must not depend on the machine's locale.
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)


def twelve_hour(t: dt.datetime) -> str:
    return f"{(t.hour + 11) % 12 + 1}:{t:%M} {'AM' if t.hour < 12 else 'PM'}"


def excel_serial(t: dt.datetime) -> str:
    return f"{(t - _EXCEL_EPOCH) / dt.timedelta(days=1):.8f}"


@dataclass(frozen=True)
class Written:
    """A way of writing a local time, and the mapping's rules that read it."""

    name: str
    write: Callable[[dt.datetime], str]
    rules: dict


WAYS = (
    Written("iso", lambda t: f"{t:%Y-%m-%dT%H:%M}", {"format": "iso"}),
    Written("iso with seconds, read by auto", lambda t: f"{t:%Y-%m-%d %H:%M:%S}", {"format": "auto"}),
    Written("d/m/yyyy 24-hour", lambda t: f"{t.day}/{t.month}/{t.year} {t:%H:%M}", {"format": "d/m/yyyy"}),
    Written("d/m/yyyy 12-hour", lambda t: f"{t.day}.{t.month}.{t.year} {twelve_hour(t)}", {"format": "d/m/yyyy"}),
    Written("m/d/yyyy 12-hour", lambda t: f"{t.month}/{t.day}/{t.year} {twelve_hour(t)}", {"format": "m/d/yyyy"}),
    Written("d/m/yy", lambda t: f"{t.day}-{t.month}-{t:%y} {t:%H:%M:%S}",
            {"format": "d/m/yy", "two_digit_year_pivot": 70}),
    Written("auto month-first 12-hour", lambda t: f"{t.month}/{t.day}/{t.year} {twelve_hour(t)}", {"format": "auto"}),
    Written("auto day-first 24-hour", lambda t: f"{t:%d/%m/%Y %H:%M}", {"format": "auto"}),
    Written("excel", excel_serial, {"format": "excel"}),
    Written("excel serial, read by auto", excel_serial, {"format": "auto"}),
    Written("Moodle's long form",
            lambda t: f"{WEEKDAYS[t.weekday()]}, {t.day} {MONTHS[t.month - 1]} {t.year}, {twelve_hour(t)}",
            {"format": "dddd, d MMMM yyyy, h:mm a"}),
    Written("d.M.yyyy HH:mm", lambda t: f"{t.day}.{t.month}.{t.year} {t:%H:%M}", {"format": "d.M.yyyy HH:mm"}),
    Written("MM/dd/yyyy hh:mm a", lambda t: f"{t:%m/%d/%Y} {(t.hour + 11) % 12 + 1:02d}:{t:%M} {'AM' if t.hour < 12 else 'PM'}",
            {"format": "MM/dd/yyyy hh:mm a"}),
    Written("d-MMM-yyyy H:mm:ss", lambda t: f"{t.day}-{MONTHS[t.month - 1][:3]}-{t.year} {t.hour}:{t:%M:%S}",
            {"format": "d-MMM-yyyy H:mm:ss"}),
)


@cache
def days_the_clocks_change(zone: str) -> tuple[dt.date, ...]:
    """The days of 2024 whose offset from UTC at the end is not the one at the start."""
    tz = ZoneInfo(zone)
    days = (D(2024, 1, 1) + dt.timedelta(days=n) for n in range(366))
    return tuple(
        day for day in days
        if dt.datetime.combine(day, dt.time(0), tz).utcoffset() != dt.datetime.combine(day, dt.time(23, 59), tz).utcoffset()
    )


@cache
def local_times(zone: str) -> tuple[dt.datetime, ...]:
    """Every minute of HOURS in winter (15 January), summer (1 July) and on each day the clocks
    change; 15 January also shows auto a day over 12 in both orders' columns."""
    days = (D(2024, 1, 15), D(2024, 7, 1), *days_the_clocks_change(zone))
    return tuple(dt.datetime(d.year, d.month, d.day, h, m) for d in days for h in HOURS for m in range(60))


def utc_date(local: dt.datetime, zone: str) -> dt.date | None:
    """zoneinfo's answer: the UTC date, or None for a time the clocks skip. fold=0 (the default)
    takes the earlier of a time the clocks repeat."""
    tz = ZoneInfo(zone)
    instant = local.replace(tzinfo=tz).astimezone(dt.UTC)
    if instant.astimezone(tz).replace(tzinfo=None) != local:
        return None  # the round trip lands elsewhere: no such time on that day's clocks
    return instant.date()


def convert(values: list, rules: dict, dtype: pl.DataType = pl.String):
    frame = pl.DataFrame({"when": values}, schema={"when": dtype}).with_row_index(ROW, offset=2).with_columns(
        pl.col(ROW).cast(pl.Int64)
    )
    return convert_date_column(frame, "when", DateRules(**rules))


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("way", WAYS, ids=lambda w: w.name)
def test_every_minute_is_the_date_zoneinfo_gives(way, zone):
    local = local_times(zone)
    expected = [utc_date(t, zone) for t in local]
    real = [(t, e) for t, e in zip(local, expected, strict=True) if e is not None]
    converted = convert([way.write(t) for t, _ in real], {**way.rules, "source_timezone": zone})
    assert [d.message for d in converted.decisions] == []
    got = converted.dates.to_list()
    wrong = [(way.write(t), e, g) for (t, e), g in zip(real, got, strict=True) if g != e]
    assert wrong == [], f"{len(wrong)} of {len(real)} wrong, e.g. {wrong[:3]}"
    report = converted.report
    assert report.converted == len(real)
    # Every value carries a time of day: midnight too, as the column has other times.
    assert report.with_time_of_day == len(real)
    assert report.shifted_by_timezone == sum(e != t.date() for t, e in real)
    assert (report.midnight, report.at_midnight) == (MIDNIGHT_AS_TIME, sum(t.hour == t.minute == 0 for t, _ in real))


@pytest.mark.parametrize("zone", [z for z in ZONES if days_the_clocks_change(z)])
@pytest.mark.parametrize("way", WAYS, ids=lambda w: w.name)
def test_times_the_clocks_skip_are_refused_as_such_and_only_they(way, zone):
    local = local_times(zone)
    skipped = [way.write(t) for t in local if utc_date(t, zone) is None]
    assert skipped, "each of these zones skips an hour in 2024"
    converted = convert([way.write(t) for t in local], {**way.rules, "source_timezone": zone})
    (decision,) = converted.decisions
    assert decision.kind == "unreadable_dates"
    assert decision.message.startswith(f"when: {len(skipped)} values are not dates")
    assert f"({len(skipped)} of them are times that do not exist in {zone}" in decision.message
    assert [e["value"] for e in decision.examples] == skipped[:5]


@pytest.mark.parametrize(("value", "expected"), [
    ("31.3.2024 02:12", D(2024, 3, 31)),  # BST, 01:12 UTC: was refused as in the gap
    ("31.3.2024 02:00", D(2024, 3, 31)),  # the first minute after the gap
    ("31.3.2024 00:59", D(2024, 3, 31)),  # the last before it (GMT)
    ("27.10.2024 01:30", D(2024, 10, 27)),  # repeated: the earlier, BST (00:30 UTC)
])
def test_london_times_just_beside_the_clocks_change_are_read(value, expected):
    converted = convert([value], {"format": "d.M.yyyy HH:mm", "source_timezone": "Europe/London"})
    assert converted.decisions == []
    assert converted.dates.to_list() == [expected]


def test_a_london_time_in_the_clocks_gap_is_refused():
    (decision,) = convert(["31.3.2024 01:59"], {"format": "d.M.yyyy HH:mm", "source_timezone": "Europe/London"}).decisions
    assert "(1 of them are times that do not exist in Europe/London" in decision.message


def test_moodle_s_first_hour_of_july_in_london_is_30_june_in_utc():
    # The sixty values: "29 had a time of day", the other 31 stayed on 1 July.
    values = [f"Monday, 1 July 2024, 12:{m:02d} AM" for m in range(60)]
    converted = convert(values, {"format": "dddd, d MMMM yyyy, h:mm a", "source_timezone": "Europe/London"})
    assert converted.dates.to_list() == [D(2024, 6, 30)] * 60
    assert (converted.report.with_time_of_day, converted.report.shifted_by_timezone) == (60, 60)


def test_moodle_s_2_am_in_berlin_is_the_same_day_in_utc():
    # 02:03 CEST is 00:03 UTC on 2 July; it was written 1/7/2024.
    converted = convert(["Tuesday, 2 July 2024, 2:03 AM"],
                        {"format": "dddd, d MMMM yyyy, h:mm a", "source_timezone": "Europe/Berlin"})
    assert converted.dates.to_list() == [D(2024, 7, 2)]


# Midnight, per column.

@pytest.mark.parametrize("way", WAYS, ids=lambda w: w.name)
def test_a_column_whose_every_time_is_midnight_reads_dates_alone(way):
    days = [D(2024, 1, 15), D(2024, 7, 1), D(2024, 3, 31)]
    values = [way.write(dt.datetime.combine(d, dt.time())) for d in days]
    converted = convert(values, {**way.rules, "source_timezone": "Europe/Berlin"})
    assert converted.dates.to_list() == days  # Berlin's midnight is the day before in UTC
    report = converted.report
    assert (report.midnight, report.at_midnight, report.with_time_of_day, report.shifted_by_timezone) == (
        MIDNIGHT_AS_DATE, 3, 0, 0)


def test_midnight_in_a_column_with_other_times_is_a_time_in_the_zone():
    # The auto example: 12:00 AM in Berlin is 14 January 23:00 UTC.
    converted = convert(["1/15/2024 12:00 AM", "1/15/2024 9:30 AM"], {"source_timezone": "Europe/Berlin"})
    assert converted.dates.to_list() == [D(2024, 1, 14), D(2024, 1, 15)]
    assert (converted.report.midnight, converted.report.at_midnight) == (MIDNIGHT_AS_TIME, 1)
    assert (converted.report.with_time_of_day, converted.report.shifted_by_timezone) == (2, 1)


def test_dates_written_alone_stay_dates_in_a_column_with_times():
    converted = convert(["15/1/2024", "15/1/2024 00:00", "15/1/2024 09:30"],
                        {"format": "d/m/yyyy", "source_timezone": "Europe/Berlin"})
    assert converted.dates.to_list() == [D(2024, 1, 15), D(2024, 1, 14), D(2024, 1, 15)]
    assert (converted.report.at_midnight, converted.report.with_time_of_day) == (1, 2)


def test_a_column_without_midnights_reports_no_reading_of_them():
    converted = convert(["15/1/2024", "15/1/2024 09:30"], {"format": "d/m/yyyy", "source_timezone": "Europe/Berlin"})
    assert (converted.report.midnight, converted.report.at_midnight) == (None, 0)


def test_a_time_with_its_own_zone_makes_midnight_a_time_too():
    converted = convert(["2024-01-15T09:30:00+01:00", "2024-01-15 00:00"], {"source_timezone": "Europe/Berlin"})
    assert converted.dates.to_list() == [D(2024, 1, 15), D(2024, 1, 14)]


def test_midnight_read_as_a_time_needs_the_source_timezone():
    (decision,) = convert(["15/1/2024 00:00", "15/1/2024 09:30"], {"format": "d/m/yyyy"}).decisions
    assert decision.kind == "time_without_zone"
    assert decision.message.startswith("when: 2 values carry a time of day")
    # A column of midnights alone still needs none.
    assert convert(["15/1/2024 00:00", "16/1/2024 00:00"], {"format": "d/m/yyyy"}).decisions == []


def test_whole_excel_serials_are_midnight_among_serials_with_times():
    # 45306 is 15 January 2024: a date cell and a date-and-time cell read alike from Excel.
    berlin = {"format": "excel", "source_timezone": "Europe/Berlin"}
    assert convert(["45306", "45306.5"], berlin).dates.to_list() == [D(2024, 1, 14), D(2024, 1, 15)]
    alone = convert(["45306", "45307"], berlin)
    assert alone.dates.to_list() == [D(2024, 1, 15), D(2024, 1, 16)]
    assert alone.report.midnight == MIDNIGHT_AS_DATE


def test_naive_datetime_values_at_midnight_among_other_times_are_times():
    values = [dt.datetime(2024, 1, 15), dt.datetime(2024, 1, 15, 9, 30)]
    converted = convert(values, {"source_timezone": "Europe/Berlin"}, pl.Datetime("us"))
    assert converted.dates.to_list() == [D(2024, 1, 14), D(2024, 1, 15)]
    alone = convert([dt.datetime(2024, 1, 15)], {"source_timezone": "Europe/Berlin"}, pl.Datetime("us"))
    assert alone.dates.to_list() == [D(2024, 1, 15)]
