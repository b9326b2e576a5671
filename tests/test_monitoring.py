"""Monitoring as the stacks send it: kube-prometheus-stack inputs, alert rules, dashboards, secrets."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from components.monitoring import KPS_CHART_VERSION, dashboard_panels
from stacks.config.loader import SECRET_PLACEHOLDER
from stacks.preflight.capture import SECRET_SIG, SIG_KEY
from tests.observability_harness import observe

RUNBOOKS = Path(__file__).resolve().parents[1] / "docs" / "runbooks"
RULE_TYPE = "kubernetes:monitoring.coreos.com/v1:PrometheusRule"
CHART_TYPE = "kubernetes:helm.sh/v4:Chart"
# The alerts the seed plans ask for, by what they watch.
SEED_ALERTS = {
    "NodeCpuHigh",
    "NodeMemoryHigh",
    "NodeDiskFillingUp",
    "PodCrashLooping",
    "PodNotReady",
    "HighHttp5xxRate",
    "ApiLatencyP95High",
    "KafkaConsumerLagHigh",
    "PostgresReplicationLagHigh",
    "PostgresConnectionsSaturated",
    "CertificateExpiringSoon",
}
SEED_DASHBOARDS = {"cluster-overview", "node-pod-resources", "postgresql", "redis", "kafka", "api-slo"}


def alert_rules(stack: str) -> dict[str, dict]:
    rules = {}
    for resource in observe(stack).of_type(RULE_TYPE):
        for group in resource.props["spec"]["groups"]:
            rules.update({rule["alert"]: rule for rule in group["rules"] if "alert" in rule})
    return rules


def github_anchors(markdown: str) -> set[str]:
    """Anchors GitHub derives from headings: lower case, punctuation dropped, spaces to dashes."""
    return {
        re.sub(r"[^\w\- ]", "", line.lstrip("#").strip().lower()).replace(" ", "-")
        for line in markdown.splitlines()
        if line.startswith("#")
    }


def test_every_seed_alert_is_deployed():
    assert set(alert_rules("prod")) >= SEED_ALERTS


def test_rules_are_prometheus_rule_custom_resources():
    resources = observe("prod").of_type(RULE_TYPE)
    assert resources and all(
        r.props["apiVersion"] == "monitoring.coreos.com/v1" and r.props["kind"] == "PrometheusRule"
        for r in resources
    )


@pytest.mark.parametrize("name,rule", sorted(alert_rules("prod").items()))
def test_alert_has_severity_duration_and_runbook(name, rule):
    assert rule["labels"]["severity"] in {"critical", "warning", "info"}
    assert re.fullmatch(r"\d+[smh]", rule["for"]), f"{name} needs a for: duration"
    page, _, anchor = rule["annotations"]["runbook_url"].partition("#")
    assert page.startswith("docs/runbooks/")
    target = RUNBOOKS / page.removeprefix("docs/runbooks/")
    assert target.exists(), f"{name}: {target} missing"
    assert anchor in github_anchors(target.read_text()), f"{name}: no heading for #{anchor} in {target.name}"


def test_runbook_urls_use_the_configured_base():
    rules = {}
    capture = observe("staging")
    for resource in capture.of_type(RULE_TYPE):
        for group in resource.props["spec"]["groups"]:
            rules.update({r["alert"]: r for r in group["rules"] if "alert" in r})
    assert all(r["annotations"]["runbook_url"].startswith("docs/runbooks/alerts.md#") for r in rules.values())


def test_expressions_have_balanced_brackets():
    exprs = [r["expr"] for r in alert_rules("prod").values()]
    exprs += [
        t["expr"]
        for _, text in dashboards("prod").items()
        for p in dashboard_panels(text)
        for t in p["targets"]
    ]
    for expr in exprs:
        for opening, closing in ("()", "{}", "[]"):
            assert expr.count(opening) == expr.count(closing), expr


def dashboards(stack: str) -> dict[str, str]:
    maps = [
        r
        for r in observe(stack).of_type("kubernetes:core/v1:ConfigMap")
        if r.props["metadata"].get("labels", {}).get("grafana_dashboard") == "1"
    ]
    return {key.removesuffix(".json"): text for r in maps for key, text in r.props["data"].items()}


def test_seed_dashboards_are_provisioned_for_the_sidecar():
    assert set(dashboards("prod")) >= SEED_DASHBOARDS


@pytest.mark.parametrize("name", sorted(SEED_DASHBOARDS))
def test_dashboard_is_json_with_promql_panels(name):
    text = dashboards("prod")[name]
    board = json.loads(text)
    assert board["uid"] and board["title"]
    panels = dashboard_panels(text)
    assert len(panels) >= 4
    for panel in panels:
        assert panel["targets"] and all(t["expr"].strip() for t in panel["targets"]), panel["title"]


def test_dashboard_uids_are_unique():
    uids = [json.loads(text)["uid"] for text in dashboards("prod").values()]
    assert len(uids) == len(set(uids))


def kps(stack: str):
    charts = [r for r in observe(stack).of_type(CHART_TYPE) if r.props["chart"] == "kube-prometheus-stack"]
    assert len(charts) == 1
    return charts[0]


def test_chart_version_is_pinned():
    props = kps("prod").props
    assert props["version"] == KPS_CHART_VERSION
    assert re.fullmatch(r"\d+\.\d+\.\d+", props["version"])
    assert props["repositoryOpts"]["repo"] == "https://prometheus-community.github.io/helm-charts"


@pytest.mark.parametrize("stack,retention,size", [("dev", "7d", "20Gi"), ("prod", "30d", "100Gi")])
def test_prometheus_retention_and_storage_per_stack(stack, retention, size):
    spec = kps(stack).props["values"]["prometheus"]["prometheusSpec"]
    assert spec["retention"] == retention
    claim = spec["storageSpec"]["volumeClaimTemplate"]["spec"]
    assert claim["resources"]["requests"]["storage"] == size
    assert claim["storageClassName"] == "gp3"


def test_prometheus_selects_monitors_and_rules_from_all_namespaces():
    spec = kps("prod").props["values"]["prometheus"]["prometheusSpec"]
    for key in (
        "serviceMonitorSelectorNilUsesHelmValues",
        "podMonitorSelectorNilUsesHelmValues",
        "ruleSelectorNilUsesHelmValues",
    ):
        assert spec[key] is False


def test_prod_runs_ha_prometheus_and_alertmanager():
    values = kps("prod").props["values"]
    assert values["prometheus"]["prometheusSpec"]["replicas"] == 2
    assert values["alertmanager"]["alertmanagerSpec"]["replicas"] == 3


def test_grafana_uses_generated_password_from_existing_secret():
    capture = observe("prod")
    grafana = kps("prod").props["values"]["grafana"]
    secret = capture.named("prod-monitoring-grafana-admin-secret")
    assert grafana["admin"]["existingSecret"] == secret.props["metadata"]["name"]
    assert secret.is_secret("stringData")
    assert set(secret.props["stringData"]) == {"admin-user", "admin-password"}
    assert capture.outputs["grafana_admin_password"] == "[secret]"
    assert grafana["persistence"]["enabled"] is True


def alertmanager_secret(stack: str, variant: str = "plain"):
    return observe(stack, variant).named(f"{stack}-monitoring-alertmanager-config")


def alertmanager_config(stack: str, variant: str = "plain") -> dict:
    return yaml.safe_load(alertmanager_secret(stack, variant).props["stringData"]["alertmanager.yaml"])


def test_alertmanager_reads_the_groundwork_config_secret():
    values = kps("prod").props["values"]["alertmanager"]["alertmanagerSpec"]
    assert values["configSecret"] == alertmanager_secret("prod").props["metadata"]["name"]


def test_alertmanager_routes_by_severity():
    config = alertmanager_config("prod", "secure-alerting")
    routed = {route["receiver"]: route["matchers"] for route in config["route"]["routes"]}
    assert routed["critical"] == ['severity = "critical"'] and routed["warning"] == ['severity = "warning"']
    receivers = {r["name"]: r for r in config["receivers"]}
    assert receivers["critical"]["pagerduty_configs"][0]["routing_key"] == SECRET_PLACEHOLDER
    assert receivers["warning"]["slack_configs"][0]["api_url"] == SECRET_PLACEHOLDER
    assert "pagerduty_configs" not in receivers["warning"]
    assert config["global"]["smtp_auth_password"] == SECRET_PLACEHOLDER


def test_alertmanager_credentials_travel_only_as_secrets():
    capture = observe("prod", "secure-alerting")
    assert alertmanager_secret("prod", "secure-alerting").is_secret("stringData")
    leaks = [
        r.name for r in capture.resources if SECRET_PLACEHOLDER in json.dumps(_without_secrets(r.inputs))
    ]
    assert leaks == []


def _without_secrets(value):
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            return None
        return {k: _without_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_secrets(v) for v in value]
    return value


def test_prod_stack_file_email_receiver_reaches_alertmanager():
    receivers = {r["name"]: r for r in alertmanager_config("prod")["receivers"]}
    assert receivers["info"]["email_configs"][0]["to"] == "platform-oncall@example.com"
