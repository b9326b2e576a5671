"""The account's security baseline: an audit trail, threat detection and alerts on security events.

One per AWS account-stack. It creates:

- an audit KMS key of its own (CloudTrail log files, the trail bucket, the trail's log group), whose
  policy lets CloudTrail encrypt only for this stack's trail (`aws:SourceArn`);
- a multi-region CloudTrail trail with log file validation, delivering to a dedicated bucket (TLS only,
  no public access, versioned, lifecycle, Object Lock when asked for) whose server access logs go to a
  second bucket, and to a CloudWatch log group with a retention;
- a GuardDuty detector with EKS audit-log monitoring, Runtime Monitoring (agent managed by GuardDuty on
  EKS) and S3 protection, each a `DetectorFeature` (the detector's `datasources` block is deprecated);
- an IAM Access Analyzer for the account;
- EventBridge rules sending GuardDuty findings at or above a severity, Access Analyzer findings and a set
  of CloudTrail security events to the alerts SNS topic. IAM and root sign-in events exist only in
  us-east-1 (global services), so in any other region a rule there forwards them to this region's
  default event bus, where the same patterns match them.

Where the organisation already runs CloudTrail or GuardDuty centrally (an organization trail from the
management account; GuardDuty's delegated administrator with auto-enable), the stack switches that part
off and names what replaces it (`organization_trail_arn`, `guardduty_administrator_account_id`): the
alerts still run, because member accounts receive their own CloudTrail events and GuardDuty findings
on their default event bus. Nothing here detects it at run time (a lookup would make previews depend
on live state); `docs/runbooks/security.md` gives the two commands that tell.

It does not create AWS Config, Security Hub or organization-wide resources, and GuardDuty covers the
stack's own region only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Literal

import pulumi
import pulumi_aws as aws
from pydantic import Field, model_validator

from components._lib.args import ComponentArgs
from components._lib.fields import LogRetentionDays
from components._lib.security_documents import (
    SecurityEventRule,
    alert_template,
    audit_key_policy,
    security_event_rules,
    trail_bucket_policy,
)
from components.bucket import tls_only_policy
from components.service_role import service_role
from components.tagging import component_tags

GLOBAL_EVENTS_REGION = "us-east-1"
RUNBOOK_PAGE = "security.md"


class SecurityBaselineSettings(ComponentArgs):
    """What a stack file may set under `groundwork:securityBaseline`."""

    enabled: bool = Field(default=True, description="Create the baseline. Defaults to true on AWS stacks.")
    cloudtrail_enabled: bool = Field(
        default=True,
        description="Create this stack's multi-region trail. Set false only where an organization trail "
        "from the management account already records this account, and name it in organizationTrailArn.",
    )
    organization_trail_arn: str | None = Field(
        default=None,
        pattern=r"^arn:aws[a-z-]*:cloudtrail:[a-z0-9-]+:\d{12}:trail/[\w.-]+$",
        description="The organization trail that records this account when cloudtrailEnabled is false.",
    )
    trail_log_retention_days: LogRetentionDays = Field(
        default=365, description="Days the trail's CloudWatch log group keeps events (a CloudWatch period)."
    )
    trail_bucket_expiry_days: int = Field(
        default=400, ge=30, le=3650, description="Days log files stay in the trail bucket. Defaults to 400."
    )
    trail_object_lock_days: int | None = Field(
        default=365,
        ge=1,
        le=3650,
        description="Object Lock default retention of the trail bucket (WORM); null for none. Decide it "
        "when the bucket is created: turning Object Lock on later replaces the bucket.",
    )
    trail_object_lock_mode: Literal["GOVERNANCE", "COMPLIANCE"] = Field(
        default="COMPLIANCE",
        description="COMPLIANCE: nobody, root included, deletes a locked log file early.",
    )
    guardduty_enabled: bool = Field(
        default=True,
        description="Create this region's GuardDuty detector. Set false only where the organisation's "
        "GuardDuty delegated administrator enables it (name it in guarddutyAdministratorAccountId).",
    )
    guardduty_administrator_account_id: str | None = Field(
        default=None, pattern=r"^\d{12}$", description="The GuardDuty delegated administrator account."
    )
    guardduty_eks_audit_logs: bool = Field(default=True, description="EKS audit-log monitoring.")
    guardduty_runtime_monitoring: bool = Field(
        default=True, description="Runtime Monitoring with the agent managed by GuardDuty on EKS."
    )
    guardduty_s3_protection: bool = Field(default=True, description="S3 data-event monitoring.")
    guardduty_finding_frequency: Literal["FIFTEEN_MINUTES", "ONE_HOUR", "SIX_HOURS"] = Field(
        default="FIFTEEN_MINUTES", description="How often updates of an existing finding are published."
    )
    finding_min_severity: float = Field(
        default=4.0,
        ge=1.0,
        le=10.0,
        description="GuardDuty findings at or above this severity alert (4 medium, 7 high, 9 critical).",
    )
    access_analyzer_enabled: bool = Field(default=True, description="An account IAM Access Analyzer.")
    watched_role_prefixes: list[str] = Field(
        default_factory=lambda: ["groundwork-deploy"],
        max_length=10,
        description="IAM role name prefixes whose policy changes alert, besides the stack's own roles "
        "(CI's deploy role by default).",
    )

    @model_validator(mode="after")
    def _consistent(self) -> SecurityBaselineSettings:
        if not self.cloudtrail_enabled and self.organization_trail_arn is None:
            raise ValueError("cloudtrailEnabled false needs organizationTrailArn: the trail that records us")
        if not self.guardduty_enabled and self.guardduty_administrator_account_id is None:
            raise ValueError("guarddutyEnabled false needs guarddutyAdministratorAccountId")
        lock = self.trail_object_lock_days
        if lock is not None and lock > self.trail_bucket_expiry_days:
            raise ValueError(
                f"trailObjectLockDays {lock} exceeds trailBucketExpiryDays {self.trail_bucket_expiry_days}"
            )
        return self


class SecurityBaselineArgs(ComponentArgs):
    """The stack file's settings, and what the wiring fills in from other areas."""

    settings: SecurityBaselineSettings = Field(
        default_factory=SecurityBaselineSettings, description="What the stack file declares."
    )
    region: str = Field(exclude=True, description="The stack's region (the trail's home region).")
    alert_topic_arn: pulumi.Output[str] | str = Field(exclude=True, description="The alerts SNS topic.")
    stack_role_prefix: str = Field(exclude=True, description="Name prefix of the stack's own IAM roles.")
    runbook_url: str = Field(exclude=True, description="Where docs/runbooks/security.md is published.")
    global_events_provider: aws.Provider | None = Field(
        default=None, exclude=True, description="A us-east-1 provider; None when the stack is in us-east-1."
    )
    tags: dict[str, str] = Field(default_factory=dict, exclude=True, description="The stack's tags.")
    protect: bool = Field(
        default=True,
        exclude=True,
        description="Protect the key, buckets and log group (prod; the secure default).",
    )


