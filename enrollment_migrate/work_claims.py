"""Who owns a run's work folder, so that the folders of a killed run do not stay on disk.

A run's work files live in its report folder (`<report folder>/.work/`, enrollment_migrate.workdir),
which may be anywhere `--reports` points. So that the next command finds them, a run claims its
folder in the warehouse: `<db>.store/work/<run_id>.claim`, a file naming the report folder and
locked (flock, exclusive) by the run's process for as long as it runs. The lock goes with the
process, however it ends: a claim whose lock can be taken belongs to no live process, and its
folders are debris.

`sweep` (called whenever a command opens the warehouse to change it) removes such a run's work
folder, and its report folder too when the run never wrote its summary (it reported nothing), then
the claim. `orphans` counts them for `store status`, without removing anything.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
from pathlib import Path

from enrollment_migrate.warehouse import store_dir

log = logging.getLogger(__name__)
_HELD: dict[Path, int] = {}  # claim file -> the descriptor holding its lock, in this process


def claims_dir(db: str | Path) -> Path:
    return store_dir(db) / "work"


def claim(db: str | Path, run_id: str, report_dir: Path) -> Path:
    """Claim the run's report folder for this process, until `release`."""
    folder = claims_dir(db)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / f"{run_id}.claim"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    os.ftruncate(fd, 0)
    os.write(fd, str(Path(report_dir).resolve()).encode())
    _HELD[path] = fd
    return path


def release(db: str | Path, run_id: str) -> None:
    path = claims_dir(db) / f"{run_id}.claim"
    path.unlink(missing_ok=True)
    fd = _HELD.pop(path, None)
    if fd is not None:
        os.close(fd)


def _unowned(db: str | Path) -> list[tuple[Path, Path, int]]:
    """(claim, report folder, a descriptor holding its lock now) of each claim no process holds."""
    found = []
    folder = claims_dir(db)
    for path in sorted(folder.glob("*.claim")) if folder.is_dir() else []:
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)  # a live run's
            continue
        report_dir = Path(os.read(fd, 4096).decode(errors="replace"))
        found.append((path, report_dir, fd))
    return found


def orphans(db: str | Path) -> int:
    """How many killed runs left work folders (nothing is removed)."""
    unowned = _unowned(db)
    for _, _, fd in unowned:
        os.close(fd)
    return sum(1 for _, report_dir, _ in unowned if (report_dir / ".work").exists())


def sweep(db: str | Path) -> int:
    """Remove the folders of the runs no live process owns; returns how many runs' were removed."""
    removed = 0
    for path, report_dir, fd in _unowned(db):
        try:
            if report_dir.name != path.stem:  # not a run's report folder: touch nothing there
                continue
            work = report_dir / ".work"
            if work.exists():
                removed += 1
                shutil.rmtree(work, ignore_errors=True)
            if report_dir.is_dir() and not (report_dir / "summary.json").exists():
                shutil.rmtree(report_dir, ignore_errors=True)  # a run that reported nothing
            with contextlib.suppress(OSError):
                path.unlink()
        finally:
            os.close(fd)
    if removed:
        log.info("Removed the work folders of %d runs that were stopped before they ended.", removed)
    return removed
