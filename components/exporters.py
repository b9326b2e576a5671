"""Prometheus exporters for the data services, each with the ServiceMonitor its chart renders, so
PostgreSQL, Redis and Kafka show up on the dashboards and feed the data-service alerts."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
from pydantic import Field, InstanceOf

from components._lib.args import ComponentArgs, Input
from components.irsa import irsa_trust_policy
from components.namespace import Peer, network_policy, prometheus_scrape
from components.tagging import component_tags

CHART_REPOSITORY = "https://prometheus-community.github.io/helm-charts"
# prometheus-community/helm-charts release tags <chart>-<version>, the newest each (docs/charts.md).
CHARTS: dict[str, tuple[str, str]] = {
    "postgres": ("prometheus-postgres-exporter", "8.2.0"),
    "redis": ("prometheus-redis-exporter", "6.29.0"),
    "kafka": ("prometheus-kafka-exporter", "3.1.1"),
}
HARDENED_CONTAINER = {
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}
HARDENED_POD = {
    "runAsNonRoot": True,
    "runAsUser": 10001,
    "runAsGroup": 10001,
    "seccompProfile": {"type": "RuntimeDefault"},
}
KAFKA_EXPORTER_SERVICE_ACCOUNT = "kafka-exporter"
# The port each exporter serves /metrics on (the exporters' own defaults, which the charts keep).
# The three charts label their pods `app: <chart name>`, which the scrape policies select on.
METRICS_PORTS = {"postgres": 9187, "redis": 9121, "kafka": 9308}


class ExporterTarget(ComponentArgs):
    """One data service to scrape."""

    kind: Literal["postgres", "redis", "kafka"] = Field(description="Which exporter chart.")
    endpoint: Input[str] = Field(
        description="Host name (PostgreSQL, Redis) or the comma-separated bootstrap brokers (Kafka)."
    )
    port: Input[int] = Field(description="The service's port.")
    connection_secret_name: Input[str] = Field(
        description="The data service's Kubernetes Secret in the exporters' namespace; the exporter reads "
        "the keys `username` and `password` from it (Kafka with IAM needs neither)."
    )
    tls: bool = Field(default=True, description="Connect with TLS (every managed backend enforces it).")
    kafka_cluster_arn: Input[str] | None = Field(
        default=None,
        description="MSK cluster whose IAM auth the Kafka exporter uses (read-only describe rights).",
    )


class ExportersArgs(ComponentArgs):
    """Exporters run beside the data services' connection Secrets (`namespace`)."""

    namespace: str = Field(description="The app namespace, where the connection Secrets are.")
    targets: Sequence[ExporterTarget] = Field(description="The data services to scrape.")
    oidc_provider_arn: Input[str] | None = Field(
        default=None, description="For the Kafka exporter's IRSA role when MSK uses IAM."
    )
    oidc_issuer: Input[str] | None = Field(default=None, description="Its issuer, without https://.")
    region: str | None = Field(default=None, description="The MSK cluster's region.")
    tags: Mapping[str, str] = Field(default_factory=dict, description="The stack's tags.")
    scraper: InstanceOf[Peer] | None = Field(
        default=None,
        description="Prometheus's pods; each exporter's metrics port admits them and nothing else. The "
        "exporters reach their data service through the namespace's egress policies, which the data "
        "service components own (the exporters run in the same namespace as the apps).",
    )


