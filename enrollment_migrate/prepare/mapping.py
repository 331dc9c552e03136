"""The mapping file: how a source's columns, status words and dates become the template's.

A mapping is YAML, for example:

    source: {encoding: auto, separator: auto}
    columns:
      Login ID: Email                                # a source column
      Course Name: {format: "{Code} {Title}"}        # derived from source columns
      Enrollment Access Expires Date: {constant: ""} # the same value on every row
      Enrollment Status: State
    dates: {format: m/d/yyyy, source_timezone: America/New_York}
    statuses: {complete: Completed, passed: Passed, cancelled: drop}

Every problem is reported at once, each naming its key (`columns → Login ID: …`), so that the
admin fixes the file in one go rather than one error per attempt.
"""

from __future__ import annotations

import codecs
import difflib
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from enrollment_migrate.prepare.adapters import AdapterOptionError, adapter_names, make_adapter
from enrollment_migrate.prepare.date_patterns import PatternError, parser_formats
from enrollment_migrate.prepare.vocabulary import AUTO, DROP, PLACEHOLDER, SourceOptions
from enrollment_migrate.errors import MappingError  # noqa: F401 - raised here, named here by callers
from schemas.template import (
    COLUMNS,
    COURSE_NAME,
    DATE_COLUMNS,
    LOGIN_ID,
    STATUS,
    STATUSES,
    header_key,
)

TEMPLATE_HEADERS = tuple(c.header for c in COLUMNS)
DATE_HEADERS = tuple(c.header for c in DATE_COLUMNS)
ISO, DAY_FIRST, MONTH_FIRST, DAY_FIRST_SHORT, MONTH_FIRST_SHORT, EXCEL = (
    "iso", "d/m/yyyy", "m/d/yyyy", "d/m/yy", "m/d/yy", "excel",
)
DATE_FORMATS = (AUTO, ISO, DAY_FIRST, MONTH_FIRST, DAY_FIRST_SHORT, MONTH_FIRST_SHORT, EXCEL)
SHORT_YEAR_FORMATS = (DAY_FIRST_SHORT, MONTH_FIRST_SHORT)
# The words YAML and people use for "the blank status".
BLANK_STATUS_KEYS = ("", "(blank)")
SEPARATOR_NAMES = {"comma": ",", "semicolon": ";", "tab": "\t", "pipe": "|", "\\t": "\t"}

_TOP_LEVEL = ("adapter", "adapter_options", "source", "columns", "dates", "statuses", "pass_mark")
_SOURCE_KEYS = ("encoding", "separator", "sheet", "blank_values", "header_row")
_DATE_KEYS = ("format", "two_digit_year_pivot", "source_timezone", "columns")
_COLUMN_KINDS = ("column", "constant", "format")
_FORMAT_OPTIONS = ("inner_spaces", "strip_accents", "lower_case")
# Without these three a file is of no use; the other template columns may stay blank.
_REQUIRED_HEADERS = (LOGIN_ID.header, COURSE_NAME.header, STATUS.header)
_CANONICAL_STATUS = {s.casefold(): s for s in STATUSES}


@dataclass(frozen=True)
class ColumnSource:
    """Where one template column's values come from."""

    kind: str  # "column", "constant" or "format"
    value: str  # the source column's name, the constant, or a format such as "{Code} {Title}"
    # A format's tidying, for logins built from names ("{First}.{Last}@example.com"): each
    # source value trimmed, then its inner spaces turned into `inner_spaces` (None: kept; "":
    # dropped), then the whole without accents (Zoë -> Zoe) and lower-cased, when asked.
    inner_spaces: str | None = None
    strip_accents: bool = False
    lower_case: bool = False

    @property
    def source_columns(self) -> tuple[str, ...]:
        if self.kind == "column":
            return (self.value,)
        if self.kind == "format":
            return tuple(PLACEHOLDER.findall(self.value))
        return ()

    def describe(self) -> str:
        return {"column": "column {!r}", "constant": "constant {!r}", "format": "format {!r}"}[
            self.kind
        ].format(self.value)


