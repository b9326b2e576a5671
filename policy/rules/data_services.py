"""Rules for the data services: RDS (PostgreSQL), ElastiCache (Redis), MSK (Kafka), S3 and AWS Backup.

Property names are the engine's camelCase inputs of pulumi-aws 7.51.1 (read from the SDK's
`@pulumi.getter(name=...)`). Groundwork's `Postgres`, `Redis` and `Kafka` components create these
resources on AWS stacks; the config keys named in remediations live under `postgres.*`, `redis.*`,
`kafka.*` and `backups.*` in `Pulumi.<stack>.yaml`.
"""

from __future__ import annotations

from collections.abc import Iterator

from policy.framework import Resource, Stack, resource_rule, stack_rule
from policy.rules._b_util import (
    anchors,
    as_list,
    condition_keys,
    each,
    first,
    is_false,
    is_true,
    linked,
    number,
    policy_document,
    principal_is_public,
    statements,
    version_tuple,
)

RDS_INSTANCE = "aws:rds/instance:Instance"
RDS_CLUSTER = "aws:rds/cluster:Cluster"
RDS_CLUSTER_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
RDS_PARAMETER_GROUP = "aws:rds/parameterGroup:ParameterGroup"
RDS_CLUSTER_PARAMETER_GROUP = "aws:rds/clusterParameterGroup:ClusterParameterGroup"
RDS_SNAPSHOT = "aws:rds/snapshot:Snapshot"
RDS_CLUSTER_SNAPSHOT = "aws:rds/clusterSnapshot:ClusterSnapshot"
EC_REPLICATION_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"
EC_CLUSTER = "aws:elasticache/cluster:Cluster"
EC_SERVERLESS = "aws:elasticache/serverlessCache:ServerlessCache"
MSK_CLUSTER = "aws:msk/cluster:Cluster"
MSK_CONFIGURATION = "aws:msk/configuration:Configuration"
BACKUP_VAULT = "aws:backup/vault:Vault"
BACKUP_PLAN = "aws:backup/plan:Plan"
BACKUP_VAULT_LOCK = "aws:backup/vaultLockConfiguration:VaultLockConfiguration"
BACKUP_VAULT_POLICY = "aws:backup/vaultPolicy:VaultPolicy"

# S3: pulumi-aws 7 keeps the side-by-side resources, their deprecated *V2 twins and the inline
# (deprecated) props on the bucket itself. Every S3 rule reads all three shapes.
S3_BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
S3_PAB = ("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",)
S3_ACL = ("aws:s3/bucketAcl:BucketAcl", "aws:s3/bucketAclV2:BucketAclV2")
S3_OWNERSHIP = ("aws:s3/bucketOwnershipControls:BucketOwnershipControls",)
S3_SSE = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
S3_POLICY = ("aws:s3/bucketPolicy:BucketPolicy",)
S3_VERSIONING = ("aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2")
S3_LOGGING = ("aws:s3/bucketLogging:BucketLogging", "aws:s3/bucketLoggingV2:BucketLoggingV2")
S3_LIFECYCLE = (
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
)
S3_OBJECT_LOCK = (
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
    "aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2",
)
S3_REPLICATION = ("aws:s3/bucketReplicationConfig:BucketReplicationConfig",)
S3_NOTIFICATION = ("aws:s3/bucketNotification:BucketNotification",)
OBJECT_LOCK_TAGS = {"data-classification": ["backup", "audit"]}
REPLICATION_TAGS = {"criticality": ["critical"]}
S3_ACCOUNT_PAB = "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock"

ENGINE_PORTS = {
    "postgres": 5432,
    "aurora-postgresql": 5432,
    "mysql": 3306,
    "aurora-mysql": 3306,
    "mariadb": 3306,
    "redis": 6379,
    "valkey": 6379,
}
DEFAULT_ADMIN_NAMES = ("postgres", "admin", "root", "master", "administrator", "sa")
RDS_LOG_EXPORTS = {
    "postgres": ("postgresql", "upgrade"),
    "aurora-postgresql": ("postgresql",),
    "mysql": ("audit", "error", "general", "slowquery"),
    "aurora-mysql": ("audit", "error", "general", "slowquery"),
    "mariadb": ("audit", "error", "general", "slowquery"),
}
MIN_ENGINE_VERSIONS = {"postgres": "15", "aurora-postgresql": "15", "mysql": "8.0", "aurora-mysql": "8.0"}
MSK_MONITORING_LEVELS = ["PER_BROKER", "PER_TOPIC_PER_BROKER", "PER_TOPIC_PER_PARTITION"]
MODERN_RDS_CAS = ["rds-ca-rsa2048-g1", "rds-ca-rsa4096-g1", "rds-ca-ecc384-g1"]


def _engine(r: Resource) -> str:
    return str(r.props.get("engine") or "postgres").lower()


def _is_replica(r: Resource) -> bool:
    return bool(r.props.get("replicateSourceDb"))


def _cmk_issue(r: Resource, key_prop: str, what: str) -> Iterator[str]:
    """A customer-managed key is set and, when the policy config lists allowed key ARNs, one of them."""
    key = r.get(key_prop)
    if not key:
        yield f"{what} uses the AWS-managed key: set `{key_prop}` to the stack's customer-managed KMS key"
        return
    allowed = r.threshold("allowedKmsKeyArns", [])
    if allowed and key not in allowed:
        yield f"{what} uses KMS key {key}, which is not in the policy config's allowedKmsKeyArns"


# --------------------------------------------------------------------------------------------- RDS


@resource_rule(
    id="AWS-RDS-001",
    title="RDS instance storage is encrypted",
    severity="high",
    resource_types=(RDS_INSTANCE,),
    description="Checks `storageEncrypted == true` on every RDS instance. Read replicas (`replicateSourceDb` "
    "set) inherit the source's encryption and are not checked.",
    rationale="Unencrypted storage exposes the database, its automated backups, snapshots and replicas to "
    "anyone who obtains the underlying volumes or a shared snapshot. Encryption cannot be turned "
    "on later without a snapshot-restore migration.",
    remediation="The Groundwork `Postgres` component always sets `storage_encrypted=True`; when declaring an "
    "`aws.rds.Instance` directly, pass `storage_encrypted=True` and `kms_key_id` (the platform "
    "key).",
    tags=anchors(
        "AWS-RDS-001",
        "M/M",
        "awsguard:rds-storage-encrypted",
        "cp:rds-instance-disallow-unencrypted-storage",
        "checkov:CKV_AWS_16",
        "fsbp:RDS.3",
        "cdk-nag:AwsSolutions-RDS2",
    ),
)
def rds_storage_encrypted(r: Resource):
    if not _is_replica(r) and not is_true(r.get("storageEncrypted")):
        yield "storageEncrypted is not true: the database, its backups and snapshots are stored unencrypted"


@resource_rule(
    id="AWS-RDS-002",
    title="RDS instance is encrypted with a customer-managed KMS key",
    severity="medium",
    resource_types=(RDS_INSTANCE,),
    description="Checks that `kmsKeyId` is set (and, when the policy config sets `allowedKmsKeyArns`, is one "
    "of them). Read replicas inherit the source's key.",
    rationale="With the AWS-managed `aws/rds` key, key policy, rotation, audit and cross-account snapshot "
    "copies are outside the platform's control; a customer-managed key lets the key policy decide "
    "who can decrypt and can be disabled in an incident.",
    remediation="Pass the platform KMS key (`platform.kms.key_arn`) to the `Postgres` component; on a raw "
    "`aws.rds.Instance` set `kms_key_id`.",
    thresholds={"allowedKmsKeyArns": []},
    tags=anchors(
        "AWS-RDS-002",
        "A/M",
        "awsguard:rds-storage-encrypted",
        "cp:rds-instance-configure-customer-managed-key",
    ),
)
def rds_instance_cmk(r: Resource):
    if not _is_replica(r):
        yield from _cmk_issue(r, "kmsKeyId", "the instance's storage")


@resource_rule(
    id="AWS-RDS-003",
    title="RDS databases are not publicly accessible",
    severity="critical",
    resource_types=(RDS_INSTANCE, RDS_CLUSTER_INSTANCE, RDS_CLUSTER),
    description="Checks `publiclyAccessible` is unset or false on RDS instances, Aurora cluster instances "
    "and (Multi-AZ DB) clusters.",
    rationale="A publicly accessible database gets a public DNS name and IP; only the security group stands "
    "between it and the internet's credential-stuffing and exploit traffic.",
    remediation="Remove `publicly_accessible=True`; reach the database from the cluster (private subnets) or "
    "through a bastion/SSM port forward. Groundwork's `Postgres` component never sets it.",
    tags=anchors(
        "AWS-RDS-003",
        "M/M",
        "awsguard:rds-instance-public-access",
        "cp:rds-instance-disallow-public-access",
        "checkov:CKV_AWS_17",
        "fsbp:RDS.2",
        "cdk-nag:NIST.800.53.R5-RDSInstancePublicAccess",
    ),
)
def rds_not_public(r: Resource):
    if is_true(r.get("publiclyAccessible")):
        yield "publiclyAccessible is true: the database gets a public endpoint reachable from the internet"


@resource_rule(
    id="AWS-RDS-004",
    title="RDS instance is Multi-AZ",
    severity="medium",
    resource_types=(RDS_INSTANCE,),
    description="Checks `multiAz == true` on RDS instances that are not read replicas.",
    rationale="A single-AZ instance is down for the whole of an AZ outage or a host failure, and every "
    "maintenance reboot is an outage; Multi-AZ keeps a synchronous standby in another AZ and fails "
    "over in about a minute.",
    remediation="Set `postgres.multiAz: true` in Pulumi.<stack>.yaml (the prod profile does); the component "
    "passes it as `multi_az`.",
    tags=anchors(
        "AWS-RDS-004",
        "D/M",
        "awsguard:rds-instance-multi-az-enabled",
        "checkov:CKV_AWS_157",
        "fsbp:RDS.5",
        "cdk-nag:AwsSolutions-RDS3",
    ),
)
def rds_multi_az(r: Resource):
    if not _is_replica(r) and not is_true(r.get("multiAz")):
        yield "multiAz is not true: the database is a single instance in one availability zone"


