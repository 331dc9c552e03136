"""Cutting a template file into parts of about `part_bytes` each, at record boundaries.

A file larger than memory is checked part by part, and parts can go to different workers. A part
is read as the header record followed by the part's records, so that the loader reads it as a
small file of its own; its rows are then numbered on from the records of the parts before it.

A record ends at a line break outside quotes, i.e. one with an even number of quotes before it in
the file. The cutter scans the file once for quotes (bytes.count, C speed) and looks at a few
lines around each cut only. A file whose quotes never pair up again (a quote left open) is not
cut after that point: its remainder is one part, read the way the whole-file loader reads it.
"""

from __future__ import annotations

import mmap
from dataclasses import dataclass
from pathlib import Path

from enrollment_migrate import settings

# A part's check takes about ten times its bytes in memory. Cutting a file into PARTS_PER_FILE
# parts keeps that near the file's own size; parts of MIN_PART_BYTES or more keep the fixed cost
# of a part (a few small files, a query plan) small beside its work, and parts of at most
# MAX_PART_BYTES bound memory for files of any size. ENROLLMENT_MIGRATE_PART_MB sets one size.
PARTS_PER_FILE = 8
MIN_PART_BYTES = 8 << 20
MAX_PART_BYTES = 64 << 20
PART_BYTES_VARIABLE = settings.PART_MB.name

_QUOTE, _NEWLINE = b'"', b"\n"


@dataclass(frozen=True)
class FilePart:
    index: int
    start: int  # byte offset of the part's first record
    end: int  # byte offset just after its last record


@dataclass(frozen=True)
class FileCut:
    path: Path
    header_end: int  # byte offset just after the header record
    parts: tuple[FilePart, ...]

    @property
    def size(self) -> int:
        return self.parts[-1].end

    def bytes_of(self, part: FilePart) -> int:
        """The file's bytes a part stands for: its records, and the header with the first."""
        return part.end - (0 if part.index == 0 else part.start)

    def bytes_through(self, part: FilePart) -> tuple[int, int]:
        """The file's bytes up to the end of this part, and of the whole file: the parts are in
        file order, the first beginning with the header."""
        return part.end, self.size


def part_bytes_for(size: int) -> int:
    """The part size for a file of `size` bytes: ENROLLMENT_MIGRATE_PART_MB when set, else an
    eighth of the file, between 8 and 64 MB (a file under 8 MB is one part)."""
    given = settings.PART_MB.value()
    if given is not None:
        return int(given * (1 << 20))
    return min(MAX_PART_BYTES, max(MIN_PART_BYTES, size // PARTS_PER_FILE))


def cut(path: str | Path, part_bytes: int | None = None) -> FileCut:
    """Parts of about `part_bytes` (None: part_bytes_for the file; 0: the whole file as one)."""
    path = Path(path)
    size = path.stat().st_size
    part_bytes = part_bytes_for(size) if part_bytes is None else part_bytes
    if size == 0:
        return FileCut(path, 0, (FilePart(0, 0, 0),))
    with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        header_end, _ = _record_end(data, 0, odd=False, limit=size)
        header_end = size if header_end == -1 else header_end
        bounds = [header_end]
        while part_bytes and size - bounds[-1] > part_bytes:
            # No quote is open at a cut, so the quotes since the last cut tell whether one is
            # open at the next target. They are counted in a block read, not through the map:
            # mapped pages stay resident and would count as the process's memory.
            target = bounds[-1] + part_bytes
            handle.seek(bounds[-1])
            odd = handle.read(part_bytes).count(_QUOTE) % 2 == 1
            end, _ = _record_end(data, target, odd=odd, limit=target + part_bytes)
            if end == -1 or end >= size:
                break
            bounds.append(end)
        bounds.append(size)
    parts = tuple(FilePart(i, start, end) for i, (start, end) in enumerate(zip(bounds, bounds[1:])))
    return FileCut(path, header_end, parts or (FilePart(0, header_end, size),))


def _record_end(data: mmap.mmap, position: int, *, odd: bool, limit: int) -> tuple[int, bool]:
    """The offset after the first line break at or after `position` outside quotes, and whether
    a quote is open there (always False); (-1, odd) when none comes before `limit`.

    `odd` says whether a quote is open at `position`. Each step jumps to the next quote or line
    break, so a line costs two searches, and only lines near a cut are looked at.
    """
    while position < limit:
        if odd:
            quote = data.find(_QUOTE, position)
            if quote == -1:
                return -1, odd
            odd, position = False, quote + 1
            continue
        newline = data.find(_NEWLINE, position)
        end = len(data) if newline == -1 else newline
        quote = data.find(_QUOTE, position, end)
        if quote == -1:
            return (len(data) if newline == -1 else newline + 1), False
        odd, position = True, quote + 1
    return -1, odd


def read_part(cut_file: FileCut, part: FilePart) -> bytes | None:
    """The header record and the part's records, as the loader reads a file; None when the part
    is the whole file (the loader then reads the file itself)."""
    if len(cut_file.parts) == 1:
        return None
    with cut_file.path.open("rb") as handle:
        header = handle.read(cut_file.header_end)
        handle.seek(part.start)
        return header + handle.read(part.end - part.start)
