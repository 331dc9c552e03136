"""Every row-level, duplicate and course-level rule of RULES.md, triggered and not triggered,
and what the engine makes of the rows it accepts: live/archive split, timestamps, awards,
licenses and capacity, options, counts and by_year.

File-level rules (not_utf8, empty_file, missing_column, duplicate_column, unknown_column,
malformed_row) are covered elsewhere; file_already_migrated belongs to `run`.
"""

from __future__ import annotations

import datetime as dt

import pytest

from conftest import HEADERS, IMPORT_DATE, check_rows, row, rules_of, write_template
from enrollment_migrate import portal
from enrollment_migrate.engine import CheckResult, two_year_cutoff
from schemas import rules

ALL_HEADERS = [*HEADERS, "Enrollment Access Expires Date"]

LOGIN, COURSE, STATUS, SCORE = "Login ID", "Course Name", "Enrollment Status", "Enrollment Score"
CREATED, STARTED = "Enrollment Created Date", "Enrollment Started Date"
COMPLETED, EXPIRES = "Enrollment Completed Date", "Enrollment Access Expires Date"
DATE_FIELDS = {CREATED: "created", STARTED: "started", COMPLETED: "completed", EXPIRES: "expires"}

# RULES.md §2 and §7, written out here so that a change in schemas/rules.py cannot pass unnoticed.
SEVERITY = {
    "blank_course_name": "fatal",
    "blank_login_id": "error",
    "unknown_user": "error",
    "ambiguous_user": "error",
    "unknown_course": "error",
    "ambiguous_course": "error",
    "course_not_published": "error",
    "unknown_status": "error",
    "bad_date_format": "error",
    "invalid_date": "error",
    "date_before_1970": "error",
    "date_in_future": "error",
    "completed_date_required": "error",
    "date_sequence": "fatal",
    "access_expires_before_created": "error",
    "score_not_allowed": "fatal",
    "score_required": "error",
    "bad_score": "error",
    "duplicate_row": "skipped",
    "duplicate_open_enrollment": "skipped",
    "completed_date_ignored": "warning",
    "existing_enrollment": "warning",
    "license_shortfall": "fatal",
    "ilt_capacity_shortfall": "fatal",
    "reminders_enabled": "warning",
    "certificate_expiry_set": "warning",
    "recertification_multiple_completions": "warning",
    "learning_path_archived": "warning",
    "recertification_beyond_archive": "warning",
    "training_history_disabled": "warning",
    "badges_not_retroactive": "warning",
}
NOT_HERE = {
    "not_utf8", "empty_file", "not_csv_line_endings", "missing_column", "duplicate_column", "unknown_column",
    "malformed_row", "file_already_migrated",
}

# A valid live row that shares nothing with the rows under test: it is always row 2.
FILLER = row("dora@example.com", "Privacy", "Completed", completed="1/6/2024")


def found(result) -> list[tuple]:
    """(row, column, rule, severity) of every finding, in the engine's order."""
    return [
        (f["row"], f["column"], f["rule"], f["severity"])
        for f in result.findings.iter_rows(named=True)
    ]


def counts(result) -> dict[str, float]:
    c = result.counts
    return {
        "rows": c.rows, "live": c.live, "archived": c.archived, "skipped": c.skipped,
        "errors": c.errors, "warnings": c.warnings,
    }


def stores(result) -> dict[int, str]:
    migrated = result.migrated
    return dict(zip(migrated["row"].to_list(), migrated["store"].to_list(), strict=True))


def open_row(login="ann@example.com", course="Privacy", status="In Progress", **dates):
    return row(login, course, status, completed=dates.pop("completed", ""), **dates)




@pytest.fixture(scope="module")
def batch(shared_portal, tmp_path_factory):
    """batch(key, rows, ...) -> CheckResult, computed once per key for the module (on a store
    without enrollments: no test that uses it holds any)."""
    cache: dict[object, CheckResult] = {}

    def get(key, rows, headers=ALL_HEADERS, import_date=IMPORT_DATE) -> CheckResult:
        if key not in cache:
            path = tmp_path_factory.mktemp("batch") / "migration.csv"
            cache[key] = check_rows(shared_portal, path, rows, headers, import_date)
        return cache[key]

    return get


def test_rule_table_matches_rules_md():
    severities = {code: r.severity.value for code, r in rules.ALL_RULES.items()}
    assert {code: s for code, s in severities.items() if code not in NOT_HERE} == SEVERITY
    assert set(rules.ALL_RULES) == set(SEVERITY) | NOT_HERE


# --------------------------------------------------------------------------------------------
# Row rules: (id, rule, column, row that triggers it, close row that does not, the close row's
# store, or None when the close row breaks another rule instead)


def case(case_id, rule, column, bad, good, store="live"):
    return (case_id, rule, column, bad, good, store)


