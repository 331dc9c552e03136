"""The readiness checklist: every item in the guide's order, each status it can take, on files
checked against the fixture portal (and on the facts alone where a status needs a portal the
fixture does not hold)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from conftest import HEADERS, IMPORT_DATE, row
from enrollment_migrate.engine import readiness
from schemas import rules
from schemas.findings import empty_findings

ARCHIVED = "1/6/2020"  # before the two-year cut-off of the fixtures' import date (15/1/2025)
ORDER = [
    "File format and dates", "Learners and courses in the portal", "Scores and statuses", "Date sequencing",
    "Duplicates and existing enrollments", "Licenses and ILT places", "Reminders", "Certificates", "Credits", "Badges (gamification)",
    "Recertification", "Learning paths and archived data", "Training History option",
    "Instructor-led shell courses", "Module statuses",
]


def items(result) -> dict[str, dict]:
    return {item["item"]: item for item in result.readiness}


def status(result) -> dict[str, str]:
    return {name: item["status"] for name, item in items(result).items()}


def test_the_items_follow_the_guide_s_order_and_every_rule_is_in_one_of_them():
    assert [item.name for item in readiness.ITEMS] == ORDER
    gathered = [rule.code for item in readiness.ITEMS for rule in item.rules]
    assert sorted(gathered) == sorted(rules.ALL_RULES)


def test_a_clean_file_on_a_portal_that_says_nothing(validate_rows):
    result = validate_rows([row("ann@example.com", "Safety", completed="1/6/2024")])
    assert list(items(result)) == ORDER
    assert status(result) == {
        **dict.fromkeys(ORDER[:7], "ok"),
        "Certificates": "ok",  # Safety links a certificate
        "Credits": "ok",  # and carries credits
        "Badges (gamification)": "unknown",  # does the portal use gamification?
        "Recertification": "ok",
        "Learning paths and archived data": "ok",  # no archived completions
        "Training History option": "ok",  # no archived rows
        "Instructor-led shell courses": "ok",
        "Module statuses": "attention",  # one migrated enrollment
    }
    badges = items(result)["Badges (gamification)"]
    assert badges["detail"].startswith("Does the portal use gamification?")
    assert (badges["names"], badges["count"], badges["rule"]) == (["Safety"], 1, "badges_not_retroactive")


def test_errors_block_and_warnings_ask_for_attention(validate_rows, portal_db):
    portal_db.execute("insert into portal_settings values ('gamification', true), ('training_history', false)")
    result = validate_rows([
        row("ann@example.com", "Privacy", completed="1/6/2024"),  # no certificate, credits or badge
        row("ghost@example.com", "Privacy", completed="1/6/2024"),  # unknown_user
        row("dora@example.com", "Noisy", completed=ARCHIVED),  # reminders on; archived
        row("carl@example.com", "Workshop", completed="1/6/2024"),  # instructor-led
    ])
    checked = items(result)
    assert checked["File format and dates"]["status"] == "ok"  # the unknown learner is not a format problem
    assert checked["Learners and courses in the portal"] == {
        "item": "Learners and courses in the portal", "status": "blocking", "detail": "1 finding of unknown_user.",
        "count": 1, "rule": "unknown_user", "names": [],
    }
    assert checked["Reminders"] == {
        "item": "Reminders", "status": "attention", "detail": "1 finding of reminders_enabled.", "count": 1,
        "rule": "reminders_enabled", "names": ["Noisy"],
    }
    assert checked["Certificates"]["status"] == "attention" and checked["Certificates"]["names"] == ["Privacy", "Workshop"]
    assert checked["Credits"]["status"] == "attention" and "Privacy" in checked["Credits"]["names"]
    assert checked["Badges (gamification)"]["status"] == "attention"
    assert checked["Training History option"]["status"] == "attention"
    assert checked["Training History option"]["rule"] == "training_history_disabled"
    assert checked["Instructor-led shell courses"]["status"] == "attention"
    assert checked["Instructor-led shell courses"]["names"] == ["Workshop"]


def test_blank_unknown_ambiguous_and_unpublished_learners_and_courses_are_their_own_item(validate_rows):
    result = validate_rows([
        row("", "Safety"), row("ghost@example.com", "Safety"), row("ann@example.org", "Safety"),  # carl's username
        row("ann@example.com", ""), row("ann@example.com", "Nowhere"), row("ann@example.com", "twin "),
        row("ann@example.com", "Draft Course"),
    ])
    checked = items(result)
    assert checked["File format and dates"]["status"] == "ok"
    learners = checked["Learners and courses in the portal"]
    assert (learners["status"], learners["count"], learners["rule"]) == ("blocking", 7, "ambiguous_course")
    assert learners["detail"] == (
        "1 finding of ambiguous_course; 1 finding of ambiguous_user; 1 finding of blank_course_name; "
        "1 finding of blank_login_id; 1 finding of course_not_published; 1 finding of unknown_course; "
        "1 finding of unknown_user."
    )


def test_errors_whose_rows_are_skipped_ask_for_attention_fatal_ones_still_block(validate_rows):
    rows = [row("ann@example.com", "Safety", completed="1/6/2024"), row("ghost@example.com", "Safety", completed="1/6/2024"),
            row("dora@example.com", "Safety", completed="1/1/2024", started="1/6/2024")]
    skipping = validate_rows(rows, skip_invalid_rows=True)
    assert status(skipping)["Learners and courses in the portal"] == "attention"  # unknown_user: the row is dropped
    assert status(skipping)["Date sequencing"] == "blocking"  # date_sequence is fatal
    assert status(validate_rows(rows))["Learners and courses in the portal"] == "blocking"


def test_what_the_portal_does_not_say_is_a_question_never_ok(validate_rows, portal_db):
    portal_db.execute("update courses set recertification = true where name = 'Privacy'")
    try:
        result = validate_rows([row("ann@example.com", "Privacy", completed=ARCHIVED)])
    finally:
        portal_db.execute("update courses set recertification = false where name = 'Privacy'")
    assert status(result)["Training History option"] == "unknown"
    assert status(result)["Learning paths and archived data"] == "unknown"
    assert status(result)["Recertification"] == "unknown"
    assert items(result)["Recertification"]["names"] == ["Privacy"]


def test_once_the_portal_answers_the_questions_are_settled(validate_rows, portal_db):
    portal_db.execute("insert into portal_settings values ('gamification', false), ('training_history', true)")
    portal_db.execute("insert into learning_paths select 'Onboarding', course_id from courses where name = 'Safety'")
    result = validate_rows([row("ann@example.com", "Privacy", completed=ARCHIVED),
                            row("dora@example.com", "Safety", completed="1/6/2024")])
    assert status(result)["Training History option"] == "ok"
    assert status(result)["Learning paths and archived data"] == "ok"
    assert status(result)["Badges (gamification)"] == "ok"


def test_a_file_that_cannot_be_read_checks_nothing_else(validate_rows, tmp_path):
    result = validate_rows([row("ann@example.com", "Safety", completed="1/6/2024")], headers=["Login ID"])
    assert status(result)["File format and dates"] == "blocking"
    assert set(list(status(result).values())[1:]) == {"unknown"}
    assert items(result)["Credits"]["detail"] == "Not checked: the file cannot be read."


def test_at_most_twenty_courses_are_named():
    facts = {"course_capacity": [
        {"name": f"Course {i:02d}", "kind": "ilt", "incoming": 1, "archived": 0, "live_awarded": 0,
         "certificate_name": None, "course_credits": 0, "badge": None, "recertification": False,
         "recertification_period_days": None}
        for i in range(23)
    ], "file_archive": [{"archived": 0, "training_history": None, "gamification": None, "learning_paths": 0}]}
    shell = {i["item"]: i for i in readiness.checklist(empty_findings(), facts)}["Instructor-led shell courses"]
    assert shell["count"] == 23
    assert shell["names"] == [f"Course {i:02d}" for i in range(20)] + ["and 3 more"]


def test_the_checklist_is_in_the_json_summary(validate_rows, tmp_path):
    from enrollment_migrate import runs
    from enrollment_migrate.options import RunOptions

    result = validate_rows([row("ann@example.com", "Safety", completed="1/6/2024")])
    plan = runs.RunPlan("r", "validate", "m.csv", dt.datetime(2025, 1, 15), tmp_path, "0" * 64, RunOptions(IMPORT_DATE))
    summary = runs.summary(plan, result, result.state)
    assert [i["item"] for i in summary["readiness"]] == ORDER
    assert set(summary["readiness"][0]) == {"item", "status", "detail", "count", "rule", "names"}
    assert pl.DataFrame(summary["readiness"])["status"].is_in(["ok", "attention", "blocking", "unknown"]).all()


# Every item in each status it can take: (rows, portal set-up SQL, item, status[, validate_rows's
# options]).
LIVE = "1/6/2024"
MATRIX = [
    ([row("ann@example.com", "Safety", completed=LIVE)], [], "File format and dates", "ok"),
    ([row("ann@example.com", "Safety", completed="2024-06-01")], [], "File format and dates", "blocking"),
    ([row("ann@example.com", "Safety", completed=LIVE)], [], "File format and dates", "attention",
     {"headers": [*HEADERS, "Notes"]}),  # unknown_column
    ([row("ann@example.com", "Safety", completed=LIVE)], [], "Learners and courses in the portal", "ok"),
    ([row("ghost@example.com", "Safety", completed=LIVE)], [], "Learners and courses in the portal", "blocking"),
    ([row("ann@example.com", "Draft Course", completed=LIVE)], [], "Learners and courses in the portal", "blocking"),
    ([row("ghost@example.com", "Safety", completed=LIVE), row("ann@example.com", "Safety", completed=LIVE)], [],
     "Learners and courses in the portal", "attention", {"skip_invalid_rows": True}),  # the row is dropped
    ([row("ann@example.com", "Safety", completed=LIVE)], [], "Scores and statuses", "ok"),
    ([row("ann@example.com", "Safety", status="Done")], [], "Scores and statuses", "blocking"),
    ([row("ann@example.com", "Safety", completed=LIVE)], [], "Date sequencing", "ok"),
    ([row("ann@example.com", "Safety", completed="1/1/2024", started="1/6/2024")], [], "Date sequencing", "blocking"),
    ([row("ann@example.com", "Safety", completed=LIVE)], [], "Duplicates and existing enrollments", "ok"),
    ([row("ann@example.com", "Safety", completed=LIVE)] * 2, [], "Duplicates and existing enrollments", "attention"),
    ([row("ann@example.com", "Licensed", completed=LIVE)], [], "Licenses and ILT places", "ok"),
    ([row(login, "Licensed", completed=LIVE) for login in ("ann@example.com", "dora@example.com", "carl@example.com")],
     [], "Licenses and ILT places", "blocking"),
    ([row("ann@example.com", "Safety", completed=LIVE)], [], "Reminders", "ok"),
    ([row("ann@example.com", "Noisy", completed=LIVE)], [], "Reminders", "attention"),
    ([row("ann@example.com", "Safety", completed=LIVE)], [], "Certificates", "ok"),
    ([row("ann@example.com", "Privacy", completed=LIVE)], [], "Certificates", "attention"),
    ([row("ann@example.com", "Safety", completed=LIVE)], [], "Credits", "ok"),
    ([row("ann@example.com", "Privacy", completed=LIVE)], [], "Credits", "attention"),
    ([row("ann@example.com", "Privacy", completed=LIVE)], ["insert into portal_settings values ('gamification', false)"],
     "Badges (gamification)", "ok"),
    ([row("ann@example.com", "Privacy", completed=LIVE)], ["insert into portal_settings values ('gamification', true)"],
     "Badges (gamification)", "attention"),
    ([row("ann@example.com", "Privacy", completed=LIVE)], [], "Badges (gamification)", "unknown"),
    ([row("ann@example.com", "Recert", completed=ARCHIVED)],
     ["update courses set recertification_period_days = 365 where name = 'Recert'"], "Recertification", "ok"),
    ([row("ann@example.com", "Recert", completed="1/6/2023"), row("ann@example.com", "Recert", completed=LIVE)],
     [], "Recertification", "attention"),
    ([row("ann@example.com", "Recert", completed=ARCHIVED)], [], "Recertification", "unknown"),
    ([row("ann@example.com", "Safety", completed=LIVE)], [], "Learning paths and archived data", "ok"),
    ([row("ann@example.com", "Safety", completed=ARCHIVED)],
     ["insert into learning_paths select 'Onboarding', course_id from courses where name = 'Safety'"],
     "Learning paths and archived data", "attention"),
    ([row("ann@example.com", "Safety", completed=ARCHIVED)], [], "Learning paths and archived data", "unknown"),
    ([row("ann@example.com", "Safety", completed=ARCHIVED)],
     ["insert into portal_settings values ('training_history', true)"], "Training History option", "ok"),
    ([row("ann@example.com", "Safety", completed=ARCHIVED)],
     ["insert into portal_settings values ('training_history', false)"], "Training History option", "attention"),
    ([row("ann@example.com", "Safety", completed=ARCHIVED)], [], "Training History option", "unknown"),
    ([row("ann@example.com", "Safety", completed=LIVE)], [], "Instructor-led shell courses", "ok"),
    ([row("ann@example.com", "Workshop", completed=LIVE)], [], "Instructor-led shell courses", "attention"),
    ([row("ghost@example.com", "Safety", completed=LIVE)], [], "Module statuses", "ok"),  # nothing migrated
    ([row("ann@example.com", "Safety", completed=LIVE)], [], "Module statuses", "attention"),
]


@pytest.mark.parametrize(("rows", "setup", "item", "expected", "options"), [(*case, {})[:5] for case in MATRIX],
                         ids=[f"{case[2]}-{case[3]}" for case in MATRIX])
def test_each_item_in_each_status_it_can_take(validate_rows, portal_db, rows, setup, item, expected, options):
    for statement in setup:
        portal_db.execute(statement)
    try:
        result = validate_rows(rows, **options)
    finally:
        portal_db.execute("update courses set recertification_period_days = null")
    assert status(result)[item] == expected, items(result)[item]



def test_the_matrix_covers_every_item():
    assert {case[2] for case in MATRIX} == set(ORDER)


def test_make_run_shows_every_status(tmp_path):
    """The demo (`make run`) validates the sample file with problems, then applies the sample:
    together their checklists show each status at least once."""
    from enrollment_migrate import portal, warehouse
    from enrollment_migrate.engine import check_file
    from enrollment_migrate.options import RunOptions

    sample = Path(__file__).resolve().parents[3] / "data" / "sample"
    shown = set()
    with warehouse.connect(tmp_path / "w.duckdb") as con:
        portal.load_portal(
            con, users=sample / "portal_users.csv", courses=sample / "portal_courses.csv",
            enrollments=sample / "portal_enrollments.csv", learning_paths=sample / "portal_learning_paths.csv",
            settings=sample / "portal_settings.csv", import_date=IMPORT_DATE,
        )
        problems = check_file(sample / "migration_with_problems.csv", con, RunOptions(IMPORT_DATE))
        applied = check_file(sample / "migration.csv", con, RunOptions(IMPORT_DATE))
    assert (problems.state, applied.state) == ("invalid", "valid")
    for result in (problems, applied):
        shown |= {item["status"] for item in result.readiness}
    assert shown == {"ok", "attention", "blocking", "unknown"}
