"""Every network rule fires on a minimal bad resource and stays silent on a good one, through the
pack's analyzer (pulumi_policy's servicer), in prod."""

import pytest

from policy.testing import evaluate_resource, evaluate_stack, rule_ids

SG = "aws:ec2/securityGroup:SecurityGroup"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
SG_INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SUBNET = "aws:ec2/subnet:Subnet"
NACL = "aws:ec2/networkAcl:NetworkAcl"
NACL_RULE = "aws:ec2/networkAclRule:NetworkAclRule"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
VPC = "aws:ec2/vpc:Vpc"


def https_from(cidr):
    return {
        "protocol": "tcp",
        "fromPort": 443.0,
        "toPort": 443.0,
        "cidrBlocks": [cidr],
        "description": "HTTPS",
    }


RESOURCE_CASES = [
    # rule, type, bad props, good props
    (
        "AWS-NET-001",
        SG,
        {"description": "d", "ingress": [https_from("0.0.0.0/0")]},
        {"description": "d", "ingress": [https_from("10.0.0.0/16")]},
    ),
    (
        "AWS-NET-001",
        SG_RULE,
        {
            "type": "ingress",
            "protocol": "tcp",
            "fromPort": 22.0,
            "toPort": 22.0,
            "ipv6CidrBlocks": ["::/0"],
            "description": "ssh",
        },
        {
            "type": "egress",
            "protocol": "tcp",
            "fromPort": 443.0,
            "toPort": 443.0,
            "cidrBlocks": ["0.0.0.0/0"],
            "description": "out",
        },
    ),
    (
        "AWS-NET-001",
        SG_INGRESS,
        {"ipProtocol": "-1", "cidrIpv4": "0.0.0.0/0", "description": "all"},
        {
            "ipProtocol": "tcp",
            "fromPort": 5432.0,
            "toPort": 5432.0,
            "referencedSecurityGroupId": "sg-1",
            "description": "pg",
        },
    ),
    (
        "AWS-NET-003",
        SG,
        {"ingress": [https_from("10.0.0.0/16")]},
        {"description": "endpoints", "ingress": [https_from("10.0.0.0/16")]},
    ),
    (
        "AWS-NET-003",
        SG,
        {"description": "endpoints", "ingress": [{**https_from("10.0.0.0/16"), "description": ""}]},
        {"description": "endpoints", "egress": []},
    ),
    (
        "AWS-NET-007",
        SUBNET,
        {"mapPublicIpOnLaunch": True, "tags": {"tier": "public"}},
        {"mapPublicIpOnLaunch": False, "tags": {"tier": "public"}},
    ),
    ("AWS-NET-008", "aws:ec2/defaultVpc:DefaultVpc", {}, None),
    (
        "AWS-NET-009",
        NACL,
        {
            "ingress": [
                {
                    "action": "allow",
                    "protocol": "tcp",
                    "fromPort": 0.0,
                    "toPort": 1024.0,
                    "cidrBlock": "0.0.0.0/0",
                    "ruleNo": 100.0,
                }
            ]
        },
        {
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
    ),
    (
        "AWS-NET-009",
        NACL_RULE,
        {
            "egress": False,
            "ruleAction": "allow",
            "protocol": "-1",
            "fromPort": 0.0,
            "toPort": 0.0,
            "cidrBlock": "0.0.0.0/0",
            "ruleNumber": 100.0,
        },
        {
            "egress": True,
            "ruleAction": "allow",
            "protocol": "-1",
            "fromPort": 0.0,
            "toPort": 0.0,
            "cidrBlock": "0.0.0.0/0",
            "ruleNumber": 100.0,
        },
    ),
    (
        "AWS-NET-012",
        ENDPOINT,
        {
            "vpcEndpointType": "Interface",
            "privateDnsEnabled": False,
            "subnetIds": ["s"],
            "securityGroupIds": ["sg"],
        },
        {
            "vpcEndpointType": "Interface",
            "privateDnsEnabled": True,
            "subnetIds": ["s"],
            "securityGroupIds": ["sg"],
        },
    ),
    (
        "AWS-NET-012",
        ENDPOINT,
        {"vpcEndpointType": "Interface", "privateDnsEnabled": True, "subnetIds": ["s"]},
        {"vpcEndpointType": "Gateway", "routeTableIds": ["rtb"]},
    ),
    (
        "AWS-NET-015",
        SG,
        {"description": "d", "ingress": [https_from("203.0.113.0/24")]},
        {"description": "d", "ingress": [https_from("100.64.0.0/16")]},
    ),
]


@pytest.mark.parametrize(
    "rule,type_,bad,good", RESOURCE_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(RESOURCE_CASES)]
)
def test_resource_rule_fires_on_bad(rule, type_, bad, good):
    assert rule in rule_ids(evaluate_resource(type_, bad))


@pytest.mark.parametrize(
    "rule,type_,bad,good",
    [c for c in RESOURCE_CASES if c[3] is not None],
    ids=[f"{c[0]}-{i}" for i, c in enumerate(RESOURCE_CASES) if c[3] is not None],
)
def test_resource_rule_silent_on_good(rule, type_, bad, good):
    assert rule not in rule_ids(evaluate_resource(type_, good))


def test_public_ingress_ports_threshold_admits_listed_port():
    config = {"AWS-NET-001": {"publicIngressPorts": [443]}}
    findings = evaluate_resource(
        SG, {"description": "lb", "ingress": [https_from("0.0.0.0/0")]}, config=config
    )
    assert "AWS-NET-001" not in rule_ids(findings)


