"""The documents the security baseline sends, as plain data: its EventBridge event patterns and alert
messages, the audit key's policy and the trail bucket's policy.

Kept apart from the component so the tests and the runbook read exactly what the component creates,
without running Pulumi. Sources: the CloudTrail user guide's key policy and bucket policy for trails,
the EventBridge event references for each service (`source`, `detail-type`, `eventSource`), and
EventBridge's input transformer (the reserved `aws.events.event.json` variable).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from components.bucket import tls_only_policy
from components.kms import _ADMIN_ACTIONS as KEY_ADMIN_ACTIONS

# CloudTrail management events (eventName) each rule matches; docs/runbooks/security.md lists the same.
IAM_ROLE_POLICY_EVENTS = (
    "AttachRolePolicy",
    "DetachRolePolicy",
    "PutRolePolicy",
    "DeleteRolePolicy",
    "UpdateAssumeRolePolicy",
    "PutRolePermissionsBoundary",
    "DeleteRolePermissionsBoundary",
)
KMS_KEY_EVENTS = ("DisableKey", "ScheduleKeyDeletion")
SECURITY_GROUP_EVENTS = (
    "AuthorizeSecurityGroupIngress",
    "AuthorizeSecurityGroupEgress",
    "RevokeSecurityGroupIngress",
    "RevokeSecurityGroupEgress",
    "ModifySecurityGroupRules",
    "CreateSecurityGroup",
    "DeleteSecurityGroup",
)
CLOUDTRAIL_EVENTS = ("StopLogging", "DeleteTrail", "UpdateTrail", "PutEventSelectors")
API_CALL = "AWS API Call via CloudTrail"


@dataclass(frozen=True)
class SecurityEventRule:
    """One EventBridge rule: what it matches, why it alerts, and where its runbook section is."""

    key: str
    title: str
    pattern: dict[str, Any]
    anchor: str
    global_service: bool = False


def _api_call(source: str, event_source: str, names: Sequence[str], **detail: Any) -> dict[str, Any]:
    return {
        "source": [source],
        "detail-type": [API_CALL],
        "detail": {"eventSource": [event_source], "eventName": list(names), **detail},
    }


def security_event_rules(
    min_severity: float, role_prefixes: Sequence[str], access_analyzer: bool
) -> list[SecurityEventRule]:
    """The rules: GuardDuty findings at or above `min_severity`, policy changes on roles whose names
    start with one of `role_prefixes`, and Access Analyzer findings when the analyzer exists."""
    rules = [
        SecurityEventRule(
            "guardduty-findings",
            f"GuardDuty finding of severity {min_severity:g} or more",
            {
                "source": ["aws.guardduty"],
                "detail-type": ["GuardDuty Finding"],
                "detail": {"severity": [{"numeric": [">=", min_severity]}]},
            },
            "guardduty-finding",
        ),
        SecurityEventRule(
            "root-sign-in",
            "The account's root user signed in to the console",
            {
                "source": ["aws.signin"],
                "detail-type": ["AWS Console Sign In via CloudTrail"],
                "detail": {
                    "eventSource": ["signin.amazonaws.com"],
                    "eventName": ["ConsoleLogin"],
                    "userIdentity": {"type": ["Root"]},
                },
            },
            "root-sign-in",
            global_service=True,
        ),
        SecurityEventRule(
            "iam-role-policy-change",
            "An IAM policy of a platform role changed",
            _api_call(
                "aws.iam",
                "iam.amazonaws.com",
                IAM_ROLE_POLICY_EVENTS,
                requestParameters={"roleName": [{"prefix": p} for p in role_prefixes]},
            ),
            "iam-role-policy-change",
            global_service=True,
        ),
        SecurityEventRule(
            "kms-key-disabled",
            "A KMS key was disabled or scheduled for deletion",
            _api_call("aws.kms", "kms.amazonaws.com", KMS_KEY_EVENTS),
            "kms-key-disabled-or-scheduled-for-deletion",
        ),
        SecurityEventRule(
            "security-group-change",
            "A security group or one of its rules changed",
            _api_call("aws.ec2", "ec2.amazonaws.com", SECURITY_GROUP_EVENTS),
            "security-group-change",
        ),
        SecurityEventRule(
            "cloudtrail-change",
            "A CloudTrail trail was stopped, deleted or reconfigured",
            _api_call("aws.cloudtrail", "cloudtrail.amazonaws.com", CLOUDTRAIL_EVENTS),
            "cloudtrail-stopped-or-changed",
        ),
    ]
    if access_analyzer:
        rules.append(
            SecurityEventRule(
                "access-analyzer-finding",
                "IAM Access Analyzer found a resource shared outside the account",
                {
                    "source": ["aws.access-analyzer"],
                    "detail-type": ["Access Analyzer Finding"],
                    "detail": {"status": ["ACTIVE"]},
                },
                "access-analyzer-finding",
            )
        )
    return rules


def alert_template(rule: SecurityEventRule, stack_name: str, runbook_url: str) -> str:
    """The SNS message: what fired, where to start, and the whole event (EventBridge's reserved
    `aws.events.event.json` variable, inserted unescaped as a JSON value)."""
    head = json.dumps(
        {
            "alert": rule.title,
            "rule": rule.key,
            "source": stack_name,
            "runbook": f"{runbook_url}#{rule.anchor}",
        }
    )
    return head[:-1] + ', "event": <aws.events.event.json>}'


def audit_key_policy(account: str, partition: str, region: str, trail_arn: str, log_group_name: str) -> dict:
    """Who may use the audit key, after the CloudTrail user guide's key policy for trails: CloudTrail
    encrypts for this trail only (`aws:SourceArn`, and the log files' encryption context names a trail
    of this account); this account's identities read log files under their IAM grants; S3 and
    CloudWatch Logs use it for the bucket and the log group."""
    root = f"arn:{partition}:iam::{account}:root"
    trail_context = f"arn:{partition}:cloudtrail:*:{account}:trail/*"
    use = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AccountAdministersKey",
                "Effect": "Allow",
                "Principal": {"AWS": root},
                "Action": KEY_ADMIN_ACTIONS,
                "Resource": "*",
            },
            {
                "Sid": "CloudTrailEncryptsThisTrail",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "kms:GenerateDataKey*",
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"aws:SourceArn": trail_arn},
                    "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": trail_context},
                },
            },
            {
                "Sid": "CloudTrailDescribesKey",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "kms:DescribeKey",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceArn": trail_arn}},
            },
            {
                "Sid": "AccountReadsLogFiles",
                "Effect": "Allow",
                "Principal": {"AWS": root},
                "Action": ["kms:Decrypt", "kms:ReEncryptFrom"],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"kms:CallerAccount": account},
                    "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": trail_context},
                },
            },
            {
                "Sid": "AccountUsesKeyThroughS3",
                "Effect": "Allow",
                "Principal": {"AWS": root},
                "Action": use,
                "Resource": "*",
                "Condition": {
                    "StringEquals": {
                        "kms:CallerAccount": account,
                        "kms:ViaService": f"s3.{region}.amazonaws.com",
                    }
                },
            },
            {
                "Sid": "CloudWatchLogsUseKeyForTheTrailLogGroup",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                # Not kms:DescribeKey: it carries no encryption context, so under this condition it
                # would be a grant that never applies.
                "Action": [action for action in use if action != "kms:DescribeKey"],
                "Resource": "*",
                "Condition": {
                    "ArnEquals": {
                        "kms:EncryptionContext:aws:logs:arn": (
                            f"arn:{partition}:logs:{region}:{account}:log-group:{log_group_name}"
                        )
                    }
                },
            },
        ],
    }


def trail_bucket_policy(bucket_arn: str, account: str, trail_arn: str) -> dict:
    """TLS 1.2+ only (shared with the other buckets), and CloudTrail of this trail alone may check the
    ACL and write under AWSLogs/<account>/, as the CloudTrail user guide's bucket policy has it."""
    policy = json.loads(tls_only_policy(bucket_arn))
    policy["Statement"] += [
        {
            "Sid": "CloudTrailChecksAcl",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "s3:GetBucketAcl",
            "Resource": bucket_arn,
            "Condition": {"StringEquals": {"aws:SourceArn": trail_arn}},
        },
        {
            "Sid": "CloudTrailWritesLogFiles",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": f"{bucket_arn}/AWSLogs/{account}/*",
            "Condition": {
                "StringEquals": {"aws:SourceArn": trail_arn, "s3:x-amz-acl": "bucket-owner-full-control"}
            },
        },
    ]
    return policy
