"""Reading a migration template file into one record per row, with its file-level findings.

The fast path is two Polars reads: one of raw lines, to learn where each record starts and how
many fields it has (Polars itself pads short rows and truncates long ones without saying so), and
one of the values. Files whose quoting is not RFC 4180 (a quote inside an unquoted field, a quote
left open), which Polars refuses or reads differently from a spreadsheet, are read by the standard
library's lenient CSV reader instead, so that the admin still gets one finding per broken row
rather than an error about the whole file.
"""

from __future__ import annotations

import csv
import mmap
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from enrollment_migrate.errors import UnreadableFile
from schemas import rules
from schemas.findings import empty_findings, finding, finding_columns, findings_frame
from schemas.template import COLUMNS, BY_HEADER_KEY, TemplateColumn, header_key

BOM = b"\xef\xbb\xbf"
_SNIFF_BYTES = 1 << 16
_LONGEST_NAME_SHOWN = 100
_LINE_SEPARATOR_SENTINEL = "\x1f"  # a byte no template value contains: each line is one field
# A record quoted as RFC 4180 has it: a quote opens a field and closes it, or is doubled inside it.
_FIELD = r'(?:[^",]*|"(?:[^"]|"")*")'
_RFC4180_RECORD = rf"^{_FIELD}(?:,{_FIELD})*$"


@dataclass
class TemplateFile:
    """A loaded template file. `rows` is None when a file-level finding stops the check."""

    path: Path
    findings: pl.DataFrame
    rows: pl.DataFrame | None
    record_count: int = 0
    headers: list[str] = field(default_factory=list)
    # Records after the header, blank ones included: a part of a file numbers its rows on from
    # the records of the parts before it.
    records_read: int = 0
    bad_byte: int | None = None  # where the first byte that is not UTF-8 is, if one stops the file

    @property
    def readable(self) -> bool:
        return self.rows is not None


def load_template(path: str | Path, part: bytes | None = None, first_part: bool = True) -> TemplateFile:
    """The file at `path`; or, given `part` (the header record followed by some of the file's
    records, as enrollment_migrate.file_parts cuts it), that part, with rows numbered as if the
    part were the whole file. Only the file's start is sniffed for NUL bytes (`first_part`)."""
    path = Path(path)
    source: Path | bytes = path if part is None else part
    try:
        if part is None:
            with path.open("rb") as handle:
                head = handle.read(_SNIFF_BYTES)
        else:
            head = part[:_SNIFF_BYTES]
    except OSError as exc:
        raise UnreadableFile(f"{path}: {exc.strerror or exc}") from exc
    bom = len(BOM) if head.startswith(BOM) else 0
    if first_part and b"\x00" in head:
        # NUL bytes are valid UTF-8, but a text file has none: this is UTF-16 (saved by Excel
        # as "Unicode text") or not text at all.
        return TemplateFile(path, findings_frame([finding(
            rules.NOT_UTF8,
            "The file is not UTF-8: row 1 already holds NUL bytes, as UTF-16 (\"Unicode text\") or "
            "binary files do. Save the file as CSV UTF-8.",
            row=1,
        )]), None)

    try:
        if _contains(source, _LINE_SEPARATOR_SENTINEL.encode()):
            # The line reader would cut lines at this byte: take the lenient reader's records.
            _, records = _read_values_leniently(source, bom, 0, {})
            records = records.with_columns(irregular=pl.lit(True))
        else:
            records = _record_layout(_read_lines(source, bom))
    except (pl.exceptions.ComputeError, UnicodeDecodeError) as exc:
        if "utf-8" not in str(exc).lower():
            raise
        return _not_utf8(path, source, bom)

    if records.height == 1 and not _contains(source, b"\n") and _contains(source, b"\r"):
        # One line, cut by lone CRs: an old Mac export, which no CSV reader here takes for rows.
        return TemplateFile(path, findings_frame([finding(
            rules.NOT_CSV_LINE_ENDINGS,
            "The file's lines end with a lone CR (carriage return), as old Mac programs write "
            "them: save it again as CSV UTF-8, which ends lines with CR LF.",
        )]), None)
    if records.is_empty() or records["blank"][0]:
        message = (
            "The file is empty."
            if records.is_empty() or records["blank"].all()
            else "The first line is blank: the header row must come first."
        )
        return TemplateFile(path, findings_frame([finding(rules.EMPTY_FILE, message)]), None)

    headers = _parse_header(source, bom)
    columns, header_findings = _match_headers(headers)
    record_count = int((~records["blank"]).sum()) - 1
    records_read = records.height - 1
    if header_findings.filter(pl.col("severity") == rules.Severity.FATAL).height:
        return TemplateFile(path, header_findings, None, record_count, headers, records_read)
    if record_count == 0:
        findings = pl.concat(
            [header_findings, findings_frame([finding(rules.EMPTY_FILE, "The file has a header but no records.")])]
        )
        return TemplateFile(path, findings, None, 0, headers, records_read)

    values = _read_values(source, bom, len(headers), columns, records)
    if values is None:
        values, records = _read_values_leniently(source, bom, len(headers), columns)
        records_read = records.height - 1
    rows = _assemble_rows(values, records, columns)
    malformed = (
        rows.filter(pl.col("field_count") != len(headers))
        .select(finding_columns(
            rules.MALFORMED_ROW,
            pl.format("This row has {} fields; the header has {}.", "field_count", pl.lit(len(headers))),
            value=pl.col("field_count"),
        ))
    )
    return TemplateFile(
        path, pl.concat([header_findings, malformed]), rows, rows.height, headers, records_read
    )


