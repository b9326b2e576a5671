"""Object storage for apps: the named buckets of `groundwork:buckets`, on S3 (AWS stacks) or on an
S3-compatible server in the cluster (local; components.object_store_local).

On AWS every bucket is a HardenedBucket (owner-enforced, all four public-access blocks, versioning,
SSE-KMS on the stack key with a bucket key, TLS-only with TLS 1.2 at least, a lifecycle, server access
logs into the stack's access-log bucket), plus S3 request metrics (`EntireBucket`) and CloudWatch
alarms on 4xx and 5xx spikes. What keeps a copy is the bucket's `recovery`:

- `replicate`: cross-region replication into a replica bucket in the DR region, encrypted with its own
  KMS key there, by a role that may read this bucket's versions and write that replica only. The
  replica's access logs go to an access-log bucket in the DR region (S3 logs only within a region).
- `backup`: the bucket carries `backup=true`, so the stack's AWS Backup plan selects it (AWS Backup for
  S3 needs versioning, which is why `versioning: false` refuses any recovery).
- `none`: versions and the noncurrent-version window only (outside prod).

The component obeys its args; the stack decides `recovery` from the purpose and the environment.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_aws as aws
from pydantic import Field, InstanceOf, model_validator

from components._lib.args import ComponentArgs, Input, SettingError
from components.bucket import HardenedBucket, HardenedBucketArgs
from components.kms import KmsKey, KmsKeyArgs
from components.service_role import service_role
from components.tagging import BACKUP_TAG, component_tags

Purpose = Literal["datalake", "assets", "artifacts"]
Recovery = Literal["replicate", "backup", "none"]
# A bucket's key under groundwork:buckets: it names the binding (`uses: [datalake]`), its Secret and
# its physical name, so a short DNS label.
BUCKET_KEY = re.compile(r"^[a-z]([-a-z0-9]{0,18}[a-z0-9])?$")
METRICS_FILTER = "EntireBucket"


@dataclass(frozen=True)
class PurposeDefaults:
    """What a purpose sets when the bucket's own keys are unset, and why."""

    expiry_days: int | None
    noncurrent_expiry_days: int
    transitions: tuple[tuple[int, str], ...]
    prod_recovery: Recovery
    why: str


PURPOSES: dict[str, PurposeDefaults] = {
    "datalake": PurposeDefaults(
        expiry_days=None,
        noncurrent_expiry_days=30,
        transitions=((0, "INTELLIGENT_TIERING"),),
        prod_recovery="replicate",
        why="large and long-lived: kept until deleted, in Intelligent-Tiering from day 0 (S3 moves cold "
        "objects to cheaper tiers itself, no retrieval fee); prod replicates to the DR region, since a "
        "second full copy in a backup vault would cost more per GB and restores object by object",
    ),
    "assets": PurposeDefaults(
        expiry_days=None,
        noncurrent_expiry_days=30,
        transitions=(),
        prod_recovery="backup",
        why="small and read often (static files): stays in S3 Standard; prod is backed up by AWS Backup, "
        "which restores the bucket as it was before a bad deploy overwrote it",
    ),
    "artifacts": PurposeDefaults(
        expiry_days=180,
        noncurrent_expiry_days=14,
        transitions=((30, "STANDARD_IA"),),
        prod_recovery="backup",
        why="build outputs, reproducible from CI: to Standard-IA after 30 days, deleted after 180; prod "
        "is backed up (a release's artifacts must survive a bad cleanup job)",
    ),
}


