"""Exposed apps on mocks: dev with a public `api` and an internal `web` gets one Ingress each, joined
to its exposure's shared ALB with the annotations the AWS Load Balancer Controller v3.5.0 documents
(docs/guide/ingress/annotations.md), and NetworkPolicies admitting the ALBs to exactly those apps."""

from __future__ import annotations

import copy
import json

import pytest

from stacks.config import read_stack_file
from stacks.preflight.runner import capture_stack

INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
A = "alb.ingress.kubernetes.io/"
DNS = {"zoneName": "dev.example.com", "createZone": True}
# The controller's documented annotation names this program sets, and no other.
DOCUMENTED = {
    f"{A}{name}"
    for name in (
        "group.name",
        "load-balancer-name",
        "scheme",
        "target-type",
        "listen-ports",
        "ssl-redirect",
        "certificate-arn",
        "ssl-policy",
        "subnets",
        "healthcheck-path",
        "load-balancer-attributes",
    )
}


def _apps(**exposure: dict) -> dict:
    apps = copy.deepcopy(read_stack_file("dev")["groundwork:apps"])
    for name, keys in exposure.items():
        apps[name].update(keys)
    return apps


@pytest.fixture(scope="module")
def exposed(dev_exposed):
    return dev_exposed


@pytest.fixture(scope="module")
def only_api():
    apps = _apps(api={"expose": "public"})
    return capture_stack("dev", overrides={"groundwork:dns": DNS, "groundwork:apps": apps})


def _ingresses(capture) -> dict[str, dict]:
    return {r.props["metadata"]["name"]: r.props for r in capture.of_type(INGRESS)}


def _annotations(capture, app: str) -> dict[str, str]:
    return _ingresses(capture)[app]["metadata"]["annotations"]


def test_each_exposed_app_gets_one_ingress_in_the_app_namespace(exposed, only_api, captured):
    assert sorted(_ingresses(exposed)) == ["api", "web"]
    assert sorted(_ingresses(only_api)) == ["api"]
    assert _ingresses(captured("dev")) == {}
    assert {spec["metadata"]["namespace"] for spec in _ingresses(exposed).values()} == {"apps"}


def test_only_documented_annotation_names_are_set(exposed):
    for app in ("api", "web"):
        assert set(_annotations(exposed, app)) == DOCUMENTED


def test_public_and_internal_apps_join_one_group_per_exposure(exposed):
    api, web = _annotations(exposed, "api"), _annotations(exposed, "web")
    assert (api[f"{A}group.name"], api[f"{A}scheme"]) == ("dev-public", "internet-facing")
    assert (web[f"{A}group.name"], web[f"{A}scheme"]) == ("dev-internal", "internal")


def test_https_only_on_the_validated_certificate_and_the_tls13_policy(exposed):
    (validation,) = exposed.of_type("aws:acm/certificateValidation:CertificateValidation")
    for app in ("api", "web"):
        annotations = _annotations(exposed, app)
        assert json.loads(annotations[f"{A}listen-ports"]) == [{"HTTP": 80}, {"HTTPS": 443}]
        assert annotations[f"{A}ssl-redirect"] == "443"
        assert annotations[f"{A}certificate-arn"] == validation.props["certificateArn"]
        assert annotations[f"{A}ssl-policy"] == "ELBSecurityPolicy-TLS13-1-2-Res-2021-06"
        assert annotations[f"{A}target-type"] == "ip"


def test_the_albs_drop_invalid_headers_and_follow_the_stacks_protection(exposed):
    attributes = dict(
        item.split("=") for item in _annotations(exposed, "api")[f"{A}load-balancer-attributes"].split(",")
    )
    assert attributes == {
        "deletion_protection.enabled": "false",
        "routing.http.drop_invalid_header_fields.enabled": "true",
    }


def test_health_checks_follow_each_apps_health_path(exposed):
    raw = read_stack_file("dev")["groundwork:apps"]
    for app in ("api", "web"):
        expected = raw[app].get("health", {}).get("path", "/healthz")
        assert _annotations(exposed, app)[f"{A}healthcheck-path"] == expected


def test_rules_route_the_host_and_paths_to_the_apps_service(exposed):
    spec = _ingresses(exposed)["api"]["spec"]
    assert spec["ingressClassName"] == "alb"
    (rule,) = spec["rules"]
    assert rule["host"] == "api.dev.example.com"
    assert [(p["path"], p["pathType"]) for p in rule["http"]["paths"]] == [
        ("/v1", "Prefix"),
        ("/v2", "Prefix"),
    ]
    assert [p["backend"] for p in rule["http"]["paths"]] == [
        {"service": {"name": "api", "port": {"number": 8080}}}
    ] * 2
    assert exposed.outputs["app_hosts"] == {
        "api": "https://api.dev.example.com",
        "web": "https://web.dev.example.com",
    }


def test_both_albs_live_in_the_public_subnets(exposed):
    subnets = {_annotations(exposed, app)[f"{A}subnets"] for app in ("api", "web")}
    assert len(subnets) == 1
    (value,) = subnets
    assert value.split(",") == exposed.outputs["public_subnet_ids"]


def test_the_load_balancer_is_admitted_to_exactly_the_exposed_apps(only_api):
    admitted = {
        r.props["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/name"]: r.props["spec"]
        for r in only_api.of_type(POLICY)
        if r.name.endswith("-from-load-balancer")
    }
    assert sorted(admitted) == ["api"]
    (rule,) = admitted["api"]["ingress"]
    assert [p["port"] for p in rule["ports"]] == [8080]
    assert [peer["ipBlock"]["cidr"] for peer in rule["from"]] == ["10.10.128.0/21", "10.10.136.0/21"]
