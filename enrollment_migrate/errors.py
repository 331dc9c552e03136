"""The errors a person can act on, and the one line and exit status each becomes.

Every error the command line shows as a sentence rather than a traceback is a `UserError` here,
raised wherever the problem is found and turned into its line and exit status in one place,
`shown` (the CLI calls it for every command). An `OSError` that reached the top is named by its
path and cause: a full disk, a read-only folder, a missing folder are facts about the machine,
not bugs. Anything else is a bug, and says so.

Exit status (INTERFACES.md): 0 valid / applied / rolled back, 1 invalid or rejected (or a portal
file refused), 2 could not run, 3 refused.
"""

from __future__ import annotations

import errno
import re
from dataclasses import dataclass
from pathlib import Path

EXIT_OK, EXIT_INVALID, EXIT_CANNOT_RUN, EXIT_REFUSED = 0, 1, 2, 3


class UserError(Exception):
    """A problem a person can fix: the message says what and where, in one sentence."""

    exit_status = EXIT_CANNOT_RUN
    label = "Cannot run"


class CannotRun(UserError):
    """The command could not run (exit status 2): the message says why, for a person."""


class BadSetting(CannotRun):
    """An environment variable's value is not one the setting takes (enrollment_migrate.settings)."""


class BadPath(CannotRun):
    """A path given on the command line or in the environment cannot serve as what it is for."""


class NoSpace(CannotRun):
    """The disk filled before the commit: nothing was applied."""


class WarehouseBusy(CannotRun):
    """Another enrollment-migrate command held the warehouse for longer than the wait allows."""


class PortalNotLoaded(CannotRun):
    """The portal has no users or no courses: a run needs both."""


class UnreadableFile(CannotRun):
    """The migration file cannot be opened or decoded at all."""


class PortalChanged(CannotRun):
    """Users or courses changed between the check and the apply: nothing was applied."""


class MappingError(CannotRun):
    """A `prepare` mapping cannot be used as written; every problem names its key."""

    def __init__(self, origin: str, problems: list[str]):
        self.origin, self.problems = origin, problems
        listed = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"the mapping {origin} needs correcting:\n{listed}")


class SourceUnreadable(CannotRun):
    """A `prepare` source cannot be read as a table; the message says why and what to try."""


class ServerError(CannotRun):
    """The local Prefect server could not be started or stopped: the message says why."""


class PortalFileRejected(UserError):
    """A portal file (users, courses, paths, settings, enrollments) was refused; nothing changed.
    The message names the file, and each problem its row and column."""

    exit_status = EXIT_INVALID
    label = "Refused"

    def __init__(self, path: Path, problems: list[str]):
        self.path, self.problems = path, problems
        shown = "\n".join(f"  {p}" for p in problems[:20])
        more = f"\n  … and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(f"{path} was not loaded:\n{shown}{more}")


@dataclass(frozen=True)
class Shown:
    """What a person reads for an error, and the exit status."""

    label: str
    message: str
    exit_status: int
    bug: bool = False  # not the person's to fix: the log has the details for a report


def shown(exc: BaseException) -> Shown:
    if isinstance(exc, UserError):
        return Shown(exc.label, str(exc), exc.exit_status)
    if is_disk_full(exc):  # before a commit: what commits never fails on a full disk afterwards
        return Shown("Cannot run", f"{no_space_line(exc)}: nothing was changed.", EXIT_CANNOT_RUN)
    if isinstance(exc, OSError) and exc.errno is not None:
        return Shown("Cannot run", reason(exc), EXIT_CANNOT_RUN)
    return Shown("Cannot run", f"{type(exc).__name__}: {exc}", EXIT_CANNOT_RUN, bug=True)


def reason(exc: BaseException) -> str:
    """Why a step failed, in a few words: a full disk with the file it refused, an OS error with
    its path ('PATH: cause'), else the error's first line."""
    if is_disk_full(exc):
        return no_space_line(exc)
    if isinstance(exc, OSError):
        cause = exc.strerror or str(exc)
        return f"{exc.filename}: {cause}" if exc.filename is not None else cause
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def no_space_line(exc: BaseException, fallback: object = None) -> str:
    """'no space left on PATH': the file the full disk refused, or `fallback` where none is named."""
    where = disk_full_path(exc) or fallback
    return f"no space left on {where}" if where else "no space left on the disk"


def disk_full_path(exc: BaseException) -> str | None:
    """The file a full disk refused, where the error names it (DuckDB: 'Could not write file "…"')."""
    if isinstance(exc, OSError) and exc.filename is not None:
        return str(exc.filename)
    found = re.search(r'file "([^"]+)"', str(exc))
    return found[1] if found else None


def is_disk_full(exc: BaseException) -> bool:
    """A full disk, as the OS says it or as DuckDB words it in its own exceptions."""
    if isinstance(exc, OSError) and exc.errno is not None:
        return exc.errno in (errno.ENOSPC, errno.EDQUOT)
    # Polars and DuckDB say it in their own exceptions (an OSError without errno, an IOException).
    text = str(exc).lower()
    return "no space left" in text or "disk quota exceeded" in text or "os error 28" in text
