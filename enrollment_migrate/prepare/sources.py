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
import json
import re
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import charset_normalizer
import polars as pl

import enrollment_migrate
from enrollment_migrate.prepare.sheet_reader import HEADER_SEARCH_ROWS as _HEADER_SEARCH_ROWS
from enrollment_migrate.prepare.sheet_reader import header_index
from enrollment_migrate.prepare.vocabulary import AUTO, ROW, SourceOptions, SourceUnreadable
from enrollment_migrate.prepare.workbook_bounds import check_workbook

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


_HEADER_SEARCH_CHARS = 1 << 16


def _read_spreadsheet(
    path: Path, options: SourceOptions, columns: tuple[str, ...] = ()
) -> tuple[pl.DataFrame, SourceDescription]:
    """.xlsx, .xlsm, .xlsb, the old .xls and OpenDocument .ods, all read by calamine, in a
    process of its own (sheet_reader), once the workbook is within its bounds (workbook_bounds)."""
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
    import pyarrow.ipc

    with tempfile.TemporaryDirectory(prefix="enrollment-migrate-sheet-") as work:
        sheet_file = Path(work) / "sheet.arrow"
        answer = _read_in_child(path, Path(work), {
            "path": str(path), "sheet": options.sheet, "header_row": options.header_row,
            "columns": list(columns), "out": str(sheet_file),
        })
        if answer.get("stage") == "open":
            raise SourceUnreadable(f"{path}: not a readable {path.suffix} workbook ({answer['error']})")
        sheets, sheet = answer["sheets"], options.sheet if options.sheet is not None else 0
        if answer.get("missing") and isinstance(sheet, int):
            raise SourceUnreadable(f"{path}: there is no sheet {sheet} (sheets, from 0: {', '.join(sheets)})")
        if answer.get("missing"):
            raise SourceUnreadable(f"{path}: there is no sheet {sheet!r} (sheets: {', '.join(sheets)})")
        name = answer["name"]
        if answer.get("stage") == "read":
            raise SourceUnreadable(f"{path}, sheet {name!r}: cannot be read ({answer['error']})")
        with pyarrow.OSFile(str(sheet_file)) as file:  # read into memory, not mapped: the folder goes
            frame = pl.from_arrow(pyarrow.ipc.open_file(file).read_all())
    header, found = answer["header"], answer["found"]
    frame = _without_empty_rows_and_unnamed_columns(frame)
    if frame.is_empty() and frame.width == 0:
        raise SourceUnreadable(f"{path}, sheet {name!r}: cannot be read (empty Excel sheet)")
    # All text: a date cell reads as "2024-03-01 00:00:00", a number as "45000" or "85.5"; the
    # date step reads both.
    return frame, SourceDescription(str(path), kind, sheet=name, header_row=header + 1, header_row_found=found)


# The child: this interpreter, with the folder of this package on its path (as it is here), and
# without the working folder (-P), whose files could stand in for the modules it imports.
_CHILD = [sys.executable, "-P", "-c", (
    f"import sys; sys.path.append({str(Path(enrollment_migrate.__file__).resolve().parent.parent)!r}); "
    "from enrollment_migrate.prepare.sheet_reader import main; main()"
)]
_STDERR_SHOWN = 1 << 16


def _read_in_child(path: Path, work: Path, request: dict[str, object]) -> dict:
    """sheet_reader's answer. The child starts while the workbook's bounds are checked here, and
    reads only once they hold; a child that ends without answering (an abort, a signal) is a
    SourceUnreadable naming the file and, when it said one, the reader's last word."""
    errors = work / "reader.stderr"
    with errors.open("wb") as stderr:
        child = subprocess.Popen(_CHILD, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr)
        try:
            check_workbook(path)
            said, _ = child.communicate((json.dumps(request) + "\n").encode("utf-8"))
        except BaseException:
            child.kill()
            child.wait()
            raise
    lines = said.decode("utf-8", "replace").strip().splitlines()
    if child.returncode == 0 and lines:
        try:
            return json.loads(lines[-1])
        except ValueError:
            pass
    with errors.open("rb") as stderr:
        words = [line.strip() for line in stderr.read(_STDERR_SHOWN).decode("utf-8", "replace").splitlines() if line.strip()]
    # A Rust abort says why first ("memory allocation of 549755813888 bytes failed"), a Python
    # traceback last.
    last_word = (words[-1] if words[0].startswith("Traceback") else words[0]) if words else ""
    how = f"signal {-child.returncode}" if child.returncode < 0 else f"exit status {child.returncode}"
    raise SourceUnreadable(
        f"{path}: the spreadsheet reader stopped on this file ({how}"
        + (f": {last_word[:200]}" if last_word else "")
        + "): a damaged workbook, or one built to crash readers; open it in a spreadsheet and save it "
        "again as .xlsx, or as CSV UTF-8"
    )


_UNNAMED = re.compile(r"(_duplicated_|__UNNAMED__)\d+$")


def _without_empty_rows_and_unnamed_columns(frame: pl.DataFrame) -> pl.DataFrame:
    """What polars' read_excel makes of calamine's sheet: columns without a name and without a
    value dropped, then rows without a value."""
    empty = [name for name in frame.columns
             if (name == "" or _UNNAMED.match(name)) and frame[name].null_count() == frame.height]
    frame = frame.drop(empty)
    if frame.height == frame.width == 0:
        return frame
    frame = frame.filter(~pl.all_horizontal(pl.all().is_null())) if frame.width else frame
    return frame.cast({name: pl.String for name, dtype in frame.schema.items() if dtype == pl.Null})


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
