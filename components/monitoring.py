"""Cluster monitoring: kube-prometheus-stack (Prometheus, Alertmanager, Grafana), the platform's alert
rules and dashboards as code, and Alertmanager routing whose credentials never leave a Pulumi secret.

This module holds the settings, the namespace's flows and the resources; what the chart is given (its
pin, its values and the Alertmanager configuration) is plain data in components.monitoring_chart,
re-exported here."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random
import yaml
from pydantic import Field, InstanceOf, SecretStr, field_validator, model_validator

from components._lib.args import ComponentArgs, SettingError
from components._lib.fields import Link
from components.monitoring_chart import (
    ALERTMANAGER_CONFIG_KEY,
    DASHBOARD_LABEL,
    GRAFANA_SIDECAR_ROLE,
    KPS_CHART,
    KPS_CHART_VERSION,
    KPS_REPOSITORY,
    RESTRICTED_CONTAINER,
    SEVERITIES,
    alertmanager_config,
    kps_values,
)
from components.namespace import (
    PRIVATE_RANGES,
    Allowance,
    ApiServerEndpoint,
    AppNamespace,
    Peer,
    Port,
    any_namespace,
    environment_labels,
    internet,
    ip_range,
    kube_api_egress,
    platform_namespace,
    pods,
)

ASSETS = Path(__file__).resolve().parent / "monitoring_assets"
DASHBOARD_DIR = ASSETS / "dashboards"
RULES_DIR = ASSETS / "rules"

DEFAULT_NAMESPACE = "monitoring"
# The Prometheus operator labels every pod of a Prometheus, Alertmanager and the chart's Grafana so.
PROMETHEUS_PODS = {"app.kubernetes.io/name": "prometheus"}
ALERTMANAGER_PODS = {"app.kubernetes.io/name": "alertmanager"}
GRAFANA_PODS = {"app.kubernetes.io/name": "grafana"}
PROMETHEUS_PORT, ALERTMANAGER_PORT, ALERTMANAGER_MESH_PORT = 9090, 9093, 9094
OPERATOR_WEBHOOK_PORT = 10250  # kube-prometheus-stack's prometheusOperator.tls.internalPort


def prometheus_peer(namespace: str = DEFAULT_NAMESPACE) -> Peer:
    """Prometheus's pods, as other namespaces' scrape allowances name them."""
    return Peer(namespace=namespace, pod_labels=PROMETHEUS_PODS)


class AlertingSettings(ComponentArgs):
    """Where Alertmanager sends alerts (`groundwork:monitoring.alerting`), by severity: critical goes
    to PagerDuty, Slack and email; warning to Slack and email; info to email (or Slack when there is
    no email). With nothing configured, alerts stay visible in Alertmanager and Grafana only.

    Credentials are set with `pulumi config set --secret`; the component folds them into one
    Kubernetes Secret whose content is a Pulumi secret, so they never appear in plain text.
    """

    slack_webhook_url: SecretStr | None = Field(
        default=None, description="Slack incoming-webhook URL (a secret) for critical and warning alerts."
    )
    slack_channel: str = Field(default="#alerts", description="The Slack channel alerts are posted to.")
    pagerduty_routing_key: SecretStr | None = Field(
        default=None, description="PagerDuty Events v2 routing key (a secret): critical alerts page."
    )
    email_to: list[str] = Field(default_factory=list, description="Addresses every alert is mailed to.")
    email_from: str | None = Field(default=None, description="The sender address of alert mail.")
    smtp_smarthost: str | None = Field(
        default=None, description="The SMTP relay as host:port (TLS required)."
    )
    smtp_auth_username: str | None = Field(default=None, description="The relay's username.")
    smtp_auth_password: SecretStr | None = Field(default=None, description="The relay's password (a secret).")

    @field_validator("email_to")
    @classmethod
    def _emails(cls, value: list[str]) -> list[str]:
        bad = [v for v in value if "@" not in v]
        if bad:
            raise ValueError(f"email addresses such as oncall@example.com, not {bad}")
        return value

    @model_validator(mode="after")
    def _mail_needs_a_relay(self) -> AlertingSettings:
        if self.email_to and not (self.email_from and self.smtp_smarthost):
            raise SettingError("emailTo", self.email_to, "needs emailFrom and smtpSmarthost (host:port) too")
        if self.smtp_auth_password and not self.smtp_auth_username:
            raise SettingError("smtpAuthUsername", None, "is required when smtpAuthPassword is set")
        return self

    @property
    def has_receiver(self) -> bool:
        return bool(self.slack_webhook_url or self.pagerduty_routing_key or self.email_to)

    def credentials(self) -> dict[str, pulumi.Output[str]]:
        """The credentials that are set, as Pulumi secrets (they enter the program as nothing else)."""
        given = {
            "slack_webhook_url": self.slack_webhook_url,
            "pagerduty_routing_key": self.pagerduty_routing_key,
            "smtp_auth_password": self.smtp_auth_password,
        }
        return {k: pulumi.Output.secret(v.get_secret_value()) for k, v in given.items() if v is not None}


class MonitoringSettings(ComponentArgs):
    """kube-prometheus-stack sizing and alert routing: the keys of `groundwork:monitoring`. Defaults
    are prod's shape: 30 days of metrics, HA Prometheus and a three-node Alertmanager cluster."""

    prometheus_retention_days: int = Field(default=30, ge=1, le=365, description="Days of metrics kept.")
    prometheus_storage_gi: int = Field(
        default=100,
        ge=1,
        description="Prometheus's volume; retention by size is 90% of it, so a full disk never stops "
        "ingestion.",
    )
    prometheus_replicas: int = Field(default=2, ge=1, le=3, description="2 scrapes everything twice (HA).")
    alertmanager_replicas: int = Field(
        default=3, ge=1, le=3, description="3 form a gossiping cluster that survives losing a node."
    )
    grafana_storage_gi: int = Field(default=10, ge=1, description="Grafana's volume.")
    runbook_base_url: Link = Field(
        default="docs/runbooks",
        description="Prefix of every alert's runbook_url (the repository's docs/runbooks on the web).",
    )
    alerting: AlertingSettings = Field(default_factory=AlertingSettings, description="Where alerts go.")


