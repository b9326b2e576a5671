"""policy/rules/aws/vpc.py: each rule fires on a broken copy of a compliant subnet, network ACL, ACL
rule, endpoint or VPC, and stays silent on the compliant original."""

import pytest

from policy.testing import evaluate_stack
from tests.policy._cases import DROP, baseline_fired, fired, patched, stack_fired
from tests.policy.rules.aws._network import ENDPOINT, vpc_stack

SUBNET = "aws:ec2/subnet:Subnet"
NACL = "aws:ec2/networkAcl:NetworkAcl"
NACL_RULE = "aws:ec2/networkAclRule:NetworkAclRule"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"

BASELINES = {
    SUBNET: {"mapPublicIpOnLaunch": False, "tags": {"tier": "public"}},
    NACL: {
        "ingress": [
            {
                "action": "allow",
                "protocol": "tcp",
                "fromPort": 443.0,
                "toPort": 443.0,
                "cidrBlock": "0.0.0.0/0",
                "ruleNo": 100.0,
            },
            {
                "action": "allow",
                "protocol": "-1",
                "fromPort": 0.0,
                "toPort": 0.0,
                "cidrBlock": "10.0.0.0/16",
                "ruleNo": 110.0,
            },
        ]
    },
    NACL_RULE: {
        "egress": True,
        "ruleAction": "allow",
        "protocol": "-1",
        "fromPort": 0.0,
        "toPort": 0.0,
        "cidrBlock": "0.0.0.0/0",
        "ruleNumber": 100.0,
    },
    ENDPOINT: {
        "vpcEndpointType": "Interface",
        "privateDnsEnabled": True,
        "subnetIds": ["s"],
        "securityGroupIds": ["sg"],
    },
}

RESOURCE_CASES = [
    ("AWS-NET-007", SUBNET, {"mapPublicIpOnLaunch": True}),
    ("AWS-NET-009", NACL, {"ingress.0.fromPort": 0.0, "ingress.0.toPort": 1024.0}),
    ("AWS-NET-009", NACL_RULE, {"egress": False}),
    ("AWS-NET-012", ENDPOINT, {"privateDnsEnabled": False}),
    ("AWS-NET-012", ENDPOINT, {"securityGroupIds": DROP}),
]


def _case_id(case):
    return f"{case[0]}-{case[1].rsplit(':', 1)[1]}-{'+'.join(case[2])}"


@pytest.mark.parametrize("rule_id, type_, overrides", RESOURCE_CASES, ids=map(_case_id, RESOURCE_CASES))
def test_rule_fires_on_broken_resource(rule_id, type_, overrides):
    assert rule_id in fired(type_, patched(BASELINES[type_], overrides))


@pytest.mark.parametrize("rule_id, type_", sorted({(c[0], c[1]) for c in RESOURCE_CASES}))
def test_rule_is_silent_on_compliant_resource(rule_id, type_):
    assert rule_id not in baseline_fired(type_, BASELINES[type_])


def test_any_default_vpc_fires():
    """AWS-NET-008 has no compliant default VPC: the stack creates its own."""
    assert "AWS-NET-008" in fired("aws:ec2/defaultVpc:DefaultVpc", {})


def test_a_gateway_endpoint_needs_no_private_dns_or_security_group():
    gateway = {"vpcEndpointType": "Gateway", "routeTableIds": ["rtb"]}
    assert "AWS-NET-012" not in fired(ENDPOINT, gateway)


def test_public_tier_may_map_public_ips_only_when_allowed():
    config = {"AWS-NET-007": {"allowPublicTier": True}}
    public = patched(BASELINES[SUBNET], {"mapPublicIpOnLaunch": True})
    private = patched(public, {"tags.tier": "private"})
    assert "AWS-NET-007" not in fired(SUBNET, public, config=config)
    assert "AWS-NET-007" in fired(SUBNET, private, config=config)


VPC_CASES = [
    ("AWS-NET-006", {"flow-log": None}),
    (
        "AWS-NET-006",
        {
            "flow-log": {
                "type": "aws:ec2/flowLog:FlowLog",
                "props": {"trafficType": "REJECT"},
                "deps": {"vpcId": ["vpc"]},
            }
        },
    ),
    ("AWS-NET-010", {"ep-sts": None}),
    ("AWS-NET-010", {"s3": None}),
    (
        "AWS-NET-011",
        {
            "private-rt": {
                "type": ROUTE_TABLE,
                "deps": {"routes": ["igw"]},
                "props": {
                    "routes": [{"cidrBlock": "0.0.0.0/0", "gatewayId": "igw-1"}],
                    "tags": {"tier": "private"},
                },
            }
        },
    ),
    (
        "AWS-NET-011",
        {
            "private-rt": {"type": ROUTE_TABLE, "props": {"tags": {"tier": "private"}}},
            "default-route": {
                "type": "aws:ec2/route:Route",
                "deps": {"routeTableId": ["private-rt"]},
                "props": {"destinationCidrBlock": "0.0.0.0/0", "gatewayId": "igw-1"},
            },
        },
    ),
    ("AWS-NET-013", {"flow-group": {"type": LOG_GROUP, "props": {"retentionInDays": 365.0}}}),
    (
        "AWS-NET-013",
        {"flow-group": {"type": LOG_GROUP, "props": {"retentionInDays": 7.0, "kmsKeyId": "arn:k"}}},
    ),
    ("AWS-NET-014", {"nat": None}),
]


@pytest.mark.parametrize("rule_id, change", VPC_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(VPC_CASES)])
def test_stack_rule_fires_on_broken_vpc(rule_id, change):
    assert rule_id in stack_fired(vpc_stack(**change))


@pytest.mark.parametrize("rule_id", sorted({c[0] for c in VPC_CASES}))
def test_stack_rule_is_silent_on_compliant_vpc(rule_id):
    assert rule_id not in stack_fired(vpc_stack())


def test_interface_endpoint_list_comes_from_policy_config():
    config = {"AWS-NET-010": {"requiredInterfaceEndpoints": []}}
    assert "AWS-NET-010" not in stack_fired(vpc_stack(**{"ep-sts": None}), config=config)


def test_a_default_route_to_a_gateway_id_unknown_at_preview_is_judged_by_its_dependency():
    from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

    table = {
        "type": ROUTE_TABLE,
        "deps": {"routes": ["igw"]},
        "props": {
            "routes": [{"cidrBlock": "0.0.0.0/0", "gatewayId": UNKNOWN_STRING_VALUE}],
            "tags": {"tier": "database"},
        },
    }
    findings = [f for f in evaluate_stack(vpc_stack(**{"db-rt": table})) if f.rule_id == "AWS-NET-011"]
    assert [f.resource_name for f in findings if f.status == "violation"] == ["db-rt"]
