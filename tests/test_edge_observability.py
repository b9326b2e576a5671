"""The edge's alarms and probes on mocks: dev with a public `api` and an internal `web` gets CloudWatch
alarms on its ACM certificate and both shared ALBs, an EventBridge rule on ACM's renewal events, and a
blackbox Probe per exposed name with the probe alerts; stacks without exposed apps get none of it."""

from __future__ import annotations

import json

import pytest

from components.edge_alarms import ACM_EVENT_TYPES
from components.probes import EXPORTER_NAME, EXPORTER_PODS, JOB
from stacks.preflight.mocks import _digest
from tests.test_monitoring import RUNBOOKS, github_anchors

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
RULE = "aws:cloudwatch/eventRule:EventRule"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"
PROBE = "kubernetes:monitoring.coreos.com/v1:Probe"
PROM_RULE = "kubernetes:monitoring.coreos.com/v1:PrometheusRule"
POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
CHART = "kubernetes:helm.sh/v4:Chart"


@pytest.fixture(scope="module")
def dev(dev_exposed):
    return dev_exposed


def _alarm(capture, suffix: str):
    (alarm,) = [r for r in capture.of_type(ALARM) if r.name == f"dev-edge-alarms-{suffix}"]
    return alarm.props


def _certificate_arn(capture) -> str:
    return capture.outputs["certificate_arn"]


def _suffix(name: str) -> str:
    """The ARN suffix the mock provider's getLoadBalancer returns for the ALB named `name`."""
    return f"app/{name}/{_digest(name, 16)}"


def test_certificate_days_to_expiry_alarm(dev):
    alarm = _alarm(dev, "certificate-expiry")
    assert (alarm["namespace"], alarm["metricName"], alarm["statistic"]) == (
        "AWS/CertificateManager",
        "DaysToExpiry",
        "Minimum",
    )
    assert alarm["dimensions"] == {"CertificateArn": _certificate_arn(dev)}
    assert (alarm["comparisonOperator"], alarm["threshold"]) == ("LessThanThreshold", 30)
    assert (alarm["period"], alarm["evaluationPeriods"], alarm["treatMissingData"]) == (86400, 1, "missing")


def test_the_alarms_publish_to_the_stacks_alarm_topic(dev):
    topic = dev.outputs["alarm_topic_arn"]
    edge = [r.props for r in dev.of_type(ALARM) if r.name.startswith("dev-edge-alarms-")]
    assert len(edge) == 5
    assert all(a["alarmActions"] == [topic] and a["okActions"] == [topic] for a in edge)


def test_renewal_rule_matches_acms_renewal_events_for_this_certificate_only(dev):
    (rule,) = [r for r in dev.of_type(RULE) if r.name == "dev-edge-alarms-certificate-renewal"]
    assert json.loads(rule.props["eventPattern"]) == {
        "source": ["aws.acm"],
        "detail-type": ["ACM Certificate Renewal Action Required", "ACM Certificate Expired"],
        "resources": [_certificate_arn(dev)],
    }
    assert list(ACM_EVENT_TYPES) == json.loads(rule.props["eventPattern"])["detail-type"]


def test_renewal_rule_targets_the_alarm_topic_with_its_runbook(dev):
    (target,) = [r for r in dev.of_type(TARGET) if r.name == "dev-edge-alarms-certificate-renewal"]
    assert target.props["arn"] == dev.outputs["alarm_topic_arn"]
    assert "edge.md#acmcertificaterenewalfailed" in target.props["inputTransformer"]["inputTemplate"]


@pytest.mark.parametrize("exposure", ["public", "internal"])
def test_alb_5xx_alarm_addresses_the_alb_by_its_fixed_name(dev, exposure):
    alarm = _alarm(dev, f"dev-{exposure}-alb-5xx")
    assert (alarm["namespace"], alarm["metricName"], alarm["statistic"]) == (
        "AWS/ApplicationELB",
        "HTTPCode_ELB_5XX_Count",
        "Sum",
    )
    assert alarm["dimensions"] == {"LoadBalancer": _suffix(f"dev-{exposure}")}
    assert (alarm["threshold"], alarm["period"], alarm["evaluationPeriods"]) == (25, 300, 2)
    assert (alarm["datapointsToAlarm"], alarm["treatMissingData"]) == (2, "notBreaching")


@pytest.mark.parametrize("exposure", ["public", "internal"])
def test_unhealthy_targets_alarm_is_a_metrics_insights_query_on_that_alb(dev, exposure):
    alarm = _alarm(dev, f"dev-{exposure}-alb-unhealthy-targets")
    (query,) = alarm["metricQueries"]
    assert query["expression"] == (
        'SELECT MAX(UnHealthyHostCount) FROM SCHEMA("AWS/ApplicationELB", LoadBalancer, TargetGroup) '
        f"WHERE LoadBalancer = '{_suffix(f'dev-{exposure}')}'"
    )
    assert (query["period"], query["returnData"]) == (60, True)
    assert (alarm["comparisonOperator"], alarm["threshold"], alarm["evaluationPeriods"]) == (
        "GreaterThanThreshold",
        0,
        5,
    )
    assert alarm["treatMissingData"] == "notBreaching" and "metricName" not in alarm


