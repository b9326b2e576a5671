"""Network rules: VPCs, subnets, route tables, security groups and their rules, NACLs, flow logs,
VPC endpoints, Elastic IPs and NAT gateways.

Ids follow the merged target table (`AWS-NET-001` … `AWS-NET-011`, tagged `target:<row>`); the
rules from AWS-NET-012 on go beyond every anchor (`groundwork:beyond`) or map anchors the table did
not merge.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pulumi_policy.proxy import UnknownValueError

from policy.framework import UNKNOWN, Resource, Stack, resource_rule, stack_rule
from policy.helpers import (
    ALL_PROTOCOLS,
    as_list,
    covers,
    describe_ports,
    is_anywhere,
    is_private_cidr,
    port_range,
)

VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
SG = "aws:ec2/securityGroup:SecurityGroup"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
SG_INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SG_EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
DEFAULT_VPC = "aws:ec2/defaultVpc:DefaultVpc"
NACL = "aws:ec2/networkAcl:NetworkAcl"
NACL_RULE = "aws:ec2/networkAclRule:NetworkAclRule"
DEFAULT_NACL = "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
ROUTE = "aws:ec2/route:Route"
IGW = "aws:ec2/internetGateway:InternetGateway"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
EIP = "aws:ec2/eip:Eip"
NAT = "aws:ec2/natGateway:NatGateway"
SG_TYPES = (SG, SG_RULE, SG_INGRESS, SG_EGRESS)
DATASTORES = {
    "aws:rds/instance:Instance": ("vpcSecurityGroupIds",),
    "aws:rds/cluster:Cluster": ("vpcSecurityGroupIds",),
    "aws:elasticache/replicationGroup:ReplicationGroup": ("securityGroupIds",),
    "aws:elasticache/cluster:Cluster": ("securityGroupIds",),
    "aws:elasticache/serverlessCache:ServerlessCache": ("securityGroupIds",),
    "aws:msk/cluster:Cluster": ("brokerNodeGroupInfo",),
}
ADMIN_PORTS = (20, 21, 22, 3389)


def sg_rules(r: Resource, direction: str) -> Iterator[dict[str, Any]]:
    """Every `direction` ("ingress"/"egress") rule a security-group resource declares, in one shape:
    {protocol, ports, cidrs, description, where}."""
    if r.type == SG:
        for i, rule in enumerate(as_list(r.get(direction))):
            yield {
                "protocol": rule.get("protocol"),
                "ports": port_range(rule.get("fromPort"), rule.get("toPort"), rule.get("protocol")),
                "cidrs": as_list(rule.get("cidrBlocks")) + as_list(rule.get("ipv6CidrBlocks")),
                "description": rule.get("description"),
                "where": f"{direction}[{i}]",
            }
    elif r.type == SG_RULE and r.get("type") == direction:
        yield {
            "protocol": r.get("protocol"),
            "ports": port_range(r.get("fromPort"), r.get("toPort"), r.get("protocol")),
            "cidrs": as_list(r.get("cidrBlocks")) + as_list(r.get("ipv6CidrBlocks")),
            "description": r.get("description"),
            "where": "rule",
        }
    elif (r.type, direction) in ((SG_INGRESS, "ingress"), (SG_EGRESS, "egress")):
        yield {
            "protocol": r.get("ipProtocol"),
            "ports": port_range(r.get("fromPort"), r.get("toPort"), r.get("ipProtocol")),
            "cidrs": as_list(r.get("cidrIpv4")) + as_list(r.get("cidrIpv6")),
            "description": r.get("description"),
            "where": "rule",
        }


@resource_rule(
    id="AWS-NET-001",
    title="No security group ingress from the whole internet",
    severity="critical",
    resource_types=(SG, SG_RULE, SG_INGRESS),
    description="No ingress rule (inline `ingress`, `aws:ec2/securityGroupRule` of type ingress, or "
    "`aws:vpc/securityGroupIngressRule`) allows 0.0.0.0/0 or ::/0, except on ports listed in "
    "the `publicIngressPorts` threshold (empty by default).",
    rationale="An ingress rule open to the internet exposes whatever listens behind it (SSH, RDP, databases, "
    "admin UIs) to every scanner on the internet; most breaches of cloud networks start there.",
    remediation="Allow ingress from a referenced security group or the VPC CIDR instead. Public HTTPS "
    "belongs on a load balancer's security group; list 443 in `publicIngressPorts` for that "
    "rule's policy config, or add an exemption for the one group.",
    tags=(
        "target:AWS-NET-001",
        "checkov:CKV_AWS_24",
        "checkov:CKV_AWS_25",
        "checkov:CKV_AWS_260",
        "checkov:CKV_AWS_277",
        "fsbp:EC2.13",
        "fsbp:EC2.14",
        "fsbp:EC2.18",
        "fsbp:EC2.19",
        "cdk-nag:AwsSolutions-EC23",
        "compliance-policies:ec2-securitygroup-disallow-public-internet-ingress",
    ),
    thresholds={"publicIngressPorts": []},
)
def sg_no_public_ingress(r: Resource):
    allowed = [int(p) for p in r.threshold("publicIngressPorts", [])]
    for rule in sg_rules(r, "ingress"):
        open_cidrs = [c for c in rule["cidrs"] if is_anywhere(c)]
        if not open_cidrs:
            continue
        span = rule["ports"]
        if span[0] == span[1] and span[0] in allowed:
            continue
        yield (f"{r.name} {rule['where']} allows {describe_ports(span)} from {', '.join(open_cidrs)}")


@stack_rule(
    id="AWS-NET-002",
    title="Datastore security groups do not allow all traffic out to the internet",
    severity="low",
    description="Security groups attached to an RDS instance/cluster, ElastiCache cache or MSK cluster "
    "(joined through the datastore's security-group inputs) have no egress rule of protocol -1 "
    "to 0.0.0.0/0 or ::/0, inline or standalone.",
    rationale="A database never needs to open connections to the internet; an allow-all egress rule is the "
    "path data takes out once an attacker has a foothold on it.",
    remediation="Give datastore security groups no egress rules (or only to the VPC CIDR); Groundwork's data "
    "components create their groups with `egress=[]`.",
    tags=("target:AWS-NET-002", "checkov:CKV_AWS_382"),
)
def datastore_sg_no_open_egress(stack: Stack):
    groups: dict[str, Resource] = {}
    for store in stack.resources:
        for prop in DATASTORES.get(store.type, ()):
            for urn in store.depends_on(prop):
                group = stack.by_urn(urn)
                if group is not None and group.type == SG:
                    groups[urn] = group
    for urn, group in groups.items():
        rules = [(group, rule) for rule in sg_rules(group, "egress")]
        rules += [
            (standalone, rule)
            for standalone in stack.of_type(SG_RULE, SG_EGRESS)
            if urn in standalone.depends_on("securityGroupId")
            for rule in sg_rules(standalone, "egress")
        ]
        for owner, rule in rules:
            if str(rule["protocol"]).lower() in ALL_PROTOCOLS and any(is_anywhere(c) for c in rule["cidrs"]):
                yield (
                    owner,
                    (
                        f"datastore security group {group.name} allows all traffic out to the "
                        f"internet ({owner.name} {rule['where']})"
                    ),
                )


@resource_rule(
    id="AWS-NET-003",
    title="Security groups and their rules are described",
    severity="low",
    resource_types=SG_TYPES,
    description="A security group has a non-empty `description` that is not Terraform's \"Managed by "
    'Terraform" default, and every inline and standalone rule has a `description`.',
    rationale="A reviewer deciding whether a port may be closed needs to know why it was opened; rule "
    "descriptions are the only record AWS keeps next to the rule.",
    remediation="Set `description` on the group and on each ingress/egress rule, saying who talks to whom.",
    tags=(
        "target:AWS-NET-003",
        "checkov:CKV_AWS_23",
        "cdk-nag:AwsSolutions-EC27",
        "compliance-policies:ec2-securitygroup-missing-description",
    ),
)
def sg_described(r: Resource):
    if r.type == SG and (not r.get("description") or r.get("description") == "Managed by Terraform"):
        yield f"security group {r.name} has no description"
    for direction in ("ingress", "egress"):
        for rule in sg_rules(r, direction):
            if not rule["description"]:
                where = rule["where"] if rule["where"] != "rule" else f"{direction} rule"
                yield f"{r.name} {where} has no description"


@stack_rule(
    id="AWS-NET-004",
    title="A security group's rules are managed in one place",
    severity="medium",
    description="No security group that declares inline `ingress` or `egress` (even an empty list) is also "
    "the `securityGroupId` of a standalone `aws:ec2/securityGroupRule` or "
    "`aws:vpc/securityGroup*Rule`.",
    rationale="Inline rules and standalone rules fight: every update, the group's inline list removes the "
    "standalone rules and the standalone resources add them back, so the live rules flap.",
    remediation="Use either inline rules on the group or standalone rule resources, never both for one "
    "group.",
    tags=("target:AWS-NET-004", "awsguard:security-group-no-rule-management-conflicts"),
)
def sg_rules_one_place(stack: Stack):
    inline = {g.urn: g for g in stack.of_type(SG) if "ingress" in g.props or "egress" in g.props}
    for rule in stack.of_type(SG_RULE, SG_INGRESS, SG_EGRESS):
        for urn in rule.depends_on("securityGroupId"):
            if urn in inline:
                yield (
                    rule,
                    (f"{rule.name} adds a rule to {inline[urn].name}, which also manages its rules inline"),
                )


@stack_rule(
    id="AWS-NET-005",
    title="Every VPC's default security group is closed",
    severity="high",
    description="Each `aws:ec2/vpc:Vpc` has an `aws:ec2/defaultSecurityGroup` (joined by `vpcId`) that "
    "declares `ingress` and `egress` as empty lists.",
    rationale="AWS creates every VPC with a default security group that allows all traffic between its "
    "members; anything launched without an explicit group lands in it. Adopting it with no rules "
    "closes that door.",
    remediation="Adopt the default security group with `ingress=[]` and `egress=[]` (Groundwork's Network "
    "component does this for every VPC).",
    tags=(
        "target:AWS-NET-005",
        "checkov:CKV2_AWS_12",
        "fsbp:EC2.2",
        "cdk-nag:NIST.800.53.R5-VPCDefaultSecurityGroupClosed",
    ),
)
def default_sg_closed(stack: Stack):
    defaults = stack.of_type(DEFAULT_SG)
    for group in defaults:
        for direction in ("ingress", "egress"):
            if as_list(group.get(direction)):
                yield group, f"default security group {group.name} keeps {direction} rules"
            elif direction not in group.props:
                yield (
                    group,
                    (
                        f"default security group {group.name} does not declare {direction}=[], "
                        "so AWS's allow-all rule stays"
                    ),
                )
    for vpc in stack.of_type(VPC):
        if not any(vpc.urn in g.depends_on("vpcId") for g in defaults):
            yield vpc, f"VPC {vpc.name} does not adopt and close its default security group"


@stack_rule(
    id="AWS-NET-006",
    title="Every VPC records all its traffic in flow logs",
    severity="medium",
    description="Each `aws:ec2/vpc:Vpc` is the `vpcId` of an `aws:ec2/flowLog:FlowLog` with `trafficType` "
    '"ALL".',
    rationale="Flow logs are the only record of who talked to what inside a VPC; without them an incident "
    "cannot be scoped, and rejected traffic (probes, exfiltration attempts) goes unseen.",
    remediation="Keep the Network component's flow log on (it logs ALL traffic to an encrypted log group).",
    tags=("target:AWS-NET-006", "checkov:CKV2_AWS_11", "fsbp:EC2.6", "cdk-nag:AwsSolutions-VPC7"),
)
def vpc_flow_logs(stack: Stack):
    logs = stack.of_type(FLOW_LOG)
    for vpc in stack.of_type(VPC):
        mine = [f for f in logs if vpc.urn in f.depends_on("vpcId")]
        if not mine:
            yield vpc, f"VPC {vpc.name} has no flow log"
        elif not any(f.peek("trafficType") in ("ALL", UNKNOWN) for f in mine):
            recorded = mine[0].peek("trafficType")
            yield vpc, f"VPC {vpc.name}'s flow logs record only {recorded} traffic, not ALL"


@resource_rule(
    id="AWS-NET-007",
    title="Subnets do not hand out public IPs",
    severity="medium",
    resource_types=(SUBNET,),
    description="`mapPublicIpOnLaunch` is unset or false. Public-tier subnets (tag `tier=public`) may set "
    "it only when the `allowPublicTier` threshold is true (false by default).",
    rationale="An instance launched into a subnet that maps public IPs is reachable from the internet "
    "whether its owner meant it or not; load balancers and NAT gateways do not need it.",
    remediation="Leave `mapPublicIpOnLaunch` false (Groundwork's Network component does, for every tier).",
    tags=(
        "target:AWS-NET-007",
        "checkov:CKV_AWS_130",
        "fsbp:EC2.15",
        "cdk-nag:NIST.800.53.R5-VPCSubnetAutoAssignPublicIpDisabled",
    ),
    thresholds={"allowPublicTier": False},
)
def subnet_no_public_ip(r: Resource):
    if r.get("mapPublicIpOnLaunch") is True:
        if r.tags.get("tier") == "public" and r.threshold("allowPublicTier", False):
            return
        yield f"subnet {r.name} sets mapPublicIpOnLaunch=true"


@resource_rule(
    id="AWS-NET-008",
    title="The default VPC is not used",
    severity="low",
    resource_types=(DEFAULT_VPC,),
    description="The stack declares no `aws:ec2/defaultVpc:DefaultVpc`.",
    rationale="The default VPC has public subnets that map public IPs and an open route to the internet; "
    "workloads belong in a VPC whose layout was designed.",
    remediation="Use Groundwork's Network component; delete the DefaultVpc resource.",
    tags=("target:AWS-NET-008", "checkov:CKV_AWS_148"),
)
def no_default_vpc(r: Resource):
    yield f"{r.name} manages the account's default VPC"


def _acl_entries(r: Resource) -> Iterator[tuple[str, dict[str, Any]]]:
    if r.type in (NACL, DEFAULT_NACL):
        for i, entry in enumerate(as_list(r.get("ingress"))):
            yield (
                f"ingress[{i}]",
                {
                    "action": entry.get("action"),
                    "protocol": entry.get("protocol"),
                    "from": entry.get("fromPort"),
                    "to": entry.get("toPort"),
                    "cidrs": [entry.get("cidrBlock"), entry.get("ipv6CidrBlock")],
                },
            )
    elif r.type == NACL_RULE and not r.get("egress", False):
        yield (
            "rule",
            {
                "action": r.get("ruleAction"),
                "protocol": r.get("protocol"),
                "from": r.get("fromPort"),
                "to": r.get("toPort"),
                "cidrs": [r.get("cidrBlock"), r.get("ipv6CidrBlock")],
            },
        )


@resource_rule(
    id="AWS-NET-009",
    title="Network ACLs do not open admin ports to the internet",
    severity="medium",
    resource_types=(NACL, NACL_RULE, DEFAULT_NACL),
    description="No ingress entry with action allow from 0.0.0.0/0 or ::/0 covers port 20, 21, 22 or 3389, "
    "or all protocols.",
    rationale="A network ACL is the subnet's last stateless filter; opening SSH, RDP or FTP to the internet "
    "there undoes every security group behind it.",
    remediation="Deny (or do not allow) these ports from 0.0.0.0/0 in the ACL; reach instances through SSM "
    "Session Manager instead of SSH.",
    tags=(
        "target:AWS-NET-009",
        "checkov:CKV_AWS_229",
        "checkov:CKV_AWS_230",
        "checkov:CKV_AWS_231",
        "checkov:CKV_AWS_232",
        "checkov:CKV_AWS_352",
        "fsbp:EC2.21",
    ),
)
def nacl_no_admin_ports(r: Resource):
    for where, entry in _acl_entries(r):
        if str(entry["action"]).lower() != "allow" or not any(is_anywhere(c) for c in entry["cidrs"]):
            continue
        span = port_range(entry["from"], entry["to"], entry["protocol"])
        exposed = [p for p in ADMIN_PORTS if covers(span, p)]
        if str(entry["protocol"]).lower() in ALL_PROTOCOLS or exposed:
            what = "all traffic" if span == (0, 65535) else "port(s) " + ", ".join(map(str, exposed))
            yield f"network ACL {r.name} {where} allows {what} from the internet"


@stack_rule(
    id="AWS-NET-010",
    title="VPCs reach AWS services through VPC endpoints",
    severity="low",
    description="Each VPC has an S3 gateway endpoint and an interface endpoint for every service in the "
    "`requiredInterfaceEndpoints` threshold (ecr.api, ecr.dkr, sts, logs by default; set per "
    "environment in policy config), joined by `vpcId`.",
    rationale="Endpoints keep image pulls, STS calls and log shipping on the AWS network: no NAT data "
    "charges, no dependency on the NAT path, and endpoint policies can restrict what leaves.",
    remediation="Set `network.interfaceEndpoints: true` in the stack config (the S3 gateway endpoint is "
    "always on).",
    tags=("target:AWS-NET-010", "fsbp:EC2.10", "fsbp:EC2.55", "fsbp:EC2.56"),
    thresholds={"requiredInterfaceEndpoints": ["ecr.api", "ecr.dkr", "sts", "logs"]},
)
def vpc_endpoints(stack: Stack):
    required = list(stack.threshold("requiredInterfaceEndpoints", []))
    for vpc in stack.of_type(VPC):
        services = {}
        for endpoint in stack.of_type(ENDPOINT):
            if vpc.urn in endpoint.depends_on("vpcId"):
                name = endpoint.peek("serviceName")
                if isinstance(name, str):
                    # com.amazonaws.<region>.<service>, where <service> may itself contain dots (ecr.api)
                    services[name.split(".", 3)[-1]] = endpoint.peek("vpcEndpointType", "Gateway")
        if services.get("s3") not in ("Gateway", UNKNOWN):
            yield vpc, f"VPC {vpc.name} has no S3 gateway endpoint"
        missing = [s for s in required if s not in services]
        if missing:
            yield vpc, f"VPC {vpc.name} has no interface endpoint for {', '.join(missing)}"


@stack_rule(
    id="AWS-NET-011",
    title="Only public route tables route to the internet gateway",
    severity="medium",
    description="A route table not tagged `tier=public` has no 0.0.0.0/0 or ::/0 route through an internet "
    "gateway (inline `routes` or a standalone `aws:ec2/route:Route`), and no default route "
    "goes through a VPC peering connection.",
    rationale="A private or database subnet whose default route is the internet gateway is a public subnet "
    "in disguise; a default route over peering hands all traffic to another VPC.",
    remediation="Route private tiers' 0.0.0.0/0 through a NAT gateway and keep database tiers local-only, as "
    "Groundwork's Network component does; tag the one public route table `tier=public`.",
    tags=(
        "target:AWS-NET-011",
        "checkov:CKV2_AWS_35",
        "checkov:CKV2_AWS_44",
        "cdk-nag:NIST.800.53.R5-VPCNoUnrestrictedRouteToIGW",
    ),
)
def private_routes(stack: Stack):
    igws = {g.urn for g in stack.of_type(IGW)}

    def targets_igw(gateway: Any, gateway_deps: tuple[str, ...]) -> bool:
        # Known ids say it directly; an id unknown at preview is judged by where it came from.
        if isinstance(gateway, str):
            return gateway.startswith("igw-")
        return gateway is UNKNOWN and any(u in igws for u in gateway_deps)

    def problem(table: Resource, destination: Any, via_igw: bool, peering: Any) -> str | None:
        if not is_anywhere(destination):
            return None
        if via_igw and table.tags.get("tier") != "public":
            tier = table.tags.get("tier", "untagged")
            return f"route table {table.name} ({tier}) routes {destination} to the internet gateway"
        if peering:
            return f"route table {table.name} sends {destination} over a VPC peering connection"
        return None

    tables = {t.urn: t for t in stack.of_type(ROUTE_TABLE)}
    for table in tables.values():
        routes = table.peek("routes", [])
        for route in routes if isinstance(routes, list) else []:
            if not isinstance(route, dict):
                continue
            destination = route.get("cidrBlock") or route.get("ipv6CidrBlock")
            # Inline routes share one property dependency list: an unknown gateway id in a table
            # that depends on an internet gateway is taken to be that gateway.
            gateway = UNKNOWN if _unknown(route, "gatewayId") else route.get("gatewayId")
            peering = _unknown(route, "vpcPeeringConnectionId") or route.get("vpcPeeringConnectionId")
            found = problem(table, destination, targets_igw(gateway, table.depends_on("routes")), peering)
            if found:
                yield table, found
    for route in stack.of_type(ROUTE):
        table_urns = route.depends_on("routeTableId")
        table = tables.get(table_urns[0]) if table_urns else None
        if table is None:
            continue
        destination = route.peek("destinationCidrBlock") or route.peek("destinationIpv6CidrBlock")
        via_igw = targets_igw(route.peek("gatewayId"), route.depends_on("gatewayId"))
        found = problem(table, destination, via_igw, route.peek("vpcPeeringConnectionId"))
        if found:
            yield route, found


def _unknown(mapping: dict, key: str) -> bool:
    try:
        mapping.get(key)
    except UnknownValueError:
        return True
    return False


@resource_rule(
    id="AWS-NET-012",
    title="Interface endpoints resolve privately and sit behind a security group",
    severity="medium",
    resource_types=(ENDPOINT,),
    description='An endpoint with `vpcEndpointType` "Interface" sets `privateDnsEnabled` true, names at '
    "least one `securityGroupIds` entry and at least one `subnetIds` entry.",
    rationale="Without private DNS, SDKs keep resolving the public service name and traffic still leaves "
    "through the NAT; without a security group the endpoint accepts connections from anything "
    "that can route to it. No anchor checks either.",
    remediation="Create interface endpoints with `private_dns_enabled=True`, the private subnets and a "
    "security group that allows 443 from the VPC CIDR only (Groundwork's Network component "
    "does).",
    tags=("groundwork:beyond",),
)
def interface_endpoint_private(r: Resource):
    if r.get("vpcEndpointType") != "Interface":
        return
    if r.get("privateDnsEnabled") is not True:
        yield f"interface endpoint {r.name} does not enable private DNS"
    if not as_list(r.get("securityGroupIds")):
        yield f"interface endpoint {r.name} has no security group"
    if not as_list(r.get("subnetIds")):
        yield f"interface endpoint {r.name} is placed in no subnet"


@stack_rule(
    id="AWS-NET-013",
    title="Flow logs land in an encrypted log group that keeps them long enough",
    severity="medium",
    description="The CloudWatch log group a flow log delivers to (joined through `logDestination`) sets "
    "`kmsKeyId` and a `retentionInDays` of at least `minRetentionDays` (90 by default; 0 means "
    "never expire).",
    rationale="Flow logs name every internal address and port that talked; stored unencrypted or deleted "
    "after a day, they either leak the network map or are gone when an incident needs them. The "
    "anchors check that flow logs exist, never where they go.",
    remediation="Give the Network component `kms_key_arn` and `flow_log_retention_days` (stack config "
    "`network.flowLogRetentionDays`).",
    tags=("groundwork:beyond",),
    thresholds={"minRetentionDays": 90},
)
def flow_log_destination(stack: Stack):
    minimum = int(stack.threshold("minRetentionDays", 90))
    for flow_log in stack.of_type(FLOW_LOG):
        if flow_log.peek("logDestinationType", "cloud-watch-logs") != "cloud-watch-logs":
            continue
        destinations = (stack.by_urn(u) for u in flow_log.depends_on("logDestination"))
        groups = [g for g in destinations if g is not None and g.type == LOG_GROUP]
        for group in groups:
            if not group.has("kmsKeyId"):
                yield group, f"flow log group {group.name} is not encrypted with a KMS key"
            retention = group.peek("retentionInDays")
            # Unset or 0 means CloudWatch never expires the events: long enough.
            if isinstance(retention, (int, float)) and 0 < retention < minimum:
                yield (
                    group,
                    (
                        f"flow log group {group.name} keeps flow logs {int(retention)} days, "
                        f"less than {minimum}"
                    ),
                )


@stack_rule(
    id="AWS-NET-014",
    title="Elastic IPs are attached to something",
    severity="low",
    description="Every `aws:ec2/eip:Eip` is the `allocationId` of a NAT gateway or names an `instance` or "
    "`networkInterface`.",
    rationale="An unattached Elastic IP is a public address the account pays for and nobody watches; when "
    "it is attached later by hand, nothing reviewed the exposure.",
    remediation="Delete Elastic IPs that nothing uses; let the Network component allocate one per NAT "
    "gateway.",
    tags=("fsbp:EC2.12",),
)
def eip_attached(stack: Stack):
    used = {u for nat in stack.of_type(NAT) for u in nat.depends_on("allocationId")}
    for eip in stack.of_type(EIP):
        if eip.urn not in used and not eip.has("instance") and not eip.has("networkInterface"):
            yield (
                eip,
                (f"Elastic IP {eip.name} is not attached to a NAT gateway, instance or network interface"),
            )


@resource_rule(
    id="AWS-NET-015",
    title="Security groups admit traffic only from private address space",
    severity="high",
    resource_types=(SG, SG_RULE, SG_INGRESS),
    description="Every ingress CIDR is inside RFC 1918, RFC 6598 or IPv6 ULA space, unless it is listed in "
    "the `allowedPublicCidrs` threshold. (AWS-NET-001 covers 0.0.0.0/0 itself.)",
    rationale="Blocking 0.0.0.0/0 is not enough: a rule opened to 0.0.0.0/1, a /8 of someone else's or a "
    "home IP is still the internet. Inside Groundwork, traffic enters through load balancers; "
    "nothing else should name a public address.",
    remediation="Reference the load balancer's or the cluster's security group instead of an address "
    "range; list a partner's fixed range in `allowedPublicCidrs` with a note in the change "
    "that adds it.",
    tags=("groundwork:beyond",),
    thresholds={"allowedPublicCidrs": []},
)
def sg_private_sources(r: Resource):
    allowed = set(r.threshold("allowedPublicCidrs", []))
    for rule in sg_rules(r, "ingress"):
        public = [
            c
            for c in rule["cidrs"]
            if isinstance(c, str) and not is_anywhere(c) and not is_private_cidr(c) and c not in allowed
        ]
        if public:
            ports = describe_ports(rule["ports"])
            yield f"{r.name} {rule['where']} admits {ports} from public range(s) {', '.join(public)}"
