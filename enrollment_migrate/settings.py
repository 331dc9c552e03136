"""Every `ENROLLMENT_MIGRATE_*` environment variable, declared once: its kind, default, allowed
range and the sentence shown when a value is wrong. Nothing else reads these variables.

A value is read when it is used (`DB.value()`), so that a served flow sees the environment of its
own process; the command line also checks every variable before a command starts (`check_all`),
so that a wrong value is one line naming the variable, before anything is opened. A variable set
to the empty string (or only spaces) is taken as unset: its default applies.

A new variable is one `Setting` below: the tests are generated from `ALL` (each variable with a
value of the wrong kind, out of its range, and empty).
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

from enrollment_migrate.errors import BadSetting

T = TypeVar("T")

_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
_SIZES = {"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12, "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30,
          "tib": 1 << 40}


@dataclass(frozen=True)
class Kind(Generic[T]):
    """How a variable's text becomes a value: `parse` raises ValueError when the text is not of
    the kind or is out of its range. `wrong` and `out_of_range` are values the generated tests
    set, so that each kind proves its own refusals."""

    parse: Callable[[str], T]
    takes: str  # what a right value looks like, in the sentence shown for a wrong one
    wrong: tuple[str, ...] = ()
    out_of_range: tuple[str, ...] = ()


def _finite(text: str) -> float:
    number = float(text)  # ValueError for 'abc'
    if not math.isfinite(number):
        raise ValueError(text)
    return number


def number(low: float, high: float) -> Kind[float]:
    """A finite number from `low` to `high`."""

    def parse(text: str) -> float:
        value = _finite(text)
        if not low <= value <= high:
            raise ValueError(text)
        return value

    takes = f"a number from {low:g} to {high:g}"
    return Kind(parse, takes, wrong=("abc", "nan", "inf", "1e"), out_of_range=(f"{-abs(low) - 1:g}", f"{high * 10:g}"))


def duration(high_seconds: float, *, never: bool = False) -> Kind[float | None]:
    """Seconds, or a number with s, m, h or d (30m); `never` allows the word never (None)."""

    def parse(text: str) -> float | None:
        text = text.lower()
        if never and text == "never":
            return None
        match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([smhd]?)", text)
        if not match:
            raise ValueError(text)
        seconds = float(match[1]) * _UNITS[match[2]]
        if not seconds <= high_seconds:
            raise ValueError(text)
        return seconds

    takes = "seconds, or a number with s, m, h or d (for example 3600 or 1h)" + (", or never" if never else "")
    return Kind(parse, takes, wrong=("abc", "nan", "-5", "1x", "inf"), out_of_range=(f"{high_seconds * 10:g}",))


def size_in_bytes(text: str) -> float:
    """512MB, 4GB, 2GiB as bytes; ValueError for anything else."""
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([kmgt]i?b)", text.lower())
    if not match:
        raise ValueError(text)
    return float(match[1]) * _SIZES[match[2]]


def memory_size(low_bytes: float, high_bytes: float) -> Kind[str]:
    """A size DuckDB takes as a memory limit (512MB, 4GB, 2GiB), kept as written."""

    def parse(text: str) -> str:
        if not low_bytes <= size_in_bytes(text) <= high_bytes:
            raise ValueError(text)
        return text

    return Kind(parse, "a size such as 512MB, 4GB or 2GiB, from 64MB to 1TB",
                wrong=("abc", "nan", "4", "4 apples"), out_of_range=("1MB", "5000TB"))


def _switch(text: str) -> bool:
    word = text.lower()
    if word in ("1", "on", "true", "yes"):
        return True
    if word in ("0", "off", "false", "no"):
        return False
    raise ValueError(text)


SWITCH = Kind(_switch, "on or off (1, true, yes; 0, false, no)", wrong=("maybe", "2", "nan"))
PATH = Kind(Path, "a path")


def _fault(text: str) -> str:
    if not re.fullmatch(r"[a-z][a-z-]*(:enospc)?", text):
        raise ValueError(text)
    return text


# The points themselves are named where they are (enrollment_migrate.faults.fault_point).
FAULT = Kind(_fault, "a fault point's name, alone or with :enospc (apply, apply:enospc)",
             wrong=("Apply!", "apply:full", "1"))


@dataclass(frozen=True)
class Setting(Generic[T]):
    name: str
    kind: Kind[T]
    default: T
    help: str
    internal: bool = field(default=False)  # for the tests' fault injection, not for users

    def value(self) -> T:
        """The variable's value, or the default when it is unset or blank; BadSetting when wrong."""
        text = os.environ.get(self.name, "").strip()
        if not text:
            return self.default
        try:
            return self.kind.parse(text)
        except (ValueError, KeyError, OverflowError):
            shown = text if len(text) <= 40 else text[:40] + "…"
            raise BadSetting(f"{self.name}={shown!r} is not {self.kind.takes}.") from None

    def is_set(self) -> bool:
        return bool(os.environ.get(self.name, "").strip())


