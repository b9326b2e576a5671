"""The baseline every namespace the program creates starts from, and the one way it opens traffic.

A namespace here is closed by default: all ingress and egress is denied except DNS to the cluster's
resolver, and each flow that must work is opened by its own NetworkPolicy whose name says what it
allows (`allow-prometheus-scrape`, `allow-egress-to-<datastore>`). Pod Security is enforced at a
level chosen per namespace (with the reason recorded on the namespace) and always audited and
warned at `restricted`, so anything less than restricted shows up in audit logs and `kubectl` output.

Two kinds of namespace share this component:

- application namespaces (`apps`): Pod Security `restricted`, plus a ResourceQuota and a LimitRange
  so one team's workload cannot starve the others. Data services add their own policies beside
  their workloads (components.datastore), so a reader finds the policy next to the StatefulSet.
- platform namespaces (monitoring, logging, velero, the add-ons'): the level their workload needs,
  with the reason (node-exporter and Fluent Bit read the host, so `privileged`), the allowances
  their owner lists, and a ceiling rather than a tenant budget: a quota on requests, pods and
  storage that stops a runaway, and default requests only (no default or maximum limits, which
  would cap Prometheus at a tenant's size and kill it).

Policies are rendered by `network_policy`, used by the namespace and by the components that own
workloads alike, from `Allowance` values built with the helpers below.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Literal

import pulumi
import pulumi_kubernetes as k8s
from pydantic import AfterValidator, Field, InstanceOf, model_validator

from components._lib.args import ComponentArgs, SettingError

PodSecurityLevel = Literal["privileged", "baseline", "restricted"]
# RFC 1918: where the VPC, the pods, the nodes and the API server's ENIs live. "The internet" is
# everything else; an allowance to it never reaches into the cluster's own networks.
PRIVATE_RANGES = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
REASON_ANNOTATION = "groundwork.dev/allows"
POD_SECURITY_REASON_ANNOTATION = "groundwork.dev/pod-security-reason"
# Every pod of an App carries this label: namespace-wide allowances marked `except_apps` leave those
# pods out, so an app reaches only the flows its own NetworkPolicies declare (components.app).
APP_POD_LABEL = "groundwork.dev/app"


@dataclass(frozen=True)
class Peer:
    """The other end of an allowed connection: pods, or an IP range.

    namespace: pods in that namespace (matched on `kubernetes.io/metadata.name`, which the API
        server sets itself, so it cannot be forged by a namespace owner). None with `pod_labels`
        set: pods in the policy's own namespace only.
    pod_labels: only pods carrying these labels ({} = every pod of the namespace).
    cidr / except_cidrs: an address range (AWS subnets, the internet) instead of pods.
    """

    namespace: str | None = None
    pod_labels: Mapping[str, str] | None = None
    cidr: pulumi.Input[str] | None = None
    except_cidrs: Sequence[str] = ()


def pods(namespace: str | None = None, labels: Mapping[str, str] | None = None) -> Peer:
    """Pods with `labels` in `namespace`, or in the policy's own namespace when `namespace` is None."""
    return Peer(namespace=namespace, pod_labels=dict(labels or {}))


def any_namespace() -> Peer:
    """Every pod in every namespace (a target's own ingress policy still decides)."""
    return Peer(namespace="*", pod_labels={})


def ip_range(cidr: pulumi.Input[str], except_cidrs: Sequence[str] = ()) -> Peer:
    return Peer(cidr=cidr, except_cidrs=tuple(except_cidrs))


def internet() -> Peer:
    """Public addresses only: 0.0.0.0/0 minus the private ranges the cluster and VPC live in."""
    return ip_range("0.0.0.0/0", PRIVATE_RANGES)


@dataclass(frozen=True)
class Port:
    port: int
    protocol: Literal["TCP", "UDP"] = "TCP"
    end_port: int | None = None


