"""docs/policies.md is generated from the rules and is never stale; every rule is documented for a
reviewer; every target row of the areas present is a rule or left out with a reason."""

import importlib.util

import pytest

from policy import docs
from policy.framework import REGISTRY, load_rules

load_rules()
ANCHOR_SCHEMES = ("checkov", "fsbp", "cdk-nag", "awsguard", "pss", "compliance-policies")


def test_docs_are_not_stale():
    assert docs.main(["--check"]) == 0, "run: python -m policy.docs"


@pytest.mark.parametrize("rule_id", sorted(REGISTRY))
def test_every_rule_maps_to_a_target_row_an_anchor_or_is_marked_beyond(rule_id):
    tags = REGISTRY[rule_id].tags
    assert (
        any(t.startswith("target:") for t in tags)
        or "groundwork:beyond" in tags
        or any(t.split(":")[0] in ANCHOR_SCHEMES for t in tags)
    )


def test_target_tags_name_real_rows():
    rows = {r["id"] for r in docs.load_targets()["rows"] + docs.load_targets()["beyond"]}
    assert {t for r in REGISTRY.values() for t in r.targets} <= rows


def present_areas():
    return {
        a
        for a in {r["area"] for r in docs.load_targets()["rows"] + docs.load_targets()["beyond"]}
        if importlib.util.find_spec(f"policy.rules.{a}") is not None
    }


def test_every_row_of_the_areas_present_is_covered_or_left_out_with_a_reason():
    covered, reasons = docs.coverage(REGISTRY), docs.left_out()
    open_rows = [
        r["id"]
        for r in docs.load_targets()["rows"] + docs.load_targets()["beyond"]
        if r["area"] in present_areas()
        and r["id"] not in covered
        and not reasons.get(r["id"])
        and r["id"] not in docs.FRAMEWORK_ROWS
    ]
    assert open_rows == []


def test_my_areas_cover_all_thirty_of_their_rows():
    rows = [r["id"] for r in docs.load_targets()["rows"] if r["area"] in ("network", "iam_kms_logging")]
    assert len(rows) == 30
    assert set(rows) <= set(docs.coverage(REGISTRY))
