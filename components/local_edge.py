"""HTTPS for exposed apps on the local (kind) stack: Traefik as the in-cluster ingress controller, a
local certificate authority from cert-manager, and one Ingress per exposed app.

Why Traefik: the community ingress-nginx controller was retired upstream (best-effort maintenance
ended in March 2026, no releases or security fixes since), and Traefik's chart runs a single
restricted pod (non-root 65532, read-only root filesystem, every capability dropped, RuntimeDefault
seccomp) that reads plain `networking.k8s.io/v1` Ingresses, the same objects the AWS stacks hand
the Load Balancer Controller, so an app's routing is declared the same way on every stack. Envoy
Gateway would need the Gateway API CRDs and an Envoy fleet per Gateway for two laptop hosts.

Names: an app answers on `<host>.localhost` (`localhost` for `host: "@"`). RFC 6761 reserves
`localhost` and its subdomains for the loopback address; curl, Chrome and Firefox resolve every
`*.localhost` name to 127.0.0.1 themselves, so nothing in /etc/hosts or DNS has to change. kind
maps the laptop's port `HOST_PORT` to the Traefik Service's NodePort (`kind/groundwork.yaml`), so
`https://web.localhost:8443/` reaches Traefik, which terminates TLS and forwards to the app's Service.

Certificates: cert-manager's self-signed ClusterIssuer (components.addons) signs one CA certificate
(`groundwork-local-ca`, in cert-manager's namespace), a CA ClusterIssuer of the same name signs a
certificate for exactly the exposed hosts (named one by one rather than `*.localhost`, a wildcard
directly under a top-level name, which TLS clients may refuse), and each Ingress names that Secret.
Trusting the CA once (README) makes every local host trusted, and the Secret's `ca.crt` lets the
blackbox probes verify what they fetch (components.probes).
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_kubernetes as k8s
from pydantic import Field, InstanceOf

from components._lib.args import ComponentArgs
from components.addons import RESTRICTED_CONTAINER, RESTRICTED_POD
from components.edge import IngressRoute
from components.namespace import (
    Allowance,
    ApiServerEndpoint,
    AppNamespace,
    environment_labels,
    kube_api_egress,
    platform_namespace,
    pods,
)

TRAEFIK_CHART = ("traefik", "41.3.0", "https://traefik.github.io/charts")  # app v3.7.11, tag v41.3.0
TRAEFIK_NAMESPACE = "traefik"
TRAEFIK_PODS = {"app.kubernetes.io/name": "traefik"}
INGRESS_CLASS = "traefik"
WEBSECURE_PORT = 8443  # the chart's ports.websecure.port: the container port TLS is served on
NODE_PORT = 30443  # the Service's NodePort for websecure, mapped by kind (kind/groundwork.yaml)
HOST_PORT = 8443  # the laptop's port kind maps to NODE_PORT (no root needed, unlike 443)
LOCAL_DOMAIN = "localhost"
CA_NAME = "groundwork-local-ca"
TLS_SECRET = "groundwork-local-tls"


def local_host(app: str, host: str | None) -> str:
    """The name an exposed app answers on locally: `<host>.localhost`, or `localhost` for `@`."""
    label = host or app
    return LOCAL_DOMAIN if label == "@" else f"{label}.{LOCAL_DOMAIN}"


class LocalIngressArgs(ComponentArgs):
    """The exposed apps and the issuer that starts local's certificate chain."""

    namespace: str = Field(description="The app namespace (Ingresses and their TLS Secret live there).")
    routes: tuple[IngressRoute, ...] = Field(min_length=1, description="One per exposed app.")
    bootstrap_issuer: str = Field(
        default="self-signed", description="The ClusterIssuer that signs the local CA (components.addons)."
    )
    cert_manager_namespace: str = Field(
        default="cert-manager",
        description="cert-manager's namespace, where a ClusterIssuer's CA Secret lives.",
    )
    api_server: InstanceOf[ApiServerEndpoint] = Field(
        default_factory=ApiServerEndpoint, description="Where Traefik reaches the Kubernetes API."
    )
    environment: str | None = Field(default=None, description="Labels the Traefik namespace.")
    certificate_days: int = Field(
        default=90, ge=7, le=397, description="The hosts' certificate lifetime (cert-manager renews at 2/3)."
    )


def traefik_values() -> dict:
    """One restricted Traefik pod behind a NodePort, serving HTTPS only, reading Ingresses of its class."""
    return {
        "deployment": {"replicas": 1},
        "ingressClass": {"enabled": True, "isDefaultClass": False, "name": INGRESS_CLASS},
        "providers": {
            "kubernetesIngress": {"enabled": True},
            "kubernetesCRD": {"enabled": False},
            "kubernetesGateway": {"enabled": False},
        },
        "gateway": {"enabled": False},
        "gatewayClass": {"enabled": False},
        "ports": {
            "web": {"expose": {"default": False}},
            "websecure": {"port": WEBSECURE_PORT, "nodePort": NODE_PORT, "expose": {"default": True}},
        },
        "service": {"spec": {"type": "NodePort"}},
        "podSecurityContext": {**RESTRICTED_POD, "runAsUser": 65532, "runAsGroup": 65532},
        "securityContext": RESTRICTED_CONTAINER,
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "256Mi"}},
    }


