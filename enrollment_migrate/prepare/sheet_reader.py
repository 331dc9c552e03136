"""The process that reads a workbook with calamine (through fastexcel), apart from `prepare`'s.

A workbook can make the reader abort rather than raise: a sheet whose cells span A1 to
XFD1048576 asks calamine for 512 GiB, and the failed allocation ends the process (a Rust abort
that no `except` sees). So `sources` runs this module in a child process of the same
interpreter: one JSON request on stdin, one JSON answer on stdout, the sheet written as Arrow IPC
to the file the request names; an abnormal end of the child becomes a refusal naming the file.

It imports nothing of the tool but this module (fastexcel and pyarrow, not polars), so that the
child starts in a tenth of a second.
"""

from __future__ import annotations

import json
import re
import sys

HEADER_SEARCH_ROWS = 50


def header_index(rows: list[list[object]], columns: tuple[str, ...], given: int | None) -> tuple[int, bool]:
    """The 0-based row of the column names, and whether it was found by them: the one given
    (1 first), else the first of the top rows that holds every column the mapping names
    (trimmed, case-insensitive, as columns are matched), else the first row."""
    if given is not None:
        return given - 1, False
    wanted = {name.strip().casefold() for name in columns}
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        held = {str(value).strip().casefold() for value in row if value is not None}
        if wanted and wanted <= held:
            return index, index > 0
    return 0, False


def read(request: dict) -> dict:
    """The sheet the request names written to request["out"]; the answer says which sheet, the
    header row, or what went wrong ("stage": "open" or "read"; "missing": no such sheet)."""
    import fastexcel
    import pyarrow as pa
    import pyarrow.ipc

    # Every value as text (what polars asks for with infer_schema_length=0).
    version = tuple(int(re.match(r"\d*", part).group() or 0) for part in fastexcel.__version__.split(".")[:3])
    text = "string" if version >= (0, 12, 1) else dict.fromkeys(range(16384), "string")
    try:
        reader = fastexcel.read_excel(request["path"])
        sheets = list(reader.sheet_names)
    except Exception as exc:  # noqa: BLE001 - fastexcel raises its own exception types
        return {"stage": "open", "error": str(exc)}
    sheet = request["sheet"] if request["sheet"] is not None else 0
    if (isinstance(sheet, int) and not 0 <= sheet < len(sheets)) or (isinstance(sheet, str) and sheet not in sheets):
        return {"sheets": sheets, "missing": True}
    name = sheets[sheet] if isinstance(sheet, int) else sheet
    try:
        top = reader.load_sheet_eager(name, header_row=None, n_rows=HEADER_SEARCH_ROWS, dtypes=text)
        if top.num_rows == top.num_columns == 0:
            return {"sheets": sheets, "name": name, "stage": "read", "error": "empty Excel sheet"}
        rows = [list(row) for row in zip(*(column.to_pylist() for column in top.columns))]
        header, found = header_index(rows, tuple(request["columns"]), request["header_row"])
        batch = reader.load_sheet_eager(name, header_row=header, dtypes=text)
        with pa.OSFile(request["out"], "wb") as sink, pa.ipc.new_file(sink, batch.schema) as writer:
            writer.write_batch(batch)
    except Exception as exc:  # noqa: BLE001
        return {"sheets": sheets, "name": name, "stage": "read", "error": str(exc)}
    return {"sheets": sheets, "name": name, "header": header, "found": found}


def main() -> None:
    answer = read(json.loads(sys.stdin.readline()))
    sys.stdout.write(json.dumps(answer) + "\n")
    sys.stdout.flush()
