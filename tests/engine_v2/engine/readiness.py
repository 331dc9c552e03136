"""The readiness checklist (RULES.md §7, INTERFACES.md "The readiness checklist"): every step the
migration guide leaves to a person, checked against the portal and the file, in the guide's order.

Each item is `ok`, `attention`, `blocking` or `unknown` (the portal does not say: a question to
settle with the platform's support, never `ok`), with a one-sentence detail, a count, its rule
where it has one, and at most MAX_NAMED courses or paths. An item is either the rules it gathers
(its status from their findings' severities) or a fact of the portal the guide asks about; both
read what the course checks' queries already returned (engine.verdict), so the checklist costs
no further pass over the rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import polars as pl

from engine_v2.engine.findings import tallied
from schemas import rules
from schemas.rules import Rule, Severity

Status = Literal["ok", "attention", "blocking", "unknown"]
# Each status as a sign and a word, so that it reads without colour (the report page; the
# terminal colours its own).
MARKS = rules.READINESS_MARKS
MAX_NAMED = 20
Facts = dict[str, list[dict[str, Any]]]  # a course check query's name -> its rows


@dataclass(frozen=True)
class Answer:
    status: Status
    detail: str
    count: int = 0
    names: tuple[str, ...] = ()


@dataclass(frozen=True)
class Voice:
    """How a detail speaks of what the file's rows do in the portal: as done, for a run that
    applies them; else as what would happen `when` they are applied."""

    applied: bool
    when: str = ""

    def say(self, done: str, pending: str) -> str:
        return done if self.applied else pending


# A run's state (migration_runs.state) -> the voice of its details. The engine checks a file
# before it knows whether a run will apply it: its items keep a detail in each voice, and the
# summary takes the one of the run's state (in_state).
VOICES = {
    "applied": Voice(True),
    "valid": Voice(False, " once the file is run"),  # a validation: nothing is applied
    "invalid": Voice(False, " once the file passes"),  # and a rejected run
}


@dataclass(frozen=True)
class Item:
    name: str
    rules: tuple[Rule, ...] = ()
    # A fact of the portal the guide asks about, for items that are not (only) rules: given the
    # facts, the findings of the item's rules and the voice of the details, its answer, or None
    # to answer from the rules.
    fact: Callable[[Facts, pl.DataFrame, Voice], Answer | None] | None = None


def _courses(facts: Facts) -> list[dict[str, Any]]:
    return facts.get("course_capacity", [])


def _file(facts: Facts) -> dict[str, Any]:
    return (facts.get("file_archive") or [{"archived": 0}])[0]


def _named(rows: list[dict[str, Any]]) -> tuple[str, ...]:
    return tuple(row["name"] for row in rows)


def _receiving(v: Voice) -> str:
    return v.say("receiving", "that would receive")


def _certificates(facts: Facts, found: pl.DataFrame, v: Voice) -> Answer | None:
    without = [c for c in _courses(facts) if c["live_awarded"] and c["certificate_name"] is None]
    if found.height or not without:
        return None
    return Answer("attention", f"{_n(len(without), 'course')} {_receiving(v)} live completions{v.when} "
                  f"{_verb(len(without), 'award')} no certificate: none {v.say('will', 'would')} be awarded "
                  "for them; link one first if one is due.", len(without), _named(without))


def _credits(facts: Facts, found: pl.DataFrame, v: Voice) -> Answer | None:
    without = [c for c in _courses(facts) if c["live_awarded"] and not c["course_credits"]]
    if not without:
        return Answer("ok", f"Every course {_receiving(v)} live completions{v.when} has credits.")
    return Answer("attention", f"{_n(len(without), 'course')} {_receiving(v)} live completions{v.when} "
                  f"{_verb(len(without), 'carry', 'carries')} no credits: none {v.say('will', 'would')} be "
                  "earned; set them first if they should be.", len(without), _named(without))


def _badges(facts: Facts, found: pl.DataFrame, v: Voice) -> Answer | None:
    awarding = [c for c in _courses(facts) if c["live_awarded"]]
    gamified = _file(facts).get("gamification")
    if found.height or not awarding:
        return None
    if gamified is None:
        return Answer("unknown", "Does the portal use gamification? Badges and points cannot be "
                      "awarded after the migration: ask the platform's support, and load the "
                      "answer with portal load --settings.", len(awarding), _named(awarding))
    return None


def _recertification(facts: Facts, found: pl.DataFrame, v: Voice) -> Answer | None:
    unknown = [c for c in _courses(facts)
               if c["recertification"] and c["archived"] and c["recertification_period_days"] is None]
    if found.height or not unknown:
        return None
    return Answer("unknown", f"How often {_verb(len(unknown), 'do', 'does')} {_n(len(unknown), 'course')} "
                  "with recertification recertify? Archived completions are beyond recertification "
                  "when the period is longer than two years: give recertification_period_days in the "
                  "courses file.", len(unknown), _named(unknown))


def _learning_paths(facts: Facts, found: pl.DataFrame, v: Voice) -> Answer | None:
    archived = _file(facts)["archived"]
    if found.height:
        return None
    if not archived:
        return Answer("ok", f"No archived completions: every completion {v.say('counts', 'would count')} "
                      f"toward learning paths{v.when}.")
    if not _file(facts).get("learning_paths"):
        return Answer("unknown", "Does the portal have learning paths? Archived completions do not "
                      "count toward them: load them with portal load --learning-paths.", archived)
    return Answer("ok", f"No learning path holds a course that {v.say('receives', 'would receive')} archived "
                  f"completions{v.when}.")


def _training_history(facts: Facts, found: pl.DataFrame, v: Voice) -> Answer | None:
    row = _file(facts)
    if found.height:
        return None
    if not row["archived"]:
        return Answer("ok", "No archived rows: Training History is not needed to see them.")
    if row.get("training_history") is None:
        return Answer("unknown", f"Is Training History enabled? The file has {_n(row['archived'], 'archived row')}, "
                      "which admins see only with it: ask the platform's support, and load the "
                      "answer with portal load --settings.", row["archived"])
    return Answer("ok", f"Training History is on: admins {v.say('will', 'would')} see the "
                  f"{_n(row['archived'], 'archived row')}{v.when}.", row["archived"])


def _shell_courses(facts: Facts, found: pl.DataFrame, v: Voice) -> Answer | None:
    ilt = [c for c in _courses(facts) if c["kind"] == "ilt"]
    if not ilt:
        return Answer("ok", f"No instructor-led course {v.say('receives', 'would receive')} rows{v.when}.")
    rows = sum(c["incoming"] for c in ilt)
    return Answer("attention", f"{_n(rows, 'row')} {v.say(_verb(rows, 'go', 'goes'), 'would go')} to "
                  f"{_n(len(ilt), 'instructor-led course')}{v.when}: each {v.say('becomes', 'would become')} the "
                  "shell course's status, not a session's.", rows, _named(ilt))


def _modules(facts: Facts, found: pl.DataFrame, v: Voice) -> Answer | None:
    migrated = sum(c["incoming"] for c in _courses(facts))
    if not migrated:
        if v is VOICES["invalid"]:  # not "none once the file passes": the rows fixed by then would be
            return Answer("ok", "No row passes the checks yet: no enrollment would be migrated.")
        return Answer("ok", v.say("No enrollment is migrated.", f"No enrollment would be migrated{v.when}."))
    if v.applied:
        return Answer("attention", f"The modules of the {_n(migrated, 'migrated enrollment')} are set "
                      "to Not Completed by the platform, whatever the enrollment's status.", migrated)
    return Answer("attention", f"{_n(migrated, 'enrollment')} would be migrated{v.when}: the platform would set "
                  f"{'its' if migrated == 1 else 'their'} modules to Not Completed, whatever the enrollment's "
                  "status.", migrated)


ITEMS = (
    Item("File format and dates", (
        rules.NOT_UTF8, rules.EMPTY_FILE, rules.NOT_CSV_LINE_ENDINGS, rules.MISSING_COLUMN,
        rules.DUPLICATE_COLUMN, rules.UNKNOWN_COLUMN, rules.MALFORMED_ROW, rules.BAD_DATE_FORMAT,
        rules.INVALID_DATE, rules.DATE_BEFORE_1970, rules.DATE_IN_FUTURE, rules.COMPLETED_DATE_REQUIRED,
        rules.COMPLETED_DATE_IGNORED,
    )),
    Item("Learners and courses in the portal", (
        rules.BLANK_LOGIN_ID, rules.BLANK_COURSE_NAME, rules.UNKNOWN_USER, rules.AMBIGUOUS_USER,
        rules.UNKNOWN_COURSE, rules.AMBIGUOUS_COURSE, rules.COURSE_NOT_PUBLISHED,
    )),
    Item("Scores and statuses", (rules.UNKNOWN_STATUS, rules.SCORE_NOT_ALLOWED, rules.SCORE_REQUIRED,
                                 rules.BAD_SCORE)),
    Item("Date sequencing", (rules.DATE_SEQUENCE, rules.ACCESS_EXPIRES_BEFORE_CREATED)),
    Item("Duplicates and existing enrollments", (rules.DUPLICATE_ROW, rules.DUPLICATE_OPEN_ENROLLMENT,
                                                  rules.EXISTING_ENROLLMENT, rules.FILE_ALREADY_MIGRATED)),
    Item("Licenses and ILT places", (rules.LICENSE_SHORTFALL, rules.ILT_CAPACITY_SHORTFALL)),
    Item("Reminders", (rules.REMINDERS_ENABLED,)),
    Item("Certificates", (rules.CERTIFICATE_EXPIRY_SET,), _certificates),
    Item("Credits", (), _credits),
    Item("Badges (gamification)", (rules.BADGES_NOT_RETROACTIVE,), _badges),
    Item("Recertification", (rules.RECERTIFICATION_MULTIPLE_COMPLETIONS, rules.RECERTIFICATION_BEYOND_ARCHIVE),
         _recertification),
    Item("Learning paths and archived data", (rules.LEARNING_PATH_ARCHIVED,), _learning_paths),
    Item("Training History option", (rules.TRAINING_HISTORY_DISABLED,), _training_history),
    Item("Instructor-led shell courses", (), _shell_courses),
    Item("Module statuses", (), _modules),
)


def checklist(
    findings: pl.DataFrame, facts: Facts | None, skip_invalid_rows: bool = False, state: str = "valid"
) -> list[dict[str, Any]]:
    """The checklist's items, in the guide's order, as the JSON summary lists them. `facts`:
    None when the file could not be read (the rest of the list was not checked). A step is
    blocking when its findings would stop the migration: fatal ones always, errors unless
    --skip-invalid-rows drops their rows (then they ask for attention). Each detail is in the
    voice of the check's `state` (valid or invalid); an item whose detail differs in another
    voice keeps each under "details", for in_state."""
    # `findings` as engine.findings.tally counts them (a file's millions of findings are counted
    # where they lie): what each item reads of them.
    findings = tallied(findings)
    items = []
    for item in ITEMS:
        codes = [rule.code for rule in item.rules]
        found = findings.filter(pl.col("rule").is_in(codes))
        voiced: dict[str, Answer | None] = {}
        if facts is None and item is not ITEMS[0]:
            answer = Answer("unknown", "Not checked: the file cannot be read.")
        else:
            voiced = {name: item.fact(facts, found, voice) for name, voice in VOICES.items()} if item.fact else {}
            answer = voiced.get(state) or _from_rules(item, found, skip_invalid_rows)
        details = {name: said.detail for name, said in voiced.items() if said}
        names = answer.names
        shown = list(names[:MAX_NAMED]) + ([f"and {len(names) - MAX_NAMED:,} more"] if len(names) > MAX_NAMED else [])
        most_found = _by_rule(found)["rule"].head(1).to_list()
        items.append({
            "item": item.name,
            "status": answer.status,
            "detail": answer.detail,
            "count": answer.count,
            "rule": (most_found or (codes if len(codes) == 1 else [None]))[0],
            "names": shown,
            **({"details": details} if len(set(details.values())) > 1 else {}),
        })
    return items


def in_state(items: list[dict[str, Any]], state: str) -> list[dict[str, Any]]:
    """The items as the summary of a run in `state` lists them: each detail in the voice of
    what the run did (a rejected run speaks as an invalid file), without the other voices."""
    voice = "invalid" if state == "rejected" else state
    return [{key: item.get("details", {}).get(voice, value) if key == "detail" else value
             for key, value in item.items() if key != "details"} for item in items]


def _from_rules(item: Item, found: pl.DataFrame, skip_invalid_rows: bool) -> Answer:
    if not found.height:
        checked = ", ".join(rule.code for rule in item.rules)
        return Answer("ok", f"No finding ({checked}).")
    stopping = [Severity.FATAL] if skip_invalid_rows else [Severity.FATAL, Severity.ERROR]
    blocking = found.filter(pl.col("severity").is_in(stopping))
    status: Status = "blocking" if blocking.height else "attention"
    said = "; ".join(f"{_n(n, 'finding')} of {code}" for code, n in _by_rule(found).iter_rows())
    names = tuple(dict.fromkeys(v for v in found.filter(pl.col("row").is_null())["value"].to_list() if v))
    return Answer(status, f"{said}.", int(found["findings"].sum()), names)


def _by_rule(found: pl.DataFrame) -> pl.DataFrame:
    """The item's findings counted by rule, most first: the detail lists them, the item names
    the first."""
    return found.group_by("rule").agg(pl.col("findings").sum().alias("len")).sort(["len", "rule"], descending=[True, False])


def _n(number: int, noun: str) -> str:
    """A count in a sentence, its thousands separated: '736,919 archived rows'."""
    return f"{number} {noun}" if number == 1 else f"{number:,} {noun}s"


def with_findings(items: list[dict[str, Any]], findings: pl.DataFrame) -> list[dict[str, Any]]:
    """The checklist again once findings were added to a result (a rejected file): the items made
    of rules alone are answered anew, the others keep their answer, in the voice of a file that
    does not pass."""
    by_name = {item.name: item for item in ITEMS}
    again = checklist(findings, {}, skip_invalid_rows=True, state="invalid")  # what it adds is fatal
    return [fresh if not by_name[old["item"]].fact else {**old, "detail": old.get("details", {}).get("invalid", old["detail"])}
            for old, fresh in zip(items, again, strict=True)]


def _verb(number: int, plural: str, singular: str | None = None) -> str:
    return plural if number != 1 else singular or f"{plural}s"