ROW_CASES = [
    # Login ID
    case("blank-login", "blank_login_id", LOGIN, row(login=""), row(login="ann")),
    case("blank-login-spaces", "blank_login_id", LOGIN, row(login="   "), row(login=" ANN ")),
    case("unknown-user", "unknown_user", LOGIN,
         row(login="nobody@example.com"), row(login="bobby")),
    case("unknown-user-near-miss", "unknown_user", LOGIN,
         row(login="ann@example"), row(login="ANN@Example.com")),
    case("ambiguous-user", "ambiguous_user", LOGIN,
         row(login="ann@example.org"), row(login="annie")),
    case("ambiguous-user-case", "ambiguous_user", LOGIN,
         row(login="ANN@EXAMPLE.ORG"), row(login="carl@example.com")),
    # Course Name
    case("blank-course", "blank_course_name", COURSE, row(course=""), row(course="privacy")),
    case("blank-course-spaces", "blank_course_name", COURSE,
         row(course="  "), row(course="  Privacy  ")),
    case("unknown-course", "unknown_course", COURSE,
         row(course="Privacy 101"), row(course="PRIVACY")),
    case("ambiguous-course", "ambiguous_course", COURSE,
         row(course="twin"), row(course="Workshop")),
    case("course-not-published", "course_not_published", COURSE,
         row(course="Draft Course"), row(course="Recert")),
    # Status
    case("unknown-status", "unknown_status", STATUS,
         row(status="Complete"), row(status="COMPLETED")),
    case("blank-status", "unknown_status", STATUS,
         row(status="", completed=""), row(status="not started", completed="")),
    case("status-inner-spaces", "unknown_status", STATUS,
         open_row(status="In  Progress"), open_row(status="in progress")),
    # Completed Date required
    case("completed-required-completed", "completed_date_required", COMPLETED,
         row(completed=""), row(completed="1/6/2024")),
    case("completed-required-passed", "completed_date_required", COMPLETED,
         row(status="Passed", score="80", completed=""), row(status="Passed", score="80")),
    case("completed-required-failed", "completed_date_required", COMPLETED,
         row(status="Failed", score="20", completed=""), open_row(status="Not Started")),
    # Date order: equal dates are in order; Completed counts only on finished rows
    case("sequence-created-started", "date_sequence", STARTED,
         row(created="2/3/2023", started="1/3/2023", completed="3/3/2023"),
         row(created="1/3/2023", started="1/3/2023", completed="1/3/2023")),
    case("sequence-started-completed", "date_sequence", COMPLETED,
         row(created="1/3/2023", started="3/3/2023", completed="2/3/2023"),
         row(created="1/3/2023", started="2/3/2023", completed="3/3/2023")),
    case("sequence-created-completed", "date_sequence", COMPLETED,
         row(created="2/3/2023", completed="1/3/2023"),
         row(started="2/3/2023", completed="2/3/2023")),
    case("sequence-failed", "date_sequence", COMPLETED,
         row(status="Failed", score="10", started="2/3/2023", completed="1/3/2023"),
         row(status="Failed", score="10", started="1/3/2023", completed="2/3/2023")),
    case("sequence-open-row", "date_sequence", STARTED,
         open_row(created="2/3/2023", started="1/3/2023"),
         open_row("carl@example.com", created="2/3/2023", started="3/3/2023")),
    case("sequence-only-parsed-dates", "date_sequence", STARTED,
         row(created="2/1/2023", started="1/1/2023"), row(created="32/1/2023", started="1/1/2023"),
         None),
    # Access expires
    case("expires-before-created", "access_expires_before_created", EXPIRES,
         row(created="2/3/2023", expires="1/3/2023"), row(created="2/3/2023", expires="2/3/2023")),
    case("expires-created-blank", "access_expires_before_created", EXPIRES,
         row(created="2/3/2023", expires="1/1/2000"), row(expires="1/1/2000")),
    # Score
    case("score-on-completed", "score_not_allowed", SCORE,
         row(score="80"), row(status="Passed", score="80")),
    case("score-on-not-started", "score_not_allowed", SCORE,
         open_row(status="Not Started", score="0"), row(status="Failed", score="0")),
    case("score-on-in-progress", "score_not_allowed", SCORE,
         open_row(status="in progress", score="50"), open_row("dora@example.com")),
    case("score-required-passed", "score_required", SCORE,
         row(status="Passed"), row(status="Passed", score="0")),
    case("score-required-failed", "score_required", SCORE,
         row(status="Failed"), row(status="Failed", score="100")),
    case("score-too-high", "bad_score", SCORE,
         row(status="Passed", score="100.01"), row(status="Passed", score="100")),
    case("score-negative", "bad_score", SCORE,
         row(status="Failed", score="-1"), row(status="Failed", score="0.0")),
    case("score-not-a-number", "bad_score", SCORE,
         row(status="Passed", score="eighty"), row(status="Passed", score="99.5")),
    case("score-percent", "bad_score", SCORE,
         row(status="Passed", score="80%"), row(status="Passed", score=".5")),
    case("score-exponent", "bad_score", SCORE,
         row(status="Passed", score="1e2"), row(status="Passed", score="100.")),
    # Warnings: the row is migrated
    case("completed-date-ignored", "completed_date_ignored", COMPLETED,
         open_row(completed="1/6/2024"), open_row()),
    case("completed-date-ignored-not-started", "completed_date_ignored", COMPLETED,
         open_row("carl@example.com", status="Not Started", completed="1/1/2000"),
         open_row("carl@example.com", status="Not Started")),
]

# Date rules on each of the four date columns: (rule, bad value, close value, close row's store)
DATE_VALUE_CASES = [
    ("bad_date_format", "2024-06-01", "01/06/2024", "live"),
    ("bad_date_format", "1/6/24", "1/6/2024", "live"),
    ("bad_date_format", "1/6/2024 10:00", "1/06/2024", "live"),
    ("bad_date_format", "1.6.2024", "01/6/2024", "live"),
    ("bad_date_format", "001/6/2024", "1/6/2024", "live"),
    ("bad_date_format", "١/٦/٢٠٢٤", "1/6/2024", "live"),  # not ASCII digits: not the shape
    ("invalid_date", "31/2/2024", "29/2/2024", "live"),
    ("invalid_date", "1/13/2024", "1/12/2023", "live"),
    ("invalid_date", "29/2/2023", "28/2/2023", "live"),
    ("invalid_date", "0/6/2024", "1/6/2024", "live"),
    ("date_before_1970", "31/12/1969", "1/1/1970", "archived"),
]
for _column, _field in DATE_FIELDS.items():
    for _rule, _bad, _good, _store in DATE_VALUE_CASES:
        # A Completed row completed 1/6/2024, with Created, Started and Access Expires blank
        # except the column under test.
        if _column == COMPLETED:
            _bad_row, _good_row = row(completed=_bad), row(completed=_good)
        else:
            _bad_row, _good_row = row(**{_field: _bad}), row(**{_field: _good})
            _store = "live"
        ROW_CASES.append(
            case(f"{_rule}-{_field}-{_bad}", _rule, _column, _bad_row, _good_row, _store)
        )
# date_in_future: Created, Started and Completed, not Access Expires (IMPORT_DATE is 15/1/2025)
ROW_CASES += [
    case("future-created", "date_in_future", CREATED,
         open_row(created="16/1/2025"), open_row(created="15/1/2025")),
    case("future-started", "date_in_future", STARTED,
         open_row(started="16/1/2025"), open_row(started="15/1/2025")),
    case("future-completed", "date_in_future", COMPLETED,
         row(completed="16/1/2025"), row(completed="15/1/2025")),
    case("future-completed-next-year", "date_in_future", COMPLETED,
         row(completed="1/1/2026"), row(completed="31/12/2024")),
    case("future-expires-allowed", "date_in_future", CREATED,
         open_row(created="1/2/2025", expires="1/2/2026"),
         open_row(created="1/1/2025", expires="1/2/2026")),
]

ROW_IDS = [case[0] for case in ROW_CASES]
OPEN_WORDS = ("not started", "in progress")
# Courses where rows of one file affect each other (capacity, recertification, course findings).
SHARED_COURSES = ("workshop", "licensed", "recert", "noisy", "expiring")


