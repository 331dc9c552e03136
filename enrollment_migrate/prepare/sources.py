"""Reading what people actually have: CSV in any common encoding and separator, or Excel .xlsx.

Every value is read as text, so that nothing is lost or reinterpreted on the way in (a typed read
turns "n/a" in a number column into a blank, and "007" into 7); the date and status steps decide
what the text means. Values are trimmed, and blank values (and the mapping's `blank_values`)
become null.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
from dataclasses import asdict, dataclass
from pathlib import Path

import charset_normalizer
import polars as pl

from enrollment_migrate.prepare.vocabulary import AUTO, ROW, SourceOptions, SourceUnreadable

# Spreadsheets calamine reads, by suffix, and the kind the report names.
SPREADSHEETS = {".xlsx": "xlsx", ".xlsm": "xlsx", ".xlsb": "xlsb", ".xls": "xls", ".ods": "ods"}
SEPARATORS = (",", ";", "\t", "|")
_BOMS = (  # longest first: the UTF-32 LE mark starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_SNIFF_LINES = 50
_WESTERN_WINDOWS = "cp1252"
_DETECTION_BYTES = 1 << 19


@dataclass(frozen=True)
class SourceDescription:
    """How the source was read, for the preparation report."""

    path: str
    kind: str  # "csv", "xlsx" or "adapter"
    encoding: str | None = None
    encoding_detected: bool = False
    byte_order_mark: bool = False
    separator: str | None = None
    separator_detected: bool = False
    sheet: str | None = None
    adapter: str | None = None
    header_row: int = 1  # the row the column names were taken from (of a sheet's used range)
    header_row_found: bool = False  # found by the mapping's column names, below title rows

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class SourceTable:
    frame: pl.DataFrame  # the source's columns, plus ROW
    description: SourceDescription


def read_source(path: str | Path, options: SourceOptions, columns: tuple[str, ...] = ()) -> SourceTable:
    """The source as text. `columns`: the source columns the mapping names, by which the header
    row is found below any title rows when the mapping does not give source.header_row."""
    path = Path(path)
    if not path.is_file():
        raise SourceUnreadable(f"{path}: no such file" if not path.exists() else f"{path}: not a file")
    if path.suffix.lower() in SPREADSHEETS:
        frame, description = _read_spreadsheet(path, options, columns)
    else:
        frame, description = _read_csv(path, options, columns)
    frame = frame.with_row_index(ROW, offset=description.header_row + 1).with_columns(pl.col(ROW).cast(pl.Int64))
    return SourceTable(tidy_values(frame, options.blank_values), description)


def tidy_values(frame: pl.DataFrame, blank_values: tuple[str, ...] = ()) -> pl.DataFrame:
    """Headers and text values trimmed; blank values, and the source's own words for blank
    (case-insensitive), null; ROW added when missing."""
    trimmed = [name.strip() for name in frame.columns]
    repeated = sorted({name for name in trimmed if trimmed.count(name) > 1})
    if repeated:
        # Two columns trimmed to one name: a mapping could not say which one it means.
        raise SourceUnreadable(
            "the source has several columns named "
            + ", ".join(repr(name) if name else "'' (no name)" for name in repeated)
            + "; give each column its own name"
        )
    frame = frame.rename(dict(zip(frame.columns, trimmed, strict=True)))
    blanks = ["", *(b.lower() for b in blank_values)]
    # By position: a header such as "*" or "^x$" would be a wildcard or a pattern to pl.col.
    frame = frame.with_columns(
        pl.when(~pl.nth(index).str.strip_chars().str.to_lowercase().is_in(blanks))
        .then(pl.nth(index).str.strip_chars())
        .alias(name)
        for index, (name, dtype) in enumerate(frame.schema.items())
        if dtype == pl.String and name != ROW
    )
    if ROW not in frame.columns:
        frame = frame.with_row_index(ROW, offset=2).with_columns(pl.col(ROW).cast(pl.Int64))
    return frame


_HEADER_SEARCH_ROWS = 50
_HEADER_SEARCH_CHARS = 1 << 16


def header_index(rows: list[list[object]], columns: tuple[str, ...], given: int | None) -> tuple[int, bool]:
    """The 0-based row of the column names, and whether it was found by them: the one given
    (1 first), else the first of the top rows that holds every column the mapping names
    (trimmed, case-insensitive, as columns are matched), else the first row."""
    if given is not None:
        return given - 1, False
    wanted = {name.strip().casefold() for name in columns}
    for index, row in enumerate(rows[:_HEADER_SEARCH_ROWS]):
        held = {str(value).strip().casefold() for value in row if value is not None}
        if wanted and wanted <= held:
            return index, index > 0
    return 0, False


def _read_spreadsheet(
    path: Path, options: SourceOptions, columns: tuple[str, ...] = ()
) -> tuple[pl.DataFrame, SourceDescription]:
    """.xlsx, .xlsm, .xlsb, the old .xls and OpenDocument .ods, all read by calamine."""
    import fastexcel

    kind = SPREADSHEETS[path.suffix.lower()]
    with path.open("rb") as handle:
        head = handle.read(1024).lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"<"):
        # A workbook starts with its container's signature (zip, OLE); some systems export an
        # HTML (or XML) table and name it .xls, which spreadsheets open anyway.
        raise SourceUnreadable(
            f"{path}: an HTML table saved with a {path.suffix} name, not a workbook: open it in a "
            "spreadsheet and save it as .xlsx, or as CSV UTF-8"
        )
    try:
        sheets = fastexcel.read_excel(str(path)).sheet_names
    except Exception as exc:  # noqa: BLE001 - fastexcel raises its own exception types
        raise SourceUnreadable(f"{path}: not a readable {path.suffix} workbook ({exc})") from None
    sheet = options.sheet if options.sheet is not None else 0
    if isinstance(sheet, int) and not 0 <= sheet < len(sheets):
        raise SourceUnreadable(f"{path}: there is no sheet {sheet} (sheets, from 0: {', '.join(sheets)})")
    if isinstance(sheet, str) and sheet not in sheets:
        raise SourceUnreadable(f"{path}: there is no sheet {sheet!r} (sheets: {', '.join(sheets)})")
    name = sheets[sheet] if isinstance(sheet, int) else sheet
    try:
        top = pl.read_excel(path, engine="calamine", sheet_name=name, infer_schema_length=0, drop_empty_rows=False,
                            read_options={"header_row": None, "n_rows": _HEADER_SEARCH_ROWS})
        header, found = header_index(top.rows(), columns, options.header_row)
        # All text (infer_schema_length=0): a date cell reads as "2024-03-01 00:00:00", a number
        # as "45000" or "85.5"; the date step reads both.
        frame = pl.read_excel(path, engine="calamine", sheet_name=name, infer_schema_length=0,
                              read_options={"header_row": header})
    except Exception as exc:  # noqa: BLE001
        raise SourceUnreadable(f"{path}, sheet {name!r}: cannot be read ({exc})") from None
    return frame, SourceDescription(str(path), kind, sheet=name, header_row=header + 1, header_row_found=found)


def _read_csv(path: Path, options: SourceOptions, columns: tuple[str, ...] = ()) -> tuple[pl.DataFrame, SourceDescription]:
    data = path.read_bytes()
    if not data.strip():
        raise SourceUnreadable(f"{path}: the file is empty")
    encoding, detected, bom = detect_encoding(data, options.encoding, path)
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise SourceUnreadable(
            f"{path}: not readable as {encoding} ({exc}); give source.encoding in the mapping"
        ) from None
    text = text.removeprefix("\ufeff")
    separator = options.separator
    if separator == AUTO:
        separator = detect_separator(text)
    try:  # the top of the file is enough to find the column names
        top = list(itertools.islice(
            csv.reader(io.StringIO(text[:_HEADER_SEARCH_CHARS], newline=""), delimiter=separator), _HEADER_SEARCH_ROWS,
        ))
    except csv.Error:
        top = []
    header, found = header_index(top, columns, options.header_row)
    # Polars reads UTF-8: UTF-8 bytes go as they are (less the mark), others as re-encoded text.
    utf8 = data.removeprefix(codecs.BOM_UTF8) if codecs.lookup(encoding).name.startswith("utf-8") else None
    try:
        frame = pl.read_csv(
            io.BytesIO(utf8 if utf8 is not None else text.encode("utf-8")),
            separator=separator,
            infer_schema=False,
            raise_if_empty=False,
            skip_rows=header,  # title rows above the column names
        )
    except pl.exceptions.PolarsError as exc:
        raise SourceUnreadable(
            f"{path}: not a regular table with the separator {separator!r} "
            f"({str(exc).splitlines()[0]}); check source.separator in the mapping"
        ) from None
    description = SourceDescription(
        str(path), "csv", encoding=encoding.removesuffix("-sig"), encoding_detected=detected,
        byte_order_mark=bom, separator=separator, separator_detected=options.separator == AUTO,
        header_row=header + 1, header_row_found=found,
    )
    return frame, description


def detect_encoding(data: bytes, given: str = AUTO, path: Path | str = "the file") -> tuple[str, bool, bool]:
    """(encoding, detected, has a byte-order mark). A byte-order mark decides; then UTF-8 if the
    bytes are valid UTF-8 (the commonest case, and certain); else charset-normalizer's best guess."""
    bom = next((name for mark, name in _BOMS if data.startswith(mark)), None)
    if given != AUTO:
        if bom == "utf-8-sig" and codecs.lookup(given).name == "utf-8":
            return "utf-8-sig", False, True
        return given, False, bom is not None
    if bom:
        return bom, True, True
    # NUL bytes are valid UTF-8 but no text has them: UTF-16 without a mark, whose ASCII
    # letters would otherwise pass for UTF-8.
    first_bad = 0 if b"\x00" in data[:_DETECTION_BYTES] else None
    if first_bad is None:
        try:
            data.decode("utf-8")
            return "utf-8", True, False
        except UnicodeDecodeError as invalid:
            first_bad = invalid.start
    matches = charset_normalizer.from_bytes(_detection_sample(data, first_bad))
    best = matches.best()
    if best is None:
        raise SourceUnreadable(
            f"{path}: its encoding could not be told (perhaps it is not a text file); "
            "give source.encoding in the mapping (e.g. windows-1252)"
        )
    # Western text often decodes equally well as several code pages (è in Windows-1252 is č in
    # Windows-1250): among equally good matches take Windows-1252, what Excel and most Western
    # Windows programs save.
    tied = [m for m in matches if (m.chaos, m.coherence) == (best.chaos, best.coherence)]
    if any(_WESTERN_WINDOWS in m.could_be_from_charset for m in tied):
        return _WESTERN_WINDOWS, True, False
    return codecs.lookup(best.encoding).name, True, False


