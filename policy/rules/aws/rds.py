"""RDS rules for DB instances, snapshots and what instances and Aurora clusters share (final
snapshots, managed master passwords).

Groundwork's `Postgres` component creates these on AWS stacks; the config keys named in remediations
live under `postgres.*` in `Pulumi.<stack>.yaml`. Property names are the engine's camelCase inputs of
the pinned pulumi-aws SDK (its `@pulumi.getter(name=...)`). The Aurora cluster rules (`aurora.py`) and
the parameter-group rules (`rds_parameters.py`) reuse the readers defined here.
"""

from __future__ import annotations

from collections.abc import Iterator

from policy.framework import Resource, resource_rule
from policy.helpers import as_list, cmk_issue, is_false, is_true, number, version_tuple

RDS_INSTANCE = "aws:rds/instance:Instance"
RDS_CLUSTER = "aws:rds/cluster:Cluster"
RDS_CLUSTER_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
RDS_SNAPSHOT = "aws:rds/snapshot:Snapshot"
RDS_CLUSTER_SNAPSHOT = "aws:rds/clusterSnapshot:ClusterSnapshot"

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
MODERN_RDS_CAS = ["rds-ca-rsa2048-g1", "rds-ca-rsa4096-g1", "rds-ca-ecc384-g1"]


def engine_of(r: Resource) -> str:
    return str(r.props.get("engine") or "postgres").lower()


def _is_replica(r: Resource) -> bool:
    return bool(r.props.get("replicateSourceDb"))


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
    tags=(
        "awsguard:rds-storage-encrypted",
        "compliance-policies:rds-instance-disallow-unencrypted-storage",
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
    tags=(
        "awsguard:rds-storage-encrypted",
        "compliance-policies:rds-instance-configure-customer-managed-key",
    ),
)
def rds_instance_cmk(r: Resource):
    if not _is_replica(r):
        yield from cmk_issue(r, "kmsKeyId", "the instance's storage")


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
    tags=(
        "awsguard:rds-instance-public-access",
        "compliance-policies:rds-instance-disallow-public-access",
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
    tags=(
        "awsguard:rds-instance-multi-az-enabled",
        "checkov:CKV_AWS_157",
        "fsbp:RDS.5",
        "cdk-nag:AwsSolutions-RDS3",
    ),
)
def rds_multi_az(r: Resource):
    if not _is_replica(r) and not is_true(r.get("multiAz")):
        yield "multiAz is not true: the database is a single instance in one availability zone"


def retention_issue(r: Resource, days_prop: str) -> Iterator[str]:
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
    tags=(
        "awsguard:rds-instance-backup-enabled",
        "compliance-policies:rds-instance-configure-backup-retention",
        "checkov:CKV_AWS_133",
        "fsbp:RDS.11",
        "cdk-nag:AwsSolutions-RDS13",
    ),
)
def rds_backup_retention(r: Resource):
    if not _is_replica(r):
        yield from retention_issue(r, "backupRetentionPeriod")


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
    tags=("checkov:CKV_AWS_293", "fsbp:RDS.8", "cdk-nag:AwsSolutions-RDS10"),
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
    tags=("checkov:CKV_AWS_161", "fsbp:RDS.10"),
)
def rds_iam_auth(r: Resource):
    if not is_true(r.get("iamDatabaseAuthenticationEnabled")):
        yield "iamDatabaseAuthenticationEnabled is not true: only password authentication is possible"


def log_exports_issue(r: Resource, engine: str) -> Iterator[str]:
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
    tags=("checkov:CKV_AWS_129", "fsbp:RDS.9", "fsbp:RDS.36", "cdk-nag:NIST.800.53.R5-RDSLoggingEnabled"),
)
def rds_log_exports(r: Resource):
    yield from log_exports_issue(r, engine_of(r))


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
    tags=("checkov:CKV_AWS_118", "fsbp:RDS.6", "cdk-nag:NIST.800.53.R5-RDSEnhancedMonitoringEnabled"),
)
def rds_enhanced_monitoring(r: Resource):
    if not number(r.get("monitoringInterval"), 0):
        yield "monitoringInterval is 0 or unset: enhanced monitoring is off"
    elif not r.get("monitoringRoleArn"):
        yield "monitoringRoleArn is unset: enhanced monitoring cannot publish metrics"


def performance_insights_issue(r: Resource) -> Iterator[str]:
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
    tags=(
        "compliance-policies:rds-instance-enable-performance-insights",
        "compliance-policies:rds-instance-disallow-unencrypted-performance-insights",
        "checkov:CKV_AWS_353",
        "checkov:CKV_AWS_354",
    ),
)
def rds_performance_insights(r: Resource):
    yield from performance_insights_issue(r)


@resource_rule(
    id="AWS-RDS-011",
    title="RDS instance takes minor version upgrades",
    severity="medium",
    resource_types=(RDS_INSTANCE,),
    description="Checks `autoMinorVersionUpgrade` is not false.",
    rationale="Minor versions carry the engine's security fixes; with automatic upgrades they land in the "
    "maintenance window instead of waiting for someone to notice a CVE.",
    remediation="Leave `auto_minor_version_upgrade` at its default (true).",
    tags=("checkov:CKV_AWS_226", "fsbp:RDS.13"),
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
    tags=("checkov:CKV2_AWS_60", "fsbp:RDS.17"),
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
    tags=("checkov:CKV_AWS_211",),
)
def rds_ca_certificate(r: Resource):
    ca = r.get("caCertIdentifier")
    allowed = r.threshold("allowedCaCertificates", MODERN_RDS_CAS)
    if ca and ca not in allowed:
        yield f"caCertIdentifier is {ca}; allowed: {', '.join(allowed)}"


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
    tags=("fsbp:RDS.18",),
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
    tags=("fsbp:RDS.23", "cdk-nag:AwsSolutions-RDS11"),
)
def rds_non_default_port(r: Resource):
    default = ENGINE_PORTS.get(engine_of(r))
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
    tags=("fsbp:RDS.24", "fsbp:RDS.25"),
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
    tags=("checkov:CKV_AWS_250",),
)
def rds_engine_version(r: Resource):
    minimums = r.threshold("minEngineVersions", MIN_ENGINE_VERSIONS)
    version = r.get("engineVersion")
    minimum = minimums.get(engine_of(r))
    if version and minimum and version_tuple(version) < version_tuple(minimum):
        yield f"engineVersion {version} is older than the minimum {minimum}"


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
    tags=("checkov:CKV_AWS_302", "checkov:CKV_AWS_146", "fsbp:RDS.1", "fsbp:RDS.4"),
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
    description="Checks `skipFinalSnapshot` is false and `finalSnapshotIdentifier` is set. Other rule sets "
    "look only at deletion protection.",
    rationale="`skipFinalSnapshot` defaults to true in the provider for clusters and is easy to leave on: a "
    "destroy or replacement then deletes the data with no snapshot to restore from.",
    remediation="The `Postgres` component sets `skip_final_snapshot=False` and a `final_snapshot_identifier` "
    "derived from its name in every environment.",
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
    tags=("cdk-nag:AwsSolutions-DOC3",),
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
