"""A customer-managed KMS key with rotation and a key policy scoped to this account."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import pulumi
import pulumi_aws as aws
from pydantic import Field

from components._lib.args import ComponentArgs
from components.tagging import component_tags

# What the account's own IAM principals may do with the key. The account root delegates to IAM
# (as AWS's default policy does) but with the actions spelled out, so no statement grants `kms:*`.
_ADMIN_ACTIONS = [
    "kms:Create*",
    "kms:Describe*",
    "kms:Enable*",
    "kms:List*",
    "kms:Put*",
    "kms:Update*",
    "kms:Revoke*",
    "kms:Disable*",
    "kms:Get*",
    "kms:Delete*",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:ScheduleKeyDeletion",
    "kms:CancelKeyDeletion",
    "kms:RotateKeyOnDemand",
]
_USE_ACTIONS = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]


class KmsKeyArgs(ComponentArgs):
    """How the key is used. It has no stack settings of its own: the wiring says who uses it."""

    description: str = Field(description="What the key encrypts, shown in the KMS console.")
    tags: Mapping[str, str] = Field(default_factory=dict, description="The stack's tags.")
    service_principals: Sequence[str] = Field(
        default=(),
        description="AWS services that call KMS as themselves rather than through a caller's IAM "
        "identity (CloudWatch alarms to SNS, ...). They get use actions only, limited to this account "
        "by `aws:SourceAccount`.",
    )
    logs_region: str | None = Field(
        default=None,
        description="When set, CloudWatch Logs in that region may use the key for log groups of this "
        "account (its principal and encryption context are region-specific).",
    )
    autoscaling_volumes: bool = Field(
        default=False,
        description="EC2 Auto Scaling (EKS managed node groups) may encrypt the nodes' EBS volumes with "
        "the key. Auto Scaling acts through its service-linked role, which the key policy then names "
        "and which must exist when the policy is written "
        "(`aws iam create-service-linked-role --aws-service-name autoscaling.amazonaws.com`).",
    )
    deletion_window_days: int = Field(
        default=30,
        ge=7,
        le=30,
        description="Days a scheduled deletion waits; 30, the longest AWS allows, gives the most time to "
        "notice a mistaken delete.",
    )
    protect: bool = Field(default=False, description="Keep Pulumi from deleting the key (prod).")


class KmsKey(pulumi.ComponentResource):
    """One symmetric key with yearly rotation, an alias, and no wildcard principal."""

    key_arn: pulumi.Output[str]
    key_id: pulumi.Output[str]
    alias_name: pulumi.Output[str]

    def __init__(self, name: str, args: KmsKeyArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("groundwork:kms:KmsKey", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        identity = aws.get_caller_identity_output(opts=invoke)
        partition = aws.get_partition_output(opts=invoke)

        policy = pulumi.Output.all(identity.account_id, partition.partition).apply(
            lambda parts: json.dumps(_key_policy(parts[0], parts[1], args))
        )
        self._key = aws.kms.Key(
            f"{name}-key",
            description=args.description,
            enable_key_rotation=True,
            rotation_period_in_days=365,
            deletion_window_in_days=args.deletion_window_days,
            key_usage="ENCRYPT_DECRYPT",
            customer_master_key_spec="SYMMETRIC_DEFAULT",
            policy=policy,
            tags=component_tags(args.tags, name),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        alias = aws.kms.Alias(
            f"{name}-alias", name=f"alias/groundwork/{name}", target_key_id=self._key.key_id, opts=child
        )
        self.key_arn = self._key.arn
        self.key_id = self._key.key_id
        self.alias_name = alias.name
        self.register_outputs({"key_arn": self.key_arn, "key_id": self.key_id, "alias_name": self.alias_name})


def _key_policy(account: str, partition: str, args: KmsKeyArgs) -> dict:
    root = f"arn:{partition}:iam::{account}:root"
    statements: list[dict] = [
        {
            "Sid": "AccountAdministersKey",
            "Effect": "Allow",
            "Principal": {"AWS": root},
            "Action": _ADMIN_ACTIONS,
            "Resource": "*",
        },
        {
            "Sid": "AccountIdentitiesUseKey",
            "Effect": "Allow",
            "Principal": {"AWS": root},
            "Action": [*_USE_ACTIONS, "kms:CreateGrant", "kms:ListGrants"],
            "Resource": "*",
        },
    ]
    if args.service_principals:
        statements.append(
            {
                "Sid": "ServicesUseKeyForThisAccount",
                "Effect": "Allow",
                "Principal": {"Service": sorted(args.service_principals)},
                "Action": _USE_ACTIONS,
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": account}},
            }
        )
    if args.logs_region:
        statements.append(
            {
                "Sid": "CloudWatchLogsUseKey",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{args.logs_region}.amazonaws.com"},
                # Not kms:DescribeKey: it carries no encryption context, so under this condition it
                # would be a grant that never applies.
                "Action": [action for action in _USE_ACTIONS if action != "kms:DescribeKey"],
                "Resource": "*",
                "Condition": {
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": (
                            f"arn:{partition}:logs:{args.logs_region}:{account}:*"
                        )
                    }
                },
            }
        )
    if args.autoscaling_volumes:
        autoscaling = (
            f"arn:{partition}:iam::{account}:role/aws-service-role/autoscaling.amazonaws.com/"
            "AWSServiceRoleForAutoScaling"
        )
        statements += [
            {
                "Sid": "AutoScalingEncryptsNodeVolumes",
                "Effect": "Allow",
                "Principal": {"AWS": autoscaling},
                "Action": _USE_ACTIONS,
                "Resource": "*",
            },
            {
                "Sid": "AutoScalingAttachesEncryptedVolumes",
                "Effect": "Allow",
                "Principal": {"AWS": autoscaling},
                "Action": "kms:CreateGrant",
                "Resource": "*",
                "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
            },
        ]
    return {"Version": "2012-10-17", "Statement": statements}
