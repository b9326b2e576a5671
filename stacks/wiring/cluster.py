"""The Kubernetes cluster (EKS or local kind), its platform add-ons and the app namespaces.

Downstream areas get `platform.cluster` (a ClusterHandle). Its `k8s_provider` is gated: resources
that use it wait until the app namespaces, the default StorageClass and the add-ons (cert-manager,
external-secrets CRDs) exist, so data services and monitoring never race the platform on a first
`pulumi up`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.addons import AwsIntegration, PlatformAddons, PlatformAddonsArgs
from components.cluster import EksCluster, EksClusterArgs
from components.local_cluster import LocalCluster, LocalClusterArgs
from components.monitoring import prometheus_peer
from components.namespace import (
    PRIVATE_RANGES,
    ApiServerEndpoint,
    AppNamespace,
    AppNamespaceArgs,
    aws_api_egress,
    environment_labels,
)
from stacks.config import StackConfig
from stacks.wiring.edge import hosted_zone
from stacks.wiring.platform import ClusterHandle, Platform


def cluster_name(config: StackConfig) -> str:
    return f"groundwork-{config.stack}"


def secrets_path(config: StackConfig) -> str:
    """The Secrets Manager name prefix this stack's workloads may read through external-secrets."""
    return f"groundwork/{config.stack}/"


@dataclass(frozen=True)
class _Built:
    """What either kind of cluster hands the rest of the cluster step."""

    component: pulumi.ComponentResource
    provider: k8s.Provider
    storage_class: str
    addons_opts: pulumi.ResourceOptions
    aws: AwsIntegration | None
    handle_extras: dict[str, Any]
    # How the downstream provider reaches the same cluster: a kubeconfig context or the kubeconfig.
    target: dict[str, Any]


def wire_cluster(platform: Platform) -> None:
    config = platform.config
    spec = config.cluster
    if spec.mode == "local":
        built = _local(platform)
    elif platform.network is None or platform.kms is None:
        return
    else:
        built = _eks_cluster(platform)
    platform.components["cluster"] = built.component
    addons = PlatformAddons(
        f"{config.stack}-addons",
        PlatformAddonsArgs(
            settings=spec.addons,
            aws=built.aws,
            tags=config.standard_tags if config.on_aws else {},
            environment=config.environment,
            metrics_scraper=prometheus_peer() if config.monitoring.enabled else None,
            zone=hosted_zone(platform),
        ),
        opts=built.addons_opts,
    )
    platform.components["addons"] = addons

    endpoint_cidrs = platform.aws_endpoint_cidrs()
    namespaces = [
        _app_namespace(config, name, built.provider, endpoint_cidrs) for name in spec.app_namespaces
    ]
    # The provider handed downstream: same cluster, but everything it creates waits for the platform.
    workloads_provider = k8s.Provider(
        f"{config.stack}-k8s-workloads",
        enable_server_side_apply=True,
        **built.target,
        opts=pulumi.ResourceOptions(depends_on=[*namespaces, addons, built.component]),
    )
    platform.cluster = ClusterHandle(
        k8s_provider=workloads_provider,
        storage_class_name=built.storage_class,
        app_namespace=spec.app_namespaces[0],
        **built.handle_extras,
    )
    platform.exports.update(
        {
            "storage_class": built.storage_class,
            "app_namespaces": list(spec.app_namespaces),
            "cluster_issuer": addons.cluster_issuer,
        }
    )


def _local(platform: Platform) -> _Built:
    """The existing kind cluster: nothing in AWS, the add-ons on its own provider."""
    config = platform.config
    local = LocalCluster(f"{config.stack}-cluster", LocalClusterArgs(settings=config.cluster))
    return _Built(
        component=local,
        provider=local.k8s_provider,
        storage_class=local.storage_class_name,
        addons_opts=pulumi.ResourceOptions(providers={"kubernetes": local.k8s_provider}),
        aws=None,
        # kind's API server listens on 6443 at the control-plane node's Docker-network address.
        handle_extras={"api_server": ApiServerEndpoint(cidrs=PRIVATE_RANGES, port=6443)},
        target={"context": config.cluster.kube_context},
    )


