"""Workbooks for tests, written without an office suite."""

from __future__ import annotations

from pathlib import Path


def ods(path: Path, rows: list[tuple[str, ...]]) -> Path:
    """A minimal OpenDocument spreadsheet, as LibreOffice reads and writes it."""
    import zipfile

    cells = "".join(
        "<table:table-row>" + "".join(
            f'<table:table-cell office:value-type="string"><text:p>{value}</text:p></table:table-cell>'
            if value else "<table:table-cell/>" for value in row
        ) + "</table:table-row>"
        for row in rows
    )
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="Export">{cells}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    with zipfile.ZipFile(path, "w") as ods:
        ods.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", compress_type=zipfile.ZIP_STORED)
        ods.writestr("content.xml", content)
        ods.writestr("META-INF/manifest.xml", manifest)
    return path


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_OFFICE_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def cell_ref(row: int, column: int) -> str:
    """"A1" for (1, 1), "XFD1048576" for (1048576, 16384)."""
    letters = ""
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return f"{letters}{row}"


def xlsx(path: Path, rows: list[tuple[str, ...]] = (), *, cells: dict[str, str] | None = None,
         dimension: str | None = "auto", shared_string_bytes: int = 0, method: int | None = None) -> Path:
    """A minimal .xlsx, its XML written by hand: `rows` from A1, or `cells` by reference (inline
    strings); `dimension` the sheet's <dimension ref> ("auto": the cells' range, None: none);
    `shared_string_bytes`: a shared string of that many "A"s, streamed, shown in the cell after
    the last row (a zip bomb when large); `method`: the zip compression (deflate)."""
    import re
    import zipfile

    cells = dict(cells or {})
    for r, row in enumerate(rows, start=1):
        cells.update({cell_ref(r, c): value for c, value in enumerate(row, start=1) if value})
    def at(ref: str) -> tuple[int, int]:
        letters, row = re.fullmatch("([A-Z]+)([0-9]+)", ref).groups()
        column = 0
        for letter in letters:
            column = column * 26 + ord(letter) - ord("A") + 1
        return int(row), column

    by_row: dict[int, list[str]] = {}
    for ref, value in sorted(cells.items(), key=lambda item: at(item[0])):
        by_row.setdefault(at(ref)[0], []).append(f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>')
    if shared_string_bytes:
        last = max(by_row, default=0) + 1
        by_row[last] = [f'<c r="A{last}" t="s"><v>0</v></c>']
    if dimension == "auto":  # the range that holds every cell
        places = [at(ref) for ref in cells] or [(1, 1)]
        first = cell_ref(min(r for r, _ in places), min(c for _, c in places))
        last_ref = cell_ref(max(r for r, _ in places), max(c for _, c in places))
        dimension = first if first == last_ref else f"{first}:{last_ref}"
    sheet = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="{_MAIN}">'
        + (f'<dimension ref="{dimension}"/>' if dimension else "")
        + "<sheetData>"
        + "".join(f'<row r="{r}">{"".join(by_row[r])}</row>' for r in sorted(by_row))
        + "</sheetData></worksheet>"
    )
    shared = '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            + (shared if shared_string_bytes else "") + "</Types>"
        ),
        "_rels/.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_RELS}"><Relationship Id="rId1" '
            f'Type="{_OFFICE_RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{_MAIN}" xmlns:r="{_OFFICE_RELS}">'
            '<sheets><sheet name="Export" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_RELS}">'
            f'<Relationship Id="rId1" Type="{_OFFICE_RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
            + (f'<Relationship Id="rId2" Type="{_OFFICE_RELS}/sharedStrings" Target="sharedStrings.xml"/>'
               if shared_string_bytes else "")
            + "</Relationships>"
        ),
        "xl/worksheets/sheet1.xml": sheet,
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED if method is None else method) as book:
        for name, text in parts.items():
            book.writestr(name, text)
        if shared_string_bytes:
            with book.open("xl/sharedStrings.xml", "w", force_zip64=shared_string_bytes > 1 << 30) as part:
                part.write(f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{_MAIN}" count="1" uniqueCount="1"><si><t>'.encode())
                chunk, left = b"A" * (1 << 20), shared_string_bytes
                while left > 0:
                    part.write(chunk[:left])
                    left -= len(chunk)
                part.write(b"</t></si></sst>")
    return path


def declare_size(path: Path, member: str, size: int) -> Path:
    """The zip's member said to expand to `size` bytes, in its local header and in the central
    directory, its content unchanged (a zip that lies about its sizes)."""
    import struct
    import zipfile

    with zipfile.ZipFile(path) as book:
        info = book.getinfo(member)
    data = bytearray(path.read_bytes())
    struct.pack_into("<L", data, info.header_offset + 22, size)  # the local header's uncompressed size
    name = member.encode()
    at = struct.unpack_from("<L", data, data.rfind(b"PK\x05\x06") + 16)[0]  # where the directory starts
    while (at := data.find(b"PK\x01\x02", at)) >= 0:
        length = struct.unpack_from("<H", data, at + 28)[0]
        if data[at + 46: at + 46 + length] == name:
            struct.pack_into("<L", data, at + 24, size)  # the central directory's uncompressed size
            break
        at += 4
    path.write_bytes(bytes(data))
    return path
