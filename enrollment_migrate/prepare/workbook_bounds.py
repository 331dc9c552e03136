"""What a workbook may hold, checked before the reader opens it.

A workbook of a few KB can hold a part that expands to gigabytes (a zip bomb: one shared string
of 1 GiB took the reader past 3 GB), or a sheet whose used range is billions of cells. The
.xlsx, .xlsm, .xlsb and .ods workbooks are zip files: the sizes their parts declare are read from
the zip's directory, and each part is inflated, output discarded, to no more than it declares
(the reader trusts the stream, not the directory). An old .xls is not a zip: its file size is
bounded. The bounds leave ample room for real exports (README, "Errors and limits").
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from pathlib import Path

from enrollment_migrate.prepare.vocabulary import SourceUnreadable

# A sheet of a typical 8-column LMS export takes 40 MB of XML per 100,000 rows (it compresses
# about 13 times): a million rows are about 400 MB, and Excel's 1,048,576 rows of 20 columns
# about 1 GB.
PART_MAX_BYTES = 1 << 30  # one part of the zip, inflated (a sheet's XML, the shared strings)
WORKBOOK_MAX_BYTES = 2 << 30  # all its parts together
# Exports compress 10 to 20 times; Apache POI refuses parts that expand more than 100 times.
# Small parts (styles, a sheet of repeated rows) may compress better, up to the grace size each.
MAX_RATIO = 100
RATIO_GRACE_BYTES = 16 << 20
# The reader makes a cell (32 bytes) for every cell of a sheet's used range: 2 GiB at this bound,
# which a million rows of 64 columns fit.
SHEET_MAX_CELLS = 1 << 26
# An old .xls holds at most 65,536 rows a sheet, and the reader loads the whole file: real ones
# are tens of MB.
XLS_MAX_BYTES = 256 << 20

_ZIP_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)  # the only ones the reader reads
_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature; file name and extra field lengths
_HEAD_BYTES = 16 << 10  # the start of a sheet's XML, which holds its <dimension>
_CHUNK = 1 << 16
_DIMENSION = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?dimension\b[^>]*?\bref\s*=\s*[\"']([A-Za-z]{1,3})([0-9]{1,7})(?::([A-Za-z]{1,3})([0-9]{1,7}))?[\"']"
)


def check_workbook(path: Path) -> None:
    """A SourceUnreadable naming the file and the bound it goes past, or nothing."""
    if zipfile.is_zipfile(path):
        _check_zip(path)
    elif path.suffix.lower() == ".xls" and (size := path.stat().st_size) > XLS_MAX_BYTES:
        raise SourceUnreadable(
            f"{path}: {_size(size)}, more than the {_size(XLS_MAX_BYTES)} read of an old .xls workbook "
            "(whose sheets hold at most 65,536 rows); save it as .xlsx, or as CSV UTF-8"
        )


def _check_zip(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise SourceUnreadable(f"{path}: not a readable {path.suffix} workbook (a damaged zip: {exc})") from None
    total = 0
    for part in parts:
        if part.compress_type not in _ZIP_METHODS:
            raise SourceUnreadable(
                f"{path}: part {part.filename} is compressed by method {part.compress_type}, which "
                "spreadsheet programs do not write and the reader does not read"
            )
        if part.file_size > PART_MAX_BYTES:
            raise SourceUnreadable(
                f"{path}: part {part.filename} expands to {_size(part.file_size)}, more than the "
                f"{_size(PART_MAX_BYTES)} a workbook part may (a million-row sheet is a few hundred MB); not read"
            )
        if part.file_size > RATIO_GRACE_BYTES and part.file_size > MAX_RATIO * part.compress_size:
            raise SourceUnreadable(
                f"{path}: part {part.filename} expands {part.file_size / max(part.compress_size, 1):,.0f} "
                f"times, to {_size(part.file_size)}, more than the {MAX_RATIO} times a part over "
                f"{_size(RATIO_GRACE_BYTES)} may (exports compress 10 to 20 times); not read"
            )
        total += part.file_size
    if total > WORKBOOK_MAX_BYTES:
        raise SourceUnreadable(
            f"{path}: the workbook expands to {_size(total)}, more than the {_size(WORKBOOK_MAX_BYTES)} "
            "a workbook may; not read"
        )
    with path.open("rb") as raw:
        for part in parts:
            head = _inflated_head(path, raw, part)
            if path.suffix.lower() in (".xlsx", ".xlsm") and part.filename.lower().endswith(".xml"):
                _check_dimension(path, head)


def _inflated_head(path: Path, raw, part: zipfile.ZipInfo) -> bytes:  # noqa: ANN001 - a binary file
    """The start of the part; refused when its stream holds more than the part declares."""
    raw.seek(part.header_offset)
    header = raw.read(_LOCAL_HEADER.size)
    if len(header) < _LOCAL_HEADER.size or not header.startswith(b"PK\x03\x04"):
        return b""  # the reader finds no part here either
    _, name_length, extra_length = _LOCAL_HEADER.unpack(header)
    raw.seek(part.header_offset + _LOCAL_HEADER.size + name_length + extra_length)
    if part.compress_type == zipfile.ZIP_STORED:
        if part.compress_size > part.file_size:  # the reader takes the stored bytes, all of them
            _holds_more(path, part)
        return raw.read(min(part.compress_size, _HEAD_BYTES))
    inflater, produced, head, left = zlib.decompressobj(-zlib.MAX_WBITS), 0, b"", part.compress_size
    try:
        while left > 0 and not inflater.eof:
            data = raw.read(min(left, _CHUNK))
            if not data:
                break
            left -= len(data)
            while data and not inflater.eof:
                out = inflater.decompress(data, part.file_size + 1 - produced)  # at least 1: 0 is no limit
                produced += len(out)
                if produced > part.file_size:
                    _holds_more(path, part)
                if len(head) < _HEAD_BYTES:
                    head += out[: _HEAD_BYTES - len(head)]
                data = inflater.unconsumed_tail
        produced += len(inflater.flush())
    except zlib.error:
        return head  # a damaged stream: the reader gets no further than this did
    if produced > part.file_size:
        _holds_more(path, part)
    return head


def _holds_more(path: Path, part: zipfile.ZipInfo) -> None:
    raise SourceUnreadable(
        f"{path}: part {part.filename} holds more than the {_size(part.file_size)} it declares "
        "(a damaged workbook, or one built to exhaust memory); not read"
    )


def _check_dimension(path: Path, head: bytes) -> None:
    """A sheet's used range, as its <dimension ref="A1:H1001"/> gives it (Excel and the usual
    writers give it; a sheet without one, or one that understates it, is left to the reader's
    process): a sheet past SHEET_MAX_CELLS is refused."""
    found = _DIMENSION.search(head.split(b"<sheetData", 1)[0])
    if found is None:
        return
    ref = b":".join(b"".join(pair) for pair in (found.groups()[:2], found.groups()[2:]) if pair[0]).decode("ascii")
    first_column, first_row, last_column, last_row = found.groups()
    if last_column is None:
        last_column, last_row = first_column, first_row
    rows = abs(int(last_row) - int(first_row)) + 1
    columns = abs(_column_number(last_column) - _column_number(first_column)) + 1
    if rows * columns > SHEET_MAX_CELLS:
        raise SourceUnreadable(
            f"{path}: a sheet's used range, {ref}, is {rows:,} rows by {columns:,} columns, more than "
            f"the {SHEET_MAX_CELLS:,} cells read; delete the cells far outside the table "
            "(Ctrl+End goes to the last one), save, and try again"
        )


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + letter - ord("A") + 1
    return number


def _size(count: int) -> str:
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if count >= 1 << shift:
            value = count / (1 << shift)
            return f"{value:,.1f} {unit}".replace(".0 ", " ")
    return f"{count:,} bytes"
