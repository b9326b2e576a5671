"""policy/rules/aws/s3.py: each rule fires on a broken copy of a compliant bucket (alone, or with every
resource that configures it) and stays silent on the compliant original."""

import json

import pytest

from policy.testing import evaluate_stack
from tests.policy._cases import DROP, baseline_fired, fired, patched, replaced, res, stack_fired, without
from tests.policy.rules.aws._baselines import KEY

BUCKET = "aws:s3/bucket:Bucket"
BUCKET_V2 = "aws:s3/bucketV2:BucketV2"
BUCKET_ACL = "aws:s3/bucketAclV2:BucketAclV2"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
ACCOUNT_PAB = "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock"
REPLICATION_ROLE = "arn:aws:iam::123456789012:role/s3-replication"

BASELINES = {
    BUCKET: {"bucket": "data", "forceDestroy": False},
    BUCKET_V2: {"bucket": "data"},
    BUCKET_ACL: {"bucket": "data"},
    BUCKET_POLICY: {
        "bucket": "data",
        "policy": '{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
        '"Principal":{"AWS":"arn:aws:iam::123456789012:role/app"},"Action":"s3:GetObject",'
        '"Resource":"arn:aws:s3:::data/*"}]}',
    },
    ACCOUNT_PAB: {
        "blockPublicAcls": True,
        "blockPublicPolicy": True,
        "ignorePublicAcls": True,
        "restrictPublicBuckets": True,
    },
}

RESOURCE_CASES = [
    ("AWS-S3-002", BUCKET, {"acl": "public-read"}),
    (
        "AWS-S3-002",
        BUCKET_ACL,
        {
            "accessControlPolicy": {
                "grants": [
                    {
                        "permission": "READ",
                        "grantee": {
                            "type": "Group",
                            "uri": "http://acs.amazonaws.com/groups/global/AllUsers",
                        },
                    }
                ]
            },
        },
    ),
    (
        "AWS-S3-006",
        BUCKET_POLICY,
        {
            "policy": '{"Statement":[{"Sid":"Open","Effect":"Allow","Principal":"*",'
            '"Action":"s3:GetObject","Resource":"*"}]}'
        },
    ),
    ("AWS-S3-013", ACCOUNT_PAB, {"restrictPublicBuckets": False}),
    ("AWS-S3-014", BUCKET_V2, {"forceDestroy": True}),
]


def _case_id(case):
    return f"{case[0]}-{case[1].rsplit(':', 1)[1]}-{'+'.join(case[2])}"


@pytest.mark.parametrize("rule_id, type_, overrides", RESOURCE_CASES, ids=map(_case_id, RESOURCE_CASES))
def test_rule_fires_on_broken_resource(rule_id, type_, overrides):
    assert rule_id in fired(type_, patched(BASELINES[type_], overrides))


@pytest.mark.parametrize("rule_id, type_", sorted({(c[0], c[1]) for c in RESOURCE_CASES}))
def test_rule_is_silent_on_compliant_resource(rule_id, type_):
    assert rule_id not in baseline_fired(type_, BASELINES[type_])


