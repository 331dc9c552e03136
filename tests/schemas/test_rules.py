"""The rule catalogue is the contract of RULES.md: same codes, same severities, no extras."""

import re

from conftest import SHARED
from schemas.rules import ALL_RULES

RULES_MD = SHARED / "spec" / "RULES.md"


def documented_rules() -> dict[str, tuple[str, bool]]:
    """code -> (severity, specified but not built yet: its severity is in bold)."""
    table_row = re.compile(r"^\| `([a-z0-9_]+)` \| (\*\*)?(fatal|error|skipped|warning)(?:\*\*)? \|", re.M)
    return {code: (severity, bool(bold)) for code, bold, severity in table_row.findall(RULES_MD.read_text(encoding="utf-8"))}


def test_every_documented_rule_is_defined_with_its_severity():
    documented = documented_rules()
    assert len(documented) >= 34
    built = {code: severity for code, (severity, later) in documented.items() if not later}
    assert built.items() <= {code: rule.severity.value for code, rule in ALL_RULES.items()}.items()


def test_every_defined_rule_is_documented_with_its_severity_including_those_built_ahead():
    """A rule RULES.md writes in bold (not built yet) is held to its row as soon as it is built."""
    documented = documented_rules()
    assert set(ALL_RULES) <= set(documented)
    assert {code: rule.severity.value for code, rule in ALL_RULES.items()} == {
        code: documented[code][0] for code in ALL_RULES
    }


def test_every_rule_says_what_it_means_and_how_to_fix_it():
    """The report page's rule lines come from here: one text per rule, none left blank."""
    for rule in ALL_RULES.values():
        assert rule.summary.strip() and rule.fix.strip(), rule.code
        assert rule.fix.endswith("."), rule.code
    assert len({rule.fix for rule in ALL_RULES.values()}) == len(ALL_RULES)
