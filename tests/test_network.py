"""The Network component as the prod and dev stacks build it, asserted on what reached Pulumi."""

from __future__ import annotations

import ipaddress
import json

import pytest

SUBNET = "aws:ec2/subnet:Subnet"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"


def _subnets(capture, tier):
    return [r for r in capture.of_type(SUBNET) if r.props["tags"]["tier"] == tier]


@pytest.mark.parametrize("stack,azs", [("dev", 2), ("qa", 2), ("staging", 3), ("prod", 3)])
def test_every_az_has_one_subnet_per_tier(captured, stack, azs):
    capture = captured(stack)
    for tier in ("public", "private", "database"):
        zones = [s.props["availabilityZone"] for s in _subnets(capture, tier)]
        assert len(zones) == azs and len(set(zones)) == azs, tier


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_subnet_cidrs_are_disjoint_and_inside_the_vpc(captured, stack):
    capture = captured(stack)
    vpc = ipaddress.IPv4Network(capture.of_type("aws:ec2/vpc:Vpc")[0].props["cidrBlock"])
    cidrs = [ipaddress.IPv4Network(s.props["cidrBlock"]) for s in capture.of_type(SUBNET)]
    assert all(c.subnet_of(vpc) for c in cidrs)
    assert all(not a.overlaps(b) for i, a in enumerate(cidrs) for b in cidrs[i + 1 :])


def test_vpc_resolves_dns(captured):
    vpc = captured("prod").of_type("aws:ec2/vpc:Vpc")[0].props
    assert vpc["enableDnsSupport"] is True and vpc["enableDnsHostnames"] is True


def test_dev_shares_one_nat(captured):
    assert len(captured("dev").of_type("aws:ec2/natGateway:NatGateway")) == 1


def test_prod_has_a_nat_in_each_az(captured):
    capture = captured("prod")
    nats = capture.of_type("aws:ec2/natGateway:NatGateway")
    public_ids = {s.urn: s for s in _subnets(capture, "public")}
    assert len(nats) == 3
    # each NAT depends on a different public subnet
    subnet_deps = {d for n in nats for d in n.property_dependencies["subnetId"]}
    assert subnet_deps == set(public_ids)


def test_prod_private_route_tables_each_use_their_own_nat(captured):
    capture = captured("prod")
    private = [r for r in capture.of_type(ROUTE_TABLE) if r.props["tags"]["tier"] == "private"]
    nat_ids = {r.props["routes"][0]["natGatewayId"] for r in private}
    assert len(private) == 3 and len(nat_ids) == 3


def test_public_subnets_do_not_hand_out_public_ips(captured):
    assert all(s.props["mapPublicIpOnLaunch"] is False for s in captured("prod").of_type(SUBNET))


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_database_route_tables_have_no_route_out(captured, stack):
    tables = [r for r in captured(stack).of_type(ROUTE_TABLE) if r.props["tags"]["tier"] == "database"]
    assert tables and all(t.props.get("routes") == [] for t in tables)


def test_database_subnets_use_the_isolated_route_tables(captured):
    capture = captured("prod")
    database_tables = {r.urn for r in capture.of_type(ROUTE_TABLE) if r.props["tags"]["tier"] == "database"}
    database_subnets = {s.urn for s in _subnets(capture, "database")}
    links = [
        a for a in capture.of_type(ASSOCIATION) if set(a.property_dependencies["subnetId"]) & database_subnets
    ]
    assert len(links) == 3
    assert all(set(a.property_dependencies["routeTableId"]) <= database_tables for a in links)


def test_only_the_public_tier_routes_to_the_internet_gateway(captured):
    with_igw = [
        r
        for r in captured("prod").of_type(ROUTE_TABLE)
        if any("gatewayId" in route for route in r.props.get("routes", []))
    ]
    assert [r.props["tags"]["tier"] for r in with_igw] == ["public"]


def test_flow_logs_capture_all_traffic_to_cloudwatch(captured):
    flow_logs = captured("prod").of_type("aws:ec2/flowLog:FlowLog")
    assert len(flow_logs) == 1
    assert flow_logs[0].props["trafficType"] == "ALL"
    assert flow_logs[0].props["logDestinationType"] == "cloud-watch-logs"


