"""Backups: an AWS Backup vault and plan that select every resource tagged `backup=true`, with
point-in-time recovery for RDS, optional vault lock and a copy to a vault in a second region; plus an
exports bucket (versioned, SSE-KMS, private, TLS-only, tiered, optionally object-locked, access-logged).

AWS Backup covers RDS (and S3, EBS, EFS, DynamoDB). It does not back up ElastiCache or MSK even when
they carry the tag: ElastiCache is covered by its own daily snapshots (snapshot_retention_limit on the
replication group) and MSK by replication (three brokers, replication factor 3, min in-sync 2).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Literal

import pulumi
import pulumi_aws as aws
from pydantic import Field, InstanceOf, field_validator, model_validator

from components._lib.args import ComponentArgs, Input, SettingError
from components._lib.fields import REGION, AwsCron
from components.kms import KmsKey, KmsKeyArgs
from components.service_role import service_role
from components.tagging import component_tags

BACKUP_TAG = ("backup", "true")
MANAGED_POLICIES = ("AWSBackupServiceRolePolicyForBackup", "AWSBackupServiceRolePolicyForRestores")


class BackupsSettings(ComponentArgs):
    """How long recovery points live and where copies go: the keys of `groundwork:backups`. Defaults
    are prod's shape (seed: daily, 30 days, encrypted, locked, restore-tested, RPO 5 minutes)."""

    retention_days: int = Field(
        default=30,
        ge=1,
        le=35,
        description="Days each daily recovery point is kept; with continuous backup on, AWS Backup caps "
        "this at 35.",
    )
    schedule: AwsCron = Field(default="cron(0 3 * * ? *)", description="When the daily backup runs (UTC).")
    continuous_backup: bool = Field(
        default=True,
        description="Point-in-time recovery for RDS within the retention window (RPO about 5 minutes "
        "instead of 24 hours).",
    )
    vault_lock: bool = Field(
        default=True, description="WORM protection of the vaults: recovery points cannot be deleted early."
    )
    vault_lock_mode: Literal["governance", "compliance"] = Field(
        default="governance",
        description="`governance` can be lifted by privileged IAM users; `compliance` can never be lifted "
        "once its grace period (3 days) ends.",
    )
    vault_lock_max_retention_days: int = Field(
        default=365, ge=1, le=36500, description="The longest retention the lock admits."
    )
    dr_region: str | None = Field(
        default=None,
        description="A second region that receives a copy of every recovery point and the RDS automated "
        "backups (required in prod).",
    )
    exports_expiry_days: int = Field(
        default=2555, ge=30, description="Objects in the exports bucket are deleted after this many days."
    )
    exports_object_lock_days: int | None = Field(
        default=30,
        ge=1,
        description="Default WORM retention of the exports bucket (unset: no object lock); it can only be "
        "switched on when the bucket is created.",
    )
    access_log_retention_days: int = Field(
        default=365, ge=1, description="How long the exports bucket's server access logs are kept."
    )
    restore_test_schedule: AwsCron | None = Field(
        default="cron(0 5 ? * SUN *)",
        description="When AWS Backup restore testing restores the latest RDS recovery point into a "
        "throw-away instance to prove it restorable (unset: off; it costs a few instance hours per run).",
    )

    @field_validator("dr_region")
    @classmethod
    def _region(cls, value: str | None) -> str | None:
        if value is not None and not REGION.match(value):
            raise ValueError("an AWS region name such as eu-central-1")
        return value

    @model_validator(mode="after")
    def _lock_admits_retention(self) -> BackupsSettings:
        if self.vault_lock and self.vault_lock_max_retention_days < self.retention_days:
            raise SettingError(
                "vaultLockMaxRetentionDays",
                self.vault_lock_max_retention_days,
                f"must be at least retentionDays ({self.retention_days})",
            )
        return self


