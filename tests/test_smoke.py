from conftest import row, rules_of


def test_valid_row_has_no_findings(validate_rows):
    result = validate_rows([row()])
    assert result.state == "valid"
    assert rules_of(result) == set()
    assert result.counts.live == 1
