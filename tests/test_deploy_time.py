"""The deploy-time estimate: the critical path of `pulumi up` on an empty stack, on hand-made graphs
(so each waiting rule is checked on its own) and on prod (the target: within 1.15x of the slowest
chain its resources truly need)."""

from __future__ import annotations

import pytest

from stacks.preflight.capture import Capture, CapturedResource
from stacks.preflight.deploy_time import critical_path

STACK_URN = "urn:pulumi:t::groundwork::pulumi:pulumi:Stack::groundwork-t"
TIMES = {
    "default": {"custom": {"minutes": 0.0}, "kubernetes": {"minutes": 0.0}, "provider": {"minutes": 1.0}},
    "types": {
        "test:index:Slow": {"minutes": 10.0},
        "test:index:Medium": {"minutes": 5.0},
        "test:index:Fast": {"minutes": 3.0},
    },
}


def urn(name: str, type_: str) -> str:
    return f"urn:pulumi:t::groundwork::{type_}::{name}"


def resource(
    name: str, type_: str, *, deps=(), parent=STACK_URN, provider=None, providers=None
) -> CapturedResource:
    custom = not type_.startswith("test:component:")
    options = {"providers": {k: f"{v}::id" for k, v in (providers or {}).items()}} if providers else {}
    return CapturedResource(
        urn=urn(name, type_),
        type=type_,
        name=name,
        custom=custom,
        inputs={},
        parent=parent,
        dependencies=list(deps),
        property_dependencies={},
        provider=f"{provider}::id" if provider else None,
        options=options,
    )


def path_of(*resources: CapturedResource):
    root = CapturedResource(STACK_URN, "pulumi:pulumi:Stack", "groundwork-t", False, {}, None, [], {}, None)
    return critical_path(Capture("t", [root, *resources], {}), TIMES)


SLOW, MEDIUM, FAST = "test:index:Slow", "test:index:Medium", "test:index:Fast"


def test_independent_resources_are_created_in_parallel():
    result = path_of(resource("a", SLOW), resource("b", MEDIUM), resource("c", FAST))
    assert result.total == 10


def test_a_dependency_chain_adds_up():
    a = resource("a", MEDIUM)
    b = resource("b", FAST, deps=[a.urn])
    result = path_of(a, b, resource("c", FAST))
    assert (result.total, [s.name for s in result.chain]) == (8, ["a", "b"])


def test_children_of_a_component_wait_for_its_depends_on():
    slow = resource("slow", SLOW)
    component = resource("comp", "test:component:C", deps=[slow.urn])
    child = resource("child", FAST, parent=component.urn)
    result = path_of(slow, component, child)
    assert result.total == 13
    assert [(s.name, s.waited_for) for s in result.chain][-2:] == [
        ("comp", "dependency"),
        ("child", "parent"),
    ]


def test_children_of_a_component_wait_for_every_provider_it_was_handed():
    slow = resource("slow", SLOW)
    gated = resource("gated", "pulumi:providers:kubernetes", deps=[slow.urn])
    component = resource("comp", "test:component:C", providers={"kubernetes": gated.urn})
    child = resource("child", FAST, parent=component.urn)
    assert path_of(slow, gated, component, child).total == 10 + 1 + 3


def test_a_parent_does_not_wait_for_its_children():
    component = resource("comp", "test:component:C")
    slow_child = resource("slow-child", SLOW, parent=component.urn)
    sibling = resource("sibling", FAST, parent=component.urn)
    after = resource("after-sibling", FAST, deps=[sibling.urn])
    assert path_of(component, slow_child, sibling, after).total == 10


def test_the_bound_drops_the_waits_only_components_impose():
    slow = resource("slow", SLOW)
    component = resource("comp", "test:component:C", deps=[slow.urn])
    child = resource("child", MEDIUM, parent=component.urn)
    result = path_of(slow, component, child)
    assert (result.total, result.bound) == (15, 10)
    assert result.ratio == pytest.approx(1.5)


def test_a_resource_waits_for_its_own_provider_even_in_the_bound():
    slow = resource("slow", SLOW)
    provider = resource("p", "pulumi:providers:aws", deps=[slow.urn])
    user = resource("user", FAST, provider=provider.urn)
    result = path_of(slow, provider, user)
    assert (result.total, result.bound) == (14, 14)


def test_prod_deploys_within_115_percent_of_its_slowest_required_chain(captured):
    result = critical_path(captured("prod"))
    assert result.total <= 1.15 * result.bound


def test_prod_data_services_do_not_wait_for_the_clusters_gated_provider(captured):
    """The RDS/ElastiCache/MSK components get the AWS provider only; their Kubernetes children
    (connection Secret, NetworkPolicies) still use the cluster's gated provider."""
    capture = captured("prod")
    for name in ("prod-postgres", "prod-redis", "prod-kafka"):
        component = capture.named(name)
        assert set(component.options["providers"]) == {"aws"}
        secret = next(r for r in capture.children_of(component) if r.type == "kubernetes:core/v1:Secret")
        assert "prod-k8s-workloads" in secret.provider


def test_prod_msk_does_not_wait_for_the_cluster(captured):
    """MSK (20-30 min) starts at once: it is on neither the engine's path nor the required chain."""
    path = critical_path(captured("prod"))
    names = {s.name for s in path.chain} | {s.name for s in path.bound_chain}
    assert "prod-kafka-cluster" not in names
    assert path.total <= 1.15 * path.bound
