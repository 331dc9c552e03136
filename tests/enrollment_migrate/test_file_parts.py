"""Cutting a template file into parts: the parts follow each other with no gap, cover the file
from the end of its header to its last byte, and each ends just after a line break outside quotes,
so that no record (a quoted field with line breaks in it included) is ever cut apart. A part is
read as the header followed by exactly its own bytes; a file too small, a part size of 0, an
empty file and a quote left open give one part for what cannot be cut."""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from enrollment_migrate import file_parts

MB = 1 << 20


def write_records(path: Path, records: list[list[str]], *, terminator: str = "\n") -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator=terminator).writerows(records)
    return path


def record_bytes(record: list[str]) -> int:
    line = io.StringIO(newline="")
    csv.writer(line, lineterminator="\n").writerow(record)
    return len(line.getvalue().encode("utf-8"))


def parse(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def awkward_records(count: int, seed: int = 7) -> list[list[str]]:
    """A header and short records (under 50 bytes each) whose quoted fields hold line breaks,
    doubled quotes and commas, so that many byte offsets fall inside quotes."""
    rng = random.Random(seed)
    pieces = ["a", "bc", "é", ",", '"', "\n", "\r\n", " ", "x y"]
    records = [["Login ID", "Course Name", "Note"]]
    for i in range(count):
        note = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 6)))
        records.append([f"u{i}", rng.choice(["Safety", 'The "Big" one', "a,b", "two\nlines"]), note])
    return records


@pytest.fixture
def awkward_file(tmp_path: Path) -> Path:
    return write_records(tmp_path / "awkward.csv", awkward_records(300))


def assert_cut_at_record_ends(cut: file_parts.FileCut, data: bytes) -> None:
    """Contiguous, covering header_end..end, every part ending after a line break outside quotes."""
    assert [part.index for part in cut.parts] == list(range(len(cut.parts)))
    assert cut.parts[0].start == cut.header_end
    assert cut.parts[-1].end == len(data)
    assert all(a.end == b.start for a, b in zip(cut.parts, cut.parts[1:]))
    if len(cut.parts) > 1:
        assert all(part.start < part.end for part in cut.parts)
    for part in cut.parts[:-1]:  # the last part ends at the end of the file, line break or not
        assert data[part.end - 1:part.end] == b"\n"
        assert data[:part.end].count(b'"') % 2 == 0, f"part {part.index} ends inside quotes"


# -- the part size ------------------------------------------------------------------------------


def test_a_part_is_an_eighth_of_the_file_between_8_and_64_mb(monkeypatch):
    monkeypatch.delenv(file_parts.PART_BYTES_VARIABLE, raising=False)
    assert file_parts.part_bytes_for(0) == 8 * MB
    assert file_parts.part_bytes_for(64 * MB) == 8 * MB  # an eighth is exactly the lower bound
    assert file_parts.part_bytes_for(64 * MB + 8) == 8 * MB + 1
    assert file_parts.part_bytes_for(100 * MB) == 100 * MB // 8
    assert file_parts.part_bytes_for(512 * MB) == 64 * MB  # an eighth is exactly the upper bound
    assert file_parts.part_bytes_for(10_000 * MB) == 64 * MB


def test_enrollment_migrate_part_mb_sets_the_part_size_for_any_file(monkeypatch):
    monkeypatch.setenv(file_parts.PART_BYTES_VARIABLE, "2")
    assert file_parts.part_bytes_for(1) == 2 * MB
    assert file_parts.part_bytes_for(10_000 * MB) == 2 * MB
    monkeypatch.setenv(file_parts.PART_BYTES_VARIABLE, "0")
    assert file_parts.part_bytes_for(10_000 * MB) == 0  # one part, however large the file
    monkeypatch.setenv(file_parts.PART_BYTES_VARIABLE, "")
    assert file_parts.part_bytes_for(100 * MB) == 100 * MB // 8  # set but empty: the default


