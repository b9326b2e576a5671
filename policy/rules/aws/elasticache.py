"""ElastiCache rules: replication groups, cache clusters and serverless caches (Redis and Valkey).

Groundwork's `Redis` component creates a replication group on AWS stacks; the config keys named in
remediations live under `redis.*` in `Pulumi.<stack>.yaml`.
"""

from __future__ import annotations

from policy.framework import Resource, resource_rule
from policy.helpers import as_list, cmk_issue, is_false, is_true, number

EC_REPLICATION_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"
EC_CLUSTER = "aws:elasticache/cluster:Cluster"
EC_SERVERLESS = "aws:elasticache/serverlessCache:ServerlessCache"


def _redis_like(r: Resource) -> bool:
    return str(r.props.get("engine") or "redis").lower() in ("redis", "valkey")


@resource_rule(
    id="AWS-ELASTICACHE-001",
    title="ElastiCache replication group is encrypted at rest",
    severity="high",
    resource_types=(EC_REPLICATION_GROUP,),
    description="Checks `atRestEncryptionEnabled == true` (serverless caches are always encrypted).",
    rationale="Redis snapshots and swap hold session data and cached records; unencrypted they are readable "
    "from the underlying storage and from exported backups.",
    remediation="The `Redis` component sets `at_rest_encryption_enabled=True` with the platform KMS key.",
    tags=("checkov:CKV_AWS_29", "fsbp:ElastiCache.4", "cdk-nag:AwsSolutions-AEC3"),
    aliases=("AWS-EC-001",),
)
def elasticache_at_rest(r: Resource):
    if not is_true(r.get("atRestEncryptionEnabled")):
        yield "atRestEncryptionEnabled is not true: data and snapshots are stored unencrypted"


@resource_rule(
    id="AWS-ELASTICACHE-002",
    title="ElastiCache uses a customer-managed KMS key",
    severity="medium",
    resource_types=(EC_REPLICATION_GROUP, EC_SERVERLESS),
    description="Checks `kmsKeyId` is set (and in `allowedKmsKeyArns` when configured).",
    rationale="A customer-managed key keeps decrypt rights, rotation and audit under the platform's key "
    "policy.",
    remediation="Pass the platform KMS key to the `Redis` component (`kms_key_id`).",
    thresholds={"allowedKmsKeyArns": []},
    tags=("checkov:CKV_AWS_191",),
    aliases=("AWS-EC-002",),
)
def elasticache_cmk(r: Resource):
    if r.type == EC_SERVERLESS or is_true(r.get("atRestEncryptionEnabled")):
        yield from cmk_issue(r, "kmsKeyId", "the cache")


@resource_rule(
    id="AWS-ELASTICACHE-003",
    title="ElastiCache requires TLS in transit",
    severity="high",
    resource_types=(EC_REPLICATION_GROUP, EC_CLUSTER),
    description="Checks `transitEncryptionEnabled == true` and (replication groups) `transitEncryptionMode` "
    "is not `preferred`, which still accepts plaintext clients. Cache clusters that are members "
    "of a replication group are skipped (the group decides).",
    rationale="Without TLS, AUTH tokens and cached data cross the VPC in clear text.",
    remediation="The `Redis` component sets `transit_encryption_enabled=True` and "
    '`transit_encryption_mode="required"`.',
    tags=("checkov:CKV_AWS_30", "fsbp:ElastiCache.5", "cdk-nag:AwsSolutions-AEC3"),
    aliases=("AWS-EC-003",),
)
def elasticache_in_transit(r: Resource):
    if r.type == EC_CLUSTER and r.props.get("replicationGroupId"):
        return  # member of a replication group: the group decides
    if not is_true(r.get("transitEncryptionEnabled")):
        yield "transitEncryptionEnabled is not true: clients talk to the cache in plaintext"
    elif r.get("transitEncryptionMode") == "preferred":
        yield "transitEncryptionMode is 'preferred': plaintext clients are still accepted"