S3_STACK = [
    res(
        BUCKET,
        "data",
        {
            "bucket": "data",
            "tags": {"data-classification": "backup", "criticality": "critical", "notify": "true"},
            "objectLockEnabled": True,
        },
    ),
    res(
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "data-pab",
        {
            "bucket": "data",
            "blockPublicAcls": True,
            "blockPublicPolicy": True,
            "ignorePublicAcls": True,
            "restrictPublicBuckets": True,
        },
    ),
    res(
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
        "data-owner",
        {"bucket": "data", "rule": {"objectOwnership": "BucketOwnerEnforced"}},
    ),
    res(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "data-sse",
        {
            "bucket": "data",
            "rules": [
                {
                    "applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY},
                    "bucketKeyEnabled": True,
                }
            ],
        },
    ),
    res(
        BUCKET_POLICY,
        "data-policy",
        {
            "bucket": "data",
            "policy": (
                '{"Statement":[{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*",'
                '"Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}'
            ),
        },
    ),
    res(
        "aws:s3/bucketVersioning:BucketVersioning",
        "data-versioning",
        {"bucket": "data", "versioningConfiguration": {"status": "Enabled"}},
    ),
    res(
        "aws:s3/bucketLogging:BucketLogging",
        "data-logging",
        {"bucket": "data", "targetBucket": "access-logs", "targetPrefix": "data/"},
    ),
    res(
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        "data-lifecycle",
        {
            "bucket": "data",
            "rules": [
                {
                    "id": "cleanup",
                    "status": "Enabled",
                    "abortIncompleteMultipartUpload": {"daysAfterInitiation": 7.0},
                    "noncurrentVersionExpiration": {"noncurrentDays": 90.0},
                }
            ],
        },
    ),
    res(
        "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
        "data-lock",
        {"bucket": "data", "rule": {"defaultRetention": {"mode": "COMPLIANCE", "days": 30.0}}},
    ),
    res(
        "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
        "data-replication",
        {
            "bucket": "data",
            "role": REPLICATION_ROLE,
            "rules": [{"status": "Enabled", "destination": {"bucket": "arn:dr"}}],
        },
    ),
    res(
        "aws:s3/bucketNotification:BucketNotification", "data-events", {"bucket": "data", "eventbridge": True}
    ),
]

# (rule id, transformation of the stack that breaks exactly this rule)
STACK_CASES = [
    ("AWS-S3-001", lambda s: without(s, "data-pab")),
    ("AWS-S3-001", lambda s: replaced(s, "data-pab", {"restrictPublicBuckets": False})),
    ("AWS-S3-003", lambda s: replaced(s, "data-owner", {"rule.objectOwnership": "ObjectWriter"})),
    ("AWS-S3-004", lambda s: without(s, "data-sse")),
    (
        "AWS-S3-004",
        lambda s: replaced(
            s, "data-sse", {"rules.0.applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}
        ),
    ),
    ("AWS-S3-005", lambda s: without(s, "data-policy")),
    ("AWS-S3-007", lambda s: replaced(s, "data-versioning", {"versioningConfiguration.status": "Suspended"})),
    ("AWS-S3-008", lambda s: without(s, "data-logging")),
    ("AWS-S3-009", lambda s: replaced(s, "data-lifecycle", {"rules.0.noncurrentVersionExpiration": DROP})),
    ("AWS-S3-010", lambda s: without(s, "data-lock")),
    ("AWS-S3-011", lambda s: without(s, "data-replication")),
    ("AWS-S3-012", lambda s: without(s, "data-events")),
]

# AWS-S3-012 is disabled in every shipped config; the tests switch it on.
ENABLE_S3_NOTIFICATIONS = {"AWS-S3-012": "advisory"}


@pytest.mark.parametrize(
    "rule_id, breaks", STACK_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(STACK_CASES)]
)
def test_stack_rule_fires_on_broken_stack(rule_id, breaks):
    assert rule_id in stack_fired(breaks(S3_STACK), config=ENABLE_S3_NOTIFICATIONS)


@pytest.fixture(scope="module")
def compliant_stack_findings():
    return stack_fired(S3_STACK, config=ENABLE_S3_NOTIFICATIONS)


@pytest.mark.parametrize("rule_id", sorted({c[0] for c in STACK_CASES}))
def test_stack_rule_is_silent_on_compliant_stack(rule_id, compliant_stack_findings):
    assert rule_id not in compliant_stack_findings


