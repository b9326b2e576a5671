"""An S3 bucket with every hardening Groundwork requires, so no caller writes it again.

`HardenedBucket` creates the bucket and its configuration: owner-enforced objects (no ACLs), all four
public-access blocks, versioning, default encryption (SSE-KMS with the stack's key, or SSE-S3 for a
bucket S3 server access logging or ALB access logging writes into, since neither delivery can use
SSE-KMS), a policy that
denies plain HTTP and TLS older than 1.2, a lifecycle that tiers, expires and cleans up, optional
object lock, and server access logging into a log bucket. Backups uses it for its exports and
access-log buckets; app buckets use it the same way.

Two choices are required rather than defaulted, so a weaker bucket is always a visible decision:
`kms_key_arn` (None only for an access-log bucket) and `access_log_bucket` (None only for the
access-log bucket itself, which would otherwise log its own log writes forever).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import pulumi
import pulumi_aws as aws
from pydantic import Field, model_validator

from components._lib.args import ComponentArgs, Input, SettingError
from components._lib.elb_logs import ElbLogDelivery, delivery_statement

_Lifecycle = aws.s3.BucketLifecycleConfigurationRuleArgs
_Sse = aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs


class HardenedBucketArgs(ComponentArgs):
    """One bucket's purpose, encryption, lifecycle and logging."""

    purpose: str = Field(min_length=1, description="What the bucket holds; its `purpose` tag.")
    kms_key_arn: Input[str] | None = Field(
        description="SSE-KMS with this key (with an S3 bucket key); None: SSE-S3, only for a bucket S3 "
        "server access logging delivers into."
    )
    access_log_bucket: Input[str] | None = Field(
        description="The bucket (id) that receives this bucket's server access logs; None only for an "
        "access-log bucket itself."
    )
    access_log_prefix: str = Field(default="", description="Key prefix of this bucket's access logs.")
    log_delivery: bool = Field(
        default=False,
        description="Let S3 server access logging of this account write here (for an access-log bucket).",
    )
    elb_log_delivery: ElbLogDelivery | None = Field(
        default=None,
        description="Let Elastic Load Balancing write ALB access logs here (an ALB access-log bucket, "
        "which must use SSE-S3: ALB log delivery supports no SSE-KMS).",
    )
    expiry_days: int | None = Field(
        ge=1, description="Current objects are deleted after this many days; None: kept until deleted."
    )
    transitions: Sequence[tuple[int, str]] = Field(
        default=(),
        description="(days, storage class) tiering steps; a step on or after the expiry day is left out, "
        "since S3 rejects it.",
    )
    noncurrent_expiry_days: int = Field(
        default=30, ge=1, description="Overwritten or deleted versions are kept this long."
    )
    abort_incomplete_upload_days: int = Field(
        default=7, ge=1, description="Unfinished multipart uploads are removed after this many days."
    )
    lifecycle_rule_id: str = Field(default="tier-and-expire", description="The lifecycle rule's id.")
    object_lock_days: int | None = Field(
        default=None,
        ge=1,
        description="Default WORM retention in days (None: no object lock); object lock can only be "
        "switched on when the bucket is created.",
    )
    object_lock_mode: str = Field(
        default="GOVERNANCE", pattern="^(GOVERNANCE|COMPLIANCE)$", description="The default lock mode."
    )
    versioning: bool = Field(
        default=True,
        description="Keep every version of every object; False (a bucket that was never versioned) only "
        "for disposable data: object lock, replication and AWS Backup all need versioning.",
    )
    protect: bool = Field(default=True, description="Keep Pulumi from deleting the bucket.")
    moved_from_parent: bool = Field(
        default=False,
        description="The bucket and its configuration were created directly under this component's "
        "parent, with the same names, before the bucket was one component: alias them there, so a live "
        "stack moves them instead of replacing the bucket.",
    )
    tags: Mapping[str, str] = Field(default_factory=dict, description="The owner's tags.")

    @model_validator(mode="after")
    def _lock_needs_versions(self) -> HardenedBucketArgs:
        if self.object_lock_days is not None and not self.versioning:
            raise SettingError("versioning", False, "object lock needs versioning")
        return self

    @model_validator(mode="after")
    def _log_bucket_shape(self) -> HardenedBucketArgs:
        if self.log_delivery and self.kms_key_arn is not None:
            raise SettingError(
                "kmsKeyArn", "(a key)", "S3 log delivery cannot write SSE-KMS objects; use None"
            )
        if self.elb_log_delivery is not None and self.kms_key_arn is not None:
            raise SettingError(
                "kmsKeyArn", "(a key)", "ALB access logs support SSE-S3 only, not SSE-KMS; use None"
            )
        return self


