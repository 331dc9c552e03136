"""Bad input never crashes the tool: whatever bytes a file holds, validation ends in findings (or
a clear error for an unreadable file), and the store is unchanged.

`make test` tries a hundred or so generated files; `make fuzz` runs the same properties with the
`fuzz` Hypothesis profile of tests/conftest.py (thousands of cases) and prints how many it tried.
"""

from __future__ import annotations

import csv
import io

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from conftest import HEADERS, IMPORT_DATE
from enrollment_migrate import file_parts
from enrollment_migrate.engine import drivers
from enrollment_migrate.apply import fingerprint
from enrollment_migrate.engine import RunOptions, check_file
from schemas.findings import Findings


ALL_HEADERS = [*HEADERS, "Enrollment Access Expires Date"]
NASTY = ['"', '""', ",", "\n", "\r\n", "\r", "\x00", " ", "\t", "=1+1", "é", "🙂", "\ufeff", "1/1/2020",
         "31/2/2023", "Completed", "Passed", "ann@example.com", "Safety", "-5", "1e3"]

field = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=12),
    st.lists(st.sampled_from(NASTY), max_size=4).map("".join),
)
header = st.lists(
    st.one_of(st.sampled_from(ALL_HEADERS), st.sampled_from([h.upper() for h in HEADERS]), field),
    min_size=0, max_size=10,
)
encodings = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"])


@st.composite
def template_like_files(draw) -> bytes:
    """Files shaped like templates, broken in every way a spreadsheet or a script breaks them."""
    names = draw(header)
    rows = draw(st.lists(st.lists(field, max_size=len(names) + 2), max_size=8))
    buffer = io.StringIO()
    quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONE]))
    ending = draw(st.sampled_from(["\n", "\r\n"]))
    writer = csv.writer(buffer, quoting=quoting, escapechar="\\", lineterminator=ending)
    careful = csv.writer(buffer, lineterminator=ending)  # for what QUOTE_NONE cannot write
    for values in [names, *rows]:
        try:
            writer.writerow(values)
        except csv.Error:
            careful.writerow(values)
    text = buffer.getvalue()
    if draw(st.booleans()):  # raw damage: a quote, a line break or a NUL somewhere
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(['"', "\n", "\x00", ",", ""])) + text[at:]
    return text.encode(draw(encodings), errors="replace")


def assert_validation_survives(con, tmp_path, data: bytes) -> None:
    path = tmp_path / "fuzzed.csv"
    path.write_bytes(data)
    before = fingerprint(con)
    result = check_file(path, con, RunOptions(IMPORT_DATE))
    Findings.validate(result.findings)
    assert result.state in ("valid", "invalid")
    counts = result.counts
    rows_with_errors = result.findings.filter(
        pl.col("row").is_not_null() & pl.col("severity").is_in(["fatal", "error"])
    )["row"].n_unique()
    if result.findings.filter(pl.col("rule").is_in(["not_utf8", "empty_file", "missing_column", "duplicate_column"])).height == 0:
        assert counts.rows == counts.live + counts.archived + counts.skipped + rows_with_errors
    assert fingerprint(con) == before  # validating changes nothing


@given(data=st.binary(max_size=3000))
def test_random_bytes_end_in_findings(portal_db, tmp_path, data):
    assert_validation_survives(portal_db, tmp_path, data)


@given(data=template_like_files())
def test_damaged_template_files_end_in_findings(portal_db, tmp_path, data):
    assert_validation_survives(portal_db, tmp_path, data)


def test_extreme_shapes_end_in_findings(portal_db, tmp_path):
    header = ",".join(ALL_HEADERS)
    ann = "ann@example.com,Privacy,,,1/6/2024,,Completed,"
    cases = {
        "only a header": header + "\n",
        "only blank lines": "\n\n\n",
        "a 1 MB field": header + "\n" + ann.replace("Privacy", "P" * 1_000_000) + "\n",
        "3,000 columns": header + "," + ",".join(f"extra{i}" for i in range(3000)) + "\n" + ann + ",x" * 3000 + "\n",
        "blank lines between rows": header + "\n\n" + ann + "\n\n\n" + ann + "\n",
        "an unbalanced quote": header + '\n"' + ann + "\n" + ann + "\n",
        "NUL bytes late in the file": header + "\n" + ann + "\n" + "\x00" * 70_000 + "\n",
    }
    for name, text in cases.items():
        assert_validation_survives(portal_db, tmp_path, text.encode("utf-8")), name


@given(data=template_like_files(), part_bytes=st.integers(min_value=1, max_value=200))
def test_damaged_files_checked_in_parts_end_in_findings(portal_db, tmp_path_factory, data, part_bytes):
    path = tmp_path_factory.mktemp("parts") / "fuzzed.csv"
    path.write_bytes(data)
    result = drivers.check_in_parts(
        file_parts.cut(path, part_bytes), portal_db, RunOptions(IMPORT_DATE), tmp_path_factory.mktemp("work")
    )
    Findings.validate(result.findings)
    assert result.state in ("valid", "invalid")


# Fields a spreadsheet writes and reads back the same (RFC 4180 quoting, UTF-8, no NUL).
clean_field = st.one_of(st.sampled_from([v for v in NASTY if v not in ("\x00", "\r", "\r\n")]),
                        st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=10))


@given(rows=st.lists(st.lists(clean_field, min_size=5, max_size=9), min_size=1, max_size=12),
       part_bytes=st.integers(min_value=1, max_value=120))
def test_parts_of_any_well_quoted_file_find_what_the_whole_file_finds(portal_db, tmp_path_factory, rows, part_bytes):
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([ALL_HEADERS, *rows])
    path = tmp_path_factory.mktemp("parts") / "clean.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    whole = check_file(path, portal_db, RunOptions(IMPORT_DATE))
    parts = drivers.check_in_parts(
        file_parts.cut(path, part_bytes), portal_db, RunOptions(IMPORT_DATE), tmp_path_factory.mktemp("work")
    )
    assert parts.findings.sort(pl.all()).equals(whole.findings.sort(pl.all()))
    assert (parts.state, parts.counts) == (whole.state, whole.counts)
