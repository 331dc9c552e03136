"""Is an installed package compiled? Which .py files have no up-to-date bytecode beside them.

Python reads `__pycache__/<name>.cpython-311.pyc` instead of compiling `<name>.py` when the
bytecode's header matches the source: the interpreter's magic number, then either the source's
modification time and size (the usual, timestamp-based bytecode) or its hash (hash-based
bytecode, `py_compile --invalidation-mode`). Under PYTHONDONTWRITEBYTECODE=1 a module whose
bytecode is missing or stale is compiled from source by every process that imports it, and the
result thrown away: the cost issue 22 found on an install nobody had compiled.

Used by tests/test_install.py (the venv's Prefect, Polars and DuckDB are compiled) and by
bench/startup.py (what is not compiled when the start-up figures are taken).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable, Iterator
from pathlib import Path

_FLAG_HASH_BASED = 0b01
_FLAG_CHECK_SOURCE = 0b10


def up_to_date(source: Path) -> bool:
    """Whether `source` has bytecode that this interpreter would use instead of compiling it."""
    cached = Path(importlib.util.cache_from_source(str(source)))
    try:
        with cached.open("rb") as handle:
            header = handle.read(16)
    except OSError:
        return False
    if len(header) < 16 or header[:4] != importlib.util.MAGIC_NUMBER:
        return False
    flags = int.from_bytes(header[4:8], "little")
    if flags & _FLAG_HASH_BASED:
        if not flags & _FLAG_CHECK_SOURCE:
            return True  # unchecked hash-based bytecode is always used
        return header[8:16] == importlib.util.source_hash(source.read_bytes())
    stat = source.stat()
    return (int.from_bytes(header[8:12], "little") == int(stat.st_mtime) & 0xFFFFFFFF
            and int.from_bytes(header[12:16], "little") == stat.st_size & 0xFFFFFFFF)


def compilable(source: Path) -> bool:
    """False for a file this Python cannot compile at all (a module for a later Python, say
    `whenever/_typing_312.py`), which no install can have bytecode for and no import reads."""
    try:
        compile(source.read_bytes(), str(source), "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    return True


def sources(folder: Path) -> Iterator[Path]:
    """The .py files under `folder`, none inside a __pycache__."""
    for path in sorted(folder.rglob("*.py")):
        if "__pycache__" not in path.parts:
            yield path


def stale(folders: Iterable[Path]) -> list[Path]:
    """The .py files under `folders` without up-to-date bytecode (those that cannot be compiled
    left out)."""
    return [path for folder in folders for path in sources(folder)
            if not up_to_date(path) and compilable(path)]


def package_folder(name: str) -> Path:
    """Where an installed package lives, found without importing it."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise LookupError(f"{name} is not an installed package")
    return Path(next(iter(spec.submodule_search_locations)))


def snapshot(folders: Iterable[Path]) -> dict[Path, tuple[int, int]]:
    """Every bytecode file under `folders` with its modification time and size: compared before
    and after a step, what the step wrote."""
    found = {}
    for folder in folders:
        for path in folder.rglob("__pycache__/*.pyc"):
            try:
                stat = path.stat()
            except OSError:
                continue
            found[path] = (stat.st_mtime_ns, stat.st_size)
    return found


def written(before: dict[Path, tuple[int, int]], after: dict[Path, tuple[int, int]]) -> list[Path]:
    """Bytecode files new or rewritten between two snapshots."""
    return sorted(path for path, seen in after.items() if before.get(path) != seen)
