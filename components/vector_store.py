"""Vector search: the settings both backends share, and the ChromaDB backend (a StatefulSet).

The pgvector backend needs no server of its own: the apps' database bootstrap creates the extension
in each app's database (components.app_database) on the stack's PostgreSQL, RDS or in-cluster.

ChromaDB (`chromadb/chroma`, the single-node Rust server of the 1.x line) has no authentication of
its own in that line: its open-source frontend wires only the no-op authenticator (`impl
AuthenticateAndAuthorize for ()` in rust/frontend/src/auth/mod.rs at 1.5.9), and Chroma's cookbook
secures 1.0.x with an Envoy proxy in front. So each pod runs:

- `chroma`, listening on 127.0.0.1:8001 only (config `listen_address`/`port`), data under /data on
  the claim, as an unprivileged user with a read-only root filesystem;
- `auth-proxy`, Envoy on :8000, the only port the Service and the NetworkPolicy open: its RBAC filter
  admits a request only with the generated token in `X-Chroma-Token` or `Authorization: Bearer`,
  except `GET /api/v2/heartbeat` (the probes' path, which reveals nothing). It also serves Envoy's own
  Prometheus statistics (requests, response codes, upstream health) on :9102 at /stats/prometheus
  (a ServiceMonitor when the stack runs monitoring),
  the one Prometheus endpoint there is: Chroma itself only pushes OpenTelemetry (OTLP), which this
  platform does not collect, so its `open_telemetry` block stays unset.

The token is a pulumi_random password, born secret, kept in the connection Secret and inside the
proxy's configuration Secret. Ingress admits exactly the pods of the apps that use the store
(`clients`) and Prometheus on the metrics port; the pods open no connection of their own.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random
from pydantic import Field, InstanceOf

from components._lib.args import ComponentArgs
from components.datastore import (
    InClusterWorkload,
    connection_secret,
    data_statefulset,
    restricted_container_security_context,
    workload_labels,
)
from components.namespace import Allowance, Peer, network_policy, pods, prometheus_scrape

# chromadb/chroma 1.5.9: the newest release tag of chroma-core/chroma (2026-05-04) whose image is the
# Rust `chroma run /config.yaml` server (rust/Dockerfile, target `cli`).
CHROMA_IMAGE = "docker.io/chromadb/chroma:1.5.9"
# Envoy v1.38.0, the proxy Chroma's cookbook puts in front of 1.0.x for token auth; the official image's
# `envoy` user is 101.
ENVOY_IMAGE = "docker.io/envoyproxy/envoy:v1.38.0"
ENVOY_UID = 101
CHROMA_UID = 1000  # the image has no user of its own: any unprivileged UID, the volume group-owned by it
PORT = 8000  # the authenticated port (Envoy)
CHROMA_PORT = 8001  # Chroma itself, on loopback only
METRICS_PORT = 9102
ADMIN_PORT = 9901  # Envoy's admin interface, on loopback only
HEARTBEAT = "/api/v2/heartbeat"
COMPONENT = "vectors"
CONFIG_DIR = "/etc/groundwork/chroma"
PROXY_DIR = "/etc/groundwork/envoy"
CONNECTION_KEYS = ("host", "port", "url", "token", "tokenHeader", "tenant", "database")


class VectorSettings(ComponentArgs):
    """The ChromaDB server's size (the `chroma` backend); pgvector lives in the stack's PostgreSQL."""

    chroma_volume_gb: int = Field(
        default=10, ge=1, le=1000, description="ChromaDB's volume on the cluster's encrypted StorageClass."
    )
    chroma_cpu_request: str = Field(
        default="100m", pattern=r"^\d+m?$", description="CPU request of the ChromaDB container."
    )
    chroma_memory_request: str = Field(
        default="512Mi", pattern=r"^\d+(Mi|Gi)$", description="Memory request of the ChromaDB container."
    )
    chroma_memory_limit: str = Field(
        default="2Gi",
        pattern=r"^\d+(Mi|Gi)$",
        description="Memory limit of the ChromaDB container; its HNSW indexes live in memory.",
    )


class ChromaArgs(ComponentArgs):
    """One ChromaDB server for the apps of the stack that use vectors."""

    settings: VectorSettings = Field(default_factory=VectorSettings, description="Its sizes.")
    namespace: str = Field(description="The app namespace: the server and its connection Secret live there.")
    storage_class_name: str = Field(description="The cluster's (encrypted) StorageClass for the claim.")
    clients: tuple[str, ...] = Field(
        default=(), description="The apps that use it: only their pods may connect."
    )
    client_labels: Mapping[str, Mapping[str, str]] = Field(
        default_factory=dict, description="Each client's pod selector labels, by app name."
    )
    scraper: InstanceOf[Peer] | None = Field(
        default=None, exclude=True, description="Prometheus's pods, admitted on the metrics port."
    )
    monitoring: tuple[InstanceOf[pulumi.Resource], ...] = Field(
        default=(),
        exclude=True,
        description="What installs the ServiceMonitor CRD; the monitor is created with `scraper` only.",
    )
    chroma_image: str = Field(default=CHROMA_IMAGE, description="The ChromaDB image, pinned by tag.")
    proxy_image: str = Field(default=ENVOY_IMAGE, description="The Envoy image, pinned by tag.")


class Chroma(pulumi.ComponentResource):
    """ChromaDB behind a token-checking proxy: endpoint, port and a connection Secret."""

    endpoint: pulumi.Output[str]
    port: pulumi.Output[int]
    connection_secret_name: pulumi.Output[str]
    token: pulumi.Output[str]
    pod_labels: dict[str, str]

    def __init__(self, name: str, args: ChromaArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("groundwork:vector_store:Chroma", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        labels = workload_labels(name, COMPONENT)
        host = f"{name}.{args.namespace}.svc.cluster.local"
        token = random.RandomPassword(f"{name}-token", length=48, special=False, opts=child)
        secret = connection_secret(
            name,
            namespace=args.namespace,
            values={
                "host": host,
                "port": str(PORT),
                "url": f"http://{host}:{PORT}",
                "token": token.result,
                "tokenHeader": "X-Chroma-Token",
                "tenant": "default_tenant",
                "database": "default_database",
            },
            keys=CONNECTION_KEYS,
            parent=self,
        )
        service = self._service(name, args, labels)
        self._workload(name, args, labels, service, token)
        self._network_policies(name, args, labels)
        if args.scraper is not None:
            self._service_monitor(name, args, labels)
        self.pod_labels = labels
        self.endpoint = pulumi.Output.from_input(host)
        self.port = pulumi.Output.from_input(PORT)
        self.connection_secret_name = secret.metadata.name
        self.token = token.result
        self.register_outputs(
            {
                "endpoint": self.endpoint,
                "port": self.port,
                "connection_secret_name": self.connection_secret_name,
                "token": self.token,
            }
        )

    def _service(self, name: str, args: ChromaArgs, labels: Mapping[str, str]) -> k8s.core.v1.Service:
        """The proxy's API port and its statistics; Chroma's own port stays on loopback."""
        child = pulumi.ResourceOptions(parent=self)
        return k8s.core.v1.Service(
            f"{name}-service",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=name, namespace=args.namespace, labels=labels),
            spec=k8s.core.v1.ServiceSpecArgs(
                selector=labels,
                ports=[
                    k8s.core.v1.ServicePortArgs(name="http", port=PORT, target_port="http"),
                    k8s.core.v1.ServicePortArgs(name="metrics", port=METRICS_PORT, target_port="metrics"),
                ],
            ),
            opts=child,
        )

    def _workload(
        self,
        name: str,
        args: ChromaArgs,
        labels: Mapping[str, str],
        service: k8s.core.v1.Service,
        token: random.RandomPassword,
    ) -> None:
        """Chroma's config, the proxy's config (it holds the token: a Secret) and the StatefulSet."""
        child = pulumi.ResourceOptions(parent=self)
        config = k8s.core.v1.ConfigMap(
            f"{name}-config",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=f"{name}-config", namespace=args.namespace, labels=labels
            ),
            data={"config.yaml": chroma_config()},
            opts=child,
        )
        proxy = k8s.core.v1.Secret(
            f"{name}-proxy",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=f"{name}-proxy", namespace=args.namespace, labels=labels
            ),
            type="Opaque",
            string_data=pulumi.Output.secret(token.result.apply(lambda t: {"envoy.yaml": proxy_config(t)})),
            opts=child,
        )
        data_statefulset(
            name,
            namespace=args.namespace,
            labels=labels,
            service=service,
            uid=CHROMA_UID,
            containers=[_chroma_container(args), _proxy_container(args)],
            scratch_volumes=("tmp",),
            storage_class_name=args.storage_class_name,
            volume_size_gb=args.settings.chroma_volume_gb,
            termination_grace_period_seconds=30,
            parent=self,
            extra_volumes=[
                k8s.core.v1.VolumeArgs(
                    name="config", config_map=k8s.core.v1.ConfigMapVolumeSourceArgs(name=config.metadata.name)
                ),
                k8s.core.v1.VolumeArgs(
                    name="proxy",
                    secret=k8s.core.v1.SecretVolumeSourceArgs(
                        secret_name=proxy.metadata.name, default_mode=0o440
                    ),
                ),
            ],
            datastore="chroma",
        )

    def _service_monitor(self, name: str, args: ChromaArgs, labels: Mapping[str, str]) -> None:
        """Prometheus scrapes Envoy's statistics, once the monitoring CRDs exist."""
        k8s.apiextensions.CustomResource(
            f"{name}-servicemonitor",
            api_version="monitoring.coreos.com/v1",
            kind="ServiceMonitor",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=name, namespace=args.namespace, labels=labels),
            spec={
                "selector": {"matchLabels": dict(labels)},
                "endpoints": [{"port": "metrics", "path": "/stats/prometheus", "interval": "30s"}],
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.monitoring)),
        )

    def _network_policies(self, name: str, args: ChromaArgs, labels: Mapping[str, str]) -> None:
        """Ingress from exactly the apps that use vectors (one policy each) and from Prometheus."""
        for app in args.clients:
            network_policy(
                f"{name}-from-{app}",
                args.namespace,
                Allowance(
                    f"allow-{app}-to-{name}",
                    "ingress",
                    pod_labels=dict(labels),
                    peers=[pods(labels=dict(args.client_labels[app]))],
                    ports=[PORT],
                    reason=f"{app} uses vectors",
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
        if args.scraper is not None:
            network_policy(
                f"{name}-from-prometheus",
                args.namespace,
                prometheus_scrape(
                    args.scraper, [METRICS_PORT], pod_labels=labels, name=f"allow-prometheus-to-{name}"
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )


def chroma_config() -> str:
    """Chroma's server config (rust/frontend/src/config.rs): loopback only, data on the claim, no
    reset over the API."""
    return f'listen_address: "127.0.0.1"\nport: {CHROMA_PORT}\npersist_path: "/data"\nallow_reset: false\n'


def _heartbeat_probe(period: int, failures: int) -> k8s.core.v1.ProbeArgs:
    """GET /api/v2/heartbeat on the proxy's port: Chroma listens on loopback only, which the kubelet
    cannot reach, so both containers are probed through Envoy (the path needs no token)."""
    return k8s.core.v1.ProbeArgs(
        http_get=k8s.core.v1.HTTPGetActionArgs(path=HEARTBEAT, port=PORT),
        period_seconds=period,
        timeout_seconds=3,
        failure_threshold=failures,
    )


def _chroma_container(args: ChromaArgs) -> k8s.core.v1.ContainerArgs:
    settings = args.settings
    workload = InClusterWorkload(
        image=args.chroma_image,
        cpu_request=settings.chroma_cpu_request,
        memory_request=settings.chroma_memory_request,
        memory_limit=settings.chroma_memory_limit,
    )
    return k8s.core.v1.ContainerArgs(
        name="chroma",
        image=workload.image,
        # The image's entrypoint is `dumb-init -- chroma`; its default config is replaced by ours.
        args=["run", f"{CONFIG_DIR}/config.yaml"],
        env=[k8s.core.v1.EnvVarArgs(name="HOME", value="/tmp")],
        startup_probe=_heartbeat_probe(5, 60),
        readiness_probe=_heartbeat_probe(10, 3),
        liveness_probe=_heartbeat_probe(30, 6),
        resources=k8s.core.v1.ResourceRequirementsArgs(
            requests={"cpu": workload.cpu_request, "memory": workload.memory_request},
            limits={"memory": workload.memory_limit},
        ),
        security_context=restricted_container_security_context(),
        volume_mounts=[
            k8s.core.v1.VolumeMountArgs(name="data", mount_path="/data"),
            k8s.core.v1.VolumeMountArgs(name="config", mount_path=CONFIG_DIR, read_only=True),
            k8s.core.v1.VolumeMountArgs(name="tmp", mount_path="/tmp"),
        ],
    )


def _proxy_container(args: ChromaArgs) -> k8s.core.v1.ContainerArgs:
    """Envoy as its image's own user; the probes reach Chroma through it, so they test both."""
    restricted = restricted_container_security_context()
    return k8s.core.v1.ContainerArgs(
        name="auth-proxy",
        image=args.proxy_image,
        # No hot restart: it needs shared memory, and a pod restarts by being replaced anyway.
        command=[
            "envoy",
            "--config-path",
            f"{PROXY_DIR}/envoy.yaml",
            "--log-level",
            "warn",
            "--disable-hot-restart",
        ],
        ports=[
            k8s.core.v1.ContainerPortArgs(name="http", container_port=PORT),
            k8s.core.v1.ContainerPortArgs(name="metrics", container_port=METRICS_PORT),
        ],
        startup_probe=_heartbeat_probe(5, 60),
        readiness_probe=_heartbeat_probe(10, 3),
        liveness_probe=_heartbeat_probe(20, 6),
        resources=k8s.core.v1.ResourceRequirementsArgs(
            requests={"cpu": "20m", "memory": "64Mi"}, limits={"memory": "128Mi"}
        ),
        security_context=k8s.core.v1.SecurityContextArgs(
            run_as_non_root=restricted.run_as_non_root,
            run_as_user=ENVOY_UID,
            run_as_group=ENVOY_UID,
            allow_privilege_escalation=False,
            read_only_root_filesystem=True,
            privileged=False,
            capabilities=restricted.capabilities,
            seccomp_profile=restricted.seccomp_profile,
        ),
        volume_mounts=[
            k8s.core.v1.VolumeMountArgs(name="proxy", mount_path=PROXY_DIR, read_only=True),
            k8s.core.v1.VolumeMountArgs(name="tmp", mount_path="/tmp"),
        ],
    )


def _cluster(name: str, port: int) -> dict[str, Any]:
    return {
        "name": name,
        "type": "STATIC",
        "connect_timeout": "2s",
        "load_assignment": {
            "cluster_name": name,
            "endpoints": [
                {
                    "lb_endpoints": [
                        {
                            "endpoint": {
                                "address": {"socket_address": {"address": "127.0.0.1", "port_value": port}}
                            }
                        }
                    ]
                }
            ],
        },
    }


def _listener(
    name: str, port: int, route: dict[str, Any], filters: Sequence[dict[str, Any]]
) -> dict[str, Any]:
    router = {
        "name": "envoy.filters.http.router",
        "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"},
    }
    return {
        "name": name,
        "address": {"socket_address": {"address": "0.0.0.0", "port_value": port}},
        "filter_chains": [
            {
                "filters": [
                    {
                        "name": "envoy.filters.network.http_connection_manager",
                        "typed_config": {
                            "@type": "type.googleapis.com/envoy.extensions.filters.network."
                            "http_connection_manager.v3.HttpConnectionManager",
                            "stat_prefix": name,
                            "route_config": {
                                "name": name,
                                "virtual_hosts": [{"name": name, "domains": ["*"], "routes": [route]}],
                            },
                            "http_filters": [*filters, router],
                        },
                    }
                ]
            }
        ],
    }


def _token_rbac(token: str) -> dict[str, Any]:
    """Allow a request that carries the token (either header), or a GET of the heartbeat; deny the rest."""
    header = {"name": "x-chroma-token", "string_match": {"exact": token}}
    bearer = {"name": "authorization", "string_match": {"exact": f"Bearer {token}"}}
    any_principal = [{"any": True}]
    return {
        "name": "envoy.filters.http.rbac",
        "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC",
            "rules": {
                "action": "ALLOW",
                "policies": {
                    "token": {
                        "permissions": [{"any": True}],
                        "principals": [{"or_ids": {"ids": [{"header": header}, {"header": bearer}]}}],
                    },
                    "heartbeat": {
                        "permissions": [
                            {
                                "and_rules": {
                                    "rules": [
                                        {"url_path": {"path": {"exact": HEARTBEAT}}},
                                        {"header": {"name": ":method", "string_match": {"exact": "GET"}}},
                                    ]
                                }
                            }
                        ],
                        "principals": any_principal,
                    },
                },
            },
        },
    }


def proxy_config(token: str) -> str:
    """Envoy's bootstrap: the authenticated API on :8000, the statistics on :9102, admin on loopback."""
    api = _listener(
        "chroma",
        PORT,
        {"match": {"prefix": "/"}, "route": {"cluster": "chroma", "timeout": "60s"}},
        [_token_rbac(token)],
    )
    metrics = _listener(
        "metrics",
        METRICS_PORT,
        {"match": {"path": "/stats/prometheus"}, "route": {"cluster": "admin"}},
        [],
    )
    return json.dumps(
        {
            "admin": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": ADMIN_PORT}}},
            "static_resources": {
                "listeners": [api, metrics],
                "clusters": [_cluster("chroma", CHROMA_PORT), _cluster("admin", ADMIN_PORT)],
            },
        },
        indent=1,
    )