def _contains(source: Path | bytes, needle: bytes) -> bool:
    """Whether the file holds these bytes, without reading it into memory."""
    if isinstance(source, bytes):
        return needle in source
    if source.stat().st_size == 0:
        return False
    with source.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
        return mapped.find(needle) != -1


def _data(source: Path | bytes) -> bytes:
    return source if isinstance(source, bytes) else source.read_bytes()


def _read_lines(source: Path | bytes, bom: int) -> pl.DataFrame:
    return pl.read_csv(
        source,
        glob=False,  # a name is a name: 'export[1].csv' is no pattern
        has_header=False,
        separator=_LINE_SEPARATOR_SENTINEL,
        quote_char=None,
        schema={"line": pl.String},
        truncate_ragged_lines=True,
        skip_lines=0,
        raise_if_empty=False,
    ).with_columns(
        # the BOM is part of the first line when quoting is off
        pl.col("line").str.strip_prefix("\ufeff") if bom else pl.col("line")
    )


def _record_layout(lines: pl.DataFrame) -> pl.DataFrame:
    """One row per CSV record: where it starts, whether it is blank, how many fields it has.

    A line continues the previous record when an odd number of quotes came before it, i.e. a
    quoted field is still open. Commas inside quoted fields are removed before counting.
    `irregular` marks records whose quotes do not follow RFC 4180 (a quote left open, a quote
    inside an unquoted field): Polars and a spreadsheet read those differently, and the count
    above may be wrong for them.
    """
    line = pl.col("line").fill_null("")
    counted = lines.lazy().select(line, quotes=line.str.count_matches('"', literal=True)).collect()
    if not (counted["quotes"] % 2 == 1).any():
        # No line leaves a quote open (most files): each line is a record of its own.
        single = counted.lazy().with_columns(
            record=pl.int_range(pl.len(), dtype=pl.Int64), n_lines=pl.lit(1, pl.UInt32)
        )
    else:
        single = _joined_records(counted)
    layout = single.select(
        "record",
        ((pl.col("line") == "") & (pl.col("n_lines") == 1)).alias("blank"),
        (pl.col("line").str.count_matches(",", literal=True) + 1).cast(pl.Int64).alias("field_count"),
        "quotes",
    ).collect()
    layout = layout.with_columns(irregular=pl.lit(False))
    quoted = layout.select(pl.arg_where(pl.col("quotes") > 0)).to_series()
    if quoted.len():
        # Only lines with quotes need the (slower) regexes that drop quoted commas and check
        # the quoting.
        quoted_lines = single.select("line").collect().to_series().gather(quoted)
        unquoted = quoted_lines.str.replace_all('"[^"]*"', "")
        recount = unquoted.str.count_matches(",", literal=True) + 1
        layout = layout.with_columns(
            layout["field_count"].scatter(quoted, recount.cast(pl.Int64)),
            layout["irregular"].scatter(quoted, ~quoted_lines.str.contains(_RFC4180_RECORD)),
        )
    return layout.select("record", "blank", "field_count", "irregular")