class BackupsArgs(ComponentArgs):
    """The settings plus what the stack provides: the key, the DR region's provider, the RDS
    instances to replicate there, and the alarm topic."""

    settings: BackupsSettings = Field(default_factory=BackupsSettings, description="Retention and copies.")
    kms_key_arn: Input[str] = Field(description="Encrypts the vault and the exports bucket.")
    dr_provider: InstanceOf[pulumi.ProviderResource] | None = Field(
        default=None, description="The AWS provider of settings.drRegion (set exactly when it is)."
    )
    dr_rds_instance_arns: Sequence[Input[str]] = Field(
        default=(),
        description="RDS instances whose automated backups (snapshots and transaction logs) are "
        "replicated to the DR region, so a regional outage still allows a point-in-time restore with an "
        "RPO of minutes; the daily vault copy alone would mean an RPO of up to a day there.",
    )
    alarm_topic_arn: Input[str] | None = Field(
        default=None, description="CloudWatch alarms for failed backup and copy jobs publish here."
    )
    vault_lock_changeable_for_days: int = Field(
        default=3, ge=3, description="The grace period of a compliance-mode lock."
    )
    restore_test_resource_types: tuple[str, ...] = Field(
        default=("RDS",), description="What restore testing restores."
    )
    restore_test_validation_window_hours: int = Field(
        default=4, ge=1, le=168, description="How long a restored copy is kept for checks."
    )
    restore_test_start_window_hours: int = Field(
        default=8, ge=1, le=168, description="How long after the scheduled time a test may start."
    )
    exports_transition_ia_days: int = Field(default=30, ge=30, description="Exports move to STANDARD_IA.")
    exports_transition_glacier_days: int = Field(default=90, ge=1, description="Exports move to GLACIER_IR.")
    exports_noncurrent_expiry_days: int = Field(
        default=30, ge=1, description="Overwritten or deleted export versions are kept this long."
    )
    exports_object_lock_mode: Literal["GOVERNANCE", "COMPLIANCE"] = Field(
        default="GOVERNANCE", description="The exports bucket's default object-lock mode."
    )
    protect: bool = Field(default=True, description="Keep Pulumi from deleting the vaults and the buckets.")
    tags: Mapping[str, str] = Field(default_factory=dict, description="The stack's tags.")

    @model_validator(mode="after")
    def _dr_provider(self) -> BackupsArgs:
        if (self.settings.dr_region is None) != (self.dr_provider is None):
            raise SettingError(
                "drRegion", self.settings.dr_region, "needs dr_provider, the AWS provider of that region"
            )
        return self