class LocalIngress(pulumi.ComponentResource):
    """Traefik, the local CA chain, the hosts' certificate and one Ingress per exposed app."""

    hosts: dict[str, str]
    tls_secret_name: str
    service_name: str  # Traefik's Service in TRAEFIK_NAMESPACE (the chart's fullname: the release name)
    controller: pulumi.Resource

    def __init__(self, name: str, args: LocalIngressArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("groundwork:edge:LocalIngress", name, None, opts)
        self._name, self._args = name, args
        self.hosts = {route.app: route.host for route in args.routes}
        self.tls_secret_name = TLS_SECRET
        self.service_name = f"{name}-traefik"
        namespace = AppNamespace(
            f"{name}-traefik",
            platform_namespace(
                TRAEFIK_NAMESPACE,
                pod_security="restricted",
                reason="Traefik runs one restricted pod",
                allowances=self._allowances(),
                labels=environment_labels(args.environment),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        chart, version, repo = TRAEFIK_CHART
        self.controller = k8s.helm.v4.Chart(
            f"{name}-traefik",
            chart=chart,
            version=version,
            namespace=TRAEFIK_NAMESPACE,
            repository_opts=k8s.helm.v4.RepositoryOptsArgs(repo=repo),
            values=traefik_values(),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[namespace]),
        )
        certificate = self._certificates()
        for route in args.routes:
            self._ingress(route, [self.controller, certificate])
        self.register_outputs({"hosts": self.hosts, "tls_secret_name": self.tls_secret_name})

    def _allowances(self) -> Sequence[Allowance]:
        apps = self._args.routes
        return [
            Allowance(
                "allow-https-in",
                "ingress",
                pod_labels=TRAEFIK_PODS,
                ports=[WEBSECURE_PORT],
                reason="HTTPS from the laptop through kind's port mapping and the NodePort (the node's "
                "address, not a pod), and from the blackbox probes",
            ),
            Allowance(
                "allow-traefik-to-apps",
                "egress",
                pod_labels=TRAEFIK_PODS,
                peers=[pods(self._args.namespace, {"app.kubernetes.io/name": r.app}) for r in apps],
                ports=sorted({r.port for r in apps}),
                reason="Traefik forwards to the exposed apps' pods",
            ),
            kube_api_egress(self._args.api_server, TRAEFIK_PODS),
        ]

    def _certificates(self) -> pulumi.Resource:
        """CA certificate (self-signed) -> CA ClusterIssuer -> one certificate for every exposed host."""
        args, child = self._args, pulumi.ResourceOptions(parent=self)
        ca = k8s.apiextensions.CustomResource(
            f"{self._name}-ca",
            api_version="cert-manager.io/v1",
            kind="Certificate",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=CA_NAME, namespace=args.cert_manager_namespace),
            spec={
                "isCA": True,
                "commonName": "Groundwork local CA",
                "secretName": CA_NAME,
                "duration": "87600h",
                "privateKey": {"algorithm": "ECDSA", "size": 256},
                "issuerRef": {
                    "name": args.bootstrap_issuer,
                    "kind": "ClusterIssuer",
                    "group": "cert-manager.io",
                },
            },
            opts=child,
        )
        issuer = k8s.apiextensions.CustomResource(
            f"{self._name}-ca-issuer",
            api_version="cert-manager.io/v1",
            kind="ClusterIssuer",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=CA_NAME),
            spec={"ca": {"secretName": CA_NAME}},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[ca]),
        )
        return k8s.apiextensions.CustomResource(
            f"{self._name}-tls",
            api_version="cert-manager.io/v1",
            kind="Certificate",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=TLS_SECRET, namespace=args.namespace),
            spec={
                "secretName": TLS_SECRET,
                "dnsNames": sorted(set(self.hosts.values())),
                "duration": f"{args.certificate_days * 24}h",
                "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
                "issuerRef": {"name": CA_NAME, "kind": "ClusterIssuer", "group": "cert-manager.io"},
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[issuer]),
        )

    def _ingress(self, route: IngressRoute, depends_on: list[pulumi.Resource]) -> None:
        backend = k8s.networking.v1.IngressBackendArgs(
            service=k8s.networking.v1.IngressServiceBackendArgs(
                name=route.app, port=k8s.networking.v1.ServiceBackendPortArgs(number=route.port)
            )
        )
        k8s.networking.v1.Ingress(
            f"{self._name}-{route.app}",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=route.app,
                namespace=self._args.namespace,
                labels={"app.kubernetes.io/name": route.app, "app.kubernetes.io/managed-by": "pulumi"},
            ),
            spec=k8s.networking.v1.IngressSpecArgs(
                ingress_class_name=INGRESS_CLASS,
                tls=[k8s.networking.v1.IngressTLSArgs(hosts=[route.host], secret_name=TLS_SECRET)],
                rules=[
                    k8s.networking.v1.IngressRuleArgs(
                        host=route.host,
                        http=k8s.networking.v1.HTTPIngressRuleValueArgs(
                            paths=[
                                k8s.networking.v1.HTTPIngressPathArgs(
                                    path=p, path_type="Prefix", backend=backend
                                )
                                for p in route.paths
                            ]
                        ),
                    )
                ],
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=depends_on),
        )
