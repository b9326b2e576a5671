"""IAM roles for Kubernetes service accounts (IRSA), each trusted by exactly one service account.

A role here can be assumed only with a web identity token that the cluster's OIDC provider issued
for one `system:serviceaccount:<namespace>:<name>` with the STS audience: a pod running under any
other service account, in any other namespace or cluster, cannot use it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

STS_AUDIENCE = "sts.amazonaws.com"


def service_account_subject(namespace: str, service_account: str) -> str:
    return f"system:serviceaccount:{namespace}:{service_account}"


def trust_policy(oidc_provider_arn: str, oidc_issuer: str, namespace: str, service_account: str) -> dict:
    """`oidc_issuer` without its https:// scheme, as IAM condition keys spell it."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": oidc_provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{oidc_issuer}:sub": service_account_subject(namespace, service_account),
                        f"{oidc_issuer}:aud": STS_AUDIENCE,
                    }
                },
            }
        ],
    }


def irsa_trust_policy(
    oidc_provider_arn: pulumi.Input[str], oidc_issuer: pulumi.Input[str], namespace: str, service_account: str
) -> pulumi.Output[str]:
    """The trust policy as JSON text, for roles built outside `irsa_role` (they carry their own policies)."""
    return pulumi.Output.all(oidc_provider_arn, oidc_issuer).apply(
        lambda parts: json.dumps(trust_policy(parts[0], parts[1], namespace, service_account))
    )


def irsa_role(
    name: str,
    *,
    parent: pulumi.Resource,
    oidc_provider_arn: pulumi.Input[str],
    oidc_issuer: pulumi.Input[str],
    namespace: str,
    service_account: str,
    tags: Mapping[str, str],
    managed_policy_arns: Sequence[str] = (),
    policy: pulumi.Input[dict[str, Any]] | None = None,
) -> aws.iam.Role:
    """A role for one service account, with AWS-managed policies and/or one inline policy document."""
    child = pulumi.ResourceOptions(parent=parent)
    role = aws.iam.Role(
        name,
        description=f"IRSA for {namespace}/{service_account}",
        assume_role_policy=irsa_trust_policy(oidc_provider_arn, oidc_issuer, namespace, service_account),
        max_session_duration=3600,
        tags=dict(tags),
        opts=child,
    )
    for index, policy_arn in enumerate(managed_policy_arns):
        aws.iam.RolePolicyAttachment(
            f"{name}-managed-{index}", role=role.name, policy_arn=policy_arn, opts=child
        )
    if policy is not None:
        aws.iam.RolePolicy(
            f"{name}-policy",
            role=role.id,
            policy=pulumi.Output.from_input(policy).apply(json.dumps),
            opts=child,
        )
    return role
