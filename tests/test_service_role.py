"""Service roles: every role an AWS service assumes is limited to this account (and, for EKS, to its
one cluster), except for the two services that send no source keys, each with its reason."""

from __future__ import annotations

import json

import pytest

from components.service_role import service_role, service_trust_policy
from tests.conftest import run_component

ROLE = "aws:iam/role:Role"
# Services that do not send aws:SourceAccount when they assume a role: a condition would lock them out.
UNCONDITIONED = {
    "ec2.amazonaws.com",
    "backup.amazonaws.com",
    "cloudtrail.amazonaws.com",
    "events.amazonaws.com",
}


def _service_trusts(capture):
    for role in capture.of_type(ROLE):
        (statement,) = json.loads(role.props["assumeRolePolicy"])["Statement"]
        service = statement["Principal"].get("Service")
        if service is not None:
            yield role, service, statement


def test_trust_is_limited_to_the_account():
    (statement,) = service_trust_policy("rds.amazonaws.com", "123456789012")["Statement"]
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
    assert statement["Action"] == "sts:AssumeRole"


def test_a_source_arn_narrows_the_trust_to_one_resource():
    (statement,) = service_trust_policy(
        "eks.amazonaws.com", "123456789012", source_arn="arn:aws:eks:eu-west-1:123456789012:cluster/c"
    )["Statement"]
    assert statement["Condition"]["ArnLike"] == {
        "aws:SourceArn": "arn:aws:eks:eu-west-1:123456789012:cluster/c"
    }
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}


def test_a_role_is_conditioned_unless_the_caller_says_why_not():
    capture = run_component(lambda: service_role("r", service="rds.amazonaws.com", parent=None, tags={}).arn)
    (role,) = capture.of_type(ROLE)
    (statement,) = json.loads(role.props["assumeRolePolicy"])["Statement"]
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}


def test_fails_when_an_unconditioned_trust_gives_no_reason():
    with pytest.raises(ValueError, match="needs a reason"):
        run_component(
            lambda: (
                service_role(
                    "r", service="ec2.amazonaws.com", parent=None, tags={}, unconditioned_because=" "
                ).arn
            )
        )


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_service_role_is_limited_to_the_account_or_says_why_not(captured, stack):
    trusts = list(_service_trusts(captured(stack)))
    assert {service for _, service, _ in trusts} >= {"eks.amazonaws.com", "backup.amazonaws.com"}
    for role, service, statement in trusts:
        if service in UNCONDITIONED:
            assert "Condition" not in statement, role.name
        else:
            assert statement["Condition"]["StringEquals"]["aws:SourceAccount"] == "123456789012", role.name


def test_the_eks_cluster_role_trusts_only_its_own_cluster(captured):
    (role,) = [r for r, service, _ in _service_trusts(captured("prod")) if service == "eks.amazonaws.com"]
    (statement,) = json.loads(role.props["assumeRolePolicy"])["Statement"]
    assert statement["Condition"]["ArnLike"] == {
        "aws:SourceArn": "arn:aws:eks:eu-west-1:123456789012:cluster/groundwork-prod"
    }
