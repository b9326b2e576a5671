"""Monitoring config: the settings of the monitoring stack, central logs and the AWS-side alarms
(the components' own models) in one `groundwork:monitoring` section, and the rules that depend on
the environment."""

from __future__ import annotations

from pydantic import Field

from components.alarms import AlarmsSettings
from components.log_shipping import LogShippingSettings
from components.monitoring import MonitoringSettings
from stacks.config.errors import ConfigIssue


class AlarmsConfig(AlarmsSettings):
    """`groundwork:monitoring.alarms`: CloudWatch alarms on the managed data services and the
    monthly AWS budget (AWS stacks only)."""

    enabled: bool = Field(
        default=True, description="Create the alarms and the budget; must be false in `local` (no AWS)."
    )


class MonitoringConfig(MonitoringSettings, LogShippingSettings):
    """`groundwork:monitoring`: kube-prometheus-stack (components.monitoring), where container logs
    go (components.log_shipping) and the AWS-side alarms (components.alarms)."""

    enabled: bool = Field(default=True, description="Run the monitoring stack and ship container logs.")
    alarms: AlarmsConfig = Field(default_factory=AlarmsConfig, description="The AWS-side alarms.")


def monitoring_issues(environment: str, monitoring: MonitoringConfig) -> list[ConfigIssue]:
    """Rules that depend on the environment; each names the key to change."""
    issues: list[ConfigIssue] = []
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
    if environment == "prod" and monitoring.enabled and not monitoring.alerting.has_receiver:
        issues.append(
            ConfigIssue(
                "monitoring.alerting",
                "(no receiver)",
                "prod needs at least one of slackWebhookUrl, pagerdutyRoutingKey (set both with "
                "`pulumi config set --secret`) or emailTo, or alerts go nowhere",
            )
        )
    return issues