class MonitoringArgs(ComponentArgs):
    """The settings plus what the cluster provides."""

    settings: MonitoringSettings = Field(default_factory=MonitoringSettings, description="Sizing, routing.")
    storage_class_name: str = Field(
        description="Class for the Prometheus, Alertmanager and Grafana volumes (data survives pod "
        "restarts; the chart's default is an emptyDir)."
    )
    namespace: str = Field(default=DEFAULT_NAMESPACE, description="The monitoring namespace.")
    alertmanager_storage_gi: int = Field(default=5, ge=1, description="Each Alertmanager's volume.")
    chart_version: str = Field(default=KPS_CHART_VERSION, description="kube-prometheus-stack, pinned.")
    api_server: InstanceOf[ApiServerEndpoint] = Field(
        default_factory=ApiServerEndpoint,
        description="Where the operator, Prometheus's service discovery, kube-state-metrics and Grafana's "
        "dashboard sidecar reach the Kubernetes API (see components.namespace.ApiServerEndpoint).",
    )
    environment: str | None = Field(default=None, description="Labels the namespace with the environment.")


def monitoring_allowances(args: MonitoringArgs) -> list[Allowance]:
    """The flows the monitoring namespace needs on top of default-deny and DNS.

    node-exporter runs with hostNetwork, which NetworkPolicy does not govern; everything else does.
    """
    prometheus, alertmanager, grafana = (
        pods(labels=PROMETHEUS_PODS),
        pods(labels=ALERTMANAGER_PODS),
        pods(labels=GRAFANA_PODS),
    )
    smtp_port = _smtp_port(args.settings.alerting.smtp_smarthost)
    return [
        kube_api_egress(args.api_server),
        *_prometheus_and_grafana_flows(prometheus, alertmanager, grafana),
        *_alertmanager_flows(prometheus, alertmanager, grafana, smtp_port),
        Allowance(
            "allow-operator-webhook",
            "ingress",
            ports=[OPERATOR_WEBHOOK_PORT],
            reason="the API server calls the operator's admission webhook; its address is not a pod",
        ),
    ]