def _retention_issue(r: Resource, days_prop: str) -> Iterator[str]:
    minimum = number(r.threshold("minRetentionDays", 7), 7)
    days = number(r.get(days_prop))
    if days is None:
        yield f"{days_prop} is unset, so AWS applies its 1-day default; set it to at least {minimum:g} days"
    elif days < minimum:
        yield f"{days_prop} is {days:g} days; the policy requires at least {minimum:g} (0 disables backups)"


@resource_rule(
    id="AWS-RDS-005",
    title="RDS instance keeps automated backups long enough",
    severity="high",
    resource_types=(RDS_INSTANCE,),
    description="Checks `backupRetentionPeriod >= minRetentionDays` (policy config; default 7 days, never 0) "
    "on instances that are not read replicas.",
    rationale="Automated backups are what point-in-time recovery restores from; with 0 days there is no "
    "PITR, and a short window may end before a silent corruption or a bad migration is noticed.",
    remediation="Set `postgres.backupRetentionDays` in Pulumi.<stack>.yaml (prod: 30); the component passes "
    "it as `backup_retention_period`.",
    thresholds={"minRetentionDays": 7},
    tags=anchors(
        "AWS-RDS-005",
        "A/M",
        "awsguard:rds-instance-backup-enabled",
        "cp:rds-instance-configure-backup-retention",
        "checkov:CKV_AWS_133",
        "fsbp:RDS.11",
        "cdk-nag:AwsSolutions-RDS13",
    ),
)
def rds_backup_retention(r: Resource):
    if not _is_replica(r):
        yield from _retention_issue(r, "backupRetentionPeriod")


@resource_rule(
    id="AWS-RDS-006",
    title="RDS instance has deletion protection",
    severity="medium",
    resource_types=(RDS_INSTANCE,),
    description="Checks `deletionProtection == true`.",
    rationale="Deletion protection makes the RDS API refuse to delete the instance, catching a mistaken "
    "`pulumi destroy`, a replacement caused by a changed immutable property, or a console slip.",
    remediation="Set `groundwork:protectStatefulResources: true` (the prod profile does): the `Postgres` "
    "component then passes `deletion_protection=True`.",
    tags=anchors("AWS-RDS-006", "D/M", "checkov:CKV_AWS_293", "fsbp:RDS.8", "cdk-nag:AwsSolutions-RDS10"),
)
def rds_deletion_protection(r: Resource):
    if not is_true(r.get("deletionProtection")):
        yield "deletionProtection is not true: a destroy or replacement deletes the database"


@resource_rule(
    id="AWS-RDS-007",
    title="RDS instance allows IAM database authentication",
    severity="medium",
    resource_types=(RDS_INSTANCE,),
    description="Checks `iamDatabaseAuthenticationEnabled == true`.",
    rationale="IAM authentication lets workloads connect with short-lived tokens tied to an IAM role (IRSA) "
    "instead of long-lived passwords, and access is revoked by removing a policy.",
    remediation="Set `iam_database_authentication_enabled=True` (Groundwork's `Postgres` component argument "
    "`iam_auth`).",
    tags=anchors("AWS-RDS-007", "A/A", "checkov:CKV_AWS_161", "fsbp:RDS.10"),
)
def rds_iam_auth(r: Resource):
    if not is_true(r.get("iamDatabaseAuthenticationEnabled")):
        yield "iamDatabaseAuthenticationEnabled is not true: only password authentication is possible"


def _log_exports_issue(r: Resource, engine: str) -> Iterator[str]:
    required = RDS_LOG_EXPORTS.get(engine)
    if not required:
        return
    exported = {str(x) for x in as_list(r.get("enabledCloudwatchLogsExports"))}
    missing = [x for x in required if x not in exported]
    if missing:
        yield (
            f"enabledCloudwatchLogsExports lacks {', '.join(missing)}: the engine's logs stay on the instance"
        )


@resource_rule(
    id="AWS-RDS-008",
    title="RDS instance exports its logs to CloudWatch",
    severity="medium",
    resource_types=(RDS_INSTANCE,),
    description="Checks `enabledCloudwatchLogsExports` contains the engine's logs: `postgresql` and "
    "`upgrade` for PostgreSQL (`audit`, `error`, `general`, `slowquery` for MySQL/MariaDB).",
    rationale="Logs left on the instance rotate away within days and are lost with the instance; in "
    "CloudWatch they are retained, encrypted and searchable for incident response.",
    remediation="The `Postgres` component exports `postgresql` and `upgrade`; on a raw instance set "
    '`enabled_cloudwatch_logs_exports=["postgresql", "upgrade"]`.',
    tags=anchors(
        "AWS-RDS-008",
        "A/M",
        "checkov:CKV_AWS_129",
        "fsbp:RDS.9",
        "fsbp:RDS.36",
        "cdk-nag:NIST.800.53.R5-RDSLoggingEnabled",
    ),
)
def rds_log_exports(r: Resource):
    yield from _log_exports_issue(r, _engine(r))


@resource_rule(
    id="AWS-RDS-009",
    title="RDS instance has enhanced monitoring",
    severity="low",
    resource_types=(RDS_INSTANCE,),
    description="Checks `monitoringInterval > 0` and `monitoringRoleArn` set.",
    rationale="Enhanced monitoring gives OS-level metrics (per-process CPU, memory, I/O) that CloudWatch's "
    "hypervisor metrics miss, which is what an on-call engineer needs to diagnose a slow database.",
    remediation="The `Postgres` component sets `monitoring_interval` (its `monitoring_interval_seconds` arg, "
    "default 60) and creates the monitoring role; on a raw instance set both inputs.",
    tags=anchors(
        "AWS-RDS-009",
        "A/A",
        "checkov:CKV_AWS_118",
        "fsbp:RDS.6",
        "cdk-nag:NIST.800.53.R5-RDSEnhancedMonitoringEnabled",
    ),
)
def rds_enhanced_monitoring(r: Resource):
    if not number(r.get("monitoringInterval"), 0):
        yield "monitoringInterval is 0 or unset: enhanced monitoring is off"
    elif not r.get("monitoringRoleArn"):
        yield "monitoringRoleArn is unset: enhanced monitoring cannot publish metrics"


def _performance_insights_issue(r: Resource) -> Iterator[str]:
    if not is_true(r.get("performanceInsightsEnabled")):
        yield "performanceInsightsEnabled is not true"
    elif not r.get("performanceInsightsKmsKeyId"):
        yield (
            "performanceInsightsKmsKeyId is unset: Performance Insights data (SQL text) uses the "
            "AWS-managed key"
        )


@resource_rule(
    id="AWS-RDS-010",
    title="RDS instance has Performance Insights encrypted with a CMK",
    severity="low",
    resource_types=(RDS_INSTANCE,),
    description="Checks `performanceInsightsEnabled == true` and `performanceInsightsKmsKeyId` set.",
    rationale="Performance Insights records query text, which can carry personal data; it must be on to "
    "diagnose load and encrypted with the platform's key like the database itself.",
    remediation="Set `performance_insights_enabled=True` and `performance_insights_kms_key_id` to the "
    "platform KMS key (the `Postgres` component does both).",
    tags=anchors(
        "AWS-RDS-010",
        "A/A",
        "cp:rds-instance-enable-performance-insights",
        "cp:rds-instance-disallow-unencrypted-performance-insights",
        "checkov:CKV_AWS_353",
        "checkov:CKV_AWS_354",
    ),
)
def rds_performance_insights(r: Resource):
    yield from _performance_insights_issue(r)


@resource_rule(
    id="AWS-RDS-011",
    title="RDS instance takes minor version upgrades",
    severity="medium",
    resource_types=(RDS_INSTANCE,),
    description="Checks `autoMinorVersionUpgrade` is not false.",
    rationale="Minor versions carry the engine's security fixes; with automatic upgrades they land in the "
    "maintenance window instead of waiting for someone to notice a CVE.",
    remediation="Leave `auto_minor_version_upgrade` at its default (true).",
    tags=anchors("AWS-RDS-011", "A/A", "checkov:CKV_AWS_226", "fsbp:RDS.13"),
)
def rds_minor_upgrades(r: Resource):
    if is_false(r.get("autoMinorVersionUpgrade")):
        yield "autoMinorVersionUpgrade is false: engine security fixes are not applied automatically"


@resource_rule(
    id="AWS-RDS-012",
    title="RDS instance copies tags to snapshots",
    severity="low",
    resource_types=(RDS_INSTANCE,),
    description="Checks `copyTagsToSnapshot == true`.",
    rationale="Snapshots without the instance's tags lose their environment, owner and data-classification, "
    "so tag-based access control, cost allocation and retention rules miss them.",
    remediation="Set `copy_tags_to_snapshot=True` (the `Postgres` component does).",
    tags=anchors("AWS-RDS-012", "A/A", "checkov:CKV2_AWS_60", "fsbp:RDS.17"),
)
def rds_copy_tags(r: Resource):
    if not is_true(r.get("copyTagsToSnapshot")):
        yield "copyTagsToSnapshot is not true: snapshots lose the instance's tags"


@resource_rule(
    id="AWS-RDS-013",
    title="RDS instance uses a current CA certificate",
    severity="medium",
    resource_types=(RDS_INSTANCE, RDS_CLUSTER_INSTANCE),
    description="Checks `caCertIdentifier` is unset (AWS then uses rds-ca-rsa2048-g1) or in the policy "
    "config's `allowedCaCertificates` (default rds-ca-rsa2048-g1, rds-ca-rsa4096-g1, "
    "rds-ca-ecc384-g1).",
    rationale="Clients verify the server's TLS certificate against this CA; the retired rds-ca-2019 chain "
    "expired in 2024, after which verifying clients cannot connect and non-verifying ones invite "
    "man-in-the-middle attacks.",
    remediation="Remove `ca_cert_identifier` or set it to `rds-ca-rsa2048-g1` (or another allowed CA).",
    thresholds={"allowedCaCertificates": MODERN_RDS_CAS},
    tags=anchors("AWS-RDS-013", "A/M", "checkov:CKV_AWS_211"),
)
def rds_ca_certificate(r: Resource):
    ca = r.get("caCertIdentifier")
    allowed = r.threshold("allowedCaCertificates", MODERN_RDS_CAS)
    if ca and ca not in allowed:
        yield f"caCertIdentifier is {ca}; allowed: {', '.join(allowed)}"