def test_s3_rules_read_the_inline_shape_of_bucket_v2():
    inline = res(
        BUCKET_V2,
        "legacy",
        {
            "bucket": "legacy",
            "versionings": [{"enabled": True}],
            "serverSideEncryptionConfigurations": [
                {
                    "rules": [
                        {
                            "applyServerSideEncryptionByDefaults": [
                                {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY}
                            ],
                            "bucketKeyEnabled": True,
                        }
                    ]
                }
            ],
            "loggings": [{"targetBucket": "access-logs"}],
        },
    )
    assert not {"AWS-S3-004", "AWS-S3-007", "AWS-S3-008"} & stack_fired([inline])


def test_satellites_join_their_bucket_through_property_dependencies_when_the_id_is_opaque():
    bucket = res(BUCKET, "data", {})
    versioning = res(
        "aws:s3/bucketVersioning:BucketVersioning",
        "v",
        {"bucket": "id-0123", "versioningConfiguration": {"status": "Enabled"}},
        deps={"bucket": ["data"]},
    )
    assert "AWS-S3-007" not in stack_fired([bucket, versioning])


def test_a_value_unknown_at_preview_spares_only_that_resource():
    from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

    unknown = res(BUCKET, "unknown", {"bucket": "unknown", "policy": UNKNOWN_STRING_VALUE})
    plain = res(BUCKET, "plain", {"bucket": "plain"})
    findings = evaluate_stack([unknown, plain])
    assert {
        (f.rule_id, f.resource_name)
        for f in findings
        if f.status == "violation" and f.rule_id == "AWS-S3-005"
    } == {("AWS-S3-005", "plain")}


def test_the_access_log_bucket_needs_only_sse_s3_and_no_logging_of_its_own():
    logs = res(BUCKET, "access-logs", {"bucket": "access-logs"})
    logs_sse = res(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "access-logs-sse",
        {
            "bucket": "access-logs",
            "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}],
        },
    )
    findings = evaluate_stack([*S3_STACK, logs, logs_sse])
    on_logs = {f.rule_id for f in findings if f.resource_name == "access-logs" and f.status == "violation"}
    assert not {"AWS-S3-004", "AWS-S3-008"} & on_logs
    assert "AWS-S3-001" in on_logs  # still a bucket: it needs its public access block like any other


def _alb_logs(statement: dict) -> list[dict]:
    """An ALB access-log bucket on SSE-S3 whose policy holds `statement`, without server access logs."""
    return [
        res(BUCKET, "alb-logs", {"bucket": "alb-logs"}),
        res(
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            "alb-logs-sse",
            {
                "bucket": "alb-logs",
                "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}],
            },
        ),
        res(
            BUCKET_POLICY,
            "alb-logs-policy",
            {"bucket": "alb-logs", "policy": json.dumps({"Version": "2012-10-17", "Statement": [statement]})},
        ),
    ]


ELB_DELIVERY = {
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::156460612806:root"},
    "Action": "s3:PutObject",
    "Resource": "arn:aws:s3:::alb-logs/public/AWSLogs/123456789012/*",
}


def _on_alb_logs(statement: dict) -> set[str]:
    findings = evaluate_stack([*S3_STACK, *_alb_logs(statement)])
    return {f.rule_id for f in findings if f.resource_name == "alb-logs" and f.status == "violation"}


@pytest.mark.parametrize(
    "principal",
    [
        {"AWS": "arn:aws:iam::156460612806:root"},
        {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"},
    ],
    ids=["region-elb-account", "service-principal"],
)
def test_an_alb_access_log_bucket_needs_only_sse_s3_and_no_logging_of_its_own(principal):
    assert not {"AWS-S3-004", "AWS-S3-008"} & _on_alb_logs({**ELB_DELIVERY, "Principal": principal})


@pytest.mark.parametrize(
    "change",
    [{"Action": ["s3:PutObject", "s3:GetObject"]}, {"Resource": "arn:aws:s3:::alb-logs/*"}],
    ids=["more-than-put", "outside-awslogs"],
)
def test_a_wider_grant_does_not_make_a_bucket_an_alb_log_bucket(change):
    assert "AWS-S3-004" in _on_alb_logs({**ELB_DELIVERY, **change})