def _good_batches() -> tuple[list[list[dict[str, str]]], dict[str, tuple[int, int]]]:
    """The close rows, spread over as few files as possible such that no two rows of a file can
    interact (duplicates, open enrollments, course-level rules): case id -> (file, row number)."""
    files: list[list[dict[str, str]]] = []
    keys: list[set] = []
    placed: dict[tuple, tuple[int, int]] = {}
    where: dict[str, tuple[int, int]] = {}
    for case_id, _rule, _column, _bad, good, _store in ROW_CASES:
        written = tuple(good.get(h, "") for h in ALL_HEADERS)
        if written not in placed:
            folded = tuple(value.strip().casefold() for value in written)
            course, status = folded[1], folded[6]
            conflicts = {("exact", folded)}
            if course in SHARED_COURSES:
                conflicts.add(("course", course))
            if status in OPEN_WORDS:
                conflicts.add(("open", course))
            index = next((i for i, used in enumerate(keys) if not used & conflicts), len(files))
            if index == len(files):
                files.append([FILLER])
                keys.append(set())
            files[index].append(good)
            keys[index] |= conflicts
            placed[written] = (index, len(files[index]) + 1)
        where[case_id] = placed[written]
    return files, where


GOOD_FILES, GOOD_PLACES = _good_batches()


def bad_batch(batch) -> CheckResult:
    """Every triggering row in one file, after FILLER: case i is row i + 3."""
    return batch("bad", [FILLER, *(case[3] for case in ROW_CASES)])


def row_findings(result: CheckResult, row_number: int) -> list[tuple]:
    return [f for f in found(result) if f[0] == row_number]


@pytest.mark.parametrize("case_index", range(len(ROW_CASES)), ids=ROW_IDS)
def test_row_rule_triggered(batch, case_index):
    _id, rule, column, _bad, _good, _store = ROW_CASES[case_index]
    result = bad_batch(batch)
    row_number = case_index + 3

    assert row_findings(result, row_number) == [(row_number, column, rule, SEVERITY[rule])]
    migrated = stores(result)
    if SEVERITY[rule] == "warning":
        assert migrated[row_number] == "live"
    else:
        assert row_number not in migrated


def test_row_rule_batch_totals(batch):
    result = bad_batch(batch)
    severities = [SEVERITY[case[1]] for case in ROW_CASES]
    assert [f for f in found(result) if f[0] is None or f[0] == 2] == []
    assert result.state == "invalid"
    assert counts(result) == {
        "rows": len(ROW_CASES) + 1,
        "live": 1 + severities.count("warning"),
        "archived": 0,
        "skipped": 0,
        "errors": severities.count("fatal") + severities.count("error"),
        "warnings": severities.count("warning"),
    }


@pytest.mark.parametrize("case_index", range(len(ROW_CASES)), ids=ROW_IDS)
def test_row_rule_not_triggered(batch, case_index):
    _id, rule, _column, _bad, _good, store = ROW_CASES[case_index]
    file_index, row_number = GOOD_PLACES[_id]
    result = batch(("good", file_index), GOOD_FILES[file_index])

    if store is None:  # the close row breaks another rule instead
        assert rule not in {f[2] for f in row_findings(result, row_number)}
        assert row_number not in stores(result)
        return
    assert row_findings(result, row_number) == []
    assert stores(result)[row_number] == store


@pytest.mark.parametrize("file_index", range(len(GOOD_FILES)))
def test_row_rule_close_files_are_valid(batch, file_index):
    rows = GOOD_FILES[file_index]
    result = batch(("good", file_index), rows)
    expected_errors = sum(
        1 for c in ROW_CASES if c[5] is None and GOOD_PLACES[c[0]][0] == file_index
    )
    assert [f for f in found(result) if f[0] is None] == []
    assert result.state == ("invalid" if expected_errors else "valid")
    c = result.counts
    assert (c.errors, c.warnings, c.skipped) == (expected_errors, 0, 0)
    assert c.live + c.archived == len(rows) - expected_errors


# The first case of each rule, alone in a file after FILLER: what the rule does to the file.
FIRST_CASES = {case[1]: case for case in reversed(ROW_CASES)}


@pytest.mark.parametrize("rule", sorted(FIRST_CASES))
def test_row_rule_effect_on_state_and_counts(validate_rows, rule):
    _id, _rule, column, bad, _good, _store = FIRST_CASES[rule]
    severity = SEVERITY[rule]
    result = validate_rows([FILLER, bad], headers=ALL_HEADERS)

    assert found(result) == [(3, column, rule, severity)]
    blocking = severity in ("fatal", "error")
    assert result.state == ("invalid" if blocking else "valid")
    assert counts(result) == {
        "rows": 2,
        "live": 1 if blocking else 2,
        "archived": 0,
        "skipped": 0,
        "errors": 1 if blocking else 0,
        "warnings": 0 if blocking else 1,
    }
    assert result.migrated["row"].to_list() == ([2] if blocking else [2, 3])


def test_finding_value_and_several_findings_on_one_row(validate_rows):
    result = validate_rows(
        [row("nobody", "Draft Course", "Passed", created="2/13/2023", score="x")],
        headers=ALL_HEADERS,
    )
    assert found(result) == [
        (2, SCORE, "bad_score", "error"),
        (2, COURSE, "course_not_published", "error"),
        (2, CREATED, "invalid_date", "error"),
        (2, LOGIN, "unknown_user", "error"),
    ]
    values = dict(zip(result.findings["rule"], result.findings["value"], strict=True))
    assert values == {
        "bad_score": "x", "course_not_published": "Draft Course", "invalid_date": "2/13/2023",
        "unknown_user": "nobody",
    }
    assert counts(result) == {
        "rows": 1, "live": 0, "archived": 0, "skipped": 0, "errors": 4, "warnings": 0,
    }


def test_score_on_an_unknown_status_is_only_unknown_status(validate_rows):
    # decision: score_not_allowed applies only to the five known statuses
    result = validate_rows([row(status="Done", score="80")])
    assert found(result) == [(2, STATUS, "unknown_status", "error")]


def test_bad_score_and_score_not_allowed_together(validate_rows):
    result = validate_rows([row(score="200")])
    assert found(result) == [
        (2, SCORE, "score_not_allowed", "fatal"),
        (2, SCORE, "bad_score", "error"),
    ]
    assert counts(result)["errors"] == 2


# --------------------------------------------------------------------------------------------
# Duplicates


def test_duplicate_row_same_eight_values_after_trim_and_case_folding(validate_rows):
    first = row("ann@example.com", "Safety", "Passed", created="1/5/2024", started="2/5/2024",
                completed="3/5/2024", score="80", expires="1/1/2030")
    again = row(" ANN@Example.COM ", "safety ", "PASSED", created="1/5/2024", started="2/5/2024",
                completed="3/5/2024", score="80", expires="1/1/2030")
    result = validate_rows([first, FILLER, again, again], headers=ALL_HEADERS)

    assert found(result) == [
        (4, None, "duplicate_row", "skipped"),
        (5, None, "duplicate_row", "skipped"),
    ]
    assert result.state == "valid"
    assert counts(result) == {
        "rows": 4, "live": 2, "archived": 0, "skipped": 2, "errors": 0, "warnings": 0,
    }
    assert result.migrated["row"].to_list() == [2, 3]
    assert result.findings["value"].to_list() == [None, None]
    assert "row 2" in result.findings["message"][0]