class DataServiceExporters(pulumi.ComponentResource):
    """One exporter chart per data service target, each rendering its own ServiceMonitor."""

    release_names: list[str]

    def __init__(self, name: str, args: ExportersArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("groundwork:exporters:DataServiceExporters", name, None, opts)
        self.release_names = []
        # Each chart renders its ServiceMonitor only when monitoring.coreos.com/v1 is served at render
        # time, so the charts wait for what this component waits for (the wiring names Monitoring,
        # whose chart installs those CRDs); otherwise a first `up` silently leaves the monitors out.
        after = pulumi.ResourceOptions(parent=self, depends_on=opts.depends_on if opts else None)
        for target in args.targets:
            chart_name, version = CHARTS[target.kind]
            release = f"{name}-{target.kind}-exporter"
            values = getattr(self, f"_{target.kind}_values")(name, target, args)
            k8s.helm.v4.Chart(
                release,
                chart=chart_name,
                version=version,
                namespace=args.namespace,
                repository_opts=k8s.helm.v4.RepositoryOptsArgs(repo=CHART_REPOSITORY),
                values=values,
                opts=after,
            )
            self.release_names.append(release)
            if args.scraper is not None:
                network_policy(
                    f"{release}-allow-scrape",
                    args.namespace,
                    prometheus_scrape(
                        args.scraper,
                        [METRICS_PORTS[target.kind]],
                        pod_labels={"app": chart_name},
                        name=f"allow-prometheus-to-{target.kind}-exporter",
                    ),
                    opts=pulumi.ResourceOptions(parent=self),
                )
        self.register_outputs({"release_names": self.release_names})

    @staticmethod
    def _postgres_values(name: str, target: ExporterTarget, args: ExportersArgs) -> dict[str, Any]:
        return {
            "config": {
                "datasource": {
                    "host": target.endpoint,
                    "port": pulumi.Output.from_input(target.port).apply(str),
                    "database": "postgres",
                    "sslmode": "require" if target.tls else "disable",
                    "userSecret": {"name": target.connection_secret_name, "key": "username"},
                    "passwordSecret": {"name": target.connection_secret_name, "key": "password"},
                }
            },
            "serviceMonitor": {"enabled": True, "interval": "30s"},
            "podSecurityContext": HARDENED_POD,
            "securityContext": HARDENED_CONTAINER,
            "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}},
        }

    @staticmethod
    def _redis_values(name: str, target: ExporterTarget, args: ExportersArgs) -> dict[str, Any]:
        scheme = "rediss" if target.tls else "redis"
        return {
            "redisAddress": pulumi.Output.concat(
                scheme, "://", target.endpoint, ":", pulumi.Output.from_input(target.port).apply(str)
            ),
            "auth": {"enabled": True, "secret": {"name": target.connection_secret_name, "key": "password"}},
            "serviceMonitor": {"enabled": True, "interval": "30s"},
            # The chart renders both contexts with toYaml (templates/deployment.yaml); 59000 is the
            # redis_exporter image's own non-root user.
            "podSecurityContext": {**HARDENED_POD, "runAsUser": 59000, "runAsGroup": 59000},
            "securityContext": HARDENED_CONTAINER,
            "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}},
        }

    def _kafka_values(self, name: str, target: ExporterTarget, args: ExportersArgs) -> dict[str, Any]:
        values: dict[str, Any] = {
            "kafkaServer": pulumi.Output.from_input(target.endpoint).apply(
                lambda brokers: [b.strip() for b in brokers.split(",") if b.strip()]
            ),
            "tls": {"enabled": target.tls, "insecureSkipVerify": False},
            "serviceAccount": {"create": True, "name": KAFKA_EXPORTER_SERVICE_ACCOUNT},
            "prometheus": {
                "serviceMonitor": {"enabled": True, "namespace": args.namespace, "interval": "30s"}
            },
            "securityContext": HARDENED_POD,
            "containerSecurityContext": HARDENED_CONTAINER,
            "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}},
        }
        if target.kafka_cluster_arn is not None:
            if args.oidc_provider_arn is None or args.oidc_issuer is None or args.region is None:
                raise ValueError(
                    f"DataServiceExporters {name}: MSK IAM auth needs oidc_provider_arn, "
                    "oidc_issuer and region for the exporter's IRSA role"
                )
            role = self._kafka_role(name, target.kafka_cluster_arn, args)
            values["serviceAccount"]["annotations"] = {
                "eks.amazonaws.com/role-arn": role.arn,
                "eks.amazonaws.com/sts-regional-endpoints": "true",
            }
            values["sasl"] = {"enabled": True, "awsiam": {"enabled": True, "awsRegion": args.region}}
        return values

    def _kafka_role(self, name: str, cluster_arn: pulumi.Input[str], args: ExportersArgs) -> aws.iam.Role:
        child = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(
            f"{name}-kafka-exporter",
            description="kafka_exporter reads MSK topic offsets and consumer-group lag (read-only)",
            assume_role_policy=irsa_trust_policy(
                args.oidc_provider_arn, args.oidc_issuer, args.namespace, KAFKA_EXPORTER_SERVICE_ACCOUNT
            ),
            tags=component_tags(args.tags, name),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-kafka-exporter",
            role=role.id,
            policy=pulumi.Output.from_input(cluster_arn).apply(_kafka_read_policy),
            opts=child,
        )
        return role


def _kafka_read_policy(cluster_arn: str) -> str:
    """Describe rights on one MSK cluster, its topics and its groups; no data read, no writes."""
    scoped = cluster_arn.replace(":cluster/", ":{}/", 1)
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["kafka-cluster:Connect", "kafka-cluster:DescribeCluster"],
                    "Resource": cluster_arn,
                },
                {
                    "Effect": "Allow",
                    "Action": ["kafka-cluster:DescribeTopic"],
                    "Resource": scoped.format("topic") + "/*",
                },
                {
                    "Effect": "Allow",
                    "Action": ["kafka-cluster:DescribeGroup"],
                    "Resource": scoped.format("group") + "/*",
                },
            ],
        }
    )
