"""What the areas built so far, handed from one area's wiring to the next."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.app_buckets import BucketBinding
from components.kms import KmsKey
from components.namespace import ApiServerEndpoint
from components.network import Network
from stacks.config import StackConfig


@dataclass(frozen=True)
class ClusterHandle:
    """What downstream areas need from the cluster, whichever mode (EKS or local kind) built it."""

    k8s_provider: k8s.Provider
    storage_class_name: str
    app_namespace: str
    node_security_group_id: pulumi.Output[str] | None = None
    cluster_name: pulumi.Output[str] | None = None
    oidc_provider_arn: pulumi.Output[str] | None = None
    oidc_issuer: pulumi.Output[str] | None = None  # without the https:// scheme
    # Where pods reach the Kubernetes API (for the platform namespaces' egress policies).
    api_server: ApiServerEndpoint = field(default_factory=ApiServerEndpoint)


@dataclass(frozen=True)
class DatastoreHandle:
    """One data service as monitoring, alarms and backups see it, whichever backend served it."""

    kind: Literal["postgres", "redis", "kafka"]
    managed: bool
    endpoint: pulumi.Output[str]
    port: pulumi.Input[int]
    connection_secret_name: pulumi.Output[str]
    arn: pulumi.Output[str] | None = None
    # RDS instance identifier, ElastiCache replication group id, or MSK cluster name.
    resource_id: pulumi.Output[str] | None = None
    security_group_id: pulumi.Output[str] | None = None


@dataclass
class Platform:
    """The growing set of components of one stack. Areas read what earlier areas left here."""

    config: StackConfig
    aws_provider: aws.Provider | None = None
    kms: KmsKey | None = None
    network: Network | None = None
    cluster: ClusterHandle | None = None
    datastores: dict[str, DatastoreHandle] = field(default_factory=dict)
    components: dict[str, pulumi.ComponentResource] = field(default_factory=dict)
    # `<app>/<bucket>` -> what the app binds to (stacks.wiring.objects).
    bucket_bindings: dict[str, BucketBinding] = field(default_factory=dict)
    exports: dict[str, Any] = field(default_factory=dict)

    def aws_opts(self) -> pulumi.ResourceOptions:
        """Options for an AWS component: the stack's provider (region and default tags). Protection is
        the component's own `protect` arg, applied to its stateful children only."""
        if self.aws_provider is None:
            raise RuntimeError(f"{self.config.stack}: an AWS component was wired in a stack without AWS")
        return pulumi.ResourceOptions(providers={"aws": self.aws_provider})

    def k8s_opts(self) -> pulumi.ResourceOptions:
        """Options for a Kubernetes component: the cluster's provider, never the ambient kubeconfig."""
        if self.cluster is None:
            raise RuntimeError(f"{self.config.stack}: a Kubernetes component was wired before the cluster")
        return pulumi.ResourceOptions(providers={"kubernetes": self.cluster.k8s_provider})

    def aws_endpoint_cidrs(self) -> tuple[str, ...]:
        """The subnets holding the VPC's interface endpoints (STS, CloudWatch Logs, ECR), if it has any:
        pods reach AWS APIs there over HTTPS without leaving the VPC."""
        if self.network is None or not self.config.network.interface_endpoints:
            return ()
        return tuple(self.network.private_subnet_cidrs)
