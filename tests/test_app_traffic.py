"""An app's NetworkPolicies admit exactly its declared flows (docs/traffic.md, the apps rows).

Component level: the policies of one app with every binding and of one with none. Stack level:
on `local`, every pod-to-pod flow into or out of an app pod that the namespace's policies admit,
computed from what the program sent, equals the flows the two apps declare."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from components.app_settings import selector_labels
from components.subnet_plan import plan_subnets
from stacks.config import load_stack
from stacks.preflight.capture import Capture
from tests.app_support import DB_SUBNETS, bare_app, full_app, policies

API = selector_labels("api")
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"


@pytest.fixture(scope="module")
def full() -> Capture:
    return full_app()


def _ports(rule: dict[str, Any]) -> set[int]:
    return {int(p["port"]) for p in rule.get("ports", [])}


def _flow(spec: dict[str, Any]) -> tuple[str, list[dict[str, Any]], set[int]]:
    (direction,) = [d for d in ("ingress", "egress") if d in spec]
    (rule,) = spec[direction]
    return direction, rule.get("from", rule.get("to")), _ports(rule)


def test_one_policy_per_declared_flow_and_nothing_else(full):
    assert set(policies(full)) == {
        "api-from-web",
        "api-from-prometheus",
        "api-to-postgres",
        "api-to-redis",
        "api-to-kafka",
        "api-to-search",
        "api-to-aws-apis",
        "api-to-kube-api",
    }


def test_every_policy_selects_the_apps_own_pods_only(full):
    for name, spec in policies(full).items():
        assert spec["podSelector"] == {"matchLabels": API}, name
        assert len(spec["policyTypes"]) == 1, name


def test_ingress_comes_only_from_apps_that_use_it_and_from_prometheus(full):
    specs = policies(full)
    assert _flow(specs["api-from-web"]) == (
        "ingress",
        [{"podSelector": {"matchLabels": selector_labels("web")}}],
        {8080},
    )
    direction, peers, ports = _flow(specs["api-from-prometheus"])
    assert (direction, ports) == ("ingress", {9090})
    assert peers == [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}},
            "podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}},
        }
    ]


def test_egress_goes_to_each_binding_on_its_port_only(full):
    specs = policies(full)
    subnets = [{"ipBlock": {"cidr": cidr}} for cidr in DB_SUBNETS]
    assert _flow(specs["api-to-postgres"]) == ("egress", subnets, {5432})
    assert _flow(specs["api-to-redis"]) == ("egress", subnets, {6379})
    assert _flow(specs["api-to-kafka"]) == ("egress", subnets, {9098})
    assert _flow(specs["api-to-search"]) == (
        "egress",
        [{"podSelector": {"matchLabels": selector_labels("search")}}],
        {9200},
    )


def test_aws_apis_are_reached_over_https_only(full):
    direction, peers, ports = _flow(policies(full)["api-to-aws-apis"])
    assert (direction, ports) == ("egress", {443})
    assert peers == [
        {"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]}}
    ]


def test_an_app_that_declares_nothing_gets_no_flow_at_all():
    assert policies(bare_app()) == {}


# -- the whole local stack --------------------------------------------------------------------


def _matches(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    selector = selector or {}
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        assert expression["operator"] in ("DoesNotExist", "Exists"), expression
        if (expression["key"] in labels) != (expression["operator"] == "Exists"):
            return False
    return True


def _admits(rules: list[dict[str, Any]], peer_labels: dict[str, str], port: int) -> bool:
    for rule in rules:
        peers = rule.get("from", rule.get("to"))
        ports = _ports(rule)
        if ports and port not in ports:
            continue
        for peer in peers or [{}]:
            if "ipBlock" in peer or "namespaceSelector" in peer:
                continue  # other namespaces and address ranges are not pods of this one
            if _matches(peer.get("podSelector"), peer_labels):
                return True
    return False


def _pods(capture: Capture, namespace: str) -> dict[str, tuple[dict[str, str], set[int]]]:
    found = {}
    for kind in ("kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet"):
        for workload in capture.of_type(kind):
            if workload.props["metadata"]["namespace"] == namespace:
                template = workload.props["spec"]["template"]
                ports = {
                    int(p["containerPort"])
                    for c in template["spec"]["containers"]
                    for p in c.get("ports", [])
                }
                found[workload.props["metadata"]["name"]] = (template["metadata"]["labels"], ports)
    return found


def _allowed(capture: Capture, namespace: str) -> set[tuple[str, str, int]]:
    """(source, destination, port) for every pair of pods of `namespace` both ends' policies admit."""
    specs = [
        p.props["spec"]
        for p in capture.of_type(NETWORK_POLICY)
        if p.props["metadata"]["namespace"] == namespace
    ]
    workloads = _pods(capture, namespace)
    flows = set()
    for source, (source_labels, _) in workloads.items():
        egress = [r for s in specs if _matches(s["podSelector"], source_labels) for r in s.get("egress", [])]
        for target, (target_labels, ports) in workloads.items():
            ingress = [
                r for s in specs if _matches(s["podSelector"], target_labels) for r in s.get("ingress", [])
            ]
            for port in ports:
                if _admits(egress, target_labels, port) and _admits(ingress, source_labels, port):
                    flows.add((source, target, port))
    return flows


def test_on_local_the_apps_reach_exactly_what_they_declare(captured):
    flows = _allowed(captured("local"), "apps")
    with_apps = {flow for flow in flows if {"api", "web"} & {flow[0], flow[1]}}
    assert with_apps == {
        ("web", "api", 8080),
        ("api", "local-postgres", 5432),
        ("api", "local-redis", 6379),
        ("api", "local-kafka", 9092),
    }


def test_on_local_the_database_bootstrap_job_reaches_postgres(captured):
    """The Job is not an App pod: the namespace-wide flow to the datastores still carries it."""
    capture = captured("local")
    (job,) = capture.of_type("kubernetes:batch/v1:Job")
    job_labels = job.props["spec"]["template"]["metadata"]["labels"]
    postgres_labels, _ = _pods(capture, "apps")["local-postgres"]
    specs = [
        p.props["spec"] for p in capture.of_type(NETWORK_POLICY) if p.props["metadata"]["namespace"] == "apps"
    ]
    egress = [r for s in specs if _matches(s["podSelector"], job_labels) for r in s.get("egress", [])]
    ingress = [r for s in specs if _matches(s["podSelector"], postgres_labels) for r in s.get("ingress", [])]
    assert _admits(egress, postgres_labels, 5432) and _admits(ingress, job_labels, 5432)


def test_on_dev_the_api_reaches_its_datastores_only_in_the_database_subnets(captured):
    config = load_stack("dev")
    database = {str(c) for c in plan_subnets(config.network.cidr, len(config.availability_zones)).database}
    specs = {
        p.props["metadata"]["name"]: p.props["spec"]
        for p in captured("dev").of_type(NETWORK_POLICY)
        if p.props["metadata"]["namespace"] == "apps"
    }
    for binding, port in (("postgres", 5432), ("redis", 6379), ("kafka", 9098)):
        direction, peers, ports = _flow(specs[f"api-to-{binding}"])
        assert (direction, ports) == ("egress", {port}), binding
        assert {p["ipBlock"]["cidr"] for p in peers} == database, binding
    assert all(ipaddress.ip_network(c).is_private for c in database)
