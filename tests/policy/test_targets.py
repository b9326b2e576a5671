"""policy/targets.json, the table of checks the pack was designed against, is self-describing and
accounted for: every row is implemented by real rules, by the framework, or left out with a reason;
a row that exactly one rule implements under another name is that rule's old id; the table says
nothing about enforcement (which lives in policy/config) and points nowhere outside the repository."""

import re

import pytest

from policy.docs import TARGETS, coverage, load_targets
from policy.framework import ALIASES, RULE_ID, load_rules

ROWS = load_targets()["rows"]
RULES = load_rules()


def test_the_table_describes_itself_and_each_of_its_fields():
    table = load_targets()
    assert len(table["description"]) > 200
    assert {k for row in ROWS for k in row} <= set(table["fields"])


@pytest.mark.parametrize("row", ROWS, ids=[r["id"] for r in ROWS])
def test_every_row_is_implemented_or_left_out_with_a_reason(row):
    assert RULE_ID.match(row["id"])
    assert row["rules"] or len(row.get("leftOut", "")) >= 40 or len(row.get("framework", "")) >= 40


def test_every_rule_a_row_names_exists():
    assert {r for row in ROWS for r in row["rules"]} <= set(RULES)


def test_a_row_one_rule_implements_under_another_name_is_that_rules_old_id():
    for row in ROWS:
        if len(row["rules"]) == 1 and row["rules"][0] != row["id"]:
            assert ALIASES.get(row["id"]) == row["rules"][0], row["id"]


def test_every_old_id_is_a_row_of_the_rule_or_its_former_id():
    rows = coverage(ROWS)
    for old, rule_id in ALIASES.items():
        assert old in rows.get(rule_id, []) or old.replace("STK-", "STACK-") == rule_id, old


def test_the_table_holds_no_enforcement_levels_and_no_outside_references():
    text = TARGETS.read_text()
    assert not re.search(r'"(devProd|enforce\w*|severity)"', text)
    assert not re.search(r"/work/|shared/|section \d|anchor", text, re.IGNORECASE)


def test_the_abbreviations_of_every_equivalent_are_explained():
    sources = " ".join(load_targets()["equivalentSources"])
    used = {
        m
        for row in ROWS
        for m in re.findall(r"\b(CKV2|CKV|FSBP|NAG|NIST|AG|CP|PSS|OPA|EX)\b", row["equivalents"])
    }
    assert all(abbreviation in sources for abbreviation in used)