def _parameters(group: Resource) -> dict[str, str]:
    return {
        str(p.get("name")): str(p.get("value"))
        for p in as_list(group.props.get("parameters"))
        if isinstance(p, dict)
    }


def _db_parameter_group(stack: Stack, db: Resource) -> tuple[str, list[Resource]]:
    if db.type == RDS_CLUSTER:
        prop, types = "dbClusterParameterGroupName", (RDS_CLUSTER_PARAMETER_GROUP,)
    else:
        prop, types = "parameterGroupName", (RDS_PARAMETER_GROUP,)
    return prop, linked(db, prop, stack.of_type(*types), keys=("name",))


@stack_rule(
    id="AWS-RDS-014",
    title="PostgreSQL databases require TLS (rds.force_ssl)",
    severity="high",
    description="For every PostgreSQL RDS instance and Aurora PostgreSQL cluster, the parameter group it "
    "names (`parameterGroupName` / `dbClusterParameterGroupName`) is in the stack and sets "
    "`rds.force_ssl = 1`. Without a custom group, the engine default applies: on for PostgreSQL "
    "15 and later, off before.",
    rationale="Without force_ssl the server accepts plaintext connections, so credentials and query results "
    "cross the VPC unencrypted whenever a client forgets `sslmode=require`.",
    remediation="The `Postgres` component creates a parameter group with `rds.force_ssl = 1`; on a custom "
    'group add `{"name": "rds.force_ssl", "value": "1"}`.',
    tags=anchors("AWS-RDS-014", "A/M", "checkov:CKV2_AWS_69", "fsbp:RDS.38"),
)
def rds_force_ssl(stack: Stack):
    def check(db: Resource):
        engine = _engine(db)
        if "postgres" not in engine:
            return
        prop, groups = _db_parameter_group(stack, db)
        if not db.props.get(prop):
            major = (version_tuple(db.props.get("engineVersion")) or (99,))[0]
            if major < 15:
                yield (
                    db,
                    (
                        f"no {prop}: the default group of PostgreSQL {major} has rds.force_ssl = 0; "
                        "use a parameter group with rds.force_ssl = 1"
                    ),
                )
            return
        for group in groups:
            if _parameters(group).get("rds.force_ssl") != "1":
                yield (
                    db,
                    (
                        f"parameter group {group.name} does not set rds.force_ssl = 1: plaintext "
                        "connections are accepted"
                    ),
                )

    yield from each(stack.of_type(RDS_INSTANCE, RDS_CLUSTER), check)


@stack_rule(
    id="AWS-RDS-015",
    title="PostgreSQL parameter groups log slow and schema-changing statements",
    severity="low",
    description="For every PostgreSQL instance/cluster whose parameter group is in the stack, the group sets "
    "`log_min_duration_statement` to a value ≥ 0 and `log_statement` to ddl, mod or all.",
    rationale="Query logs are the evidence trail for who changed the schema or exfiltrated data, and the "
    "first place to look when the database slows down.",
    remediation="Add `log_statement = ddl` and `log_min_duration_statement = 1000` to the parameter group "
    "(the `Postgres` component sets both).",
    tags=anchors("AWS-RDS-015", "A/A", "checkov:CKV2_AWS_30", "checkov:CKV2_AWS_27"),
)
def rds_query_logging(stack: Stack):
    def check(db: Resource):
        if "postgres" not in _engine(db):
            return
        for group in _db_parameter_group(stack, db)[1]:
            params = _parameters(group)
            if number(params.get("log_min_duration_statement"), -1) < 0:
                yield db, f"parameter group {group.name}: log_min_duration_statement is unset or -1"
            if params.get("log_statement") not in ("ddl", "mod", "all"):
                yield db, f"parameter group {group.name}: log_statement is not ddl, mod or all"

    yield from each(stack.of_type(RDS_INSTANCE, RDS_CLUSTER), check)


@resource_rule(
    id="AWS-RDS-016",
    title="RDS databases run in the VPC's database subnets",
    severity="high",
    resource_types=(RDS_INSTANCE, RDS_CLUSTER),
    description="Checks `dbSubnetGroupName` is set (replicas in the same region inherit it).",
    rationale="Without a DB subnet group the database lands in the default VPC's subnets, outside the "
    "platform's private network, its flow logs and its security groups.",
    remediation="Pass the network's database subnets to the `Postgres` component (it creates the subnet "
    "group).",
    tags=anchors("AWS-RDS-016", "M/M", "fsbp:RDS.18"),
)
def rds_subnet_group(r: Resource):
    if not _is_replica(r) and not r.get("dbSubnetGroupName"):
        yield "dbSubnetGroupName is unset: the database is placed in the default VPC"


@resource_rule(
    id="AWS-RDS-017",
    title="RDS databases do not listen on the engine's default port",
    severity="low",
    resource_types=(RDS_INSTANCE, RDS_CLUSTER),
    description="Checks `port` is set and differs from the engine default (5432 PostgreSQL, 3306 MySQL).",
    rationale="A non-default port removes the database from the cheapest internet-wide scans; it is defence "
    "in depth, not a control on its own.",
    remediation="Pass a non-default `port` to the instance (the `Postgres` component uses the engine default "
    "today, so this advisory finding is expected until it takes a port arg).",
    tags=anchors("AWS-RDS-017", "D/A", "fsbp:RDS.23", "cdk-nag:AwsSolutions-RDS11"),
)
def rds_non_default_port(r: Resource):
    default = ENGINE_PORTS.get(_engine(r))
    port = number(r.get("port"))
    if default and (port is None or int(port) == default):
        yield f"port is the engine default {default}"


@resource_rule(
    id="AWS-RDS-018",
    title="RDS master user is not a well-known name",
    severity="low",
    resource_types=(RDS_INSTANCE, RDS_CLUSTER),
    description="Checks `username` (instance) / `masterUsername` (cluster) is not postgres, admin, root, "
    "master, administrator or sa.",
    rationale="A well-known admin name halves a password-guessing attack; a custom one also makes the master "
    "account easy to spot in audit logs.",
    remediation="Set a custom `username` (the `Postgres` component's default owner is `app_owner`).",
    tags=anchors("AWS-RDS-018", "A/A", "fsbp:RDS.24", "fsbp:RDS.25"),
)
def rds_admin_name(r: Resource):
    name = r.get("masterUsername") if r.type == RDS_CLUSTER else r.get("username")
    if isinstance(name, str) and name.lower() in DEFAULT_ADMIN_NAMES:
        yield f"the master user is the well-known name '{name}'"


@resource_rule(
    id="AWS-RDS-019",
    title="RDS engine version is at least the supported minimum",
    severity="medium",
    resource_types=(RDS_INSTANCE, RDS_CLUSTER),
    description="Checks `engineVersion` against the policy config's `minEngineVersions` (default postgres "
    "and aurora-postgresql 15, mysql and aurora-mysql 8.0). Unset means AWS's current default "
    "and passes.",
    rationale="Old major versions leave standard support (and start costing Extended Support fees), and "
    "known engine flaws stay exploitable (e.g. the PostgreSQL log_fdw local-file read that checkov "
    "CKV_AWS_250 looks for, fixed only in later versions).",
    remediation="Raise `postgres.engineVersion` in Pulumi.<stack>.yaml and run a blue/green upgrade.",
    thresholds={"minEngineVersions": MIN_ENGINE_VERSIONS},
    tags=anchors("AWS-RDS-019", "A/M", "checkov:CKV_AWS_250"),
)
def rds_engine_version(r: Resource):
    minimums = r.threshold("minEngineVersions", MIN_ENGINE_VERSIONS)
    version = r.get("engineVersion")
    minimum = minimums.get(_engine(r))
    if version and minimum and version_tuple(version) < version_tuple(minimum):
        yield f"engineVersion {version} is older than the minimum {minimum}"


@resource_rule(
    id="AWS-RDS-020",
    title="RDS cluster storage is encrypted with a customer-managed key",
    severity="high",
    resource_types=(RDS_CLUSTER,),
    description="Checks `storageEncrypted == true` and `kmsKeyId` set (in `allowedKmsKeyArns` when "
    "configured) on Aurora and Multi-AZ DB clusters.",
    rationale="Aurora clusters are unencrypted unless asked; encryption cannot be added later without a "
    "snapshot-restore migration, and only a customer-managed key keeps decrypt rights in the "
    "platform's key policy.",
    remediation="Set `storage_encrypted=True` and `kms_key_id` to the platform KMS key.",
    thresholds={"allowedKmsKeyArns": []},
    tags=anchors(
        "AWS-RDS-020",
        "M/M",
        "cp:rds-cluster-disallow-unencrypted-storage",
        "cp:rds-cluster-configure-customer-managed-key",
        "checkov:CKV_AWS_96",
        "checkov:CKV_AWS_327",
        "fsbp:RDS.27",
        "cdk-nag:AwsSolutions-RDS2",
    ),
)
def rds_cluster_encrypted(r: Resource):
    if not is_true(r.get("storageEncrypted")):
        yield "storageEncrypted is not true: the cluster volume and its snapshots are unencrypted"
    else:
        yield from _cmk_issue(r, "kmsKeyId", "the cluster's storage")


@resource_rule(
    id="AWS-RDS-021",
    title="RDS cluster has deletion protection",
    severity="medium",
    resource_types=(RDS_CLUSTER,),
    description="Checks `deletionProtection == true`.",
    rationale="Deleting a cluster deletes its volume and automated backups; the flag makes the API refuse.",
    remediation="Set `deletion_protection=True`; Groundwork turns it on with "
    "`groundwork:protectStatefulResources: true` (the prod profile).",
    tags=anchors("AWS-RDS-021", "D/M", "checkov:CKV_AWS_139", "fsbp:RDS.7", "cdk-nag:AwsSolutions-RDS10"),
)
def rds_cluster_deletion_protection(r: Resource):
    if not is_true(r.get("deletionProtection")):
        yield "deletionProtection is not true: a destroy or replacement deletes the cluster"


