"""A run of the tool: its id, its report folder, and the JSON summary it ends with."""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import os
import secrets
import socket
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from enrollment_migrate.engine import CheckResult, readiness
from enrollment_migrate.errors import CannotRun  # noqa: F401 - where older callers look for it
from enrollment_migrate.options import RunOptions
from enrollment_migrate.warehouse import RunRecord
from enrollment_migrate.workdir import WorkDir

_HASH_CHUNK = 1 << 20


@dataclass(frozen=True)
class RunPlan:
    """What a run was asked to do; small and picklable, passed between flow tasks."""

    run_id: str
    command: str
    file: str
    started_at: dt.datetime
    report_dir: Path
    sha256: str
    options: RunOptions  # the import date fixed
    started_by: dict[str, str] = field(default_factory=dict)  # user and host, for the run log

    @property
    def import_date(self) -> dt.date:
        return self.options.import_date

    @property
    def work_dir(self) -> WorkDir:
        return WorkDir(self.report_dir / ".work")


def new_run_id(now: dt.datetime) -> str:
    """Sortable by time, unique, and safe as a folder name."""
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def plan_run(
    command: str, file: str, reports: Path, options: RunOptions, now: dt.datetime | None = None,
    hashed: Callable[[int, int], None] | None = None,
) -> RunPlan:
    """`hashed(so_far, size)`: told the bytes fingerprinted as each block is (progress)."""
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    run_id = new_run_id(now)
    return RunPlan(
        run_id, command, file, now, reports / run_id, file_sha256(file, hashed), options.on(now.date()),
        {"user": getpass.getuser(), "host": socket.gethostname()},
    )


def file_sha256(path: str | Path, hashed: Callable[[int, int], None] | None = None) -> str:
    """The file's SHA-256; `hashed(so_far, size)` told after each block of a MiB."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        size, so_far = os.fstat(handle.fileno()).st_size, 0
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
            if hashed is not None:
                so_far += len(chunk)
                hashed(so_far, max(size, so_far))
    return digest.hexdigest()


# What a run migrates: a rejected run's summary counts zero of each, and says apart what it would
# have migrated had it been accepted.
MIGRATED_COUNTS = ("live", "archived", "certificates", "credits", "badges")


def _reported_counts(result: CheckResult, state: str) -> dict[str, object]:
    """A rejected run migrated nothing: its live, archived and awards are zero."""
    counts = asdict(result.counts)
    if state == "rejected":
        counts.update(dict.fromkeys(MIGRATED_COUNTS, 0))
    return counts


def summary(plan: RunPlan, result: CheckResult, state: str) -> dict[str, object]:
    counts = _reported_counts(result, state)
    would_have = (
        {"would_have": {key: getattr(result.counts, key) for key in MIGRATED_COUNTS}} if state == "rejected" else {}
    )
    return {
        "run_id": plan.run_id,
        "state": state,
        "file": plan.file,
        "sha256": plan.sha256,
        "import_date": plan.import_date.isoformat(),
        **{key: counts[key] for key in ("rows", "live", "archived", "skipped", "errors", "warnings")},
        **{key: counts[key] for key in ("certificates", "credits", "badges")},
        "rule_counts": result.rule_counts,
        "readiness": readiness.in_state(result.readiness, state),  # its details in the run's voice
        "by_year": result.by_year,
        "report_dir": str(plan.report_dir),
        **would_have,
    }


def run_record(
    plan: RunPlan, result: CheckResult, state: str, applied_at: dt.datetime | None = None
) -> RunRecord:
    counts = _reported_counts(result, state)
    return RunRecord(
        applied_at=applied_at,
        run_id=plan.run_id,
        command=plan.command,
        file=plan.file,
        sha256=plan.sha256,
        import_date=plan.import_date,
        state=state,
        started_at=plan.started_at,
        rows=counts["rows"],
        live=counts["live"],
        archived=counts["archived"],
        skipped=counts["skipped"],
        errors=counts["errors"],
        warnings=counts["warnings"],
        options={**plan.options.recorded(), **plan.started_by},
        report_dir=str(plan.report_dir),
    )
