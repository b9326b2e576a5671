"""RDS rules for Aurora: DB clusters and their cluster instances (AWS-RDS-020 to 027).

Groundwork creates no Aurora cluster today; these rules keep a hand-written or future one to the
same standard as the `Postgres` component's DB instance (encryption with the stack's key, deletion
protection, retention, IAM auth, log exports, instances spread over AZs).
"""

from __future__ import annotations

from policy.framework import Resource, Stack, resource_rule, stack_rule
from policy.helpers import cmk_issue, each, is_false, is_true, linked, number
from policy.rules.aws.rds import (
    RDS_CLUSTER,
    RDS_CLUSTER_INSTANCE,
    log_exports_issue,
    performance_insights_issue,
    retention_issue,
)


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
    tags=(
        "compliance-policies:rds-cluster-disallow-unencrypted-storage",
        "compliance-policies:rds-cluster-configure-customer-managed-key",
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
        yield from cmk_issue(r, "kmsKeyId", "the cluster's storage")


@resource_rule(
    id="AWS-RDS-021",
    title="RDS cluster has deletion protection",
    severity="medium",
    resource_types=(RDS_CLUSTER,),
    description="Checks `deletionProtection == true`.",
    rationale="Deleting a cluster deletes its volume and automated backups; the flag makes the API refuse.",
    remediation="Set `deletion_protection=True`; Groundwork turns it on with "
    "`groundwork:protectStatefulResources: true` (the prod profile).",
    tags=("checkov:CKV_AWS_139", "fsbp:RDS.7", "cdk-nag:AwsSolutions-RDS10"),
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
    tags=("compliance-policies:rds-cluster-configure-backup-retention", "checkov:CKV_AWS_133"),
)
def rds_cluster_backup_retention(r: Resource):
    yield from retention_issue(r, "backupRetentionPeriod")


@resource_rule(
    id="AWS-RDS-023",
    title="RDS cluster allows IAM database authentication",
    severity="medium",
    resource_types=(RDS_CLUSTER,),
    description="Checks `iamDatabaseAuthenticationEnabled == true`.",
    rationale="Short-lived IAM tokens replace long-lived passwords for workloads (IRSA).",
    remediation="Set `iam_database_authentication_enabled=True`.",
    tags=("checkov:CKV_AWS_162", "fsbp:RDS.12", "cdk-nag:AwsSolutions-RDS6"),
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
    tags=("checkov:CKV_AWS_324", "fsbp:RDS.37"),
)
def rds_cluster_log_exports(r: Resource):
    yield from log_exports_issue(r, str(r.props.get("engine") or "aurora-postgresql").lower())


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
    tags=("compliance-policies:rds-cluster-disallow-single-availability-zone", "fsbp:RDS.15"),
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
    tags=("checkov:CKV_AWS_313", "fsbp:RDS.16"),
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
    tags=(
        "compliance-policies:rds-clusterinstance-enable-performance-insights",
        "checkov:CKV_AWS_118",
        "checkov:CKV_AWS_226",
        "checkov:CKV_AWS_353",
        "checkov:CKV_AWS_354",
        "fsbp:RDS.6",
        "fsbp:RDS.35",
    ),
)
def rds_cluster_instance_ops(r: Resource):
    yield from performance_insights_issue(r)
    if not number(r.get("monitoringInterval"), 0):
        yield "monitoringInterval is 0 or unset: enhanced monitoring is off"
    if is_false(r.get("autoMinorVersionUpgrade")):
        yield "autoMinorVersionUpgrade is false"