def source_column_names(mapping: Mapping) -> tuple[str, ...]:
    """The source columns the mapping names (by column, inside a format, or as the grade)."""
    named = [name for given in mapping.columns.values() for name in given.source_columns]
    return tuple(dict.fromkeys(named + ([mapping.pass_mark.grade] if mapping.pass_mark else [])))


@dataclass(frozen=True)
class DateRules:
    format: str = AUTO
    two_digit_year_pivot: int | None = None  # two-digit years below it are 20xx, others 19xx
    source_timezone: str | None = None  # the zone of times of day that carry none
    column_formats: dict[str, str] = field(default_factory=dict)  # template header -> format

    def format_for(self, header: str) -> str:
        return self.column_formats.get(header, self.format)


@dataclass(frozen=True)
class Mapping:
    origin: str
    adapter: str | None = None
    adapter_options: dict[str, Any] = field(default_factory=dict)
    source: SourceOptions = SourceOptions()
    columns: dict[str, ColumnSource] = field(default_factory=dict)  # template header -> source
    dates: DateRules = DateRules()
    statuses: dict[str, str] = field(default_factory=dict)  # case-folded word -> status or DROP
    pass_mark: PassMark | None = None


@dataclass(frozen=True)
class PassMark:
    """A status from two columns: a row whose status maps to Completed and whose `grade` is a
    number becomes Passed at or above `at_least`, Failed below it."""

    grade: str  # the source column of the grade
    at_least: float


# A mapping is a few KB and three levels deep: a file past these bounds is not one, and reading
# it could take the memory or the stack of the machine.
MAPPING_MAX_BYTES = 1 << 20
MAPPING_MAX_DEPTH = 32


class _Refused(yaml.MarkedYAMLError):
    """YAML that is valid but not read in a mapping (an alias, nesting too deep)."""


class _Loader(yaml.SafeLoader):
    """YAML 1.1 reads `yes`, `no`, `on`, `off` as booleans: a status word must stay a word.

    Aliases (`*name`, and `<<: *name`) are refused: a few lines of them can stand for billions of
    values (the "billion laughs"), and a mapping has no need of them. Nesting is bounded, as the
    composer recurses."""

    _depth = 0

    def compose_node(self, parent, index):  # noqa: ANN001, ANN201 - PyYAML's signature
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise _Refused(None, None, f"the alias *{event.anchor} is not read in a mapping (aliases are "
                           "refused: write each value out)", event.start_mark)
        if self._depth >= MAPPING_MAX_DEPTH:
            raise _Refused(None, None, f"nested more than {MAPPING_MAX_DEPTH} levels deep, which no mapping is",
                           self.peek_event().start_mark)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


_Loader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _refuse_repeated_keys(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> dict:
    keys = [loader.construct_object(k, deep=deep) for k, _ in node.value]
    repeated = sorted({str(k) for k in keys if keys.count(k) > 1})
    if repeated:
        raise yaml.constructor.ConstructorError(
            None, None, f"the key {repeated[0]!r} is given twice", node.start_mark
        )
    return loader.construct_mapping(node, deep=deep)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _refuse_repeated_keys)


