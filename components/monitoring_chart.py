"""What kube-prometheus-stack is given: the pinned chart, its values, and the Alertmanager
configuration its `configSecret` carries, as plain data.

components.monitoring creates the resources (namespace, secrets, the Chart, dashboards and rules);
this module only says what goes into the chart, so a chart upgrade or a values change is read and
reviewed here, against the chart's own values.yaml at the pinned version.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pulumi

if TYPE_CHECKING:
    from components.monitoring import AlertingSettings, MonitoringArgs

# prometheus-community/helm-charts tag kube-prometheus-stack-88.5.3 (operator v0.93.1; grafana 12.11.1
# from grafana-community/helm-charts). Pinned: a chart upgrade is a reviewed change, never drift.
KPS_CHART = "kube-prometheus-stack"
KPS_CHART_VERSION = "88.5.3"
KPS_REPOSITORY = "https://prometheus-community.github.io/helm-charts"

DASHBOARD_LABEL = "grafana_dashboard"
ALERTMANAGER_CONFIG_KEY = "alertmanager.yaml"  # the key the Prometheus operator reads from configSecret
SEVERITIES = ("critical", "warning", "info")
# Grafana's dashboard and datasource sidecars read ConfigMaps cluster-wide; the chart's own ClusterRole
# would let them read every Secret too, so Grafana binds this narrower one instead.
GRAFANA_SIDECAR_ROLE = "groundwork-grafana-sidecar"

# Container settings Pod Security `restricted` asks for, for the chart containers that take them.
RESTRICTED_CONTAINER = {
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}
# The pod settings of Prometheus and Alertmanager: non-root, one fixed group owning their volumes.
_RESTRICTED_POD = {
    "runAsNonRoot": True,
    "runAsUser": 1000,
    "runAsGroup": 2000,
    "fsGroup": 2000,
    "seccompProfile": {"type": "RuntimeDefault"},
}


def _resources(cpu: str, memory: str, memory_limit: str) -> dict[str, Any]:
    """Requests the scheduler reserves and the memory ceiling that stops a leak (K8S-POD-012)."""
    return {"requests": {"cpu": cpu, "memory": memory}, "limits": {"memory": memory_limit}}


def _claim(storage_class_name: str, size_gi: int) -> dict[str, Any]:
    """A persistent volume per replica (the chart's default is an emptyDir: data lost on restart)."""
    return {
        "volumeClaimTemplate": {
            "spec": {
                "storageClassName": storage_class_name,
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": f"{size_gi}Gi"}},
            }
        }
    }


def kps_values(
    args: MonitoringArgs, grafana_secret_name: pulumi.Input[str], alertmanager_secret_name: pulumi.Input[str]
) -> dict[str, Any]:
    """kube-prometheus-stack's values: Prometheus, Alertmanager and Grafana on persistent volumes,
    restricted where the chart lets them be, Grafana's admin and Alertmanager's configuration from
    the named Secrets."""
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
        "prometheus": _prometheus(args),
        "alertmanager": {
            "alertmanagerSpec": {
                "replicas": args.settings.alertmanager_replicas,
                "configSecret": alertmanager_secret_name,
                "storage": _claim(args.storage_class_name, args.alertmanager_storage_gi),
                "securityContext": _RESTRICTED_POD,
            },
            # Alertmanager never calls the Kubernetes API.
            "serviceAccount": {"automountServiceAccountToken": False},
        },
        "grafana": _grafana(args, grafana_secret_name),
    }


def _prometheus(args: MonitoringArgs) -> dict[str, Any]:
    """Prometheus: retention by time and by 90% of its volume, so a full disk never stops ingestion."""
    settings = args.settings
    return {
        "prometheusSpec": {
            "replicas": settings.prometheus_replicas,
            "retention": f"{settings.prometheus_retention_days}d",
            "retentionSize": f"{int(settings.prometheus_storage_gi * 0.9)}GiB",
            "walCompression": True,
            "storageSpec": _claim(args.storage_class_name, settings.prometheus_storage_gi),
            # Pick up ServiceMonitors, PodMonitors and rules from every namespace, not only
            # those carrying this release's label (the chart's default surprises everyone).
            "serviceMonitorSelectorNilUsesHelmValues": False,
            "podMonitorSelectorNilUsesHelmValues": False,
            "ruleSelectorNilUsesHelmValues": False,
            "probeSelectorNilUsesHelmValues": False,
            "securityContext": _RESTRICTED_POD,
        }
    }


def _grafana(args: MonitoringArgs, grafana_secret_name: pulumi.Input[str]) -> dict[str, Any]:
    """Grafana: admin from the named Secret, a persistent volume, and a dashboard sidecar that reads
    ConfigMaps only (GRAFANA_SIDECAR_ROLE)."""
    return {
        "fullnameOverride": "grafana",
        "admin": {
            "existingSecret": grafana_secret_name,
            "userKey": "admin-user",
            "passwordKey": "admin-password",
        },
        "persistence": {
            "enabled": True,
            "type": "pvc",
            "storageClassName": args.storage_class_name,
            "accessModes": ["ReadWriteOnce"],
            "size": f"{args.settings.grafana_storage_gi}Gi",
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
    }


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