def _joined_records(counted: pl.DataFrame) -> pl.LazyFrame:
    """Lines joined into records: a line continues the record before it when an odd number of
    quotes came before it (a quoted field is still open)."""
    laid = (
        counted.lazy()
        .with_columns(continues=(pl.col("quotes").cum_sum() - pl.col("quotes")) % 2 == 1)
        .with_columns(record=(~pl.col("continues")).cum_sum().cast(pl.Int64) - 1)
        .collect()
    )
    spanning = laid.filter(pl.col("continues")).select("record").unique()
    single = laid.lazy().select("record", "line", "quotes", n_lines=pl.lit(1, pl.UInt32))
    # Only records with quoted line breaks need their lines joined back together.
    joined = (
        laid.lazy()
        .join(spanning.lazy(), on="record", how="semi")
        .group_by("record")
        .agg(pl.col("line").str.join("\n"), pl.col("quotes").sum(), pl.len().alias("n_lines"))
    )
    return pl.concat(
        [single.join(spanning.lazy(), on="record", how="anti"), joined], how="vertical_relaxed"
    ).sort("record")


def _not_utf8(path: Path, source: Path | bytes, bom: int) -> TemplateFile:
    data = _data(source)
    try:
        data.decode("utf-8")
        position = len(data)
    except UnicodeDecodeError as exc:
        position = exc.start
    # The text up to the bad byte, and a stand-in for it: its record is the last one.
    prefix = data[bom:position].decode("utf-8") + "\ufffd"
    lines = pl.DataFrame({"line": prefix.split("\n")}).with_columns(
        pl.col("line").str.strip_suffix("\r")
    )
    layout = _record_layout(lines)
    row = layout.height
    if layout["irregular"].any():
        # Broken quoting: count records as the lenient reader reads them (a stray quote is a
        # character to it, where the layout would take it to open a field).
        with _csv_field_limit(len(prefix)):
            row = sum(1 for _ in csv.reader(io.StringIO(prefix, newline="")))
    return TemplateFile(path, not_utf8_findings(row, position), None, bad_byte=position)


def not_utf8_findings(row: int, position: int) -> pl.DataFrame:
    return findings_frame([finding(
        rules.NOT_UTF8,
        f"The file is not UTF-8: row {row} has a byte sequence that is not UTF-8 "
        f"(at byte {position}). Save the file as CSV UTF-8.",
        row=row,
    )])


def _parse_header(source: Path | bytes, bom: int) -> list[str]:
    # The header is small: read it with the standard library, which handles quoting fully.
    if isinstance(source, bytes):
        size, binary = len(source), io.BytesIO(source)
    else:
        size, binary = source.stat().st_size, source.open("rb")
    with io.TextIOWrapper(binary, encoding="utf-8", newline="") as handle, _csv_field_limit(size):
        if bom:
            handle.read(1)
        return [h.strip() for h in next(csv.reader(handle), [])]


def _shortened(text: str) -> str:
    """A header can be a whole file's worth of text (an unterminated quote): show its start."""
    return text if len(text) <= _LONGEST_NAME_SHOWN else text[: _LONGEST_NAME_SHOWN - 1] + "…"


@contextmanager
def _csv_field_limit(size: int) -> Iterator[None]:
    """The csv module refuses fields over 128 KiB; a field can be as long as the file."""
    limit = csv.field_size_limit()
    csv.field_size_limit(max(limit, size + 1))
    try:
        yield
    finally:
        csv.field_size_limit(limit)


def _match_headers(headers: list[str]) -> tuple[dict[TemplateColumn, int], pl.DataFrame]:
    """Template column -> position in the file, and the header findings."""
    positions: dict[TemplateColumn, list[int]] = {}
    items = []
    for index, header in enumerate(headers):
        column = BY_HEADER_KEY.get(header_key(header))
        if column is None:
            name = _shortened(header) or f"(column {index + 1}, no name)"
            items.append(
                finding(
                    rules.UNKNOWN_COLUMN,
                    f"'{name}' is not a template column; its values are ignored.",
                    column=name,
                )
            )
        else:
            positions.setdefault(column, []).append(index)
    for column, found in positions.items():
        if len(found) > 1:
            where = ", ".join(str(i + 1) for i in found)
            items.append(
                finding(
                    rules.DUPLICATE_COLUMN,
                    f"'{column.header}' appears {len(found)} times (columns {where}).",
                    column=column.header,
                )
            )
    for column in COLUMNS:
        if column.required and column not in positions:
            items.append(
                finding(
                    rules.MISSING_COLUMN,
                    f"The required column '{column.header}' is missing.",
                    column=column.header,
                )
            )
    return {c: found[0] for c, found in positions.items()}, findings_frame(items) if items else empty_findings()


