"""Date patterns a mapping writes in plain tokens (`dd.mm.yyyy`, `d-MMM-yyyy`,
`dddd, d MMMM yyyy, h:mm a`), as the formats Polars' parser reads.

| token | means |
|---|---|
| `yyyy` | the year, four digits |
| `M`, `MM`; `m`, `mm` before any hour | the month, one or two digits |
| `MMM`, `MMMM` | the month's English name, short or full (either is read: Mar, March) |
| `d`, `dd` | the day, one or two digits |
| `ddd`, `dddd`, `EEE`, `EEEE` | the weekday's English name, short or full (either is read) |
| `H`, `HH` | the hour, 0 to 23; `h`, `hh` the hour, 1 to 12, with `a` (AM or PM) |
| `m`, `mm` after an hour; `s`, `ss` | minutes; seconds |

Anything else that is not a letter (`.`, `/`, `-`, `,`, spaces) stands for itself. A pattern
without a year, a month and a day, with two-digit years (use `d/m/yy` or `m/d/yy` and a pivot),
or with letters that are no token cannot express a date: PatternError says why.
"""

from __future__ import annotations

import itertools
import re

_TOKEN = re.compile(r"yyyy|yy|MMMM|MMM|MM|M|dddd|ddd|dd|d|EEEE|EEE|HH|H|hh|h|mm|m|ss|s|a|[A-Za-z]+|[^A-Za-z]+")
# Each token's readings: a month or weekday name is read short or full, whichever the value has.
_NAMES = {"MMMM": ("%B", "%b"), "MMM": ("%b", "%B"), "dddd": ("%A", "%a"), "ddd": ("%a", "%A"),
          "EEEE": ("%A", "%a"), "EEE": ("%a", "%A")}
_FIXED = {"yyyy": "%Y", "MM": "%m", "M": "%m", "dd": "%d", "d": "%d", "HH": "%H", "H": "%H",
          "hh": "%I", "h": "%I", "ss": "%S", "s": "%S", "a": "%p"}


class PatternError(ValueError):
    """The pattern cannot express a date; the message says why."""


def parser_formats(pattern: str) -> list[str]:
    """The parser's formats for `pattern`: one per reading of its names (short or full)."""
    readings, _ = _read(pattern)
    return ["".join(choice) for choice in itertools.product(*readings)]


def reads_time_of_day(pattern: str) -> bool:
    """Whether `pattern` has an hour: then every value it reads is written with a time of day,
    00:00 included, which is how dates.py tells a midnight from a date written alone."""
    _, seen = _read(pattern)
    return "hour" in seen


def _read(pattern: str) -> tuple[list[tuple[str, ...]], set[str]]:
    """Each token's readings in the parser's terms, and the parts of a date and time it has."""
    readings: list[tuple[str, ...]] = []
    seen: set[str] = set()
    hour_seen = False
    for token in _TOKEN.findall(pattern):
        if token == "yy":
            raise PatternError("two-digit years (yy): use d/m/yy or m/d/yy with dates.two_digit_year_pivot")
        if token in ("mm", "m"):
            readings.append(("%M",) if hour_seen else ("%m",))
            seen.add("minute" if hour_seen else "month")
        elif token in _NAMES:
            readings.append(_NAMES[token])
            seen.add("month" if token.startswith("M") else "weekday")
        elif token in _FIXED:
            readings.append((_FIXED[token],))
            kind = {"%Y": "year", "%m": "month", "%d": "day", "%H": "hour", "%I": "hour"}.get(_FIXED[token])
            if kind:
                seen.add(kind)
            hour_seen = hour_seen or kind == "hour"
        elif token[0].isalpha():
            raise PatternError(f"{token!r} is not a date token (yyyy, M, MMM, MMMM, d, dddd, H, h, mm, ss, a)")
        else:
            readings.append((token.replace("%", "%%"),))
    missing = [part for part in ("year", "month", "day") if part not in seen]
    if missing:
        raise PatternError(f"it has no {' and no '.join(missing)}, so it cannot express a date")
    twelve_hour = any("%I" in reading for reading in readings)
    if twelve_hour != any("%p" in reading for reading in readings):
        # A 12-hour clock without AM/PM cannot say which half of the day; AM/PM beside a 24-hour
        # clock says nothing. The parser refuses both only when it reads a value.
        raise PatternError("h (1 to 12) needs a (AM/PM), and a needs h: use H for 0 to 23" if twelve_hour
                           else "a (AM/PM) needs h (1 to 12), not H")
    return readings, seen