def _prometheus_and_grafana_flows(prometheus: Peer, alertmanager: Peer, grafana: Peer) -> list[Allowance]:
    """Prometheus scrapes anything (each target's own policy decides); Grafana queries it."""
    return [
        Allowance(
            "allow-prometheus-scrape-egress",
            "egress",
            pod_labels=PROMETHEUS_PODS,
            peers=[any_namespace(), *(ip_range(cidr) for cidr in PRIVATE_RANGES)],
            reason="ServiceMonitors name targets on any port in any namespace, on nodes (kubelet, "
            "node-exporter) and in the VPC (MSK's exporters); each target's own ingress "
            "policy decides whether Prometheus gets in",
        ),
        Allowance(
            "allow-prometheus-scrape",
            "ingress",
            peers=[prometheus],
            reason="Prometheus scrapes the stack's own components (kube-state-metrics, operator, "
            "Alertmanager, Grafana, itself)",
        ),
        Allowance(
            "allow-grafana-to-prometheus",
            "ingress",
            pod_labels=PROMETHEUS_PODS,
            peers=[grafana],
            ports=[PROMETHEUS_PORT],
            reason="Grafana queries Prometheus",
        ),
        Allowance(
            "allow-grafana-egress",
            "egress",
            pod_labels=GRAFANA_PODS,
            peers=[prometheus, alertmanager],
            ports=[PROMETHEUS_PORT, ALERTMANAGER_PORT],
            reason="Grafana queries Prometheus and reads Alertmanager's alerts and silences",
        ),
    ]


def _alertmanager_flows(
    prometheus: Peer, alertmanager: Peer, grafana: Peer, smtp_port: int | None
) -> list[Allowance]:
    """Alerts in, the replicas' gossip, and notifications out to the public receivers only."""
    return [
        Allowance(
            "allow-alerts-to-alertmanager",
            "ingress",
            pod_labels=ALERTMANAGER_PODS,
            peers=[prometheus, grafana],
            ports=[ALERTMANAGER_PORT],
            reason="Prometheus sends alerts to Alertmanager; Grafana shows them",
        ),
        Allowance(
            "allow-alertmanager-mesh",
            "ingress",
            pod_labels=ALERTMANAGER_PODS,
            peers=[alertmanager],
            ports=[Port(ALERTMANAGER_MESH_PORT, "TCP"), Port(ALERTMANAGER_MESH_PORT, "UDP")],
            reason="Alertmanager replicas gossip silences and notification state",
        ),
        Allowance(
            "allow-alertmanager-mesh-egress",
            "egress",
            pod_labels=ALERTMANAGER_PODS,
            peers=[alertmanager],
            ports=[Port(ALERTMANAGER_MESH_PORT, "TCP"), Port(ALERTMANAGER_MESH_PORT, "UDP")],
            reason="Alertmanager replicas gossip silences and notification state",
        ),
        Allowance(
            "allow-alertmanager-to-receivers",
            "egress",
            pod_labels=ALERTMANAGER_PODS,
            peers=[internet()],
            ports=sorted({443, *([smtp_port] if smtp_port else [])}),
            reason="Slack, PagerDuty (HTTPS) and the SMTP relay are public services with changing "
            "addresses, so the internet minus the private ranges, on their ports only",
        ),
    ]