class SecurityBaseline(pulumi.ComponentResource):
    """Audit trail, threat detection and security alerts of one account-stack."""

    key_arn: pulumi.Output[str] | None = None
    trail_arn: pulumi.Output[str] | None = None
    trail_bucket_name: pulumi.Output[str] | None = None
    trail_log_group_name: pulumi.Output[str] | None = None
    detector_id: pulumi.Output[str] | None = None
    analyzer_arn: pulumi.Output[str] | None = None
    rule_names: list[str]

    def __init__(self, name: str, args: SecurityBaselineArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("groundwork:security_baseline:SecurityBaseline", name, None, opts)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        account = aws.get_caller_identity_output(opts=invoke).account_id
        partition = aws.get_partition_output(opts=invoke).partition
        tags = component_tags(args.tags, name)
        if args.settings.cloudtrail_enabled:
            self._trail(name, args, account, partition, tags)
        if args.settings.guardduty_enabled:
            self._guardduty(name, args, tags)
        if args.settings.access_analyzer_enabled:
            analyzer = aws.accessanalyzer.Analyzer(
                f"{name}-access-analyzer",
                analyzer_name=f"{name}-account",
                type="ACCOUNT",
                tags=tags,
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.analyzer_arn = analyzer.arn
        self.rule_names = self._alerts(name, args, account, partition, tags)
        self.register_outputs(
            {
                "key_arn": self.key_arn,
                "trail_arn": self.trail_arn,
                "trail_bucket_name": self.trail_bucket_name,
                "trail_log_group_name": self.trail_log_group_name,
                "detector_id": self.detector_id,
                "analyzer_arn": self.analyzer_arn,
                "rule_names": self.rule_names,
            }
        )

    # --- CloudTrail ---------------------------------------------------------------------------

    def _trail(
        self,
        name: str,
        args: SecurityBaselineArgs,
        account: pulumi.Output[str],
        partition: pulumi.Output[str],
        tags: Mapping[str, str],
    ) -> None:
        """Key, buckets and log group first; the trail last, once the policies it is checked against
        exist (CreateTrail validates the bucket policy, the key policy and the log delivery role)."""
        trail_name = f"{name}-trail"
        log_group_name = f"/groundwork/{name}/cloudtrail"
        trail_arn = pulumi.Output.concat(
            "arn:", partition, ":cloudtrail:", args.region, ":", account, ":trail/", trail_name
        )
        key = self._audit_key(name, args, account, partition, trail_arn, log_group_name, tags)
        access_logs = self._access_log_bucket(name, args, account, tags)
        bucket, bucket_policy = self._trail_bucket(name, args, key, access_logs, account, trail_arn, tags)
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-trail-events",
            name=log_group_name,
            retention_in_days=args.settings.trail_log_retention_days,
            kms_key_id=key.arn,
            tags=tags,
            deletion_protection_enabled=True if args.protect else None,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        role, role_policy = self._log_delivery_role(name, log_group, account, args.region, partition, tags)
        trail = aws.cloudtrail.Trail(
            trail_name,
            name=trail_name,
            s3_bucket_name=bucket.bucket,
            is_multi_region_trail=True,
            include_global_service_events=True,
            enable_log_file_validation=True,
            enable_logging=True,
            kms_key_id=key.arn,
            cloud_watch_logs_group_arn=log_group.arn.apply(lambda arn: f"{arn}:*"),
            cloud_watch_logs_role_arn=role.arn,
            event_selectors=[
                aws.cloudtrail.TrailEventSelectorArgs(read_write_type="All", include_management_events=True)
            ],
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[bucket_policy, role_policy]),
        )
        self.key_arn = key.arn
        self.trail_arn = trail.arn
        self.trail_bucket_name = bucket.bucket
        self.trail_log_group_name = log_group.name

    def _audit_key(
        self,
        name: str,
        args: SecurityBaselineArgs,
        account: pulumi.Output[str],
        partition: pulumi.Output[str],
        trail_arn: pulumi.Output[str],
        log_group_name: str,
        tags: Mapping[str, str],
    ) -> aws.kms.Key:
        policy = pulumi.Output.all(account, partition, trail_arn).apply(
            lambda parts: json.dumps(
                audit_key_policy(parts[0], parts[1], args.region, parts[2], log_group_name)
            )
        )
        key = aws.kms.Key(
            f"{name}-audit-key",
            description=f"Groundwork {name}: encrypts the CloudTrail log files, bucket and log group",
            enable_key_rotation=True,
            rotation_period_in_days=365,
            deletion_window_in_days=30,
            key_usage="ENCRYPT_DECRYPT",
            customer_master_key_spec="SYMMETRIC_DEFAULT",
            policy=policy,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        aws.kms.Alias(
            f"{name}-audit-key-alias",
            name=f"alias/groundwork/{name}-audit",
            target_key_id=key.key_id,
            opts=pulumi.ResourceOptions(parent=self),
        )
        return key

    def _private_bucket(self, resource_name: str, args: SecurityBaselineArgs, tags: Mapping[str, str], **kw):
        """A bucket with ACLs disabled, all four public-access blocks on, and versioning."""
        child = pulumi.ResourceOptions(parent=self)
        bucket = aws.s3.Bucket(
            resource_name,
            force_destroy=False,
            tags=dict(tags),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
            **kw,
        )
        aws.s3.BucketOwnershipControls(
            resource_name,
            bucket=bucket.id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            opts=child,
        )
        aws.s3.BucketPublicAccessBlock(
            resource_name,
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        aws.s3.BucketVersioning(
            resource_name,
            bucket=bucket.id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
            opts=child,
        )
        return bucket

    def _access_log_bucket(
        self, name: str, args: SecurityBaselineArgs, account: pulumi.Output[str], tags: Mapping[str, str]
    ) -> aws.s3.Bucket:
        """Server access logs of the trail bucket: who read the audit log. S3 log delivery cannot write
        SSE-KMS objects, so this one uses SSE-S3; it is not logged itself."""
        resource_name = f"{name}-trail-access-logs"
        child = pulumi.ResourceOptions(parent=self)
        bucket = self._private_bucket(resource_name, args, {**tags, "purpose": "access-logs"})
        aws.s3.BucketServerSideEncryptionConfiguration(
            resource_name,
            bucket=bucket.id,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                        sse_algorithm="AES256"
                    )
                )
            ],
            opts=child,
        )
        aws.s3.BucketPolicy(
            resource_name,
            bucket=bucket.id,
            policy=pulumi.Output.all(bucket.arn, account).apply(
                lambda a: tls_only_policy(a[0], log_delivery_account=a[1])
            ),
            opts=child,
        )
        _lifecycle(resource_name, bucket, args.settings.trail_bucket_expiry_days, child)
        return bucket

    def _trail_bucket(
        self,
        name: str,
        args: SecurityBaselineArgs,
        key: aws.kms.Key,
        access_logs: aws.s3.Bucket,
        account: pulumi.Output[str],
        trail_arn: pulumi.Output[str],
        tags: Mapping[str, str],
    ) -> tuple[aws.s3.Bucket, aws.s3.BucketPolicy]:
        resource_name = f"{name}-trail-logs"
        child = pulumi.ResourceOptions(parent=self)
        locked = args.settings.trail_object_lock_days is not None
        bucket = self._private_bucket(
            resource_name,
            args,
            {**tags, "purpose": "audit-trail", "data-classification": "audit"},
            object_lock_enabled=True if locked else None,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            resource_name,
            bucket=bucket.id,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    bucket_key_enabled=True,
                    apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                        sse_algorithm="aws:kms", kms_master_key_id=key.arn
                    ),
                )
            ],
            opts=child,
        )
        policy = aws.s3.BucketPolicy(
            resource_name,
            bucket=bucket.id,
            policy=pulumi.Output.all(bucket.arn, account, trail_arn).apply(
                lambda a: json.dumps(trail_bucket_policy(a[0], a[1], a[2]))
            ),
            opts=child,
        )
        _lifecycle(resource_name, bucket, args.settings.trail_bucket_expiry_days, child)
        if locked:
            aws.s3.BucketObjectLockConfiguration(
                resource_name,
                bucket=bucket.id,
                object_lock_enabled="Enabled",
                rule=aws.s3.BucketObjectLockConfigurationRuleArgs(
                    default_retention=aws.s3.BucketObjectLockConfigurationRuleDefaultRetentionArgs(
                        mode=args.settings.trail_object_lock_mode, days=args.settings.trail_object_lock_days
                    )
                ),
                opts=child,
            )
        aws.s3.BucketLogging(
            resource_name, bucket=bucket.id, target_bucket=access_logs.id, target_prefix="trail/", opts=child
        )
        return bucket, policy

    def _log_delivery_role(
        self,
        name: str,
        log_group: aws.cloudwatch.LogGroup,
        account: pulumi.Output[str],
        region: str,
        partition: pulumi.Output[str],
        tags: Mapping[str, str],
    ) -> tuple[aws.iam.Role, aws.iam.RolePolicy]:
        """CloudTrail writes to the log group through this role. Only a principal of this account that
        may pass the role can attach it to a trail, so the trust names the service alone."""
        role = service_role(
            f"{name}-trail-delivery",
            service="cloudtrail.amazonaws.com",
            description="CloudTrail delivers this stack's trail to its CloudWatch log group",
            tags=tags,
            parent=self,
            unconditioned_because="CloudTrail's user guide documents this role's trust without a "
            "source condition, and only a principal of this account that may pass the role can attach it",
        )
        streams = pulumi.Output.all(log_group.arn, account).apply(
            lambda a: f"{a[0]}:log-stream:{a[1]}_CloudTrail_*"
        )
        role_policy = aws.iam.RolePolicy(
            f"{name}-trail-delivery",
            role=role.id,
            policy=streams.apply(
                lambda arn: json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Sid": "WriteTrailEvents",
                                "Effect": "Allow",
                                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                                "Resource": arn,
                            }
                        ],
                    }
                )
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        return role, role_policy

    # --- GuardDuty ---------------------------------------------------------------------------

    def _guardduty(self, name: str, args: SecurityBaselineArgs, tags: Mapping[str, str]) -> None:
        detector = aws.guardduty.Detector(
            f"{name}-guardduty",
            enable=True,
            finding_publishing_frequency=args.settings.guardduty_finding_frequency,
            tags=dict(tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        features: list[tuple[str, str, list[aws.guardduty.DetectorFeatureAdditionalConfigurationArgs]]] = []
        if args.settings.guardduty_eks_audit_logs:
            features.append(("eks-audit-logs", "EKS_AUDIT_LOGS", []))
        if args.settings.guardduty_runtime_monitoring:
            addon = aws.guardduty.DetectorFeatureAdditionalConfigurationArgs(
                name="EKS_ADDON_MANAGEMENT", status="ENABLED"
            )
            features.append(("runtime-monitoring", "RUNTIME_MONITORING", [addon]))
        if args.settings.guardduty_s3_protection:
            features.append(("s3-protection", "S3_DATA_EVENTS", []))
        for suffix, feature, extra in features:
            aws.guardduty.DetectorFeature(
                f"{name}-guardduty-{suffix}",
                detector_id=detector.id,
                name=feature,
                status="ENABLED",
                additional_configurations=extra or None,
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.detector_id = detector.id

    # --- alerts ------------------------------------------------------------------------------

    def _alerts(
        self,
        name: str,
        args: SecurityBaselineArgs,
        account: pulumi.Output[str],
        partition: pulumi.Output[str],
        tags: Mapping[str, str],
    ) -> list[str]:
        rules = security_event_rules(
            args.settings.finding_min_severity,
            [args.stack_role_prefix, *args.settings.watched_role_prefixes],
            args.settings.access_analyzer_enabled,
        )
        names = []
        for rule in rules:
            event_rule = aws.cloudwatch.EventRule(
                f"{name}-{rule.key}",
                name=f"{name}-{rule.key}",
                description=rule.title,
                event_pattern=json.dumps(rule.pattern),
                state="ENABLED",
                tags=dict(tags),
                opts=pulumi.ResourceOptions(parent=self),
            )
            aws.cloudwatch.EventTarget(
                f"{name}-{rule.key}",
                rule=event_rule.name,
                target_id="alerts-topic",
                arn=args.alert_topic_arn,
                input_transformer=aws.cloudwatch.EventTargetInputTransformerArgs(
                    input_template=alert_template(rule, name, args.runbook_url)
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
            names.append(f"{name}-{rule.key}")
        global_rules = [r for r in rules if r.global_service]
        if args.global_events_provider is not None and global_rules:
            self._forward_global_events(name, args, global_rules, account, partition, tags)
        return names

    def _forward_global_events(
        self,
        name: str,
        args: SecurityBaselineArgs,
        rules: Sequence[SecurityEventRule],
        account: pulumi.Output[str],
        partition: pulumi.Output[str],
        tags: Mapping[str, str],
    ) -> None:
        """IAM and sign-in events reach EventBridge in us-east-1 only: rules there put them on this
        region's default bus, whose rules (above) match and alert."""
        bus = pulumi.Output.concat(
            "arn:", partition, ":events:", args.region, ":", account, ":event-bus/default"
        )
        role = service_role(
            f"{name}-forward-global-events",
            service="events.amazonaws.com",
            description=f"Forwards IAM and sign-in events from {GLOBAL_EVENTS_REGION} to {args.region}",
            tags=tags,
            parent=self,
            unconditioned_because="EventBridge's cross-Region target role is documented without a source "
            "condition, and only a principal of this account that may pass the role can attach it",
        )
        aws.iam.RolePolicy(
            f"{name}-forward-global-events",
            role=role.id,
            policy=bus.apply(
                lambda arn: json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Sid": "PutOnStackBus",
                                "Effect": "Allow",
                                "Action": "events:PutEvents",
                                "Resource": arn,
                            }
                        ],
                    }
                )
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        in_us_east_1 = pulumi.ResourceOptions(parent=self, provider=args.global_events_provider)
        for rule in rules:
            forwarder = aws.cloudwatch.EventRule(
                f"{name}-{rule.key}-forward",
                name=f"{name}-{rule.key}-forward",
                description=f"Forwards to {args.region}: {rule.title}",
                event_pattern=json.dumps(rule.pattern),
                state="ENABLED",
                tags=dict(tags),
                opts=in_us_east_1,
            )
            aws.cloudwatch.EventTarget(
                f"{name}-{rule.key}-forward",
                rule=forwarder.name,
                target_id="stack-region-bus",
                arn=bus,
                role_arn=role.arn,
                opts=in_us_east_1,
            )


def _lifecycle(
    resource_name: str, bucket: aws.s3.Bucket, expiry_days: int, opts: pulumi.ResourceOptions
) -> None:
    """Glacier Instant Retrieval after 90 days, expiry after `expiry_days`; old versions after 30."""
    aws.s3.BucketLifecycleConfiguration(
        resource_name,
        bucket=bucket.id,
        rules=[
            aws.s3.BucketLifecycleConfigurationRuleArgs(
                id="tier-and-expire",
                status="Enabled",
                filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                transitions=[
                    aws.s3.BucketLifecycleConfigurationRuleTransitionArgs(days=90, storage_class="GLACIER_IR")
                ]
                if expiry_days > 90
                else None,
                expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=expiry_days),
                noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                    noncurrent_days=30
                ),
                abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                    days_after_initiation=7
                ),
            )
        ],
        opts=opts,
    )