@pytest.mark.parametrize(
    "second",
    [
        row(completed="2/6/2024"),
        row(completed="01/06/2024"),  # dates compared as written
        row(created="1/6/2024"),
        row(started="1/6/2024"),
        row(expires="1/1/2030"),
        row(login="ann"),  # same user, different Login ID text
        row(course="Safety"),
        row(status="Passed", score="80"),
    ],
    ids=[
        "completed", "date-as-written", "created", "started", "expires", "login-text", "course",
        "status",
    ],
)
def test_not_a_duplicate_row_when_any_value_differs(validate_rows, second):
    result = validate_rows([row(), second], headers=ALL_HEADERS)
    assert "duplicate_row" not in rules_of(result)
    assert result.counts.skipped == 0
    assert result.counts.live == 2


def test_score_compared_as_written(validate_rows):
    result = validate_rows([row(status="Passed", score="80"), row(status="Passed", score="80.0")])
    assert found(result) == []
    assert result.counts.live == 2


def test_duplicate_open_enrollment_first_row_wins(validate_rows):
    result = validate_rows(
        [
            open_row("ann@example.com", status="In Progress", created="1/1/2024"),
            FILLER,
            open_row("ANN", status="Not Started"),  # same user by username
            open_row("ann@example.com", status="not started", created="2/1/2024"),
        ]
    )
    assert found(result) == [
        (4, None, "duplicate_open_enrollment", "skipped"),
        (5, None, "duplicate_open_enrollment", "skipped"),
    ]
    assert result.state == "valid"
    assert counts(result) == {
        "rows": 4, "live": 2, "archived": 0, "skipped": 2, "errors": 0, "warnings": 0,
    }
    kept = result.migrated.filter(result.migrated["row"] == 2)
    assert kept["status"].to_list() == ["In Progress"]


@pytest.mark.parametrize(
    "second",
    [
        open_row("dora@example.com"),  # another user
        open_row(course="Safety"),  # another course
        row(),  # a finished row beside an open one
        row(status="Failed", score="10"),
    ],
    ids=["other-user", "other-course", "completed", "failed"],
)
def test_no_duplicate_open_enrollment(validate_rows, second):
    result = validate_rows([open_row(), second])
    assert found(result) == []
    assert (result.counts.live, result.counts.skipped) == (2, 0)


def test_exact_duplicate_open_row_is_only_duplicate_row(validate_rows):
    result = validate_rows([open_row(), open_row(), open_row(status="Not Started")])
    assert found(result) == [
        (3, None, "duplicate_row", "skipped"),
        (4, None, "duplicate_open_enrollment", "skipped"),
    ]
    assert (result.counts.live, result.counts.skipped) == (1, 2)


def test_duplicate_rules_ignore_rows_with_errors(validate_rows):
    # Row 2 is an open row with an error: row 3 becomes the first open row and is kept.
    result = validate_rows(
        [
            open_row(created="31/2/2024"),
            open_row(created="1/2/2024"),
            open_row(status="Not Started"),
        ]
    )
    assert found(result) == [
        (2, CREATED, "invalid_date", "error"),
        (4, None, "duplicate_open_enrollment", "skipped"),
    ]
    assert counts(result) == {
        "rows": 3, "live": 1, "archived": 0, "skipped": 1, "errors": 1, "warnings": 0,
    }
    assert result.migrated["row"].to_list() == [3]


def test_duplicate_row_ignores_rows_with_errors(validate_rows):
    # Row 2 has the same eight template values as row 3 but one field too many (malformed_row,
    # error): it is not the "earlier row" of row 3, which is kept.
    values = [row()[h] for h in HEADERS]
    result = validate_rows([[*values, "extra"], values, values])
    assert found(result) == [
        (2, None, "malformed_row", "error"),
        (4, None, "duplicate_row", "skipped"),
    ]
    assert result.migrated["row"].to_list() == [3]
    assert counts(result) == {
        "rows": 3, "live": 1, "archived": 0, "skipped": 1, "errors": 1, "warnings": 0,
    }


def test_duplicate_rules_ignore_rows_with_fatal_findings(validate_rows):
    # A fatal open row (a score) does not make the next open row a duplicate.
    result = validate_rows([open_row(score="5"), open_row(status="Not Started")])
    assert found(result) == [(2, SCORE, "score_not_allowed", "fatal")]
    assert result.migrated["row"].to_list() == [3]


# --------------------------------------------------------------------------------------------
# Existing enrollments


def hold(con, status, completed=None, *, login="ann@example.com", course="Privacy",
         table="enrollments", run_id=None):
    """An enrollment already in the store (run_id null: the portal's own)."""
    completed_at = dt.datetime.combine(completed, dt.time(11)) if completed else None
    con.execute(
        f"""insert into {table}
            (user_id, course_id, status, created_at, started_at, completed_at, run_id)
        select u.user_id, c.course_id, ?, timestamp '2020-01-01', timestamp '2020-01-01', ?, ?
        from users u, courses c where u.email = ? and c.name = ?""",
        [status, completed_at, run_id, login, course],
    )


JUNE, OLD_JUNE = dt.date(2024, 6, 1), dt.date(2020, 6, 1)


@pytest.mark.parametrize(
    "held, file_row, expected",
    [
        (("In Progress", None, "enrollments"), open_row(status="Not Started"), True),
        (("Not Started", None, "enrollments"), open_row(status="In Progress"), True),
        (("Completed", JUNE, "enrollments"), row(completed="1/6/2024"), True),
        (("Passed", JUNE, "enrollments"), row(status="passed", score="90", completed="01/6/2024"),
         True),
        (("Completed", OLD_JUNE, "archived_enrollments"), row(completed="1/6/2020"), True),
        (("In Progress", None, "archived_enrollments"), open_row(), True),
        (("Completed", JUNE, "enrollments"), row(completed="2/6/2024"), False),
        (("Completed", JUNE, "enrollments"), row(status="Passed", score="90"), False),
        (("Completed", JUNE, "enrollments"), open_row(), False),
        (("In Progress", None, "enrollments"), row(), False),
        (("In Progress", None, "enrollments"), open_row("dora@example.com"), False),
        (("In Progress", None, "enrollments"), open_row(course="Safety"), False),
    ],
    ids=[
        "open-open", "open-open-2", "completed-same-date", "passed-same-date", "archived-store",
        "open-in-archive", "other-date", "other-status", "completed-vs-open", "open-vs-completed",
        "other-user", "other-course",
    ],
)
def test_existing_enrollment(validate_rows, portal_db, held, file_row, expected):
    status, completed, table = held
    hold(portal_db, status, completed, table=table)
    archived = int(file_row["Enrollment Completed Date"] == "1/6/2020")

    result = validate_rows([FILLER, file_row])
    assert found(result) == ([(3, None, "existing_enrollment", "warning")] if expected else [])
    assert result.state == "valid"
    assert counts(result) == {
        "rows": 2, "live": 2 - archived, "archived": archived, "skipped": 0, "errors": 0,
        "warnings": int(expected),
    }

    if not expected:
        return
    result = validate_rows([FILLER, file_row], skip_existing=True)
    assert found(result) == ([(3, None, "existing_enrollment", "skipped")] if expected else [])
    assert result.state == "valid"
    assert counts(result) == {
        "rows": 2,
        "live": 1 if expected else 2 - archived,
        "archived": 0 if expected else archived,
        "skipped": int(expected),
        "errors": 0,
        "warnings": 0,
    }
    assert result.migrated["row"].to_list() == ([2] if expected else [2, 3])


