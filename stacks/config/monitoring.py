"""Monitoring config: Prometheus, Alertmanager receivers, Grafana, central logs, AWS alarms."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, field_validator

from stacks.config.base import ConfigModel
from stacks.config.common import LogRetentionDays
from stacks.config.errors import ConfigIssue


class AlertingConfig(ConfigModel):
    """Where Alertmanager sends alerts, by severity: critical pages (PagerDuty) and posts to Slack
    and email; warning posts to Slack and email; info goes to email only.

    Credentials (Slack webhook, PagerDuty routing key, SMTP password) are set with
    `pulumi config set --secret`; they reach the cluster only inside a Pulumi secret.
    """

    slack_webhook_url: SecretStr | None = None
    slack_channel: str = "#alerts"
    pagerduty_routing_key: SecretStr | None = None
    email_to: list[str] = Field(default_factory=list)
    email_from: str | None = None
    smtp_smarthost: str | None = None
    smtp_auth_username: str | None = None
    smtp_auth_password: SecretStr | None = None

    @field_validator("email_to")
    @classmethod
    def _emails(cls, value: list[str]) -> list[str]:
        bad = [v for v in value if "@" not in v]
        if bad:
            raise ValueError(f"email addresses such as oncall@example.com, not {bad}")
        return value

    @property
    def has_receiver(self) -> bool:
        return bool(self.slack_webhook_url or self.pagerduty_routing_key or self.email_to)


class AlarmsConfig(ConfigModel):
    """CloudWatch alarms on the managed data services and the monthly AWS budget (AWS stacks only;
    the budget's amount is `budget.monthlyUsd`, stacks/config/cost.py)."""

    enabled: bool = True
    emails: list[str] = Field(default_factory=list)


class MonitoringConfig(ConfigModel):
    """kube-prometheus-stack sizing, alert routing, central logs and the AWS-side alarms."""

    enabled: bool = True
    prometheus_retention_days: int = Field(default=15, ge=1, le=365)
    prometheus_storage_gi: int = Field(default=50, ge=1)
    prometheus_replicas: int = Field(default=1, ge=1, le=3)
    alertmanager_replicas: int = Field(default=1, ge=1, le=3)
    grafana_storage_gi: int = Field(default=10, ge=1)
    runbook_base_url: str = "docs/runbooks"
    logs: Literal["cloudwatch", "stdout"] = "cloudwatch"
    log_retention_days: LogRetentionDays = 90
    alerting: AlertingConfig = Field(default_factory=AlertingConfig)
    alarms: AlarmsConfig = Field(default_factory=AlarmsConfig)


PROFILES: dict[str, dict] = {
    "local": {
        "prometheusRetentionDays": 3,
        "prometheusStorageGi": 5,
        "grafanaStorageGi": 1,
        "logs": "stdout",
        "alarms": {"enabled": False},
    },
    "dev": {
        "prometheusRetentionDays": 7,
        "prometheusStorageGi": 20,
        "logRetentionDays": 30,
    },
    "qa": {
        "prometheusRetentionDays": 7,
        "prometheusStorageGi": 20,
        "logRetentionDays": 30,
    },
    "staging": {
        "prometheusRetentionDays": 15,
        "prometheusStorageGi": 50,
        "logRetentionDays": 90,
    },
    "prod": {
        "prometheusRetentionDays": 30,
        "prometheusStorageGi": 100,
        "prometheusReplicas": 2,
        "alertmanagerReplicas": 3,
        "grafanaStorageGi": 10,
        "logRetentionDays": 365,
    },
}


def monitoring_issues(environment: str, monitoring: MonitoringConfig) -> list[ConfigIssue]:
    """Rules across monitoring keys; each names the key to change."""
    issues: list[ConfigIssue] = []
    alerting = monitoring.alerting
    if environment == "local":
        if monitoring.logs != "stdout":
            issues.append(
                ConfigIssue(
                    "monitoring.logs",
                    monitoring.logs,
                    "must be 'stdout' in local: there is no CloudWatch without AWS",
                )
            )
        if monitoring.alarms.enabled:
            issues.append(
                ConfigIssue(
                    "monitoring.alarms.enabled",
                    True,
                    "must be false in local: CloudWatch alarms and budgets need AWS",
                )
            )
    if alerting.email_to and not (alerting.email_from and alerting.smtp_smarthost):
        issues.append(
            ConfigIssue(
                "monitoring.alerting.emailTo",
                alerting.email_to,
                "needs monitoring.alerting.emailFrom and smtpSmarthost (host:port) too",
            )
        )
    if alerting.smtp_auth_password and not alerting.smtp_auth_username:
        issues.append(
            ConfigIssue(
                "monitoring.alerting.smtpAuthUsername", None, "is required when smtpAuthPassword is set"
            )
        )
    if environment == "prod" and monitoring.enabled and not alerting.has_receiver:
        issues.append(
            ConfigIssue(
                "monitoring.alerting",
                "(no receiver)",
                "prod needs at least one of slackWebhookUrl, pagerdutyRoutingKey (set both with "
                "`pulumi config set --secret`) or emailTo, or alerts go nowhere",
            )
        )
    return issues
