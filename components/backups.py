"""Backups: an AWS Backup vault and plan that select every resource tagged `backup=true`, with
point-in-time recovery for RDS, optional vault lock and a copy to a vault in a second region; plus an
exports bucket (versioned, SSE-KMS, private, TLS-only, tiered, optionally object-locked, access-logged).

The exports bucket is itself in the selection (tagged backup=true): rather than a replica bucket, its
recovery points live in the locked vault and, in prod, are copied to the DR vault with everything
else. AWS Backup covers RDS (and S3, which needs versioning, EBS, EFS, DynamoDB). It does not back
up ElastiCache or MSK even when they carry the tag: ElastiCache is covered by its own daily snapshots
(snapshot_retention_limit on the replication group) and MSK by replication (three brokers,
replication factor 3, min in-sync 2).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Literal

import pulumi
import pulumi_aws as aws
from pydantic import Field, InstanceOf, field_validator, model_validator

from components._lib import aws_values
from components._lib.args import ComponentArgs, Input, SettingError
from components._lib.fields import AwsCron
from components.bucket import HardenedBucket, HardenedBucketArgs
from components.kms import KmsKey, KmsKeyArgs
from components.service_role import service_role
from components.tagging import BACKUP_TAG, component_tags

MANAGED_POLICIES = ("AWSBackupServiceRolePolicyForBackup", "AWSBackupServiceRolePolicyForRestores")
# S3 is not in the two above: AWS Backup needs its own managed policies (at the root path) for buckets.
S3_MANAGED_POLICIES = ("AWSBackupServiceRolePolicyForS3Backup", "AWSBackupServiceRolePolicyForS3Restore")


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
        return None if value is None else aws_values.region(value)

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
    """The vault and plan, the optional DR copy, restore testing, job alarms and the exports bucket."""

    vault_name: pulumi.Output[str]
    vault_arn: pulumi.Output[str]
    plan_id: pulumi.Output[str]
    dr_vault_arn: pulumi.Output[str] | None
    exports_bucket_name: pulumi.Output[str]
    exports_bucket_arn: pulumi.Output[str]
    access_log_bucket_name: pulumi.Output[str]
    access_log_bucket_id: pulumi.Output[str]
    dr_provider: pulumi.ProviderResource | None

    def __init__(self, name: str, args: BackupsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("groundwork:backups:Backups", name, None, opts)
        tags = component_tags(args.tags, name)
        vault = self._vault(
            f"{name}-vault", args.kms_key_arn, args, tags, pulumi.ResourceOptions(parent=self)
        )
        self.dr_vault_arn = None
        copy_actions = []
        if args.settings.dr_region is not None and args.dr_provider is not None:
            dr_vault = self._disaster_recovery(name, args, tags)
            self.dr_vault_arn = dr_vault.arn
            copy_actions.append(
                aws.backup.PlanRuleCopyActionArgs(
                    destination_vault_arn=dr_vault.arn,
                    lifecycle=aws.backup.PlanRuleLifecycleArgs(delete_after=args.settings.retention_days),
                )
            )
        plan = self._plan(name, args, vault, copy_actions, tags)
        role = self._selection(name, plan, tags)
        if args.settings.restore_test_schedule is not None:
            self._restore_testing(name, args, args.settings.restore_test_schedule, vault, role, tags)
        if args.alarm_topic_arn is not None:
            self._job_alarms(name, vault, args.alarm_topic_arn, tags)
        logs, exports = self._buckets(name, args, tags)

        self.vault_name = vault.name
        self.vault_arn = vault.arn
        self.plan_id = plan.id
        self.exports_bucket_name = exports.bucket_name
        self.exports_bucket_arn = exports.bucket_arn
        self.access_log_bucket_name = logs.bucket_name
        self.access_log_bucket_id = logs.bucket_id
        self.dr_provider = args.dr_provider
        self.register_outputs(
            {
                "vault_name": self.vault_name,
                "vault_arn": self.vault_arn,
                "plan_id": self.plan_id,
                "dr_vault_arn": self.dr_vault_arn,
                "exports_bucket_name": self.exports_bucket_name,
                "exports_bucket_arn": self.exports_bucket_arn,
                "access_log_bucket_name": self.access_log_bucket_name,
                "access_log_bucket_id": self.access_log_bucket_id,
            }
        )

    def _vault(
        self,
        resource_name: str,
        kms_key_arn: Input[str],
        args: BackupsArgs,
        tags: Mapping[str, str],
        opts: pulumi.ResourceOptions,
    ) -> aws.backup.Vault:
        """A vault nobody empties by hand (its policy denies deleting recovery points), locked when the
        settings ask for it."""
        vault = aws.backup.Vault(
            resource_name,
            kms_key_arn=kms_key_arn,
            force_destroy=False,
            tags=tags,
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(protect=args.protect)),
        )
        _deny_recovery_point_deletion(resource_name, vault, opts)
        if args.settings.vault_lock:
            self._lock(resource_name, vault, args, opts)
        return vault

    def _disaster_recovery(self, name: str, args: BackupsArgs, tags: Mapping[str, str]) -> aws.backup.Vault:
        """A second vault with its own key in the DR region, and the RDS automated backups replicated
        there, so a regional outage still allows a point-in-time restore."""
        spec = args.settings
        dr_opts = pulumi.ResourceOptions(parent=self, providers={"aws": args.dr_provider})
        dr_key = KmsKey(
            f"{name}-dr",
            KmsKeyArgs(
                description=f"Groundwork {name}: encrypts recovery points copied to {spec.dr_region}",
                tags=tags,
                protect=args.protect,
            ),
            opts=dr_opts,
        )
        dr_vault = self._vault(f"{name}-dr-vault", dr_key.key_arn, args, tags, dr_opts)
        for index, instance_arn in enumerate(args.dr_rds_instance_arns):
            aws.rds.InstanceAutomatedBackupsReplication(
                f"{name}-dr-pitr-{index}",
                source_db_instance_arn=instance_arn,
                kms_key_id=dr_key.key_arn,
                retention_period=spec.retention_days,
                # The DR region's point-in-time copy: deleting it loses the DR RPO.
                opts=pulumi.ResourceOptions.merge(dr_opts, pulumi.ResourceOptions(protect=args.protect)),
            )
        return dr_vault

    def _plan(
        self,
        name: str,
        args: BackupsArgs,
        vault: aws.backup.Vault,
        copy_actions: list[aws.backup.PlanRuleCopyActionArgs],
        tags: Mapping[str, str],
    ) -> aws.backup.Plan:
        spec = args.settings
        return aws.backup.Plan(
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
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _selection(self, name: str, plan: aws.backup.Plan, tags: Mapping[str, str]) -> aws.iam.Role:
        """Everything tagged backup=true joins the plan, through AWS Backup's own service role (plus the
        S3 policies, for the exports bucket and the app buckets with `recovery: backup`)."""
        child = pulumi.ResourceOptions(parent=self)
        partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=self)).partition
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
        ] + [
            aws.iam.RolePolicyAttachment(
                f"{name}-backup-role-{policy.removeprefix('AWSBackupServiceRolePolicyFor').lower()}",
                role=role.name,
                policy_arn=partition.apply(lambda p, policy=policy: f"arn:{p}:iam::aws:policy/{policy}"),
                opts=child,
            )
            for policy in S3_MANAGED_POLICIES
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
        return role

    def _job_alarms(
        self, name: str, vault: aws.backup.Vault, topic_arn: Input[str], tags: Mapping[str, str]
    ) -> None:
        """A failed backup or copy job pages: it means a recovery point is missing."""
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
                alarm_actions=[topic_arn],
                tags=tags,
                opts=pulumi.ResourceOptions(parent=self),
            )

    def _buckets(
        self, name: str, args: BackupsArgs, tags: Mapping[str, str]
    ) -> tuple[HardenedBucket, HardenedBucket]:
        """The exports bucket (SSE-KMS, tiered, optionally object-locked) and the bucket its server
        access logs go to (SSE-S3, since S3 log delivery cannot write SSE-KMS objects; not logged itself).
        Both were created directly under Backups before HardenedBucket existed, hence the aliases."""
        spec = args.settings
        moved = pulumi.ResourceOptions(parent=self)
        # The access trail of the exports bucket is evidence: as protected as the bucket it records.
        logs = HardenedBucket(
            f"{name}-access-logs",
            HardenedBucketArgs(
                purpose="access-logs",
                kms_key_arn=None,
                access_log_bucket=None,
                log_delivery=True,
                expiry_days=spec.access_log_retention_days,
                noncurrent_expiry_days=7,
                abort_incomplete_upload_days=1,
                lifecycle_rule_id="expire-logs",
                protect=args.protect,
                moved_from_parent=True,
                tags=tags,
            ),
            opts=moved,
        )
        exports = HardenedBucket(
            f"{name}-exports",
            HardenedBucketArgs(
                purpose="exports",
                kms_key_arn=args.kms_key_arn,
                access_log_bucket=logs.bucket_id,
                access_log_prefix="exports/",
                expiry_days=spec.exports_expiry_days,
                transitions=(
                    (args.exports_transition_ia_days, "STANDARD_IA"),
                    (args.exports_transition_glacier_days, "GLACIER_IR"),
                ),
                noncurrent_expiry_days=args.exports_noncurrent_expiry_days,
                object_lock_days=spec.exports_object_lock_days,
                object_lock_mode=args.exports_object_lock_mode,
                protect=args.protect,
                moved_from_parent=True,
                # In the plan's own selection: the exports (and Velero's backups) get recovery points in
                # the vault, with its lock and, in prod, its copy to the DR region.
                tags={**tags, BACKUP_TAG[0]: BACKUP_TAG[1]},
            ),
            opts=moved,
        )
        return logs, exports

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


def _deny_recovery_point_deletion(name: str, vault: aws.backup.Vault, opts: pulumi.ResourceOptions) -> None:
    """Nobody, however privileged their IAM policy, deletes a recovery point or shortens its life by
    hand: only the plan's lifecycle expires them. Unlike the vault lock this can still be lifted by
    an administrator who removes the policy, which is the point of having both in prod.

    The Resource is `*`: these actions act on recovery points, not on the vault, and in a vault's own
    access policy `*` means the recovery points in it (naming the vault's ARN, the Deny would never
    apply)."""
    aws.backup.VaultPolicy(
        f"{name}-policy",
        backup_vault_name=vault.name,
        policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "OnlyTheLifecycleDeletesRecoveryPoints",
                        "Effect": "Deny",
                        "Principal": {"AWS": "*"},
                        "Action": ["backup:DeleteRecoveryPoint", "backup:UpdateRecoveryPointLifecycle"],
                        "Resource": "*",
                    }
                ],
            }
        ),
        opts=opts,
    )