def test_cut_without_a_part_size_takes_the_one_the_environment_gives(monkeypatch, awkward_file):
    monkeypatch.setenv(file_parts.PART_BYTES_VARIABLE, str(100 / MB))  # 100 bytes
    cut = file_parts.cut(awkward_file)
    assert len(cut.parts) > 20
    assert_cut_at_record_ends(cut, awkward_file.read_bytes())
    monkeypatch.delenv(file_parts.PART_BYTES_VARIABLE)
    assert len(file_parts.cut(awkward_file).parts) == 1  # far under 8 MB


# -- cutting ------------------------------------------------------------------------------------


# Parts no smaller than the longest record (38 bytes): the cutter looks for a record's end at most
# a part's length past its target, and stops cutting the file when it finds none (see
# test_a_quote_left_open_stops_the_cutting_and_the_rest_is_one_part).
@pytest.mark.parametrize("part_bytes", [40, 50, 64, 333])
def test_parts_follow_each_other_and_end_after_a_line_break_outside_quotes(awkward_file, part_bytes):
    data = awkward_file.read_bytes()
    cut = file_parts.cut(awkward_file, part_bytes)
    assert cut.path == awkward_file
    assert cut.header_end == len(b"Login ID,Course Name,Note\n")
    assert_cut_at_record_ends(cut, data)
    # about part_bytes each: a part goes on past its target to the end of that record, no further
    longest = max(record_bytes(record) for record in awkward_records(300))
    assert longest <= part_bytes
    assert all(part.end - part.start <= part_bytes + longest for part in cut.parts)
    records = []
    for part in cut.parts:
        records += parse(data[part.start:part.end])
    assert records == awkward_records(300)[1:]  # every record whole, in order, once


def test_a_cut_that_would_fall_inside_a_quoted_line_break_moves_past_the_record(tmp_path):
    # Every record holds a line break inside quotes; a part of 50 bytes aims at the middle of
    # nearly every one of them.
    records = [["h1", "h2"]] + [[f"r{i}", "first line\n" + "x" * (i % 7) + "second line"] for i in range(100)]
    path = write_records(tmp_path / "multiline.csv", records)
    data = path.read_bytes()
    cut = file_parts.cut(path, 50)
    assert len(cut.parts) > 30
    assert_cut_at_record_ends(cut, data)
    assert all(data[part.start:].startswith(b"r") for part in cut.parts)  # never x... or second line


def test_doubled_quotes_inside_a_field_do_not_unbalance_the_cutting(tmp_path):
    records = [["h"]] + [[f'say "{i}"\n' + "then " * (i % 4) + '"go"'] for i in range(80)]
    path = write_records(tmp_path / "doubled.csv", records)
    data = path.read_bytes()
    cut = file_parts.cut(path, 50)
    assert len(cut.parts) > 20
    assert_cut_at_record_ends(cut, data)
    assert all(data[part.start:].startswith(b'"say ""') for part in cut.parts)


def test_windows_line_breaks_are_cut_after_the_line_feed(tmp_path):
    path = write_records(tmp_path / "crlf.csv", awkward_records(100), terminator="\r\n")
    data = path.read_bytes()
    cut = file_parts.cut(path, 50)
    assert len(cut.parts) > 10
    assert_cut_at_record_ends(cut, data)
    assert all(data[part.end - 2:part.end] == b"\r\n" for part in cut.parts)


def test_a_last_record_without_a_line_break_ends_the_last_part(tmp_path):
    path = tmp_path / "unterminated.csv"
    path.write_bytes(b"h1,h2\n" + b"".join(b"row%03d,x\n" % i for i in range(40)) + b'last,"no\nbreak"')
    data = path.read_bytes()
    cut = file_parts.cut(path, 30)
    assert_cut_at_record_ends(cut, data)
    assert data[cut.parts[-1].start:].endswith(b'last,"no\nbreak"')


def test_a_header_with_a_quoted_line_break_ends_after_its_closing_quote(tmp_path):
    path = tmp_path / "header.csv"
    path.write_bytes(b'"Login\nID",Course\n' + b"a,b\n" * 30)
    cut = file_parts.cut(path, 10)
    assert cut.header_end == len(b'"Login\nID",Course\n')
    assert_cut_at_record_ends(cut, path.read_bytes())


