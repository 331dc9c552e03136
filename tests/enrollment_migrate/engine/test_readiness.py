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
    assert all(set(item) == {"item", "status", "detail", "count", "rule", "names"} for item in summary["readiness"])
    assert pl.DataFrame(summary["readiness"])["status"].is_in(["ok", "attention", "blocking", "unknown"]).all()
    # Each summary speaks in the voice of its run's state, from the one check.
    modules = {state: {i["item"]: i for i in runs.summary(plan, result, state)["readiness"]}["Module statuses"]["detail"]
               for state in ("valid", "applied", "rejected")}
    assert modules == {
        "valid": "1 enrollment would be migrated once the file is run: the platform would set its modules to "
                 "Not Completed, whatever the enrollment's status.",
        "applied": "The modules of the 1 migrated enrollment are set to Not Completed by the platform, whatever "
                   "the enrollment's status.",
        "rejected": "1 enrollment would be migrated once the file passes: the platform would set its modules to "
                    "Not Completed, whatever the enrollment's status.",
    }


# The details of what the rows do in the portal, in the voice of the run's state: as done when a
# run applies them, else as what would happen once the file is run (a validation of a file that
# passes) or once it passes (an invalid file, a rejected run).
VOICED = [row("ann@example.com", "Privacy"), row("carl@example.com", "Workshop"),
          row("dora@example.com", "Safety", completed=ARCHIVED)]
VOICED_ITEMS = ["Certificates", "Credits", "Learning paths and archived data", "Training History option",
                "Instructor-led shell courses", "Module statuses"]


def voiced_details(when: str) -> dict[str, str]:
    return {
        "Certificates": f"2 courses that would receive live completions{when} award no certificate: none would be "
                        "awarded for them; link one first if one is due.",
        "Credits": f"2 courses that would receive live completions{when} carry no credits: none would be earned; "
                   "set them first if they should be.",
        "Learning paths and archived data": f"No learning path holds a course that would receive archived "
                                            f"completions{when}.",
        "Training History option": f"Training History is on: admins would see the 1 archived row{when}.",
        "Instructor-led shell courses": f"1 row would go to 1 instructor-led course{when}: each would become the "
                                        "shell course's status, not a session's.",
        "Module statuses": f"3 enrollments would be migrated{when}: the platform would set their modules to Not "
                           "Completed, whatever the enrollment's status.",
    }


APPLIED = {
    "Certificates": "2 courses receiving live completions award no certificate: none will be awarded for them; link "
                    "one first if one is due.",
    "Credits": "2 courses receiving live completions carry no credits: none will be earned; set them first if they "
               "should be.",
    "Learning paths and archived data": "No learning path holds a course that receives archived completions.",
    "Training History option": "Training History is on: admins will see the 1 archived row.",
    "Instructor-led shell courses": "1 row goes to 1 instructor-led course: each becomes the shell course's status, "
                                    "not a session's.",
    "Module statuses": "The modules of the 3 migrated enrollments are set to Not Completed by the platform, whatever "
                       "the enrollment's status.",
}


@pytest.fixture
def voiced(validate_rows, portal_db):
    """validate_rows on a portal where each voiced item has a detail about the rows."""
    portal_db.execute("insert into portal_settings values ('training_history', true)")
    portal_db.execute("insert into learning_paths select 'Onboarding', course_id from courses where name = 'Noisy'")
    return validate_rows


def details(listed: list[dict], names: list[str] = VOICED_ITEMS) -> dict[str, str]:
    return {item["item"]: item["detail"] for item in listed if item["item"] in names}


def test_a_validation_of_a_file_that_passes_says_what_a_run_would_do(voiced):
    result = voiced(VOICED)
    assert result.state == "valid"
    assert details(result.readiness) == details(readiness.in_state(result.readiness, "valid"))
    assert details(result.readiness) == voiced_details(" once the file is run")


def test_a_run_that_applies_the_rows_says_what_they_do(voiced):
    result = voiced(VOICED)
    assert details(readiness.in_state(result.readiness, "applied")) == APPLIED


def test_a_file_that_does_not_pass_says_what_would_happen_once_it_passes(voiced):
    result = voiced([*VOICED, row("ghost@example.com", "Safety")])
    assert result.state == "invalid"
    assert details(result.readiness) == voiced_details(" once the file passes")
    assert details(readiness.in_state(result.readiness, "invalid")) == voiced_details(" once the file passes")


def test_a_rejected_run_speaks_as_a_file_that_does_not_pass(voiced):
    from enrollment_migrate.engine import reject_file
    from schemas.findings import finding, findings_frame

    result = voiced(VOICED)
    # a valid file refused as it is applied (file_already_migrated, or the portal changed since)
    rejected = reject_file(result, findings_frame([finding(rules.FILE_ALREADY_MIGRATED, "Applied in run r-1.")]))
    assert details(rejected.readiness) == voiced_details(" once the file passes")
    assert details(readiness.in_state(rejected.readiness, "rejected")) == voiced_details(" once the file passes")
    assert details(readiness.in_state(result.readiness, "rejected")) == voiced_details(" once the file passes")
    assert items(rejected)["Duplicates and existing enrollments"]["status"] == "blocking"


def test_nothing_to_migrate_in_each_state(validate_rows):
    ghost = [row("ghost@example.com", "Safety")]
    invalid, skipped = validate_rows(ghost), validate_rows(ghost, skip_invalid_rows=True)
    assert (invalid.state, skipped.state) == ("invalid", "valid")
    # not "none would be migrated once the file passes": the rows fixed by then would be
    assert items(invalid)["Module statuses"]["detail"] == "No row passes the checks yet: no enrollment would be migrated."
    assert items(skipped)["Module statuses"]["detail"] == "No enrollment would be migrated once the file is run."
    assert details(readiness.in_state(skipped.readiness, "applied"), ["Module statuses"]) == {
        "Module statuses": "No enrollment is migrated."}
    assert items(skipped)["Instructor-led shell courses"]["detail"] == (
        "No instructor-led course would receive rows once the file is run.")
    assert items(skipped)["Credits"]["detail"] == "Every course that would receive live completions once the file is run has credits."


# What a detail may say only of rows a run applies.
DONE = (" migrated enrollment", "rows go to", "row goes to", "each becomes", "will be", "admins will", " receiving ",
        "that receives", "course receives", "counts toward", "is migrated")


def test_no_detail_says_rows_are_migrated_unless_the_run_applies_them(voiced, portal_db):
    """Every item's detail, in every state, for files that give each fact item its sentences."""
    checked = [voiced(VOICED), voiced([*VOICED, row("ghost@example.com", "Safety")]),
               voiced([row("ghost@example.com", "Safety")]), voiced([row("ghost@example.com", "Safety")], skip_invalid_rows=True),
               voiced([row("ann@example.com", "Safety", completed="1/6/2024")])]
    portal_db.execute("delete from portal_settings; delete from learning_paths")
    checked += [voiced(VOICED), voiced([row("ann@example.com", "Safety", completed=ARCHIVED)])]
    said = {state: {item["detail"] for result in checked for item in readiness.in_state(result.readiness, state)}
            for state in ("valid", "invalid", "rejected", "applied")}
    for state in ("valid", "invalid", "rejected"):
        assert [detail for detail in said[state] if any(done in detail for done in DONE)] == [], state
    assert any(done in detail for detail in said["applied"] for done in DONE)  # the applied voice does say so


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
