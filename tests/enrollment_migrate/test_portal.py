"""Loading the target portal: formats of INTERFACES.md, updates in place, clear refusals."""

from pathlib import Path

import pytest

from conftest import PORTAL_COURSES, PORTAL_USERS, row, write_template
from enrollment_migrate import portal, warehouse
from enrollment_migrate.portal import PortalFileRejected


@pytest.fixture
def con(tmp_path):
    with warehouse.connect(tmp_path / "w.duckdb") as con:
        yield con


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_users_and_courses_load_with_defaults(con, tmp_path):
    users = write(tmp_path, "u.csv", PORTAL_USERS)
    courses = write(tmp_path, "c.csv", PORTAL_COURSES)
    loaded = portal.load_portal(con, users=users, courses=courses)
    assert (loaded.users, loaded.courses) == (5, 10)
    carl = con.execute("select login_enabled from users where email = 'carl@example.com'").fetchone()
    assert carl == (True,)  # blank login_enabled means true
    safety = con.execute(
        "select published, kind, license_seats, credits, badge, recertification "
        "from courses where name = 'Safety'"
    ).fetchone()
    assert safety == (True, "elearning", None, 2.0, "Safe Badge", False)
    assert con.execute("select ilt_capacity from courses where name = 'Workshop'").fetchone() == (1,)


def test_loading_again_updates_and_never_duplicates(con, tmp_path):
    portal.load_portal(con, users=write(tmp_path, "u.csv", PORTAL_USERS))
    first_ids = con.execute("select lower(email), user_id from users order by 1").fetchall()
    changed = PORTAL_USERS.replace(
        "ann@example.com,ann,Ann,Lee,true", "ANN@example.com,ann,Anna,Lee,false"
    )
    portal.load_portal(con, users=write(tmp_path, "u2.csv", changed))
    assert con.execute("select count(*) from users").fetchone() == (5,)
    assert con.execute(
        "select first_name, login_enabled from users where lower(email) = 'ann@example.com'"
    ).fetchone() == ("Anna", False)
    assert con.execute("select lower(email), user_id from users order by 1").fetchall() == first_ids


def test_loading_courses_again_updates_by_name(con, tmp_path):
    portal.load_portal(con, courses=write(tmp_path, "c.csv", PORTAL_COURSES))
    changed = PORTAL_COURSES.replace("Privacy,true,", "Privacy,false,")
    portal.load_portal(con, courses=write(tmp_path, "c2.csv", changed))
    assert con.execute("select count(*) from courses").fetchone() == (10,)
    assert con.execute("select published from courses where name = 'Privacy'").fetchone() == (False,)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("email,username\nann@x.com,a\nnot-an-email,b\n", "row 3, column email"),
        ("email,username\nann@x.com,a\n,b\n", "row 3, column email"),
        ("email,username,login_enabled\nann@x.com,a,yes\n", "row 2, column login_enabled"),
        ("email,username\nann@x.com,a\nANN@x.com,b\n", "row 3, column email"),
        ("username\nann\n", "column email: the column is missing"),
        ("email,nickname\nann@x.com,a\n", "column nickname: not a column"),
    ],
)
def test_malformed_users_file_is_refused_naming_file_row_and_column(con, tmp_path, text, expected):
    path = write(tmp_path, "users.csv", text)
    with pytest.raises(PortalFileRejected) as refused:
        portal.load_portal(con, users=path)
    assert str(path) in str(refused.value)
    assert expected in str(refused.value)
    assert con.execute("select count(*) from users").fetchone() == (0,)


def test_users_file_in_another_encoding_is_refused(con, tmp_path):
    path = tmp_path / "users.csv"
    path.write_bytes("email,first_name\nzoe@x.com,Zoë\n".encode("cp1252"))
    with pytest.raises(PortalFileRejected, match="not UTF-8"):
        portal.load_portal(con, users=path)


@pytest.mark.parametrize(
    ("column", "value"),
    [("license_seats", "ten"), ("kind", "webinar"), ("credits", "-1"), ("published", "maybe")],
)
def test_malformed_courses_file_is_refused(con, tmp_path, column, value):
    values = {"published": "true", "kind": "elearning", "license_seats": "5", "credits": "1"}
    values[column] = value
    text = "name," + ",".join(values) + "\nGood," + ",".join(values.values()) + "\n"
    path = write(tmp_path, "courses.csv", text)
    with pytest.raises(PortalFileRejected, match=f"row 2, column {column}"):
        portal.load_portal(con, courses=path)


def test_a_refused_file_leaves_the_whole_load_undone(con, tmp_path):
    users = write(tmp_path, "u.csv", PORTAL_USERS)
    courses = write(tmp_path, "c.csv", PORTAL_COURSES)
    bad_enrollments = write_template(tmp_path / "e.csv", [row(login="nobody@example.com")])
    with pytest.raises(PortalFileRejected, match="unknown_user"):
        portal.load_portal(con, users=users, courses=courses, enrollments=bad_enrollments)
    counts = con.execute("select (select count(*) from users), (select count(*) from courses)")
    assert counts.fetchone() == (0, 0)


