"""Stack-wide rules: what only the whole stack shows, and what none of the anchor rule sets checks
(section 9 of the policy target document).

- STACK-ENV-001  every taggable AWS resource is tagged for this stack's environment
- STACK-HA-001   prod is multi-AZ end to end (subnets, NAT, MSK brokers, node groups)
- STACK-PROT-001 stateful resources are `protect`ed in prod
- STACK-BACKUP-001 every datastore has a declared recovery path (AWS Backup selection, replication)
- STACK-SEC-001  no plaintext credentials by shape
- STACK-NET-001  datastores are reachable only from security groups, never from CIDRs
- STACK-KMS-001  datastores use a customer-managed key created in this stack (or an allowed one)
- STACK-REG-001  resources stay in the allowed regions
- STACK-OBS-001  every datastore has an alarm with actions, and ElastiCache ships its slow log

Related rules live next to their resources: the namespace baseline is K8S-NS-001..004, the registry
allow-list K8S-POD-025, cluster-admin bindings K8S-RBAC-004/005.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from functools import cache

from pulumi_policy.proxy import _is_unknown

from policy.framework import Resource, Stack, stack_rule
from policy.rules._b_util import anchors, as_list, each, linked, number
from policy.rules.data_services import (
    BACKUP_VAULT,
    EC_CLUSTER,
    EC_REPLICATION_GROUP,
    EC_SERVERLESS,
    MSK_CLUSTER,
    RDS_CLUSTER,
    RDS_INSTANCE,
    S3_BUCKETS,
)
from policy.rules.eks_compute import AWS_ACCESS_KEY, EBS_VOLUME, EKS_CLUSTER, NODE_GROUP, PRIVATE_KEY_BLOCK

SUBNET = "aws:ec2/subnet:Subnet"
NAT_GATEWAY = "aws:ec2/natGateway:NatGateway"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
SG_INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
KMS_KEY = "aws:kms/key:Key"
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
SECRET = "aws:secretsmanager/secret:Secret"
SECRET_VERSION = "aws:secretsmanager/secretVersion:SecretVersion"
BACKUP_SELECTION = "aws:backup/selection:Selection"
MSK_REPLICATOR = "aws:msk/replicator:Replicator"
AWS_PROVIDER = "pulumi:providers:aws"
K8S_SECRET = "kubernetes:core/v1:Secret"
STATEFUL_SET = "kubernetes:apps/v1:StatefulSet"
PVC = "kubernetes:core/v1:PersistentVolumeClaim"

REQUIRED_TAGS = ["environment", "project", "component", "managed-by", "owner", "cost-center"]


# ----------------------------------------------------------------------------------- tagging


@cache
def taggable(type_token: str) -> bool | None:
    """Whether the installed pulumi-aws SDK gives `type_token` a `tags` input (None: unknown type).

    Looks the Args class up through the package attribute (`pulumi_aws.ec2.SubnetArgs`): pulumi_aws
    loads its service packages lazily, and importing a service's submodule directly would bypass and
    break that lazy load for the program that runs next in the same process."""
    try:
        _, module_path, cls = type_token.split(":")
        module = module_path.split("/")[0]
    except ValueError:
        return None
    import pulumi_aws

    for package in (module, f"{module}_"):  # `lambda` is `lambda_` in Python
        try:
            args = getattr(getattr(pulumi_aws, package), f"{cls}Args")
        except (AttributeError, ImportError):
            continue
        return isinstance(vars(args).get("tags"), property)
    return None


def _provider_tags(stack: Stack, r: Resource) -> dict:
    """The provider's `defaultTags.tags`. Provider inputs reach the engine as strings, so the block
    arrives JSON-encoded from the CLI (and from preflight); a plain dict is accepted too."""
    provider = stack.by_urn(r.provider) if r.provider else None
    block = provider.peek("defaultTags") if provider is not None else None
    if isinstance(block, str):
        try:
            block = json.loads(block)
        except ValueError:
            return {}
    tags = block.get("tags") if isinstance(block, dict) else None
    return tags if isinstance(tags, dict) else {}


@stack_rule(
    id="STACK-ENV-001",
    title="Every taggable AWS resource is tagged for this stack's environment",
    severity="medium",
    description="For every AWS resource whose type takes `tags` (per the installed pulumi-aws SDK), the tags "
    "(its own merged over its provider's `defaultTags`) include every key in the policy config's "
    "`requiredTags` (environment, project, component, managed-by, owner, cost-center) and "
    "`environment` equals the stack's environment.",
    rationale="Tags drive cost allocation, tag-based IAM conditions, AWS Backup selections and incident "
    "scoping. A prod-tagged resource in a dev stack (or an untagged one) escapes all of them; no "
    "anchor ties tags to the stack that created the resource.",
    remediation="Create AWS resources through Groundwork components, which pass `tags=component_tags(...)`; "
    "the values come from `tags.owner`/`tags.costCenter` in Pulumi.<stack>.yaml.",
    thresholds={"requiredTags": REQUIRED_TAGS},
    tags=anchors("STK-ENV-001", "A/M", "groundwork:beyond"),
)
def environment_tags(stack: Stack):
    required = stack.threshold("requiredTags", REQUIRED_TAGS)

    def check(r: Resource):
        if not r.type.startswith("aws:"):
            return
        own = r.peek("tags") or {}
        known = taggable(r.type)
        if known is False or (known is None and "tags" not in r.props):
            return
        tags = {**_provider_tags(stack, r), **(own if isinstance(own, dict) else {})}
        missing = [k for k in required if k not in tags]
        if missing:
            yield r, f"missing tags: {', '.join(missing)}"
        env = tags.get("environment")
        if env is not None and isinstance(env, str) and env != stack.environment:
            yield r, f"tag environment={env} in the {stack.environment} stack"

    yield from each(stack.resources, check)


# -------------------------------------------------------------------------------- availability


def _zone(subnet: Resource) -> str | None:
    return subnet.peek("availabilityZone") or subnet.peek("availabilityZoneId")


def _zones(owner: Resource, prop: str, subnets: list[Resource]) -> set[str]:
    return {z for z in (_zone(s) for s in linked(owner, prop, subnets, keys=("id",))) if isinstance(z, str)}


@stack_rule(
    id="STACK-HA-001",
    title="Prod is multi-AZ end to end",
    severity="high",
    description="In the environments of the policy config's `requireMultiAzIn` (default prod), with `minAzs` "
    "(default 3): the subnets span at least minAzs AZs; NAT gateways sit in at least minAzs AZs; "
    "every MSK cluster's `brokerNodeGroupInfo.clientSubnets` span minAzs AZs and the broker "
    "count is a multiple of them; every EKS node group's `subnetIds` span minAzs AZs with "
    "`scalingConfig.minSize >= minAzs`. The per-datastore flags are AWS-RDS-004 (multiAz), "
    "AWS-RDS-025 and AWS-ELASTICACHE-005 (multiAzEnabled + automaticFailover).",
    rationale="Multi-AZ is only as strong as its weakest layer: a Multi-AZ database behind one NAT gateway, "
    "or Kafka brokers in two AZs, still goes down with one zone. The anchors check single flags, "
    "never the spread across AZs.",
    remediation="Keep `network.azCount: 3` and `network.natGateways: perAz` (prod profile), and pass all "
    "three private subnets to the cluster and Kafka (`kafka.brokerCount` a multiple of 3).",
    thresholds={"requireMultiAzIn": ["prod"], "minAzs": 3},
    tags=anchors("STK-HA-001", "D/M", "groundwork:beyond"),
)
def multi_az_end_to_end(stack: Stack):
    if stack.environment not in stack.threshold("requireMultiAzIn", ["prod"]):
        return
    need = int(number(stack.threshold("minAzs", 3), 3))
    subnets = stack.of_type(SUBNET)
    all_zones = {z for z in (_zone(s) for s in subnets) if isinstance(z, str)}
    if subnets and len(all_zones) < need:
        yield (
            None,
            (f"the subnets span {len(all_zones)} AZ(s): {', '.join(sorted(all_zones))}; {need} required"),
        )
    nats = stack.of_type(NAT_GATEWAY)
    if nats:
        nat_zones = set().union(*(_zones(n, "subnetId", subnets) for n in nats))
        if (len(nat_zones) if nat_zones else len(nats)) < need:
            yield (
                nats[0],
                (
                    f"{len(nats)} NAT gateway(s): losing their AZ cuts egress for the others; one "
                    "per AZ needed"
                ),
            )

    def msk(cluster: Resource):
        client_subnets = as_list(cluster.get("brokerNodeGroupInfo.clientSubnets"))
        zones = _zones(cluster, "brokerNodeGroupInfo", subnets) or set()
        spread = len(zones) if zones else len(client_subnets)
        if spread < need:
            yield cluster, f"brokers are spread over {spread} AZ(s); {need} required"
        brokers = number(cluster.get("numberOfBrokerNodes"), 0)
        if spread and brokers % spread:
            yield cluster, f"{brokers:g} brokers do not divide evenly over {spread} AZs"

    def node_group(group: Resource):
        zones = _zones(group, "subnetIds", subnets)
        spread = len(zones) if zones else len(as_list(group.get("subnetIds")))
        if spread < need:
            yield group, f"the node group spans {spread} AZ(s); {need} required"
        min_size = number(group.get("scalingConfig.minSize"), 0)
        if min_size < need:
            yield group, f"scalingConfig.minSize is {min_size:g}: fewer nodes than AZs"

    yield from each(stack.of_type(MSK_CLUSTER), msk)
    yield from each(stack.of_type(NODE_GROUP), node_group)


# ---------------------------------------------------------------------------------- protection

STATEFUL_TYPES = (RDS_INSTANCE, RDS_CLUSTER, EC_REPLICATION_GROUP, EC_CLUSTER, EC_SERVERLESS, MSK_CLUSTER, KMS_KEY, BACKUP_VAULT, EKS_CLUSTER, SECRET, EBS_VOLUME, PVC, *S3_BUCKETS)


@stack_rule(
    id="STACK-PROT-001",
    title="Stateful resources are protected in prod",
    severity="high",
    description="In the environments of `requireProtectIn` (default prod), every RDS instance/cluster, "
    "ElastiCache cache, MSK cluster, KMS key, Backup vault, S3 bucket, EKS cluster, Secrets "
    "Manager secret, EBS volume, PersistentVolumeClaim and StatefulSet with volumeClaimTemplates "
    "has the Pulumi `protect` option. Buckets tagged `ephemeral=true` are skipped. "
    "(`retainOnDelete` is not visible to policies, so it cannot count.)",
    rationale="`protect` makes Pulumi refuse to delete the resource, including on a replacement caused by an "
    "innocent-looking change; it is the last line before `pulumi destroy -s prod` or a refactor "
    "that renames a database loses data.",
    remediation="Groundwork sets `protect` from `StackConfig.protect_stateful_resources` (true in prod) "
    "through `platform.aws_opts(protect=...)`; pass it for any stateful resource added outside a "
    "component.",
    thresholds={"requireProtectIn": ["prod"]},
    tags=anchors("STK-PROT-001", "D/M", "groundwork:beyond"),
)
def stateful_protected(stack: Stack):
    if stack.environment not in stack.threshold("requireProtectIn", ["prod"]):
        return

    def check(r: Resource):
        if r.type in S3_BUCKETS and str((r.peek("tags") or {}).get("ephemeral", "")).lower() == "true":
            return
        claims = r.type == STATEFUL_SET and r.peek("spec.volumeClaimTemplates")
        stateful = r.type in STATEFUL_TYPES or claims
        if stateful and not r.protect:
            yield (
                r,
                (
                    f"{r.type.rsplit(':', 1)[1]} {r.name} is not protected: a destroy or replacement "
                    "deletes it"
                ),
            )

    yield from each(stack.resources, check)


# ------------------------------------------------------------------------------------- backups


def _selected(db: Resource, selections: list[Resource]) -> bool:
    tags = db.peek("tags") or {}
    for sel in selections:
        named = [str(x) for x in as_list(sel.peek("resources") or [])]
        if db in linked(sel, "resources", [db]) or "*" in named:
            return True
        for tag in as_list(sel.peek("selectionTags") or []):
            equals = tag.get("type", "STRINGEQUALS") == "STRINGEQUALS"
            if equals and tags.get(tag.get("key")) == tag.get("value"):
                return True
        for condition in as_list(sel.peek("conditions") or []):
            for eq in as_list(condition.get("stringEquals")):
                key = str(eq.get("key", "")).removeprefix("aws:ResourceTag/")
                if tags.get(key) == eq.get("value"):
                    return True
    return False


@stack_rule(
    id="STACK-BACKUP-001",
    title="Every datastore has a declared recovery path",
    severity="high",
    description="Every RDS instance (not a read replica) and cluster, and every EBS volume, is selected by "
    "an `aws:backup/selection:Selection` — by ARN in `resources`, or by its tags through "
    "`selectionTags`/`conditions` (Groundwork tags datastores `backup=true`). Every MSK cluster "
    "(which AWS Backup does not support) has an `aws:msk/replicator:Replicator` or a `recovery` "
    "tag naming its recovery path (e.g. `replay-from-source`). ElastiCache, which AWS Backup "
    "does not support either, recovers from its own snapshots: AWS-ELASTICACHE-006.",
    rationale="A datastore without a backup plan is only as durable as its last accident. The anchors check "
    "RDS/EBS backup plans one resource at a time; this rule gives a reviewer the whole recovery "
    "matrix of the stack, including the services AWS Backup cannot protect.",
    remediation="The `Backups` component selects resources tagged `backup=true`; the `Postgres` component "
    "sets that tag. For Kafka, tag the MSK cluster `recovery=<how topics come back>` (e.g. "
    "`replay-from-source`) in the `Kafka` component, or add an MSK Replicator.",
    tags=anchors(
        "STK-BKP-001",
        "A/M",
        "target:AWS-RDS-028",
        "checkov:CKV2_AWS_8",
        "fsbp:RDS.26",
        "fsbp:EC2.28",
        "cdk-nag:NIST.800.53.R5-RDSInBackupPlan",
        "groundwork:beyond",
    ),
)
def backup_coverage(stack: Stack):
    selections = stack.of_type(BACKUP_SELECTION)

    def database(db: Resource):
        if db.type == RDS_INSTANCE and db.peek("replicateSourceDb"):
            return
        if not _selected(db, selections):
            yield db, f"{db.name} is not selected by any AWS Backup selection (tag it backup=true)"

    def kafka(cluster: Resource):
        replicators = stack.of_type(MSK_REPLICATOR)
        replicated = any(cluster in linked(rep, "kafkaClusters", [cluster]) for rep in replicators)
        if not replicated and not (cluster.peek("tags") or {}).get("recovery"):
            yield (
                cluster,
                (f"{cluster.name} has no replicator and no `recovery` tag naming how topics are recovered"),
            )

    yield from each(stack.of_type(RDS_INSTANCE, RDS_CLUSTER, EBS_VOLUME), database)
    yield from each(stack.of_type(MSK_CLUSTER), kafka)


# ------------------------------------------------------------------------------------- secrets

CREDENTIAL_KEY = re.compile(r"(?i)(password|passwd|secret|token|apikey|api_key|privatekey|secretaccesskey)$")
NOT_A_CREDENTIAL_KEY = re.compile(r"(?i)^(existing|use|enable|create|auto|generate|require|rotate)")
REFERENCE_PREFIXES = ("arn:", "{{resolve:", "$(", "${", "/", "secretsmanager:", "ssm:")
WEAK_VALUES = {
    "password",
    "changeme",
    "change-me",
    "secret",
    "admin",
    "root",
    "postgres",
    "redis",
    "kafka",
    "letmein",
    "123456",
    "12345678",
    "password1",
    "test",
    "example",
    "default",
}
# Types whose purpose is to hold a secret value: they are judged elsewhere (AWS-SM-*, K8S-POD-016) or
# receive generated values by design.
SECRET_HOLDERS = (SECRET_VERSION, K8S_SECRET, "aws:ssm/parameter:Parameter")


def _entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def _walk(value, path: str = ""):
    """(dotted path, string) for every string in a props tree, stepping over values unknown at preview."""
    if isinstance(value, dict):
        for k, v in dict.items(value):
            yield from _walk(v, f"{path}.{k}" if path else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(list.__iter__(value)):
            yield from _walk(v, f"{path}[{i}]")
    elif isinstance(value, str) and not _is_unknown(value):
        yield path, value


def _weak_literal(value: str, min_length: int) -> str | None:
    if not value or value.startswith(REFERENCE_PREFIXES):
        return None
    if value.lower() in WEAK_VALUES:
        return "a well-known default"
    if len(value) < min_length:
        return f"a {len(value)}-character literal"
    if _entropy(value) < 3.0:
        return "a low-entropy literal"
    return None


@stack_rule(
    id="STACK-SEC-001",
    title="No plaintext credentials in resource inputs",
    severity="critical",
    description="Scans every input of every resource (Helm values included). Fires on AWS access key ids and "
    "private key blocks anywhere, and on inputs named like a credential (…password, …secret, "
    "…token, …apiKey, privateKey) whose value is a well-known default, shorter than "
    "`minSecretLength` (default 16) or low-entropy — the shapes of a hand-typed literal. Values "
    "that are references (ARNs, `$(...)`, file paths) pass; Secrets Manager secret versions, "
    "Kubernetes Secrets and SSM parameters are the intended holders and are skipped.",
    rationale="A policy sees secret inputs unwrapped and cannot tell a generated Pulumi secret from a "
    "literal in the source, so it judges by shape: short, guessable or key-shaped values are typed "
    "by a human and live in git history forever. Generated secrets (pulumi_random, RDS-managed) "
    "pass.",
    remediation="Generate the value with `pulumi_random.RandomPassword` (or let RDS manage it), keep it a "
    "Pulumi secret, and pass it through Secrets Manager / External Secrets; rotate any "
    "credential this rule found, since it is already in history.",
    thresholds={"minSecretLength": 16},
    tags=anchors(
        "STK-SEC-001", "M/M", "checkov:CKV_AWS_46", "cdk-nag:AwsSolutions-DOC3", "groundwork:beyond"
    ),
)
def no_plaintext_credentials(stack: Stack):
    min_length = int(number(stack.threshold("minSecretLength", 16), 16))

    def check(r: Resource):
        if r.type in SECRET_HOLDERS or r.type.startswith("random:"):
            return
        for path, value in _walk(r.props):
            leaf = re.split(r"[.\[]", path)[-1] if path else ""
            if AWS_ACCESS_KEY.search(value):
                yield r, f"input {path} contains an AWS access key id"
            elif PRIVATE_KEY_BLOCK.search(value):
                yield r, f"input {path} contains a private key block"
            elif CREDENTIAL_KEY.search(leaf) and not NOT_A_CREDENTIAL_KEY.search(leaf):
                weakness = _weak_literal(value, min_length)
                if weakness:
                    yield r, f"input {path} is {weakness}: a hand-typed credential"

    yield from each(stack.resources, check)


# ------------------------------------------------------------------------------------- network

DATASTORE_SGS = {
    RDS_INSTANCE: "vpcSecurityGroupIds",
    RDS_CLUSTER: "vpcSecurityGroupIds",
    EC_REPLICATION_GROUP: "securityGroupIds",
    EC_CLUSTER: "securityGroupIds",
    EC_SERVERLESS: "securityGroupIds",
    MSK_CLUSTER: "brokerNodeGroupInfo",
}


def _cidr_sources(stack: Stack, sg: Resource) -> list[str]:
    """The CIDRs and prefix lists the group admits on ingress, from inline and standalone rules."""
    sources: list[str] = []
    for rule in as_list(sg.peek("ingress") or []):
        sources += [str(c) for c in as_list(rule.get("cidrBlocks")) + as_list(rule.get("ipv6CidrBlocks"))]
        sources += [f"prefix list {p}" for p in as_list(rule.get("prefixListIds"))]
    for rule in stack.of_type(SG_INGRESS_RULE):
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
    "while a security-group reference admits exactly the cluster's nodes. The anchors only reject "
    "0.0.0.0/0; a database open to 10.0.0.0/8 passes them.",
    remediation="The data components take `allowed_security_group_ids` (the cluster's node security group) "
    "and create referenced-group rules only; remove CIDR rules from the datastore's group.",
    thresholds={"allowedDatastoreCidrs": []},
    tags=anchors("STK-NET-001", "A/M", "cdk-nag:AwsSolutions-RDS8", "groundwork:beyond"),
)
def datastores_reachable_from_groups_only(stack: Stack):
    allowed = set(stack.threshold("allowedDatastoreCidrs", []))
    groups = stack.of_type(SECURITY_GROUP)

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


# ------------------------------------------------------------------------------------------- KMS

KEY_INPUTS = {
    RDS_INSTANCE: "kmsKeyId",
    RDS_CLUSTER: "kmsKeyId",
    EC_REPLICATION_GROUP: "kmsKeyId",
    EC_SERVERLESS: "kmsKeyId",
    MSK_CLUSTER: "encryptionInfo",
    BACKUP_VAULT: "kmsKeyArn",
    EKS_CLUSTER: "encryptionConfig",
    SECRET: "kmsKeyId",
    EBS_VOLUME: "kmsKeyId",
}


@stack_rule(
    id="STACK-KMS-001",
    title="Datastores use a key this stack owns",
    severity="medium",
    description="For every datastore, vault, secret and cluster that names a KMS key, the key input depends "
    "on an `aws:kms/key:Key` of this stack (the engine's property dependencies) or is in the "
    "policy config's `allowedKmsKeyArns`; `alias/aws/*` AWS-managed keys fail.",
    rationale="A key from another stack or environment couples lifecycles (its deletion makes this stack's "
    "data unreadable) and lets that environment's administrators decrypt this one's data. The "
    "anchors only check that some key is set.",
    remediation="Pass `platform.kms.key_arn` (the stack's own key) to every component.",
    thresholds={"allowedKmsKeyArns": []},
    tags=anchors("STK-KMS-001", "A/M", "groundwork:beyond"),
)
def keys_owned_by_stack(stack: Stack):
    own = {k.urn for k in stack.of_type(KMS_KEY)}
    allowed = set(stack.threshold("allowedKmsKeyArns", []))

    def check(r: Resource):
        prop = KEY_INPUTS[r.type]
        if not r.peek(prop):
            return
        if own & set(r.depends_on(prop)):
            return
        values = [v for _, v in _walk({prop: r.peek(prop)}) if "kms" in v or v.startswith("alias/")]
        bad = [v for v in values if v not in allowed]
        if bad:
            yield r, f"{r.name} uses KMS key {bad[0]}, which is neither created in this stack nor allowed"

    yield from each(stack.of_type(*KEY_INPUTS), check)


# ------------------------------------------------------------------------------------- regions


@stack_rule(
    id="STACK-REG-001",
    title="Resources stay in the allowed regions",
    severity="high",
    description="When the policy config sets `allowedRegions`, every AWS provider's `region` and every AWS "
    "resource's per-resource `region` input (pulumi-aws 7) is in it.",
    rationale="Data residency: a per-resource region override or a second provider can place a copy of the "
    "data in a region the organisation has not approved.",
    remediation="Set `aws:region` in Pulumi.<stack>.yaml to an allowed region and drop per-resource "
    "overrides (cross-region backup copies go to `backups.drRegion`, which must be allowed too).",
    thresholds={"allowedRegions": []},
    tags=anchors("STK-REG-001", "A/M", "groundwork:beyond"),
)
def allowed_regions(stack: Stack):
    allowed = stack.threshold("allowedRegions", [])
    if not allowed:
        return

    def check(r: Resource):
        if r.type == AWS_PROVIDER or r.type.startswith("aws:"):
            region = r.peek("region")
            if isinstance(region, str) and region and region not in allowed:
                yield r, f"region {region} is not in allowedRegions"

    yield from each(stack.resources, check)


# --------------------------------------------------------------------------------- observability

# How a CloudWatch alarm names each datastore: (identifier input, alarm dimension names).
ALARM_DIMENSIONS = {
    RDS_INSTANCE: ("identifier", ("DBInstanceIdentifier",)),
    RDS_CLUSTER: ("clusterIdentifier", ("DBClusterIdentifier",)),
    EC_REPLICATION_GROUP: ("replicationGroupId", ("ReplicationGroupId", "CacheClusterId")),
    MSK_CLUSTER: ("clusterName", ("Cluster Name",)),
}


def _alarms_for(ds: Resource, alarms: list[Resource]) -> list[Resource]:
    ident_prop, dimension_names = ALARM_DIMENSIONS[ds.type]
    ident = ds.peek(ident_prop)
    found = []
    for alarm in alarms:
        if ds.urn in alarm.depends_on("dimensions") + alarm.depends_on("metricQueries"):
            found.append(alarm)
            continue
        dims = [alarm.peek("dimensions") or {}]
        queries = [q for q in as_list(alarm.peek("metricQueries") or []) if isinstance(q, dict)]
        dims += [(q.get("metric") or {}).get("dimensions") or {} for q in queries]
        values = [str(d.get(n)) for d in dims if isinstance(d, dict) for n in dimension_names if d.get(n)]
        expressions = [
            str(q.get("expression") or "")
            for q in as_list(alarm.peek("metricQueries") or [])
            if isinstance(q, dict)
        ]
        if isinstance(ident, str) and (
            any(v == ident or v.startswith(f"{ident}-") for v in values)
            or any(f"'{ident}'" in e for e in expressions)
        ):
            found.append(alarm)
    return found


@stack_rule(
    id="STACK-OBS-001",
    title="Every datastore is watched by an alarm that notifies someone",
    severity="medium",
    description="Every RDS instance/cluster, ElastiCache replication group and MSK cluster has at least one "
    "`aws:cloudwatch/metricAlarm` on it (its dimensions or metric queries depend on the "
    "datastore, or name its identifier) with `alarmActions` and `actionsEnabled` not false; "
    "every Redis/Valkey replication group delivers its slow log (`logDeliveryConfigurations` "
    "with logType slow-log). RDS log exports and MSK broker logs are AWS-RDS-008/024 and "
    "AWS-MSK-006; the log groups themselves are judged by AWS-CW-001/002.",
    rationale="A datastore nobody is alerted about fails silently: storage fills, replicas lag, brokers go "
    "offline, and the first signal is an outage report. The anchors check that logging is on, "
    "never that a human hears about it.",
    remediation="The `Monitoring` component creates CPU, storage, memory and replication alarms per "
    "datastore with the stack's SNS topic as action; the `Redis` component ships slow and engine "
    "logs to CloudWatch.",
    tags=anchors("STK-OBS-001", "A/M", "groundwork:beyond"),
)
def datastores_observed(stack: Stack):
    alarms = [
        a
        for a in stack.of_type(METRIC_ALARM)
        if as_list(a.peek("alarmActions") or []) and a.peek("actionsEnabled") is not False
    ]

    def check(ds: Resource):
        if not _alarms_for(ds, alarms):
            yield ds, f"{ds.name} has no CloudWatch alarm with actions"
        if ds.type == EC_REPLICATION_GROUP and str(ds.peek("engine") or "redis") in ("redis", "valkey"):
            logs = [c for c in as_list(ds.get("logDeliveryConfigurations")) if isinstance(c, dict)]
            if not any(c.get("logType") == "slow-log" for c in logs):
                yield ds, f"{ds.name} does not deliver its slow log"

    yield from each(stack.of_type(*ALARM_DIMENSIONS), check)
