"""Blackbox HTTPS probes of every exposed app's name, from inside the cluster.

The prometheus-blackbox-exporter chart runs one restricted pod in the app namespace; one Prometheus
`Probe` per exposed host (the prometheus-operator CRD kube-prometheus-stack installs,
monitoring.coreos.com/v1) has Prometheus ask the exporter to fetch `https://<host><health path>`
every minute, so a probe goes the way a user's request goes: DNS, the load balancer (the ALB on AWS,
Traefik on local), TLS with certificate verification, the app. Two PrometheusRule alerts follow:
`ProbeFailing` and `ProbeTlsCertExpiringSoon` (docs/runbooks/edge.md).

On AWS the exporter resolves the names like anyone else (external-dns's records). On local every
`*.localhost` name resolves to the pod's own loopback, so `connect_to` names Traefik's Service: the
probe URL is that Service and each host gets its own module sending the host's name as the Host
header and as the TLS server name, verified against the local CA (`ca_secret`'s `ca.crt`).

NetworkPolicies: Prometheus (monitoring namespace) may reach the exporter's port, nobody else; the
exporter may open HTTPS to the load balancers only: the public ALB's public addresses and the
internal ALB's addresses in the public subnets (`egress_peers`), or Traefik's pods on local.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
from pydantic import Field, InstanceOf

from components._lib.args import ComponentArgs
from components.exporters import CHART_REPOSITORY, HARDENED_CONTAINER
from components.namespace import Allowance, Peer, network_policy, prometheus_scrape

CHART = ("prometheus-blackbox-exporter", "11.17.2")  # app v0.28.0; tag prometheus-blackbox-exporter-11.17.2
EXPORTER_NAME = "blackbox-exporter"  # fullnameOverride: the Deployment, Service and pods' name
EXPORTER_PODS = {"app.kubernetes.io/name": "prometheus-blackbox-exporter"}
EXPORTER_PORT = 9115
JOB = "blackbox-https"
MODULE = "https_2xx"
CA_FILE = "/etc/blackbox/ca.crt"
RUNBOOK_PAGE = "edge.md"
PROBE_INTERVAL = "60s"
CERT_WARNING_DAYS = 21


class ProbeTarget(ComponentArgs):
    """One exposed app's name and the path that says it is healthy."""

    app: str = Field(min_length=1, max_length=40, description="The app (labels the probe's series).")
    exposure: str = Field(description="public or internal (labels the probe's series).")
    host: str = Field(min_length=3, max_length=253, description="The full name it answers on.")
    path: str = Field(default="/", pattern=r"^/", description="The health path (the app's health.path).")


class BlackboxProbesArgs(ComponentArgs):
    """What to probe, how to reach it, and who may talk to the exporter."""

    namespace: str = Field(description="The app namespace (the exporter, its Probes and rules live there).")
    targets: tuple[ProbeTarget, ...] = Field(min_length=1, description="One per exposed app.")
    scraper: InstanceOf[Peer] = Field(
        description="Prometheus's pods, the only ones that may call the exporter."
    )
    egress_peers: Sequence[InstanceOf[Peer]] = Field(
        min_length=1, description="Where the load balancers' addresses are; HTTPS (443) to them only."
    )
    egress_port: int = Field(default=443, ge=1, le=65535, description="The load balancers' HTTPS port.")
    connect_to: str | None = Field(
        default=None,
        description="An in-cluster HTTPS address to send every probe to instead of resolving the host "
        "(local: Traefik's Service); the host is then sent as Host header and TLS server name.",
    )
    ca_secret: str | None = Field(
        default=None,
        description="A Secret in `namespace` whose ca.crt verifies the hosts' certificates (local's CA); "
        "None: the exporter image's public roots (ACM's certificates chain to them).",
    )
    runbook_base_url: str = Field(min_length=1, description="Prefix of the alerts' runbook_url.")


def _tls(args: BlackboxProbesArgs, host: str | None) -> dict[str, Any]:
    tls: dict[str, Any] = {"insecure_skip_verify": False, "min_version": "TLS12"}
    if host is not None:
        tls["server_name"] = host
    if args.ca_secret is not None:
        tls["ca_file"] = CA_FILE
    return tls


def module_name(args: BlackboxProbesArgs, target: ProbeTarget) -> str:
    return MODULE if args.connect_to is None else f"{MODULE}_{target.app.replace('-', '_')}"


def blackbox_modules(args: BlackboxProbesArgs) -> dict[str, Any]:
    """HTTPS only, a 2xx answer, a verified certificate; per host when probes go to `connect_to`."""

    def module(host: str | None) -> dict[str, Any]:
        http: dict[str, Any] = {
            "valid_http_versions": ["HTTP/1.1", "HTTP/2.0"],
            "method": "GET",
            "follow_redirects": False,
            "fail_if_not_ssl": True,
            "preferred_ip_protocol": "ip4",
            "tls_config": _tls(args, host),
        }
        if host is not None:
            http["headers"] = {"Host": host}
        return {"prober": "http", "timeout": "10s", "http": http}

    if args.connect_to is None:
        return {MODULE: module(None)}
    return {module_name(args, t): module(t.host) for t in args.targets}


def probe_url(args: BlackboxProbesArgs, target: ProbeTarget) -> str:
    base = f"https://{args.connect_to}" if args.connect_to is not None else f"https://{target.host}"
    return f"{base}{target.path}"


