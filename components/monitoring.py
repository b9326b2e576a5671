"""Cluster monitoring: kube-prometheus-stack (Prometheus, Alertmanager, Grafana), the platform's alert
rules and dashboards as code, and Alertmanager routing whose credentials never leave a Pulumi secret."""

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

# prometheus-community/helm-charts tag kube-prometheus-stack-88.5.3 (operator v0.93.1; grafana 12.11.1
# from grafana-community/helm-charts). Pinned: a chart upgrade is a reviewed change, never drift.
KPS_CHART = "kube-prometheus-stack"
KPS_CHART_VERSION = "88.5.3"
KPS_REPOSITORY = "https://prometheus-community.github.io/helm-charts"

DASHBOARD_LABEL = "grafana_dashboard"
ALERTMANAGER_CONFIG_KEY = "alertmanager.yaml"  # the key the Prometheus operator reads from configSecret
SEVERITIES = ("critical", "warning", "info")
DEFAULT_NAMESPACE = "monitoring"
# The Prometheus operator labels every pod of a Prometheus, Alertmanager and the chart's Grafana so.
PROMETHEUS_PODS = {"app.kubernetes.io/name": "prometheus"}
ALERTMANAGER_PODS = {"app.kubernetes.io/name": "alertmanager"}
GRAFANA_PODS = {"app.kubernetes.io/name": "grafana"}
PROMETHEUS_PORT, ALERTMANAGER_PORT, ALERTMANAGER_MESH_PORT = 9090, 9093, 9094
OPERATOR_WEBHOOK_PORT = 10250  # kube-prometheus-stack's prometheusOperator.tls.internalPort
# Grafana's dashboard and datasource sidecars read ConfigMaps cluster-wide; the chart's own ClusterRole
# would let them read every Secret too, so Grafana binds this narrower one instead.
GRAFANA_SIDECAR_ROLE = "groundwork-grafana-sidecar"


def _resources(cpu: str, memory: str, memory_limit: str) -> dict[str, Any]:
    return {"requests": {"cpu": cpu, "memory": memory}, "limits": {"memory": memory_limit}}


# Container settings Pod Security `restricted` asks for, for the chart containers that take them.
RESTRICTED_CONTAINER = {
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}


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


