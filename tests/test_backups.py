"""AWS Backup, the DR copy and the exports bucket as the AWS stacks send them."""

from __future__ import annotations

import json
import re

import pulumi
import pulumi_aws as aws
import pytest

from components.backups import Backups, BackupsArgs
from stacks.preflight.backup_coverage import datastores_without_backup
from tests.conftest import run_component
from tests.observability_harness import observe

PLAN = "aws:backup/plan:Plan"
VAULT = "aws:backup/vault:Vault"
LOCK = "aws:backup/vaultLockConfiguration:VaultLockConfiguration"


def plan_rule(stack: str) -> dict:
    (plan,) = observe(stack).of_type(PLAN)
    (rule,) = plan.props["rules"]
    return rule


@pytest.mark.parametrize("stack,days", [("dev", 7), ("qa", 7), ("staging", 14), ("prod", 30)])
def test_daily_rule_retention_per_stack(stack, days):
    rule = plan_rule(stack)
    assert rule["lifecycle"]["deleteAfter"] == days
    assert rule["schedule"] == "cron(0 3 * * ? *)"


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_continuous_backup_gives_point_in_time_restore(stack):
    assert plan_rule(stack)["enableContinuousBackup"] is True


def test_prod_copies_every_recovery_point_to_the_dr_vault():
    capture = observe("prod")
    (copy,) = plan_rule("prod")["copyActions"]
    assert copy["destinationVaultArn"] == capture.outputs["dr_backup_vault_arn"]
    assert copy["lifecycle"]["deleteAfter"] == 30


def test_dr_vault_lives_in_the_dr_region_with_its_own_key():
    capture = observe("prod")
    providers = {r.urn: r.props for r in capture.of_type("pulumi:providers:aws")}
    dr_vault = capture.named("prod-backups-dr-vault")
    assert providers[dr_vault.provider.rsplit("::", 1)[0]]["region"] == "eu-central-1"
    dr_key = capture.named("prod-backups-dr-key")
    assert dr_key.provider == dr_vault.provider
    assert dr_vault.props["kmsKeyArn"] != capture.named("prod-backups-vault").props["kmsKeyArn"]


def test_prod_replicates_rds_automated_backups_to_the_dr_region():
    capture = observe("prod")
    (replication,) = capture.of_type(
        "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication"
    )
    assert replication.props["sourceDbInstanceArn"].endswith(":db:prod-postgres")
    assert replication.provider == capture.named("prod-backups-dr-vault").provider


@pytest.mark.parametrize("stack", ["dev", "qa", "staging"])
def test_no_copy_and_no_lock_outside_prod(stack):
    capture = observe(stack)
    assert "copyActions" not in plan_rule(stack)
    assert capture.of_type(LOCK) == []
    assert len(capture.of_type(VAULT)) == 1


def test_prod_locks_both_vaults_in_governance_mode():
    locks = observe("prod").of_type(LOCK)
    assert len(locks) == 2
    for lock in locks:
        assert (lock.props["minRetentionDays"], lock.props["maxRetentionDays"]) == (30, 365)
        assert "changeableForDays" not in lock.props


def test_vault_is_encrypted_with_the_platform_key_and_protected_in_prod():
    capture = observe("prod")
    vault = capture.named("prod-backups-vault")
    assert vault.props["kmsKeyArn"] == capture.outputs["kms_key_arn"]
    assert vault.protect and not observe("dev").named("dev-backups-vault").protect


def test_selection_is_exactly_the_backup_tag():
    (selection,) = observe("prod").of_type("aws:backup/selection:Selection")
    assert selection.props["selectionTags"] == [{"type": "STRINGEQUALS", "key": "backup", "value": "true"}]
    assert "resources" not in selection.props


def test_backup_role_has_the_managed_backup_and_restore_policies():
    attachments = observe("prod").of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    attached = {r.props["policyArn"] for r in attachments if r.name.startswith("prod-backups-backup-role")}
    assert attached == {
        "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
        "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
        # S3 buckets (the exports bucket, app buckets with recovery: backup) need their own two.
        "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Backup",
        "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Restore",
    }


def test_failed_backup_and_copy_jobs_raise_alarms():
    capture = observe("prod")
    metrics = {
        r.props["metricName"]: r.props
        for r in capture.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
        if r.props.get("namespace") == "AWS/Backup"
    }
    assert set(metrics) == {"NumberOfBackupJobsFailed", "NumberOfCopyJobsFailed"}
    assert all(m["alarmActions"] == [capture.outputs["alarm_topic_arn"]] for m in metrics.values())


