"""Cluster config: EKS (version, endpoint, node groups, admins) or an existing local kind cluster,
the platform add-ons, and the app namespaces every environment gets."""

from __future__ import annotations

import ipaddress
import re
from typing import Literal

from pydantic import Field, field_validator

from components._lib.fields import LogRetentionDays
from stacks.config.base import ConfigModel
from stacks.config.errors import ConfigIssue

# Kubernetes versions in EKS standard support on 2026-11-25 (1.36 released on EKS 2026-06-02).
# A version outside this set is either unknown to EKS or costs extended-support rates.
SUPPORTED_KUBERNETES_VERSIONS = ("1.34", "1.35", "1.36")
DEFAULT_KUBERNETES_VERSION = "1.36"

_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_HOSTED_ZONE_ID = re.compile(r"^Z[A-Z0-9]{1,31}$")
_INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")
_QUANTITY = re.compile(r"^\d+(\.\d+)?(m|Ki|Mi|Gi|Ti)?$")


class NodeGroupConfig(ConfigModel):
    """One EKS managed node group; it spans every private subnet (one per AZ)."""

    instance_types: list[str] = Field(default_factory=lambda: ["t3.medium"], min_length=1)
    capacity_type: Literal["ON_DEMAND", "SPOT"] = "ON_DEMAND"
    min_size: int = Field(default=2, ge=0, le=450)
    max_size: int = Field(default=3, ge=1, le=450)
    desired_size: int = Field(default=2, ge=0, le=450)
    disk_size_gib: int = Field(default=50, ge=20, le=16384)
    labels: dict[str, str] = Field(default_factory=dict)

    @field_validator("instance_types")
    @classmethod
    def _types(cls, value: list[str]) -> list[str]:
        bad = [t for t in value if not _INSTANCE_TYPE.match(t)]
        if bad:
            raise ValueError(f"EC2 instance types such as t3.medium or m7i.large (not {bad})")
        return value


class ResourceQuotaConfig(ConfigModel):
    """Caps on what one app namespace may request in total."""

    requests_cpu: str = "4"
    requests_memory: str = "8Gi"
    limits_cpu: str = "8"
    limits_memory: str = "16Gi"
    pods: int = Field(default=50, ge=1)
    persistent_volume_claims: int = Field(default=10, ge=0)
    requests_storage: str = "200Gi"

    @field_validator("requests_cpu", "requests_memory", "limits_cpu", "limits_memory", "requests_storage")
    @classmethod
    def _quantity(cls, value: str) -> str:
        if not _QUANTITY.match(value):
            raise ValueError("a Kubernetes quantity such as 500m, 2, 512Mi or 8Gi")
        return value


class AddonsConfig(ConfigModel):
    """Which platform add-ons run and how; the chart versions are pinned in code, not config."""

    cert_manager_issuer: Literal["letsencrypt-staging", "letsencrypt-production", "self-signed"] = (
        "letsencrypt-staging"
    )
    acme_email: str | None = None
    hosted_zone_id: str | None = None
    domain: str | None = None
    load_balancer_scheme: Literal["internal", "internet-facing"] = "internal"
    high_availability: bool = False

    @field_validator("hosted_zone_id")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is not None and not _HOSTED_ZONE_ID.match(value):
            raise ValueError("a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ")
        return value


