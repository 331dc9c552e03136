"""The registry tests itself: every rule of the catalogue (schemas.rules) carries one case in which
it fires and one in which it does not (schemas.examples), and both go through the whole engine
(enrollment_migrate.engine.check_file, wrapped by conftest to run the frozen engine beside it)
against the example portal. A rule without examples, or whose check the engine does not run,
fails here. Only codes and severities are checked: messages are tested elsewhere."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import polars as pl
import pytest

from enrollment_migrate import portal, warehouse
from enrollment_migrate.engine import RunOptions, check_file
from schemas import examples, rules
from schemas.examples import Case

CODES = sorted(rules.ALL_RULES)
# Found by the apply, not by check_file: see test_file_already_migrated_example.
RUN_RULES = {rules.FILE_ALREADY_MIGRATED.code}


def load_example_portal(folder: Path, case: Case | None = None) -> Path:
    """The example portal, and the case's own portal files over it, in a new warehouse of
    `folder`: through load_portal, from files, as an admin loads a portal."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "users": examples.PORTAL_USERS, "courses": examples.PORTAL_COURSES,
        "learning_paths": examples.PORTAL_LEARNING_PATHS, "settings": examples.PORTAL_SETTINGS,
    }
    db = folder / "warehouse.duckdb"
    with warehouse.connect(db) as con:
        portal.load_portal(con, **{kind: _written(folder / f"{kind}.csv", text) for kind, text in files.items()})
        if case is not None and case.changes_portal:
            given = {kind: _written(folder / f"case_{kind}.csv", text) for kind, text in case.portal.items()}
            existing = case.existing_bytes()
            if existing is not None:
                given["enrollments"] = folder / "existing.csv"
                given["enrollments"].write_bytes(existing)
            portal.load_portal(con, **given, import_date=examples.EXAMPLE_IMPORT_DATE)
    return db


def _written(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def example_portal(tmp_path_factory) -> Iterator[duckdb.DuckDBPyConnection]:
    """The example portal as it is, once for the module: check_file writes nothing to it."""
    db = load_example_portal(tmp_path_factory.mktemp("example-portal"))
    with warehouse.connect(db) as con:
        yield con


def findings_of(case: Case, folder: Path, shared: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """check_file on the case's file: against the shared example portal, or against a portal of
    its own when the case changes the portal."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "migration.csv"
    path.write_bytes(case.file_bytes())
    options = RunOptions(examples.EXAMPLE_IMPORT_DATE, **case.options)
    if not case.changes_portal:
        return check_file(path, shared, options).findings
    with warehouse.connect(load_example_portal(folder / "portal", case)) as con:
        return check_file(path, con, options).findings


def expected_severity(rule: rules.Rule, case: Case) -> str:
    """The catalogue's, but for existing_enrollment under skip_existing: skipped (RULES.md §2)."""
    if rule is rules.EXISTING_ENROLLMENT and case.options.get("skip_existing"):
        return rules.Severity.SKIPPED.value
    return rule.severity.value


def test_every_rule_has_a_firing_case_and_a_passing_case():
    missing = [code for code, rule in rules.ALL_RULES.items()
               if not isinstance(rule.examples, examples.Example)
               or not isinstance(rule.examples.fires, Case) or not isinstance(rule.examples.passes, Case)]
    assert missing == []
    for rule in rules.ALL_RULES.values():
        assert rule.examples.fires != rule.examples.passes, rule.code


def test_the_base_row_alone_draws_no_finding(example_portal, tmp_path):
    """Every case is changes to BASE_ROW: on its own it is valid and warns of nothing."""
    assert findings_of(examples.case(), tmp_path, example_portal).height == 0


@pytest.mark.parametrize("code", [c for c in CODES if c not in RUN_RULES])
def test_rule_example(code, example_portal, tmp_path):
    rule = rules.ALL_RULES[code]
    assert rule.examples is not None, f"{code} has no examples"
    fires, passes = rule.examples.fires, rule.examples.passes

    found = findings_of(fires, tmp_path / "fires", example_portal)
    own = found.filter(pl.col("rule") == code)
    assert own.height >= 1, f"{code} did not fire; found {found['rule'].to_list()}"
    assert set(own["severity"]) == {expected_severity(rule, fires)}

    found = findings_of(passes, tmp_path / "passes", example_portal)
    assert code not in found["rule"].to_list()


@pytest.mark.usefixtures("prefect_harness")
def test_file_already_migrated_example(tmp_path):
    """file_already_migrated is found by the apply (enrollment_migrate.apply.already_applied, as
    the run concludes): each case's file goes through the run flow twice, as `run` does, against a
    warehouse of its own holding the example portal; the rule is asked of the second run. The run
    flow is the whole engine here: check, apply, run log and the report's findings.csv."""
    from flows.run import run_flow

    rule = rules.FILE_ALREADY_MIGRATED
    assert rule.examples is not None
    outcome = {}
    for name, case in (("fires", rule.examples.fires), ("passes", rule.examples.passes)):
        folder = tmp_path / name
        db = load_example_portal(folder / "portal", case)
        path = folder / "migration.csv"
        path.write_bytes(case.file_bytes())

        def run() -> dict:
            return run_flow(file=str(path), db=str(db), reports_dir=str(folder / "reports"),
                            options=RunOptions(examples.EXAMPLE_IMPORT_DATE, **case.options))

        assert run()["state"] == "applied"
        again = run()
        findings = pl.read_csv(Path(again["report_dir"]) / "findings.csv", infer_schema=False)
        outcome[name] = findings.filter(pl.col("rule") == rule.code)["severity"].to_list()
    assert outcome["fires"] == [rule.severity.value]
    assert outcome["passes"] == []
