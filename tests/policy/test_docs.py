"""docs/policies.md is generated from the rules and is never stale, and every rule is documented for a
reviewer: the same check in other rule sets, or none, named in the rule's tags."""

import pytest

from policy import docs
from policy.framework import REGISTRY, load_rules

load_rules()


def test_docs_are_not_stale():
    assert docs.main(["--check"]) == 0, "run: python -m policy.docs"


@pytest.mark.parametrize("rule_id", sorted(REGISTRY))
def test_every_tag_names_a_rule_set_the_page_explains(rule_id):
    assert {t.split(":", 1)[0] for t in REGISTRY[rule_id].tags} <= set(docs.SCHEMES)


def test_the_page_says_which_id_survived_and_lists_every_old_id():
    page = docs.DOC.read_text()
    assert "## Rule ids and old ids" in page
    for rule in REGISTRY.values():
        for old in rule.aliases:
            assert f"| {old} | [{rule.id}](#{rule.id.lower()}) |" in page


def test_the_page_points_nowhere_outside_the_repository():
    page = docs.DOC.read_text()
    assert not any(word in page for word in ("/work/", "shared/", "anchor", "Anchor"))
