"""Every IAM, KMS, logging, Secrets Manager and SNS rule fires on a minimal bad resource and stays
silent on a good one, through the pack's analyzer, in prod."""

import json

import pytest

from policy.testing import evaluate_resource, evaluate_stack, rule_ids

KEY = "aws:kms/key:Key"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ROLE = "aws:iam/role:Role"
POLICY = "aws:iam/policy:Policy"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
SECRET = "aws:secretsmanager/secret:Secret"
TOPIC = "aws:sns/topic:Topic"


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*", **extra):
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


GOOD_KEY_POLICY = doc(
    {
        "Sid": "Root",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
        "Action": "kms:*",
        "Resource": "*",
    }
)
SERVICE_TRUST = doc(
    {"Effect": "Allow", "Principal": {"Service": "vpc-flow-logs.amazonaws.com"}, "Action": "sts:AssumeRole"}
)
IRSA = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC"


def irsa_trust(condition):
    return doc(
        {
            "Effect": "Allow",
            "Principal": {"Federated": IRSA},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": condition,
        }
    )


RESOURCE_CASES = [
    (
        "AWS-KMS-001",
        KEY,
        {"enableKeyRotation": False},
        {"enableKeyRotation": True, "rotationPeriodInDays": 365.0},
    ),
    (
        "AWS-KMS-001",
        KEY,
        {"enableKeyRotation": True, "rotationPeriodInDays": 730.0},
        {"enableKeyRotation": False, "customerMasterKeySpec": "RSA_2048"},
    ),
    ("AWS-KMS-002", KEY, {"description": "k"}, {"policy": GOOD_KEY_POLICY}),
    (
        "AWS-KMS-002",
        KEY,
        {"policy": doc({"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"})},
        {
            "policy": doc(
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "kms:Decrypt",
                    "Resource": "*",
                    "Condition": {"StringEquals": {"kms:CallerAccount": "123456789012"}},
                }
            )
        },
    ),
    ("AWS-KMS-003", KEY, {"bypassPolicyLockoutSafetyCheck": True}, {"bypassPolicyLockoutSafetyCheck": False}),
    ("AWS-KMS-004", KEY, {"deletionWindowInDays": 7.0}, {"deletionWindowInDays": 30.0}),
    ("AWS-KMS-004", KEY, {"isEnabled": False}, {"isEnabled": True}),
    ("AWS-KMS-005", KEY, {"description": " "}, {"description": "encrypts the prod databases"}),
    ("AWS-CW-001", LOG_GROUP, {"kmsKeyId": "k"}, {"retentionInDays": 365.0}),
    ("AWS-CW-001", LOG_GROUP, {"retentionInDays": 30.0}, {"retentionInDays": 3653.0}),
    ("AWS-CW-002", LOG_GROUP, {"retentionInDays": 365.0}, {"kmsKeyId": "arn:aws:kms:eu-west-1:1:key/k"}),
    (
        "AWS-CW-003",
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        {"actionsEnabled": True},
        {"alarmActions": ["arn:aws:sns:eu-west-1:1:alerts"]},
    ),
    (
        "AWS-CW-003",
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        {"actionsEnabled": False, "alarmActions": ["arn:aws:sns:eu-west-1:1:alerts"]},
        {"actionsEnabled": True, "alarmActions": ["arn:aws:sns:eu-west-1:1:alerts"]},
    ),
    (
        "AWS-IAM-001",
        POLICY,
        {"policy": doc(allow("*"))},
        {"policy": doc(allow("logs:PutLogEvents", "arn:logs"))},
    ),
    (
        "AWS-IAM-001",
        ROLE,
        {"assumeRolePolicy": SERVICE_TRUST, "inlinePolicies": [{"name": "x", "policy": doc(allow(["*"]))}]},
        {
            "assumeRolePolicy": SERVICE_TRUST,
            "inlinePolicies": [{"name": "x", "policy": doc(allow("s3:GetObject", "arn:b/*"))}],
        },
    ),
    (
        "AWS-IAM-002",
        ROLE_POLICY,
        {"policy": doc(allow("s3:*", "arn:aws:s3:::b"))},
        {"policy": doc(allow(["s3:GetObject", "s3:PutObject"], "arn:aws:s3:::b/*"))},
    ),
    (
        "AWS-IAM-003",
        POLICY,
        {"policy": doc(allow("logs:PutLogEvents"))},
        {"policy": doc(allow(["ec2:DescribeInstances", "sts:GetCallerIdentity"]))},
    ),
    (
        "AWS-IAM-003",
        POLICY,
        {"policy": doc(allow("kms:Decrypt"))},
        {
            "policy": doc(
                allow(
                    "kms:Decrypt",
                    Condition={"StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}},
                )
            )
        },
    ),
    (
        "AWS-IAM-004",
        POLICY,
        {"policy": doc(allow("iam:PassRole"))},
        {"policy": doc(allow("iam:PassRole", "arn:aws:iam::1:role/node"))},
    ),
    (
        "AWS-IAM-004",
        ROLE_POLICY,
        {"policy": doc(allow("iam:Put*"))},
        {"policy": doc(allow("iam:Put*", "arn:aws:iam::1:role/app"))},
    ),
    (
        "AWS-IAM-005",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        {"policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
        {"policyArn": "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"},
    ),
    (
        "AWS-IAM-005",
        ROLE,
        {
            "assumeRolePolicy": SERVICE_TRUST,
            "managedPolicyArns": ["arn:aws:iam::aws:policy/AmazonS3FullAccess"],
        },
        {"assumeRolePolicy": SERVICE_TRUST, "managedPolicyArns": ["arn:aws:iam::123456789012:policy/app"]},
    ),
    (
        "AWS-IAM-006",
        ROLE,
        {"assumeRolePolicy": doc({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"})},
        {"assumeRolePolicy": SERVICE_TRUST},
    ),
    (
        "AWS-IAM-006",
        ROLE,
        {
            "assumeRolePolicy": doc(
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                    "Action": "sts:AssumeRole",
                }
            )
        },
        {
            "assumeRolePolicy": doc(
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                    "Action": "sts:AssumeRole",
                    "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
                }
            )
        },
    ),
    (
        "AWS-IAM-006",
        ROLE,
        {"assumeRolePolicy": irsa_trust({"StringEquals": {"oidc.eks/id/ABC:aud": "sts.amazonaws.com"}})},
        {
            "assumeRolePolicy": irsa_trust(
                {
                    "StringEquals": {
                        "oidc.eks/id/ABC:aud": "sts.amazonaws.com",
                        "oidc.eks/id/ABC:sub": "system:serviceaccount:kube-system:ebs-csi",
                    }
                }
            )
        },
    ),
    ("AWS-IAM-007", "aws:iam/user:User", {"name": "deployer"}, None),
    ("AWS-IAM-007", "aws:iam/accessKey:AccessKey", {"user": "deployer"}, None),
    (
        "AWS-IAM-009",
        "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
        {
            "url": "https://oidc.eks.eu-west-1.amazonaws.com/id/ABC",
            "clientIdLists": ["sts.amazonaws.com", "my-app"],
        },
        {"url": "https://oidc.eks.eu-west-1.amazonaws.com/id/ABC", "clientIdLists": ["sts.amazonaws.com"]},
    ),
    ("AWS-SM-001", SECRET, {"description": "db"}, {"description": "db", "kmsKeyId": "arn:k"}),
    (
        "AWS-SM-003",
        SECRET,
        {"kmsKeyId": "arn:k"},
        {"kmsKeyId": "arn:k", "description": "Grafana admin password"},
    ),
    ("AWS-SNS-001", TOPIC, {"name": "alerts"}, {"name": "alerts", "kmsMasterKeyId": "arn:k"}),
    (
        "AWS-SNS-002",
        "aws:sns/topicPolicy:TopicPolicy",
        {
            "arn": "arn:t",
            "policy": doc(
                {"Effect": "Allow", "Principal": "*", "Action": "sns:Publish", "Resource": "arn:t"}
            ),
        },
        {
            "arn": "arn:t",
            "policy": doc(
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudwatch.amazonaws.com"},
                    "Action": "sns:Publish",
                    "Resource": "arn:t",
                }
            ),
        },
    ),
]


@pytest.mark.parametrize(
    "rule,type_,bad,good", RESOURCE_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(RESOURCE_CASES)]
)
def test_resource_rule_fires_on_bad(rule, type_, bad, good):
    assert rule in rule_ids(evaluate_resource(type_, bad))