@resource_rule(
    id="AWS-ELASTICACHE-004",
    title="ElastiCache requires authentication",
    severity="high",
    resource_types=(EC_REPLICATION_GROUP, EC_SERVERLESS),
    description="Checks that clients must authenticate: `userGroupIds` / `userGroupId` (Redis RBAC) or an "
    "AUTH token (`authToken` / `authTokenWo`).",
    rationale="A cache without AUTH answers any client that reaches its port, including a compromised pod in "
    "another namespace.",
    remediation="The `Redis` component creates an RBAC user group with a generated password "
    "(`user_group_ids`).",
    tags=("checkov:CKV_AWS_31", "fsbp:ElastiCache.6", "cdk-nag:AwsSolutions-AEC6"),
    aliases=("AWS-EC-004",),
)
def elasticache_auth(r: Resource):
    if r.type == EC_SERVERLESS:
        if not r.get("userGroupId"):
            yield "userGroupId is unset: the default user without password is enabled"
    elif not (as_list(r.get("userGroupIds")) or r.get("authToken") or r.get("authTokenWo")):
        yield "neither userGroupIds (RBAC) nor an AUTH token is set: any client reaching the port is served"


@resource_rule(
    id="AWS-ELASTICACHE-005",
    title="ElastiCache replication group fails over across AZs",
    severity="medium",
    resource_types=(EC_REPLICATION_GROUP,),
    description="Checks `automaticFailoverEnabled == true`, `multiAzEnabled == true` and at least one "
    "replica (`numCacheClusters >= 2` or `replicasPerNodeGroup >= 1`).",
    rationale="Without a replica in another AZ and automatic failover, losing the primary's node or AZ takes "
    "the cache down until someone intervenes.",
    remediation="Set `redis.replicas: 1` and `redis.multiAz: true` in Pulumi.<stack>.yaml (prod profile).",
    tags=("checkov:CKV2_AWS_50", "fsbp:ElastiCache.3", "cdk-nag:AwsSolutions-AEC4"),
    aliases=("AWS-EC-005",),
)
def elasticache_multi_az(r: Resource):
    if not is_true(r.get("automaticFailoverEnabled")):
        yield "automaticFailoverEnabled is not true"
    if not is_true(r.get("multiAzEnabled")):
        yield "multiAzEnabled is not true"
    clusters = number(r.get("numCacheClusters"), 0)
    replicas = number(r.get("replicasPerNodeGroup"), 0)
    if clusters < 2 and replicas < 1:
        yield "no replica: set numCacheClusters >= 2 or replicasPerNodeGroup >= 1"


@resource_rule(
    id="AWS-ELASTICACHE-006",
    title="ElastiCache keeps automatic snapshots",
    severity="high",
    resource_types=(EC_REPLICATION_GROUP, EC_CLUSTER, EC_SERVERLESS),
    description="Checks `snapshotRetentionLimit >= minSnapshotDays` (policy config; default 1) for "
    "Redis/Valkey. AWS Backup does not cover ElastiCache, so these snapshots are the cache's "
    "only recovery path.",
    rationale="Without snapshots a failed cluster restarts empty; for Redis used as a store (sessions, "
    "queues) that is data loss.",
    remediation="Set `redis.snapshotRetentionDays` (prod: 7) in Pulumi.<stack>.yaml.",
    thresholds={"minSnapshotDays": 1},
    tags=(
        "checkov:CKV_AWS_134",
        "fsbp:ElastiCache.1",
        "cdk-nag:NIST.800.53.R5-ElastiCacheRedisClusterAutomaticBackup",
    ),
    aliases=("AWS-EC-006",),
)
def elasticache_snapshots(r: Resource):
    if not _redis_like(r) or (r.type == EC_CLUSTER and r.props.get("replicationGroupId")):
        return
    minimum = number(r.threshold("minSnapshotDays", 1), 1)
    days = number(r.get("snapshotRetentionLimit"), 0)
    if days < minimum:
        yield f"snapshotRetentionLimit is {days:g}; at least {minimum:g} day(s) of snapshots are required"