def _read_values(
    source: Path | bytes,
    bom: int,
    n_headers: int,
    columns: dict[TemplateColumn, int],
    records: pl.DataFrame,
) -> pl.DataFrame | None:
    """The template columns' values, one row per record (header included), or None if Polars
    cannot parse the file the way the record layout sees it."""
    if records["irregular"].any():
        return None
    order = sorted(columns.items(), key=lambda item: item[1])
    try:
        values = pl.read_csv(
            source,
            glob=False,
            has_header=False,
            schema={f"column_{i + 1}": pl.String for i in range(n_headers)},
            columns=[index for _, index in order],
            truncate_ragged_lines=True,
            missing_columns="insert",
            raise_if_empty=False,
        )
    except pl.exceptions.PolarsError:
        return None
    if values.height != records.height:
        return None
    return values.rename({f"column_{index + 1}": column.field for column, index in order})


def _read_values_leniently(
    source: Path | bytes, bom: int, n_headers: int, columns: dict[TemplateColumn, int]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The slow path for files with broken quoting, which the lenient reader takes as a
    spreadsheet would; only such files pay for a Python-level reader."""
    text = _data(source)[bom:].decode("utf-8")
    with _csv_field_limit(len(text)):
        parsed = list(csv.reader(io.StringIO(text, newline="")))
    counts = [len(fields) for fields in parsed]
    data = {
        column.field: [fields[index] if index < len(fields) else None for fields in parsed]
        for column, index in columns.items()
    }
    values = pl.DataFrame(data, schema={c.field: pl.String for c in columns})
    records = pl.DataFrame(
        {
            "record": range(len(parsed)),
            "blank": [n == 0 for n in counts],
            "field_count": counts,
            "irregular": [False] * len(parsed),
        },
        schema={"record": pl.Int64, "blank": pl.Boolean, "field_count": pl.Int64, "irregular": pl.Boolean},
    )
    return values, records


def _assemble_rows(
    values: pl.DataFrame, records: pl.DataFrame, columns: dict[TemplateColumn, int]
) -> pl.DataFrame:
    present = [c.field for c in COLUMNS if c in columns]
    needs_trim = values.select(_padded_or_empty(pl.col(present).slice(1)).any()).row(0, named=True)
    trimmed = [
        (_trimmed(pl.col(c.field)) if needs_trim[c.field] else pl.col(c.field)).alias(c.field)
        if c in columns
        else pl.lit(None, pl.String).alias(c.field)
        for c in COLUMNS
    ]
    body = pl.concat([records.select("blank", "field_count"), values], how="horizontal").slice(1)
    if body["blank"].any():
        body = body.filter(~pl.col("blank"))
    return body.select(
        pl.Series("row", records.filter(~pl.col("blank"))["record"].slice(1) + 1),
        *trimmed,
        "field_count",
    )


def _trimmed(value: pl.Expr) -> pl.Expr:
    """Values are trimmed and blanks become null; most values need no trimming, and skipping
    them keeps the strings where the reader put them. An empty string is blank too: Polars
    reads a quoted "" as one, and the lenient reader reads every empty field as one."""
    stripped = value.str.strip_chars()
    return pl.when(_padded_or_empty(value)).then(pl.when(stripped != "").then(stripped)).otherwise(value)


def _padded_or_empty(value: pl.Expr) -> pl.Expr:
    """Whether a value starts or ends with whitespace, or is empty: the regex ^\\s|\\s$|^$,
    at about half its cost (\\s and strip_chars both mean Unicode White_Space)."""
    length = value.str.len_bytes()
    return (length == 0) | (value.str.strip_chars().str.len_bytes() != length)
