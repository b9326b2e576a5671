"""IAM roles for Kubernetes service accounts (IRSA): a trust policy that admits exactly one
service account of one cluster, so a pod gets AWS credentials without any static key."""

from __future__ import annotations

import json

import pulumi


def irsa_trust_policy(oidc_provider_arn: pulumi.Input[str], oidc_issuer: pulumi.Input[str],
                      namespace: str, service_account: str) -> pulumi.Output[str]:
    """Trust policy for `namespace/service_account`; `oidc_issuer` is the issuer without https://."""
    def policy(parts: list[str]) -> str:
        provider_arn, issuer = parts
        return json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": provider_arn},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {
                f"{issuer}:sub": f"system:serviceaccount:{namespace}:{service_account}",
                f"{issuer}:aud": "sts.amazonaws.com"}},
        }]})
    return pulumi.Output.all(oidc_provider_arn, oidc_issuer).apply(policy)
