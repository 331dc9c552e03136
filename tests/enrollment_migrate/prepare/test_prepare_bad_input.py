"""Bad input never crashes `prepare`: whatever bytes an export holds, preparing it ends in a
prepared file, a list of decisions to take, or a clear refusal (CannotRun, exit 2)."""

from __future__ import annotations

import csv
import io

from hypothesis import given
from hypothesis import strategies as st

from conftest import REPO
from enrollment_migrate.prepare.mapping import load_mapping
from enrollment_migrate.prepare.output import write_template_csv
from enrollment_migrate.prepare.pipeline import prepare
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


def assert_prepare_survives(tmp_path, data: bytes) -> None:
    source = tmp_path / "export.csv"
    source.write_bytes(data)
    try:
        prepared = prepare(source, MAPPING)
    except CannotRun:
        return  # a clear refusal, exit 2
    if prepared.ready:
        out = tmp_path / "prepared.csv"
        write_template_csv(prepared.rows, out)
        text = out.read_text(encoding="utf-8")
        assert "\n=cmd" not in text and ",=cmd" not in text  # no cell a spreadsheet would run
    else:
        assert prepared.report.decisions  # says what to decide


@given(data=st.binary(max_size=2000))
def test_random_bytes_never_crash_prepare(tmp_path, data):
    assert_prepare_survives(tmp_path, data)


@given(data=exports())
def test_damaged_exports_never_crash_prepare(tmp_path, data):
    assert_prepare_survives(tmp_path, data)
