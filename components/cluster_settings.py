"""What a stack may say about its EKS cluster (`groundwork:cluster` on AWS): the cluster's and each node
group's settings, their bounds, secure defaults and the checks AWS would otherwise make only minutes
into `pulumi up`. components.cluster builds the cluster from them.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from components._lib import aws_values
from components._lib.args import ComponentArgs, SettingError
from components._lib.eks import (
    DEFAULT_KUBERNETES_VERSION,
    SUPPORTED_KUBERNETES_VERSIONS,
)
from components._lib.fields import LogRetentionDays

_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


def _is_instance_type(value: str) -> bool:
    try:
        aws_values.ec2_instance_type(value)
    except ValueError:
        return False
    return True


_INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")


class NodeGroupSettings(ComponentArgs):
    """One managed node group (Amazon Linux 2023, x86_64) spread over all private subnets.

    The defaults are prod's general group: 3-10 x t3.large across three AZs, five to start (seed plan
    "Nodes: 5 (auto-scaling 3-10)")."""

    instance_types: list[str] = Field(
        default_factory=lambda: ["t3.large"],
        min_length=1,
        description="EC2 instance types; more than one lets Spot or the autoscaler pick what is available.",
    )
    capacity_type: Literal["ON_DEMAND", "SPOT"] = Field(
        default="ON_DEMAND", description="ON_DEMAND; SPOT is cheaper and can be interrupted at any time."
    )
    min_size: int = Field(default=3, ge=0, le=450, description="The fewest nodes the autoscaler keeps.")
    max_size: int = Field(default=10, ge=1, le=450, description="The most nodes the autoscaler may add.")
    desired_size: int = Field(
        default=5,
        ge=0,
        le=450,
        description="Nodes to start with; later changes by the autoscaler are not reverted by `pulumi up`.",
    )
    disk_size_gib: int = Field(
        default=100, ge=20, le=16384, description="The gp3 root volume of each node, always encrypted."
    )
    labels: dict[str, str] = Field(default_factory=dict, description="Kubernetes labels on every node.")

    @field_validator("instance_types")
    @classmethod
    def _types(cls, value: list[str]) -> list[str]:
        bad = [t for t in value if not _INSTANCE_TYPE.fullmatch(t)]
        unknown = [t for t in value if t not in bad and not _is_instance_type(t)]
        if bad or unknown:
            raise ValueError(f"EC2 instance types such as t3.medium or m7i.large (not {bad + unknown})")
        return value

    @field_validator("labels")
    @classmethod
    def _labels(cls, value: dict[str, str]) -> dict[str, str]:
        """EKS's limits on node labels (its API model) and Kubernetes' label syntax."""
        for key, label in value.items():
            aws_values.node_label_key(key)
            aws_values.node_label_value(label)
        return value

    @model_validator(mode="after")
    def _bounds(self) -> NodeGroupSettings:
        if self.min_size > self.max_size:
            raise SettingError("minSize", self.min_size, f"must not exceed maxSize ({self.max_size})")
        if not self.min_size <= self.desired_size <= self.max_size:
            raise SettingError(
                "desiredSize",
                self.desired_size,
                f"must lie between minSize ({self.min_size}) and maxSize ({self.max_size})",
            )
        return self


class EksClusterSettings(ComponentArgs):
    """How the EKS cluster looks: the EKS keys of `groundwork:cluster`. Defaults are prod's shape."""

    kubernetes_version: str = Field(
        default=DEFAULT_KUBERNETES_VERSION,
        description="The Kubernetes minor version, pinned: an unpinned cluster upgrades by surprise. "
        "The managed add-ons and the autoscaler image follow it.",
    )
    endpoint_public_access_cidrs: list[str] = Field(
        default_factory=list,
        description="Empty keeps the API private to the VPC; listing CIDRs (your VPN or office) opens "
        "the public endpoint to those ranges only, never to 0.0.0.0/0.",
    )
    admin_role_arns: list[str] = Field(
        default_factory=list, description="IAM roles that get cluster-admin through an access entry."
    )
    grant_deployer_admin: bool = Field(
        default=True,
        description="The identity running Pulumi gets an explicit, visible access entry (instead of "
        "EKS's hidden creator-admin bootstrap), because Pulumi itself must reach the API to install the "
        "add-ons. Do not also list that role in adminRoleArns (EKS allows one entry per principal).",
    )
    support_type: Literal["STANDARD", "EXTENDED"] = Field(
        default="STANDARD",
        description="EXTENDED bills six times the control-plane rate once a version leaves standard "
        "support, so it has to be chosen on purpose.",
    )
    deletion_protection: bool = Field(
        default=True, description="EKS refuses to delete the cluster until this is turned off."
    )
    log_retention_days: LogRetentionDays = Field(
        default=365, description="How long the control-plane logs (all five types) are kept."
    )
    node_imds_hop_limit: Literal[1, 2] = Field(
        default=1,
        description="1 keeps pods away from the node's instance metadata (its IAM role); 2 only for "
        "workloads that must read IMDS from a pod.",
    )
    # `platform`: node root volumes use the stack's KMS key, which then names the account's Auto
    # Scaling service-linked role (it must exist: see docs/runbooks/deploy.md). `aws-managed`: the
    # account's aws/ebs key, for an account where that role cannot be created yet.
    node_volume_key: Literal["platform", "aws-managed"] = Field(
        default="platform",
        description="`platform`: node root volumes use the stack's KMS key (the account's Auto Scaling "
        "service-linked role must exist); `aws-managed`: the account's aws/ebs key.",
    )
    node_groups: dict[str, NodeGroupSettings] = Field(
        default_factory=lambda: {"general": NodeGroupSettings()},
        description="Managed node groups by name (a DNS label); each spans every private subnet.",
    )
    storage_reclaim_policy: Literal["Retain", "Delete"] = Field(
        default="Retain",
        description="What happens to a volume of the default StorageClass when its claim is deleted; "
        "Retain keeps the data.",
    )

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
            if network.version != 4:
                raise ValueError(
                    f"{cidr} is IPv6: the cluster is IPv4, so it would never match; give IPv4 ranges"
                )
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

    @model_validator(mode="after")
    def _node_groups(self) -> EksClusterSettings:
        if not self.node_groups:
            raise SettingError("nodeGroups", {}, "needs at least one node group")
        for group in self.node_groups:
            if not _DNS_LABEL.match(group):
                raise SettingError(
                    "nodeGroups", group, "node group names are DNS labels (lowercase letters, digits, '-')"
                )
        return self