@resource_rule(
    id="AWS-RDS-022",
    title="RDS cluster keeps automated backups long enough",
    severity="high",
    resource_types=(RDS_CLUSTER,),
    description="Checks `backupRetentionPeriod >= minRetentionDays` (policy config; default 7).",
    rationale="The retention period bounds point-in-time recovery; a short one may end before a problem is "
    "noticed.",
    remediation="Set `backup_retention_period` (Groundwork: `postgres.backupRetentionDays` in "
    "Pulumi.<stack>.yaml).",
    thresholds={"minRetentionDays": 7},
    tags=anchors("AWS-RDS-022", "A/M", "cp:rds-cluster-configure-backup-retention", "checkov:CKV_AWS_133"),
)
def rds_cluster_backup_retention(r: Resource):
    yield from _retention_issue(r, "backupRetentionPeriod")


@resource_rule(
    id="AWS-RDS-023",
    title="RDS cluster allows IAM database authentication",
    severity="medium",
    resource_types=(RDS_CLUSTER,),
    description="Checks `iamDatabaseAuthenticationEnabled == true`.",
    rationale="Short-lived IAM tokens replace long-lived passwords for workloads (IRSA).",
    remediation="Set `iam_database_authentication_enabled=True`.",
    tags=anchors("AWS-RDS-023", "A/A", "checkov:CKV_AWS_162", "fsbp:RDS.12", "cdk-nag:AwsSolutions-RDS6"),
)
def rds_cluster_iam_auth(r: Resource):
    if not is_true(r.get("iamDatabaseAuthenticationEnabled")):
        yield "iamDatabaseAuthenticationEnabled is not true: only password authentication is possible"


@resource_rule(
    id="AWS-RDS-024",
    title="RDS cluster exports its logs to CloudWatch",
    severity="medium",
    resource_types=(RDS_CLUSTER,),
    description="Checks `enabledCloudwatchLogsExports` contains `postgresql` (Aurora PostgreSQL) or "
    "audit/error/general/slowquery (Aurora MySQL).",
    rationale="Logs left in the cluster rotate away and disappear with it.",
    remediation='Set `enabled_cloudwatch_logs_exports=["postgresql"]`.',
    tags=anchors("AWS-RDS-024", "A/M", "checkov:CKV_AWS_324", "fsbp:RDS.37"),
)
def rds_cluster_log_exports(r: Resource):
    yield from _log_exports_issue(r, str(r.props.get("engine") or "aurora-postgresql").lower())


@stack_rule(
    id="AWS-RDS-025",
    title="RDS clusters span at least two availability zones",
    severity="medium",
    description="For every Aurora cluster (`aws:rds/cluster:Cluster` without `dbClusterInstanceClass`): at "
    "least two `aws:rds/clusterInstance:ClusterInstance`s belong to it (by `clusterIdentifier`) "
    "and those that pin `availabilityZone` do not all pin the same one.",
    rationale="An Aurora cluster with one instance has no failover target: an AZ or host failure means "
    "downtime until a new instance is created.",
    remediation="Create at least two cluster instances (writer + reader); Aurora spreads them over the "
    "subnet group's AZs.",
    tags=anchors("AWS-RDS-025", "D/M", "cp:rds-cluster-disallow-single-availability-zone", "fsbp:RDS.15"),
)
def rds_cluster_multi_az(stack: Stack):
    instances = stack.of_type(RDS_CLUSTER_INSTANCE)

    def check(cluster: Resource):
        if cluster.props.get("dbClusterInstanceClass"):
            return  # Multi-AZ DB cluster: AWS places three instances in three AZs itself
        members = [
            i
            for i in instances
            if cluster in linked(i, "clusterIdentifier", [cluster], keys=("clusterIdentifier",))
        ]
        zones = {i.props.get("availabilityZone") for i in members if i.props.get("availabilityZone")}
        if len(members) < 2:
            yield cluster, f"the cluster has {len(members)} instance(s); at least two are needed to fail over"
        elif len(zones) == 1 and all(i.props.get("availabilityZone") for i in members):
            yield cluster, f"all instances are pinned to {zones.pop()}"

    yield from each(stack.of_type(RDS_CLUSTER), check)


@resource_rule(
    id="AWS-RDS-026",
    title="RDS cluster copies tags to snapshots",
    severity="low",
    resource_types=(RDS_CLUSTER,),
    description="Checks `copyTagsToSnapshot == true`.",
    rationale="Snapshots without tags escape tag-based access control, cost allocation and retention.",
    remediation="Set `copy_tags_to_snapshot=True`.",
    tags=anchors("AWS-RDS-026", "A/A", "checkov:CKV_AWS_313", "fsbp:RDS.16"),
)
def rds_cluster_copy_tags(r: Resource):
    if not is_true(r.get("copyTagsToSnapshot")):
        yield "copyTagsToSnapshot is not true: snapshots lose the cluster's tags"


@resource_rule(
    id="AWS-RDS-027",
    title="Aurora instances have Performance Insights, monitoring and minor upgrades",
    severity="low",
    resource_types=(RDS_CLUSTER_INSTANCE,),
    description="Checks `performanceInsightsEnabled` with `performanceInsightsKmsKeyId`, `monitoringInterval "
    "> 0` and `autoMinorVersionUpgrade` not false on cluster instances.",
    rationale="The same operational and patching controls as for standalone instances (AWS-RDS-009/010/011).",
    remediation="Set `performance_insights_enabled`, `performance_insights_kms_key_id`, "
    "`monitoring_interval` and leave `auto_minor_version_upgrade` true.",
    tags=anchors(
        "AWS-RDS-027",
        "A/A",
        "cp:rds-clusterinstance-enable-performance-insights",
        "checkov:CKV_AWS_118",
        "checkov:CKV_AWS_226",
        "checkov:CKV_AWS_353",
        "checkov:CKV_AWS_354",
        "fsbp:RDS.6",
        "fsbp:RDS.35",
    ),
)
def rds_cluster_instance_ops(r: Resource):
    yield from _performance_insights_issue(r)
    if not number(r.get("monitoringInterval"), 0):
        yield "monitoringInterval is 0 or unset: enhanced monitoring is off"
    if is_false(r.get("autoMinorVersionUpgrade")):
        yield "autoMinorVersionUpgrade is false"


@resource_rule(
    id="AWS-RDS-029",
    title="RDS snapshots are not shared publicly",
    severity="critical",
    resource_types=(RDS_SNAPSHOT, RDS_CLUSTER_SNAPSHOT),
    description="Checks `sharedAccounts` does not contain `all` and, when the policy config sets "
    "`allowedSnapshotAccounts`, lists only those accounts. (Snapshots of encrypted databases are "
    "encrypted; AWS-RDS-001/020 cover that.)",
    rationale="A snapshot shared with `all` can be restored by any AWS account: a full copy of the database.",
    remediation="Remove `all` from `shared_accounts`; share only with the backup account listed in the "
    "policy config.",
    thresholds={"allowedSnapshotAccounts": []},
    tags=anchors(
        "AWS-RDS-029", "M/M", "checkov:CKV_AWS_302", "checkov:CKV_AWS_146", "fsbp:RDS.1", "fsbp:RDS.4"
    ),
)
def rds_snapshot_private(r: Resource):
    shared = [str(a) for a in as_list(r.get("sharedAccounts"))]
    if "all" in shared:
        yield "sharedAccounts contains 'all': any AWS account can restore this snapshot"
    allowed = r.threshold("allowedSnapshotAccounts", [])
    others = [a for a in shared if a != "all" and allowed and a not in allowed]
    if others:
        yield f"shared with accounts not in allowedSnapshotAccounts: {', '.join(others)}"


@resource_rule(
    id="AWS-RDS-030",
    title="RDS keeps a final snapshot on deletion",
    severity="high",
    resource_types=(RDS_INSTANCE, RDS_CLUSTER),
    description="Checks `skipFinalSnapshot` is false and `finalSnapshotIdentifier` is set. Beyond the "
    "anchors, which only look at deletion protection.",
    rationale="`skipFinalSnapshot` defaults to true in the provider for clusters and is easy to leave on: a "
    "destroy or replacement then deletes the data with no snapshot to restore from.",
    remediation="The `Postgres` component sets `skip_final_snapshot=False` and a `final_snapshot_identifier` "
    "derived from its name in every environment.",
    tags=anchors("STK-PROT-002", "A/M", "groundwork:beyond"),
)
def rds_final_snapshot(r: Resource):
    if _is_replica(r):
        return
    if not is_false(r.get("skipFinalSnapshot")):
        yield "skipFinalSnapshot is not false: deleting the database leaves no final snapshot"
    elif not r.get("finalSnapshotIdentifier"):
        yield "finalSnapshotIdentifier is unset, so the final snapshot cannot be taken"


@resource_rule(
    id="AWS-RDS-031",
    title="RDS master password is managed by RDS or write-only",
    severity="high",
    resource_types=(RDS_INSTANCE, RDS_CLUSTER),
    description="Checks that the master password is not a stored input: `password` (instance) / "
    "`masterPassword` (cluster) is unset and `manageMasterUserPassword == true` or the "
    "write-only `passwordWo` / `masterPasswordWo` is used. Replicas and snapshot restores are "
    "skipped.",
    rationale="A `password` input is kept in the Pulumi state (encrypted as a secret, but readable by anyone "
    "with state access and the stack's secrets provider) and never rotates; RDS-managed passwords "
    "live in Secrets Manager under the platform key and rotate automatically.",
    remediation="The `Postgres` component sets `manage_master_user_password=True` with "
    "`master_user_secret_kms_key_id` = the platform key; apps read the secret via External "
    "Secrets.",
    tags=anchors("STK-SEC-001", "A/M", "cdk-nag:AwsSolutions-DOC3", "groundwork:beyond"),
)
def rds_managed_password(r: Resource):
    if _is_replica(r) or r.get("snapshotIdentifier"):
        return
    stored = "masterPassword" if r.type == RDS_CLUSTER else "password"
    write_only = "masterPasswordWo" if r.type == RDS_CLUSTER else "passwordWo"
    if r.get(stored):
        yield f"{stored} is a stored input: use manageMasterUserPassword (Secrets Manager) or {write_only}"
    elif not is_true(r.get("manageMasterUserPassword")) and not r.get(write_only):
        yield (
            f"neither manageMasterUserPassword nor {write_only} is set: the master password has no "
            "managed source"
        )