@dataclass(frozen=True)
class Allowance:
    """One NetworkPolicy that opens one flow.

    name: the policy's Kubernetes name, saying what it allows (`allow-grafana-to-prometheus`).
    direction: `ingress` (who may connect to `pod_labels` pods) or `egress` (where they may connect).
    pod_labels: the pods of this namespace the policy applies to ({} = all of them).
    peers: the other end; empty means any address (used only where the source cannot be named, such
        as the API server calling an admission webhook).
    ports: TCP port numbers or `Port`s; empty means every port.
    reason: why the flow exists, kept as an annotation on the policy for `kubectl describe`.
    except_apps: the policy does not apply to App pods (those labelled APP_POD_LABEL); for flows
        every other pod of an app namespace gets (datastores, AWS APIs) that apps must declare.
    """

    name: str
    direction: Literal["ingress", "egress"]
    peers: Sequence[Peer] = ()
    ports: Sequence[int | Port] = ()
    pod_labels: Mapping[str, str] = field(default_factory=dict)
    reason: str = ""
    except_apps: bool = False


@dataclass(frozen=True)
class ApiServerEndpoint:
    """Where pods reach the Kubernetes API after the `kubernetes.default` Service is translated:
    on EKS the control plane's ENIs in the private subnets (port 443), on kind the control-plane
    node's address on the Docker network (port 6443), which the program cannot know in advance."""

    cidrs: Sequence[pulumi.Input[str]] = PRIVATE_RANGES
    port: int = 443


def kube_api_egress(api_server: ApiServerEndpoint, pod_labels: Mapping[str, str] | None = None) -> Allowance:
    return Allowance(
        "allow-kube-api-egress",
        "egress",
        peers=[ip_range(cidr) for cidr in api_server.cidrs],
        ports=[api_server.port],
        pod_labels=dict(pod_labels or {}),
        reason="controllers, operators and log enrichment watch and update objects through the API server",
    )


def aws_api_egress(
    endpoint_cidrs: Sequence[pulumi.Input[str]],
    *,
    public: bool,
    pod_labels: Mapping[str, str] | None = None,
    except_apps: bool = False,
    name: str = "allow-aws-api-egress",
) -> Allowance:
    """HTTPS to AWS APIs: the VPC's interface endpoints (STS for IRSA, CloudWatch Logs, ECR) in
    `endpoint_cidrs`, and with `public` the public service addresses too (S3 through the gateway
    endpoint, and any service without an interface endpoint, through the NAT gateways)."""
    peers = [ip_range(cidr) for cidr in endpoint_cidrs] + ([internet()] if public else [])
    return Allowance(
        name,
        "egress",
        peers=peers,
        ports=[443],
        pod_labels=dict(pod_labels or {}),
        except_apps=except_apps,
        reason="AWS APIs over HTTPS"
        + (
            " (interface endpoints, S3 and public endpoints)"
            if public
            else " through the VPC's interface endpoints only"
        ),
    )


def prometheus_scrape(
    scraper: Peer,
    ports: Sequence[int],
    pod_labels: Mapping[str, str] | None = None,
    name: str = "allow-prometheus-scrape",
) -> Allowance:
    return Allowance(
        name,
        "ingress",
        peers=[scraper],
        ports=list(ports),
        pod_labels=dict(pod_labels or {}),
        reason="Prometheus in the monitoring namespace scrapes the metrics port(s)",
    )


def _selector(labels: Mapping[str, str] | None) -> k8s.meta.v1.LabelSelectorArgs:
    return (
        k8s.meta.v1.LabelSelectorArgs(match_labels=dict(labels))
        if labels
        else k8s.meta.v1.LabelSelectorArgs()
    )


def _peer(peer: Peer) -> k8s.networking.v1.NetworkPolicyPeerArgs:
    if peer.cidr is not None:
        return k8s.networking.v1.NetworkPolicyPeerArgs(
            ip_block=k8s.networking.v1.IPBlockArgs(cidr=peer.cidr, except_=list(peer.except_cidrs) or None)
        )
    namespace_selector = None
    if peer.namespace == "*":
        namespace_selector = k8s.meta.v1.LabelSelectorArgs()
    elif peer.namespace is not None:
        namespace_selector = _selector({"kubernetes.io/metadata.name": peer.namespace})
    return k8s.networking.v1.NetworkPolicyPeerArgs(
        namespace_selector=namespace_selector, pod_selector=_selector(peer.pod_labels)
    )


def _port(port: int | Port) -> k8s.networking.v1.NetworkPolicyPortArgs:
    spec = port if isinstance(port, Port) else Port(port)
    return k8s.networking.v1.NetworkPolicyPortArgs(
        protocol=spec.protocol, port=spec.port, end_port=spec.end_port
    )