def alertmanager_config(receivers: AlertingSettings, secrets: Mapping[str, str | None]) -> dict[str, Any]:
    """The Alertmanager configuration for `receivers`, with resolved credentials in `secrets`
    (keys slack_webhook_url, pagerduty_routing_key, smtp_auth_password)."""
    slack = secrets.get("slack_webhook_url")
    pagerduty = secrets.get("pagerduty_routing_key")
    emails = list(receivers.email_to)

    def slack_configs() -> list[dict]:
        return (
            [
                {
                    "api_url": slack,
                    "channel": receivers.slack_channel,
                    "send_resolved": True,
                    "title": "[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }}",
                    "text": (
                        "{{ range .Alerts }}{{ .Annotations.summary }}\n"
                        "Runbook: {{ .Annotations.runbook_url }}\n{{ end }}"
                    ),
                }
            ]
            if slack
            else []
        )

    def email_configs() -> list[dict]:
        return [{"to": ", ".join(emails), "send_resolved": True}] if emails else []

    channels: dict[str, dict[str, list]] = {
        "critical": {
            "pagerduty_configs": [{"routing_key": pagerduty, "severity": "critical", "send_resolved": True}]
            if pagerduty
            else [],
            "slack_configs": slack_configs(),
            "email_configs": email_configs(),
        },
        "warning": {"slack_configs": slack_configs(), "email_configs": email_configs()},
        "info": {"email_configs": email_configs()} if emails else {"slack_configs": slack_configs()},
    }
    config: dict[str, Any] = {
        "route": {
            "receiver": "warning",
            "group_by": ["alertname", "namespace", "severity"],
            "group_wait": "30s",
            "group_interval": "5m",
            "repeat_interval": "4h",
            "routes": [
                # kube-prometheus-stack's heartbeat and inhibitor alerts fire by design.
                {"matchers": ['alertname =~ "Watchdog|InfoInhibitor"'], "receiver": "null"},
                *(
                    {"matchers": [f'severity = "{severity}"'], "receiver": severity}
                    for severity in SEVERITIES
                ),
            ],
        },
        "inhibit_rules": [
            {
                "source_matchers": ['severity = "critical"'],
                "target_matchers": ['severity =~ "warning|info"'],
                "equal": ["alertname", "namespace"],
            },
        ],
        "receivers": [{"name": "null"}]
        + [
            {"name": severity, **{kind: configs for kind, configs in channels[severity].items() if configs}}
            for severity in SEVERITIES
        ],
    }
    if emails:
        config["global"] = {
            "smtp_smarthost": receivers.smtp_smarthost,
            "smtp_from": receivers.email_from,
            "smtp_require_tls": True,
        }
        if receivers.smtp_auth_username:
            config["global"]["smtp_auth_username"] = receivers.smtp_auth_username
        if secrets.get("smtp_auth_password"):
            config["global"]["smtp_auth_password"] = secrets["smtp_auth_password"]
    return config


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
            values=self._values(args, grafana_secret, alertmanager_secret),
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

    @staticmethod
    def _values(
        args: MonitoringArgs, grafana_secret: k8s.core.v1.Secret, alertmanager_secret: k8s.core.v1.Secret
    ) -> dict[str, Any]:
        settings = args.settings

        def claim(size_gi: int) -> dict[str, Any]:
            return {
                "volumeClaimTemplate": {
                    "spec": {
                        "storageClassName": args.storage_class_name,
                        "accessModes": ["ReadWriteOnce"],
                        "resources": {"requests": {"storage": f"{size_gi}Gi"}},
                    }
                }
            }

        restricted = {
            "runAsNonRoot": True,
            "runAsUser": 1000,
            "runAsGroup": 2000,
            "fsGroup": 2000,
            "seccompProfile": {"type": "RuntimeDefault"},
        }
        return {
            # Short, stable object names (the chart truncates its generated ones to 26 characters):
            # services kps-prometheus, kps-alertmanager and grafana, whatever the release is called.
            "fullnameOverride": "kps",
            "crds": {"enabled": True},
            "defaultRules": {"create": True},
            "prometheusOperator": {
                # The chart's certificate Jobs are Helm hooks, which Chart v4 never runs: without them
                # the operator waits forever for its TLS secret. cert-manager (an add-on on every
                # stack, created before monitoring) issues it instead and injects the webhooks' CA.
                "admissionWebhooks": {"certManager": {"enabled": True}, "patch": {"enabled": False}},
                "resources": _resources("100m", "128Mi", "512Mi"),
            },
            "kube-state-metrics": {
                "resources": _resources("50m", "128Mi", "512Mi"),
                # No secrets collector: kube-state-metrics then needs no right to list Secrets.
                "collectorsExclude": ["secrets"],
            },
            "prometheus-node-exporter": {
                "resources": _resources("50m", "64Mi", "128Mi"),
                # Host networking, PID and paths stay (the monitoring namespace is privileged for them);
                # everything else is dropped.
                "containerSecurityContext": RESTRICTED_CONTAINER,
            },
            "prometheus": {
                "prometheusSpec": {
                    "replicas": settings.prometheus_replicas,
                    "retention": f"{settings.prometheus_retention_days}d",
                    "retentionSize": f"{int(settings.prometheus_storage_gi * 0.9)}GiB",
                    "walCompression": True,
                    "storageSpec": claim(settings.prometheus_storage_gi),
                    # Pick up ServiceMonitors, PodMonitors and rules from every namespace, not only
                    # those carrying this release's label (the chart's default surprises everyone).
                    "serviceMonitorSelectorNilUsesHelmValues": False,
                    "podMonitorSelectorNilUsesHelmValues": False,
                    "ruleSelectorNilUsesHelmValues": False,
                    "probeSelectorNilUsesHelmValues": False,
                    "securityContext": restricted,
                }
            },
            "alertmanager": {
                "alertmanagerSpec": {
                    "replicas": settings.alertmanager_replicas,
                    "configSecret": alertmanager_secret.metadata.name,
                    "storage": claim(args.alertmanager_storage_gi),
                    "securityContext": restricted,
                },
                # Alertmanager never calls the Kubernetes API.
                "serviceAccount": {"automountServiceAccountToken": False},
            },
            "grafana": {
                "fullnameOverride": "grafana",
                "admin": {
                    "existingSecret": grafana_secret.metadata.name,
                    "userKey": "admin-user",
                    "passwordKey": "admin-password",
                },
                "persistence": {
                    "enabled": True,
                    "type": "pvc",
                    "storageClassName": args.storage_class_name,
                    "accessModes": ["ReadWriteOnce"],
                    "size": f"{settings.grafana_storage_gi}Gi",
                },
                # The pod's fsGroup (472, the chart default) gives Grafana its volume; the chart's
                # root init container that chowns it (adding CHOWN and DAC_OVERRIDE) is not needed.
                "initChownData": {"enabled": False},
                "containerSecurityContext": RESTRICTED_CONTAINER,
                "extraEmptyDirMounts": [{"name": "tmp", "mountPath": "/tmp"}],
                "resources": _resources("100m", "256Mi", "512Mi"),
                "rbac": {"useExistingClusterRole": GRAFANA_SIDECAR_ROLE},
                "sidecar": {
                    "securityContext": RESTRICTED_CONTAINER,
                    "resources": _resources("50m", "64Mi", "128Mi"),
                    "dashboards": {
                        "enabled": True,
                        "label": DASHBOARD_LABEL,
                        "labelValue": "1",
                        "searchNamespace": "ALL",
                        "resource": "configmap",
                    },
                    "datasources": {"resource": "configmap"},
                },
            },
        }


def dashboard_panels(text: str) -> list[dict[str, Any]]:
    """The panels of a dashboard JSON document (rows flattened): what tests and reviewers inspect."""
    panels = []
    for panel in json.loads(text).get("panels", []):
        panels.extend(panel.get("panels", []) if panel.get("type") == "row" else [panel])
    return panels
