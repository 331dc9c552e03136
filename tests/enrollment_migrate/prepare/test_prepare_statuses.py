"""Statuses: mapped as the mapping says, template words as themselves, nothing guessed."""

from __future__ import annotations

import polars as pl

from enrollment_migrate.prepare.vocabulary import ROW
from enrollment_migrate.prepare.statuses import map_statuses


def statuses(words: list[str | None], mapping: dict[str, str]):
    frame = pl.DataFrame({ROW: range(2, 2 + len(words)), "State": words}, schema={ROW: pl.Int64, "State": pl.String})
    return map_statuses(frame, "State", mapping)


def test_words_map_trimmed_and_case_insensitive():
    mapped = statuses(["Done", " DONE ", "passed", "Withdrawn"], {"done": "Completed", "passed": "Passed", "withdrawn": "drop"})
    assert mapped.statuses.to_list() == ["Completed", "Completed", "Passed", "drop"]
    assert mapped.mapped == [
        {"from": "Done", "to": "Completed", "rows": 2},
        {"from": "passed", "to": "Passed", "rows": 1},
        {"from": "Withdrawn", "to": "drop", "rows": 1},
    ]
    assert mapped.decisions == []


def test_template_words_stand_for_themselves_unless_mapped():
    mapped = statuses(["completed", "In progress", "Failed"], {"failed": "In Progress"})
    assert mapped.statuses.to_list() == ["Completed", "In Progress", "In Progress"]


def test_unmapped_words_are_reported_with_counts_never_guessed():
    # "Complete" and "Passed!" look like template words; they are still the admin's to decide.
    mapped = statuses(["Complete", "Passed!", "Complete", "Completed", None], {})
    assert mapped.statuses.to_list() == [None, None, None, "Completed", None]
    (decision,) = mapped.decisions
    assert decision.kind == "unmapped_statuses"
    assert "'Complete' (2 rows), 'Passed!' (1 rows), '(blank)' (1 rows)" in decision.message
    assert 'a blank status is mapped under the key ""' in decision.message
    assert [e["row"] for e in decision.examples] == [2, 3, 4, 6]


def test_a_blank_status_can_be_mapped():
    mapped = statuses([None, ""], {"": "Not Started"})
    assert mapped.statuses.to_list() == ["Not Started", "Not Started"]
    assert mapped.mapped == [{"from": "(blank)", "to": "Not Started", "rows": 2}]
