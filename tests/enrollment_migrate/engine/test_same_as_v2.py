"""Engine v3 gives the frozen engine's findings and rows, byte for byte (issue 23, part 5), on
real files: the samples, the bench generator's file whole and in parts, an OULAD-derived file.
(Every other test's check is compared too: tests/conftest.py wraps check_file.)"""

from __future__ import annotations

import contextlib
import dataclasses
import sys
import tempfile
from pathlib import Path

import polars as pl
import pytest

import engine_v2
from conftest import REPO
from enrollment_migrate import file_parts, portal, warehouse
from enrollment_migrate.engine import RunOptions, drivers

sys.path.insert(0, str(REPO / "bench"))
import generate  # noqa: E402

SAMPLE = REPO / "data" / "sample"
OPTIONS = [
    {},
    {"skip_invalid_rows": True},
    {"skip_existing": True},
    {"skip_invalid_rows": True, "skip_existing": True, "check_existing": True},
]


def _both(path: Path, con, options: RunOptions, part_bytes: int = 0) -> None:
    """The new engine (whole, or in parts of `part_bytes`) and the frozen one, compared."""
    frozen = engine_v2.check_file(path, con, options)
    if not part_bytes:
        engine_v2.assert_same(drivers.check_file(path, con, options), frozen)
        return
    with tempfile.TemporaryDirectory() as work:  # its migrated rows stay in the work folder
        engine_v2.assert_same(drivers.check_in_parts(file_parts.cut(path, part_bytes), con, options, Path(work)), frozen)


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sample")
    with warehouse.connect(folder / "warehouse.duckdb") as con:
        portal.load_portal(
            con, users=SAMPLE / "portal_users.csv", courses=SAMPLE / "portal_courses.csv",
            enrollments=SAMPLE / "portal_enrollments.csv", learning_paths=SAMPLE / "portal_learning_paths.csv",
            settings=SAMPLE / "portal_settings.csv", import_date=generate.IMPORT_DATE,
        )
        yield con


@pytest.mark.parametrize("name", ["migration.csv", "migration_with_problems.csv"])
@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: ",".join(o) or "defaults")
def test_the_samples(sample_store, name, options):
    _both(SAMPLE / name, sample_store, RunOptions(generate.IMPORT_DATE, **options))


@contextlib.contextmanager
def _generated_store(folder: Path, rows: int):
    """The bench generator's file of `rows` rows (~1% faults of every kind) and a store holding
    its portal: (the file, a connection)."""
    generate.generate(folder, rows)
    with warehouse.connect(folder / "warehouse.duckdb") as con:
        portal.load_portal(con, users=folder / "portal_users.csv", courses=folder / "portal_courses.csv",
                           enrollments=folder / "portal_enrollments.csv", import_date=generate.IMPORT_DATE)
        yield folder / "migration.csv", con


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    with _generated_store(tmp_path_factory.mktemp("generated"), 200_000) as made:
        yield made


@pytest.mark.parametrize("part_bytes", [0, 3 << 20], ids=["whole", "in parts"])
@pytest.mark.parametrize("options", OPTIONS[:2], ids=lambda o: ",".join(o) or "defaults")
def test_the_bench_generators_file(generated, part_bytes, options):
    path, con = generated
    _both(path, con, RunOptions(generate.IMPORT_DATE, **options), part_bytes)


def test_a_difference_is_caught(generated):
    """The comparison can fail: one message changed, one row dropped."""
    path, con = generated
    options = RunOptions(generate.IMPORT_DATE)
    old = engine_v2.check_file(path, con, options)
    reworded = dataclasses.replace(
        old, findings=old.findings.with_columns(pl.col("message").str.replace("^No portal", "No"))
    )
    with pytest.raises(AssertionError, match="findings differ first at"):
        engine_v2.assert_same(reworded, old)
    with pytest.raises(AssertionError, match="migrated rows"):
        engine_v2.assert_same(dataclasses.replace(old, migrated=old.migrated.slice(1)), old)


@pytest.mark.slow
def test_the_bench_generators_million_rows(tmp_path_factory):
    """The issue's own case: the bench generator's 1M-row file, whole and in parts (about 17 s)."""
    with _generated_store(tmp_path_factory.mktemp("million"), 1_000_000) as (path, con):
        for part_bytes in (0, 16 << 20):
            _both(path, con, RunOptions(generate.IMPORT_DATE), part_bytes)