class BucketSettings(ComponentArgs):
    """One bucket under `groundwork:buckets.<name>`: its purpose and what may differ from it."""

    purpose: Purpose = Field(
        description="What the bucket holds; sets the lifecycle and, in prod, the recovery: datalake "
        "(tiered, kept, replicated), assets (Standard, kept, backed up), artifacts (IA after 30 days, "
        "deleted after 180, backed up)."
    )
    versioning: bool = Field(
        default=True,
        description="Keep every object version. false only outside prod, without object lock and with "
        "recovery none: replication and AWS Backup need versions. Defaults to true.",
    )
    expiry_days: int | None = Field(
        default=None,
        ge=0,
        description="Delete current objects after this many days; 0 keeps them. Defaults to the "
        "purpose's (artifacts 180; datalake and assets keep).",
    )
    noncurrent_expiry_days: int | None = Field(
        default=None,
        ge=1,
        le=3650,
        description="Keep overwritten or deleted versions this long. Defaults to the purpose's (30 "
        "days; artifacts 14).",
    )
    tiering: bool = Field(
        default=True,
        description="Apply the purpose's storage-class steps (datalake Intelligent-Tiering, artifacts "
        "Standard-IA after 30 days). Defaults to true.",
    )
    object_lock_days: int | None = Field(
        default=None,
        ge=1,
        le=36500,
        description="Default WORM retention in days; can only be switched on when the bucket is "
        "created. Defaults to none.",
    )
    object_lock_mode: Literal["GOVERNANCE", "COMPLIANCE"] = Field(
        default="GOVERNANCE",
        description="GOVERNANCE can be lifted by privileged IAM users; COMPLIANCE never. Defaults to "
        "GOVERNANCE.",
    )
    recovery: Recovery | None = Field(
        default=None,
        description="What keeps a second copy: replicate (cross-region replication, prod only), backup "
        "(the stack's AWS Backup plan) or none (refused in prod). Defaults to the purpose's in prod "
        "(datalake replicate, assets and artifacts backup) and none elsewhere.",
    )
    alarm_4xx_per_5min: int = Field(
        default=200,
        ge=1,
        description="Page when more than this many requests fail with 4xx in 5 minutes (denied or "
        "missing objects: a broken client or a probe). Defaults to 200.",
    )
    alarm_5xx_per_5min: int = Field(
        default=10,
        ge=1,
        description="Page when more than this many requests fail with 5xx in 5 minutes (S3 throttling "
        "or an outage). Defaults to 10.",
    )

    @model_validator(mode="after")
    def _versions(self) -> BucketSettings:
        if not self.versioning and self.object_lock_days is not None:
            raise SettingError("versioning", False, "object lock needs versioning; drop objectLockDays")
        if not self.versioning and self.recovery in ("replicate", "backup"):
            raise SettingError(
                "versioning",
                False,
                f"recovery {self.recovery} needs versioning (S3 replication and "
                "AWS Backup for S3 copy versions)",
            )
        return self

    @property
    def defaults(self) -> PurposeDefaults:
        return PURPOSES[self.purpose]

    @property
    def effective_expiry_days(self) -> int | None:
        days = self.defaults.expiry_days if self.expiry_days is None else self.expiry_days
        return days or None

    @property
    def effective_noncurrent_days(self) -> int:
        return self.noncurrent_expiry_days or self.defaults.noncurrent_expiry_days

    @property
    def transitions(self) -> tuple[tuple[int, str], ...]:
        return self.defaults.transitions if self.tiering else ()

    @property
    def effective_recovery(self) -> Recovery:
        return self.recovery or "none"


class ObjectStoreArgs(ComponentArgs):
    """The stack's buckets on S3 and what they need from the stack."""

    buckets: Mapping[str, BucketSettings] = Field(
        description="The buckets by name, `recovery` resolved by the stack."
    )
    kms_key_arn: Input[str] = Field(description="The stack key: SSE-KMS of every bucket (with a bucket key).")
    access_log_bucket: Input[str] = Field(description="The stack's access-log bucket (id).")
    region: str = Field(description="The stack's region (the buckets' endpoint).")
    dr_provider: InstanceOf[pulumi.ProviderResource] | None = Field(
        default=None, description="The DR region's AWS provider; needed by buckets that replicate."
    )
    dr_region: str | None = Field(default=None, description="The DR region (set with dr_provider).")
    alarm_topic_arn: Input[str] | None = Field(
        default=None, description="The 4xx/5xx alarms publish here; None: no alarms."
    )
    runbook_url: str = Field(
        default="docs/runbooks/object-storage.md", description="Where the alarms' runbook lives."
    )
    protect: bool = Field(default=True, description="Keep Pulumi from deleting the buckets and keys.")
    tags: Mapping[str, str] = Field(default_factory=dict, description="The stack's tags.")

    @model_validator(mode="after")
    def _replication_needs_dr(self) -> ObjectStoreArgs:
        replicated = [n for n, b in self.buckets.items() if b.effective_recovery == "replicate"]
        if replicated and (self.dr_provider is None or self.dr_region is None):
            raise SettingError(
                f"buckets.{replicated[0]}.recovery", "replicate", "needs dr_provider and dr_region"
            )
        return self


