"""Security-group rules: no public ingress, datastores without open egress, described rules kept
in one place, the default group closed, private sources only, and the stack rule that datastores
are reachable only from security groups (STACK-NET-001).

Groundwork's `Network` component and the data components create these on AWS stacks.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from policy.framework import Resource, Stack, resource_rule, stack_rule
from policy.helpers import (
    ALL_PROTOCOLS,
    as_list,
    describe_ports,
    each,
    is_anywhere,
    is_private_cidr,
    linked,
    port_range,
)
from policy.rules.aws.elasticache import EC_CLUSTER, EC_REPLICATION_GROUP, EC_SERVERLESS
from policy.rules.aws.msk import MSK_CLUSTER
from policy.rules.aws.rds import RDS_CLUSTER, RDS_INSTANCE
from policy.rules.aws.vpc import VPC

SG = "aws:ec2/securityGroup:SecurityGroup"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
SG_INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SG_EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
SG_TYPES = (SG, SG_RULE, SG_INGRESS, SG_EGRESS)
# The input through which each datastore type names its security groups.
DATASTORE_SGS = {
    RDS_INSTANCE: "vpcSecurityGroupIds",
    RDS_CLUSTER: "vpcSecurityGroupIds",
    EC_REPLICATION_GROUP: "securityGroupIds",
    EC_CLUSTER: "securityGroupIds",
    EC_SERVERLESS: "securityGroupIds",
    MSK_CLUSTER: "brokerNodeGroupInfo",
}


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
    tags=("checkov:CKV_AWS_382",),
)
def datastore_sg_no_open_egress(stack: Stack):
    groups: dict[str, Resource] = {}
    for store in stack.of_type(*DATASTORE_SGS):
        for urn in store.depends_on(DATASTORE_SGS[store.type]):
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
    tags=("awsguard:security-group-no-rule-management-conflicts",),
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
    tags=("checkov:CKV2_AWS_12", "fsbp:EC2.2", "cdk-nag:NIST.800.53.R5-VPCDefaultSecurityGroupClosed"),
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


# --- datastores reachable from security groups only -----------------------------------------------


def _cidr_sources(stack: Stack, sg: Resource) -> list[str]:
    """The CIDRs and prefix lists the group admits on ingress, from inline and standalone rules."""
    sources: list[str] = []
    for rule in as_list(sg.peek("ingress") or []):
        sources += [str(c) for c in as_list(rule.get("cidrBlocks")) + as_list(rule.get("ipv6CidrBlocks"))]
        sources += [f"prefix list {p}" for p in as_list(rule.get("prefixListIds"))]
    for rule in stack.of_type(SG_INGRESS):
        if sg in linked(rule, "securityGroupId", [sg], keys=("name",)):
            sources += [str(rule.peek(k)) for k in ("cidrIpv4", "cidrIpv6") if isinstance(rule.peek(k), str)]
            if isinstance(rule.peek("prefixListId"), str):
                sources.append(f"prefix list {rule.peek('prefixListId')}")
    for rule in stack.of_type(SG_RULE):
        if rule.peek("type") == "ingress" and sg in linked(rule, "securityGroupId", [sg], keys=("name",)):
            cidrs = as_list(rule.peek("cidrBlocks") or []) + as_list(rule.peek("ipv6CidrBlocks") or [])
            sources += [str(c) for c in cidrs]
            sources += [f"prefix list {p}" for p in as_list(rule.peek("prefixListIds") or [])]
    return sources


@stack_rule(
    id="STACK-NET-001",
    title="Datastores are reachable only from security groups",
    severity="high",
    description="For every RDS instance/cluster, ElastiCache cache and MSK cluster: it names at least one "
    "security group, and none of its security groups (found in the stack) admits ingress from a "
    "CIDR block or prefix list — inline `ingress`, `aws:vpc/securityGroupIngressRule` or "
    "`aws:ec2/securityGroupRule` — except the policy config's `allowedDatastoreCidrs`. Ingress "
    "must reference the cluster's security groups.",
    rationale="A CIDR rule admits everything in that range — other teams' subnets, the NAT, a peered VPC — "
    "while a security-group reference admits exactly the cluster's nodes. Other rule sets only reject "
    "0.0.0.0/0; a database open to 10.0.0.0/8 passes them.",
    remediation="The data components take `allowed_security_group_ids` (the cluster's node security group) "
    "and create referenced-group rules only; remove CIDR rules from the datastore's group.",
    thresholds={"allowedDatastoreCidrs": []},
    tags=("cdk-nag:AwsSolutions-RDS8",),
    aliases=("STK-NET-001",),
)
def datastores_reachable_from_groups_only(stack: Stack):
    allowed = set(stack.threshold("allowedDatastoreCidrs", []))
    groups = stack.of_type(SG)

    def check(ds: Resource):
        prop = DATASTORE_SGS[ds.type]
        named = ds.get("brokerNodeGroupInfo.securityGroups") if ds.type == MSK_CLUSTER else ds.get(prop)
        if not as_list(named):
            yield ds, f"{ds.name} names no security group, so it gets the VPC's default group"
            return
        for sg in linked(ds, prop, groups, keys=("name",)):
            wide = [c for c in _cidr_sources(stack, sg) if c not in allowed]
            if wide:
                yield (
                    ds,
                    (
                        f"security group {sg.name} admits {', '.join(sorted(set(wide)))} instead of a "
                        "security group"
                    ),
                )

    yield from each(stack.of_type(*DATASTORE_SGS), check)
