"""The run's work folder, `<report folder>/.work/`: the one owner of every path in it.

The steps of a check (enrollment_migrate.engine.drivers) hand their results to each other as files
here, so that a step can run in another task or on another machine:

    portal/               the portal's keys and awards (and, for workers without the store, the
                          store columns the learner checks read)
    parts/<n>/            a part's findings and part.json (its counts)
    learners/<b>/         learner bucket b's rows, one file per part: part-<n>.parquet
    checked-learners/<b>/ bucket b's findings and migrated rows
    findings/             every finding of the file in findings.csv's order (conclude), and the
                          disk the sort spills to
    checked/              the concluded result, for the tasks after the check

The report task removes the folder when the run's report is written.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class WorkDir:
    root: Path

    @classmethod
    def of(cls, folder: WorkDir | str | Path) -> WorkDir:
        return folder if isinstance(folder, WorkDir) else cls(Path(folder))

    @property
    def portal(self) -> Path:
        return self.root / "portal"

    @property
    def parts(self) -> Path:
        return self.root / "parts"

    def part(self, index: int) -> Path:
        return self.parts / f"{index:05d}"

    def part_records(self) -> list[Path]:
        """Each checked part's part.json, in file order."""
        return sorted(self.parts.glob("*/part.json"))

    def bucket(self, bucket: int) -> Path:
        return self.root / "learners" / f"{bucket:05d}"

    def bucket_rows(self, bucket: int, part_index: int) -> Path:
        return self.bucket(bucket) / f"part-{part_index:05d}.parquet"

    @staticmethod
    def part_of_bucket_rows(path: Path) -> int:
        return int(path.stem.removeprefix("part-"))

    def checked_bucket(self, bucket: int) -> Path:
        return self.root / "checked-learners" / f"{bucket:05d}"

    @property
    def findings(self) -> Path:
        return self.root / "findings"

    @property
    def result(self) -> Path:
        return self.root / "checked"

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
