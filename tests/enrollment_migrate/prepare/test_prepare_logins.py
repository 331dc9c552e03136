"""Logins built from names ({First}.{Last}@example.com): lower-cased, without accents, inner
spaces turned into something or dropped, stray spaces trimmed; the report shows three of them."""

from __future__ import annotations

import pytest

from enrollment_migrate.prepare.mapping import MappingError, parse_mapping
from enrollment_migrate.prepare.pipeline import prepare
from enrollment_migrate.prepare.report import summary_text

EXPORT = ("first,last,course,state\n"
          "Zoë , Ñúñez,Safety,Completed\n"
          "Mary Ann,van der Berg,Safety,Completed\n"
          "  Bob,Lee  ,Safety,Completed\n"
          "Ann,Lee,Safety,Completed\n")


def built(tmp_path, **tidying) -> tuple[list[str], str]:
    path = tmp_path / "export.csv"
    path.write_text(EXPORT, encoding="utf-8")
    done = prepare(path, parse_mapping({"columns": {
        "Login ID": {"format": "{first}.{last}@example.com", **tidying},
        "Course Name": "course", "Enrollment Status": "state",
    }}))
    return done.rows["Login ID"].to_list(), summary_text(done.report.as_dict())


def test_as_written_the_names_are_only_trimmed(tmp_path):
    logins, _ = built(tmp_path)
    assert logins == ["Zoë.Ñúñez@example.com", "Mary Ann.van der Berg@example.com",
                      "Bob.Lee@example.com", "Ann.Lee@example.com"]


def test_lower_case_without_accents_and_inner_spaces_dropped(tmp_path):
    logins, text = built(tmp_path, lower_case=True, strip_accents=True, inner_spaces="")
    assert logins == ["zoe.nunez@example.com", "maryann.vanderberg@example.com",
                      "bob.lee@example.com", "ann.lee@example.com"]
    assert "e.g. zoe.nunez@example.com, maryann.vanderberg@example.com, bob.lee@example.com" in text


def test_inner_spaces_turned_into_a_hyphen(tmp_path):
    logins, _ = built(tmp_path, lower_case=True, inner_spaces="-")
    assert logins[1] == "mary-ann.van-der-berg@example.com"


@pytest.mark.parametrize(("tidying", "message"), [
    ({"lower_case": "yes"}, "lower_case: 'yes' must be true or false"),
    ({"inner_spaces": 3}, "inner_spaces: 3 must be text"),
])
def test_a_tidying_option_of_the_wrong_kind_names_its_key(tidying, message):
    with pytest.raises(MappingError, match=message):
        parse_mapping({"columns": {"Login ID": {"format": "{first}@example.com", **tidying},
                                   "Course Name": "course", "Enrollment Status": "state"}})


def test_tidying_is_for_formats_only():
    with pytest.raises(MappingError, match="a format may add inner_spaces, strip_accents, lower_case"):
        parse_mapping({"columns": {"Login ID": {"column": "user", "lower_case": True},
                                   "Course Name": "course", "Enrollment Status": "state"}})
