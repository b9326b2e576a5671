"""AWS-COST-001: the estimate over the stack's AWS Budget is a finding naming its top drivers and
the keys that lower them; silent within budget; an unpriced type or an unknown input is never a
silent pass; advisory in dev and mandatory in prod, from the shipped policy config."""

from __future__ import annotations

from dataclasses import replace

import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from policy.analyzer import evaluate
from policy.testing import evaluate_stack, rule_ids
from stacks.config import load_stack
from stacks.preflight.capture import Capture
from stacks.preflight.cost import estimate_capture
from tests.policy._cases import res

RULE = "AWS-COST-001"
EKS_MONTH = 0.10 * 730  # EKS control plane, the same in every region (published)


def budget(limit: float) -> dict:
    return res(
        "aws:budgets/budget:Budget",
        "monthly",
        {"budgetType": "COST", "timeUnit": "MONTHLY", "limitUnit": "USD", "limitAmount": f"{limit:.2f}"},
    )


STACK = [
    res("pulumi:providers:aws", "aws", {"region": "eu-west-1"}),
    res("aws:eks/cluster:Cluster", "eks", {"upgradePolicy": {"supportType": "STANDARD"}}),
]


def findings(resources: list[dict], environment: str = "prod"):
    return [f for f in evaluate_stack(resources, environment=environment) if f.rule_id == RULE]


def test_fires_when_the_estimate_is_over_the_budget():
    (finding,) = findings([*STACK, budget(EKS_MONTH - 1)])
    assert finding.status == "violation"
    assert "$73.00 a month, $1.00 over the budget of $72.00" in finding.message
    assert finding.resource_name == "monthly"


def test_silent_within_the_budget():
    assert RULE not in rule_ids(evaluate_stack([*STACK, budget(EKS_MONTH + 1)]))


def test_silent_without_a_budget():
    assert RULE not in rule_ids(evaluate_stack(STACK))


def test_names_the_top_three_drivers_and_the_keys_that_lower_them():
    more = [
        res(
            "aws:msk/cluster:Cluster",
            "kafka",
            {
                "numberOfBrokerNodes": 3.0,
                "enhancedMonitoring": "DEFAULT",
                "brokerNodeGroupInfo": {
                    "instanceType": "kafka.m7g.large",
                    "storageInfo": {"ebsStorageInfo": {"volumeSize": 10.0}},
                },
            },
        ),
        res("aws:ec2/natGateway:NatGateway", "nat", {}),
        res("aws:kms/key:Key", "key", {}),
    ]
    (finding,) = findings([*STACK, *more, budget(10)])
    message = finding.message
    assert "Top drivers: MSK brokers" in message
    assert "kafka.instanceType" in message and "EKS control plane" in message
    assert "NAT gateway hours" in message and "network.natGateways" in message
    assert "KMS key" not in message  # the fourth driver is not named


def test_an_unpriced_type_makes_the_estimate_incomplete_and_fires():
    (finding,) = findings([*STACK, res("aws:redshift/cluster:Cluster", "warehouse", {}), budget(1000)])
    assert "cannot price aws:redshift/cluster:Cluster" in finding.message


def test_an_input_unknown_at_preview_is_undecided_under_budget_not_a_pass():
    unknown = res(
        "aws:msk/cluster:Cluster",
        "kafka",
        {"numberOfBrokerNodes": 3.0, "brokerNodeGroupInfo": {"instanceType": UNKNOWN_STRING_VALUE}},
    )
    (finding,) = findings([*STACK, unknown, budget(10_000)])
    assert finding.status == "indeterminate"


def test_an_input_unknown_at_preview_still_fires_when_the_known_part_is_over():
    unknown = res(
        "aws:msk/cluster:Cluster", "kafka", {"brokerNodeGroupInfo": {"instanceType": UNKNOWN_STRING_VALUE}}
    )
    (finding,) = findings([*STACK, unknown, budget(EKS_MONTH - 1)])
    assert finding.status == "violation"


def test_advisory_in_dev_and_mandatory_in_prod():
    over = [*STACK, budget(1)]
    (dev,) = findings(over, environment="dev")
    (prod,) = findings(over, environment="prod")
    assert (dev.blocking, prod.blocking) == (False, True)


def test_the_pack_prices_prod_exactly_as_preflight_does(captured):
    """One cent under preflight's estimate fires, the estimate itself does not: the pack, on the
    resources it is handed, computes preflight's figure."""
    capture = captured("prod")
    total = estimate_capture(capture, load_stack("prod")).total
    (target,) = capture.of_type("aws:budgets/budget:Budget")

    def with_limit(limit: float) -> Capture:
        resources = [
            replace(r, inputs={**r.inputs, "limitAmount": f"{limit:.2f}"}) if r.urn == target.urn else r
            for r in capture.resources
        ]
        return Capture(capture.stack, resources, capture.outputs)

    def fired(limit: float) -> bool:
        return RULE in {f.rule_id for f in evaluate(with_limit(limit), "prod").violations}

    assert (fired(round(total, 2) - 0.01), fired(round(total, 2) + 0.01)) == (True, False)


@pytest.mark.parametrize("stack", ["dev", "qa", "staging", "prod"])
def test_the_shipped_stacks_are_within_their_budgets(judged, stack):
    assert RULE not in {f.rule_id for f in judged(stack).violations}