class HardenedBucket(pulumi.ComponentResource):
    """A private, versioned, encrypted, TLS-only bucket with a lifecycle and access logging."""

    bucket_name: pulumi.Output[str]
    bucket_arn: pulumi.Output[str]
    bucket_id: pulumi.Output[str]

    def __init__(self, name: str, args: HardenedBucketArgs, opts: pulumi.ResourceOptions | None = None):
        previous_parent = opts.parent if opts is not None else None
        if args.moved_from_parent and previous_parent is None:
            raise ValueError(
                f"HardenedBucket {name}: moved_from_parent needs the parent the children lived under"
            )
        super().__init__("groundwork:bucket:HardenedBucket", name, None, opts)
        aliases = [pulumi.Alias(parent=previous_parent)] if args.moved_from_parent else None
        self._child = pulumi.ResourceOptions(parent=self, aliases=aliases)

        bucket = aws.s3.Bucket(
            name,
            force_destroy=False,
            object_lock_enabled=True if args.object_lock_days else None,
            tags={**args.tags, "purpose": args.purpose},
            opts=pulumi.ResourceOptions.merge(self._child, pulumi.ResourceOptions(protect=args.protect)),
        )
        self._private(name, bucket, args.versioning)
        self._encryption(name, bucket, args)
        self._policy(name, bucket, args)
        self._lifecycle(name, bucket, args)
        if args.object_lock_days:
            aws.s3.BucketObjectLockConfiguration(
                name,
                bucket=bucket.id,
                object_lock_enabled="Enabled",
                opts=self._child,
                rule=aws.s3.BucketObjectLockConfigurationRuleArgs(
                    default_retention=aws.s3.BucketObjectLockConfigurationRuleDefaultRetentionArgs(
                        mode=args.object_lock_mode, days=args.object_lock_days
                    )
                ),
            )
        if args.access_log_bucket is not None:
            aws.s3.BucketLogging(
                name,
                bucket=bucket.id,
                target_bucket=args.access_log_bucket,
                target_prefix=args.access_log_prefix,
                opts=self._child,
            )
        self.bucket_name = bucket.bucket
        self.bucket_arn = bucket.arn
        self.bucket_id = bucket.id
        self.register_outputs(
            {"bucket_name": self.bucket_name, "bucket_arn": self.bucket_arn, "bucket_id": self.bucket_id}
        )

    def _private(self, name: str, bucket: aws.s3.Bucket, versioning: bool) -> None:
        """No ACLs (the bucket owner owns every object), all four public-access blocks, versioning
        (`Disabled` is valid only for a bucket that was never versioned, which is what False means)."""
        aws.s3.BucketOwnershipControls(
            name,
            bucket=bucket.id,
            opts=self._child,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
        )
        aws.s3.BucketPublicAccessBlock(
            name,
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=self._child,
        )
        aws.s3.BucketVersioning(
            name,
            bucket=bucket.id,
            opts=self._child,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(
                status="Enabled" if versioning else "Disabled"
            ),
        )

    def _encryption(self, name: str, bucket: aws.s3.Bucket, args: HardenedBucketArgs) -> None:
        if args.kms_key_arn is not None:
            rule = aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                bucket_key_enabled=True,
                apply_server_side_encryption_by_default=_Sse(
                    sse_algorithm="aws:kms", kms_master_key_id=args.kms_key_arn
                ),
            )
        else:
            rule = aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=_Sse(sse_algorithm="AES256")
            )
        aws.s3.BucketServerSideEncryptionConfiguration(name, bucket=bucket.id, opts=self._child, rules=[rule])

    def _policy(self, name: str, bucket: aws.s3.Bucket, args: HardenedBucketArgs) -> None:
        if args.log_delivery or args.elb_log_delivery is not None:
            account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
            elb = args.elb_log_delivery
            policy = pulumi.Output.all(bucket.arn, account).apply(
                lambda a: tls_only_policy(
                    a[0],
                    log_delivery_account=a[1] if args.log_delivery else None,
                    extra=[delivery_statement(elb, a[0], a[1])] if elb is not None else (),
                )
            )
        else:
            policy = bucket.arn.apply(tls_only_policy)
        aws.s3.BucketPolicy(name, bucket=bucket.id, opts=self._child, policy=policy)

    def _lifecycle(self, name: str, bucket: aws.s3.Bucket, args: HardenedBucketArgs) -> None:
        transitions = [
            aws.s3.BucketLifecycleConfigurationRuleTransitionArgs(days=days, storage_class=storage_class)
            for days, storage_class in args.transitions
            if args.expiry_days is None or days < args.expiry_days
        ]
        expiration = (
            None
            if args.expiry_days is None
            else aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=args.expiry_days)
        )
        aws.s3.BucketLifecycleConfiguration(
            name,
            bucket=bucket.id,
            opts=self._child,
            rules=[
                _Lifecycle(
                    id=args.lifecycle_rule_id,
                    status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                    transitions=transitions or None,
                    expiration=expiration,
                    noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                        noncurrent_days=args.noncurrent_expiry_days
                    ),
                    abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                        days_after_initiation=args.abort_incomplete_upload_days
                    ),
                )
            ],
        )


def tls_only_policy(
    bucket_arn: str, log_delivery_account: str | None = None, extra: Sequence[dict] = ()
) -> str:
    """Deny every request that is not HTTPS or uses TLS older than 1.2; optionally let S3 server access
    logging of this account deliver logs, and add the `extra` statements (ALB log delivery)."""
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
    statements += extra
    return json.dumps({"Version": "2012-10-17", "Statement": statements})
