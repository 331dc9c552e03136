"""The one driver: a file checked in many parts gives exactly what it gives as one part
(check_file): the same findings at the same rows, the same migrated rows, counts and verdict,
wherever the cuts fall."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import HEADERS, IMPORT_DATE, row
from mixed_file import mixed_rows, write
from enrollment_migrate import engine, file_parts
from enrollment_migrate.engine import drivers
from enrollment_migrate.engine import RunOptions, check_file
from enrollment_migrate.template_file import UnreadableFile


@pytest.fixture(scope="module")
def mixed_file(tmp_path_factory) -> Path:
    return write(tmp_path_factory.mktemp("parts") / "mixed.csv", mixed_rows(400))


@pytest.fixture
def store_with_history(portal_db):
    """The fixture portal holding enrollments some rows repeat (existing_enrollment)."""
    portal_db.execute(
        "insert into enrollments (user_id, course_id, status, created_at, started_at, completed_at) "
        "select u.user_id, c.course_id, 'Completed', timestamp '2024-06-01', timestamp '2024-06-01', "
        "timestamp '2024-06-01 11:00' from users u, courses c "
        "where u.email in ('ann@example.com', 'dora@example.com') and c.name in ('Privacy', 'Safety')"
    )
    return portal_db


def in_parts(path: Path, con, part_bytes: int, work: Path, **options) -> engine.CheckResult:
    cut = file_parts.cut(path, part_bytes)
    return drivers.check_in_parts(cut, con, RunOptions(IMPORT_DATE, **options), work)


def assert_same(whole: engine.CheckResult, parts: engine.CheckResult) -> None:
    assert parts.findings.sort(pl.all()).equals(whole.findings.sort(pl.all()))
    migrated = engine.migrated_frame(parts.migrated).collect().sort("row")
    assert migrated.equals(whole.migrated.sort("row"))
    assert (parts.state, parts.counts, parts.by_year, parts.portal_fingerprint) == (
        whole.state, whole.counts, whole.by_year, whole.portal_fingerprint,
    )


def test_the_mixed_file_fires_the_rules_across_rows(store_with_history, mixed_file):
    """The file the equality below is shown on is worth it: rules across rows fire in it."""
    rules = set(check_file(mixed_file, store_with_history, RunOptions(IMPORT_DATE)).findings["rule"])
    assert {"duplicate_row", "existing_enrollment", "recertification_multiple_completions",
            "license_shortfall", "ilt_capacity_shortfall", "malformed_row", "unknown_user",
            "bad_date_format", "invalid_date", "date_in_future"} <= rules


@settings(max_examples=12)
@given(part_bytes=st.integers(min_value=1500, max_value=9000), skip_invalid_rows=st.booleans())
def test_parts_give_what_the_whole_file_gives(store_with_history, mixed_file, tmp_path_factory,
                                              part_bytes, skip_invalid_rows):
    whole = check_file(mixed_file, store_with_history, RunOptions(IMPORT_DATE, skip_invalid_rows=skip_invalid_rows))
    parts = in_parts(mixed_file, store_with_history, part_bytes, tmp_path_factory.mktemp("work"),
                     skip_invalid_rows=skip_invalid_rows)
    assert len(file_parts.cut(mixed_file, part_bytes).parts) > 1
    assert_same(whole, parts)


def test_skip_existing_in_parts(store_with_history, mixed_file, tmp_path):
    whole = check_file(mixed_file, store_with_history, RunOptions(IMPORT_DATE, skip_existing=True))
    assert_same(whole, in_parts(mixed_file, store_with_history, 500, tmp_path, skip_existing=True))


def test_a_bad_byte_in_a_later_part_is_named_at_its_row_in_the_file(portal_db, tmp_path):
    rows = [list(row().values()) for _ in range(200)]
    path = write(tmp_path / "m.csv", rows)
    data = bytearray(path.read_bytes())
    data[data.rindex(b"Privacy") - 2] = 0xE9  # in the Login ID of the last row (row 201)
    path.write_bytes(bytes(data))
    whole = check_file(path, portal_db, RunOptions(IMPORT_DATE))
    parts = in_parts(path, portal_db, 300, tmp_path / "work")
    assert whole.findings["rule"].to_list() == ["not_utf8"] and whole.findings["row"].to_list() == [201]
    assert_same(whole, parts)


def test_a_header_problem_stops_the_file_once(portal_db, tmp_path):
    path = write(tmp_path / "m.csv", [list(row().values())[:-1] for _ in range(100)])
    path.write_text(path.read_text().replace(",Enrollment Status", ",Extra"), encoding="utf-8")
    whole = check_file(path, portal_db, RunOptions(IMPORT_DATE))
    parts = in_parts(path, portal_db, 200, tmp_path / "work")
    assert "missing_column" in set(whole.findings["rule"])
    assert_same(whole, parts)


def test_check_file_is_one_part_in_a_work_folder_that_goes_when_it_is_done(
    portal_db, mixed_file, tmp_path, monkeypatch
):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    result = check_file(mixed_file, portal_db, RunOptions(IMPORT_DATE))
    assert isinstance(result.migrated, pl.DataFrame) and result.migrated.height > 0
    assert result.migrated["row"].is_sorted()  # one part, one bucket: file order
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["missing.csv", "."])
def test_check_file_names_a_file_it_cannot_open(portal_db, tmp_path, name):
    with pytest.raises(UnreadableFile, match=str(tmp_path)):
        check_file(tmp_path / name, portal_db, RunOptions(IMPORT_DATE))


# -- cutting ------------------------------------------------------------------------------------


def records_of(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


@given(part_bytes=st.integers(min_value=1, max_value=400))
def test_cuts_fall_between_records_and_cover_the_file(mixed_file, part_bytes):
    cut = file_parts.cut(mixed_file, part_bytes)
    data = mixed_file.read_bytes()
    assert cut.parts[0].start == cut.header_end and cut.parts[-1].end == len(data)
    assert all(a.end == b.start for a, b in zip(cut.parts, cut.parts[1:]))
    records = []
    for part in cut.parts:
        text = data[part.start:part.end].decode("utf-8")
        assert text.endswith("\n")
        records += list(csv.reader(text.splitlines(keepends=True)))
    assert records == records_of(mixed_file)[1:]  # no record (quoted line breaks included) cut apart


def test_part_size_zero_or_a_small_file_is_one_part(mixed_file):
    assert len(file_parts.cut(mixed_file, 0).parts) == 1
    assert len(file_parts.cut(mixed_file, 10**9).parts) == 1


def test_a_quote_left_open_ends_the_cutting(tmp_path):
    lines = ["a,b"] + [f"x{i},y" for i in range(50)] + ['bad,"open'] + [f"z{i},w" for i in range(200)]
    path = tmp_path / "open.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    cut = file_parts.cut(path, 40)
    last = cut.parts[-1]
    assert path.read_bytes()[last.start:last.end].count(b'"open') == 1  # the rest is one part
    assert cut.parts[-1].end == path.stat().st_size


def test_an_empty_or_header_only_file_is_one_part(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    header = tmp_path / "header.csv"
    header.write_text(",".join(HEADERS), encoding="utf-8")  # no line break at all
    assert file_parts.cut(empty, 10).parts == (file_parts.FilePart(0, 0, 0),)
    assert file_parts.cut(header, 10).header_end == header.stat().st_size


def test_a_file_is_cut_in_eighths_of_8_to_64_mb_unless_told(monkeypatch):
    monkeypatch.delenv(file_parts.PART_BYTES_VARIABLE, raising=False)
    mb = 1 << 20
    assert file_parts.part_bytes_for(5 * mb) == 8 * mb  # one part: smaller than a part
    assert file_parts.part_bytes_for(200 * mb) == 25 * mb
    assert file_parts.part_bytes_for(9000 * mb) == 64 * mb
    monkeypatch.setenv(file_parts.PART_BYTES_VARIABLE, "0.5")
    assert file_parts.part_bytes_for(9000 * mb) == mb // 2


def test_a_file_is_checked_whole_when_its_working_set_fits_the_budget(tmp_path, monkeypatch):
    from enrollment_migrate import options as run_options

    monkeypatch.delenv("ENROLLMENT_MIGRATE_PART_MB", raising=False)
    file = tmp_path / "m.csv"
    file.write_bytes(b"x" * 1000)  # a working set of 1000 * WORKING_SET_PER_BYTE bytes
    need = 1000 * run_options.WORKING_SET_PER_BYTE
    assert drivers.fits_whole(file, RunOptions(memory_budget=f"{need / 1000:g}KB")) is True
    assert drivers.fits_whole(file, RunOptions(memory_budget=f"{(need - 1) / 1000:g}KB")) is False
    # A part size given asks for parts (0: the whole file), and Dask always takes parts.
    assert drivers.fits_whole(file, RunOptions(part_mb=8)) is False
    assert drivers.fits_whole(file, RunOptions(part_mb=0, memory_budget="1KB")) is True
    assert drivers.fits_whole(file, RunOptions(dask_address="local")) is False
    monkeypatch.setenv("ENROLLMENT_MIGRATE_PART_MB", "16")
    assert drivers.fits_whole(file, RunOptions()) is False
    monkeypatch.delenv("ENROLLMENT_MIGRATE_PART_MB")
    # No budget given: a quarter of the machine's memory.
    monkeypatch.setattr(run_options, "machine_memory", lambda: 4 * need)
    assert drivers.fits_whole(file, RunOptions()) is True
    monkeypatch.setattr(run_options, "machine_memory", lambda: 4 * need - 4)
    assert drivers.fits_whole(file, RunOptions()) is False


def test_the_machine_memory_is_the_smaller_of_ram_and_the_containers_limit():
    from enrollment_migrate.options import machine_memory

    physical = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    assert 0 < machine_memory() <= physical