@pytest.mark.parametrize(("held", "article"), [("In Progress", "an"), ("Not Started", "a"), ("Completed", "a")])
def test_existing_enrollment_message_reads_as_english(validate_rows, portal_db, held, article):
    hold(portal_db, held, JUNE if held == "Completed" else None)
    result = validate_rows([row() if held == "Completed" else open_row(status=held)])
    assert result.findings["message"].to_list() == [
        f"The portal already holds {article} {held} enrollment for this user and course: "
        "migrating it adds a second one beside it."
    ]


def test_existing_enrollment_from_an_earlier_run_counts(validate_rows, portal_db):
    hold(portal_db, "Completed", JUNE, run_id="earlier-run")
    result = validate_rows([row()])
    assert found(result) == [(2, None, "existing_enrollment", "warning")]


def test_existing_enrollment_loaded_with_portal_load(validate_rows, portal_db, tmp_path):
    existing = write_template(tmp_path / "existing.csv", [open_row(), row(completed="3/3/2024")])
    portal.load_portal(portal_db, enrollments=existing, import_date=IMPORT_DATE)
    result = validate_rows([open_row(status="Not Started"), row(completed="3/3/2024"), row()])
    assert found(result) == [
        (2, None, "existing_enrollment", "warning"),
        (3, None, "existing_enrollment", "warning"),
    ]


# --------------------------------------------------------------------------------------------
# Course-level rules (one finding per course, no row)


def course_rows(course: str, n: int, *, archived: int = 0) -> list[dict[str, str]]:
    """n rows on a course, for distinct users, the first `archived` of them archived."""
    logins = ["ann@example.com", "dora@example.com", "carl@example.com", "bobby", "annie"]
    return [
        row(login, course, completed="1/6/2020" if i < archived else "1/6/2024")
        for i, login in enumerate(logins[:n])
    ]


@pytest.mark.parametrize(
    "course, seats, rule",
    [("Licensed", 2, "license_shortfall"), ("Workshop", 1, "ilt_capacity_shortfall")],
)
def test_capacity_shortfall_counts_archived_rows(validate_rows, course, seats, rule):
    result = validate_rows(course_rows(course, seats + 1, archived=1))
    assert found(result) == [(None, COURSE, rule, "fatal")]
    assert result.findings["value"].to_list() == [course]
    assert result.state == "invalid"
    assert counts(result) == {
        "rows": seats + 1, "live": seats, "archived": 1, "skipped": 0, "errors": 1, "warnings": 0,
    }
    assert validate_rows(course_rows(course, seats + 1), skip_invalid_rows=True).state == "invalid"

    result = validate_rows(course_rows(course, seats, archived=1))
    assert found(result) == []
    assert result.state == "valid"
    assert (result.counts.live, result.counts.archived) == (seats - 1, 1)


@pytest.mark.parametrize(
    "course, seats, rule",
    [("Licensed", 2, "license_shortfall"), ("Workshop", 1, "ilt_capacity_shortfall")],
)
@pytest.mark.parametrize(
    "status, table", [("In Progress", "enrollments"), ("Completed", "archived_enrollments")]
)
def test_capacity_shortfall_counts_enrollments_in_the_store(
    validate_rows, portal_db, course, seats, rule, status, table
):
    # One place is already used (by a user who is not in the file); the file fits only without it.
    hold(portal_db, status, JUNE if status == "Completed" else None, login="ann@example.org",
         course=course, table=table)
    result = validate_rows([FILLER, *course_rows(course, seats)])
    assert found(result) == [(None, COURSE, rule, "fatal")]
    assert result.state == "invalid"
    assert counts(result)["errors"] == 1

    result = validate_rows([FILLER, *course_rows(course, seats - 1)])
    assert found(result) == []
    assert result.state == "valid"


def test_capacity_counts_only_rows_to_be_migrated(validate_rows):
    # Rows dropped by --skip-invalid-rows and skipped duplicates use no license.
    rows = [*course_rows("Licensed", 2), row("carl@example.com", "Licensed", status="Done"),
            course_rows("Licensed", 1)[0]]
    result = validate_rows(rows, skip_invalid_rows=True)
    assert found(result) == [
        (4, STATUS, "unknown_status", "error"),
        (5, None, "duplicate_row", "skipped"),
    ]
    assert result.state == "valid"
    assert (result.counts.live, result.counts.skipped) == (2, 2)


def test_unlimited_courses_have_no_shortfall(validate_rows):
    # Privacy: no license limit; Workshop-like capacity applies only to ILT courses
    result = validate_rows(course_rows("Privacy", 5, archived=2))
    assert found(result) == []
    assert (result.counts.live, result.counts.archived) == (3, 2)


def test_reminders_enabled_once_per_course(validate_rows):
    result = validate_rows([FILLER, *course_rows("Noisy", 3, archived=1)])
    assert found(result) == [(None, COURSE, "reminders_enabled", "warning")]
    assert result.findings["value"].to_list() == ["Noisy"]
    assert "enrollment reminders" in result.findings["message"][0]
    assert result.state == "valid"
    assert counts(result) == {
        "rows": 4, "live": 3, "archived": 1, "skipped": 0, "errors": 0, "warnings": 1,
    }


def test_reminders_enabled_only_for_courses_receiving_rows(validate_rows):
    # Noisy's only row has an error and is dropped: the course receives nothing.
    result = validate_rows([FILLER, row(course="Noisy", status="Done")], skip_invalid_rows=True)
    assert found(result) == [(3, STATUS, "unknown_status", "error")]
    assert result.state == "valid"