DB = Setting("ENROLLMENT_MIGRATE_DB", PATH, Path("data/warehouse.duckdb"), "the warehouse file (--db)")
REPORTS = Setting("ENROLLMENT_MIGRATE_REPORTS", PATH, Path("data/reports"), "the reports folder (--reports)")
# DuckDB would take 80% of the machine before spilling to disk; a bound keeps a run of any size
# (sorting and joining a file's rows in the apply) within a known share of memory.
DUCKDB_MEMORY = Setting("ENROLLMENT_MIGRATE_DUCKDB_MEMORY", memory_size(64e6, 1e12), "4GB",
                        "the memory DuckDB may use before it spills to disk")
LOCK_TIMEOUT = Setting("ENROLLMENT_MIGRATE_LOCK_TIMEOUT", number(0, 86400), 30.0,
                       "seconds a command waits for another to finish with the warehouse")
PARTITION_RETENTION = Setting("ENROLLMENT_MIGRATE_PARTITION_RETENTION", duration(365 * 86400), 3600.0,
                              "how long a retired partition file waits before it is deleted")
PART_MB = Setting("ENROLLMENT_MIGRATE_PART_MB", number(0, 4096), None,
                  "the size of the parts a file is checked in, in MB (0: the file whole)")
SERVER_IDLE = Setting("ENROLLMENT_MIGRATE_SERVER_IDLE", duration(365 * 86400, never=True), 1800.0,
                      "how long the local Prefect server waits unused before it stops")
LOCAL_SERVER = Setting("ENROLLMENT_MIGRATE_LOCAL_SERVER", SWITCH, True,
                       "whether commands start a local Prefect server when PREFECT_API_URL is not set")
SHOW_LOGIN_IDS = Setting("ENROLLMENT_MIGRATE_SHOW_LOGIN_IDS", SWITCH, False,
                         "whether report pages and artifacts show Login IDs unmasked")
FAULT_AT = Setting("ENROLLMENT_MIGRATE_FAULT_AT", FAULT, None,
                   "a fault point where a test stops the process or fills the disk", internal=True)
FAULT_MARKER = Setting("ENROLLMENT_MIGRATE_FAULT_MARKER", PATH, None,
                       "the file a fault point writes its pid to", internal=True)

ALL: tuple[Setting, ...] = (DB, REPORTS, DUCKDB_MEMORY, LOCK_TIMEOUT, PARTITION_RETENTION, PART_MB,
                            SERVER_IDLE, LOCAL_SERVER, SHOW_LOGIN_IDS, FAULT_AT, FAULT_MARKER)


def check_all() -> None:
    """Every variable's value, so that a wrong one stops a command before it starts."""
    for setting in ALL:
        setting.value()
    prefect_home()


def prefect_home() -> Path:
    """Prefect's own PREFECT_HOME (its default too), which must be a folder or not yet exist:
    Prefect keeps its profiles there, and the local server its database."""
    given = os.environ.get("PREFECT_HOME", "").strip()
    home = Path(given or Path.home() / ".prefect").expanduser()
    if home.exists() and not home.is_dir():
        raise BadSetting(f"PREFECT_HOME={str(home)!r} is not a folder.")
    return home.resolve()


def cache_home() -> Path:
    """Where this tool keeps what any PREFECT_HOME can reuse (the local server's migrated empty
    database): XDG_CACHE_HOME's folder, or ~/.cache's."""
    given = os.environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(given).expanduser() if given else Path.home() / ".cache") / "enrollment-migrate"


def part_mb_option(value: float | None) -> float | None:
    """--part-mb, held to the same range as ENROLLMENT_MIGRATE_PART_MB."""
    if value is None:
        return None
    try:
        return PART_MB.kind.parse(repr(value))
    except ValueError:
        raise BadSetting(f"--part-mb {value:g} is not {PART_MB.kind.takes}.") from None


MEMORY_BUDGET = memory_size(64e6, 1e12)


def memory_budget_option(value: str | None) -> str | None:
    """--memory-budget, held to the sizes DuckDB's memory setting takes."""
    if value is None:
        return None
    try:
        return MEMORY_BUDGET.parse(value.strip())
    except ValueError:
        raise BadSetting(f"--memory-budget {value!r} is not {MEMORY_BUDGET.takes}.") from None
