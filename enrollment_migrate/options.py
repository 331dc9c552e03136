"""What a validate or run is asked to do: one frozen type from the command line (or a deployment's
parameters) to the flows, the engine, the run log and the report page.

A new option is one field here, its flag in enrollment_migrate/cli.py and its line in the README:
the flows take the whole object, the run log records every field, and the report page spells the
fields back as the flags that set them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from enrollment_migrate import settings

# What checking a file whole takes in memory, per byte of the file, at its peak (measured:
# docs/performance.md, "The whole file or parts"), and the share of the machine's memory a
# check may take when --memory-budget is not given.
WORKING_SET_PER_BYTE = 12
MEMORY_BUDGET_SHARE = 0.25


@dataclass(frozen=True)
class RunOptions:
    import_date: dt.date | None = None  # None: today (UTC), fixed when the run is planned
    skip_invalid_rows: bool = False
    skip_existing: bool = False
    allow_reapply: bool = False  # run only: apply a file an earlier run applied
    part_mb: float | None = None  # None: ENROLLMENT_MIGRATE_PART_MB, or an eighth of the file
    dask_address: str | None = None  # a Dask scheduler (tcp://host:8786), or "local"
    # A size (6GB, 512MB): a file whose working set fits it is checked whole, in memory; a larger
    # one in parts. None: MEMORY_BUDGET_SHARE of the machine's memory.
    memory_budget: str | None = None
    # Not a flag: a portal's own existing enrollments are checked against themselves, not the store.
    check_existing: bool = True

    def on(self, today: dt.date) -> RunOptions:
        """These options with the import date fixed: the one given, else `today`."""
        return dataclasses.replace(self, import_date=self.import_date or today)

    def flags(self) -> str:
        """The options as the command line spells them ("--skip-invalid-rows --part-mb 64"), or
        "none"; the import date has a place of its own wherever this is shown."""
        given = []
        for option in dataclasses.fields(self):
            value = getattr(self, option.name)
            if option.name in ("import_date", "check_existing") or value in (None, False):
                continue
            flag = "--" + option.name.replace("_", "-").replace("-address", "")
            given.append(flag if value is True else f"{flag} {value:g}" if isinstance(value, float) else f"{flag} {value}")
        return " ".join(given) or "none"

    def recorded(self) -> dict[str, object]:
        """What the run log keeps (JSON)."""
        return {key: value.isoformat() if isinstance(value, dt.date) else value
                for key, value in dataclasses.asdict(self).items()}

    @classmethod
    def from_recorded(cls, recorded: dict[str, object]) -> RunOptions:
        """The options a run log entry recorded (older entries hold fewer fields, and the user and
        host the run was started by, which are not options)."""
        known = {option.name for option in dataclasses.fields(cls)}
        values = {key: value for key, value in recorded.items() if key in known}
        if isinstance(values.get("import_date"), str):
            values["import_date"] = dt.date.fromisoformat(values["import_date"])
        return cls(**values)


def two_year_cutoff(import_date: dt.date) -> dt.date:
    """The import date moved back two calendar years; 29 February becomes 28 February. Completions
    before it are archived, those on or after it are live."""
    try:
        return import_date.replace(year=import_date.year - 2)
    except ValueError:
        return import_date.replace(year=import_date.year - 2, day=28)


def memory_budget_bytes(options: RunOptions) -> float:
    """The memory a check may take: --memory-budget, else a share of the machine's memory (or of
    the container's limit, where one is set)."""
    if options.memory_budget is not None:
        return settings.size_in_bytes(options.memory_budget)
    return machine_memory() * MEMORY_BUDGET_SHARE


def machine_memory() -> int:
    physical = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    try:  # cgroup v2: "max" when unlimited
        limit = Path("/sys/fs/cgroup/memory.max").read_text(encoding="ascii").strip()
    except OSError:
        return physical
    return min(physical, int(limit)) if limit.isdigit() else physical