def test_every_managed_datastore_is_covered():
    assert datastores_without_backup(observe("prod")) == []


def test_coverage_check_reports_an_untagged_database_and_a_cache_without_snapshots():
    def build():
        Backups("b", BackupsArgs(kms_key_arn="arn:aws:kms:eu-west-1:123456789012:key/k"))
        aws.rds.Instance(
            "untagged-db", instance_class="db.t3.micro", engine="postgres", tags={"backup": "false"}
        )
        aws.elasticache.ReplicationGroup("no-snapshots", description="x", tags={"backup": "true"})
        return pulumi.Output.from_input(1)

    gaps = datastores_without_backup(run_component(build))
    assert sorted(gap.split(" ")[0] for gap in gaps) == ["no-snapshots", "untagged-db"]


def bucket_policy(stack: str, bucket: str) -> dict:
    return json.loads(of_bucket(stack, "aws:s3/bucketPolicy:BucketPolicy", bucket)["policy"])


@pytest.mark.parametrize("bucket", ["exports", "access-logs"])
def test_buckets_deny_requests_without_tls(bucket):
    statements = bucket_policy("prod", bucket)["Statement"]
    deny = next(s for s in statements if s["Condition"].get("Bool") == {"aws:SecureTransport": "false"})
    assert deny["Effect"] == "Deny" and deny["Principal"] == "*" and deny["Action"] == "s3:*"
    assert any(r.endswith("/*") for r in deny["Resource"]) and any(
        not r.endswith("/*") for r in deny["Resource"]
    )


def of_bucket(stack: str, type_token: str, bucket: str = "exports") -> dict:
    matches = [r.props for r in observe(stack).of_type(type_token) if r.name == f"{stack}-backups-{bucket}"]
    assert len(matches) == 1, type_token
    return matches[0]


def test_exports_bucket_is_private_versioned_and_kms_encrypted():
    capture = observe("prod")
    block = of_bucket("prod", "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert all(
        block[k] is True
        for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    )
    versioning = of_bucket("prod", "aws:s3/bucketVersioning:BucketVersioning")
    assert versioning["versioningConfiguration"]["status"] == "Enabled"
    sse = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    (rule,) = of_bucket("prod", sse)["rules"]
    default = rule["applyServerSideEncryptionByDefault"]
    assert (default["sseAlgorithm"], default["kmsMasterKeyId"], rule["bucketKeyEnabled"]) == (
        "aws:kms",
        capture.outputs["kms_key_arn"],
        True,
    )


def test_exports_bucket_tiers_then_expires():
    (rule,) = of_bucket("prod", "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")["rules"]
    assert [t["storageClass"] for t in rule["transitions"]] == ["STANDARD_IA", "GLACIER_IR"]
    assert rule["expiration"]["days"] == 2555
    assert rule["abortIncompleteMultipartUpload"]["daysAfterInitiation"] == 7


def test_object_lock_only_in_prod():
    lock = of_bucket("prod", "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")
    assert lock["rule"]["defaultRetention"] == {"mode": "GOVERNANCE", "days": 30}
    assert of_bucket("prod", "aws:s3/bucket:Bucket")["objectLockEnabled"] is True
    assert (
        observe("staging").of_type("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration") == []
    )


def test_exports_bucket_access_is_logged_to_the_log_bucket():
    capture = observe("prod")
    (logging,) = list(capture.of_type("aws:s3/bucketLogging:BucketLogging"))
    log_bucket = next(
        r for r in capture.of_type("aws:s3/bucket:Bucket") if r.name == "prod-backups-access-logs"
    )
    assert logging.property_dependencies["targetBucket"] == [log_bucket.urn]
    assert log_bucket.props["tags"]["purpose"] == "access-logs"


@pytest.mark.parametrize("stack,tested", [("dev", False), ("qa", False), ("staging", True), ("prod", True)])
def test_restore_testing_proves_rds_recovery_points_weekly(stack, tested):
    capture = observe(stack)
    plans = capture.of_type("aws:backup/restoreTestingPlan:RestoreTestingPlan")
    assert len(plans) == int(tested)
    if tested:
        (plan,) = plans
        assert plan.props["scheduleExpression"] == "cron(0 5 ? * SUN *)"
        assert re.fullmatch(r"\w+", plan.props["name"])
        (selection,) = capture.of_type("aws:backup/restoreTestingSelection:RestoreTestingSelection")
        assert selection.props["protectedResourceType"] == "RDS"
        assert selection.props["protectedResourceConditions"] == {
            "stringEquals": [{"key": "aws:ResourceTag/backup", "value": "true"}]
        }