def network_policy(
    resource_name: str,
    namespace: pulumi.Input[str],
    allowance: Allowance,
    opts: pulumi.ResourceOptions | None = None,
) -> k8s.networking.v1.NetworkPolicy:
    """The NetworkPolicy for one allowance. Callers parent it to the component that owns the workload."""
    peers = [_peer(peer) for peer in allowance.peers] or None
    ports = [_port(port) for port in allowance.ports] or None
    if allowance.direction == "ingress":
        rule = {"ingress": [k8s.networking.v1.NetworkPolicyIngressRuleArgs(from_=peers, ports=ports)]}
    else:
        rule = {"egress": [k8s.networking.v1.NetworkPolicyEgressRuleArgs(to=peers, ports=ports)]}
    metadata = k8s.meta.v1.ObjectMetaArgs(
        name=allowance.name,
        namespace=namespace,
        labels={"app.kubernetes.io/managed-by": "pulumi"},
        annotations={REASON_ANNOTATION: allowance.reason} if allowance.reason else None,
    )
    pod_selector = _selector(allowance.pod_labels)
    if allowance.except_apps:
        pod_selector = k8s.meta.v1.LabelSelectorArgs(
            match_labels=dict(allowance.pod_labels) or None,
            match_expressions=[
                k8s.meta.v1.LabelSelectorRequirementArgs(key=APP_POD_LABEL, operator="DoesNotExist")
            ],
        )
    return k8s.networking.v1.NetworkPolicy(
        resource_name,
        metadata=metadata,
        spec=k8s.networking.v1.NetworkPolicySpecArgs(
            pod_selector=pod_selector,
            policy_types=[allowance.direction.capitalize()],
            **rule,
        ),
        opts=opts,
    )


_QUANTITY = re.compile(r"^\d+(\.\d+)?(m|Ki|Mi|Gi|Ti)?$")


def _quantity(value: str | None) -> str | None:
    if value is not None and not _QUANTITY.match(value):
        raise ValueError("a Kubernetes quantity such as 500m, 2, 512Mi or 8Gi")
    return value


Quantity = Annotated[str, AfterValidator(_quantity)]


class ResourceQuotaArgs(ComponentArgs):
    """Caps on what one namespace may request in total (over all its pods): `namespaceQuota`."""

    requests_cpu: Quantity = Field(default="4", description="Total CPU requests.")
    requests_memory: Quantity = Field(default="8Gi", description="Total memory requests.")
    limits_cpu: Annotated[str | None, AfterValidator(_quantity)] = Field(
        default="8", description="Total CPU limits (unset: no cap on limits)."
    )
    limits_memory: Annotated[str | None, AfterValidator(_quantity)] = Field(
        default="16Gi", description="Total memory limits (unset: no cap on limits)."
    )
    pods: int = Field(default=50, ge=1, description="Pods at most.")
    persistent_volume_claims: int = Field(default=10, ge=0, description="Volume claims at most.")
    requests_storage: Quantity = Field(default="200Gi", description="Total storage the claims request.")


class ContainerDefaultsArgs(ComponentArgs):
    """What a container gets when it declares no resources, and the most one container may ask for.
    A None limit or maximum is left out (platform namespaces set requests only)."""

    default_request_cpu: str = Field(default="100m", description="CPU request of a container without one.")
    default_request_memory: str = Field(
        default="128Mi", description="Memory request of a container without one."
    )
    default_limit_cpu: str | None = Field(default="500m", description="CPU limit of a container without one.")
    default_limit_memory: str | None = Field(
        default="512Mi", description="Memory limit of a container without one."
    )
    max_cpu: str | None = Field(default="2", description="The most CPU one container may ask for.")
    max_memory: str | None = Field(default="4Gi", description="The most memory one container may ask for.")


# The ceiling of a platform namespace: far above what its charts ask for, low enough to stop a
# runaway (a crash-looping controller spawning pods, a chart bug claiming volumes).
PLATFORM_QUOTA = ResourceQuotaArgs(
    requests_cpu="16",
    requests_memory="64Gi",
    limits_cpu=None,
    limits_memory=None,
    pods=200,
    persistent_volume_claims=20,
    requests_storage="2Ti",
)
# Quotas on requests reject pods without requests; these defaults admit them at a small size.
PLATFORM_CONTAINER_DEFAULTS = ContainerDefaultsArgs(
    default_request_cpu="50m",
    default_request_memory="64Mi",
    default_limit_cpu=None,
    default_limit_memory=None,
    max_cpu=None,
    max_memory=None,
)