def load_mapping(path: str | Path) -> Mapping:
    path = Path(path)
    try:
        with path.open("rb") as handle:  # a bounded read: the file may be anything, of any size
            data = handle.read(MAPPING_MAX_BYTES + 1)
        if len(data) > MAPPING_MAX_BYTES:
            raise MappingError(str(path), [
                f"the file is larger than {MAPPING_MAX_BYTES >> 20} MiB, and a mapping is a few KB: "
                "is this the mapping file?"
            ])
        text = data.decode("utf-8-sig")
    except FileNotFoundError:
        raise MappingError(str(path), ["the file does not exist"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise MappingError(str(path), [f"the file cannot be read: {exc}"]) from None
    try:
        document = yaml.load(text, Loader=_Loader)  # a SafeLoader subclass: builds no objects
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f"line {where.line + 1}: " if where else ""
        problem = getattr(exc, "problem", None) or str(exc)
        shown = problem if isinstance(exc, _Refused) else f"not valid YAML: {problem}"
        raise MappingError(str(path), [f"{line}{shown}"]) from None
    return parse_mapping(document, str(path))


def parse_mapping(document: Any, origin: str = "<mapping>") -> Mapping:
    """A Mapping from the YAML document, or a MappingError listing every problem."""
    problems: list[str] = []
    if not isinstance(document, dict):
        raise MappingError(origin, ["the file must be a YAML mapping (key: value lines)"])
    _unknown_keys(document, _TOP_LEVEL, "", problems)
    adapter, adapter_options = _adapter(document, problems)
    mapping = Mapping(
        origin=origin,
        adapter=adapter,
        adapter_options=adapter_options,
        source=_source_options(document.get("source"), problems),
        columns=_columns(document.get("columns"), "adapter" in document, problems),
        dates=_date_rules(document.get("dates"), problems),
        statuses=_statuses(document.get("statuses"), problems),
        pass_mark=_pass_mark(document.get("pass_mark"), problems),
    )
    if problems:
        raise MappingError(origin, problems)
    return mapping


def _pass_mark(value: Any, problems: list[str]) -> PassMark | None:
    if value is None:
        return None
    section = _section(value, "pass_mark", problems)
    _unknown_keys(section, ("grade", "at_least"), "pass_mark → ", problems)
    grade, at_least = section.get("grade"), section.get("at_least")
    if not isinstance(grade, str) or not grade.strip():
        problems.append(f"pass_mark → grade: {_shown(grade)} must name the source column of the grade")
    if isinstance(at_least, bool) or not isinstance(at_least, (int, float)):
        problems.append(f"pass_mark → at_least: {_shown(at_least)} must be a number, the lowest passing grade")
        return None
    return PassMark(grade, float(at_least)) if isinstance(grade, str) and grade.strip() else None


def _unknown_keys(section: dict, known: tuple[str, ...], where: str, problems: list[str]) -> None:
    for key in section:
        if key not in known:
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(known)})"
            problems.append(f"{where}{key}: not a key of this section{hint}")


def _section(value: Any, name: str, problems: list[str]) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.append(f"{name}: must be a mapping of keys to values, not {_shown(value)}")
        return {}
    return value


def _adapter(document: dict, problems: list[str]) -> tuple[str | None, dict[str, Any]]:
    name = document.get("adapter")
    options = _section(document.get("adapter_options"), "adapter_options", problems)
    if name is None:
        if options:
            problems.append("adapter_options: given without an adapter")
        return None, {}
    if not isinstance(name, str) or name not in adapter_names():
        problems.append(
            f"adapter: {_shown(name)} is not a known adapter (known: {', '.join(adapter_names())})"
        )
        return None, {}
    options = {str(k): v for k, v in options.items()}
    try:
        make_adapter(name, options)  # refuses unknown or unusable options now, naming them
    except AdapterOptionError as refused:
        problems.append(f"adapter_options → {refused.option}: {refused}")
    return name, options