# -------------------------------------------------------------------------------------- ElastiCache


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
    tags=anchors(
        "AWS-EC-001", "M/M", "checkov:CKV_AWS_29", "fsbp:ElastiCache.4", "cdk-nag:AwsSolutions-AEC3"
    ),
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
    tags=anchors("AWS-EC-002", "A/M", "checkov:CKV_AWS_191"),
)
def elasticache_cmk(r: Resource):
    if r.type == EC_SERVERLESS or is_true(r.get("atRestEncryptionEnabled")):
        yield from _cmk_issue(r, "kmsKeyId", "the cache")


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
    tags=anchors(
        "AWS-EC-003", "M/M", "checkov:CKV_AWS_30", "fsbp:ElastiCache.5", "cdk-nag:AwsSolutions-AEC3"
    ),
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
    tags=anchors(
        "AWS-EC-004", "A/M", "checkov:CKV_AWS_31", "fsbp:ElastiCache.6", "cdk-nag:AwsSolutions-AEC6"
    ),
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
    tags=anchors(
        "AWS-EC-005", "D/M", "checkov:CKV2_AWS_50", "fsbp:ElastiCache.3", "cdk-nag:AwsSolutions-AEC4"
    ),
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
    tags=anchors(
        "AWS-EC-006",
        "A/M",
        "checkov:CKV_AWS_134",
        "fsbp:ElastiCache.1",
        "cdk-nag:NIST.800.53.R5-ElastiCacheRedisClusterAutomaticBackup",
    ),
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
    tags=anchors("AWS-EC-007", "A/A", "checkov:CKV_AWS_322", "fsbp:ElastiCache.2"),
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
    tags=anchors(
        "AWS-EC-008", "M/M", "checkov:CKV_AWS_323", "fsbp:ElastiCache.7", "cdk-nag:AwsSolutions-AEC1"
    ),
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
    tags=anchors("AWS-EC-009", "D/A", "cdk-nag:AwsSolutions-AEC5"),
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
    "clusters. Beyond the anchors.",
    rationale="Deleting a cache without a final snapshot loses its contents; the identifier is all it takes.",
    remediation="The `Redis` component sets `final_snapshot_identifier` derived from its name.",
    tags=anchors("STK-PROT-002", "A/M", "groundwork:beyond"),
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
    "write-only `authTokenWo`. Beyond the anchors.",
    rationale="`authToken` is kept in the Pulumi state and cannot be rotated without replacing it there; "
    "RBAC users live in ElastiCache and rotate on their own schedule.",
    remediation="Use the `Redis` component's RBAC user group (`user_group_ids`), or `auth_token_wo`.",
    tags=anchors("STK-SEC-001", "A/M", "groundwork:beyond"),
)
def elasticache_auth_token_stored(r: Resource):
    if r.get("authToken"):
        yield "authToken is a stored input: use RBAC userGroupIds or authTokenWo"


# ---------------------------------------------------------------------------------------------- MSK


@resource_rule(
    id="AWS-MSK-001",
    title="MSK clients must use TLS",
    severity="high",
    resource_types=(MSK_CLUSTER,),
    description='Checks `encryptionInfo.encryptionInTransit.clientBroker == "TLS"`; unset means AWS\'s '
    "default TLS and passes, PLAINTEXT and TLS_PLAINTEXT fail.",
    rationale="With PLAINTEXT listeners, messages and SASL credentials cross the VPC in clear text.",
    remediation='The `Kafka` component sets `client_broker="TLS"`.',
    tags=anchors("AWS-MSK-001", "M/M", "checkov:CKV_AWS_81", "cdk-nag:AwsSolutions-MSK2"),
)
def msk_client_tls(r: Resource):
    mode = r.get("encryptionInfo.encryptionInTransit.clientBroker")
    if mode not in (None, "TLS"):
        yield f"clientBroker is {mode}: clients can connect without TLS"


@resource_rule(
    id="AWS-MSK-002",
    title="MSK encrypts traffic between brokers",
    severity="high",
    resource_types=(MSK_CLUSTER,),
    description="Checks `encryptionInfo.encryptionInTransit.inCluster` is not false.",
    rationale="Replication traffic carries every message; in clear text it is readable on the network.",
    remediation="Leave `in_cluster` at its default (true).",
    tags=anchors("AWS-MSK-002", "M/M", "checkov:CKV_AWS_81", "fsbp:MSK.1", "cdk-nag:AwsSolutions-MSK3"),
)
def msk_in_cluster_tls(r: Resource):
    if is_false(r.get("encryptionInfo.encryptionInTransit.inCluster")):
        yield "inCluster is false: broker-to-broker replication is unencrypted"


@resource_rule(
    id="AWS-MSK-003",
    title="MSK storage is encrypted with a customer-managed key",
    severity="medium",
    resource_types=(MSK_CLUSTER,),
    description="Checks `encryptionInfo.encryptionAtRestKmsKeyArn` is set (in `allowedKmsKeyArns` when "
    "configured).",
    rationale="Broker volumes hold the whole retained log; a customer-managed key keeps decrypt rights in "
    "the platform's key policy.",
    remediation="Pass the platform KMS key to the `Kafka` component.",
    thresholds={"allowedKmsKeyArns": []},
    tags=anchors("AWS-MSK-003", "A/M"),
)
def msk_cmk(r: Resource):
    yield from _cmk_issue(r, "encryptionInfo.encryptionAtRestKmsKeyArn", "the broker storage")


@resource_rule(
    id="AWS-MSK-004",
    title="MSK brokers have no public access",
    severity="critical",
    resource_types=(MSK_CLUSTER,),
    description="Checks `brokerNodeGroupInfo.connectivityInfo.publicAccess.type` is not "
    "SERVICE_PROVIDED_EIPS.",
    rationale="Public brokers expose the Kafka listener, and every topic behind its authentication, to the "
    "internet.",
    remediation="Remove `connectivity_info.public_access`; reach Kafka from the cluster's private subnets.",
    tags=anchors("AWS-MSK-004", "M/M", "checkov:CKV_AWS_291", "fsbp:MSK.4"),
)
def msk_no_public_access(r: Resource):
    if r.get("brokerNodeGroupInfo.connectivityInfo.publicAccess.type") == "SERVICE_PROVIDED_EIPS":
        yield "publicAccess.type is SERVICE_PROVIDED_EIPS: brokers have public IPs"


@resource_rule(
    id="AWS-MSK-005",
    title="MSK requires client authentication",
    severity="high",
    resource_types=(MSK_CLUSTER,),
    description="Checks `clientAuthentication.unauthenticated` is not true and one of `sasl.iam`, "
    "`sasl.scram` or `tls` is configured.",
    rationale="Without authentication any pod that reaches the brokers can read and write every topic.",
    remediation="The `Kafka` component enables SASL/IAM (`client_authentication.sasl.iam=True`).",
    tags=anchors("AWS-MSK-005", "A/M", "fsbp:MSK.6"),
)
def msk_authentication(r: Resource):
    auth = first(r.get("clientAuthentication"))
    if is_true(auth.get("unauthenticated")):
        yield "clientAuthentication.unauthenticated is true: anonymous clients are accepted"
    sasl = first(auth.get("sasl"))
    if not (is_true(sasl.get("iam")) or is_true(sasl.get("scram")) or first(auth.get("tls"))):
        yield "no SASL/IAM, SASL/SCRAM or mTLS client authentication is configured"


@resource_rule(
    id="AWS-MSK-006",
    title="MSK broker logs are delivered",
    severity="medium",
    resource_types=(MSK_CLUSTER,),
    description="Checks `loggingInfo.brokerLogs` enables at least one of cloudwatchLogs, firehose, s3.",
    rationale="Broker logs record authentication failures and ACL denials; without them there is no trail.",
    remediation="The `Kafka` component ships broker logs to a CloudWatch log group encrypted with the "
    "platform key.",
    tags=anchors("AWS-MSK-006", "A/M", "checkov:CKV_AWS_80", "cdk-nag:AwsSolutions-MSK6"),
)
def msk_broker_logs(r: Resource):
    logs = first(r.get("loggingInfo.brokerLogs"))
    if not any(is_true(first(logs.get(k)).get("enabled")) for k in ("cloudwatchLogs", "firehose", "s3")):
        yield "no broker log destination is enabled"


@resource_rule(
    id="AWS-MSK-007",
    title="MSK has enhanced monitoring",
    severity="low",
    resource_types=(MSK_CLUSTER,),
    description="Checks `enhancedMonitoring` is in the policy config's `allowedMonitoringLevels` (default "
    "PER_BROKER, PER_TOPIC_PER_BROKER, PER_TOPIC_PER_PARTITION); unset means DEFAULT and fails.",
    rationale="DEFAULT monitoring lacks per-broker disk and under-replicated partition metrics that alarms "
    "need.",
    remediation="Set `kafka.enhancedMonitoring` (the component default is PER_TOPIC_PER_BROKER).",
    thresholds={"allowedMonitoringLevels": MSK_MONITORING_LEVELS},
    tags=anchors("AWS-MSK-007", "A/A", "fsbp:MSK.2"),
)
def msk_enhanced_monitoring(r: Resource):
    allowed = r.threshold("allowedMonitoringLevels", MSK_MONITORING_LEVELS)
    level = r.get("enhancedMonitoring") or "DEFAULT"
    if level not in allowed:
        yield f"enhancedMonitoring is {level}; allowed: {', '.join(allowed)}"


def _server_properties(text: str) -> dict[str, str]:
    props = {}
    for line in str(text or "").splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            props[key.strip()] = value.strip()
    return props


@resource_rule(
    id="AWS-MSK-008",
    title="MSK configuration keeps data durable",
    severity="medium",
    resource_types=(MSK_CONFIGURATION,),
    description="Parses `serverProperties`: `auto.create.topics.enable` is not true, `min.insync.replicas >= "
    "minInsyncReplicas` and `default.replication.factor >= minReplicationFactor` (policy config; "
    "default 2 and 3). Beyond the anchors.",
    rationale="Auto-created topics bypass review and get single-replica defaults; with min.insync.replicas 1 "
    "an acknowledged write lives on one broker and is lost with it.",
    remediation="The `Kafka` component's configuration sets these values from `kafka.*` in "
    "Pulumi.<stack>.yaml; dev may lower the thresholds in its policy config.",
    thresholds={"minInsyncReplicas": 2, "minReplicationFactor": 3},
    tags=anchors(None, "A/M", "groundwork:beyond"),
)
def msk_configuration_durability(r: Resource):
    props = _server_properties(r.get("serverProperties"))
    if props.get("auto.create.topics.enable", "false").lower() == "true":
        yield "auto.create.topics.enable=true: topics appear without review, with default replication"
    min_isr = number(r.threshold("minInsyncReplicas", 2), 2)
    if number(props.get("min.insync.replicas"), 1) < min_isr:
        shown = props.get("min.insync.replicas", "unset (1)")
        yield f"min.insync.replicas is {shown}; at least {min_isr:g} required"
    min_rf = number(r.threshold("minReplicationFactor", 3), 3)
    if number(props.get("default.replication.factor"), 1) < min_rf:
        yield (
            f"default.replication.factor is {props.get('default.replication.factor', 'unset')}; "
            f"at least {min_rf:g} required"
        )