def test_existing_enrollments_are_portal_rows_and_reloading_replaces_them(con, tmp_path):
    portal.load_portal(
        con,
        users=write(tmp_path, "u.csv", PORTAL_USERS),
        courses=write(tmp_path, "c.csv", PORTAL_COURSES),
    )
    rows = [row(), row(course="Safety", status="In Progress", completed="", created="2/1/2024")]
    path = write_template(tmp_path / "e.csv", rows)
    for _ in range(2):
        loaded = portal.load_portal(con, enrollments=path)
    assert loaded.enrollments == 2
    stored = con.execute(
        "select status, run_id, cast(created_at as varchar) from enrollments order by source_row"
    ).fetchall()
    assert [s[:2] for s in stored] == [("Completed", None), ("In Progress", None)]
    assert stored[1][2] == "2024-01-02 00:00:00"


# -- readiness data: learning paths, settings, recertification periods -----------------------------

PATHS = "learning_path,course_name\nOnboarding,Privacy\nOnboarding,SAFETY\nManagers,Privacy\n"


def test_learning_paths_load_by_course_name_and_a_new_file_replaces_them(con, tmp_path):
    portal.load_portal(con, courses=write(tmp_path, "c.csv", PORTAL_COURSES))
    loaded = portal.load_portal(con, learning_paths=write(tmp_path, "p.csv", PATHS))
    assert loaded.learning_paths == 3
    stored = con.execute(
        "select learning_path, name from learning_paths join courses using (course_id) order by all"
    ).fetchall()
    assert stored == [("Managers", "Privacy"), ("Onboarding", "Privacy"), ("Onboarding", "Safety")]
    portal.load_portal(con, learning_paths=write(tmp_path, "p2.csv", "learning_path,course_name\nOnly,Safety\n"))
    assert con.execute("select learning_path from learning_paths").fetchall() == [("Only",)]


def test_a_path_may_name_a_course_the_same_load_adds(con, tmp_path):
    loaded = portal.load_portal(
        con, courses=write(tmp_path, "c.csv", PORTAL_COURSES), learning_paths=write(tmp_path, "p.csv", PATHS)
    )
    assert (loaded.courses, loaded.learning_paths) == (10, 3)


@pytest.mark.parametrize(("text", "expected"), [
    ("learning_path,course_name\nOnboarding,Knitting\n", "row 2, column course_name: 'Knitting' is not a course"),
    ("learning_path,course_name\n,Privacy\n", "row 2, column learning_path: blank"),
    ("learning_path,course_name\nOnboarding,Privacy\nOnboarding,privacy\n", "row 3, column course_name"),
    ("learning_path\nOnboarding\n", "column course_name: the column is missing"),
])
def test_a_bad_learning_paths_file_is_refused_and_changes_nothing(con, tmp_path, text, expected):
    portal.load_portal(con, courses=write(tmp_path, "c.csv", PORTAL_COURSES),
                       learning_paths=write(tmp_path, "p.csv", PATHS))
    before = con.execute("select * from learning_paths order by all").fetchall()
    with pytest.raises(PortalFileRejected, match=expected):
        portal.load_portal(con, learning_paths=write(tmp_path, "bad.csv", text))
    assert con.execute("select * from learning_paths order by all").fetchall() == before


def test_settings_load_true_false_or_unknown_and_a_new_file_replaces_them(con, tmp_path):
    loaded = portal.load_portal(con, settings=write(
        tmp_path, "s.csv", "setting,value\ntraining_history,TRUE\ngamification,\n"
    ))
    assert loaded.settings == 2
    assert con.execute("select setting, value from portal_settings order by 1").fetchall() == [
        ("gamification", None), ("training_history", True),
    ]
    portal.load_portal(con, settings=write(tmp_path, "s2.csv", "setting,value\ngamification,false\n"))
    assert con.execute("select setting, value from portal_settings").fetchall() == [("gamification", False)]


@pytest.mark.parametrize(("text", "expected"), [
    ("setting,value\nreminders,true\n", "row 2, column setting: 'reminders': expected training_history or gamification"),
    ("setting,value\ngamification,yes\n", "row 2, column value: 'yes': expected true or false"),
    ("setting,value\ngamification,true\nGamification,false\n", "row 3, column setting"),
])
def test_a_bad_settings_file_is_refused(con, tmp_path, text, expected):
    with pytest.raises(PortalFileRejected, match=expected):
        portal.load_portal(con, settings=write(tmp_path, "s.csv", text))
    assert con.execute("select count(*) from portal_settings").fetchone() == (0,)


def test_a_course_s_recertification_period_is_optional(con, tmp_path):
    portal.load_portal(con, courses=write(tmp_path, "c.csv", PORTAL_COURSES))
    assert con.execute("select count(*) from courses where recertification_period_days is not null").fetchone() == (0,)
    with_period = "name,recertification,recertification_period_days\nSafety,true,1095\nPrivacy,false,\n"
    portal.load_portal(con, courses=write(tmp_path, "c2.csv", with_period))
    assert con.execute(
        "select name, recertification_period_days from courses where name in ('Safety', 'Privacy') order by 1"
    ).fetchall() == [("Privacy", None), ("Safety", 1095)]
    with pytest.raises(PortalFileRejected, match="column recertification_period_days: '3 years'"):
        portal.load_portal(con, courses=write(tmp_path, "c3.csv", "name,recertification_period_days\nSafety,3 years\n"))