def _source_options(value: Any, problems: list[str]) -> SourceOptions:
    section = _section(value, "source", problems)
    _unknown_keys(section, _SOURCE_KEYS, "source → ", problems)
    encoding = section.get("encoding", AUTO)
    if not isinstance(encoding, str):
        problems.append(f"source → encoding: {_shown(encoding)} is not an encoding name")
        encoding = AUTO
    elif encoding != AUTO:
        try:
            codecs.lookup(encoding)
        except LookupError:
            problems.append(
                f"source → encoding: {encoding!r} is not an encoding Python knows "
                "(e.g. utf-8, windows-1252, utf-16, latin-1; or auto)"
            )
    separator = section.get("separator", AUTO)
    separator = SEPARATOR_NAMES.get(separator, separator) if isinstance(separator, str) else separator
    if not (isinstance(separator, str) and (separator == AUTO or len(separator) == 1)):
        problems.append(
            f"source → separator: {_shown(separator)} must be one character, a name "
            f"({', '.join(SEPARATOR_NAMES)}) or auto"
        )
        separator = AUTO
    sheet = section.get("sheet")
    if sheet is not None and not isinstance(sheet, (str, int)):
        problems.append(f"source → sheet: {_shown(sheet)} must be a sheet's name or its position (0 first)")
        sheet = None
    blanks = section.get("blank_values", [])
    if not isinstance(blanks, list) or not all(isinstance(b, (str, int, float)) for b in blanks):
        problems.append(f"source → blank_values: {_shown(blanks)} must be a list of values, e.g. [N/A, '-']")
        blanks = []
    header_row = section.get("header_row")
    if header_row is not None and not (isinstance(header_row, int) and not isinstance(header_row, bool)
                                       and header_row >= 1):
        problems.append(f"source → header_row: {_shown(header_row)} must be a row number, 1 for the first")
        header_row = None
    return SourceOptions(encoding, separator, sheet, tuple(str(b).strip() for b in blanks), header_row)


def template_header(key: Any) -> str | None:
    """The template's header that `key` names (trimmed, case-insensitive), or None."""
    wanted = header_key(str(key))
    return next((h for h in TEMPLATE_HEADERS if header_key(h) == wanted), None)