def velero(stack: str) -> dict:
    (chart,) = [
        r.props for r in observe(stack).of_type("kubernetes:helm.sh/v4:Chart") if r.props["chart"] == "velero"
    ]
    return chart


def test_velero_backs_up_every_namespace_daily_into_the_encrypted_bucket():
    capture = observe("prod")
    values = velero("prod")["values"]
    (location,) = values["configuration"]["backupStorageLocation"]
    assert location["bucket"] == capture.outputs["exports_bucket"] and location["prefix"] == "velero"
    assert location["config"]["kmsKeyId"] == capture.outputs["kms_key_arn"]
    assert values["schedules"]["daily"]["template"] == {
        "ttl": "720h",
        "includedNamespaces": ["*"],
        "snapshotVolumes": False,
    }
    assert values["credentials"] == {"useSecret": False}


def test_velero_role_is_limited_to_its_prefix():
    capture = observe("prod")
    policy = next(
        r for r in capture.of_type("aws:iam/rolePolicy:RolePolicy") if r.name == "prod-cluster-backup-velero"
    )
    statements = {s["Sid"]: s for s in json.loads(policy.props["policy"])["Statement"]}
    assert statements["VeleroObjects"]["Resource"].endswith("/velero/*")
    assert statements["VeleroList"]["Condition"] == {"StringLike": {"s3:prefix": ["velero/*", "velero"]}}


def test_local_has_no_velero():
    assert [
        r for r in observe("local").of_type("kubernetes:helm.sh/v4:Chart") if r.props["chart"] == "velero"
    ] == []


def test_prod_protects_the_exports_access_trail_too(captured):
    buckets = captured("prod").of_type("aws:s3/bucket:Bucket")
    assert buckets and all(b.protect for b in buckets)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_no_principal_may_delete_recovery_points_by_hand(captured, stack):
    import json as _json

    capture = captured(stack)
    vaults = capture.of_type("aws:backup/vault:Vault")
    policies = capture.of_type("aws:backup/vaultPolicy:VaultPolicy")
    assert len(policies) == len(vaults) >= 1
    for policy in policies:
        statement = _json.loads(policy.props["policy"])["Statement"][0]
        assert statement["Effect"] == "Deny" and statement["Principal"] == {"AWS": "*"}
        assert "backup:DeleteRecoveryPoint" in statement["Action"]


BUCKET_COMPONENT = "groundwork:bucket:HardenedBucket"


def test_buckets_moved_into_the_hardened_bucket_keep_their_identity():
    """The exports and access-log buckets and their configuration were created directly under
    Backups, with these same names, before HardenedBucket existed. Each child's alias names Backups as
    its old parent, so `pulumi up` moves the buckets (and the backups in them) instead of deleting and
    recreating them."""
    capture = observe("prod")
    by_urn = {r.urn: r for r in capture.resources}
    components = capture.of_type(BUCKET_COMPONENT)
    assert sorted(c.name for c in components) == ["prod-backups-access-logs", "prod-backups-exports"]
    for component in components:
        children = capture.children_of(component)
        assert len(children) >= 6 and {c.name for c in children} == {component.name}
        backups = by_urn[component.parent]
        assert backups.type == "groundwork:backups:Backups"
        for child in children:
            specs = [a["spec"] for a in child.options["aliases"] if "type" not in a.get("spec", {})]
            assert specs == [{"parentUrn": backups.urn}], child.urn


def test_the_exports_bucket_is_kms_encrypted_and_its_log_bucket_is_not():
    """S3 server access logging cannot deliver into an SSE-KMS bucket, so the log bucket alone uses
    SSE-S3; the exports bucket, which holds data, uses the stack's key."""
    capture = observe("prod")
    algorithms = {
        r.name: r.props["rules"][0]["applyServerSideEncryptionByDefault"]["sseAlgorithm"]
        for r in capture.of_type(
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
        )
    }
    assert algorithms == {"prod-backups-exports": "aws:kms", "prod-backups-access-logs": "AES256"}


def test_fails_when_a_log_delivery_bucket_asks_for_a_kms_key():
    from pydantic import ValidationError

    from components.bucket import HardenedBucketArgs

    with pytest.raises(ValidationError, match="S3 log delivery cannot write SSE-KMS"):
        HardenedBucketArgs(
            purpose="logs", kms_key_arn="arn:key", access_log_bucket=None, log_delivery=True, expiry_days=30
        )
