"""What each path a command is given must be, checked before the command opens or creates
anything: a refused path is one line naming it (exit status 2), and nothing is left beside it.

Each path parameter of the command line declares its `Role` (enrollment_migrate.cli); `check`
holds a path to its role, and `not_an_input` refuses an output that is one of the command's own
inputs (the same file by another name included: a symlink, a hard link). A device or a FIFO is
never a file here: reading one would hang or never end.

An output file that is a symlink is replaced, never written through (the writers rename a new
file over the name), so a symlink, even a dangling one, is a fine place for an output.
"""

from __future__ import annotations

import enum
import os
import stat
from collections.abc import Iterable
from pathlib import Path

from enrollment_migrate.errors import BadPath

# The first bytes of every DuckDB database file hold this word at this offset.
_DUCKDB_MAGIC, _DUCKDB_MAGIC_AT = b"DUCK", 8


class Role(enum.Enum):
    INPUT_FILE = "a file to read"
    INPUT_SOURCE = "a file or a folder to read"
    OUTPUT_FILE = "a file to write"
    OUTPUT_FOLDER = "a folder to write into"
    WAREHOUSE = "the warehouse (a DuckDB file)"
    WAREHOUSE_READ = "a warehouse (a DuckDB file) to read"


def _what(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (a pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a file"


def _stat(path: Path) -> os.stat_result | None:
    """The path's own status, following symlinks; None if nothing is there."""
    try:
        return path.stat()
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        raise BadPath(f"{path}: a part of the path is a file, not a folder.") from None
    except OSError as exc:
        raise BadPath(f"{path}: {exc.strerror}.") from None


def _refuse(path: Path, why: str) -> BadPath:
    return BadPath(f"{path}: {why}")


def check(path: Path, role: Role, *, created_parents: bool = False) -> Path:
    """`path` if it can serve as `role`; else BadPath naming it. `created_parents`: a missing
    parent folder will be made (the default warehouse and reports under data/)."""
    found = _stat(path)
    if role is Role.WAREHOUSE_READ and found is None and not path.is_symlink():
        # The catalog is published after the first change; the tool's state is the record.
        state = path.with_name(path.name + ".store") / "state.duckdb"
        if _stat(state) is not None:
            return check(state, Role.WAREHOUSE_READ)
    if role in (Role.INPUT_FILE, Role.INPUT_SOURCE, Role.WAREHOUSE_READ):
        if found is None:
            dangling = " (a symlink to nothing)" if path.is_symlink() else ""
            raise _refuse(path, f"no such file{dangling}." if role is not Role.WAREHOUSE_READ
                          else f"no warehouse here{dangling}: `portal load` makes one.")
        wanted_folder = role is Role.INPUT_SOURCE and stat.S_ISDIR(found.st_mode)
        if not (stat.S_ISREG(found.st_mode) or wanted_folder):
            raise _refuse(path, f"is {_what(found.st_mode)}, where {role.value} is wanted.")
        if not os.access(path, os.R_OK):
            raise _refuse(path, "cannot be read (permission denied).")
        if role is Role.WAREHOUSE_READ:
            _refuse_unless_duckdb(path)
        return path
    if role is Role.OUTPUT_FOLDER:
        if found is not None:
            if not stat.S_ISDIR(found.st_mode):
                raise _refuse(path, f"is {_what(found.st_mode)}, where {role.value} is wanted.")
            _writable(path, path)
            return path
        if path.is_symlink():
            raise _refuse(path, "is a symlink to nothing, where a folder to write into is wanted.")
        _parent_writable(path, created_parents)
        return path
    # An output file, or the warehouse: a regular file or nothing yet (a symlink is replaced).
    if found is not None and not stat.S_ISREG(found.st_mode) and not path.is_symlink():
        raise _refuse(path, f"is {_what(found.st_mode)}, where {role.value} is wanted.")
    if role is Role.WAREHOUSE:
        if found is not None and stat.S_ISREG(found.st_mode):
            _refuse_unless_duckdb(path)
        elif path.is_symlink():
            raise _refuse(path, f"is a symlink to {'nothing' if found is None else _what(found.st_mode)}, "
                          f"where {role.value} is wanted.")
        store = path.with_name(path.name + ".store")
        store_found = _stat(store)
        if store_found is not None and not stat.S_ISDIR(store_found.st_mode):
            raise _refuse(store, f"is {_what(store_found.st_mode)}, where the warehouse's own folder is wanted.")
        if store_found is not None:
            _writable(store, path)
    _parent_writable(path, created_parents)
    return path


def _refuse_unless_duckdb(path: Path) -> None:
    try:
        with path.open("rb") as handle:
            head = handle.read(_DUCKDB_MAGIC_AT + len(_DUCKDB_MAGIC))
    except OSError as exc:
        raise _refuse(path, f"{exc.strerror}.") from None
    if head[_DUCKDB_MAGIC_AT:] != _DUCKDB_MAGIC:
        raise _refuse(path, "is not a DuckDB database; give --db a warehouse file, or a new name for one.")


def _parent_writable(path: Path, created_parents: bool) -> None:
    parent = path.parent
    found = _stat(parent)
    if found is None:
        if created_parents:
            return
        raise _refuse(path, f"its folder {parent} does not exist.")
    if not stat.S_ISDIR(found.st_mode):
        raise _refuse(path, f"its parent {parent} is {_what(found.st_mode)}, not a folder.")
    _writable(parent, path)


def _writable(folder: Path, named: Path) -> None:
    # os.access answers for this process, read-only mounts included (EROFS), even as root.
    if not os.access(folder, os.W_OK | os.X_OK):
        where = "" if folder == named else f" (in {folder})"
        raise _refuse(named, f"cannot be written{where}: the location is read-only or not ours.")


def not_an_input(output: Path, inputs: Iterable[Path]) -> None:
    """Refuse an output that is one of the inputs: by name once resolved, or as the same file
    (os.path.samefile: symlinks and hard links)."""
    for given in inputs:
        same = output.resolve() == given.resolve()
        if not same and output.exists() and given.exists():
            same = os.path.samefile(output, given)
        if same:
            raise BadPath(f"{output}: is the same file as the input {given}; write the output elsewhere.")