def _smtp_port(smarthost: str | None) -> int | None:
    """The port of `host:port` (Alertmanager requires one in smtp_smarthost)."""
    if not smarthost or ":" not in smarthost:
        return None
    port = smarthost.rsplit(":", 1)[1]
    return int(port) if port.isdigit() else None


def load_dashboards() -> dict[str, str]:
    """Dashboard file stem -> dashboard JSON text, as shipped in monitoring_assets/dashboards."""
    return {path.stem: path.read_text() for path in sorted(DASHBOARD_DIR.glob("*.json"))}


def load_rules(runbook_base_url: str) -> dict[str, dict[str, Any]]:
    """Rule file stem -> PrometheusRule spec, with each runbook_url made absolute under the base URL."""
    base = runbook_base_url.rstrip("/")
    specs = {}
    for path in sorted(RULES_DIR.glob("*.yaml")):
        spec = yaml.safe_load(path.read_text())
        for group in spec["groups"]:
            for rule in group["rules"]:
                annotations = rule.get("annotations", {})
                if "runbook_url" in annotations:
                    annotations["runbook_url"] = f"{base}/{annotations['runbook_url']}"
        specs[path.stem] = spec
    return specs


class Monitoring(pulumi.ComponentResource):
    """kube-prometheus-stack plus Groundwork's rules, dashboards, Grafana admin secret and alert routing."""

    namespace: pulumi.Output[str]
    grafana_admin_password: pulumi.Output[str]
    grafana_admin_secret_name: pulumi.Output[str]
    alertmanager_config_secret_name: pulumi.Output[str]
    prometheus: Peer  # Prometheus's pods, for the scrape allowances of the namespaces it monitors

    def __init__(self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("groundwork:monitoring:Monitoring", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        labels = {"app.kubernetes.io/part-of": "groundwork", "app.kubernetes.io/managed-by": "pulumi"}

        namespace = AppNamespace(
            name,
            platform_namespace(
                args.namespace,
                pod_security="privileged",
                allowances=monitoring_allowances(args),
                reason=(
                    "node-exporter needs hostNetwork, hostPID and hostPath mounts, "
                    "which only privileged admits"
                ),
                labels={**labels, **environment_labels(args.environment)},
                moved_children={f"{name}-namespace": f"{name}-ns"},
            ),
            opts=child,
        )
        ns_name = namespace.namespace_name
        after_ns = pulumi.ResourceOptions(parent=self, depends_on=[namespace])

        password = random.RandomPassword(f"{name}-grafana-admin", length=32, special=False, opts=child)
        grafana_secret = k8s.core.v1.Secret(
            f"{name}-grafana-admin-secret",
            metadata={"name": "grafana-admin", "namespace": ns_name, "labels": labels},
            type="Opaque",
            string_data=pulumi.Output.secret(
                password.result.apply(lambda p: {"admin-user": "admin", "admin-password": p})
            ),
            opts=after_ns,
        )

        alertmanager_secret = self._alertmanager_secret(name, args, ns_name, labels, after_ns)

        sidecar_role = k8s.rbac.v1.ClusterRole(
            f"{name}-grafana-sidecar",
            metadata={"name": GRAFANA_SIDECAR_ROLE, "labels": labels},
            rules=[{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list", "watch"]}],
            opts=child,
        )
        chart = k8s.helm.v4.Chart(
            f"{name}-kps",
            chart=KPS_CHART,
            version=args.chart_version,
            repository_opts=k8s.helm.v4.RepositoryOptsArgs(repo=KPS_REPOSITORY),
            namespace=ns_name,
            values=kps_values(args, grafana_secret.metadata.name, alertmanager_secret.metadata.name),
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[namespace, grafana_secret, alertmanager_secret, sidecar_role]
            ),
        )

        self._dashboards_and_rules(name, args, ns_name, labels, chart, after_ns)

        self.namespace = ns_name
        self.prometheus = prometheus_peer(args.namespace)
        self.grafana_admin_password = pulumi.Output.secret(password.result)
        self.grafana_admin_secret_name = grafana_secret.metadata.name
        self.alertmanager_config_secret_name = alertmanager_secret.metadata.name
        self.register_outputs(
            {
                "namespace": self.namespace,
                "grafana_admin_password": self.grafana_admin_password,
                "grafana_admin_secret_name": self.grafana_admin_secret_name,
                "alertmanager_config_secret_name": self.alertmanager_config_secret_name,
            }
        )

    @staticmethod
    def _alertmanager_secret(
        name: str,
        args: MonitoringArgs,
        ns_name: pulumi.Output[str],
        labels: Mapping[str, str],
        opts: pulumi.ResourceOptions,
    ) -> k8s.core.v1.Secret:
        """Alertmanager's configuration as a Secret whose content is a Pulumi secret: the receivers'
        credentials are resolved into it and nowhere else."""
        receivers = args.settings.alerting
        given = receivers.credentials()
        resolved_secrets = pulumi.Output.all(**given) if given else pulumi.Output.from_input({})
        config_text = resolved_secrets.apply(
            lambda resolved: yaml.safe_dump(alertmanager_config(receivers, resolved), sort_keys=False)
        )
        return k8s.core.v1.Secret(
            f"{name}-alertmanager-config",
            metadata={"name": "alertmanager-groundwork", "namespace": ns_name, "labels": labels},
            type="Opaque",
            string_data=pulumi.Output.secret(config_text.apply(lambda text: {ALERTMANAGER_CONFIG_KEY: text})),
            opts=opts,
        )

    def _dashboards_and_rules(
        self,
        name: str,
        args: MonitoringArgs,
        ns_name: pulumi.Output[str],
        labels: Mapping[str, str],
        chart: k8s.helm.v4.Chart,
        after_ns: pulumi.ResourceOptions,
    ) -> None:
        """Groundwork's dashboards (ConfigMaps Grafana's sidecar picks up) and alert rules."""
        for stem, text in load_dashboards().items():
            k8s.core.v1.ConfigMap(
                f"{name}-dashboard-{stem}",
                metadata={
                    "name": f"groundwork-dashboard-{stem}",
                    "namespace": ns_name,
                    "labels": {**labels, DASHBOARD_LABEL: "1"},
                },
                data={f"{stem}.json": text},
                opts=after_ns,
            )

        # The PrometheusRule kind comes from the chart's CRDs, so the rules wait for the chart.
        for stem, spec in load_rules(args.settings.runbook_base_url).items():
            k8s.apiextensions.CustomResource(
                f"{name}-rules-{stem}",
                api_version="monitoring.coreos.com/v1",
                kind="PrometheusRule",
                metadata={"name": f"groundwork-{stem}", "namespace": ns_name, "labels": labels},
                spec=spec,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[chart]),
            )


def dashboard_panels(text: str) -> list[dict[str, Any]]:
    """The panels of a dashboard JSON document (rows flattened): what tests and reviewers inspect."""
    panels = []
    for panel in json.loads(text).get("panels", []):
        panels.extend(panel.get("panels", []) if panel.get("type") == "row" else [panel])
    return panels


__all__ = [
    "ALERTMANAGER_CONFIG_KEY",
    "DASHBOARD_LABEL",
    "DEFAULT_NAMESPACE",
    "GRAFANA_SIDECAR_ROLE",
    "KPS_CHART",
    "KPS_CHART_VERSION",
    "KPS_REPOSITORY",
    "RESTRICTED_CONTAINER",
    "SEVERITIES",
    "AlertingSettings",
    "Monitoring",
    "MonitoringArgs",
    "MonitoringSettings",
    "alertmanager_config",
    "dashboard_panels",
    "load_dashboards",
    "load_rules",
    "monitoring_allowances",
    "prometheus_peer",
]
