"""VPC rules: flow logs and where they go, subnets, the default VPC, network ACLs, VPC endpoints,
routes that keep private subnets private, and Elastic IPs.

Groundwork's `Network` component creates these on AWS stacks; the config keys named in remediations
live under `network.*` in `Pulumi.<stack>.yaml`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pulumi_policy.proxy import UnknownValueError

from policy.framework import UNKNOWN, Resource, Stack, resource_rule, stack_rule
from policy.helpers import ALL_PROTOCOLS, as_list, covers, is_anywhere, port_range
from policy.rules.aws.cloudwatch import LOG_GROUP

VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
DEFAULT_VPC = "aws:ec2/defaultVpc:DefaultVpc"
NACL = "aws:ec2/networkAcl:NetworkAcl"
NACL_RULE = "aws:ec2/networkAclRule:NetworkAclRule"
DEFAULT_NACL = "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
ROUTE = "aws:ec2/route:Route"
IGW = "aws:ec2/internetGateway:InternetGateway"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
EIP = "aws:ec2/eip:Eip"
NAT = "aws:ec2/natGateway:NatGateway"
ADMIN_PORTS = (20, 21, 22, 3389)


@stack_rule(
    id="AWS-NET-006",
    title="Every VPC records all its traffic in flow logs",
    severity="medium",
    description="Each `aws:ec2/vpc:Vpc` is the `vpcId` of an `aws:ec2/flowLog:FlowLog` with `trafficType` "
    '"ALL".',
    rationale="Flow logs are the only record of who talked to what inside a VPC; without them an incident "
    "cannot be scoped, and rejected traffic (probes, exfiltration attempts) goes unseen.",
    remediation="Keep the Network component's flow log on (it logs ALL traffic to an encrypted log group).",
    tags=("checkov:CKV2_AWS_11", "fsbp:EC2.6", "cdk-nag:AwsSolutions-VPC7"),
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
    tags=("checkov:CKV_AWS_130", "fsbp:EC2.15", "cdk-nag:NIST.800.53.R5-VPCSubnetAutoAssignPublicIpDisabled"),
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
    tags=("checkov:CKV_AWS_148",),
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
    tags=("fsbp:EC2.10", "fsbp:EC2.55", "fsbp:EC2.56"),
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
    tags=("checkov:CKV2_AWS_35", "checkov:CKV2_AWS_44", "cdk-nag:NIST.800.53.R5-VPCNoUnrestrictedRouteToIGW"),
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
    "that can route to it. No other rule set checks either.",
    remediation="Create interface endpoints with `private_dns_enabled=True`, the private subnets and a "
    "security group that allows 443 from the VPC CIDR only (Groundwork's Network component "
    "does).",
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
    "after a day, they either leak the network map or are gone when an incident needs them. Other rule "
    "sets check that flow logs exist, never where they go.",
    remediation="Give the Network component `kms_key_arn` and `flow_log_retention_days` (stack config "
    "`network.flowLogRetentionDays`).",
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
