"""The rule registry: every catalogue code has exactly one check, every check a catalogue code,
and what a check declares (its SQL file, the store columns it reads) exists."""

import datetime as dt
from collections import Counter

import duckdb

from conftest import REPO
from schemas import checks
from schemas.rules import ALL_RULES
from enrollment_migrate.sql_files import sql


def test_every_rule_has_exactly_one_check_and_every_check_a_rule():
    """One check per rule; a row rule that reads several columns (bad_date_format reads the
    four dates) has one check per column, declared in one loop of schemas.row_rules."""
    every = checks.checks(dt.date(2025, 1, 15))
    found = Counter(
        (rule.code, getattr(getattr(check, "column", None), "field", None))
        for check in every for rule in checks.rules_of(check)
    )
    assert {code for code, _ in found} == set(ALL_RULES)
    assert [key for key, n in found.items() if n > 1] == []
    kinds: dict[str, set[str]] = {}
    for check in every:
        for rule in checks.rules_of(check):
            kinds.setdefault(rule.code, set()).add(checks.kind_of(check))
    assert {code: k for code, k in kinds.items() if len(k) > 1} == {}


def test_each_kind_is_where_the_module_docs_say():
    kinds = {rule.code: checks.kind_of(check)
             for check in checks.checks(dt.date(2025, 1, 15)) for rule in checks.rules_of(check)}
    assert kinds["not_csv_line_endings"] == kinds["malformed_row"] == kinds["file_already_migrated"] == "file"
    assert kinds["bad_date_format"] == kinds["score_required"] == "row"
    assert kinds["duplicate_row"] == kinds["existing_enrollment"] == "learner"
    assert kinds["license_shortfall"] == kinds["reminders_enabled"] == "course"


def test_a_learner_check_names_its_sql_and_store_columns_that_exist():
    with duckdb.connect() as con:
        con.execute(sql("warehouse_schema"))
        for check in checks.LEARNER_CHECKS:
            assert sql(check.sql).strip(), check.sql
            for table, columns in check.store_columns.items():
                con.sql(f"select {', '.join(columns)} from {table} limit 0").fetchall()
    assert set(checks.store_columns()) == {"enrollments", "archived_enrollments", "courses"}
    assert (REPO / "sql" / "recertification_repeats.sql").exists()


def test_a_course_check_fires_on_its_condition_only():
    course = {"name": "Safety", "incoming": 3, "free_licenses": 2, "license_seats": 5, "free_places": None,
              "ilt_capacity": None, "enrollment_reminders": False, "due_date_reminders": True,
              "overdue_reminders": False, "ilt_reminders": False, "certificate_expires_after_days": None,
              "certificates": 0, "certificates_expired": 0, "archived": 4, "live_awarded": 2, "badge": None,
              "recertification": True, "recertification_period_days": 730, "window_days": 731,
              "gamification": None}
    fired = {check.rule.code: check.message(course, dt.date(2025, 1, 15))
             for check in checks.COURSE_CHECKS if check.query == "course_capacity" and check.fires(course)}
    assert fired == {
        "license_shortfall": "'Safety' has 2 free licenses of 5; 3 rows would use one each.",
        "reminders_enabled": ("'Safety' has due date reminders on: switch them off before migrating so "
                              "that learners get no surprise emails."),
    }


def test_each_course_check_s_query_gives_the_columns_its_condition_reads(portal_db):
    """Every query a course check names runs, and its rows carry what the conditions read."""
    from enrollment_migrate.engine import model

    empty = model.empty_migrated()
    params = {"import_date": dt.date(2025, 1, 15), "cutoff": dt.date(2023, 1, 15)}
    for name in {check.query for check in checks.COURSE_CHECKS}:
        assert model.query(portal_db, name, params, migrated_rows=empty).columns, name
