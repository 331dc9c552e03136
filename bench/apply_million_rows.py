"""Apply and rollback of a large run against the validation of the same file, in one run.

    .venv/bin/python bench/apply_million_rows.py --work bench/out/work-XXXX

`--work` is a folder kept by `validate_million_rows.py --keep` (its migration.csv and warehouse).
The warehouse is copied first, so the folder can be reused. Apply and rollback are timed with
the publication of the analysts' catalog that follows them. Issue 3's targets: applying takes at
most 1.5x the validation time, and rolling back at most 0.5x.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from enrollment_migrate import apply, engine, warehouse  # noqa: E402
from enrollment_migrate.publish import publish  # noqa: E402
from enrollment_migrate.template_file import load_template  # noqa: E402
from enrollment_migrate.warehouse import RunRecord  # noqa: E402

IMPORT_DATE = dt.date(2025, 1, 15)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, required=True)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        db = Path(scratch) / "warehouse.duckdb"
        kept_state = warehouse.state_path(args.work / "warehouse.duckdb")
        warehouse.state_path(db).parent.mkdir(parents=True)
        shutil.copy(kept_state if kept_state.exists() else args.work / "warehouse.duckdb", warehouse.state_path(db))
        with warehouse.connect(db) as con:
            started = time.perf_counter()
            result = engine.check_file(
                load_template(args.work / "migration.csv"), con,
                engine.Options(IMPORT_DATE, skip_invalid_rows=True),
            )
            validated = time.perf_counter() - started
            now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
            record = RunRecord("20250115T000000Z-be0c00", "run", "migration.csv", None, IMPORT_DATE,
                               "applied", now, applied_at=now)
            publish(con, db)
            started = time.perf_counter()
            added = apply.apply_run(con, record, result.findings, result.migrated)
            committed = time.perf_counter() - started
            publish(con, db)
            applied = time.perf_counter() - started
            started = time.perf_counter()
            undone = apply.rollback_run(con, record.run_id, now)
            publish(con, db)
            rolled_back = time.perf_counter() - started
    figures = {
        "rows": result.counts.rows, "applied_rows": added.enrollments + added.archived,
        "validate_s": validated, "apply_s": applied, "apply_transaction_s": committed,
        "rollback_s": rolled_back,
        "apply_ratio": applied / validated, "rollback_ratio": rolled_back / validated,
        "fingerprint_restored": undone.fingerprint_restored,
    }
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