def _eks_cluster(platform: Platform) -> _Built:
    """EKS in the network's private subnets, what its add-ons need of AWS, and its stack outputs."""
    config = platform.config
    assert platform.network is not None and platform.kms is not None
    eks = _eks(platform)
    aws_integration = AwsIntegration(
        cluster_name=eks.cluster_name,
        kubernetes_version=eks.kubernetes_version,
        region=config.region or "",
        vpc_id=platform.network.vpc_id,
        oidc_provider_arn=eks.oidc_provider_arn,
        oidc_issuer=eks.oidc_issuer,
        kms_key_arn=platform.kms.key_arn,
        secrets_path=secrets_path(config),
    )
    platform.exports.update(
        {
            "cluster_name": eks.cluster_name,
            "cluster_endpoint": eks.endpoint,
            "cluster_certificate_authority": eks.certificate_authority,
            "cluster_oidc_provider_arn": eks.oidc_provider_arn,
            "cluster_oidc_issuer": eks.oidc_issuer,
            "cluster_security_group_id": eks.cluster_security_group_id,
            # Secret: `pulumi stack output kubeconfig --show-secrets`.
            "kubeconfig": eks.kubeconfig,
        }
    )
    return _Built(
        component=eks,
        provider=eks.k8s_provider,
        storage_class=eks.storage_class_name,
        addons_opts=pulumi.ResourceOptions(
            providers={"kubernetes": eks.k8s_provider, "aws": platform.aws_provider}
        ),
        aws=aws_integration,
        handle_extras={
            "node_security_group_id": eks.cluster_security_group_id,
            "cluster_name": eks.cluster_name,
            "oidc_provider_arn": eks.oidc_provider_arn,
            "oidc_issuer": eks.oidc_issuer,
            # EKS puts the control plane's ENIs in the cluster's (private) subnets.
            "api_server": ApiServerEndpoint(cidrs=tuple(platform.network.private_subnet_cidrs), port=443),
        },
        target={"kubeconfig": eks.kubeconfig},
    )


def _eks(platform: Platform) -> EksCluster:
    config = platform.config
    spec = config.cluster
    assert platform.network is not None and platform.kms is not None
    return EksCluster(
        f"{config.stack}-cluster",
        EksClusterArgs(
            settings=spec,
            cluster_name=cluster_name(config),
            region=config.region or "",
            vpc_id=platform.network.vpc_id,
            private_subnet_ids=platform.network.private_subnet_ids,
            kms_key_arn=platform.kms.key_arn,
            protect=config.protect_stateful_resources,
            tags=config.standard_tags,
        ),
        opts=platform.aws_opts(),
    )


def _app_namespace(
    config: StackConfig, namespace: str, provider: k8s.Provider, endpoint_cidrs: tuple[str, ...]
) -> AppNamespace:
    """An application namespace: restricted, default-deny, the stack's quota, and HTTPS to AWS APIs
    (see `_aws_api_allowances`). Secrets Manager values reach apps through external-secrets, not
    direct calls."""
    return AppNamespace(
        f"{config.stack}-ns-{namespace}",
        AppNamespaceArgs(
            namespace=namespace,
            pod_security_version=f"v{config.cluster.kubernetes_version}",
            quota=config.cluster.namespace_quota,
            labels=environment_labels(config.environment),
            allowances=_aws_api_allowances(config, endpoint_cidrs),
        ),
        opts=pulumi.ResourceOptions(providers={"kubernetes": provider}),
    )


def _aws_api_allowances(config: StackConfig, endpoint_cidrs: tuple[str, ...]) -> tuple:
    """How apps reach STS (IRSA credentials for MSK IAM and RDS IAM auth) and other AWS APIs:
    through the VPC's interface endpoints where the stack has them (prod), otherwise HTTPS to
    public addresses through the NAT, since without STS no IAM-authenticated client works at all.
    `network.interfaceEndpoints: true` closes that path in any stack. App pods are left out: an app
    whose bindings need AWS opens the same flow for itself (components.app)."""
    if endpoint_cidrs:
        return (aws_api_egress(endpoint_cidrs, public=False, except_apps=True),)
    if config.on_aws:
        return (aws_api_egress((), public=True, except_apps=True),)
    return ()
