"""Bad input never crashes `prepare`: whatever bytes an export holds, preparing it ends in a
prepared file, a list of decisions to take, or a clear refusal (CannotRun, exit 2)."""

from __future__ import annotations

import csv
import dataclasses
import io

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import REPO
from enrollment_migrate.prepare.mapping import PassMark, load_mapping
from enrollment_migrate.prepare.output import write_template_csv
from enrollment_migrate.prepare.pipeline import prepare
from enrollment_migrate.formulas import FORMULA_START
from enrollment_migrate.runs import CannotRun

# Hypothesis profiles (tests/conftest.py): a few dozen cases in `make test`, thousands in `make fuzz`.
MAPPING = load_mapping(REPO / "data" / "sample" / "legacy_lms.yaml")
HEADER = ["Learner Email", "Course Title", "Enrolled", "Started", "Finished", "Grade %",
          "Completion State", "Access Until"]
VALUES = ["", '"', ",", ";", "\t", "\n", "\x00", "=cmd|' /C calc'!A0", "3/14/2024 7:30 PM", "13/13/2024",
          "45123", "2024-02-30T25:00:00+14:00", "complete", "cancelled", "mystery", "é", "🙂", "\ufeff"]


@st.composite
def exports(draw) -> bytes:
    header = draw(st.lists(st.sampled_from(HEADER + ["Other"]), max_size=9))
    rows = draw(st.lists(st.lists(st.one_of(st.sampled_from(VALUES), st.text(max_size=8)), max_size=10), max_size=6))
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=draw(st.sampled_from([",", ";", "\t", "|"])))
    for values in [header, *rows]:
        writer.writerow(values)
    return buffer.getvalue().encode(draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"])), errors="replace")


# The same mapping reading dates by a pattern and statuses by a pass mark (the newer readers).
PATTERNED = dataclasses.replace(
    MAPPING, dates=dataclasses.replace(MAPPING.dates, format="d-MMM-yyyy h:mm a"),
    pass_mark=PassMark("Grade %", 50),
)


def assert_prepare_survives(tmp_path, data: bytes, name: str = "export.csv", mapping=MAPPING) -> None:
    source = tmp_path / name
    source.write_bytes(data)
    try:
        prepared = prepare(source, mapping)
    except CannotRun:
        return  # a clear refusal, exit 2
    if prepared.ready:
        out = tmp_path / "prepared.csv"
        found = write_template_csv(prepared.rows, out)
        written = pl.read_csv(out, infer_schema=False)
        # Values are kept exactly; every one a spreadsheet would run is counted in the report.
        formula_like = sum(
            int(written[column].str.contains(FORMULA_START).fill_null(False).sum()) for column in written.columns
        )
        assert found["count"] == formula_like
    else:
        assert prepared.report.decisions  # says what to decide


@given(data=st.binary(max_size=2000), name=st.sampled_from(["export.csv", "export.xls", "export.ods", "export.xlsx"]))
def test_random_bytes_never_crash_prepare(tmp_path, data, name):
    assert_prepare_survives(tmp_path, data, name)


@given(data=exports(), mapping=st.sampled_from([MAPPING, PATTERNED]),
       titles=st.lists(st.sampled_from(["Completions Report", "Generated,,2024", ",,,", ""]), max_size=3))
def test_damaged_exports_never_crash_prepare(tmp_path, data, mapping, titles):
    """With title rows above the header, sometimes, and the patterned mapping."""
    title = "".join(f"{line}\n" for line in titles).encode("utf-8")
    assert_prepare_survives(tmp_path, title + data, mapping=mapping)


@given(rows=st.lists(st.lists(st.one_of(st.sampled_from(VALUES[:-1]), st.text(max_size=8)), max_size=8), max_size=6),
       header=st.lists(st.sampled_from(HEADER + ["Other"]), max_size=9), kind=st.sampled_from(["xls", "ods"]))
def test_damaged_workbooks_never_crash_prepare(tmp_path, rows, header, kind):
    path = tmp_path / f"export.{kind}"
    cells = [header, *rows]
    if kind == "xls":
        xlwt = pytest.importorskip("xlwt")
        book = xlwt.Workbook()
        sheet = book.add_sheet("Export")
        for r, values in enumerate(cells):
            for c, value in enumerate(values):
                sheet.write(r, c, value.replace("\x00", "")[:255])
        book.save(str(path))
    else:
        from xml.sax.saxutils import escape

        from workbooks import ods

        def safe(value: str) -> str:  # XML 1.0 has no place for control characters
            return escape("".join(ch for ch in value if ch in "\t\n\r" or ord(ch) >= 32))

        ods(path, [tuple(safe(v) for v in values) for values in cells])
    assert_prepare_survives(tmp_path, path.read_bytes(), path.name)