def _not_a_template_column(where: str, key: Any, headers: tuple[str, ...] = TEMPLATE_HEADERS) -> str:
    close = difflib.get_close_matches(str(key), headers, n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"{where}{key}: not a template column ({hint}the columns are: {', '.join(headers)})"


def _columns(value: Any, with_adapter: bool, problems: list[str]) -> dict[str, ColumnSource]:
    section = _section(value, "columns", problems)
    columns: dict[str, ColumnSource] = {}
    for key, given in section.items():
        header = template_header(key)
        if header is None:
            problems.append(_not_a_template_column("columns → ", key))
            continue
        if header in columns:
            problems.append(f"columns → {key}: {header!r} is given twice")
            continue
        source = _column_source(f"columns → {key}", given, problems)
        if source is not None:
            columns[header] = source
    if not with_adapter:
        for header in _REQUIRED_HEADERS:
            if header not in columns:
                problems.append(
                    f"columns: {header!r} is missing: name the source column that holds it, "
                    "or give a constant or a format"
                )
    return columns


def _column_source(where: str, given: Any, problems: list[str]) -> ColumnSource | None:
    if isinstance(given, str):
        if not given.strip():
            problems.append(f"{where}: the source column's name is blank")
            return None
        return ColumnSource("column", given)
    if isinstance(given, (int, float)):
        return ColumnSource("column", str(given))
    tidying = {key: given[key] for key in _FORMAT_OPTIONS if isinstance(given, dict) and key in given}
    kinds = [key for key in given if key in _COLUMN_KINDS] if isinstance(given, dict) else []
    if (not isinstance(given, dict) or len(kinds) != 1 or len(given) != 1 + len(tidying)
            or (tidying and kinds != ["format"])):
        problems.append(
            f"{where}: {_shown(given)} must be a source column's name, or one of "
            "{column: NAME}, {constant: VALUE}, {format: \"{A} {B}\"} (a format may add "
            f"{', '.join(_FORMAT_OPTIONS)})"
        )
        return None
    kind, value = kinds[0], given[kinds[0]]
    for key in ("strip_accents", "lower_case"):
        if not isinstance(tidying.get(key, False), bool):
            problems.append(f"{where} → {key}: {_shown(tidying[key])} must be true or false")
    spaces = tidying.get("inner_spaces")
    if spaces is not None and not isinstance(spaces, str):
        problems.append(f"{where} → inner_spaces: {_shown(spaces)} must be text (\"\" drops them)")
        spaces = None
    if value is None:
        value = ""
    if not isinstance(value, (str, int, float)):
        problems.append(f"{where} → {kind}: {_shown(value)} must be text")
        return None
    value = str(value)
    if kind == "format" and not PLACEHOLDER.search(value):
        problems.append(
            f"{where} → format: {value!r} names no source column: write them in braces, "
            "e.g. \"{First} {Last}\" (a fixed value is a constant)"
        )
        return None
    if kind == "column" and not value.strip():
        problems.append(f"{where} → column: the source column's name is blank")
        return None
    return ColumnSource(kind, value, spaces, tidying.get("strip_accents") is True, tidying.get("lower_case") is True)


def _date_format(where: str, value: Any, problems: list[str]) -> str:
    """One of the named formats, or a pattern of tokens (prepare.date_patterns) as written."""
    if isinstance(value, str) and value.strip().lower() in DATE_FORMATS:
        return value.strip().lower()
    if isinstance(value, str) and value.strip():
        try:
            parser_formats(value.strip())
        except PatternError as exc:
            problems.append(f"{where}: {value!r} is not a date format: {exc} "
                            f"(a pattern such as dd.mm.yyyy, or one of: {', '.join(DATE_FORMATS)})")
            return AUTO
        return value.strip()
    problems.append(f"{where}: {_shown(value)} is not a date format (one of: {', '.join(DATE_FORMATS)}, "
                    "or a pattern such as dd.mm.yyyy)")
    return AUTO


def _date_rules(value: Any, problems: list[str]) -> DateRules:
    section = _section(value, "dates", problems)
    _unknown_keys(section, _DATE_KEYS, "dates → ", problems)
    default = _date_format("dates → format", section.get("format", AUTO), problems)
    column_formats: dict[str, str] = {}
    for key, given in _section(section.get("columns"), "dates → columns", problems).items():
        header = template_header(key)
        if header not in DATE_HEADERS:
            problems.append(_not_a_template_column("dates → columns → ", key, DATE_HEADERS))
            continue
        column_formats[header] = _date_format(f"dates → columns → {key}", given, problems)
    pivot = section.get("two_digit_year_pivot")
    if pivot is not None and not (isinstance(pivot, int) and 0 <= pivot <= 100):
        problems.append(
            f"dates → two_digit_year_pivot: {_shown(pivot)} must be a whole number from 0 to 100 "
            "(e.g. 70: 69 is 2069, 70 is 1970)"
        )
        pivot = None
    short = sorted({f for f in (default, *column_formats.values()) if f in SHORT_YEAR_FORMATS})
    if short and pivot is None:
        problems.append(
            f"dates → two_digit_year_pivot: required with the format {short[0]}: say which century "
            "two-digit years are in (e.g. 70: 69 is 2069, 70 is 1970)"
        )
    zone = section.get("source_timezone")
    if zone is not None and not _is_time_zone(zone):
        problems.append(
            f"dates → source_timezone: {_shown(zone)} is not a time zone name "
            "(e.g. UTC, Europe/London, America/New_York, Pacific/Auckland)"
        )
        zone = None
    return DateRules(default, pivot, zone, column_formats)


def _is_time_zone(name: Any) -> bool:
    if not isinstance(name, str):
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        return False
    return True


def _statuses(value: Any, problems: list[str]) -> dict[str, str]:
    statuses: dict[str, str] = {}
    for word, target in _section(value, "statuses", problems).items():
        key = "" if word is None or str(word).strip() in BLANK_STATUS_KEYS else str(word).strip().casefold()
        status = _CANONICAL_STATUS.get(str(target).strip().casefold()) if target is not None else None
        if status is None and isinstance(target, str) and target.strip().casefold() == DROP:
            status = DROP
        if status is None:
            problems.append(
                f"statuses → {word}: {_shown(target)} is not a template status "
                f"({', '.join(STATUSES)}) nor {DROP!r} (the row is then not migrated)"
            )
            continue
        if key in statuses and statuses[key] != status:
            problems.append(f"statuses → {word}: the word is mapped twice (case is ignored), "
                            f"to {statuses[key]!r} and {status!r}")
            continue
        statuses[key] = status
    return statuses


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
