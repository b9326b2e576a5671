"""policy/rules/aws/security_groups.py: each rule fires on a broken copy of a compliant security group,
group rule, VPC or prod stack (datastore reachability), and stays silent on the compliant original."""

import pytest

from tests.policy._cases import DROP, baseline_fired, fired, patched, replaced, res, stack_fired
from tests.policy.rules._stack import ALLOW_EU, STACK, compliant_findings
from tests.policy.rules.aws._network import SG, https_from, vpc_stack

SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
SG_INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"

BASELINES = {
    SG: {"description": "endpoints", "ingress": [https_from("10.0.0.0/16")]},
    SG_RULE: {
        "type": "ingress",
        "protocol": "tcp",
        "fromPort": 443.0,
        "toPort": 443.0,
        "cidrBlocks": ["10.0.0.0/16"],
        "description": "HTTPS from the VPC",
    },
    SG_INGRESS: {
        "ipProtocol": "tcp",
        "fromPort": 5432.0,
        "toPort": 5432.0,
        "referencedSecurityGroupId": "sg-1",
        "description": "pg",
    },
}

RESOURCE_CASES = [
    ("AWS-NET-001", SG, {"ingress.0.cidrBlocks": ["0.0.0.0/0"]}),
    ("AWS-NET-001", SG_RULE, {"ipv6CidrBlocks": ["::/0"]}),
    ("AWS-NET-001", SG_INGRESS, {"referencedSecurityGroupId": DROP, "cidrIpv4": "0.0.0.0/0"}),
    ("AWS-NET-003", SG, {"description": DROP}),
    ("AWS-NET-003", SG, {"ingress.0.description": ""}),
    ("AWS-NET-015", SG, {"ingress.0.cidrBlocks": ["203.0.113.0/24"]}),
]


def _case_id(case):
    return f"{case[0]}-{case[1].rsplit(':', 1)[1]}-{'+'.join(case[2])}"


@pytest.mark.parametrize("rule_id, type_, overrides", RESOURCE_CASES, ids=map(_case_id, RESOURCE_CASES))
def test_rule_fires_on_broken_resource(rule_id, type_, overrides):
    assert rule_id in fired(type_, patched(BASELINES[type_], overrides))


@pytest.mark.parametrize("rule_id, type_", sorted({(c[0], c[1]) for c in RESOURCE_CASES}))
def test_rule_is_silent_on_compliant_resource(rule_id, type_):
    assert rule_id not in baseline_fired(type_, BASELINES[type_])


def test_public_ingress_ports_threshold_admits_listed_port():
    config = {"AWS-NET-001": {"publicIngressPorts": [443]}}
    public_https = patched(BASELINES[SG], {"ingress.0.cidrBlocks": ["0.0.0.0/0"]})
    assert "AWS-NET-001" not in fired(SG, public_https, config=config)


def test_carrier_grade_nat_space_counts_as_private():
    assert "AWS-NET-015" not in fired(SG, patched(BASELINES[SG], {"ingress.0.cidrBlocks": ["100.64.0.0/16"]}))


OPEN_EGRESS = {
    "protocol": "-1",
    "fromPort": 0.0,
    "toPort": 0.0,
    "cidrBlocks": ["0.0.0.0/0"],
    "description": "all",
}
VPC_CASES = [
    ("AWS-NET-002", {"db-sg": {"type": SG, "props": {"description": "db", "egress": [OPEN_EGRESS]}}}),
    (
        "AWS-NET-004",
        {
            "db-sg-rule": {
                "type": SG_RULE,
                "props": {"type": "ingress", "protocol": "tcp"},
                "deps": {"securityGroupId": ["db-sg"]},
            }
        },
    ),
    ("AWS-NET-005", {"default-sg": None}),
    (
        "AWS-NET-005",
        {
            "default-sg": {
                "type": DEFAULT_SG,
                "props": {"ingress": [{"protocol": "-1", "self": True}], "egress": []},
                "deps": {"vpcId": ["vpc"]},
            }
        },
    ),
]


@pytest.mark.parametrize("rule_id, change", VPC_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(VPC_CASES)])
def test_stack_rule_fires_on_broken_vpc(rule_id, change):
    assert rule_id in stack_fired(vpc_stack(**change))


@pytest.mark.parametrize("rule_id", sorted({c[0] for c in VPC_CASES}))
def test_stack_rule_is_silent_on_compliant_vpc(rule_id):
    assert rule_id not in stack_fired(vpc_stack())


OPEN_TO_THE_WORLD = res(
    SG_INGRESS,
    "open",
    {
        "securityGroupId": "sg-123",
        "ipProtocol": "tcp",
        "fromPort": 5433.0,
        "toPort": 5433.0,
        "cidrIpv4": "0.0.0.0/0",
    },
    deps={"securityGroupId": ["db-sg"]},
)
REACHABILITY_CASES = [
    lambda s: replaced(s, "db-sg", {"ingress.0.cidrBlocks": ["10.0.0.0/8"]}),
    lambda s: replaced(s, "db", {"vpcSecurityGroupIds": DROP}),
    lambda s: [*s, OPEN_TO_THE_WORLD],
]


@pytest.mark.parametrize(
    "breaks", REACHABILITY_CASES, ids=["cidr-ingress", "no-group", "standalone-open-rule"]
)
def test_datastore_reachability_fires_on_broken_stack(breaks):
    assert "STACK-NET-001" in stack_fired(breaks(STACK), config=ALLOW_EU)


def test_datastore_reachability_is_silent_on_compliant_stack():
    assert "STACK-NET-001" not in compliant_findings()