def pod_security_labels(level: PodSecurityLevel, version: str = "latest") -> dict[str, str]:
    """Pod Security Admission labels: `level` enforced, `restricted` always audited and warned, all
    at `version`, so anything less than restricted shows in audit logs and `kubectl` output."""
    modes = {"enforce": level, "audit": "restricted", "warn": "restricted"}
    return {
        **{f"pod-security.kubernetes.io/{mode}": value for mode, value in modes.items()},
        **{f"pod-security.kubernetes.io/{mode}-version": version for mode in modes},
    }


def system_namespace_labels(
    resource_name: str,
    namespace: str,
    level: PodSecurityLevel,
    reason: str,
    opts: pulumi.ResourceOptions | None = None,
) -> k8s.core.v1.NamespacePatch:
    """Pod Security labels (and the reason) on a namespace the cluster itself creates, such as
    kube-system: a server-side-apply patch that owns only these fields and leaves the rest to EKS
    or kind; destroying it removes the labels, never the namespace."""
    return k8s.core.v1.NamespacePatch(
        resource_name,
        metadata=k8s.meta.v1.ObjectMetaPatchArgs(
            name=namespace,
            labels={"app.kubernetes.io/managed-by": "pulumi", **pod_security_labels(level)},
            annotations={POD_SECURITY_REASON_ANNOTATION: reason},
        ),
        opts=opts,
    )


def environment_labels(environment: str | None) -> dict[str, str]:
    """The stack's environment as a namespace label, so `kubectl get ns -l environment=prod` and
    the policy pack can tell which stack a namespace belongs to."""
    return {"environment": environment} if environment else {}


class AppNamespaceArgs(ComponentArgs):
    """One namespace: an application namespace by default, a platform namespace when its owner says so."""

    namespace: str = Field(description="The Kubernetes name (a DNS label).")
    pod_security: PodSecurityLevel = Field(
        default="restricted",
        description="The enforced Pod Security Standard; `restricted` unless a workload truly needs less. "
        "Audit and warn stay at `restricted` whatever is enforced.",
    )
    pod_security_reason: str | None = Field(
        default=None,
        description="Which workload needs a weaker level than restricted, and why (kept on the namespace).",
    )
    pod_security_version: str = Field(
        default="latest",
        description="The PSS version to hold the namespace to; pin it to the cluster's minor version "
        "(`v1.36`) so an upgrade never tightens rules underneath running apps.",
    )
    quota: ResourceQuotaArgs | None = Field(
        default_factory=ResourceQuotaArgs,
        description="The namespace's ResourceQuota; platform namespaces get PLATFORM_QUOTA.",
    )
    container_defaults: ContainerDefaultsArgs | None = Field(
        default_factory=ContainerDefaultsArgs,
        description="The LimitRange; platform namespaces get PLATFORM_CONTAINER_DEFAULTS (requests only: "
        "a tenant default limit of 512Mi would kill Prometheus).",
    )
    dns_namespace: str = Field(default="kube-system", description="Where the cluster resolver runs.")
    dns_pod_labels: Mapping[str, str] = Field(
        default_factory=lambda: {"k8s-app": "kube-dns"}, description="The resolver's pods (CoreDNS)."
    )
    labels: Mapping[str, str] = Field(default_factory=dict, description="Labels on the namespace.")
    allowances: Sequence[InstanceOf[Allowance]] = Field(
        default=(),
        description="The flows the namespace's owner opens on top of default-deny and DNS, one "
        "NetworkPolicy each.",
    )
    moved_children: Mapping[str, str] = Field(
        default_factory=dict,
        description="Child resource name -> the name it had when it was created directly under this "
        "component's parent (before the namespace baseline was one component). They become aliases, so "
        "a live stack moves these objects instead of deleting and recreating a namespace.",
    )

    @model_validator(mode="after")
    def _reason(self) -> AppNamespaceArgs:
        if self.pod_security != "restricted" and not self.pod_security_reason:
            raise SettingError(
                "podSecurityReason",
                self.pod_security_reason,
                f"enforcing {self.pod_security!r} instead of 'restricted' needs a pod_security_reason "
                "naming the workload that requires it",
            )
        return self


