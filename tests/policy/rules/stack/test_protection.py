"""policy/rules/stack/protection.py: STACK-PROT-001 fires when a stateful resource of the compliant
prod stack loses `protect`, stays silent on the compliant stack, and does not apply in dev."""

from tests.policy._cases import stack_fired
from tests.policy.rules._stack import ALLOW_EU, STACK, compliant_findings, in_dev


def unprotected(resources: list[dict]) -> list[dict]:
    return [{**r, "protect": False} if r["name"] == "db" else r for r in resources]


def test_stack_rule_fires_on_broken_stack():
    assert "STACK-PROT-001" in stack_fired(unprotected(STACK), config=ALLOW_EU)


def test_stack_rule_is_silent_on_compliant_stack():
    assert "STACK-PROT-001" not in compliant_findings()


def test_the_rule_is_silent_in_dev():
    enabled = {"STACK-PROT-001": "advisory"}  # dev's shipped config disables it; judge the rule's own gate
    assert "STACK-PROT-001" not in stack_fired(in_dev(unprotected(STACK)), environment="dev", config=enabled)
