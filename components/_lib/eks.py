"""EKS facts and documents the cluster component needs, with no resources: the add-on versions pinned
per Kubernetes minor version, the kubeconfig it hands out, and its IAM policy documents."""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True)
class AddonVersions:
    """EKS managed add-on versions that go with one Kubernetes minor version."""

    vpc_cni: str
    kube_proxy: str
    coredns: str
    ebs_csi_driver: str


# Latest add-on builds per Kubernetes version in the Amazon EKS user guide tables
# (managing-kube-proxy, managing-coredns); vpc-cni and the EBS CSI driver are version-independent.
ADDON_VERSIONS: dict[str, AddonVersions] = {
    "1.36": AddonVersions(
        vpc_cni="v1.23.1-eksbuild.1",
        kube_proxy="v1.36.0-eksbuild.14",
        coredns="v1.14.3-eksbuild.3",
        ebs_csi_driver="v1.66.0-eksbuild.1",
    ),
    "1.35": AddonVersions(
        vpc_cni="v1.23.1-eksbuild.1",
        kube_proxy="v1.35.3-eksbuild.13",
        coredns="v1.14.3-eksbuild.3",
        ebs_csi_driver="v1.66.0-eksbuild.1",
    ),
    "1.34": AddonVersions(
        vpc_cni="v1.23.1-eksbuild.1",
        kube_proxy="v1.34.6-eksbuild.13",
        coredns="v1.13.2-eksbuild.11",
        ebs_csi_driver="v1.66.0-eksbuild.1",
    ),
}


# Kubernetes versions in EKS standard support on 2026-11-25 (1.36 released on EKS 2026-06-02): the
# ones with pinned add-on versions above. A version outside this set is either unknown to EKS or
# costs extended-support rates.
SUPPORTED_KUBERNETES_VERSIONS = tuple(sorted(ADDON_VERSIONS, key=lambda v: tuple(map(int, v.split(".")))))
DEFAULT_KUBERNETES_VERSION = "1.36"


def kubeconfig_for(name: str, endpoint: str, ca_data: str, region: str) -> str:
    """A kubeconfig that gets short-lived tokens from `aws eks get-token`: no credential inside,
    and nothing in it changes between runs, so the Provider built from it does not churn."""
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "current-context": name,
            "preferences": {},
            "clusters": [
                {"name": name, "cluster": {"server": endpoint, "certificate-authority-data": ca_data}}
            ],
            "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
            "users": [
                {
                    "name": name,
                    "user": {
                        "exec": {
                            "apiVersion": "client.authentication.k8s.io/v1beta1",
                            "command": "aws",
                            "args": [
                                "--region",
                                region,
                                "eks",
                                "get-token",
                                "--cluster-name",
                                name,
                                "--output",
                                "json",
                            ],
                            "interactiveMode": "Never",
                        }
                    },
                }
            ],
        }
    )


def cluster_kms_policy(key_arn: str) -> dict:
    """Secrets envelope encryption: the control plane uses the platform key through its role."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Resource": key_arn,
                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"],
            }
        ],
    }


def ebs_kms_policy(key_arn: str) -> dict:
    """The EBS CSI driver creates volumes encrypted with the platform key, so it may use that key
    (grants only for AWS resources, i.e. the EBS volumes themselves)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Resource": key_arn,
                "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
                "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
            },
            {
                "Effect": "Allow",
                "Resource": key_arn,
                "Action": [
                    "kms:Encrypt",
                    "kms:Decrypt",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:DescribeKey",
                ],
            },
        ],
    }