class ClusterConfig(ConfigModel):
    """The stack's Kubernetes cluster. `mode: local` uses an existing kind/minikube cluster and
    creates nothing in AWS; `mode: eks` builds EKS in the network's private subnets."""

    mode: Literal["eks", "local"] = "eks"
    kubernetes_version: str = DEFAULT_KUBERNETES_VERSION
    kube_context: str = "kind-groundwork"
    local_storage_class: str = "standard"
    endpoint_public_access_cidrs: list[str] = Field(default_factory=list)
    admin_role_arns: list[str] = Field(default_factory=list)
    grant_deployer_admin: bool = True
    support_type: Literal["STANDARD", "EXTENDED"] = "STANDARD"
    deletion_protection: bool = False
    log_retention_days: LogRetentionDays = 90
    node_imds_hop_limit: Literal[1, 2] = 1
    # `platform`: node root volumes use the stack's KMS key, which then names the account's Auto
    # Scaling service-linked role (it must exist: see docs/runbooks/deploy.md). `aws-managed`: the
    # account's aws/ebs key, for an account where that role cannot be created yet.
    node_volume_key: Literal["platform", "aws-managed"] = "platform"
    node_groups: dict[str, NodeGroupConfig] = Field(default_factory=lambda: {"general": NodeGroupConfig()})
    storage_reclaim_policy: Literal["Retain", "Delete"] = "Retain"
    app_namespaces: list[str] = Field(default_factory=lambda: ["apps"], min_length=1)
    namespace_quota: ResourceQuotaConfig = Field(default_factory=ResourceQuotaConfig)
    addons: AddonsConfig = Field(default_factory=AddonsConfig)

    @field_validator("kubernetes_version")
    @classmethod
    def _version(cls, value: str) -> str:
        if value not in SUPPORTED_KUBERNETES_VERSIONS:
            raise ValueError(
                f"one of the EKS standard-support versions {', '.join(SUPPORTED_KUBERNETES_VERSIONS)}"
            )
        return value

    @field_validator("endpoint_public_access_cidrs")
    @classmethod
    def _cidrs(cls, value: list[str]) -> list[str]:
        for cidr in value:
            try:
                network = ipaddress.ip_network(cidr, strict=True)
            except ValueError:
                raise ValueError(f"CIDRs such as 203.0.113.0/24 ({cidr!r} is not one)") from None
            if network.prefixlen == 0:
                raise ValueError(f"{cidr} opens the API to the whole internet; list your office/VPN ranges")
        return value

    @field_validator("admin_role_arns")
    @classmethod
    def _roles(cls, value: list[str]) -> list[str]:
        bad = [arn for arn in value if not _ROLE_ARN.match(arn)]
        if bad:
            raise ValueError(
                f"IAM role ARNs such as arn:aws:iam::123456789012:role/platform-admin (not {bad})"
            )
        return value

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
    """Rules across cluster keys; each issue names the key a user has to change."""
    issues: list[ConfigIssue] = []
    if not on_aws and cluster.mode != "local":
        issues.append(
            ConfigIssue(
                "cluster.mode", cluster.mode, "must be 'local' in the local stack: it has no AWS account"
            )
        )
    if on_aws and cluster.mode != "eks":
        issues.append(ConfigIssue("cluster.mode", cluster.mode, "must be 'eks' in an AWS environment"))
    for group, ng in cluster.node_groups.items():
        path = f"cluster.nodeGroups.{group}"
        if ng.min_size > ng.max_size:
            issues.append(
                ConfigIssue(f"{path}.minSize", ng.min_size, f"must not exceed maxSize ({ng.max_size})")
            )
        if not ng.min_size <= ng.desired_size <= ng.max_size:
            issues.append(
                ConfigIssue(
                    f"{path}.desiredSize",
                    ng.desired_size,
                    f"must lie between minSize ({ng.min_size}) and maxSize ({ng.max_size})",
                )
            )
        if not _DNS_LABEL.match(group):
            issues.append(
                ConfigIssue(
                    "cluster.nodeGroups",
                    group,
                    "node group names are DNS labels (lowercase letters, digits, '-')",
                )
            )
    if on_aws and not cluster.node_groups:
        issues.append(ConfigIssue("cluster.nodeGroups", {}, "needs at least one node group"))
    addons = cluster.addons
    if (addons.hosted_zone_id is None) != (addons.domain is None):
        issues.append(
            ConfigIssue(
                "cluster.addons.hostedZoneId",
                addons.hosted_zone_id,
                "hostedZoneId and domain go together (external-dns manages that zone's domain)",
            )
        )
    if environment == "prod":
        if not cluster.deletion_protection:
            issues.append(
                ConfigIssue(
                    "cluster.deletionProtection", False, "prod clusters keep EKS deletion protection on"
                )
            )
        if cluster.node_groups and all(ng.capacity_type == "SPOT" for ng in cluster.node_groups.values()):
            issues.append(
                ConfigIssue("cluster.nodeGroups", "SPOT only", "prod needs at least one ON_DEMAND node group")
            )
    return issues
