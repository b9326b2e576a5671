"""The VPC every AWS environment stands on: three subnet tiers per AZ, NAT, flow logs, endpoints."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping
from typing import Literal

import pulumi
import pulumi_aws as aws
from pydantic import Field, field_validator, model_validator

from components._lib.args import ComponentArgs, Input, SettingError
from components._lib.fields import LogRetentionDays
from components.service_role import service_role
from components.subnet_plan import plan_subnets
from components.tagging import component_tags

# Interface endpoints that let nodes in private subnets pull images, assume IRSA roles and ship logs
# without crossing the NAT gateway (cheaper, and the traffic stays on the AWS network).
INTERFACE_ENDPOINT_SERVICES = ("ecr.api", "ecr.dkr", "sts", "logs")


_PRIVATE_RANGES = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")]


class NetworkSettings(ComponentArgs):
    """What the VPC looks like: the keys of `groundwork:network`. Defaults are prod's shape."""

    cidr: str = Field(
        default="10.40.0.0/16",
        description="The VPC range (/16 to /20, RFC 1918); `components.subnet_plan` carves three "
        "tiers per AZ from it. Each stack needs its own, so the VPCs can be peered.",
    )
    az_count: Literal[2, 3] = Field(
        default=3, description="How many availability zones the VPC spans; every tier has a subnet in each."
    )
    availability_zones: list[str] | None = Field(
        default=None,
        description="The zones by name, exactly azCount distinct ones in the stack's region; "
        "unset: the region's first azCount zones (a, b, c).",
    )
    nat_gateways: Literal["single", "perAz"] = Field(
        default="perAz",
        description="`perAz`: losing one AZ does not cut egress for the others; `single`: one shared "
        "NAT gateway, cheaper, for non-production.",
    )
    interface_endpoints: bool = Field(
        default=True,
        description="ECR (api, dkr), STS and CloudWatch Logs endpoints in the private subnets, so "
        "image pulls, IRSA and logs never cross the NAT.",
    )
    flow_log_retention_days: LogRetentionDays = Field(
        default=365, description="How long VPC flow logs (every accepted and rejected flow) are kept."
    )

    @field_validator("cidr")
    @classmethod
    def _cidr(cls, value: str) -> str:
        try:
            network = ipaddress.IPv4Network(value, strict=True)
        except ValueError as exc:
            raise ValueError(f"an IPv4 network in CIDR form such as 10.40.0.0/16 ({exc})") from None
        if not 16 <= network.prefixlen <= 20:
            raise ValueError(
                "a VPC prefix between /16 and /20 (AWS allows /16-/28; Groundwork needs room "
                "for three tiers in three AZs)"
            )
        if not any(network.subnet_of(r) for r in _PRIVATE_RANGES):
            raise ValueError("a private RFC 1918 range (10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16)")
        return str(network)

    @model_validator(mode="after")
    def _zones(self) -> NetworkSettings:
        zones = self.availability_zones
        if zones is not None:
            if len(zones) != self.az_count:
                raise SettingError(
                    "availabilityZones", zones, f"must list exactly azCount ({self.az_count}) zones"
                )
            if len(set(zones)) != len(zones):
                raise SettingError("availabilityZones", zones, "zones must be distinct")
        return self

    def zones(self, region: str) -> list[str]:
        """The AZs the network spans: the named ones, else the region's first `az_count`."""
        if self.availability_zones:
            return list(self.availability_zones)
        return [f"{region}{letter}" for letter in "abc"[: self.az_count]]


class NetworkArgs(ComponentArgs):
    """The settings plus what the stack provides: its region, key and tags."""

    settings: NetworkSettings = Field(default_factory=NetworkSettings, description="The VPC's shape.")
    region: str = Field(description="The region the zones belong to; names the endpoint services.")
    kms_key_arn: Input[str] = Field(description="The key that encrypts the flow-log group.")
    tags: Mapping[str, str] = Field(default_factory=dict, description="The stack's tags.")
    protect: bool = Field(
        default=True,
        description="Keep the flow-log group (audit evidence) from deletion: Pulumi's protect and "
        "CloudWatch's own deletion protection (prod).",
    )


