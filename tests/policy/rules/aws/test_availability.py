"""policy/rules/aws/availability.py: STACK-HA-001 fires on a copy of the compliant prod stack that
loses an AZ in one layer, stays silent on the compliant stack, and does not apply in dev."""

import pytest

from tests.policy._cases import replaced, stack_fired
from tests.policy.rules._stack import ALLOW_EU, NAT, STACK, compliant_findings, in_dev

CASES = [
    lambda s: replaced(s, "private-c", {"availabilityZone": "eu-west-1a"}),
    lambda s: replaced(s, "kafka", {"numberOfBrokerNodes": 4.0}),
    lambda s: replaced(s, "nodes", {"scalingConfig.minSize": 1.0}),
    lambda s: replaced(s, "nodes", {"subnetIds": ["private-a", "private-b"]}),
]
IDS = ["subnets-in-two-zones", "brokers-uneven", "fewer-nodes-than-zones", "nodes-in-two-zones"]


@pytest.mark.parametrize("breaks", CASES, ids=IDS)
def test_stack_rule_fires_on_broken_stack(breaks):
    assert "STACK-HA-001" in stack_fired(breaks(STACK), config=ALLOW_EU)


def test_stack_rule_is_silent_on_compliant_stack():
    assert "STACK-HA-001" not in compliant_findings()


@pytest.mark.parametrize("breaks", CASES, ids=IDS)
def test_the_rule_is_silent_in_dev(breaks):
    enabled = {"STACK-HA-001": "advisory"}  # dev's shipped config disables it; judge the rule's own env gate
    assert "STACK-HA-001" not in stack_fired(in_dev(breaks(STACK)), environment="dev", config=enabled)


def test_three_nat_gateways_in_one_zone_are_not_one_per_zone():
    same_zone = [
        replaced([r], r["name"], {"subnetId": "private-a"})[0] if r["type"] == NAT else r for r in STACK
    ]
    assert "STACK-HA-001" in stack_fired(same_zone)