# ----------------------------------------------------------------------------------------------- S3


def _satellites(stack: Stack, bucket: Resource, types: tuple[str, ...]) -> list[Resource]:
    """The side-by-side resources of `types` that configure `bucket` (by its `bucket` input)."""
    return [s for s in stack.of_type(*types) if bucket in linked(s, "bucket", [bucket], keys=("bucket",))]


def _is_access_log_target(stack: Stack, bucket: Resource) -> bool:
    """Whether another bucket's server access logs are delivered to `bucket` (a BucketLogging, or the
    inline `logging`/`loggings` of a bucket, names it as `targetBucket`), or it is tagged so."""
    if _exempt_bucket(bucket, "access-log-bucket"):
        return True
    loggings = stack.of_type(*S3_LOGGING)
    if any(bucket in linked(lg, "targetBucket", [bucket], keys=("bucket",)) for lg in loggings):
        return True
    names = {bucket.name, str(bucket.props.get("bucket"))}
    for other in stack.of_type(*S3_BUCKETS):
        for entry in as_list(other.props.get("logging")) + as_list(other.props.get("loggings")):
            if isinstance(entry, dict) and str(entry.get("targetBucket")) in names:
                return True
    return False


def _exempt_bucket(bucket: Resource, tag_key: str) -> bool:
    return str(bucket.tags.get(tag_key, "")).lower() in ("true", "yes", "1")


@stack_rule(
    id="AWS-S3-001",
    title="Every S3 bucket blocks public access",
    severity="critical",
    description="Every `aws:s3/bucket:Bucket` / `BucketV2` has an `aws:s3/bucketPublicAccessBlock` with "
    "`blockPublicAcls`, `blockPublicPolicy`, `ignorePublicAcls` and `restrictPublicBuckets` all "
    "true.",
    rationale="Public buckets are the most common AWS data leak; the block overrides any ACL or policy that "
    "would make objects public, including future mistakes.",
    remediation="The `Backups` component creates the public access block with all four flags for its "
    "buckets; for another bucket add `aws.s3.BucketPublicAccessBlock(bucket=b.id, "
    "block_public_acls=True, ...)`.",
    tags=anchors(
        "AWS-S3-001",
        "M/M",
        "checkov:CKV_AWS_53",
        "checkov:CKV_AWS_54",
        "checkov:CKV_AWS_55",
        "checkov:CKV_AWS_56",
        "checkov:CKV2_AWS_6",
        "fsbp:S3.8",
        "cdk-nag:AwsSolutions-S2",
        "cdk-nag:NIST.800.53.R5-S3BucketLevelPublicAccessProhibited",
    ),
)
def s3_public_access_block(stack: Stack):
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")

    def check(bucket: Resource):
        blocks = _satellites(stack, bucket, S3_PAB)
        if not blocks:
            yield bucket, "no BucketPublicAccessBlock: nothing stops an ACL or policy from making it public"
        for block in blocks:
            off = [f for f in flags if not is_true(block.props.get(f))]
            if off:
                yield bucket, f"public access block {block.name} leaves {', '.join(off)} off"

    yield from each(stack.of_type(*S3_BUCKETS), check)


PUBLIC_ACLS = ("public-read", "public-read-write", "authenticated-read")
PUBLIC_GRANTEES = (
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
)


@resource_rule(
    id="AWS-S3-002",
    title="S3 ACLs do not grant public access",
    severity="critical",
    resource_types=S3_BUCKETS + S3_ACL,
    description="Checks `acl` is not public-read, public-read-write or authenticated-read and no grant "
    "(`grants[]` inline, `accessControlPolicy.grants[].grantee.uri`) names AllUsers or "
    "AuthenticatedUsers.",
    rationale="A public ACL lets anyone (or any AWS account) list or read the objects.",
    remediation="Remove the ACL; Groundwork buckets use BucketOwnerEnforced ownership, which disables ACLs.",
    tags=anchors(
        "AWS-S3-002",
        "M/M",
        "cp:s3-bucket-disallow-public-read",
        "checkov:CKV_AWS_20",
        "checkov:CKV_AWS_57",
        "checkov:CKV_AWS_375",
        "checkov:CKV2_AWS_43",
        "fsbp:S3.2",
        "fsbp:S3.3",
    ),
)
def s3_no_public_acl(r: Resource):
    acl = r.get("acl")
    if acl in PUBLIC_ACLS:
        yield f"acl is {acl}: objects are readable outside the account"
    grants = as_list(r.get("grants")) + as_list(r.get("accessControlPolicy.grants"))
    for grant in grants:
        uri = grant.get("uri") or first(grant.get("grantee")).get("uri")
        if uri in PUBLIC_GRANTEES:
            yield f"a grant gives {uri.rsplit('/', 1)[-1]} access"


@stack_rule(
    id="AWS-S3-003",
    title="S3 buckets disable ACLs (BucketOwnerEnforced)",
    severity="medium",
    description="Every bucket has an `aws:s3/bucketOwnershipControls` with `rule.objectOwnership == "
    '"BucketOwnerEnforced"`.',
    rationale="With ACLs disabled, access is decided by policies alone and objects uploaded by other "
    "accounts still belong to the bucket owner.",
    remediation='Add `aws.s3.BucketOwnershipControls(bucket=b.id, rule={"object_ownership": '
    '"BucketOwnerEnforced"})`.',
    tags=anchors("AWS-S3-003", "A/M", "checkov:CKV2_AWS_65", "fsbp:S3.12"),
)
def s3_ownership_controls(stack: Stack):
    def check(bucket: Resource):
        controls = _satellites(stack, bucket, S3_OWNERSHIP)
        owners = [first(c.props.get("rule")).get("objectOwnership") for c in controls]
        if "BucketOwnerEnforced" not in owners:
            yield bucket, "no BucketOwnershipControls with BucketOwnerEnforced: ACLs stay active"

    yield from each(stack.of_type(*S3_BUCKETS), check)


def _sse_rules(res: Resource) -> list[dict]:
    """SSE rules from a side-by-side resource (`rules`) or a bucket's inline config (v7 `rule`,
    V2 `rules`)."""
    rules = []
    for holder in (
        [res.props, *as_list(res.props.get("serverSideEncryptionConfiguration")), *as_list(res.props.get("serverSideEncryptionConfigurations"))]
    ):
        if isinstance(holder, dict):
            found = as_list(holder.get("rules")) + as_list(holder.get("rule"))
            rules += [x for x in found if isinstance(x, dict)]
    return rules


@stack_rule(
    id="AWS-S3-004",
    title="S3 buckets encrypt with a customer-managed KMS key by default",
    severity="high",
    description="Every bucket has default encryption (`aws:s3/bucketServerSideEncryptionConfiguration` or "
    "the inline config) with `sseAlgorithm` aws:kms or aws:kms:dsse, a `kmsMasterKeyId`, and "
    "`bucketKeyEnabled == true`. A bucket that receives server access logs (the `targetBucket` "
    "of a BucketLogging in the stack) only needs SSE-S3 (AES256): S3 cannot deliver access logs "
    "to an SSE-KMS bucket.",
    rationale="SSE-S3 encrypts, but anyone with s3:GetObject reads the data; SSE-KMS adds the key policy as "
    "a second gate and a CloudTrail record per decrypt. Bucket keys cut KMS cost and throttling.",
    remediation="Configure aws:kms with the platform key and bucket keys on, as the `Backups` component "
    "does.",
    tags=anchors(
        "AWS-S3-004",
        "A/M",
        "cp:s3-bucket-enable-server-side-encryption",
        "cp:s3-bucket-configure-server-side-encryption-kms",
        "cp:s3-bucket-configure-bucket-key",
        "checkov:CKV_AWS_19",
        "checkov:CKV_AWS_145",
        "fsbp:S3.17",
        "cdk-nag:NIST.800.53.R5-S3DefaultEncryptionKMS",
    ),
)
def s3_kms_encryption(stack: Stack):
    def check(bucket: Resource):
        rules = _sse_rules(bucket)
        for sat in _satellites(stack, bucket, S3_SSE):
            rules += _sse_rules(sat)
        if not rules:
            yield bucket, "no default encryption configuration: objects get SSE-S3 only"
            return
        if _is_access_log_target(stack, bucket):
            return  # access-log destinations must use SSE-S3; any default encryption is the best possible
        for rule in rules:
            default = first(
                rule.get("applyServerSideEncryptionByDefault")
                or rule.get("applyServerSideEncryptionByDefaults")
            )
            if default.get("sseAlgorithm") not in ("aws:kms", "aws:kms:dsse"):
                yield bucket, f"sseAlgorithm is {default.get('sseAlgorithm')}; use aws:kms"
            elif not default.get("kmsMasterKeyId"):
                yield bucket, "kmsMasterKeyId is unset: the AWS-managed aws/s3 key is used"
            if not is_true(rule.get("bucketKeyEnabled")):
                yield bucket, "bucketKeyEnabled is not true"

    yield from each(stack.of_type(*S3_BUCKETS), check)


def _denies_insecure_transport(doc: dict) -> bool:
    for s in statements(doc):
        cond = s.get("Condition") or {}
        secure = {**(cond.get("Bool") or {}), **(cond.get("BoolIfExists") or {})}
        if s.get("Effect") == "Deny" and str(secure.get("aws:SecureTransport", "")).lower() == "false":
            return True
    return False