class Backups(pulumi.ComponentResource):
    vault_name: pulumi.Output[str]
    vault_arn: pulumi.Output[str]
    plan_id: pulumi.Output[str]
    dr_vault_arn: pulumi.Output[str] | None
    exports_bucket_name: pulumi.Output[str]
    exports_bucket_arn: pulumi.Output[str]
    access_log_bucket_name: pulumi.Output[str]

    def __init__(self, name: str, args: BackupsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("groundwork:backups:Backups", name, None, opts)
        spec = args.settings
        lock = spec.vault_lock
        tags = component_tags(args.tags, name)
        child = pulumi.ResourceOptions(parent=self)
        stateful = pulumi.ResourceOptions(parent=self, protect=args.protect)
        partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=self)).partition

        vault = aws.backup.Vault(
            f"{name}-vault", kms_key_arn=args.kms_key_arn, force_destroy=False, tags=tags, opts=stateful
        )
        _deny_recovery_point_deletion(f"{name}-vault", vault, child)
        if lock:
            self._lock(f"{name}-vault", vault, args, child)

        self.dr_vault_arn = None
        copy_actions = []
        if spec.dr_region is not None and args.dr_provider is not None:
            dr_opts = pulumi.ResourceOptions(parent=self, providers={"aws": args.dr_provider})
            dr_key = KmsKey(
                f"{name}-dr",
                KmsKeyArgs(
                    description=(f"Groundwork {name}: encrypts recovery points copied to {spec.dr_region}"),
                    tags=tags,
                    protect=args.protect,
                ),
                opts=dr_opts,
            )
            dr_vault = aws.backup.Vault(
                f"{name}-dr-vault",
                kms_key_arn=dr_key.key_arn,
                force_destroy=False,
                tags=tags,
                opts=pulumi.ResourceOptions.merge(dr_opts, pulumi.ResourceOptions(protect=args.protect)),
            )
            _deny_recovery_point_deletion(f"{name}-dr-vault", dr_vault, dr_opts)
            if lock:
                self._lock(f"{name}-dr-vault", dr_vault, args, dr_opts)
            self.dr_vault_arn = dr_vault.arn
            for index, instance_arn in enumerate(args.dr_rds_instance_arns):
                aws.rds.InstanceAutomatedBackupsReplication(
                    f"{name}-dr-pitr-{index}",
                    source_db_instance_arn=instance_arn,
                    kms_key_id=dr_key.key_arn,
                    retention_period=spec.retention_days,
                    opts=dr_opts,
                )
            copy_actions.append(
                aws.backup.PlanRuleCopyActionArgs(
                    destination_vault_arn=dr_vault.arn,
                    lifecycle=aws.backup.PlanRuleLifecycleArgs(delete_after=spec.retention_days),
                )
            )

        plan = aws.backup.Plan(
            f"{name}-plan",
            rules=[
                aws.backup.PlanRuleArgs(
                    rule_name="daily",
                    target_vault_name=vault.name,
                    schedule=spec.schedule,
                    start_window=60,
                    completion_window=360,
                    enable_continuous_backup=spec.continuous_backup,
                    lifecycle=aws.backup.PlanRuleLifecycleArgs(delete_after=spec.retention_days),
                    copy_actions=copy_actions or None,
                    recovery_point_tags=tags,
                )
            ],
            tags=tags,
            opts=child,
        )

        role = service_role(
            f"{name}-backup-role",
            service="backup.amazonaws.com",
            parent=self,
            tags=tags,
            description="AWS Backup takes and restores recovery points of resources tagged backup=true",
            unconditioned_because="AWS Backup documents aws:SourceAccount/aws:SourceArn for resource "
            "policies (vault access, SNS topics), not for its service role's trust; iam:PassRole limits "
            "who can hand this role to a backup plan",
        )
        attachments = [
            aws.iam.RolePolicyAttachment(
                f"{name}-backup-role-{policy.removeprefix('AWSBackupServiceRolePolicyFor').lower()}",
                role=role.name,
                policy_arn=partition.apply(
                    lambda p, policy=policy: f"arn:{p}:iam::aws:policy/service-role/{policy}"
                ),
                opts=child,
            )
            for policy in MANAGED_POLICIES
        ]
        key, value = BACKUP_TAG
        aws.backup.Selection(
            f"{name}-tagged",
            name=f"{name}-tagged",
            plan_id=plan.id,
            iam_role_arn=role.arn,
            selection_tags=[aws.backup.SelectionSelectionTagArgs(type="STRINGEQUALS", key=key, value=value)],
            opts=pulumi.ResourceOptions(parent=self, depends_on=attachments),
        )

        if spec.restore_test_schedule is not None:
            self._restore_testing(name, args, spec.restore_test_schedule, vault, role, tags)

        if args.alarm_topic_arn is not None:
            for metric in ("NumberOfBackupJobsFailed", "NumberOfCopyJobsFailed"):
                aws.cloudwatch.MetricAlarm(
                    f"{name}-{metric.removeprefix('NumberOf').lower()}",
                    alarm_description=f"AWS Backup reported {metric} > 0 for vault {name} in the last day",
                    namespace="AWS/Backup",
                    metric_name=metric,
                    dimensions={"BackupVaultName": vault.name},
                    statistic="Sum",
                    comparison_operator="GreaterThanThreshold",
                    threshold=0,
                    period=86400,
                    evaluation_periods=1,
                    treat_missing_data="notBreaching",
                    actions_enabled=True,
                    alarm_actions=[args.alarm_topic_arn],
                    tags=tags,
                    opts=child,
                )

        logs = self._access_log_bucket(name, args, tags, partition)
        exports = self._exports_bucket(name, args, tags, logs)

        self.vault_name = vault.name
        self.vault_arn = vault.arn
        self.plan_id = plan.id
        self.exports_bucket_name = exports.bucket
        self.exports_bucket_arn = exports.arn
        self.access_log_bucket_name = logs.bucket
        self.register_outputs(
            {
                "vault_name": self.vault_name,
                "vault_arn": self.vault_arn,
                "plan_id": self.plan_id,
                "dr_vault_arn": self.dr_vault_arn,
                "exports_bucket_name": self.exports_bucket_name,
                "exports_bucket_arn": self.exports_bucket_arn,
                "access_log_bucket_name": self.access_log_bucket_name,
            }
        )

    def _restore_testing(
        self,
        name: str,
        args: BackupsArgs,
        schedule: str,
        vault: aws.backup.Vault,
        role: aws.iam.Role,
        tags: Mapping[str, str],
    ) -> None:
        # Restore testing names allow letters, digits and underscores only.
        plan_name = f"{name}_restore_test".replace("-", "_")
        child = pulumi.ResourceOptions(parent=self)
        plan = aws.backup.RestoreTestingPlan(
            f"{name}-restore-test",
            name=plan_name,
            schedule_expression=schedule,
            start_window_hours=args.restore_test_start_window_hours,
            recovery_point_selection=aws.backup.RestoreTestingPlanRecoveryPointSelectionArgs(
                algorithm="LATEST_WITHIN_WINDOW",
                include_vaults=[vault.arn],
                recovery_point_types=["SNAPSHOT"],
                selection_window_days=7,
            ),
            tags=tags,
            opts=child,
        )
        key, value = BACKUP_TAG
        for resource_type in args.restore_test_resource_types:
            aws.backup.RestoreTestingSelection(
                f"{name}-restore-test-{resource_type.lower()}",
                name=f"{plan_name}_{resource_type.lower()}",
                restore_testing_plan_name=plan.name,
                protected_resource_type=resource_type,
                iam_role_arn=role.arn,
                validation_window_hours=args.restore_test_validation_window_hours,
                protected_resource_conditions=aws.backup.RestoreTestingSelectionProtectedResourceConditionsArgs(
                    string_equals=[
                        aws.backup.RestoreTestingSelectionProtectedResourceConditionsStringEqualArgs(
                            key=f"aws:ResourceTag/{key}", value=value
                        )
                    ]
                ),
                opts=child,
            )

    @staticmethod
    def _lock(
        resource_name: str, vault: aws.backup.Vault, args: BackupsArgs, opts: pulumi.ResourceOptions
    ) -> None:
        """WORM protection: recovery points live at least retentionDays; governance mode can be lifted
        by privileged IAM users, compliance mode never once its grace period ends."""
        spec = args.settings
        aws.backup.VaultLockConfiguration(
            f"{resource_name}-lock",
            backup_vault_name=vault.name,
            min_retention_days=spec.retention_days,
            max_retention_days=spec.vault_lock_max_retention_days,
            changeable_for_days=args.vault_lock_changeable_for_days
            if spec.vault_lock_mode == "compliance"
            else None,
            opts=opts,
        )

    def _exports_bucket(
        self, name: str, args: BackupsArgs, tags: Mapping[str, str], logs: aws.s3.Bucket
    ) -> aws.s3.Bucket:
        spec = args.settings
        child = pulumi.ResourceOptions(parent=self)
        bucket = aws.s3.Bucket(
            f"{name}-exports",
            force_destroy=False,
            object_lock_enabled=True if spec.exports_object_lock_days else None,
            tags={**tags, "purpose": "exports"},
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        _private(f"{name}-exports", bucket, child)
        aws.s3.BucketVersioning(
            f"{name}-exports",
            bucket=bucket.id,
            opts=child,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-exports",
            bucket=bucket.id,
            opts=child,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    bucket_key_enabled=True,
                    apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                        sse_algorithm="aws:kms", kms_master_key_id=args.kms_key_arn
                    ),
                )
            ],
        )
        aws.s3.BucketPolicy(
            f"{name}-exports", bucket=bucket.id, policy=bucket.arn.apply(tls_only_policy), opts=child
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-exports",
            bucket=bucket.id,
            opts=child,
            rules=[
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="tier-and-expire",
                    status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                    # S3 rejects a transition on or after the expiry day, so short-lived buckets skip tiers.
                    transitions=[
                        aws.s3.BucketLifecycleConfigurationRuleTransitionArgs(
                            days=days, storage_class=storage_class
                        )
                        for days, storage_class in (
                            (args.exports_transition_ia_days, "STANDARD_IA"),
                            (args.exports_transition_glacier_days, "GLACIER_IR"),
                        )
                        if days < spec.exports_expiry_days
                    ]
                    or None,
                    expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(
                        days=spec.exports_expiry_days
                    ),
                    noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                        noncurrent_days=args.exports_noncurrent_expiry_days
                    ),
                    abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                        days_after_initiation=7
                    ),
                )
            ],
        )
        if spec.exports_object_lock_days:
            aws.s3.BucketObjectLockConfiguration(
                f"{name}-exports",
                bucket=bucket.id,
                object_lock_enabled="Enabled",
                opts=child,
                rule=aws.s3.BucketObjectLockConfigurationRuleArgs(
                    default_retention=aws.s3.BucketObjectLockConfigurationRuleDefaultRetentionArgs(
                        mode=args.exports_object_lock_mode, days=spec.exports_object_lock_days
                    )
                ),
            )
        aws.s3.BucketLogging(
            f"{name}-exports", bucket=bucket.id, target_bucket=logs.id, target_prefix="exports/", opts=child
        )
        return bucket

    def _access_log_bucket(
        self,
        name: str,
        args: BackupsArgs,
        tags: Mapping[str, str],
        partition: pulumi.Output[str],
    ) -> aws.s3.Bucket:
        """Server access logs of the exports bucket. S3 log delivery cannot write SSE-KMS objects, so this
        bucket uses SSE-S3; it is not logged itself (that would log its own log writes forever)."""
        child = pulumi.ResourceOptions(parent=self)
        # The access trail of the exports bucket is evidence: as protected as the bucket it records.
        bucket = aws.s3.Bucket(
            f"{name}-access-logs",
            force_destroy=False,
            tags={**tags, "purpose": "access-logs"},
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        _private(f"{name}-access-logs", bucket, child)
        aws.s3.BucketVersioning(
            f"{name}-access-logs",
            bucket=bucket.id,
            opts=child,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-access-logs",
            bucket=bucket.id,
            opts=child,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                        sse_algorithm="AES256"
                    )
                )
            ],
        )
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
        aws.s3.BucketPolicy(
            f"{name}-access-logs",
            bucket=bucket.id,
            opts=child,
            policy=pulumi.Output.all(bucket.arn, account).apply(
                lambda a: tls_only_policy(a[0], log_delivery_account=a[1])
            ),
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-access-logs",
            bucket=bucket.id,
            opts=child,
            rules=[
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="expire-logs",
                    status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                    expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(
                        days=args.settings.access_log_retention_days
                    ),
                    noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                        noncurrent_days=7
                    ),
                    abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                        days_after_initiation=1
                    ),
                )
            ],
        )
        return bucket


