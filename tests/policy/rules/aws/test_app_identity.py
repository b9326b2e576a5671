"""policy/rules/aws/app_identity.py: AWS-IRSA-001 fires on an app role that anything but its own
ServiceAccount could assume, and stays silent on the compliant app stack."""

from __future__ import annotations

import pytest

from tests.policy._cases import res
from tests.policy.rules.k8s.test_apps import (
    APP,
    PROVIDER_ARN,
    ROLE,
    SERVICE_ACCOUNT,
    app_stack,
    fired_app_rules,
    trust,
    with_trust,
)

# --- AWS-IRSA-001: each app role trusts its own service account -----------------------------------


@pytest.mark.parametrize(
    "policy",
    [
        trust(operator="StringLike"),
        trust("system:serviceaccount:apps:*"),
        trust(["system:serviceaccount:apps:api", "system:serviceaccount:apps:web"]),
        trust(aud=False),
        trust(
            extra=[
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                    "Action": "sts:AssumeRole",
                }
            ]
        ),
        trust("system:serviceaccount:apps:ghost"),
    ],
    ids=[
        "string-like",
        "wildcard-subject",
        "two-subjects",
        "no-audience",
        "second-statement",
        "unknown-account",
    ],
)
def test_an_app_role_that_more_than_its_service_account_can_assume_fires(policy):
    assert fired_app_rules(with_trust(app_stack(), policy)) == {"AWS-IRSA-001"}


def test_a_role_federated_to_another_clusters_provider_fires():
    other = trust().replace(
        PROVIDER_ARN, "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/FFFF"
    )
    resources = [
        {**r, "propertyDependencies": {}} if r["name"] == "api-role" else r
        for r in with_trust(app_stack(), other)
    ]
    assert fired_app_rules(resources) == {"AWS-IRSA-001"}


def test_a_role_that_trusts_another_apps_service_account_fires():
    resources = [
        *app_stack(),
        res(APP, "web"),
        res(SERVICE_ACCOUNT, "web-sa", {"metadata": {"name": "web", "namespace": "apps"}}, parent="web"),
    ]
    assert fired_app_rules(with_trust(resources, trust("system:serviceaccount:apps:web"))) == {"AWS-IRSA-001"}


def test_a_platform_role_for_the_app_namespace_is_not_an_app_role():
    """Like the Kafka exporter's: its service account comes from a chart, and AWS-IAM-006 judges it."""
    exporter = res(
        ROLE,
        "kafka-exporter-role",
        {"assumeRolePolicy": trust("system:serviceaccount:apps:kafka-exporter")},
        propertyDependencies={"assumeRolePolicy": ["cluster-oidc"]},
    )
    assert fired_app_rules([*app_stack(), exporter]) == set()


def test_platform_roles_of_platform_namespaces_are_not_app_roles():
    resources = with_trust(
        app_stack(), trust("system:serviceaccount:external-secrets:*"), "external-secrets-role"
    )
    assert "AWS-IRSA-001" not in fired_app_rules(resources)
