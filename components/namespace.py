"""The baseline every application namespace starts from.

A namespace here is closed by default: Pod Security `restricted` is enforced (and audited and
warned, so a violation is visible before it is blocked), all ingress and egress is denied except DNS
to the cluster's resolver, and a ResourceQuota plus a LimitRange keep one team's workload from
starving the others. Apps open exactly what they need with their own NetworkPolicies.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_kubernetes as k8s

PodSecurityLevel = Literal["privileged", "baseline", "restricted"]


@dataclass(frozen=True)
class ResourceQuotaArgs:
    """Totals for the whole namespace (requests and limits over all its pods)."""

    requests_cpu: str = "4"
    requests_memory: str = "8Gi"
    limits_cpu: str = "8"
    limits_memory: str = "16Gi"
    pods: int = 50
    persistent_volume_claims: int = 10
    requests_storage: str = "200Gi"


@dataclass(frozen=True)
class ContainerDefaultsArgs:
    """What a container gets when it declares no resources, and the most one container may ask for."""

    default_request_cpu: str = "100m"
    default_request_memory: str = "128Mi"
    default_limit_cpu: str = "500m"
    default_limit_memory: str = "512Mi"
    max_cpu: str = "2"
    max_memory: str = "4Gi"


@dataclass(frozen=True)
class AppNamespaceArgs:
    """One application namespace.

    namespace: the Kubernetes name (a DNS label).
    pod_security: the enforced Pod Security Standard; `restricted` unless a workload truly needs less.
    pod_security_version: the PSS version to hold the namespace to; pin it to the cluster's minor
        version (`v1.36`) so an upgrade never tightens rules underneath running apps.
    dns_namespace / dns_pod_labels: where the cluster resolver runs (CoreDNS on EKS and kind).
    """

    namespace: str
    pod_security: PodSecurityLevel = "restricted"
    pod_security_version: str = "latest"
    quota: ResourceQuotaArgs = field(default_factory=ResourceQuotaArgs)
    container_defaults: ContainerDefaultsArgs = field(default_factory=ContainerDefaultsArgs)
    dns_namespace: str = "kube-system"
    dns_pod_labels: Mapping[str, str] = field(default_factory=lambda: {"k8s-app": "kube-dns"})
    labels: Mapping[str, str] = field(default_factory=dict)


class AppNamespace(pulumi.ComponentResource):
    """Namespace + default-deny + allow-DNS + ResourceQuota + LimitRange."""

    namespace_name: pulumi.Output[str]

    def __init__(self, name: str, args: AppNamespaceArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("groundwork:namespace:AppNamespace", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        level, version = args.pod_security, args.pod_security_version
        labels = {
            **args.labels,
            "app.kubernetes.io/managed-by": "pulumi",
            **{f"pod-security.kubernetes.io/{mode}": level for mode in ("enforce", "audit", "warn")},
            **{
                f"pod-security.kubernetes.io/{mode}-version": version for mode in ("enforce", "audit", "warn")
            },
        }
        namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=args.namespace, labels=labels),
            opts=child,
        )
        ns = namespace.metadata.name

        def meta(object_name: str) -> k8s.meta.v1.ObjectMetaArgs:
            return k8s.meta.v1.ObjectMetaArgs(
                name=object_name, namespace=ns, labels={"app.kubernetes.io/managed-by": "pulumi"}
            )

        k8s.networking.v1.NetworkPolicy(
            f"{name}-default-deny",
            metadata=meta("default-deny-all"),
            spec=k8s.networking.v1.NetworkPolicySpecArgs(pod_selector={}, policy_types=["Ingress", "Egress"]),
            opts=child,
        )
        k8s.networking.v1.NetworkPolicy(
            f"{name}-allow-dns",
            metadata=meta("allow-dns-egress"),
            spec=k8s.networking.v1.NetworkPolicySpecArgs(
                pod_selector={},
                policy_types=["Egress"],
                egress=[
                    k8s.networking.v1.NetworkPolicyEgressRuleArgs(
                        to=[
                            k8s.networking.v1.NetworkPolicyPeerArgs(
                                namespace_selector=k8s.meta.v1.LabelSelectorArgs(
                                    match_labels={"kubernetes.io/metadata.name": args.dns_namespace}
                                ),
                                pod_selector=k8s.meta.v1.LabelSelectorArgs(
                                    match_labels=dict(args.dns_pod_labels)
                                ),
                            )
                        ],
                        ports=[
                            k8s.networking.v1.NetworkPolicyPortArgs(protocol=protocol, port=53)
                            for protocol in ("UDP", "TCP")
                        ],
                    )
                ],
            ),
            opts=child,
        )
        quota = args.quota
        k8s.core.v1.ResourceQuota(
            f"{name}-quota",
            metadata=meta("namespace-quota"),
            spec=k8s.core.v1.ResourceQuotaSpecArgs(
                hard={
                    "requests.cpu": quota.requests_cpu,
                    "requests.memory": quota.requests_memory,
                    "limits.cpu": quota.limits_cpu,
                    "limits.memory": quota.limits_memory,
                    "pods": str(quota.pods),
                    "persistentvolumeclaims": str(quota.persistent_volume_claims),
                    "requests.storage": quota.requests_storage,
                    # No public load balancers from app namespaces; ingress goes through the platform's.
                    "services.loadbalancers": "0",
                    "services.nodeports": "0",
                }
            ),
            opts=child,
        )
        d = args.container_defaults
        k8s.core.v1.LimitRange(
            f"{name}-limits",
            metadata=meta("container-defaults"),
            spec=k8s.core.v1.LimitRangeSpecArgs(
                limits=[
                    k8s.core.v1.LimitRangeItemArgs(
                        type="Container",
                        default_request={"cpu": d.default_request_cpu, "memory": d.default_request_memory},
                        default={"cpu": d.default_limit_cpu, "memory": d.default_limit_memory},
                        max={"cpu": d.max_cpu, "memory": d.max_memory},
                    )
                ]
            ),
            opts=child,
        )
        self.namespace_name = ns
        self.register_outputs({"namespace_name": self.namespace_name})
