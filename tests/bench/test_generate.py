"""The benchmark's generator makes what docs/performance.md says it makes: a template file of
exactly N rows with ~1% faults, and a portal it fits (so `make bench` measures real work)."""

import sys

import polars as pl

from conftest import REPO
from enrollment_migrate import portal, warehouse
from enrollment_migrate.engine import RunOptions, check_file

sys.path.insert(0, str(REPO / "bench"))
import generate  # noqa: E402


def test_a_generated_file_has_its_rows_its_faults_and_its_portal(tmp_path, monkeypatch):
    monkeypatch.setattr(generate, "BLOCK_ROWS", 3_000)  # several blocks, as a large file has
    described = generate.generate(tmp_path, 10_000)
    assert described["rows"] == 10_000 == pl.read_csv(tmp_path / "migration.csv").height
    assert set(described["status_mix"]) == {"Completed", "Failed", "In Progress", "Not Started", "Passed"}
    with warehouse.connect(tmp_path / "warehouse.duckdb") as con:
        portal.load_portal(con, users=tmp_path / "portal_users.csv", courses=tmp_path / "portal_courses.csv",
                           enrollments=tmp_path / "portal_enrollments.csv", import_date=generate.IMPORT_DATE)
        result = check_file(tmp_path / "migration.csv", con,
                            RunOptions(generate.IMPORT_DATE, skip_invalid_rows=True))
    rules = result.rule_counts
    assert {"bad_date_format", "invalid_date", "unknown_user", "duplicate_row", "existing_enrollment"} <= set(rules)
    assert 0.005 < result.counts.skipped / result.counts.rows < 0.03  # about 1% faulty rows
    assert result.state == "valid" and result.counts.live and result.counts.archived
    assert generate.generated(tmp_path, 10_000) == described  # kept, not made again