def test_certificate_expiry_set(validate_rows):
    result = validate_rows(
        [
            row("ann@example.com", "Expiring", completed="1/6/2024"),  # expires 1/6/2025
            row("dora@example.com", "Expiring", completed="15/1/2023"),  # live, expired 15/1/2024
            row("carl@example.com", "Expiring", "Passed", score="70", completed="14/1/2024"),
            row("bobby", "Expiring", completed="1/6/2020"),  # archived: no certificate
        ]
    )
    assert found(result) == [(None, COURSE, "certificate_expiry_set", "warning")]
    assert result.findings["value"].to_list() == ["Expiring"]
    assert "2 of the 3 migrated certificates" in result.findings["message"][0]
    assert result.state == "valid"
    assert counts(result)["warnings"] == 1


@pytest.mark.parametrize(
    "rows",
    [
        [row(course="Expiring", status="Failed", score="10")],
        [open_row(course="Expiring")],
        [row(course="Expiring", completed="1/6/2020")],  # archived
        [row(course="Safety")],  # a certificate without expiry
    ],
    ids=["failed", "open", "archived", "no-expiry"],
)
def test_no_certificate_expiry_finding_without_certificates(validate_rows, rows):
    result = validate_rows(rows)
    assert found(result) == []
    assert result.state == "valid"


def test_recertification_multiple_completions(validate_rows):
    result = validate_rows(
        [
            row("ann@example.com", "Recert", completed="1/6/2023"),
            row("ann", "Recert", "Failed", score="10", completed="1/6/2024"),
            row("dora@example.com", "Recert", completed="1/6/2024"),
            open_row("ann@example.com", "Recert"),
            row("ANN@example.com", "Recert", "Passed", score="90", completed="2/6/2024"),
        ]
    )
    assert found(result) == [
        (3, None, "recertification_multiple_completions", "warning"),
        (6, None, "recertification_multiple_completions", "warning"),
    ]
    assert "row 2" in result.findings["message"][0]
    assert result.state == "valid"
    assert counts(result) == {
        "rows": 5, "live": 5, "archived": 0, "skipped": 0, "errors": 0, "warnings": 2,
    }


@pytest.mark.parametrize(
    "rows",
    [
        [row("ann@example.com", "Recert"), row("dora@example.com", "Recert")],
        [row("ann@example.com", "Recert"), open_row("ann@example.com", "Recert")],
        [row("ann@example.com", "Privacy"), row("ann", "Privacy", completed="2/6/2024")],
    ],
    ids=["other-user", "open-row", "no-recertification"],
)
def test_no_recertification_finding(validate_rows, rows):
    result = validate_rows(rows)
    assert found(result) == []
    assert result.counts.live == 2


def test_recertification_ignores_archived_completions(validate_rows):
    """The guide: recertification rules do not apply to archived data."""
    result = validate_rows(
        [
            row("ann@example.com", "Recert", completed="1/6/2019"),
            row("ann@example.com", "Recert", completed="1/6/2020"),
            row("ann@example.com", "Recert", completed="1/6/2024"),
        ]
    )
    assert found(result) == []
    assert (result.counts.live, result.counts.archived) == (1, 2)


# --------------------------------------------------------------------------------------------
# Live or archived (§4)


LIVE_CASES = [
    (IMPORT_DATE, "15/1/2023", "live"),
    (IMPORT_DATE, "14/1/2023", "archived"),
    (IMPORT_DATE, "15/1/2025", "live"),
    (IMPORT_DATE, "1/1/1970", "archived"),
    (dt.date(2024, 2, 29), "28/2/2022", "live"),
    (dt.date(2024, 2, 29), "27/2/2022", "archived"),
    (dt.date(2024, 2, 28), "28/2/2022", "live"),
    (dt.date(2024, 2, 28), "27/2/2022", "archived"),
    (dt.date(2024, 3, 1), "28/2/2022", "archived"),
    (dt.date(2024, 3, 1), "1/3/2022", "live"),
]
FINISHED = [("Completed", ""), ("Passed", "60"), ("Failed", "20")]


def live_batch(batch, import_date) -> tuple[CheckResult, list[tuple]]:
    """Every case of one import date, in each finished status, in one file from row 2."""
    cases = [(c, s) for c in LIVE_CASES if c[0] == import_date for s in FINISHED]
    rows = [
        row(status=status, score=score, completed=completed)
        for (_, completed, _), (status, score) in cases
    ]
    return batch(("live", import_date), rows, import_date=import_date), cases


@pytest.mark.parametrize("status", FINISHED, ids=[s for s, _ in FINISHED])
@pytest.mark.parametrize("case", LIVE_CASES, ids=[f"{c[0]}-{c[1]}" for c in LIVE_CASES])
def test_live_or_archived_by_completion_date(batch, case, status):
    result, cases = live_batch(batch, case[0])
    row_number = cases.index((case, status)) + 2
    assert row_findings(result, row_number) == []
    assert stores(result)[row_number] == case[2]


@pytest.mark.parametrize("import_date", sorted({c[0] for c in LIVE_CASES}))
def test_live_or_archived_counts(batch, import_date):
    result, cases = live_batch(batch, import_date)
    archived = sum(1 for (_, _, store), _ in cases if store == "archived")
    assert found(result) == []
    assert result.state == "valid"
    assert counts(result) == {
        "rows": len(cases), "live": len(cases) - archived, "archived": archived, "skipped": 0,
        "errors": 0, "warnings": 0,
    }


def test_two_year_cutoff():
    assert two_year_cutoff(dt.date(2025, 1, 15)) == dt.date(2023, 1, 15)
    assert two_year_cutoff(dt.date(2024, 2, 29)) == dt.date(2022, 2, 28)
    assert two_year_cutoff(dt.date(2026, 2, 28)) == dt.date(2024, 2, 28)


def test_open_rows_are_live_whatever_their_dates(validate_rows):
    result = validate_rows(
        [
            open_row(created="1/1/1970", started="2/1/1970"),
            open_row("dora", status="Not Started", created="1/1/2000", completed="1/1/2001"),
            open_row("carl@example.com"),
        ]
    )
    assert found(result) == [(3, COMPLETED, "completed_date_ignored", "warning")]
    assert stores(result) == {2: "live", 3: "live", 4: "live"}
    assert (result.counts.live, result.counts.archived) == (3, 0)


# --------------------------------------------------------------------------------------------
# Timestamps (§3)