class Network(pulumi.ComponentResource):
    vpc_id: pulumi.Output[str]
    vpc_cidr: pulumi.Output[str]
    public_subnet_ids: pulumi.Output[list[str]]
    private_subnet_ids: pulumi.Output[list[str]]
    database_subnet_ids: pulumi.Output[list[str]]
    # Known before deployment (the plan is arithmetic on the VPC range): NetworkPolicies name them.
    public_subnet_cidrs: list[str]
    private_subnet_cidrs: list[str]
    database_subnet_cidrs: list[str]
    availability_zones: pulumi.Output[list[str]]
    nat_public_ips: pulumi.Output[list[str]]
    flow_log_group_name: pulumi.Output[str]

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("groundwork:network:Network", name, None, opts)
        net = args.settings
        zones = net.zones(args.region)
        plan = plan_subnets(net.cidr, len(zones))
        tags = component_tags(args.tags, name)
        self._name, self._tags = name, tags
        child = pulumi.ResourceOptions(parent=self)

        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=net.cidr,
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags=self._named(f"{name}-vpc"),
            opts=child,
        )
        # Adopting the default security group with no rules strips AWS's allow-all-within-group
        # defaults, so nothing that lands in it by accident can talk to anything.
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            vpc_id=vpc.id,
            ingress=[],
            egress=[],
            tags=self._named(f"{name}-default-sg-no-rules"),
            opts=child,
        )
        igw = aws.ec2.InternetGateway(
            f"{name}-igw", vpc_id=vpc.id, tags=self._named(f"{name}-igw"), opts=child
        )
        subnets = self._subnets(vpc, zones, plan)
        nats, eips = self._nat_gateways(net, zones, igw, subnets["public"])
        private_rts, database_rts = self._route_tables(vpc, igw, nats, net, subnets)
        self._database_acl(vpc, net, subnets["database"])
        flow_log_group = self._flow_logs(name, args, vpc, tags)
        aws.ec2.VpcEndpoint(
            f"{name}-s3-endpoint",
            vpc_id=vpc.id,
            service_name=f"com.amazonaws.{args.region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=[rt.id for rt in private_rts + database_rts],
            tags=self._named(f"{name}-s3-endpoint"),
            opts=child,
        )
        if net.interface_endpoints:
            self._interface_endpoints(name, args, vpc, subnets["private"], self._named)

        self.vpc_id = vpc.id
        self.vpc_cidr = vpc.cidr_block
        self.public_subnet_ids = pulumi.Output.all(*[s.id for s in subnets["public"]])
        self.private_subnet_ids = pulumi.Output.all(*[s.id for s in subnets["private"]])
        self.database_subnet_ids = pulumi.Output.all(*[s.id for s in subnets["database"]])
        self.public_subnet_cidrs = [str(cidr) for cidr in plan.public]
        self.private_subnet_cidrs = [str(cidr) for cidr in plan.private]
        self.database_subnet_cidrs = [str(cidr) for cidr in plan.database]
        self.availability_zones = pulumi.Output.from_input(zones)
        self.nat_public_ips = pulumi.Output.all(*[e.public_ip for e in eips])
        self.flow_log_group_name = flow_log_group.name
        self.register_outputs(
            {
                "vpc_id": self.vpc_id,
                "vpc_cidr": self.vpc_cidr,
                "public_subnet_ids": self.public_subnet_ids,
                "private_subnet_ids": self.private_subnet_ids,
                "database_subnet_ids": self.database_subnet_ids,
                "availability_zones": self.availability_zones,
                "nat_public_ips": self.nat_public_ips,
                "flow_log_group_name": self.flow_log_group_name,
            }
        )

    def _named(self, resource_name: str, **extra: str) -> dict[str, str]:
        """The component's tags plus the console's `Name` (and any tier tags)."""
        return {**self._tags, "Name": resource_name, **extra}

    def _subnets(self, vpc: aws.ec2.Vpc, zones: list[str], plan) -> dict[str, list[aws.ec2.Subnet]]:
        """One subnet per tier in each zone; nothing gets a public address by default."""
        name = self._name
        subnets: dict[str, list[aws.ec2.Subnet]] = {"public": [], "private": [], "database": []}
        role_tags = {
            "public": {"kubernetes.io/role/elb": "1"},
            "private": {"kubernetes.io/role/internal-elb": "1"},
            "database": {},
        }
        for tier in subnets:
            for index, (zone, cidr) in enumerate(zip(zones, plan.tier(tier), strict=True)):
                subnet_name = f"{name}-{tier}-{index}"
                subnets[tier].append(
                    aws.ec2.Subnet(
                        subnet_name,
                        vpc_id=vpc.id,
                        cidr_block=str(cidr),
                        availability_zone=zone,
                        map_public_ip_on_launch=False,
                        tags=self._named(subnet_name, tier=tier, **role_tags[tier]),
                        opts=pulumi.ResourceOptions(parent=self),
                    )
                )
        return subnets

    def _nat_gateways(
        self,
        net: NetworkSettings,
        zones: list[str],
        igw: aws.ec2.InternetGateway,
        public_subnets: list[aws.ec2.Subnet],
    ) -> tuple[list[aws.ec2.NatGateway], list[aws.ec2.Eip]]:
        """One NAT gateway per AZ (`perAz`) or one shared, each with its Elastic IP."""
        name = self._name
        nat_count = len(zones) if net.nat_gateways == "perAz" else 1
        nats, eips = [], []
        for index in range(nat_count):
            eip = aws.ec2.Eip(
                f"{name}-nat-eip-{index}",
                domain="vpc",
                tags=self._named(f"{name}-nat-eip-{index}"),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]),
            )
            eips.append(eip)
            nats.append(
                aws.ec2.NatGateway(
                    f"{name}-nat-{index}",
                    allocation_id=eip.allocation_id,
                    subnet_id=public_subnets[index].id,
                    connectivity_type="public",
                    tags=self._named(f"{name}-nat-{index}"),
                    opts=pulumi.ResourceOptions(parent=self),
                )
            )
        return nats, eips

    def _route_tables(
        self,
        vpc: aws.ec2.Vpc,
        igw: aws.ec2.InternetGateway,
        nats: list[aws.ec2.NatGateway],
        net: NetworkSettings,
        subnets: dict[str, list[aws.ec2.Subnet]],
    ) -> tuple[list[aws.ec2.RouteTable], list[aws.ec2.RouteTable]]:
        """Public subnets route out through the internet gateway, private ones through their NAT, and
        database ones nowhere: only the implicit local route, so a database never reaches the internet."""
        name = self._name
        child = pulumi.ResourceOptions(parent=self)
        zone_count = len(subnets["public"])
        public_rt = aws.ec2.RouteTable(
            f"{name}-public-rt",
            vpc_id=vpc.id,
            routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", gateway_id=igw.id)],
            tags=self._named(f"{name}-public-rt", tier="public"),
            opts=child,
        )
        private_rts, database_rts = [], []
        for index in range(zone_count):
            nat = nats[index if net.nat_gateways == "perAz" else 0]
            private_rts.append(
                aws.ec2.RouteTable(
                    f"{name}-private-rt-{index}",
                    vpc_id=vpc.id,
                    routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", nat_gateway_id=nat.id)],
                    tags=self._named(f"{name}-private-rt-{index}", tier="private"),
                    opts=child,
                )
            )
            database_rts.append(
                aws.ec2.RouteTable(
                    f"{name}-database-rt-{index}",
                    vpc_id=vpc.id,
                    routes=[],
                    tags=self._named(f"{name}-database-rt-{index}", tier="database"),
                    opts=child,
                )
            )
        tables = {"public": [public_rt] * zone_count, "private": private_rts, "database": database_rts}
        for tier, tier_subnets in subnets.items():
            for index, subnet in enumerate(tier_subnets):
                aws.ec2.RouteTableAssociation(
                    f"{name}-{tier}-rta-{index}",
                    subnet_id=subnet.id,
                    route_table_id=tables[tier][index].id,
                    opts=child,
                )
        return private_rts, database_rts

    def _database_acl(
        self, vpc: aws.ec2.Vpc, net: NetworkSettings, database_subnets: list[aws.ec2.Subnet]
    ) -> None:
        """Defence in depth for the isolated tier: even if someone adds a route out, the database
        subnets' own ACL admits and emits traffic only within the VPC."""
        aws.ec2.NetworkAcl(
            f"{self._name}-database-nacl",
            vpc_id=vpc.id,
            subnet_ids=[s.id for s in database_subnets],
            ingress=[
                aws.ec2.NetworkAclIngressArgs(
                    rule_no=100, action="allow", protocol="-1", from_port=0, to_port=0, cidr_block=net.cidr
                )
            ],
            egress=[
                aws.ec2.NetworkAclEgressArgs(
                    rule_no=100, action="allow", protocol="-1", from_port=0, to_port=0, cidr_block=net.cidr
                )
            ],
            tags=self._named(f"{self._name}-database-nacl", tier="database"),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _flow_logs(
        self, name: str, args: NetworkArgs, vpc: aws.ec2.Vpc, tags: Mapping[str, str]
    ) -> aws.cloudwatch.LogGroup:
        """Every accepted and rejected flow, to an encrypted log group with a finite retention."""
        child = pulumi.ResourceOptions(parent=self)
        group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs",
            name=f"/groundwork/{name}/vpc-flow-logs",
            retention_in_days=args.settings.flow_log_retention_days,
            kms_key_id=args.kms_key_arn,
            tags=tags,
            deletion_protection_enabled=True if args.protect else None,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        role = service_role(
            f"{name}-flow-logs-role", service="vpc-flow-logs.amazonaws.com", parent=self, tags=tags
        )
        aws.iam.RolePolicy(
            f"{name}-flow-logs-write",
            role=role.id,
            policy=group.arn.apply(
                lambda arn: json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": [
                                    "logs:CreateLogStream",
                                    "logs:PutLogEvents",
                                    "logs:DescribeLogStreams",
                                ],
                                "Resource": [arn, f"{arn}:*"],
                            }
                        ],
                    }
                )
            ),
            opts=child,
        )
        aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
            tags=tags,
            opts=child,
        )
        return group

    def _interface_endpoints(
        self, name: str, args: NetworkArgs, vpc: aws.ec2.Vpc, private_subnets: list[aws.ec2.Subnet], named
    ) -> None:
        child = pulumi.ResourceOptions(parent=self)
        sg = aws.ec2.SecurityGroup(
            f"{name}-endpoints-sg",
            vpc_id=vpc.id,
            description="HTTPS from inside the VPC to AWS API endpoints",
            ingress=[
                aws.ec2.SecurityGroupIngressArgs(
                    protocol="tcp",
                    from_port=443,
                    to_port=443,
                    cidr_blocks=[args.settings.cidr],
                    description="HTTPS from the VPC",
                )
            ],
            egress=[],
            tags=named(f"{name}-endpoints-sg"),
            opts=child,
        )
        for service in INTERFACE_ENDPOINT_SERVICES:
            aws.ec2.VpcEndpoint(
                f"{name}-{service.replace('.', '-')}-endpoint",
                vpc_id=vpc.id,
                service_name=f"com.amazonaws.{args.region}.{service}",
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=[s.id for s in private_subnets],
                security_group_ids=[sg.id],
                tags=named(f"{name}-{service}-endpoint"),
                opts=child,
            )