@pytest.mark.parametrize(
    "rule,type_,bad,good",
    [c for c in RESOURCE_CASES if c[3] is not None],
    ids=[f"{c[0]}-{i}" for i, c in enumerate(RESOURCE_CASES) if c[3] is not None],
)
def test_resource_rule_silent_on_good(rule, type_, bad, good):
    assert rule not in rule_ids(evaluate_resource(type_, good))


def test_retention_minimum_comes_from_the_environment_config():
    assert "AWS-CW-001" not in rule_ids(
        evaluate_resource(LOG_GROUP, {"retentionInDays": 30.0}, environment="dev")
    )


def test_dev_config_allows_a_seven_day_key_deletion_window():
    assert "AWS-KMS-004" not in rule_ids(
        evaluate_resource(KEY, {"deletionWindowInDays": 7.0}, environment="dev")
    )


def role_stack(role_props, *extra):
    return [
        {"type": ROLE, "name": "role", "props": {"assumeRolePolicy": SERVICE_TRUST, **role_props}},
        *extra,
    ]


def test_role_policies_managed_in_one_place_passes_attachments_alone():
    attachment = {
        "type": "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        "name": "att",
        "props": {"policyArn": "arn:aws:iam::1:policy/p"},
        "deps": {"role": ["role"]},
    }
    assert "AWS-IAM-008" not in rule_ids(evaluate_stack(role_stack({}, attachment)))


def test_role_with_exclusive_list_and_an_attachment_fires():
    attachment = {
        "type": ROLE_POLICY,
        "name": "inline",
        "props": {"policy": doc(allow("s3:GetObject", "arn:b"))},
        "deps": {"role": ["role"]},
    }
    assert "AWS-IAM-008" in rule_ids(evaluate_stack(role_stack({"managedPolicyArns": []}, attachment)))


def secret_stack(rotation_rules=None):
    secret = {"type": SECRET, "name": "db-secret", "props": {"kmsKeyId": "k", "description": "db"}}
    if rotation_rules is None:
        return [secret]
    rotation = {
        "type": "aws:secretsmanager/secretRotation:SecretRotation",
        "name": "rot",
        "props": {"rotationRules": rotation_rules},
        "deps": {"secretId": ["db-secret"]},
    }
    return [secret, rotation]


@pytest.mark.parametrize(
    "rules,fires",
    [
        (None, True),
        ({"automaticallyAfterDays": 180.0}, True),
        ({"automaticallyAfterDays": 30.0}, False),
        ({"scheduleExpression": "rate(30 days)"}, False),
    ],
)
def test_secret_rotation(rules, fires):
    assert ("AWS-SM-002" in rule_ids(evaluate_stack(secret_stack(rules)))) is fires