class ObjectStore(pulumi.ComponentResource):
    """The stack's S3 buckets, their request metrics and alarms, and replication where asked."""

    bucket_names: dict[str, pulumi.Output[str]]
    bucket_arns: dict[str, pulumi.Output[str]]
    replica_bucket_arns: dict[str, pulumi.Output[str]]
    endpoint: str

    def __init__(self, name: str, args: ObjectStoreArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("groundwork:object_store:ObjectStore", name, None, opts)
        self._name, self._args = name, args
        self._tags = component_tags(args.tags, name)
        self.bucket_names, self.bucket_arns, self.replica_bucket_arns = {}, {}, {}
        self.endpoint = f"https://s3.{args.region}.amazonaws.com"
        replicated = sorted(b for b, s in args.buckets.items() if s.effective_recovery == "replicate")
        dr = self._dr_side() if replicated else None
        for bucket, settings in sorted(args.buckets.items()):
            source = self._bucket(bucket, settings)
            self.bucket_names[bucket] = source.bucket_name
            self.bucket_arns[bucket] = source.bucket_arn
            self._metrics_and_alarms(bucket, settings, source)
            if settings.effective_recovery == "replicate" and dr is not None:
                self.replica_bucket_arns[bucket] = self._replicate(bucket, settings, source, *dr)
        self.register_outputs(
            {
                "bucket_names": self.bucket_names,
                "bucket_arns": self.bucket_arns,
                "replica_bucket_arns": self.replica_bucket_arns,
                "endpoint": self.endpoint,
            }
        )

    def _bucket_args(self, settings: BucketSettings, **overrides: object) -> HardenedBucketArgs:
        values: dict[str, object] = {
            "purpose": settings.purpose,
            "kms_key_arn": self._args.kms_key_arn,
            "access_log_bucket": self._args.access_log_bucket,
            "expiry_days": settings.effective_expiry_days,
            "transitions": settings.transitions,
            "noncurrent_expiry_days": settings.effective_noncurrent_days,
            "object_lock_days": settings.object_lock_days,
            "object_lock_mode": settings.object_lock_mode,
            "versioning": settings.versioning,
            "lifecycle_rule_id": f"{settings.purpose}-lifecycle",
            "protect": self._args.protect,
            "tags": self._tags,
        }
        values.update(overrides)
        return HardenedBucketArgs.model_validate(values)

    def _bucket(self, bucket: str, settings: BucketSettings) -> HardenedBucket:
        tags = dict(self._tags)
        if settings.effective_recovery == "backup":
            key, value = BACKUP_TAG
            tags[key] = value
        return HardenedBucket(
            f"{self._name}-{bucket}",
            self._bucket_args(settings, access_log_prefix=f"{bucket}/", tags=tags),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _metrics_and_alarms(self, bucket: str, settings: BucketSettings, source: HardenedBucket) -> None:
        """Request metrics for the whole bucket (S3 publishes 4xxErrors/5xxErrors only with a metrics
        configuration), and an alarm on each error class."""
        aws.s3.BucketMetric(
            f"{self._name}-{bucket}-metrics",
            bucket=source.bucket_id,
            name=METRICS_FILTER,
            opts=pulumi.ResourceOptions(parent=self),
        )
        topic = self._args.alarm_topic_arn
        if topic is None:
            return
        for metric, threshold in (
            ("4xxErrors", settings.alarm_4xx_per_5min),
            ("5xxErrors", settings.alarm_5xx_per_5min),
        ):
            anchor = f"bucket-{metric[0]}xx-errors"
            aws.cloudwatch.MetricAlarm(
                f"{self._name}-{bucket}-{metric[0]}xx",
                alarm_description=f"S3 bucket {bucket}: more than {threshold} {metric} in 5 minutes. "
                f"Runbook: {self._args.runbook_url}#{anchor}",
                namespace="AWS/S3",
                metric_name=metric,
                dimensions={"BucketName": source.bucket_name, "FilterId": METRICS_FILTER},
                statistic="Sum",
                period=300,
                evaluation_periods=1,
                comparison_operator="GreaterThanThreshold",
                threshold=threshold,
                treat_missing_data="notBreaching",
                actions_enabled=True,
                alarm_actions=[topic],
                ok_actions=[topic],
                tags=self._tags,
                opts=pulumi.ResourceOptions(parent=self),
            )

    def _dr_side(self) -> tuple[KmsKey, HardenedBucket, pulumi.ResourceOptions]:
        """The DR region's key for replicas and the bucket their access logs go to."""
        args = self._args
        dr_opts = pulumi.ResourceOptions(parent=self, providers={"aws": args.dr_provider})
        key = KmsKey(
            f"{self._name}-dr",
            KmsKeyArgs(
                description=f"Groundwork {self._name}: encrypts bucket replicas in {args.dr_region}",
                tags=self._tags,
                protect=args.protect,
            ),
            opts=dr_opts,
        )
        logs = HardenedBucket(
            f"{self._name}-dr-access-logs",
            HardenedBucketArgs(
                purpose="access-logs",
                kms_key_arn=None,
                access_log_bucket=None,
                log_delivery=True,
                expiry_days=365,
                noncurrent_expiry_days=7,
                abort_incomplete_upload_days=1,
                lifecycle_rule_id="expire-logs",
                protect=args.protect,
                tags=self._tags,
            ),
            opts=dr_opts,
        )
        return key, logs, dr_opts

    def _replicate(
        self,
        bucket: str,
        settings: BucketSettings,
        source: HardenedBucket,
        dr_key: KmsKey,
        dr_logs: HardenedBucket,
        dr_opts: pulumi.ResourceOptions,
    ) -> pulumi.Output[str]:
        """A replica in the DR region under its own key, and the rule that copies every version and
        delete marker there (including objects encrypted with the stack key)."""
        args = self._args
        replica = HardenedBucket(
            f"{self._name}-{bucket}-replica",
            self._bucket_args(
                settings,
                kms_key_arn=dr_key.key_arn,
                access_log_bucket=dr_logs.bucket_id,
                access_log_prefix=f"{bucket}-replica/",
                tags={**self._tags, "replica-of": bucket},
            ),
            opts=dr_opts,
        )
        role = service_role(
            f"{self._name}-{bucket}-replication",
            service="s3.amazonaws.com",
            parent=self,
            tags=self._tags,
            description=f"S3 replicates bucket {bucket} to {args.dr_region}",
        )
        policy = pulumi.Output.all(
            source.bucket_arn, replica.bucket_arn, args.kms_key_arn, dr_key.key_arn
        ).apply(
            lambda a: json.dumps(
                replication_policy(
                    source_arn=a[0],
                    replica_arn=a[1],
                    source_key_arn=a[2],
                    replica_key_arn=a[3],
                    region=args.region,
                    dr_region=args.dr_region or "",
                    object_lock=settings.object_lock_days is not None,
                )
            )
        )
        grant = aws.iam.RolePolicy(
            f"{self._name}-{bucket}-replication",
            role=role.name,
            policy=policy,
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.s3.BucketReplicationConfig(
            f"{self._name}-{bucket}-replication",
            bucket=source.bucket_id,
            role=role.arn,
            rules=[
                aws.s3.BucketReplicationConfigRuleArgs(
                    id="to-dr-region",
                    status="Enabled",
                    priority=1,
                    filter=aws.s3.BucketReplicationConfigRuleFilterArgs(prefix=""),
                    delete_marker_replication=aws.s3.BucketReplicationConfigRuleDeleteMarkerReplicationArgs(
                        status="Enabled"
                    ),
                    source_selection_criteria=aws.s3.BucketReplicationConfigRuleSourceSelectionCriteriaArgs(
                        sse_kms_encrypted_objects=aws.s3.BucketReplicationConfigRuleSourceSelectionCriteriaSseKmsEncryptedObjectsArgs(
                            status="Enabled"
                        )
                    ),
                    destination=aws.s3.BucketReplicationConfigRuleDestinationArgs(
                        bucket=replica.bucket_arn,
                        encryption_configuration=aws.s3.BucketReplicationConfigRuleDestinationEncryptionConfigurationArgs(
                            replica_kms_key_id=dr_key.key_arn
                        ),
                    ),
                )
            ],
            # Replication needs versioning on both buckets: their components finish with it.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[source, replica, grant]),
        )
        return replica.bucket_arn


def replication_policy(
    *,
    source_arn: str,
    replica_arn: str,
    source_key_arn: str,
    replica_key_arn: str,
    region: str,
    dr_region: str,
    object_lock: bool,
) -> dict:
    """Exactly what S3 replication needs: read this bucket's versions, write replicas into that one,
    decrypt with the stack key and encrypt with the DR key, each only through S3 for these buckets.
    With an S3 bucket key the KMS encryption context is the bucket's ARN, not the object's."""
    read = [
        "s3:GetObjectVersionForReplication",
        "s3:GetObjectVersionAcl",
        "s3:GetObjectVersionTagging",
    ]
    if object_lock:
        read += ["s3:GetObjectRetention", "s3:GetObjectLegalHold"]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ReadReplicationConfiguration",
                "Effect": "Allow",
                "Action": ["s3:GetReplicationConfiguration", "s3:ListBucket"],
                "Resource": source_arn,
            },
            {"Sid": "ReadSourceVersions", "Effect": "Allow", "Action": read, "Resource": f"{source_arn}/*"},
            {
                "Sid": "WriteReplicas",
                "Effect": "Allow",
                "Action": ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
                "Resource": f"{replica_arn}/*",
            },
            {
                "Sid": "DecryptSourceThroughS3",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": source_key_arn,
                "Condition": {
                    "StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"},
                    "StringLike": {"kms:EncryptionContext:aws:s3:arn": [source_arn, f"{source_arn}/*"]},
                },
            },
            {
                "Sid": "EncryptReplicasThroughS3",
                "Effect": "Allow",
                "Action": ["kms:Encrypt", "kms:GenerateDataKey"],
                "Resource": replica_key_arn,
                "Condition": {
                    "StringEquals": {"kms:ViaService": f"s3.{dr_region}.amazonaws.com"},
                    "StringLike": {"kms:EncryptionContext:aws:s3:arn": [replica_arn, f"{replica_arn}/*"]},
                },
            },
        ],
    }
