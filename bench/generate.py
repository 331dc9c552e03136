"""Generating realistic migration template files of any size, with the portal they fit.

    .venv/bin/python bench/generate.py --rows 10000000 --out bench/out/data/10000000

Vectorised Polars only, written in blocks of a few million rows, so that memory stays flat
however many rows are asked for (100 million make a file of about 9 GB). Randomness is a seeded
hash of the row's index, so the same size always gives the same file.

The file has the seven template columns, the five statuses (and their real mix), d/m/yyyy dates
with and without zero padding over ten years, scores on Passed/Failed, a user per 20 rows and
200 courses with a skewed popularity, and about 1% faults: bad dates, unknown users, blank
scores on Passed rows, and exact duplicates a little later in the file. The portal holds those
users and courses (licensed and instructor-led courses with room for their rows, certificates,
credits, badges, recertification, two courses with reminders on) and a few of the file's rows as
existing enrollments.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

import polars as pl

IMPORT_DATE = dt.date(2025, 1, 15)
DATE_FORMAT = "%d/%m/%Y"

HEADERS = {
    "login_id": "Login ID",
    "course_name": "Course Name",
    "created_date": "Enrollment Created Date",
    "started_date": "Enrollment Started Date",
    "completed_date": "Enrollment Completed Date",
    "score": "Enrollment Score",
    "status": "Enrollment Status",
}
DATE_HEADERS = ["Enrollment Created Date", "Enrollment Started Date", "Enrollment Completed Date"]

FIRST_NAMES = [
    "ana", "ben", "chloe", "dev", "emma", "farid", "grace", "hugo", "ines", "jon", "kate", "liam",
    "maya", "noah", "olga", "pablo", "quinn", "rosa", "sam", "tara", "umar", "vera", "will",
    "xena", "yusuf", "zoe", "aiko", "bruno", "carla", "dmitri", "elif", "femi", "gita", "hana",
    "ivan", "jade", "kofi", "lena", "marco", "nadia",
]
LAST_NAMES = [
    "silva", "okafor", "martin", "patel", "jones", "haddad", "liu", "berg", "garcia", "smith",
    "nguyen", "kowalski", "murphy", "rossi", "schmidt", "tanaka", "dubois", "novak", "ali",
    "costa", "fischer", "hansen", "ivanova", "jensen", "kim", "lopez", "moreau", "nakamura",
    "obrien", "petrov", "quist", "reyes", "sato", "torres", "usman", "vargas", "weber", "xu",
    "yilmaz", "zhang",
]
TOPICS = [
    "Fire Safety", "Data Protection", "Forklift Operation", "Leadership", "First Aid",
    "Manual Handling", "Anti-Bribery", "Cyber Security", "Diversity and Inclusion",
    "Health, Safety and Wellbeing", "Customer Service", "Food Hygiene", "Working at Height",
    "Project Management", "Excel", "Time Management", "Conflict Resolution", "Code of Conduct",
    "Anti-Money Laundering", "Sales Fundamentals", "Negotiation", "Coaching", "Onboarding",
    "Equipment Safety", "Risk Assessment", "Environmental Awareness", "Lone Working",
    "Mental Health Awareness", "Safeguarding", "Export Controls", "Privacy by Design",
    "Presentation Skills", "Agile Basics", "Change Management", "Ethics, Compliance and You",
    "Quality Management", "Hazardous Substances", "Driver Safety", "Accessibility", "Security Awareness",
]
LEVELS = ["Essentials", "101", "Foundations", "Advanced", "Refresher"]
STATUS_SHARES = [  # (status, cumulative share)
    ("Not Started", 0.15), ("In Progress", 0.35), ("Completed", 0.70), ("Passed", 0.90), ("Failed", 1.0),
]

# Fault shares (of all rows): about 1% in all.
BAD_DATE_SHARE = 0.003
UNKNOWN_USER_SHARE = 0.003
DUPLICATE_SHARE = 0.003
BLANK_PASSED_SCORE_SHARE = 0.001
EXISTING_SHARE = 0.002  # rows the portal already holds (loaded as its existing enrollments)


# --------------------------------------------------------------------------------------------
# Generation: vectorised Polars only. Randomness is a seeded hash of the row index.
# --------------------------------------------------------------------------------------------

_SCALE = 1 << 53


def _uniform(seed: int, index: str = "i") -> pl.Expr:
    """A deterministic pseudo-random number in [0, 1) per row."""
    return (pl.col(index).hash(seed) // (1 << 11)).cast(pl.Float64) / _SCALE


def _pick(seed: int, n: int, index: str = "i") -> pl.Expr:
    return (_uniform(seed, index) * n).floor().cast(pl.Int64)


def _from_list(index: pl.Expr, values: list[str]) -> pl.Expr:
    return index.replace_strict(dict(enumerate(values)), return_dtype=pl.String)


def _dmy(date: pl.Expr, padded: pl.Expr) -> pl.Expr:
    """d/m/yyyy, zero-padded where `padded`."""
    unpadded = pl.format("{}/{}/{}", date.dt.day(), date.dt.month(), date.dt.year())
    return pl.when(padded).then(date.dt.strftime(DATE_FORMAT)).otherwise(unpadded)


def users_frame(n_users: int) -> pl.DataFrame:
    first = _from_list(pl.col("i") % len(FIRST_NAMES), FIRST_NAMES)
    last = _from_list((pl.col("i") // len(FIRST_NAMES)) % len(LAST_NAMES), LAST_NAMES)
    return (
        pl.select(i=pl.int_range(0, n_users, dtype=pl.Int64))
        .with_columns(first=first, last=last)
        .select(
            "i",
            email=pl.format("{}.{}{}@example.com", "first", "last", "i"),
            # one user in ten has no username: their Login ID is always the email
            username=pl.when(pl.col("i") % 10 != 9).then(
                pl.format("{}{}{}", pl.col("first").str.head(1), "last", "i")
            ),
            first_name=pl.col("first").str.to_titlecase(),
            last_name=pl.col("last").str.to_titlecase(),
            login_enabled=pl.when(_uniform(101) < 0.05).then(pl.lit("false")).otherwise(pl.lit("true")),
        )
    )


def course_names() -> list[str]:
    return [f"{topic} {level}" for level in LEVELS for topic in TOPICS]


def base_rows(n: int, n_users: int, n_courses: int, import_date: dt.date, first: int = 0) -> pl.DataFrame:
    """Clean enrollment rows, with the ids they refer to (faults are added afterwards)."""
    today = pl.lit(import_date)
    status_index = pl.lit(len(STATUS_SHARES) - 1)
    u_status = _uniform(3)
    for position, (_, share) in reversed(list(enumerate(STATUS_SHARES))):
        status_index = pl.when(u_status < share).then(pl.lit(position)).otherwise(status_index)
    status = _from_list(status_index, [s for s, _ in STATUS_SHARES])

    created = today - pl.duration(days=1 + _pick(4, 3650))
    started = pl.min_horizontal(created + pl.duration(days=(_uniform(5).pow(3) * 30).floor().cast(pl.Int64)), today)
    completed = pl.min_horizontal(
        pl.col("started_on") + pl.duration(days=(_uniform(6).pow(2) * 90).floor().cast(pl.Int64)), today
    )
    whole_score = pl.when(pl.col("status") == "Passed").then(50 + _pick(8, 51)).otherwise(_pick(8, 50))
    score = (
        pl.when(pl.col("status").is_in(["Passed", "Failed"]))
        .then(
            pl.when(_uniform(9) < 0.1)  # one score in ten has a decimal
            .then(pl.format("{}.5", pl.min_horizontal(whole_score, 99)))
            .otherwise(whole_score.cast(pl.String))
        )
    )
    # Course popularity is skewed: a few mandatory courses take most rows.
    course = (_uniform(2).pow(2) * n_courses).floor().cast(pl.Int64)
    return (
        pl.select(i=pl.int_range(first, first + n, dtype=pl.Int64))
        .with_columns(
            user=_pick(1, n_users),
            course=course,
            status=status,
            created_on=created,
            started_on=started,
            padded=_uniform(7) < 0.3,  # 30% of rows come from a tool that zero-pads
            login_form=_uniform(10),
        )
        .with_columns(
            completed_on=pl.when(pl.col("status").is_in(["Completed", "Passed", "Failed"])).then(completed),
            # Not Started rows often have no Started date; 1% of rows leave Created blank.
            started_on=pl.when((pl.col("status") == "Not Started") & (_uniform(11) < 0.6))
            .then(None)
            .otherwise(pl.col("started_on")),
            created_on=pl.when(_uniform(12) < 0.01).then(None).otherwise(pl.col("created_on")),
            score=score,
        )
    )


def template_rows(base: pl.DataFrame, users: pl.DataFrame, courses: list[str]) -> pl.DataFrame:
    """Base rows as template values: Login ID (email, username or upper-cased email) and dates."""
    with_users = base.join(
        users.select(pl.col("i").alias("user"), "email", "username"), on="user", how="left"
    )
    login = (
        pl.when((pl.col("login_form") < 0.10) & pl.col("username").is_not_null())
        .then(pl.col("username"))
        .when(pl.col("login_form") > 0.97)
        .then(pl.col("email").str.to_titlecase())  # "Ana.Silva12@Example.Com": case-insensitive match
        .otherwise(pl.col("email"))
    )
    return with_users.select(
        "i",
        login_id=login,
        course_name=_from_list(pl.col("course"), courses),
        created_date=_dmy(pl.col("created_on"), pl.col("padded")),
        started_date=_dmy(pl.col("started_on"), pl.col("padded")),
        completed_date=_dmy(pl.col("completed_on"), pl.col("padded")),
        score="score",
        status="status",
        user="user",
        course="course",
    ).sort("i")


def inject_faults(rows: pl.DataFrame, n_duplicates: int) -> pl.DataFrame:
    """About 1% faults: bad dates, unknown users, blank scores on Passed, duplicated rows."""
    n = rows.height
    iso = pl.col("created_date").str.replace(r"^(\d+)/(\d+)/(\d{4})$", "$3-$2-$1")  # ISO-ish
    impossible = pl.format("30/2/{}", pl.col("created_date").str.slice(-4))  # no 30 February
    bad_date = _uniform(20) < BAD_DATE_SHARE
    faulty = rows.with_columns(
        created_date=pl.when(bad_date & pl.col("created_date").is_not_null())
        .then(pl.when(_uniform(21) < 0.5).then(iso).otherwise(impossible))
        .otherwise(pl.col("created_date")),
        login_id=pl.when(_uniform(22) < UNKNOWN_USER_SHARE)
        .then(pl.format("left.company{}@example.com", "i"))
        .otherwise(pl.col("login_id")),
        score=pl.when((pl.col("status") == "Passed") & (_uniform(23) < BLANK_PASSED_SCORE_SHARE / 0.2))
        .then(None)
        .otherwise(pl.col("score")),
        order=pl.col("i"),
        copy=pl.lit(0, pl.Int8),
    )
    # Duplicates: exact copies of random rows, placed a little later in the file.
    first = int(rows["i"].min())
    picks = pl.select(j=pl.int_range(first, first + n_duplicates, dtype=pl.Int64)).select(
        i=first + (_uniform(24, "j") * n).floor().cast(pl.Int64), offset=1 + _pick(25, 2000, "j")
    )
    duplicates = faulty.join(picks, on="i", how="inner").with_columns(
        order=pl.col("i") + pl.col("offset"), copy=pl.lit(1, pl.Int8)
    ).drop("offset")
    return pl.concat([faulty, duplicates]).sort("order", "copy").drop("order", "copy")


def courses_frame(courses: list[str], incoming: pl.DataFrame) -> pl.DataFrame:
    """Portal courses: every course published, reminders off but on two; licensed and
    instructor-led courses have enough seats for the rows they receive (and 20% more)."""
    return (
        pl.DataFrame({"course": range(len(courses)), "name": courses}, schema={"course": pl.Int64, "name": pl.String})
        .join(incoming, on="course", how="left")
        .with_columns(enough=((pl.col("len").fill_null(0) * 1.2).ceil().cast(pl.Int64) + 20).cast(pl.String))
        .select(
            "name",
            published=pl.lit("true"),
            kind=pl.when(pl.col("course") % 10 == 4).then(pl.lit("ilt")).otherwise(pl.lit("elearning")),
            license_seats=pl.when(pl.col("course") % 5 == 1).then("enough"),
            ilt_capacity=pl.when(pl.col("course") % 10 == 4).then("enough"),
            certificate=pl.when(pl.col("course") % 3 == 0).then(pl.format("{} Certificate", "name")),
            certificate_expires_after_days=pl.when(pl.col("course") % 60 == 0).then(pl.lit("1095")),
            recertification=pl.when(pl.col("course") % 12 == 0).then(pl.lit("true")).otherwise(pl.lit("false")),
            credits=pl.when(pl.col("course") % 4 == 0)
            .then(((pl.col("course") % 6) * 0.5 + 0.5).cast(pl.String))
            .otherwise(pl.lit("0")),
            badge=pl.when(pl.col("course") % 7 == 0).then(pl.format("{} Badge", "name")),
            enrollment_reminders=pl.when(pl.col("course").is_in([17, 133])).then(pl.lit("true")).otherwise(pl.lit("false")),
            due_date_reminders=pl.lit("false"),
            overdue_reminders=pl.lit("false"),
            ilt_reminders=pl.lit("false"),
        )
    )




BLOCK_ROWS = 2_000_000
MAX_EXISTING = 10_000
# A learner has about 20 records (a few years of mandatory training): users grow with the file.
USER_SHARE = 20
MAX_USERS = 5_000_000


def generate(work: Path, n_rows: int, import_date: dt.date = IMPORT_DATE) -> dict[str, object]:
    """Write migration.csv, portal_users.csv, portal_courses.csv, portal_enrollments.csv in
    `work`, and generated.json describing them; returns that description."""
    work.mkdir(parents=True, exist_ok=True)
    n_users = min(MAX_USERS, max(50, n_rows // USER_SHARE))
    names = course_names()
    users = users_frame(n_users)
    paths = {
        "migration": work / "migration.csv",
        "users": work / "portal_users.csv",
        "courses": work / "portal_courses.csv",
        "enrollments": work / "portal_enrollments.csv",
    }
    incoming, existing, statuses, written = [], [], [], 0
    with paths["migration"].open("wb") as out:
        for start in range(0, n_rows, BLOCK_ROWS):
            n = min(BLOCK_ROWS, n_rows - start)
            n_duplicates = round(n * DUPLICATE_SHARE)
            base = base_rows(n - n_duplicates, n_users, len(names), import_date, first=start)
            clean = template_rows(base, users, names)
            rows = inject_faults(clean, n_duplicates)
            rows.select(pl.col(list(HEADERS)).name.map(HEADERS.get)).write_csv(out, include_header=start == 0)
            incoming.append(rows.group_by("course").len())
            statuses.append(rows.group_by("status").len())
            # The portal already holds a few of the file's rows (an earlier, partial migration).
            existing.append(clean.filter(_uniform(30) < EXISTING_SHARE))
            written += rows.height
    users.drop("i").write_csv(paths["users"])
    courses_frame(names, pl.concat(incoming).group_by("course").agg(pl.col("len").sum())).write_csv(paths["courses"])
    held = pl.concat(existing).head(MAX_EXISTING)
    held.select(pl.col(list(HEADERS)).name.map(HEADERS.get)).write_csv(paths["enrollments"])
    description = {
        "rows": written,
        "users": n_users,
        "courses": len(names),
        "existing_enrollments": held.height,
        "status_mix": dict(pl.concat(statuses).group_by("status").agg(pl.col("len").sum()).sort("status").iter_rows()),
        "file_bytes": paths["migration"].stat().st_size,
        "import_date": import_date.isoformat(),
    }
    (work / "generated.json").write_text(json.dumps(description, indent=2), encoding="utf-8")
    return description


def generated(work: Path, n_rows: int) -> dict[str, object]:
    """The description of the files in `work`, generating them first if they are not there."""
    described = work / "generated.json"
    if described.exists():
        description = json.loads(described.read_text(encoding="utf-8"))
        if description["rows"] == n_rows:
            return description
    return generate(work, n_rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True, help="folder for the files")
    args = parser.parse_args()
    print(json.dumps(generate(args.out, args.rows), indent=2))


if __name__ == "__main__":
    main()