@resource_rule(
    id="AWS-ELASTICACHE-007",
    title="ElastiCache takes minor version upgrades",
    severity="medium",
    resource_types=(EC_REPLICATION_GROUP, EC_CLUSTER),
    description="Checks `autoMinorVersionUpgrade` is not false (a boolean on replication groups, the string "
    '"false" on clusters).',
    rationale="Minor versions carry engine security fixes.",
    remediation="Leave `auto_minor_version_upgrade` at its default.",
    tags=("checkov:CKV_AWS_322", "fsbp:ElastiCache.2"),
    aliases=("AWS-EC-007",),
)
def elasticache_minor_upgrades(r: Resource):
    if is_false(r.get("autoMinorVersionUpgrade")):
        yield "autoMinorVersionUpgrade is false: engine security fixes are not applied automatically"


@resource_rule(
    id="AWS-ELASTICACHE-008",
    title="ElastiCache runs in the platform's subnets",
    severity="high",
    resource_types=(EC_REPLICATION_GROUP, EC_CLUSTER, EC_SERVERLESS),
    description="Checks `subnetGroupName` is set and not `default` (serverless: `subnetIds` set).",
    rationale="The default subnet group sits in the default VPC, outside the platform network and its "
    "security groups and flow logs.",
    remediation="The `Redis` component creates a subnet group from the network's database subnets.",
    tags=("checkov:CKV_AWS_323", "fsbp:ElastiCache.7", "cdk-nag:AwsSolutions-AEC1"),
    aliases=("AWS-EC-008",),
)
def elasticache_subnet_group(r: Resource):
    if r.type == EC_SERVERLESS:
        if not as_list(r.get("subnetIds")):
            yield "subnetIds is unset: the cache is placed in the default VPC"
    elif r.type == EC_CLUSTER and r.props.get("replicationGroupId"):
        return
    elif r.get("subnetGroupName") in (None, "", "default"):
        yield "subnetGroupName is unset or 'default': the cache is placed in the default VPC"


@resource_rule(
    id="AWS-ELASTICACHE-009",
    title="ElastiCache does not listen on the default port",
    severity="low",
    resource_types=(EC_REPLICATION_GROUP, EC_CLUSTER),
    description="Checks `port` is set and not 6379 (Redis/Valkey) or 11211 (Memcached).",
    rationale="Defence in depth against untargeted scans; not a control on its own.",
    remediation="Pass a non-default `port` to the replication group (the `Redis` component uses 6379 today, "
    "so this advisory finding is expected until it takes a port arg).",
    tags=("cdk-nag:AwsSolutions-AEC5",),
    aliases=("AWS-EC-009",),
)
def elasticache_port(r: Resource):
    if r.type == EC_CLUSTER and r.props.get("replicationGroupId"):
        return
    default = 6379 if _redis_like(r) else 11211
    port = number(r.get("port"))
    if port is None or int(port) == default:
        yield f"port is the engine default {default}"


@resource_rule(
    id="AWS-ELASTICACHE-010",
    title="ElastiCache keeps a final snapshot on deletion",
    severity="medium",
    resource_types=(EC_REPLICATION_GROUP, EC_CLUSTER),
    description="Checks `finalSnapshotIdentifier` is set on Redis/Valkey replication groups and standalone "
    "clusters.",
    rationale="Deleting a cache without a final snapshot loses its contents; the identifier is all it takes.",
    remediation="The `Redis` component sets `final_snapshot_identifier` derived from its name.",
)
def elasticache_final_snapshot(r: Resource):
    if not _redis_like(r) or (r.type == EC_CLUSTER and r.props.get("replicationGroupId")):
        return
    if not r.get("finalSnapshotIdentifier"):
        yield "finalSnapshotIdentifier is unset: deleting the cache loses its data"


@resource_rule(
    id="AWS-ELASTICACHE-011",
    title="ElastiCache AUTH token is not a stored input",
    severity="medium",
    resource_types=(EC_REPLICATION_GROUP,),
    description="Checks `authToken` is unset; authentication comes from RBAC `userGroupIds` or the "
    "write-only `authTokenWo`.",
    rationale="`authToken` is kept in the Pulumi state and cannot be rotated without replacing it there; "
    "RBAC users live in ElastiCache and rotate on their own schedule.",
    remediation="Use the `Redis` component's RBAC user group (`user_group_ids`), or `auth_token_wo`.",
)
def elasticache_auth_token_stored(r: Resource):
    if r.get("authToken"):
        yield "authToken is a stored input: use RBAC userGroupIds or authTokenWo"
