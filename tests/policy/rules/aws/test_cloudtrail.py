"""CloudTrail rules: each fires on a compliant baseline with one change and stays silent on the baseline
(a trail as the SecurityBaseline component makes it, its private, locked bucket, in prod)."""

import json

import pytest

from tests.policy._cases import DROP, baseline_fired, fired, patched, replaced, res, stack_fired, without

TRAIL = "aws:cloudtrail/trail:Trail"
BUCKET = "aws:s3/bucket:Bucket"
PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
LOCK = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"
TRAIL_ARN = "arn:aws:cloudtrail:eu-west-1:123456789012:trail/prod-security-trail"

GOOD_TRAIL = {
    "name": "prod-security-trail",
    "s3BucketName": "prod-security-trail-logs-1a2b3c4d",
    "isMultiRegionTrail": True,
    "includeGlobalServiceEvents": True,
    "enableLogging": True,
    "enableLogFileValidation": True,
    "kmsKeyId": "arn:aws:kms:eu-west-1:123456789012:key/audit",
    "cloudWatchLogsGroupArn": "arn:aws:logs:eu-west-1:123456789012:log-group:/groundwork/trail:*",
    "cloudWatchLogsRoleArn": "arn:aws:iam::123456789012:role/prod-security-trail-delivery",
    "eventSelectors": [{"readWriteType": "All", "includeManagementEvents": True}],
}
BUCKET_POLICY_DOC = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": "*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        {
            "Sid": "CloudTrailWritesLogFiles",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": "arn:aws:s3:::prod-security-trail-logs-1a2b3c4d/AWSLogs/123456789012/*",
            "Condition": {"StringEquals": {"aws:SourceArn": TRAIL_ARN}},
        },
    ],
}
FLAGS = {
    "blockPublicAcls": True,
    "blockPublicPolicy": True,
    "ignorePublicAcls": True,
    "restrictPublicBuckets": True,
}
STACK = [
    res(
        BUCKET,
        "trail-logs",
        {"bucket": "prod-security-trail-logs-1a2b3c4d", "objectLockEnabled": True, "forceDestroy": False},
        protect=True,
    ),
    res(PAB, "trail-logs-pab", {"bucket": "id-trail", **FLAGS}, deps={"bucket": ["trail-logs"]}),
    res(
        BUCKET_POLICY,
        "trail-logs-policy",
        {"bucket": "id-trail", "policy": json.dumps(BUCKET_POLICY_DOC)},
        deps={"bucket": ["trail-logs"]},
    ),
    res(
        LOCK,
        "trail-logs-lock",
        {
            "bucket": "id-trail",
            "objectLockEnabled": "Enabled",
            "rule": {"defaultRetention": {"mode": "COMPLIANCE", "days": 365.0}},
        },
        deps={"bucket": ["trail-logs"]},
    ),
    res(TRAIL, "prod-security-trail", GOOD_TRAIL, deps={"s3BucketName": ["trail-logs"]}),
]
PUBLIC_STATEMENT = {
    "Sid": "Anyone",
    "Effect": "Allow",
    "Principal": "*",
    "Action": "s3:GetObject",
    "Resource": "*",
}

RESOURCE_CASES = [
    ("AWS-CLOUDTRAIL-002", {"isMultiRegionTrail": False}),
    ("AWS-CLOUDTRAIL-002", {"isMultiRegionTrail": DROP}),
    ("AWS-CLOUDTRAIL-002", {"includeGlobalServiceEvents": False}),
    ("AWS-CLOUDTRAIL-002", {"enableLogging": False}),
    ("AWS-CLOUDTRAIL-002", {"eventSelectors.0.readWriteType": "WriteOnly"}),
    ("AWS-CLOUDTRAIL-002", {"eventSelectors.0.includeManagementEvents": False}),
    ("AWS-CLOUDTRAIL-003", {"enableLogFileValidation": False}),
    ("AWS-CLOUDTRAIL-003", {"enableLogFileValidation": DROP}),
    ("AWS-CLOUDTRAIL-004", {"kmsKeyId": DROP}),
    ("AWS-CLOUDTRAIL-005", {"cloudWatchLogsGroupArn": DROP}),
    ("AWS-CLOUDTRAIL-005", {"cloudWatchLogsRoleArn": DROP}),
]


@pytest.mark.parametrize("rule_id,overrides", RESOURCE_CASES)
def test_trail_rule_fires_on_one_change(rule_id, overrides):
    assert rule_id in fired(TRAIL, patched(GOOD_TRAIL, overrides))


@pytest.mark.parametrize("rule_id", sorted({rule_id for rule_id, _ in RESOURCE_CASES}))
def test_trail_rule_is_silent_on_the_baseline_trail(rule_id):
    assert rule_id not in baseline_fired(TRAIL, GOOD_TRAIL)


def test_the_compliant_stack_passes_every_cloudtrail_rule():
    assert not {r for r in stack_fired(STACK) if r.startswith("AWS-CLOUDTRAIL")}


def test_an_aws_stack_without_a_trail_is_not_recorded():
    assert "AWS-CLOUDTRAIL-001" in stack_fired(without(STACK, "prod-security-trail"))


def test_a_stopped_trail_does_not_count_as_recording():
    stack = replaced(STACK, "prod-security-trail", {"enableLogging": False})
    assert "AWS-CLOUDTRAIL-001" in stack_fired(stack)


def test_a_stack_without_aws_resources_needs_no_trail():
    namespace = res("kubernetes:core/v1:Namespace", "apps", {"metadata": {"name": "apps"}})
    assert "AWS-CLOUDTRAIL-001" not in stack_fired([namespace], environment="local")


def test_an_organization_trail_exemption_silences_the_missing_trail():
    exemption = {
        "resource": "*",
        "reason": "Organization trail arn:aws:cloudtrail:eu-west-1:111111111111:trail/org records us",
        "approver": "security-team",
        "expires": "2099-12-31",
    }
    config = {"AWS-CLOUDTRAIL-001": {"exemptions": [exemption]}}
    assert "AWS-CLOUDTRAIL-001" not in stack_fired(without(STACK, "prod-security-trail"), config=config)


@pytest.mark.parametrize(
    "name,overrides",
    [
        ("trail-logs-pab", {"restrictPublicBuckets": False}),
        ("trail-logs-pab", {"blockPublicPolicy": DROP}),
        ("trail-logs-policy", {"policy": json.dumps({**BUCKET_POLICY_DOC, "Statement": [PUBLIC_STATEMENT]})}),
        ("trail-logs", {"objectLockEnabled": False}),
        ("trail-logs-lock", {"rule": {}}),
    ],
)
def test_trail_bucket_rule_fires_on_one_change(name, overrides):
    assert "AWS-CLOUDTRAIL-006" in stack_fired(replaced(STACK, name, overrides))


def test_trail_bucket_without_a_public_access_block_fires():
    assert "AWS-CLOUDTRAIL-006" in stack_fired(without(STACK, "trail-logs-pab"))


def test_object_lock_is_required_in_prod_only():
    unlocked = without(replaced(STACK, "trail-logs", {"objectLockEnabled": DROP}), "trail-logs-lock")
    assert "AWS-CLOUDTRAIL-006" in stack_fired(unlocked, environment="prod")
    assert "AWS-CLOUDTRAIL-006" not in stack_fired(unlocked, environment="staging")


def test_the_bucket_is_found_by_name_without_a_property_dependency():
    stack = [
        {**r, "deps": {}} if r["name"] == "prod-security-trail" else r
        for r in replaced(STACK, "trail-logs-pab", {"ignorePublicAcls": False})
    ]
    assert "AWS-CLOUDTRAIL-006" in stack_fired(stack)


def test_a_trail_writing_to_a_bucket_outside_the_stack_is_judged_where_the_bucket_lives():
    stack = [r for r in STACK if r["type"] == TRAIL]
    stack = [{**stack[0], "deps": {}, "props": {**GOOD_TRAIL, "s3BucketName": "org-log-archive"}}]
    assert "AWS-CLOUDTRAIL-006" not in stack_fired(stack)