def test_timestamps(validate_rows):
    result = validate_rows(
        [
            row(created="1/3/2023", started="02/03/2023", completed="3/3/2023", expires="1/1/2026"),
            row("dora@example.com"),
            open_row(created="5/5/2020", completed="6/6/2020"),
            open_row("carl@example.com", status="Not Started"),
            row("bobby", status="Failed", score="10.5", completed="1/6/2020"),
        ],
        headers=ALL_HEADERS,
    )
    midnight = dt.datetime(2025, 1, 15)
    assert result.migrated.select(
        "row", "status", "score", "created_at", "started_at", "completed_at", "access_expires_at",
        "store",
    ).rows() == [
        (2, "Completed", None, dt.datetime(2023, 3, 1), dt.datetime(2023, 3, 2),
         dt.datetime(2023, 3, 3, 11), dt.datetime(2026, 1, 1), "live"),
        (3, "Completed", None, midnight, midnight, dt.datetime(2024, 6, 1, 11), None, "live"),
        (4, "In Progress", None, dt.datetime(2020, 5, 5), midnight, None, None, "live"),
        (5, "Not Started", None, midnight, midnight, None, None, "live"),
        (6, "Failed", 10.5, midnight, midnight, dt.datetime(2020, 6, 1, 11), None, "archived"),
    ]


def test_status_stored_in_template_words(validate_rows):
    result = validate_rows([row(status="completed"), open_row("dora", status="NOT STARTED")])
    assert result.migrated["status"].to_list() == ["Completed", "Not Started"]


# --------------------------------------------------------------------------------------------
# Awards (§5)


def test_awards_only_on_live_completed_or_passed_rows(validate_rows):
    result = validate_rows(
        [
            row("ann@example.com", "Safety", completed="1/6/2024"),
            row("dora@example.com", "Safety", "Passed", score="80", completed="15/1/2023"),
            row("carl@example.com", "Safety", "Failed", score="40", completed="1/6/2024"),
            open_row("bobby", "Safety"),
            open_row("annie", "Safety", status="Not Started"),
            row("ann@example.com", "Safety", completed="14/1/2023"),  # archived
            row("dora", "Safety", "Passed", score="90", completed="1/1/2010"),  # archived
            row("ann@example.com", "Privacy"),  # no certificate, no credits, no badge
            row("ann@example.com", "Expiring"),  # certificate and 1 credit, no badge
        ]
    )
    assert found(result) == [(None, COURSE, "certificate_expiry_set", "warning")]
    assert result.migrated.select("row", "store", "certificate", "credits", "badge").rows() == [
        (2, "live", "Safety Cert", 2.0, "Safe Badge"),
        (3, "live", "Safety Cert", 2.0, "Safe Badge"),
        (4, "live", None, None, None),
        (5, "live", None, None, None),
        (6, "live", None, None, None),
        (7, "archived", None, None, None),
        (8, "archived", None, None, None),
        (9, "live", None, None, None),
        (10, "live", "Exp Cert", 1.0, None),
    ]
    c = result.counts
    assert (c.certificates, c.credits, c.badges) == (3, 5, 2)
    assert (c.live, c.archived) == (7, 2)


def test_no_awards_on_rows_that_are_not_migrated(validate_rows):
    result = validate_rows(
        [row(course="Safety"), row(course="Safety"), row("dora", "Safety", status="Done")],
        skip_invalid_rows=True,
    )
    c = result.counts
    assert (c.certificates, c.credits, c.badges) == (1, 2, 1)


# --------------------------------------------------------------------------------------------
# RunOptions, counts and by_year


def mixed_rows():
    return [
        row(),  # 2 live
        row("dora@example.com", completed="1/6/2020"),  # 3 archived
        row(),  # 4 duplicate_row
        open_row("carl@example.com", completed="1/1/2024"),  # 5 live, warning
        row("nobody"),  # 6 error
        row("bobby", status="Done", created="31/2/2020"),  # 7 two errors
        open_row("carl@example.com", status="Not Started"),  # 8 duplicate_open_enrollment
    ]


def test_counts_identity_without_skip_invalid_rows(validate_rows):
    result = validate_rows(mixed_rows())
    assert result.state == "invalid"
    assert counts(result) == {
        "rows": 7, "live": 2, "archived": 1, "skipped": 2, "errors": 3, "warnings": 1,
    }
    blocked = result.findings.filter(result.findings["severity"].is_in(["fatal", "error"]))
    rows_with_errors = blocked["row"].n_unique()
    assert rows_with_errors == 2
    c = result.counts
    assert c.rows == c.live + c.archived + c.skipped + rows_with_errors
    assert result.rule_counts == {
        "completed_date_ignored": 1, "duplicate_open_enrollment": 1, "duplicate_row": 1,
        "invalid_date": 1, "unknown_status": 1, "unknown_user": 1,
    }


def test_skip_invalid_rows_drops_rows_with_errors(validate_rows):
    result = validate_rows(mixed_rows(), skip_invalid_rows=True)
    assert result.state == "valid"
    assert counts(result) == {
        "rows": 7, "live": 2, "archived": 1, "skipped": 4, "errors": 3, "warnings": 1,
    }
    c = result.counts
    assert c.rows == c.live + c.archived + c.skipped
    assert result.migrated["row"].to_list() == [2, 3, 5]


def test_skip_invalid_rows_does_not_override_fatal(validate_rows):
    result = validate_rows([*mixed_rows(), row(course="")], skip_invalid_rows=True)
    assert result.state == "invalid"
    assert counts(result) == {
        "rows": 8, "live": 2, "archived": 1, "skipped": 5, "errors": 4, "warnings": 1,
    }


def test_skip_existing_with_identity(validate_rows, portal_db):
    hold(portal_db, "Completed", JUNE)
    result = validate_rows([*mixed_rows()[:4]], skip_existing=True)
    assert found(result) == [
        (2, None, "existing_enrollment", "skipped"),
        (4, None, "duplicate_row", "skipped"),
        (5, COMPLETED, "completed_date_ignored", "warning"),
    ]
    assert result.state == "valid"
    assert counts(result) == {
        "rows": 4, "live": 1, "archived": 1, "skipped": 2, "errors": 0, "warnings": 1,
    }


def test_valid_file_state_and_counts(validate_rows):
    result = validate_rows([row(), open_row("dora")])
    assert result.state == "valid"
    assert counts(result) == {
        "rows": 2, "live": 2, "archived": 0, "skipped": 0, "errors": 0, "warnings": 0,
    }


def test_by_year(validate_rows):
    result = validate_rows(
        [
            row("ann@example.com", "Privacy", completed="1/6/2024"),
            row("dora", "Privacy", "Passed", score="70", created="1/1/2019", completed="3/3/2021"),
            row("carl@example.com", "Privacy", "Failed", score="10", completed="31/12/2024"),
            open_row("ann@example.com", "Safety", created="5/5/2019"),
            open_row("dora@example.com", "Safety", status="Not Started"),  # created blank: 2025
            open_row("carl@example.com", "Safety", created="1/1/2024", completed="1/1/2020"),
            row("bobby", "Privacy", completed="1/1/2015"),  # archived, still counted
            row("nobody", "Privacy", completed="1/1/2016"),  # error: not counted
            row("ann@example.com", "Privacy", completed="1/6/2024"),  # duplicate: not counted
        ],
        skip_invalid_rows=True,
    )
    assert result.by_year == [
        {"year": 2015, "completed": 1, "open": 0},
        {"year": 2019, "completed": 0, "open": 1},
        {"year": 2021, "completed": 1, "open": 0},
        {"year": 2024, "completed": 2, "open": 1},
        {"year": 2025, "completed": 0, "open": 1},
    ]


