"""The engine as it was before engine v3 (issue 23), frozen at 048e908, for one job: holding the
new engine to the same findings and rows, byte for byte. Only the modules the new engine replaces
are copied, with the SQL files they read; the shared vocabulary (schemas.rules, schemas.findings,
schemas.template) is not, since both engines must speak it. It goes when v3 has passed.

- tests/conftest.py wraps `enrollment_migrate.engine.check_file`, so that every check a test
  makes runs both engines and fails on any difference (`same_as_v2`);
- tests/enrollment_migrate/engine/test_same_as_v2.py runs both on the real files: the samples,
  the OULAD-derived file, the bench generator's file, in parts and whole.
"""

from __future__ import annotations

import dataclasses
import functools

import polars as pl

from engine_v2.engine.drivers import check_file


def assert_same(new, old) -> None:
    """The two results of one check are the same: verdict, counts, every finding (row, column,
    rule, severity, value, message, in order) and every row as it would be stored."""
    assert new.state == old.state, (new.state, old.state)
    assert dataclasses.asdict(new.counts) == dataclasses.asdict(old.counts)
    assert new.by_year == old.by_year
    assert new.readiness == old.readiness
    assert new.portal_fingerprint == old.portal_fingerprint
    _assert_frames(new.findings, old.findings, "findings")
    # Rows checked in parts come bucket by bucket: their order is not the engine's to keep.
    _assert_frames(_frame(new.migrated).sort("row"), _frame(old.migrated).sort("row"), "migrated rows")


def _frame(value) -> pl.DataFrame:
    if isinstance(value, pl.DataFrame):
        return value
    return pl.read_parquet(value) if value else pl.DataFrame(schema={"row": pl.Int64})


def _assert_frames(new: pl.DataFrame, old: pl.DataFrame, what: str) -> None:
    assert new.schema == old.schema, f"{what}: {new.schema} != {old.schema}"
    if not new.equals(old, null_equal=True):
        for index, (a, b) in enumerate(zip(new.iter_rows(), old.iter_rows())):
            if a != b:
                raise AssertionError(f"{what} differ first at {index}: new {a} != old {b}")
        raise AssertionError(f"{what}: {new.height} rows, the frozen engine's {old.height}")


def same_as_v2(check):
    """`check` (the engine's check_file), run beside the frozen engine's on the same file, store
    and options: its result, once the two are found the same."""

    @functools.wraps(check)
    def both(path, con, options):
        try:
            new = check(path, con, options)
        except Exception as raised:
            try:
                check_file(path, con, options)
            except Exception as frozen:
                assert (type(raised), str(raised)) == (type(frozen), str(frozen))
                raise raised from None
            raise AssertionError(f"the frozen engine does not raise {raised!r}") from raised
        assert_same(new, check_file(path, con, options))
        return new

    both.compared_with_v2 = True
    return both


__all__ = ["assert_same", "check_file", "same_as_v2"]