@stack_rule(
    id="AWS-S3-005",
    title="S3 buckets refuse plain HTTP",
    severity="high",
    description="Every bucket's policy (`aws:s3/bucketPolicy` or inline `policy`) has a Deny statement with "
    "`Bool: {aws:SecureTransport: false}`.",
    rationale="Without the deny, a misconfigured client can read or write objects over HTTP, exposing data "
    "and signed requests on the wire.",
    remediation="Attach a DenyInsecureTransport statement to the bucket policy, as the `Backups` component "
    "does.",
    tags=anchors(
        "AWS-S3-005",
        "M/M",
        "checkov:CKV_AWS_379",
        "fsbp:S3.5",
        "cdk-nag:AwsSolutions-S10",
        "cdk-nag:NIST.800.53.R5-S3BucketSSLRequestsOnly",
    ),
)
def s3_secure_transport(stack: Stack):
    def check(bucket: Resource):
        docs = [policy_document(bucket.props.get("policy"))]
        docs += [policy_document(p.props.get("policy")) for p in _satellites(stack, bucket, S3_POLICY)]
        if not any(_denies_insecure_transport(d) for d in docs):
            yield bucket, "no bucket policy denies requests with aws:SecureTransport = false"

    yield from each(stack.of_type(*S3_BUCKETS), check)


@resource_rule(
    id="AWS-S3-006",
    title="S3 bucket policies do not allow the public or unknown accounts",
    severity="critical",
    resource_types=S3_BUCKETS + S3_POLICY,
    description='Checks every Allow statement of the bucket policy: no `Principal "*"` unless restricted '
    "by a Condition on aws:SourceVpce, aws:SourceVpc, aws:PrincipalOrgID, aws:PrincipalAccount "
    "or aws:SourceArn/Account; AWS account principals are in `allowedAccounts` when the policy "
    "config sets it.",
    rationale="An Allow to `*` makes objects readable or writable by anyone on the internet.",
    remediation="Grant access to specific roles (IRSA) instead of `*`, or add a VPC-endpoint condition.",
    thresholds={"allowedAccounts": []},
    tags=anchors(
        "AWS-S3-006", "M/M", "checkov:CKV_AWS_70", "checkov:CKV_AWS_93", "checkov:CKV_AWS_283", "fsbp:S3.6"
    ),
)
def s3_policy_not_public(r: Resource):
    restricting = (
        "aws:sourcevpce",
        "aws:sourcevpc",
        "aws:principalorgid",
        "aws:principalaccount",
        "aws:sourcearn",
        "aws:sourceaccount",
    )
    allowed = r.threshold("allowedAccounts", [])
    for s in statements(policy_document(r.get("policy"))):
        if s.get("Effect") != "Allow":
            continue
        principal = s.get("Principal")
        if principal_is_public(principal):
            keys = condition_keys(s)
            if not keys & set(restricting):
                yield f"statement {s.get('Sid', '')!r} allows Principal '*' without a restricting condition"
        elif allowed and isinstance(principal, dict):
            for arn in as_list(principal.get("AWS")):
                account = str(arn).split(":")[4] if str(arn).startswith("arn:") else str(arn)
                if account not in allowed:
                    yield f"statement {s.get('Sid', '')!r} grants account {account}, not in allowedAccounts"


@stack_rule(
    id="AWS-S3-007",
    title="S3 buckets are versioned",
    severity="medium",
    description="Every bucket has versioning enabled: `aws:s3/bucketVersioning` with "
    '`versioningConfiguration.status == "Enabled"`, or the inline `versioning.enabled`.',
    rationale="Versioning is what recovers an object after an overwrite, a delete or ransomware encryption.",
    remediation="Add `aws.s3.BucketVersioning` with status Enabled, as the `Backups` component does.",
    tags=anchors(
        "AWS-S3-007",
        "A/M",
        "checkov:CKV_AWS_21",
        "fsbp:S3.14",
        "cdk-nag:NIST.800.53.R5-S3BucketVersioningEnabled",
    ),
)
def s3_versioning(stack: Stack):
    def check(bucket: Resource):
        if not _is_versioned(stack, bucket):
            yield bucket, "versioning is not enabled: overwritten or deleted objects cannot be recovered"

    yield from each(stack.of_type(*S3_BUCKETS), check)


def _is_versioned(stack: Stack, bucket: Resource) -> bool:
    inline = as_list(bucket.props.get("versioning")) + as_list(bucket.props.get("versionings"))
    if any(is_true(v.get("enabled")) for v in inline if isinstance(v, dict)):
        return True
    return any(
        first(s.props.get("versioningConfiguration")).get("status") == "Enabled"
        for s in _satellites(stack, bucket, S3_VERSIONING)
    )


@stack_rule(
    id="AWS-S3-008",
    title="S3 buckets log access",
    severity="medium",
    description="Every bucket has server access logging (`aws:s3/bucketLogging` with `targetBucket`, or "
    "inline `logging`/`loggings`), except the buckets that receive access logs (a logging target "
    "in the stack, or tagged `access-log-bucket=true`): logging them into themselves would loop.",
    rationale="Access logs are the only record of who read which object when CloudTrail data events are off.",
    remediation="Add `aws.s3.BucketLogging` to the stack's access-log bucket, as the `Backups` component "
    "does.",
    tags=anchors(
        "AWS-S3-008",
        "A/M",
        "awsguard:s3-bucket-logging-enabled",
        "checkov:CKV_AWS_18",
        "fsbp:S3.9",
        "cdk-nag:AwsSolutions-S1",
    ),
)
def s3_access_logging(stack: Stack):
    def check(bucket: Resource):
        if _is_access_log_target(stack, bucket):
            return
        inline = as_list(bucket.props.get("logging")) + as_list(bucket.props.get("loggings"))
        if any(isinstance(x, dict) and x.get("targetBucket") for x in inline):
            return
        if not any(s.props.get("targetBucket") for s in _satellites(stack, bucket, S3_LOGGING)):
            yield bucket, "no server access logging"

    yield from each(stack.of_type(*S3_BUCKETS), check)


@stack_rule(
    id="AWS-S3-009",
    title="S3 buckets have a lifecycle that cleans up",
    severity="low",
    description="Every bucket has a lifecycle configuration with an enabled rule that aborts incomplete "
    "multipart uploads and, when the bucket is versioned, one that expires noncurrent versions.",
    rationale="Without lifecycle rules, abandoned uploads and old versions accumulate cost forever and keep "
    "data longer than its retention allows.",
    remediation="Add `aws.s3.BucketLifecycleConfiguration` with abort_incomplete_multipart_upload (7 days) "
    "and noncurrent_version_expiration.",
    tags=anchors(
        "AWS-S3-009", "A/A", "checkov:CKV2_AWS_61", "checkov:CKV_AWS_300", "fsbp:S3.10", "fsbp:S3.13"
    ),
)
def s3_lifecycle(stack: Stack):
    def check(bucket: Resource):
        rules = [x for s in _satellites(stack, bucket, S3_LIFECYCLE) for x in as_list(s.props.get("rules"))]
        rules += as_list(bucket.props.get("lifecycleRules"))
        enabled = [
            x
            for x in rules
            if isinstance(x, dict) and (x.get("status") == "Enabled" or is_true(x.get("enabled")))
        ]
        if not enabled:
            yield bucket, "no enabled lifecycle rule"
            return
        if not any(
            x.get("abortIncompleteMultipartUpload") or x.get("abortIncompleteMultipartUploadDays")
            for x in enabled
        ):
            yield bucket, "no lifecycle rule aborts incomplete multipart uploads"
        if _is_versioned(stack, bucket) and not any(x.get("noncurrentVersionExpiration") for x in enabled):
            yield bucket, "versioned, but no lifecycle rule expires noncurrent versions"

    yield from each(stack.of_type(*S3_BUCKETS), check)


@stack_rule(
    id="AWS-S3-010",
    title="Backup and audit buckets use Object Lock",
    severity="medium",
    description="Buckets tagged with one of the policy config's `objectLockTags` (default "
    "data-classification=backup or audit) have `objectLockEnabled == true` and an "
    "`aws:s3/bucketObjectLockConfiguration` with a default retention.",
    rationale="Object Lock (WORM) keeps backups and audit logs immutable even for an attacker with admin "
    "credentials, which is what makes them trustworthy after a compromise.",
    remediation="Create the bucket with `object_lock_enabled=True` and add a BucketObjectLockConfiguration "
    "(COMPLIANCE mode in prod).",
    thresholds={"objectLockTags": OBJECT_LOCK_TAGS},
    tags=anchors("AWS-S3-010", "D/A", "checkov:CKV_AWS_143", "fsbp:S3.15"),
)
def s3_object_lock(stack: Stack):
    wanted = stack.threshold("objectLockTags", OBJECT_LOCK_TAGS)

    def check(bucket: Resource):
        if not any(bucket.tags.get(k) in as_list(v) for k, v in wanted.items()):
            return
        configs = _satellites(stack, bucket, S3_OBJECT_LOCK)
        inline = first(bucket.props.get("objectLockConfiguration"))
        locked = (
            is_true(bucket.props.get("objectLockEnabled")) or inline.get("objectLockEnabled") == "Enabled"
        )
        if not locked:
            yield bucket, "objectLockEnabled is not true"
        elif not (
            any(first(c.props.get("rule")).get("defaultRetention") for c in configs)
            or first(inline.get("rule")).get("defaultRetention")
        ):
            yield bucket, "no Object Lock default retention"

    yield from each(stack.of_type(*S3_BUCKETS), check)


@stack_rule(
    id="AWS-S3-011",
    title="Critical buckets replicate to another region",
    severity="low",
    description="Buckets tagged with the policy config's `replicationTags` (default criticality=critical) "
    "have an `aws:s3/bucketReplicationConfig` with an Enabled rule.",
    rationale="A regional outage or an account-level mistake must not take the only copy of critical data.",
    remediation="Add a BucketReplicationConfig to a bucket in the DR region.",
    thresholds={"replicationTags": REPLICATION_TAGS},
    tags=anchors(
        "AWS-S3-011",
        "D/A",
        "cp:s3-bucket-enable-replication-configuration",
        "checkov:CKV_AWS_144",
        "fsbp:S3.7",
        "cdk-nag:NIST.800.53.R5-S3BucketReplicationEnabled",
    ),
)
def s3_replication(stack: Stack):
    wanted = stack.threshold("replicationTags", REPLICATION_TAGS)

    def check(bucket: Resource):
        if not any(bucket.tags.get(k) in as_list(v) for k, v in wanted.items()):
            return
        configs = _satellites(stack, bucket, S3_REPLICATION)
        if not any(x.get("status") == "Enabled" for c in configs for x in as_list(c.props.get("rules"))):
            yield bucket, "no enabled replication rule"

    yield from each(stack.of_type(*S3_BUCKETS), check)


