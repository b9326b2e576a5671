"""The traffic the program allows between namespaces, and only that: NetworkPolicies read back from
what each stack sent to Pulumi (see docs/traffic.md for the matrix these tests hold it to)."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from components.cluster import DEFAULT_KUBERNETES_VERSION
from components.namespace import AppNamespace, platform_namespace
from components.subnet_plan import plan_subnets
from stacks.config import load_stack
from stacks.preflight.capture import Capture
from tests import k8s_schema
from tests.conftest import STACKS, run_component
from tests.data_support import capture_data

NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
AWS_STACKS = ("dev", "prod")
# Facts about the software, not about this program: the engines' client ports and the exporters'.
ENGINE_PORTS = {"postgres": {5432}, "redis": {6379}, "kafka": {9098}}
EXPORTER_PORTS = {
    "prometheus-postgres-exporter": 9187,
    "prometheus-redis-exporter": 9121,
    "prometheus-kafka-exporter": 9308,
}
MONITORING = "monitoring"
EXCEPT_APPS = {"matchExpressions": [{"key": "groundwork.dev/app", "operator": "DoesNotExist"}]}


def _policies(capture: Capture, namespace: str) -> list[dict[str, Any]]:
    return [p.props for p in capture.of_type(NETWORK_POLICY) if p.props["metadata"]["namespace"] == namespace]


def _named(capture: Capture, namespace: str, name: str) -> dict[str, Any]:
    (policy,) = [p for p in _policies(capture, namespace) if p["metadata"]["name"] == name]
    return policy


def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.get("matchLabels", {}).items())


def _ports(rule: dict[str, Any]) -> set[int]:
    return {int(port["port"]) for port in rule.get("ports", [])}


def _rules(policy: dict[str, Any], direction: str) -> list[dict[str, Any]]:
    return policy["spec"].get(direction, [])


def _peers(rule: dict[str, Any]) -> list[dict[str, Any]]:
    return rule.get("from", rule.get("to", []))


def _workload_pods(capture: Capture, namespace: str) -> dict[str, tuple[dict[str, str], set[int]]]:
    """StatefulSets and Deployments the program itself renders: name -> (pod labels, container ports)."""
    found = {}
    for kind in ("kubernetes:apps/v1:StatefulSet", "kubernetes:apps/v1:Deployment"):
        for workload in capture.of_type(kind):
            if workload.props["metadata"]["namespace"] != namespace:
                continue
            template = workload.props["spec"]["template"]
            ports = {
                int(p["containerPort"]) for c in template["spec"]["containers"] for p in c.get("ports", [])
            }
            found[workload.props["metadata"]["name"]] = (template["metadata"]["labels"], ports)
    return found


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_apps_reach_managed_datastores_only_in_the_database_subnets_on_engine_ports(captured, stack):
    config = load_stack(stack)
    database = {str(c) for c in plan_subnets(config.network.cidr, len(config.availability_zones)).database}
    for kind, ports in ENGINE_PORTS.items():
        policy = _named(captured(stack), "apps", f"allow-egress-to-{stack}-{kind}")
        # Every pod but the Apps' (which open their own egress to what they declare).
        assert policy["spec"]["podSelector"] == EXCEPT_APPS and policy["spec"]["policyTypes"] == ["Egress"]
        (rule,) = _rules(policy, "egress")
        assert {peer["ipBlock"]["cidr"] for peer in _peers(rule)} == database, kind
        assert _ports(rule) == ports, kind


@pytest.mark.parametrize("stack", STACKS)
def test_no_egress_from_apps_is_open_and_only_aws_https_leaves_the_private_ranges(captured, stack):
    for policy in _policies(captured(stack), "apps"):
        for rule in _rules(policy, "egress"):
            name = policy["metadata"]["name"]
            assert _peers(rule) and _ports(rule), name
            for peer in _peers(rule):
                if "ipBlock" in peer and not ipaddress.ip_network(peer["ipBlock"]["cidr"]).is_private:
                    aws_api = name == "allow-aws-api-egress" or name.endswith("-to-aws-apis")
                    assert aws_api and _ports(rule) == {443}, name


@pytest.mark.parametrize("stack,public", [("dev", True), ("prod", False), ("local", None)])
def test_apps_reach_sts_through_endpoints_where_the_vpc_has_them_else_through_the_nat(
    captured, stack, public
):
    policies = {p["metadata"]["name"]: p for p in _policies(captured(stack), "apps")}
    if public is None:
        assert "allow-aws-api-egress" not in policies
        return
    (rule,) = _rules(policies["allow-aws-api-egress"], "egress")
    cidrs = {peer["ipBlock"]["cidr"] for peer in _peers(rule)}
    assert ("0.0.0.0/0" in cidrs) is public


def test_msk_with_scram_opens_the_scram_port_as_well():
    capture, _ = capture_data(
        "dev", overrides={"groundwork:kafka": {"clientAuthentication": ["iam", "scram"]}}
    )
    (rule,) = _rules(_named(capture, "apps", "allow-egress-to-dev-kafka"), "egress")
    assert _ports(rule) == {9096, 9098}


@pytest.mark.parametrize("stack", ["local", "prod"])
def test_prometheus_can_reach_the_metrics_port_of_each_exporter(captured, stack):
    capture = captured(stack)
    (scrape_out,) = [
        p for p in _policies(capture, MONITORING) if p["metadata"]["name"] == "allow-prometheus-scrape-egress"
    ]
    prometheus_labels = scrape_out["spec"]["podSelector"]["matchLabels"]
    # Prometheus's side: egress to pods of every namespace, on every port.
    assert any(
        peer == {"namespaceSelector": {}, "podSelector": {}} and not _ports(rule)
        for rule in _rules(scrape_out, "egress")
        for peer in _peers(rule)
    )
    exporters = {c.props["chart"] for c in capture.of_type("kubernetes:helm.sh/v4:Chart")} & set(
        EXPORTER_PORTS
    )
    assert exporters == set(EXPORTER_PORTS)
    for chart in exporters:
        admitted = [
            rule
            for p in _policies(capture, "apps")
            if _selects(p["spec"]["podSelector"], {"app": chart}) and p["spec"]["podSelector"]
            for rule in _rules(p, "ingress")
            if EXPORTER_PORTS[chart] in _ports(rule)
            and any(
                peer.get("namespaceSelector", {}).get("matchLabels")
                == {"kubernetes.io/metadata.name": MONITORING}
                and _selects(peer.get("podSelector", {}), prometheus_labels)
                for peer in _peers(rule)
            )
        ]
        assert admitted, chart


def test_in_local_only_pods_of_the_same_namespace_reach_postgres_redis_and_kafka(captured):
    capture = captured("local")
    workloads = _workload_pods(capture, "apps")
    assert {"local-postgres", "local-redis", "local-kafka"} <= set(workloads)
    datastores = {name: pod for name, pod in workloads.items() if name.startswith("local-")}
    for name, (labels, ports) in datastores.items():
        ingress = [
            rule
            for p in _policies(capture, "apps")
            if _selects(p["spec"]["podSelector"], labels)
            for rule in _rules(p, "ingress")
        ]
        assert ports <= set().union(*(_ports(rule) for rule in ingress)), name
        for rule in ingress:
            for peer in _peers(rule):
                assert set(peer) == {"podSelector"}, (name, peer)  # no namespaceSelector, no ipBlock


def test_every_pod_of_apps_but_the_apps_may_connect_to_the_in_cluster_datastores(captured):
    capture = captured("local")
    workloads = _workload_pods(capture, "apps")
    client_ports = {"local-postgres": {5432}, "local-redis": {6379}, "local-kafka": {9092}}
    for name, ports in client_ports.items():
        labels, _ = workloads[name]
        reaching = [
            rule
            for p in _policies(capture, "apps")
            if p["spec"]["podSelector"] == EXCEPT_APPS
            for rule in _rules(p, "egress")
            if any(
                set(peer) == {"podSelector"} and _selects(peer["podSelector"], labels) and peer["podSelector"]
                for peer in _peers(rule)
            )
        ]
        assert ports <= set().union(*(_ports(rule) for rule in reaching)), name


@pytest.fixture(scope="module")
def local_pooled_kraft() -> Capture:
    return capture_data(
        "local",
        overrides={
            "groundwork:kafka": {"inClusterNodes": 3},
            "groundwork:postgres": {"connectionPooling": True},
        },
    )[0]


def test_kraft_nodes_reach_each_other_on_the_controller_and_broker_ports(local_pooled_kraft):
    labels, _ = _workload_pods(local_pooled_kraft, "apps")["local-kafka"]
    for direction in ("ingress", "egress"):
        between_nodes = [
            rule
            for p in _policies(local_pooled_kraft, "apps")
            if p["spec"]["podSelector"] and _selects(p["spec"]["podSelector"], labels)
            for rule in _rules(p, direction)
            if any(
                _selects(peer.get("podSelector", {}), labels) and peer.get("podSelector")
                for peer in _peers(rule)
            )
        ]
        assert {9092, 9093} <= set().union(*(_ports(rule) for rule in between_nodes)), direction


def test_pgbouncer_admits_the_namespace_and_reaches_postgres(local_pooled_kraft):
    workloads = _workload_pods(local_pooled_kraft, "apps")
    pooler_labels, pooler_ports = workloads["local-postgres-pooler"]
    postgres_labels, _ = workloads["local-postgres"]
    policies = _policies(local_pooled_kraft, "apps")
    admitted = {
        port
        for p in policies
        if p["spec"]["podSelector"] and _selects(p["spec"]["podSelector"], pooler_labels)
        for rule in _rules(p, "ingress")
        if _peers(rule) == [{"podSelector": {}}]
        for port in _ports(rule)
    }
    assert pooler_ports <= admitted
    to_postgres = {
        port
        for p in policies
        if _selects(p["spec"]["podSelector"], pooler_labels)
        for rule in _rules(p, "egress")
        for peer in _peers(rule)
        if peer.get("podSelector") and _selects(peer["podSelector"], postgres_labels)
        for port in _ports(rule)
    }
    assert 5432 in to_postgres


@pytest.mark.parametrize("stack", STACKS)
def test_every_network_policy_validates_against_the_kubernetes_schema(captured, stack):
    rendered = captured(stack).of_type(NETWORK_POLICY)
    assert len(rendered) >= 20
    for policy in rendered:
        k8s_schema.validate(policy.props, DEFAULT_KUBERNETES_VERSION, strict=True)


def test_the_pooler_and_quorum_policies_validate_against_the_kubernetes_schema(local_pooled_kraft):
    for policy in local_pooled_kraft.of_type(NETWORK_POLICY):
        k8s_schema.validate(policy.props, DEFAULT_KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("stack", ["local", "prod"])
def test_platform_namespaces_enforce_a_chosen_level_and_audit_restricted(captured, stack):
    namespaces = {
        n.props["metadata"]["name"]: n.props["metadata"]
        for n in captured(stack).of_type("kubernetes:core/v1:Namespace")
    }
    expected = {"monitoring": "privileged", "logging": "privileged", "cert-manager": "restricted"}
    if stack == "prod":
        expected.update({"velero": "restricted", "external-secrets": "restricted"})
    for namespace, level in expected.items():
        labels = namespaces[namespace]["labels"]
        assert labels["pod-security.kubernetes.io/enforce"] == level, namespace
        audited = {labels[f"pod-security.kubernetes.io/{mode}"] for mode in ("audit", "warn")}
        assert audited == {"restricted"}, namespace
        if level != "restricted":
            assert namespaces[namespace]["annotations"]["groundwork.dev/pod-security-reason"], namespace


def test_only_alertmanager_may_reach_the_internet_from_monitoring(captured):
    internet_rules = [
        (p["spec"]["podSelector"], rule)
        for p in _policies(captured("prod"), MONITORING)
        for rule in _rules(p, "egress")
        for peer in _peers(rule)
        if peer.get("ipBlock", {}).get("cidr") == "0.0.0.0/0"
    ]
    ((selector, rule),) = internet_rules
    assert selector == {"matchLabels": {"app.kubernetes.io/name": "alertmanager"}}
    # Slack and PagerDuty over HTTPS, and the SMTP submission port of prod's smarthost.
    assert _ports(rule) == {443, 587}
    (peer,) = _peers(rule)
    assert all(ipaddress.ip_network(private).is_private for private in peer["ipBlock"]["except"])
    assert len(peer["ipBlock"]["except"]) == 3


@pytest.mark.parametrize("namespace", ["logging", "velero"])
def test_shippers_reach_aws_over_https_only(captured, namespace):
    policy = _named(captured("prod"), namespace, "allow-aws-api-egress")
    (rule,) = _rules(policy, "egress")
    assert _ports(rule) == {443}


def test_namespaces_moved_under_the_baseline_keep_their_identity(captured):
    """The monitoring, logging, velero and add-on namespaces existed before the shared baseline, as
    `<owner>-ns` directly under their owner; the alias points there, so `pulumi up` moves each one
    instead of deleting the namespace (and everything in it) and creating it again."""
    capture = captured("prod")
    by_urn = {r.urn: r for r in capture.resources}
    moved = [
        r for r in capture.of_type("kubernetes:core/v1:Namespace") if r.props["metadata"]["name"] != "apps"
    ]
    assert len(moved) == 5
    for resource in moved:
        (alias,) = [a["spec"] for a in resource.options["aliases"] if "name" in a.get("spec", {})]
        baseline = by_urn[resource.parent]
        assert alias == {"name": baseline.name + "-ns", "parentUrn": baseline.parent}, resource.name


def test_a_weaker_pod_security_level_needs_a_reason():
    with pytest.raises(ValueError, match="pod_security_reason"):
        run_component(
            lambda: AppNamespace("tools", platform_namespace("tools", pod_security="privileged", reason=""))
        )
