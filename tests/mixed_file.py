"""A template file that fires every kind of rule, rules across rows included, with the rows
that meet in those rules far apart in the file (so in different parts when it is cut)."""

from __future__ import annotations

import csv
import random
from pathlib import Path

from conftest import HEADERS

LOGINS = ["ann@example.com", "bob@example.com", "dora@example.com", "ANN@example.org", "annie",
          "ghost@example.com", "", "carl@example.com"]
COURSES = ["Safety", "Privacy", "Recert", "Licensed", "Workshop", "Noisy", "Expiring", "Twin",
           "Draft Course", "Nowhere", "Multi\nline, course", " privacy "]
STATUSES = ["Completed", "Passed", "Failed", "In Progress", "Not Started", "completed", "Done"]
DATES = ["1/6/2024", "15/1/2025", "3/3/2019", "31/2/2020", "2020-01-01", "", "1/1/1969", "9/9/2030"]


def mixed_rows(n: int) -> list[list[str]]:
    """Rows that fire every kind of rule, spread so that duplicates, a learner's repeats and a
    course's counts fall far apart in the file (and so in different parts)."""
    pick = random.Random(7).choice
    rows = [["bob@example.com", "Recert", "", "", "1/6/2024", "", "Completed"]]
    for _ in range(n):
        status = pick(STATUSES)
        completed = pick(DATES) if status not in ("In Progress", "Not Started") else ""
        score = "" if status == "Completed" else pick(["", "50", "101", "7.5"])
        rows.append([pick(LOGINS), pick(COURSES), "", "", completed, score, status])
    for i in range(0, n, 17):  # exact duplicates of early rows, late in the file
        rows.append(list(rows[i]))
    rows.append(["ann@example.com", "Safety", "", "", "1/6/2024", "", "Completed", "extra", "fields"])
    rows.append([])  # a blank line
    rows.append(["bob@example.com", "Recert", "", "", "15/1/2025", "80", "Passed"])
    rows.append(["dora@example.com", "Privacy", "", "", "", "", "In Progress"])
    return rows


def write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(HEADERS)
        writer.writerows(rows)
    return path