def test_flow_log_group_is_encrypted_with_the_platform_key_and_expires(captured):
    capture = captured("prod")
    group = capture.named("prod-network-flow-logs")
    key = capture.named("prod-platform-key")
    assert group.props["retentionInDays"] == 365
    assert group.property_dependencies["kmsKeyId"] == [key.urn]


def test_dev_flow_logs_keep_the_dev_retention(captured):
    assert captured("dev").of_type("aws:cloudwatch/logGroup:LogGroup")[0].props["retentionInDays"] == 30


def test_flow_log_role_is_assumable_only_by_flow_logs_of_this_account(captured):
    role = captured("prod").named("prod-network-flow-logs-role")
    statement = json.loads(role.props["assumeRolePolicy"])["Statement"][0]
    assert statement["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}


def test_flow_log_role_may_write_only_to_its_group(captured):
    policy = json.loads(captured("prod").named("prod-network-flow-logs-write").props["policy"])
    resources = policy["Statement"][0]["Resource"]
    assert all(
        r.startswith("arn:aws:logs:eu-west-1:123456789012:log-group:/groundwork/prod-network/")
        for r in resources
    )


def test_default_security_group_is_stripped_of_rules(captured):
    default_sg = captured("prod").of_type("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert len(default_sg) == 1
    assert default_sg[0].props["ingress"] == [] and default_sg[0].props["egress"] == []


def test_s3_gateway_endpoint_serves_private_and_database_tiers(captured):
    capture = captured("prod")
    endpoint = capture.named("prod-network-s3-endpoint")
    assert endpoint.props["vpcEndpointType"] == "Gateway"
    assert endpoint.props["serviceName"] == "com.amazonaws.eu-west-1.s3"
    assert len(endpoint.props["routeTableIds"]) == 6


def test_prod_has_private_interface_endpoints(captured):
    endpoints = [
        r
        for r in captured("prod").of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
        if r.props["vpcEndpointType"] == "Interface"
    ]
    services = sorted(e.props["serviceName"].removeprefix("com.amazonaws.eu-west-1.") for e in endpoints)
    assert services == ["ecr.api", "ecr.dkr", "logs", "sts"]
    assert all(e.props["privateDnsEnabled"] is True for e in endpoints)


def test_dev_has_no_interface_endpoints_by_default(captured):
    assert all(
        r.props["vpcEndpointType"] == "Gateway"
        for r in captured("dev").of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
    )


def test_endpoint_security_group_admits_https_from_the_vpc_only(captured):
    sg = captured("prod").named("prod-network-endpoints-sg").props
    assert sg["ingress"] == [
        {
            "protocol": "tcp",
            "fromPort": 443,
            "toPort": 443,
            "cidrBlocks": ["10.40.0.0/16"],
            "description": "HTTPS from the VPC",
        }
    ]


@pytest.mark.parametrize(
    "tier,tag", [("public", "kubernetes.io/role/elb"), ("private", "kubernetes.io/role/internal-elb")]
)
def test_subnets_carry_the_load_balancer_role_tags(captured, tier, tag):
    assert all(s.props["tags"].get(tag) == "1" for s in _subnets(captured("prod"), tier))


def test_database_subnets_are_not_load_balancer_targets(captured):
    tags = [s.props["tags"] for s in _subnets(captured("prod"), "database")]
    assert not any(k.startswith("kubernetes.io/role") for t in tags for k in t)


def test_network_outputs_are_exported(captured):
    outputs = captured("prod").outputs
    assert outputs["vpc_cidr"] == "10.40.0.0/16"
    assert len(outputs["private_subnet_ids"]) == 3 and len(outputs["nat_public_ips"]) == 3
    assert outputs["availability_zones"] == ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
    assert outputs["flow_log_group"] == "/groundwork/prod-network/vpc-flow-logs"


def test_local_creates_no_aws_resources(captured):
    assert not [r for r in captured("local").resources if r.type.startswith(("aws:", "pulumi:providers:aws"))]


def test_database_subnets_acl_keeps_traffic_inside_the_vpc(captured):
    capture = captured("prod")
    acl = capture.named("prod-network-database-nacl")
    database_subnets = {s.urn for s in _subnets(capture, "database")}
    assert set(acl.property_dependencies["subnetIds"]) == database_subnets
    rules = acl.props["ingress"] + acl.props["egress"]
    assert {r["cidrBlock"] for r in rules} == {"10.40.0.0/16"}
    assert all(r["action"] == "allow" for r in rules)