def _detection_sample(data: bytes, first_bad: int) -> bytes:
    """The start of the file and the lines around its first byte that is not UTF-8: what tells
    the encoding apart, at a fraction of the cost of reading a large file whole."""
    if len(data) <= 2 * _DETECTION_BYTES or first_bad < _DETECTION_BYTES:
        return data[: 2 * _DETECTION_BYTES]
    head = data[: data.rfind(b"\n", 0, _DETECTION_BYTES) + 1]
    around = data.rfind(b"\n", 0, first_bad - _DETECTION_BYTES // 2) + 1
    return head + data[around: around + _DETECTION_BYTES]


def detect_separator(text: str) -> str:
    """The candidate that splits the first lines into the same number of fields (more than one)
    on every line, the most fields winning; a comma when nothing splits (a one-column file)."""
    lines = text.splitlines()
    head = "\n".join(lines[:_SNIFF_LINES])
    cut_short = len(lines) > _SNIFF_LINES  # the last record read may be cut inside a quote
    best, best_fields = ",", 1
    for candidate in SEPARATORS:
        counts = [len(r) for r in csv.reader(io.StringIO(head), delimiter=candidate) if r]
        if cut_short and len(counts) > 2:
            counts.pop()
        if not counts:
            continue
        consistent = all(c == counts[0] for c in counts)
        if consistent and counts[0] > best_fields:
            best, best_fields = candidate, counts[0]
    if best_fields == 1:
        # No candidate is consistent on every line (a ragged export): take the one that splits
        # the header most, and let the read report the ragged line.
        header = head.splitlines()[0] if head else ""
        widest = max(SEPARATORS, key=lambda s: len(next(csv.reader([header], delimiter=s), [])))
        if len(next(csv.reader([header], delimiter=widest), [])) > 1:
            return widest
    return best
