"""policy/rules/k8s/ingress.py: each rule fires on a broken copy of a compliant public ALB Ingress (as
components.edge builds it) and stays silent on the compliant original."""

import json

import pytest

from tests.policy._cases import DROP, baseline_fired, fired, patched
from tests.policy.rules.k8s._baselines import METADATA

INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
A = "alb.ingress.kubernetes.io/"
ANNOTATIONS = {
    f"{A}group.name": "prod-public",
    f"{A}scheme": "internet-facing",
    f"{A}target-type": "ip",
    f"{A}listen-ports": json.dumps([{"HTTP": 80}, {"HTTPS": 443}]),
    f"{A}ssl-redirect": "443",
    f"{A}ssl-policy": "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    f"{A}certificate-arn": "arn:aws:acm:eu-west-1:123456789012:certificate/c",
    f"{A}load-balancer-attributes": "deletion_protection.enabled=true,access_logs.s3.enabled=true,"
    "access_logs.s3.bucket=prod-alb-logs,access_logs.s3.prefix=public",
    f"{A}wafv2-acl-arn": "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/prod-waf/1",
}
BASELINE = {
    "metadata": {**METADATA, "annotations": ANNOTATIONS},
    "spec": {"ingressClassName": "alb", "rules": []},
}


def _annotated(**changes) -> dict:
    """The baseline with annotations changed by suffix (`ssl_policy="x"`; DROP removes one)."""
    annotations = dict(ANNOTATIONS)
    for suffix, value in changes.items():
        key = f"{A}{suffix.replace('_', '-')}"
        if value is DROP:
            annotations.pop(key)
        else:
            annotations[key] = value
    return patched(BASELINE, {"metadata.annotations": annotations})


CASES = [
    ("K8S-ING-001", "no-class", patched(BASELINE, {"spec.ingressClassName": DROP})),
    ("K8S-ING-001", "other-class", patched(BASELINE, {"spec.ingressClassName": "nginx"})),
    (
        "K8S-ING-001",
        "deprecated-annotation",
        patched(BASELINE, {"metadata.annotations": {**ANNOTATIONS, "kubernetes.io/ingress.class": "alb"}}),
    ),
    ("K8S-ING-002", "no-listen-ports", _annotated(listen_ports=DROP)),
    ("K8S-ING-002", "http-only", _annotated(listen_ports=json.dumps([{"HTTP": 80}]))),
    ("K8S-ING-002", "http-without-redirect", _annotated(ssl_redirect=DROP)),
    ("K8S-ING-002", "extra-port", _annotated(listen_ports=json.dumps([{"HTTPS": 443}, {"HTTPS": 8443}]))),
    ("K8S-ING-002", "not-json", _annotated(listen_ports="HTTPS:443")),
    ("K8S-ING-003", "no-policy", _annotated(ssl_policy=DROP)),
    ("K8S-ING-003", "tls10-policy", _annotated(ssl_policy="ELBSecurityPolicy-2016-08")),
    ("K8S-ING-004", "no-attributes", _annotated(load_balancer_attributes=DROP)),
    (
        "K8S-ING-004",
        "logs-off",
        _annotated(load_balancer_attributes="access_logs.s3.enabled=false,access_logs.s3.bucket=b"),
    ),
    ("K8S-ING-004", "no-bucket", _annotated(load_balancer_attributes="access_logs.s3.enabled=true")),
    ("K8S-ING-005", "no-web-acl", _annotated(wafv2_acl_arn=DROP)),
    ("K8S-ING-005", "web-acl-none", _annotated(wafv2_acl_arn="none")),
]


@pytest.mark.parametrize("rule_id, case, props", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_rule_fires_on_broken_ingress(rule_id, case, props):
    assert rule_id in fired(INGRESS, props)


@pytest.mark.parametrize("rule_id", sorted({c[0] for c in CASES}))
def test_rule_is_silent_on_compliant_ingress(rule_id):
    assert rule_id not in baseline_fired(INGRESS, BASELINE)


def test_an_internal_alb_needs_no_web_acl():
    internal = _annotated(scheme="internal", wafv2_acl_arn=DROP)
    assert "K8S-ING-005" not in fired(INGRESS, internal)


def test_https_only_listeners_without_http_pass():
    https_only = _annotated(listen_ports=json.dumps([{"HTTPS": 443}]), ssl_redirect=DROP)
    assert "K8S-ING-002" not in fired(INGRESS, https_only)


def test_alb_rules_leave_another_controllers_ingress_alone():
    other = patched(BASELINE, {"spec.ingressClassName": "traefik", "metadata.annotations": {}})
    assert not {"K8S-ING-002", "K8S-ING-003", "K8S-ING-004", "K8S-ING-005"} & fired(INGRESS, other)


def test_a_class_declared_in_policy_config_is_allowed():
    other = patched(BASELINE, {"spec.ingressClassName": "traefik"})
    config = {"K8S-ING-001": {"allowedClasses": ["alb", "traefik"]}}
    assert "K8S-ING-001" not in fired(INGRESS, other, config=config)
