"""Cluster config: which cluster the stack runs on (EKS or an existing local kind cluster), its
settings (the components' own models), the platform add-ons and the app namespaces every environment
gets, and the rules that depend on the environment."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from components.addons import AddonsSettings
from components.cluster import EksClusterSettings
from components.local_cluster import LocalClusterSettings
from components.namespace import ResourceQuotaArgs
from stacks.config.errors import ConfigIssue

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


class ClusterConfig(EksClusterSettings, LocalClusterSettings):
    """`groundwork:cluster`. `mode: local` uses an existing kind/minikube cluster (kubeContext,
    localStorageClass) and creates nothing in AWS; `mode: eks` builds EKS in the private subnets."""

    mode: Literal["eks", "local"] = Field(
        default="eks", description="`eks` on AWS stacks; `local` uses an existing kind/minikube cluster."
    )
    app_namespaces: list[str] = Field(
        default_factory=lambda: ["apps"],
        min_length=1,
        description="Application namespaces: restricted, default-deny, with the quota below; the first "
        "holds the data services' connection Secrets.",
    )
    namespace_quota: ResourceQuotaArgs = Field(
        default_factory=ResourceQuotaArgs, description="The ResourceQuota of every app namespace."
    )
    addons: AddonsSettings = Field(default_factory=AddonsSettings, description="The platform add-ons.")

    @field_validator("app_namespaces")
    @classmethod
    def _namespaces(cls, value: list[str]) -> list[str]:
        bad = [n for n in value if not _DNS_LABEL.match(n) or n.startswith("kube-") or n == "default"]
        if bad:
            raise ValueError(f"DNS labels (lowercase, digits, '-'), not default or kube-* (not {bad})")
        if len(set(value)) != len(value):
            raise ValueError("namespace names must be distinct")
        return value


def cluster_issues(cluster: ClusterConfig, environment: str, on_aws: bool) -> list[ConfigIssue]:
    """Rules that depend on the environment; each issue names the key a user has to change."""
    issues: list[ConfigIssue] = []
    if not on_aws and cluster.mode != "local":
        issues.append(
            ConfigIssue(
                "cluster.mode", cluster.mode, "must be 'local' in the local stack: it has no AWS account"
            )
        )
    if on_aws and cluster.mode != "eks":
        issues.append(ConfigIssue("cluster.mode", cluster.mode, "must be 'eks' in an AWS environment"))
    if environment == "prod":
        if not cluster.deletion_protection:
            issues.append(
                ConfigIssue(
                    "cluster.deletionProtection", False, "prod clusters keep EKS deletion protection on"
                )
            )
        if all(ng.capacity_type == "SPOT" for ng in cluster.node_groups.values()):
            issues.append(
                ConfigIssue("cluster.nodeGroups", "SPOT only", "prod needs at least one ON_DEMAND node group")
            )
    return issues