def _private(resource_name: str, bucket: aws.s3.Bucket, opts: pulumi.ResourceOptions) -> None:
    """No ACLs (bucket owner owns every object) and all four public-access blocks on."""
    aws.s3.BucketOwnershipControls(
        resource_name,
        bucket=bucket.id,
        opts=opts,
        rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
    )
    aws.s3.BucketPublicAccessBlock(
        resource_name,
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=opts,
    )


def tls_only_policy(bucket_arn: str, log_delivery_account: str | None = None) -> str:
    """Deny every request that is not HTTPS or uses TLS older than 1.2; optionally let S3 server access
    logging of this account deliver logs."""
    resources = [bucket_arn, f"{bucket_arn}/*"]
    statements: list[dict] = [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": resources,
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        {
            "Sid": "DenyOutdatedTls",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": resources,
            "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}},
        },
    ]
    if log_delivery_account is not None:
        statements.append(
            {
                "Sid": "S3ServerAccessLogDelivery",
                "Effect": "Allow",
                "Principal": {"Service": "logging.s3.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": f"{bucket_arn}/*",
                "Condition": {"StringEquals": {"aws:SourceAccount": log_delivery_account}},
            }
        )
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def _deny_recovery_point_deletion(name: str, vault: aws.backup.Vault, opts: pulumi.ResourceOptions) -> None:
    """Nobody, however privileged their IAM policy, deletes a recovery point or shortens its life by
    hand: only the plan's lifecycle expires them. Unlike the vault lock this can still be lifted by
    an administrator who removes the policy, which is the point of having both in prod."""
    aws.backup.VaultPolicy(
        f"{name}-policy",
        backup_vault_name=vault.name,
        policy=vault.arn.apply(
            lambda arn: json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "OnlyTheLifecycleDeletesRecoveryPoints",
                            "Effect": "Deny",
                            "Principal": {"AWS": "*"},
                            "Action": ["backup:DeleteRecoveryPoint", "backup:UpdateRecoveryPointLifecycle"],
                            "Resource": arn,
                        }
                    ],
                }
            )
        ),
        opts=opts,
    )