@stack_rule(
    id="AWS-S3-012",
    title="Buckets tagged for notifications send events",
    severity="low",
    description="Buckets tagged `notify=true` have an `aws:s3/bucketNotification` with EventBridge, a queue, "
    "a topic or a Lambda function.",
    rationale="Event notifications drive malware scanning and ingestion pipelines; a bucket that expects "
    "them but has none silently stops processing.",
    remediation="Add `aws.s3.BucketNotification(bucket=b.id, eventbridge=True)`.",
    tags=anchors("AWS-S3-012", "D/D", "checkov:CKV2_AWS_62", "fsbp:S3.11"),
)
def s3_notifications(stack: Stack):
    def check(bucket: Resource):
        if not _exempt_bucket(bucket, "notify"):
            return
        notes = _satellites(stack, bucket, S3_NOTIFICATION)
        if not any(
            is_true(n.props.get("eventbridge"))
            or n.props.get("queues")
            or n.props.get("topics")
            or n.props.get("lambdaFunctions")
            for n in notes
        ):
            yield bucket, "tagged notify=true but no event notification is configured"

    yield from each(stack.of_type(*S3_BUCKETS), check)


@resource_rule(
    id="AWS-S3-013",
    title="The account-level public access block is complete",
    severity="high",
    resource_types=(S3_ACCOUNT_PAB,),
    description="Checks all four flags of `aws:s3/accountPublicAccessBlock` are true when the stack manages "
    "it.",
    rationale="The account block is the backstop for every bucket, including ones created outside Pulumi.",
    remediation="Set block_public_acls, block_public_policy, ignore_public_acls and restrict_public_buckets "
    "to True.",
    tags=anchors("AWS-S3-013", "A/M", "fsbp:S3.1"),
)
def s3_account_public_access_block(r: Resource):
    off = [
        f
        for f in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
        if not is_true(r.get(f))
    ]
    if off:
        yield f"the account public access block leaves {', '.join(off)} off"


@resource_rule(
    id="AWS-S3-014",
    title="S3 buckets cannot be force-destroyed",
    severity="medium",
    resource_types=S3_BUCKETS,
    description="Checks `forceDestroy` is not true. Beyond the anchors.",
    rationale="With force_destroy, deleting the bucket resource deletes every object and version in it; a "
    "destroy or a replacement becomes data loss.",
    remediation="Remove `force_destroy=True` (only ephemeral test buckets may set it, with an exemption).",
    tags=anchors("STK-PROT-002", "A/M", "groundwork:beyond"),
)
def s3_no_force_destroy(r: Resource):
    if is_true(r.get("forceDestroy")):
        yield "forceDestroy is true: deleting the bucket deletes all its objects"


# ------------------------------------------------------------------------------------------- Backup


@resource_rule(
    id="AWS-BACKUP-001",
    title="Backup vault is encrypted with a customer-managed key",
    severity="medium",
    resource_types=(BACKUP_VAULT,),
    description="Checks `kmsKeyArn` is set (in `allowedKmsKeyArns` when configured).",
    rationale="Recovery points of services without their own encryption inherit the vault key; a "
    "customer-managed key keeps who may restore under the platform's key policy.",
    remediation="The `Backups` component passes the platform KMS key (`kms_key_arn`).",
    tags=anchors("AWS-BKP-001", "A/M", "checkov:CKV_AWS_166", "fsbp:Backup.1"),
)
def backup_vault_cmk(r: Resource):
    yield from _cmk_issue(r, "kmsKeyArn", "the vault")


@resource_rule(
    id="AWS-BACKUP-002",
    title="Backup plan rules are scheduled, retained and copied",
    severity="high",
    resource_types=(BACKUP_PLAN,),
    description="For every rule of the plan: `schedule` set, `lifecycle.deleteAfter >= "
    "minBackupRetentionDays` (policy config; default 7), and, when `requireCopyAction` is set in "
    "the policy config (prod), a `copyActions[].destinationVaultArn` in another region or "
    "account; when `requireContinuousBackup` is set, at least one rule has "
    "`enableContinuousBackup` (RDS PITR up to 35 days). Beyond the anchors.",
    rationale="A plan that never runs, expires recovery points before anyone notices a problem, or keeps its "
    "only copy in the same region and account does not meet the platform's RPO/RTO; a regional "
    "outage or a compromised account would take the backups too.",
    remediation="Set `backups.retentionDays`, `backups.drRegion` (prod) and `backups.continuousBackup` in "
    "Pulumi.<stack>.yaml; the `Backups` component builds the plan from them.",
    thresholds={
        "minBackupRetentionDays": 7,
        "primaryRegion": "",
        "requireContinuousBackupIn": ["prod"],
        "requireCopyActionIn": ["prod"],
    },
    tags=anchors("STK-BKP-002", "A/M", "groundwork:beyond"),
)
def backup_plan_quality(r: Resource):
    minimum = number(r.threshold("minBackupRetentionDays", 7), 7)
    rules = [x for x in as_list(r.get("rules")) if isinstance(x, dict)]
    for rule in rules:
        name = rule.get("ruleName", "?")
        if not rule.get("schedule"):
            yield f"rule {name} has no schedule"
        days = number(first(rule.get("lifecycle")).get("deleteAfter"))
        if days is not None and days < minimum:
            yield f"rule {name} deletes recovery points after {days:g} days; at least {minimum:g} required"
    if r.environment in r.threshold("requireCopyActionIn", ["prod"]):
        primary = r.get("region") or r.threshold("primaryRegion", "")
        copies = [c.get("destinationVaultArn") for x in rules for c in as_list(x.get("copyActions"))]
        if not copies:
            yield "no rule copies recovery points to another region or account"
        elif primary and all(f":{primary}:" in str(c) for c in copies):
            yield f"every copy action targets the plan's own region {primary}"
    continuous = any(is_true(x.get("enableContinuousBackup")) for x in rules)
    if r.environment in r.threshold("requireContinuousBackupIn", ["prod"]) and not continuous:
        yield "no rule enables continuous backup (point-in-time restore)"


@stack_rule(
    id="AWS-BACKUP-003",
    title="Backup vaults are locked in prod",
    severity="high",
    description="When the policy config sets `requireVaultLock` (prod), every `aws:backup/vault:Vault` has "
    "an `aws:backup/vaultLockConfiguration` with `minRetentionDays >= minBackupRetentionDays`. "
    "Beyond the anchors.",
    rationale="Vault Lock stops anyone, including an attacker with admin rights, from deleting recovery "
    "points before their retention ends: the defence against ransomware that targets backups "
    "first.",
    remediation="Set `backups.vaultLock: true` in Pulumi.prod.yaml; the `Backups` component adds the lock.",
    thresholds={"minBackupRetentionDays": 7, "requireVaultLockIn": ["prod"]},
    tags=anchors("STK-BKP-002", "D/M", "groundwork:beyond"),
)
def backup_vault_lock(stack: Stack):
    if stack.environment not in stack.threshold("requireVaultLockIn", ["prod"]):
        return
    minimum = number(stack.threshold("minBackupRetentionDays", 7), 7)
    locks = stack.of_type(BACKUP_VAULT_LOCK)

    def check(vault: Resource):
        mine = [lk for lk in locks if vault in linked(lk, "backupVaultName", [vault], keys=("name",))]
        if not mine:
            yield vault, "no VaultLockConfiguration: recovery points can be deleted early"
        elif all(number(lk.props.get("minRetentionDays"), 0) < minimum for lk in mine):
            yield vault, f"vault lock minRetentionDays is below {minimum:g}"

    yield from each(stack.of_type(BACKUP_VAULT), check)


@stack_rule(
    id="AWS-BACKUP-004",
    title="Backup vault policies deny deleting recovery points",
    severity="medium",
    description="When the policy config sets `requireVaultPolicy` (prod), every vault has an "
    "`aws:backup/vaultPolicy` with a Deny on `backup:DeleteRecoveryPoint`. Beyond the anchors.",
    rationale="Without the deny, any principal with backup permissions can delete recovery points; the "
    "policy limits deletion to the lifecycle itself.",
    remediation="The `Backups` component attaches a vault policy that denies backup:DeleteRecoveryPoint and "
    "backup:UpdateRecoveryPointLifecycle.",
    thresholds={"requireVaultPolicyIn": ["prod"]},
    tags=anchors("STK-BKP-002", "D/A", "groundwork:beyond"),
)
def backup_vault_policy(stack: Stack):
    if stack.environment not in stack.threshold("requireVaultPolicyIn", ["prod"]):
        return
    policies = stack.of_type(BACKUP_VAULT_POLICY)

    def check(vault: Resource):
        docs = [
            policy_document(p.props.get("policy"))
            for p in policies
            if vault in linked(p, "backupVaultName", [vault], keys=("name",))
        ]
        denies = any(
            s.get("Effect") == "Deny"
            and any(a in ("backup:DeleteRecoveryPoint", "backup:*") for a in as_list(s.get("Action")))
            for d in docs
            for s in statements(d)
        )
        if not denies:
            yield vault, "no vault policy denies backup:DeleteRecoveryPoint"

    yield from each(stack.of_type(BACKUP_VAULT), check)


@resource_rule(
    id="AWS-BACKUP-005",
    title="Backup vaults cannot be force-destroyed",
    severity="high",
    resource_types=(BACKUP_VAULT,),
    description="Checks `forceDestroy` is not true. Beyond the anchors.",
    rationale="force_destroy deletes every recovery point when the vault resource is deleted or replaced.",
    remediation="Remove `force_destroy=True` from the vault.",
    tags=anchors("STK-PROT-002", "A/M", "groundwork:beyond"),
)
def backup_vault_no_force_destroy(r: Resource):
    if is_true(r.get("forceDestroy")):
        yield "forceDestroy is true: deleting the vault deletes all recovery points"