def test_part_size_zero_gives_one_part_from_the_header_to_the_end(awkward_file):
    cut = file_parts.cut(awkward_file, 0)
    assert cut.parts == (file_parts.FilePart(0, cut.header_end, awkward_file.stat().st_size),)


def test_a_file_no_larger_than_a_part_beyond_its_header_is_one_part(awkward_file):
    size = awkward_file.stat().st_size
    header_end = file_parts.cut(awkward_file, 0).header_end
    assert len(file_parts.cut(awkward_file, size - header_end).parts) == 1
    assert len(file_parts.cut(awkward_file, (size - header_end) // 2).parts) == 2


def test_an_empty_file_is_one_empty_part(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert file_parts.cut(empty, 50) == file_parts.FileCut(empty, 0, (file_parts.FilePart(0, 0, 0),))


def test_a_header_only_file_is_one_empty_part_after_the_header(tmp_path):
    header = tmp_path / "header.csv"
    header.write_bytes(b"Login ID,Course Name\n")
    assert file_parts.cut(header, 5).parts == (file_parts.FilePart(0, 21, 21),)


def test_a_quote_left_open_stops_the_cutting_and_the_rest_is_one_part(tmp_path):
    before = b"".join(b"before%03d,x\n" % i for i in range(40))
    after = b"".join(b"after%03d,y\n" % i for i in range(200))
    path = tmp_path / "open.csv"
    path.write_bytes(b"h1,h2\n" + before + b'bad,"open\n' + after)
    data = path.read_bytes()
    opened = data.index(b'"open')
    cut = file_parts.cut(path, 50)
    assert len(cut.parts) > 5  # cut up to the open quote
    assert all(part.end <= opened for part in cut.parts[:-1])
    last = cut.parts[-1]
    assert last.start <= opened and last.end == len(data)  # everything after it in one part
    assert data[last.start:last.end].endswith(after)
    assert all(a.end == b.start for a, b in zip(cut.parts, cut.parts[1:]))


# -- reading a part -----------------------------------------------------------------------------


def test_a_file_in_one_part_is_read_by_the_loader_itself(awkward_file):
    cut = file_parts.cut(awkward_file, 0)
    assert file_parts.read_part(cut, cut.parts[0]) is None


def test_a_part_is_read_as_the_header_followed_by_exactly_its_bytes(awkward_file):
    data = awkward_file.read_bytes()
    cut = file_parts.cut(awkward_file, 50)
    header = data[:cut.header_end]
    assert len(cut.parts) > 1
    for part in cut.parts:
        read = file_parts.read_part(cut, part)
        assert read == header + data[part.start:part.end]
        assert parse(read)[0] == ["Login ID", "Course Name", "Note"]  # a small file of its own


def test_the_parts_read_back_to_back_reproduce_the_file_after_its_header(awkward_file):
    data = awkward_file.read_bytes()
    cut = file_parts.cut(awkward_file, 50)
    records = b"".join(file_parts.read_part(cut, part)[cut.header_end:] for part in cut.parts)
    assert records == data[cut.header_end:]


# Fields of quotes, commas, line breaks (never a lone CR: csv.writer would leave it unquoted, and
# a lone CR is a file the loader rejects, not_csv_line_endings).
FIELDS = st.lists(st.sampled_from(["a", "b", " ", ",", '"', "\n", "\r\n", "é"]), max_size=10).map("".join)


@given(
    records=st.lists(
        st.lists(FIELDS, min_size=1, max_size=4),
        min_size=1, max_size=60,
    ),
    part_bytes=st.integers(min_value=1, max_value=120),
)
def test_any_csv_is_cut_between_records_and_read_back_whole(tmp_path, records, part_bytes):
    path = write_records(tmp_path / "any.csv", records)
    data = path.read_bytes()
    cut = file_parts.cut(path, part_bytes)
    assert_cut_at_record_ends(cut, data)
    assert data[:cut.header_end].endswith(b"\n") and data[:cut.header_end].count(b'"') % 2 == 0
    rows = []
    for part in cut.parts:
        read = file_parts.read_part(cut, part)
        read = data if read is None else read
        assert read[:cut.header_end] == data[:cut.header_end]
        rows += parse(read[cut.header_end:])
    assert rows == parse(data)[1:]