@pytest.mark.parametrize("app, exposure", [("api", "public"), ("web", "internal")])
def test_each_ingress_fixes_its_albs_name(dev, app, exposure):
    (ingress,) = [r for r in dev.of_type(INGRESS) if r.name == f"dev-ingress-{app}"]
    assert ingress.props["metadata"]["annotations"]["alb.ingress.kubernetes.io/load-balancer-name"] == (
        f"dev-{exposure}"
    )


def test_alb_alarms_wait_for_the_ingresses_that_make_the_albs(dev):
    ingresses = {r.urn for r in dev.of_type(INGRESS)}
    alarm = next(r for r in dev.of_type(ALARM) if r.name == "dev-edge-alarms-dev-public-alb-5xx")
    assert ingresses <= set(alarm.dependencies)


def test_every_alarm_description_links_a_runbook_section_that_exists(dev):
    anchors = github_anchors((RUNBOOKS / "edge.md").read_text())
    for alarm in (r.props for r in dev.of_type(ALARM) if r.name.startswith("dev-edge-alarms-")):
        anchor = alarm["alarmDescription"].rsplit("edge.md#", 1)[1]
        assert anchor in anchors


def test_one_probe_per_exposed_name_through_the_exporter(dev):
    probes = {r.props["metadata"]["name"]: r.props["spec"] for r in dev.of_type(PROBE)}
    assert sorted(probes) == ["https-api", "https-web"]
    api = probes["https-api"]
    assert api["targets"]["staticConfig"]["static"] == ["https://api.dev.example.com/healthz"]
    assert api["targets"]["staticConfig"]["labels"] == {
        "app": "api",
        "exposure": "public",
        "host": "api.dev.example.com",
    }
    assert api["prober"] == {"url": f"{EXPORTER_NAME}.apps.svc:9115", "path": "/probe", "scheme": "http"}
    assert (api["jobName"], api["module"], api["interval"]) == (JOB, "https_2xx", "60s")


def test_the_aws_probe_module_verifies_tls_and_wants_https(dev):
    (chart,) = [r for r in dev.of_type(CHART) if r.props["chart"] == "prometheus-blackbox-exporter"]
    (module,) = chart.props["values"]["config"]["modules"].values()
    assert module["http"]["fail_if_not_ssl"] is True
    assert module["http"]["tls_config"] == {"insecure_skip_verify": False, "min_version": "TLS12"}
    assert "headers" not in module["http"] and "extraSecretMounts" not in chart.props["values"]


def test_probe_alerts_have_runbook_sections(dev):
    (rules,) = [
        r.props["spec"] for r in dev.of_type(PROM_RULE) if r.props["metadata"]["name"] == "https-probes"
    ]
    alerts = {rule["alert"]: rule for rule in rules["groups"][0]["rules"]}
    assert alerts["ProbeFailing"]["expr"] == 'probe_success{job="blackbox-https", namespace="apps"} == 0'
    assert alerts["ProbeTlsCertExpiringSoon"]["expr"] == (
        'probe_ssl_earliest_cert_expiry{job="blackbox-https", namespace="apps"} - time() < 21 * 86400'
    )
    anchors = github_anchors((RUNBOOKS / "edge.md").read_text())
    assert {a["annotations"]["runbook_url"].rsplit("#", 1)[1] for a in alerts.values()} <= anchors


def _policies(capture) -> dict[str, dict]:
    return {r.props["metadata"]["name"]: r.props["spec"] for r in capture.of_type(POLICY)}


def test_only_prometheus_may_call_the_exporter(dev):
    spec = _policies(dev)["allow-prometheus-to-blackbox"]
    assert spec["podSelector"] == {"matchLabels": EXPORTER_PODS}
    (rule,) = spec["ingress"]
    assert rule["ports"] == [{"protocol": "TCP", "port": 9115}]
    assert rule["from"] == [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}},
            "podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}},
        }
    ]


def test_the_exporter_reaches_the_load_balancers_on_443_only(dev):
    (rule,) = _policies(dev)["allow-blackbox-to-load-balancers"]["egress"]
    assert rule["ports"] == [{"protocol": "TCP", "port": 443}]
    blocks = [peer["ipBlock"] for peer in rule["to"]]
    assert blocks[0] == {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]}
    # The internal ALB's ranges: the public subnets, as the apps' own load-balancer policy admits them.
    (admitted,) = _policies(dev)["api-from-load-balancer"]["ingress"]
    assert blocks[1:] == [peer["ipBlock"] for peer in admitted["from"]]


def test_stacks_without_exposed_apps_get_no_edge_alarms_or_probes(captured):
    capture = captured("prod")
    assert not [r for r in capture.of_type(ALARM) if "edge-alarms" in r.name]
    assert capture.of_type(PROBE) == []