def exporter_values(args: BlackboxProbesArgs) -> dict[str, Any]:
    values: dict[str, Any] = {
        "fullnameOverride": EXPORTER_NAME,
        "config": {"modules": blackbox_modules(args)},
        "podSecurityContext": {
            "runAsNonRoot": True,
            "runAsUser": 1000,
            "runAsGroup": 1000,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "securityContext": {**HARDENED_CONTAINER, "runAsUser": 1000, "runAsGroup": 1000},
        # The chart's own ServiceAccount cannot opt out of token automounting; BlackboxProbes creates
        # one that does (the exporter never calls the Kubernetes API).
        "serviceAccount": {"create": False, "name": EXPORTER_NAME},
        "automountServiceAccountToken": False,
        "resources": {"requests": {"cpu": "25m", "memory": "32Mi"}, "limits": {"memory": "64Mi"}},
    }
    if args.ca_secret is not None:
        values["extraSecretMounts"] = [
            {
                "name": "probe-ca",
                "secretName": args.ca_secret,
                "mountPath": CA_FILE,
                "subPath": "ca.crt",
                "readOnly": True,
                "defaultMode": 0o440,
            }
        ]
    return values


def probe_rules(runbook_base_url: str, namespace: str) -> dict[str, Any]:
    runbook = f"{runbook_base_url.rstrip('/')}/{RUNBOOK_PAGE}"
    selector = f'job="{JOB}", namespace="{namespace}"'
    return {
        "groups": [
            {
                "name": "groundwork-probes",
                "rules": [
                    {
                        "alert": "ProbeFailing",
                        "expr": f"probe_success{{{selector}}} == 0",
                        "for": "5m",
                        "labels": {"severity": "critical"},
                        "annotations": {
                            "summary": "HTTPS probe of {{ $labels.instance }} has failed for 5 minutes",
                            "description": "The blackbox exporter cannot fetch {{ $labels.instance }} with a "
                            "verified certificate and a 2xx answer (app {{ $labels.app }}).",
                            "runbook_url": f"{runbook}#probefailing",
                        },
                    },
                    {
                        "alert": "ProbeTlsCertExpiringSoon",
                        "expr": f"probe_ssl_earliest_cert_expiry{{{selector}}} - time() "
                        f"< {CERT_WARNING_DAYS} * 86400",
                        "for": "1h",
                        "labels": {"severity": "warning"},
                        "annotations": {
                            "summary": "{{ $labels.instance }} serves a certificate that expires in "
                            f"under {CERT_WARNING_DAYS} days",
                            "description": "As the probe saw it; renewal has not happened.",
                            "runbook_url": f"{runbook}#probetlscertexpiringsoon",
                        },
                    },
                ],
            }
        ]
    }


class BlackboxProbes(pulumi.ComponentResource):
    """The exporter chart, its two NetworkPolicies, a Probe per host and the probe alerts."""

    probe_urls: dict[str, str]

    def __init__(self, name: str, args: BlackboxProbesArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("groundwork:probes:BlackboxProbes", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        chart_name, version = CHART
        account = k8s.core.v1.ServiceAccount(
            f"{name}-exporter",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=EXPORTER_NAME, namespace=args.namespace),
            automount_service_account_token=False,
            opts=child,
        )
        chart = k8s.helm.v4.Chart(
            f"{name}-exporter",
            chart=chart_name,
            version=version,
            namespace=args.namespace,
            repository_opts=k8s.helm.v4.RepositoryOptsArgs(repo=CHART_REPOSITORY),
            values=exporter_values(args),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[account]),
        )
        for allowance in self._allowances(args):
            network_policy(f"{name}-{allowance.name}", args.namespace, allowance, opts=child)
        self.probe_urls = {}
        labels = {"app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "groundwork"}
        for target in args.targets:
            url = probe_url(args, target)
            k8s.apiextensions.CustomResource(
                f"{name}-{target.app}",
                api_version="monitoring.coreos.com/v1",
                kind="Probe",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=f"https-{target.app}", namespace=args.namespace, labels=labels
                ),
                spec={
                    "jobName": JOB,
                    "interval": PROBE_INTERVAL,
                    "scrapeTimeout": "15s",
                    "module": module_name(args, target),
                    "prober": {
                        "url": f"{EXPORTER_NAME}.{args.namespace}.svc:{EXPORTER_PORT}",
                        "path": "/probe",
                        "scheme": "http",
                    },
                    "targets": {
                        "staticConfig": {
                            "static": [url],
                            "labels": {"app": target.app, "exposure": target.exposure, "host": target.host},
                        }
                    },
                },
                opts=pulumi.ResourceOptions(parent=self, depends_on=[chart]),
            )
            self.probe_urls[target.app] = url
        k8s.apiextensions.CustomResource(
            f"{name}-rules",
            api_version="monitoring.coreos.com/v1",
            kind="PrometheusRule",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="https-probes", namespace=args.namespace, labels=labels),
            spec=probe_rules(args.runbook_base_url, args.namespace),
            opts=child,
        )
        self.register_outputs({"probe_urls": self.probe_urls})

    @staticmethod
    def _allowances(args: BlackboxProbesArgs) -> list[Allowance]:
        return [
            prometheus_scrape(
                args.scraper, [EXPORTER_PORT], pod_labels=EXPORTER_PODS, name="allow-prometheus-to-blackbox"
            ),
            Allowance(
                "allow-blackbox-to-load-balancers",
                "egress",
                pod_labels=EXPORTER_PODS,
                peers=list(args.egress_peers),
                ports=[args.egress_port],
                reason="the blackbox exporter fetches the exposed apps' names over HTTPS, through their "
                "load balancer",
            ),
        ]