def platform_namespace(
    namespace: str,
    *,
    pod_security: PodSecurityLevel,
    reason: str,
    allowances: Sequence[Allowance] = (),
    moved_children: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
) -> AppNamespaceArgs:
    """Args for a namespace the platform itself runs in: a ceiling quota, the owner's allowances."""
    return AppNamespaceArgs(
        namespace=namespace,
        pod_security=pod_security,
        pod_security_reason=reason,
        quota=PLATFORM_QUOTA,
        container_defaults=PLATFORM_CONTAINER_DEFAULTS,
        allowances=tuple(allowances),
        moved_children=dict(moved_children or {}),
        labels={"app.kubernetes.io/part-of": "groundwork-platform", **(labels or {})},
    )


class AppNamespace(pulumi.ComponentResource):
    """Namespace + default-deny + allow-DNS + the listed allowances (+ ResourceQuota + LimitRange)."""

    namespace_name: pulumi.Output[str]

    def __init__(self, name: str, args: AppNamespaceArgs, opts: pulumi.ResourceOptions | None = None):
        previous_parent = opts.parent if opts is not None else None
        if args.moved_children and previous_parent is None:
            raise ValueError(f"AppNamespace {name}: moved_children needs the parent the children lived under")
        super().__init__("groundwork:namespace:AppNamespace", name, None, opts)

        def child(resource_name: str) -> pulumi.ResourceOptions:
            old = args.moved_children.get(resource_name)
            aliases = [pulumi.Alias(name=old, parent=previous_parent)] if old else None
            return pulumi.ResourceOptions(parent=self, aliases=aliases)

        labels = {
            **args.labels,
            "app.kubernetes.io/managed-by": "pulumi",
            **pod_security_labels(args.pod_security, args.pod_security_version),
        }
        reason = args.pod_security_reason
        annotations = {POD_SECURITY_REASON_ANNOTATION: reason} if reason else None
        namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=args.namespace, labels=labels, annotations=annotations),
            opts=child(f"{name}-namespace"),
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
            opts=child(f"{name}-default-deny"),
        )
        network_policy(
            f"{name}-allow-dns",
            ns,
            Allowance(
                "allow-dns-egress",
                "egress",
                peers=[pods(args.dns_namespace, args.dns_pod_labels)],
                ports=[Port(53, "UDP"), Port(53, "TCP")],
            ),
            opts=child(f"{name}-allow-dns"),
        )
        for allowance in args.allowances:
            resource_name = f"{name}-{allowance.name}"
            network_policy(resource_name, ns, allowance, opts=child(resource_name))
        if args.quota is not None:
            self._quota(name, args.quota, meta)
        if args.container_defaults is not None:
            self._limits(name, args.container_defaults, meta)
        self.namespace_name = ns
        self.register_outputs({"namespace_name": self.namespace_name})

    def _quota(self, name: str, quota: ResourceQuotaArgs, meta) -> None:
        k8s.core.v1.ResourceQuota(
            f"{name}-quota",
            metadata=meta("namespace-quota"),
            spec=k8s.core.v1.ResourceQuotaSpecArgs(
                hard={
                    "requests.cpu": quota.requests_cpu,
                    "requests.memory": quota.requests_memory,
                    **({"limits.cpu": quota.limits_cpu} if quota.limits_cpu else {}),
                    **({"limits.memory": quota.limits_memory} if quota.limits_memory else {}),
                    "pods": str(quota.pods),
                    "persistentvolumeclaims": str(quota.persistent_volume_claims),
                    "requests.storage": quota.requests_storage,
                    # No public load balancers from app namespaces; ingress goes through the platform's.
                    "services.loadbalancers": "0",
                    "services.nodeports": "0",
                }
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _limits(self, name: str, d: ContainerDefaultsArgs, meta) -> None:
        k8s.core.v1.LimitRange(
            f"{name}-limits",
            metadata=meta("container-defaults"),
            spec=k8s.core.v1.LimitRangeSpecArgs(
                limits=[
                    k8s.core.v1.LimitRangeItemArgs(
                        type="Container",
                        default_request={"cpu": d.default_request_cpu, "memory": d.default_request_memory},
                        default=_present({"cpu": d.default_limit_cpu, "memory": d.default_limit_memory}),
                        max=_present({"cpu": d.max_cpu, "memory": d.max_memory}),
                    )
                ]
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )


def _present(values: Mapping[str, str | None]) -> dict[str, str] | None:
    kept = {k: v for k, v in values.items() if v is not None}
    return kept or None
