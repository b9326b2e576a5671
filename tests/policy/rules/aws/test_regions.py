"""policy/rules/aws/regions.py: STACK-REG-001 fires when a resource of the compliant stack leaves the
allowed regions, stays silent on the compliant stack, and is inert without an allow-list."""

from tests.policy._cases import replaced, stack_fired
from tests.policy.rules._stack import ALLOW_EU, STACK, compliant_findings


def test_stack_rule_fires_on_broken_stack():
    assert "STACK-REG-001" in stack_fired(replaced(STACK, "nodes", {"region": "us-east-1"}), config=ALLOW_EU)


def test_stack_rule_is_silent_on_compliant_stack():
    assert "STACK-REG-001" not in compliant_findings()


def test_region_rule_is_inert_without_an_allow_list():
    assert "STACK-REG-001" not in stack_fired(replaced(STACK, "nodes", {"region": "us-east-1"}))