def test_public_tier_may_map_public_ips_only_when_allowed():
    config = {"AWS-NET-007": {"allowPublicTier": True}}
    public = {"mapPublicIpOnLaunch": True, "tags": {"tier": "public"}}
    private = {"mapPublicIpOnLaunch": True, "tags": {"tier": "private"}}
    assert "AWS-NET-007" not in rule_ids(evaluate_resource(SUBNET, public, config=config))
    assert "AWS-NET-007" in rule_ids(evaluate_resource(SUBNET, private, config=config))


def vpc_stack(**extra):
    """A VPC with the pieces the stack rules look for; `extra` replaces or adds resources by name."""
    resources = {
        "vpc": {"type": VPC, "props": {"cidrBlock": "10.0.0.0/16"}},
        "default-sg": {
            "type": "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
            "props": {"ingress": [], "egress": []},
            "deps": {"vpcId": ["vpc"]},
        },
        "flow-group": {
            "type": "aws:cloudwatch/logGroup:LogGroup",
            "props": {"retentionInDays": 365.0, "kmsKeyId": "arn:aws:kms:eu-west-1:1:key/k"},
        },
        "flow-log": {
            "type": "aws:ec2/flowLog:FlowLog",
            "props": {"trafficType": "ALL", "logDestinationType": "cloud-watch-logs"},
            "deps": {"vpcId": ["vpc"], "logDestination": ["flow-group"]},
        },
        "s3": {
            "type": ENDPOINT,
            "props": {"serviceName": "com.amazonaws.eu-west-1.s3", "vpcEndpointType": "Gateway"},
            "deps": {"vpcId": ["vpc"]},
        },
        **{
            f"ep-{s}": {
                "type": ENDPOINT,
                "props": {"serviceName": f"com.amazonaws.eu-west-1.{s}", "vpcEndpointType": "Interface"},
                "deps": {"vpcId": ["vpc"]},
            }
            for s in ("ecr.api", "ecr.dkr", "sts", "logs")
        },
        "igw": {"type": "aws:ec2/internetGateway:InternetGateway", "props": {}, "deps": {"vpcId": ["vpc"]}},
        "public-rt": {
            "type": "aws:ec2/routeTable:RouteTable",
            "deps": {"routes": ["igw"]},
            "props": {
                "routes": [{"cidrBlock": "0.0.0.0/0", "gatewayId": "igw-1"}],
                "tags": {"tier": "public"},
            },
        },
        "eip": {"type": "aws:ec2/eip:Eip", "props": {"domain": "vpc"}},
        "nat": {"type": "aws:ec2/natGateway:NatGateway", "props": {}, "deps": {"allocationId": ["eip"]}},
        "db-sg": {"type": SG, "props": {"description": "db", "egress": []}},
        "db": {"type": "aws:rds/instance:Instance", "props": {}, "deps": {"vpcSecurityGroupIds": ["db-sg"]}},
    }
    resources.update(extra)
    return [{"name": name, **spec} for name, spec in resources.items() if spec is not None]


STACK_CASES = [
    (
        "AWS-NET-002",
        {
            "db-sg": {
                "type": SG,
                "props": {
                    "description": "db",
                    "egress": [
                        {
                            "protocol": "-1",
                            "fromPort": 0.0,
                            "toPort": 0.0,
                            "cidrBlocks": ["0.0.0.0/0"],
                            "description": "all",
                        }
                    ],
                },
            }
        },
    ),
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
                "type": "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
                "props": {"ingress": [{"protocol": "-1", "self": True}], "egress": []},
                "deps": {"vpcId": ["vpc"]},
            }
        },
    ),
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
                "type": "aws:ec2/routeTable:RouteTable",
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
            "private-rt": {"type": "aws:ec2/routeTable:RouteTable", "props": {"tags": {"tier": "private"}}},
            "default-route": {
                "type": "aws:ec2/route:Route",
                "deps": {"routeTableId": ["private-rt"]},
                "props": {"destinationCidrBlock": "0.0.0.0/0", "gatewayId": "igw-1"},
            },
        },
    ),
    (
        "AWS-NET-013",
        {"flow-group": {"type": "aws:cloudwatch/logGroup:LogGroup", "props": {"retentionInDays": 365.0}}},
    ),
    (
        "AWS-NET-013",
        {
            "flow-group": {
                "type": "aws:cloudwatch/logGroup:LogGroup",
                "props": {"retentionInDays": 7.0, "kmsKeyId": "arn:k"},
            }
        },
    ),
    ("AWS-NET-014", {"nat": None}),
]


def test_the_good_vpc_stack_passes_every_network_stack_rule():
    fired = rule_ids(evaluate_stack(vpc_stack()))
    assert not {rule for rule, _ in STACK_CASES} & fired


@pytest.mark.parametrize("rule,change", STACK_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(STACK_CASES)])
def test_stack_rule_fires_on_bad(rule, change):
    assert rule in rule_ids(evaluate_stack(vpc_stack(**change)))


def test_interface_endpoint_list_comes_from_policy_config():
    config = {"AWS-NET-010": {"requiredInterfaceEndpoints": []}}
    assert "AWS-NET-010" not in rule_ids(evaluate_stack(vpc_stack(**{"ep-sts": None}), config=config))


def test_a_default_route_to_a_gateway_id_unknown_at_preview_is_judged_by_its_dependency():
    from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

    table = {
        "type": "aws:ec2/routeTable:RouteTable",
        "deps": {"routes": ["igw"]},
        "props": {
            "routes": [{"cidrBlock": "0.0.0.0/0", "gatewayId": UNKNOWN_STRING_VALUE}],
            "tags": {"tier": "database"},
        },
    }
    findings = [f for f in evaluate_stack(vpc_stack(**{"db-rt": table})) if f.rule_id == "AWS-NET-011"]
    assert [f.resource_name for f in findings if f.status == "violation"] == ["db-rt"]