def test_by_year_blank_created_uses_import_year(validate_rows):
    result = validate_rows([open_row()], import_date=dt.date(2030, 7, 1))
    assert result.by_year == [{"year": 2030, "completed": 0, "open": 1}]


def test_every_rule_is_covered():
    covered = {case[1] for case in ROW_CASES} | {
        "duplicate_row", "duplicate_open_enrollment", "existing_enrollment", "license_shortfall",
        "ilt_capacity_shortfall", "reminders_enabled", "certificate_expiry_set",
        "recertification_multiple_completions", "learning_path_archived", "recertification_beyond_archive",
        "training_history_disabled", "badges_not_retroactive",
    }
    assert covered == set(SEVERITY)


# -- readiness (RULES.md §7): what archived data and the portal's options will not do -------------


def setting(con, name: str, value: bool | None) -> None:
    con.execute("insert into portal_settings (setting, value) values (?, ?)", [name, value])


def path_of(con, path: str, *courses: str) -> None:
    con.execute(
        "insert into learning_paths (learning_path, course_id) select ?, course_id from courses "
        "where list_contains(?, name)", [path, list(courses)],
    )


@pytest.fixture
def recertifies_every(portal_db):
    """recertifies_every(days): the Recert course's recertification period, for the test."""
    def given(days: int | None) -> None:
        portal_db.execute("update courses set recertification_period_days = ? where name = 'Recert'", [days])

    yield given
    given(None)


ARCHIVED = "1/6/2020"  # completed before the two-year cut-off (15/1/2023)


def test_learning_path_archived_once_per_path_with_its_learners_and_rows(validate_rows, portal_db):
    path_of(portal_db, "Onboarding", "Privacy", "Safety")
    path_of(portal_db, "Managers", "Safety")
    result = validate_rows([
        row("ann@example.com", "Privacy", completed=ARCHIVED),
        row("dora@example.com", "Privacy", completed="1/6/2019"),
        row("ann@example.com", "Safety", completed="1/7/2020"),
        row("carl@example.com", "Safety", completed="1/6/2024"),  # live: counts toward the paths
    ])
    assert found(result) == [
        (None, None, "learning_path_archived", "warning"),
        (None, None, "learning_path_archived", "warning"),
    ]
    by_path = dict(zip(result.findings["value"], result.findings["message"], strict=True))
    assert by_path["Onboarding"].startswith("Learning path 'Onboarding': 3 archived completions of 2 learners "
                                            "(Privacy, Safety)")
    assert by_path["Managers"].startswith("Learning path 'Managers': 1 archived completion of 1 learner (Safety)")
    assert result.state == "valid"


@pytest.mark.parametrize("paths", [{}, {"Onboarding": ("Privacy",)}], ids=["no-paths", "live-only"])
def test_no_learning_path_finding_without_archived_rows_on_its_courses(validate_rows, portal_db, paths):
    for path, courses in paths.items():
        path_of(portal_db, path, *courses)
    result = validate_rows([row("ann@example.com", "Privacy", completed="1/6/2024"),
                            row("dora@example.com", "Safety", completed=ARCHIVED)])
    assert found(result) == []


def test_recertification_beyond_archive_once_per_course(validate_rows, recertifies_every):
    recertifies_every(1095)  # three years: longer than the two-year window
    result = validate_rows([row("ann@example.com", "Recert", completed=ARCHIVED),
                            row("dora@example.com", "Recert", completed="1/6/2019")])
    assert found(result) == [(None, COURSE, "recertification_beyond_archive", "warning")]
    assert result.findings["value"].to_list() == ["Recert"]
    assert "every 1095 days, longer than the two-year window (731 days)" in result.findings["message"][0]
    assert "its 2 archived completions" in result.findings["message"][0]


@pytest.mark.parametrize(("days", "completed"), [(730, ARCHIVED), (None, ARCHIVED), (1095, "1/6/2024")],
                         ids=["within-window", "period-unknown", "live-only"])
def test_no_recertification_beyond_archive(validate_rows, recertifies_every, days, completed):
    recertifies_every(days)
    assert found(validate_rows([row("ann@example.com", "Recert", completed=completed)])) == []


def test_training_history_disabled_once_per_file(validate_rows, portal_db):
    setting(portal_db, "training_history", False)
    result = validate_rows([row("ann@example.com", "Privacy", completed=ARCHIVED),
                            row("dora@example.com", "Safety", completed="1/6/2019")])
    assert found(result) == [(None, None, "training_history_disabled", "warning")]
    assert result.findings["message"][0].startswith("The file has 2 archived rows")
    assert result.state == "valid"


@pytest.mark.parametrize(("value", "completed"), [(True, ARCHIVED), (None, ARCHIVED), (False, "1/6/2024")],
                         ids=["on", "not-known", "no-archived-rows"])
def test_no_training_history_finding(validate_rows, portal_db, value, completed):
    setting(portal_db, "training_history", value)
    assert found(validate_rows([row("ann@example.com", "Privacy", completed=completed)])) == []


def test_badges_not_retroactive_once_per_course_without_a_badge(validate_rows, portal_db):
    setting(portal_db, "gamification", True)
    result = validate_rows([
        row("ann@example.com", "Privacy", completed="1/6/2024"),
        row("dora@example.com", "Privacy", "Passed", score="80", completed="2/6/2024"),
        row("carl@example.com", "Safety", completed="1/6/2024"),  # Safety has a badge
    ])
    assert found(result) == [(None, COURSE, "badges_not_retroactive", "warning")]
    assert result.findings["value"].to_list() == ["Privacy"]
    assert "receives 2 live completions" in result.findings["message"][0]


@pytest.mark.parametrize(("value", "rows"), [
    (False, [row("ann@example.com", "Privacy", completed="1/6/2024")]),
    (None, [row("ann@example.com", "Privacy", completed="1/6/2024")]),
    (True, [row("ann@example.com", "Privacy", completed=ARCHIVED)]),
    (True, [open_row("ann@example.com", "Privacy")]),
    (True, [row("ann@example.com", "Privacy", "Failed", score="10", completed="1/6/2024")]),
], ids=["not-gamified", "not-known", "archived-only", "open-only", "failed-only"])
def test_no_badges_finding(validate_rows, portal_db, value, rows):
    setting(portal_db, "gamification", value)
    assert found(validate_rows(rows)) == []
