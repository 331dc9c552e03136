"""Dates: the ways people and programs write them, to the calendar date in UTC.

Read, in every format: ISO dates (`2024-03-14`) and timestamps (`2024-03-14T09:30:00+13:00`,
`2024-03-14 09:30Z`), because nothing else starts with a four-digit year. Then, by the mapping's
format: `d/m/yyyy` or `m/d/yyyy` (separators `/`, `.` or `-`; an optional time of day, with AM/PM
or not), the same with two-digit years and a stated pivot, and Excel serial numbers (`45365`,
`45365.75`). With `auto` the format is inferred from the whole column: a first number over 12
says day-first, a second number over 12 says month-first, and a column where neither occurs is
refused with a message asking for the format, never guessed.

Times of day become the calendar date in UTC, as the migration guide advises: with the zone they
carry, or else with the mapping's `source_timezone`. A time of day with no zone and no
`source_timezone` is a decision for the admin, not a guess.

Midnight is decided per column. Spreadsheets and databases write a plain date as that date at
00:00:00 (so does an `.xlsx` date cell, and a whole Excel serial number), so in a column whose
every time of day is 00:00:00 those values are read as dates alone, never shifted by a zone. In a
column with any other time of day (with a zone or without), 00:00:00 is a time like any other:
midnight in `source_timezone`, which east of UTC is the day before in UTC. The report says which
reading a column took (DateColumnReport.midnight). A date written with no time at all
(`15/1/2024`, `2024-01-15`) is a date alone in either column.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import polars as pl

from enrollment_migrate.prepare.mapping import (
    DATE_FORMATS,
    DAY_FIRST,
    DAY_FIRST_SHORT,
    EXCEL,
    ISO,
    MONTH_FIRST,
    MONTH_FIRST_SHORT,
    SHORT_YEAR_FORMATS,
    DateRules,
)
from enrollment_migrate.prepare.date_patterns import parser_formats, reads_time_of_day
from enrollment_migrate.prepare.report import MIDNIGHT_AS_DATE, MIDNIGHT_AS_TIME, Decision, examples
from enrollment_migrate.prepare.vocabulary import AUTO, ROW

_TIME = (
    r"(?:(?:T|\s+)(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,]\d+)?)?"
    r"\s*(?P<meridiem>[AaPp]\.?[Mm]\.?)?)?"
)
_ZONE = r"\s*(?P<zone>[Zz]|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?"
ISO_PATTERN = rf"^(?P<year>\d{{4}})-(?P<month>\d{{1,2}})-(?P<day>\d{{1,2}}){_TIME}{_ZONE}$"
NUMERIC_PATTERN = (
    rf"^(?P<lead>\d{{1,2}})[/.\-](?P<middle>\d{{1,2}})[/.\-](?P<year>\d{{4}}|\d{{2}}){_TIME}{_ZONE}$"
)
SERIAL_PATTERN = r"^\d+(?:\.\d+)?$"
# Excel's day 1 is 1 January 1900, and it counts a 29 February 1900 that never was (day 60):
# from day 61 on, day n is 30 December 1899 + n.
_EXCEL_EPOCH_AFTER_LEAP_BUG = dt.date(1899, 12, 30)
_EXCEL_EPOCH_BEFORE_LEAP_BUG = dt.date(1899, 12, 31)
_EXCEL_FICTIONAL_LEAP_DAY = 60
_EXCEL_LAST_SERIAL = 2_958_465  # 31 December 9999
_SECONDS_PER_DAY = 86_400

# What the report calls each way a value was written.
SHAPE_ISO, SHAPE_DAY_FIRST, SHAPE_MONTH_FIRST, SHAPE_EXCEL, SHAPE_DATE_VALUE = (
    "yyyy-mm-dd", "d/m/yyyy", "m/d/yyyy", "excel serial", "date value",
)


@dataclass
class DateColumnReport:
    column: str
    format: str  # as the mapping gives it, or "auto → m/d/yyyy" when inferred
    values: int = 0  # non-blank values
    converted: int = 0
    written_as: dict[str, int] = field(default_factory=dict)  # e.g. {"m/d/yyyy": 40, "excel serial": 2}
    with_time_of_day: int = 0
    shifted_by_timezone: int = 0  # values whose UTC date is not the date as written
    # Values read at 00:00:00 with no zone, and how the column read them: MIDNIGHT_AS_DATE when
    # the column has no other time of day, MIDNIGHT_AS_TIME when it has; None when there are none.
    at_midnight: int = 0
    midnight: str | None = None


@dataclass
class DateConversion:
    dates: pl.Series | None  # pl.Date, aligned with the input; None when a decision is needed
    report: DateColumnReport
    decisions: list[Decision]


def convert_date_column(rows: pl.DataFrame, column: str, rules: DateRules) -> DateConversion:
    """The column's values as calendar dates in UTC, with what was done and what to decide.

    `rows` holds `column` (text, or a date or datetime from an adapter) and ROW."""
    dtype = rows.schema[column]
    if dtype == pl.Date:
        return _already_dates(rows, column)
    fmt = rules.format_for(column)
    if isinstance(dtype, pl.Datetime):
        parts = _datetime_parts(rows, column)
    else:
        parts = _text_parts(rows, column)
    report = DateColumnReport(column, fmt, values=parts.filter(pl.col("text").is_not_null()).height)
    decisions: list[Decision] = []
    day_first = _day_first(parts, column, fmt, decisions)
    pivot = rules.two_digit_year_pivot
    if fmt == AUTO and pivot is None and parts["short_year"].any():
        decisions.append(Decision(
            "two_digit_years", column,
            f"{column}: some years have two digits: say which century they are in with "
            "dates.two_digit_year_pivot (e.g. 70: 69 is 2069, 70 is 1970).",
            examples(parts.filter(pl.col("short_year")), "text"),
        ))
    if fmt in DATE_FORMATS:
        dated = parts.with_columns(local_date=_local_date(fmt, day_first, pivot), shape=_shape(fmt, day_first))
    else:
        dated = _by_pattern(parts, fmt)
    zone = rules.source_timezone
    # Read with a time of day (00:00:00 included), as against a date written alone.
    timed = pl.col("local_date").is_not_null() & pl.col("has_time") & pl.col("seconds").is_not_null()
    at_midnight = timed & (pl.col("seconds") == 0) & pl.col("offset_minutes").is_null()
    # Any other time of day in the column, with a zone or without, makes its midnights times too.
    midnight_is_time = bool(dated.select((timed & (pl.col("seconds") > 0)).any()).item())
    dated = dated.with_columns(
        needs_zone=timed & pl.col("offset_minutes").is_null() & ((pl.col("seconds") > 0) | midnight_is_time),
        at_midnight=at_midnight,
    ).with_columns(utc_date=_utc_date(zone))
    if zone is None and dated["needs_zone"].any():
        decisions.append(Decision(
            "time_without_zone", column,
            f"{column}: {dated['needs_zone'].sum()} values carry a time of day and no time zone: "
            "say which zone they are in with dates.source_timezone (e.g. Europe/London, "
            "Pacific/Auckland; UTC keeps the dates as written).",
            examples(dated.filter(pl.col("needs_zone")), "text"),
        ))
    # Values an earlier decision already covers are not reported again as unreadable.
    covered = pl.lit(False)
    if fmt == AUTO and day_first is None:
        covered = covered | pl.col("is_numeric")
    if fmt == AUTO and pivot is None:
        covered = covered | pl.col("short_year")
    if zone is None:
        covered = covered | pl.col("needs_zone").fill_null(False)
    unread = dated.filter(pl.col("text").is_not_null() & pl.col("utc_date").is_null() & ~covered)
    if unread.height:
        in_gap = unread.filter(pl.col("needs_zone").fill_null(False)).height
        decisions.append(Decision(
            "unreadable_dates", column,
            f"{column}: {unread.height} values are not dates in the format {_format_words(fmt, day_first)}"
            + (f" ({in_gap} of them are times that do not exist in {zone}: the clocks went "
               "forward over them)" if in_gap else "")
            + ": correct them in the source, set the format in dates, or list the source's "
            "words for a blank date in source.blank_values.",
            examples(unread, "text"),
        ))
    converted = dated.filter(pl.col("utc_date").is_not_null())
    report.format = fmt if fmt != AUTO or day_first is None else f"auto → {DAY_FIRST if day_first else MONTH_FIRST}"
    report.converted = converted.height
    report.written_as = _counts(converted["shape"])
    report.with_time_of_day = converted.filter(pl.col("needs_zone") | pl.col("offset_minutes").is_not_null()).height
    report.shifted_by_timezone = int((converted["utc_date"] != converted["local_date"]).sum())
    # Counted over every value read, not only those converted: with no source_timezone yet, the
    # midnights a column reads as times are not converted, and the report still says why.
    report.at_midnight = int(dated["at_midnight"].sum())
    if report.at_midnight:
        report.midnight = MIDNIGHT_AS_TIME if midnight_is_time else MIDNIGHT_AS_DATE
    return DateConversion(None if decisions else dated["utc_date"], report, decisions)


def _already_dates(rows: pl.DataFrame, column: str) -> DateConversion:
    values = int(rows[column].is_not_null().sum())
    report = DateColumnReport(column, "date values", values, values, {SHAPE_DATE_VALUE: values} if values else {})
    return DateConversion(rows[column], report, [])


def _text_parts(rows: pl.DataFrame, column: str) -> pl.DataFrame:
    """One row per value: the numbers it is written with, its time of day and zone offset.

    Parsed once per distinct value and joined back: an export repeats the same dates many times,
    and the regular expressions are the costly part."""
    text = pl.col("text")
    distinct = rows.select(text=pl.col(column)).unique().with_columns(
        iso=text.str.extract_groups(ISO_PATTERN),
        numeric=text.str.extract_groups(NUMERIC_PATTERN),
    )
    iso, numeric = pl.col("iso"), pl.col("numeric")
    is_iso = iso.struct.field("year").is_not_null()
    is_numeric = numeric.struct.field("year").is_not_null()

    def either(name: str) -> pl.Expr:
        return pl.when(is_iso).then(iso.struct.field(name)).otherwise(numeric.struct.field(name))

    serial = pl.when(~is_iso & ~is_numeric & text.str.contains(SERIAL_PATTERN)).then(
        text.cast(pl.Float64, strict=False)
    )
    parsed = distinct.select(
        text,
        is_iso.alias("is_iso"),
        is_numeric.alias("is_numeric"),
        serial.alias("serial"),
        iso.struct.field("year").cast(pl.Int32).alias("iso_year"),
        iso.struct.field("month").cast(pl.Int32).alias("iso_month"),
        iso.struct.field("day").cast(pl.Int32).alias("iso_day"),
        numeric.struct.field("lead").cast(pl.Int32).alias("lead"),
        numeric.struct.field("middle").cast(pl.Int32).alias("middle"),
        numeric.struct.field("year").cast(pl.Int32).alias("numeric_year"),
        (numeric.struct.field("year").str.len_chars() == 2).fill_null(False).alias("short_year"),
        _seconds_of_day(either("hour"), either("minute"), either("second"), either("meridiem"), serial),
        _offset_minutes(either("zone")).alias("offset_minutes"),
        # An Excel serial is a moment: a whole one is midnight, as Excel holds a date cell.
        (either("hour").is_not_null() | serial.is_not_null()).alias("has_time"),
    )
    return rows.select(ROW, text=pl.col(column)).join(
        parsed, on="text", how="left", nulls_equal=True, maintain_order="left"
    )


def _datetime_parts(rows: pl.DataFrame, column: str) -> pl.DataFrame:
    """Datetime values (from an adapter) in the same shape as parsed text."""
    value = pl.col(column)
    zone = rows.schema[column].time_zone
    wall = value.dt.replace_time_zone(None) if zone else value
    offset = (
        (wall - value.dt.convert_time_zone("UTC").dt.replace_time_zone(None)).dt.total_minutes()
        if zone else pl.lit(None, pl.Int64)
    )
    return rows.select(
        ROW,
        value.cast(pl.String).alias("text"),
        value.is_not_null().alias("is_iso"),
        pl.lit(False).alias("is_numeric"),
        pl.lit(None, pl.Float64).alias("serial"),
        wall.dt.year().cast(pl.Int32).alias("iso_year"),
        wall.dt.month().cast(pl.Int32).alias("iso_month"),
        wall.dt.day().cast(pl.Int32).alias("iso_day"),
        *(pl.lit(None, pl.Int32).alias(n) for n in ("lead", "middle", "numeric_year")),
        pl.lit(False).alias("short_year"),
        (wall.dt.hour().cast(pl.Int64) * 3600 + wall.dt.minute().cast(pl.Int64) * 60
         + wall.dt.second().cast(pl.Int64)).alias("seconds"),
        offset.cast(pl.Int64).alias("offset_minutes"),
        value.is_not_null().alias("has_time"),  # a datetime always has one, midnight or not
    )


def _seconds_of_day(hour: pl.Expr, minute: pl.Expr, second: pl.Expr, meridiem: pl.Expr, serial: pl.Expr) -> pl.Expr:
    """Seconds since midnight (0 when no time is written); null for an impossible time."""
    h, m, s = hour.cast(pl.Int64), minute.cast(pl.Int64), second.cast(pl.Int64).fill_null(0)
    half = meridiem.str.to_lowercase().str.slice(0, 1)
    h24 = (
        pl.when(half.is_null()).then(h)
        .when((h < 1) | (h > 12)).then(None)  # 0 PM and 13 AM are no times
        .when(half == "a").then(h % 12)
        .otherwise(h % 12 + 12)
    )
    written = pl.when((h24 < 24) & (m < 60) & (s < 60)).then(h24 * 3600 + m * 60 + s)
    fraction = ((serial - serial.floor()) * _SECONDS_PER_DAY).round().cast(pl.Int64)
    return (
        pl.when(serial.is_not_null()).then(fraction)
        .when(hour.is_null()).then(pl.lit(0, pl.Int64))
        .otherwise(written)
        .alias("seconds")
    )


def _offset_minutes(zone: pl.Expr) -> pl.Expr:
    """`Z`, `UTC`, `+13:00`, `-0500`, `+05` as minutes east of UTC; null when none is written."""
    digits = zone.str.replace(":", "", literal=True)
    hours = digits.str.slice(1, 2).cast(pl.Int64, strict=False)
    minutes = digits.str.slice(3, 2).cast(pl.Int64, strict=False).fill_null(0)
    sign = pl.when(digits.str.starts_with("-")).then(-1).otherwise(1)
    return (
        pl.when(zone.str.to_uppercase().is_in(["Z", "UTC", "GMT"])).then(pl.lit(0, pl.Int64))
        .when(zone.is_not_null()).then(sign * (hours * 60 + minutes))
    )


def _day_first(parts: pl.DataFrame, column: str, fmt: str, decisions: list[Decision]) -> bool | None:
    """Whether d/m/y values are day-first: stated by the format, or shown by the whole column."""
    if fmt in (DAY_FIRST, DAY_FIRST_SHORT):
        return True
    if fmt in (MONTH_FIRST, MONTH_FIRST_SHORT):
        return False
    numeric = parts.filter(pl.col("is_numeric"))
    if fmt != AUTO or numeric.is_empty():
        return None
    day_first_evidence = numeric.filter((pl.col("lead") > 12) & (pl.col("middle") <= 12))
    month_first_evidence = numeric.filter((pl.col("middle") > 12) & (pl.col("lead") <= 12))
    if day_first_evidence.height and month_first_evidence.height:
        decisions.append(Decision(
            "mixed_date_orders", column,
            f"{column}: some dates can only be day-first ({day_first_evidence.height}, e.g. "
            f"{day_first_evidence['text'][0]!r}) and others only month-first "
            f"({month_first_evidence.height}, e.g. {month_first_evidence['text'][0]!r}): the column "
            "mixes both orders; correct the source, or state the format to read the rest by.",
            examples(day_first_evidence, "text", 3) + examples(month_first_evidence, "text", 3),
        ))
        return None
    if day_first_evidence.height:
        return True
    if month_first_evidence.height:
        return False
    decisions.append(Decision(
        "ambiguous_dates", column,
        f"{column}: every one of its {numeric.height} dates like {numeric['text'][0]!r} has a day "
        "and a month of 12 or less, so it reads as d/m/yyyy and as m/d/yyyy: say which with "
        f"dates.format, or for this column alone dates.columns → {column} "
        "(d/m/yyyy or m/d/yyyy).",
        examples(numeric, "text"),
    ))
    return None


def _local_date(fmt: str, day_first: bool | None, pivot: int | None) -> pl.Expr:
    """The date as written (before any time zone), null when the value is not one the format
    reads or is no real date."""
    year_digits = 2 if fmt in SHORT_YEAR_FORMATS else 4 if fmt in (DAY_FIRST, MONTH_FIRST) else None
    numeric_year = pl.col("numeric_year")
    if pivot is not None:
        numeric_year = (
            pl.when(~pl.col("short_year")).then(numeric_year)
            .when(numeric_year < pivot).then(numeric_year + 2000)
            .otherwise(numeric_year + 1900)
        )
    numeric_ok = pl.col("is_numeric") & pl.lit(day_first is not None)
    if year_digits == 2:
        numeric_ok = numeric_ok & pl.col("short_year")
    elif year_digits == 4 or pivot is None:
        numeric_ok = numeric_ok & ~pl.col("short_year")
    day = pl.col("lead") if day_first else pl.col("middle")
    month = pl.col("middle") if day_first else pl.col("lead")
    from_numbers = pl.when(numeric_ok).then(pl.format("{}-{}-{}", numeric_year, month, day))
    from_iso = pl.format("{}-{}-{}", "iso_year", "iso_month", "iso_day")
    written = (
        pl.when(pl.col("is_iso")).then(from_iso).otherwise(from_numbers)
        .str.to_date("%Y-%m-%d", strict=False)
    )
    serial_day = pl.col("serial").floor().cast(pl.Int64)
    from_serial = (
        pl.when((serial_day < 1) | (serial_day > _EXCEL_LAST_SERIAL) | (serial_day == _EXCEL_FICTIONAL_LEAP_DAY))
        .then(None)
        .when(serial_day > _EXCEL_FICTIONAL_LEAP_DAY)
        .then(pl.lit(_EXCEL_EPOCH_AFTER_LEAP_BUG) + pl.duration(days=serial_day))
        .otherwise(pl.lit(_EXCEL_EPOCH_BEFORE_LEAP_BUG) + pl.duration(days=serial_day))
    )
    serial_ok = pl.col("serial").is_not_null() & pl.lit(fmt in (AUTO, EXCEL))
    return pl.when(serial_ok).then(from_serial).otherwise(written).cast(pl.Date)


def _by_pattern(parts: pl.DataFrame, pattern: str) -> pl.DataFrame:
    """Values read by the mapping's own pattern (ISO ones as always): the date as written, and
    the time of day it gives. A month or weekday name is read short or full."""
    read = pl.coalesce([pl.col("text").str.to_datetime(f, strict=False) for f in parser_formats(pattern)])
    iso = pl.col("is_iso")
    # Polars gives hour, minute and second as Int8, whose arithmetic wraps silently (3 * 60 is
    # -76, so 12:03 AM was 11:58:44 PM the day before): each is Int64 before any arithmetic.
    seconds = (
        read.dt.hour().cast(pl.Int64) * 3600 + read.dt.minute().cast(pl.Int64) * 60
        + read.dt.second().cast(pl.Int64)
    )
    return parts.with_columns(
        local_date=pl.when(iso).then(_local_date(ISO, None, None)).otherwise(read.dt.date()),
        seconds=pl.when(iso).then(pl.col("seconds")).when(read.is_not_null()).then(seconds),
        offset_minutes=pl.when(iso).then(pl.col("offset_minutes")),
        # A pattern with an hour writes a time in every value, 00:00 too; ISO ones say their own.
        has_time=pl.when(iso).then(pl.col("has_time")).otherwise(pl.lit(reads_time_of_day(pattern))),
        shape=pl.when(iso).then(pl.lit(SHAPE_ISO)).otherwise(pl.lit(pattern)),
    )


def _shape(fmt: str, day_first: bool | None) -> pl.Expr:
    numbers = SHAPE_DAY_FIRST if day_first else SHAPE_MONTH_FIRST
    return (
        pl.when(pl.col("is_iso")).then(pl.lit(SHAPE_ISO))
        .when(pl.col("is_numeric") & pl.col("short_year")).then(pl.lit(numbers.replace("yyyy", "yy")))
        .when(pl.col("is_numeric")).then(pl.lit(numbers))
        .otherwise(pl.lit(SHAPE_EXCEL))
    )


def _utc_date(zone: str | None) -> pl.Expr:
    """The calendar date in UTC: a written offset first, then the source's zone for times of
    day without one (`needs_zone`); a date alone, or a midnight the column reads as one, stays
    as written."""
    local = pl.col("local_date").cast(pl.Datetime("us")) + pl.duration(seconds=pl.col("seconds"))
    with_offset = (local - pl.duration(minutes=pl.col("offset_minutes"))).dt.date()
    if zone is None:
        in_source_zone = pl.lit(None, pl.Date)
    else:
        in_source_zone = (
            local.dt.replace_time_zone(zone, ambiguous="earliest", non_existent="null")
            .dt.convert_time_zone("UTC").dt.date()
        )
    return (
        pl.when(pl.col("seconds").is_null()).then(None)  # an impossible time of day
        .when(pl.col("offset_minutes").is_not_null()).then(with_offset)
        .when(pl.col("needs_zone")).then(in_source_zone)
        .otherwise(pl.col("local_date"))
    )


def _format_words(fmt: str, day_first: bool | None) -> str:
    if fmt == AUTO:
        order = {True: DAY_FIRST, False: MONTH_FIRST, None: "d/m/yyyy or m/d/yyyy"}[day_first]
        return f"auto ({order}, yyyy-mm-dd or Excel serial numbers)"
    return {ISO: "yyyy-mm-dd", EXCEL: "excel (Excel serial numbers, or yyyy-mm-dd)"}.get(fmt, f"{fmt} (or yyyy-mm-dd)")


def _counts(values: pl.Series) -> dict[str, int]:
    counted = values.value_counts(sort=True)
    return {row[0]: int(row[1]) for row in counted.iter_rows()}
