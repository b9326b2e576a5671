"""policy/rules/k8s/namespaces.py: each rule fires on a broken copy of a compliant namespace, object
or namespace stack (default-deny, quota, limits, selected workloads), and stays silent on the
compliant original."""

import pytest

from tests.policy._cases import DROP, baseline_fired, fired, patched, replaced, res, stack_fired, without
from tests.policy.rules.k8s._baselines import DEPLOYMENT, case_id

NAMESPACE = "kubernetes:core/v1:Namespace"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"

PSA = {
    "pod-security.kubernetes.io/enforce": "restricted",
    "pod-security.kubernetes.io/audit": "restricted",
    "pod-security.kubernetes.io/warn": "restricted",
    "environment": "prod",
}

BASELINES = {
    NAMESPACE: {"metadata": {"name": "apps", "labels": PSA}},
    CONFIG_MAP: {"metadata": {"name": "settings", "namespace": "apps"}, "data": {"LOG_LEVEL": "info"}},
}

RESOURCE_CASES = [
    ("K8S-NS-001", NAMESPACE, {"metadata.labels": {"environment": "prod"}}),
    ("K8S-NS-001", NAMESPACE, {"metadata.labels": {**PSA, "pod-security.kubernetes.io/enforce": "baseline"}}),
    ("K8S-NS-005", CONFIG_MAP, {"metadata.namespace": "default"}),
    ("K8S-NS-005", CONFIG_MAP, {"metadata.namespace": DROP}),
    ("K8S-NS-007", NAMESPACE, {"metadata.labels.environment": "dev"}),
]


@pytest.mark.parametrize("rule_id, type_, overrides", RESOURCE_CASES, ids=map(case_id, RESOURCE_CASES))
def test_rule_fires_on_broken_object(rule_id, type_, overrides):
    assert rule_id in fired(type_, patched(BASELINES[type_], overrides))


@pytest.mark.parametrize("rule_id, type_", sorted({(c[0], c[1]) for c in RESOURCE_CASES}))
def test_rule_is_silent_on_compliant_object(rule_id, type_):
    assert rule_id not in baseline_fired(type_, BASELINES[type_])


def test_system_namespaces_need_no_pod_security_labels():
    assert "K8S-NS-001" not in fired(NAMESPACE, {"metadata": {"name": "kube-system"}})


def test_a_reviewed_namespace_may_enforce_baseline():
    labels = {k: "baseline" for k in PSA if k.startswith("pod-security")}
    ns = {"metadata": {"name": "monitoring", "labels": {**labels, "environment": "prod"}}}
    assert "K8S-NS-001" not in fired(
        NAMESPACE, ns, config={"K8S-NS-001": {"namespaceLevels": {"monitoring": "baseline"}}}
    )


NAMESPACE_STACK = [
    res(NAMESPACE, "apps", BASELINES[NAMESPACE]),
    res(
        NETWORK_POLICY,
        "apps-default-deny",
        {
            "metadata": {"name": "default-deny", "namespace": "apps"},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
        },
    ),
    res(
        NETWORK_POLICY,
        "apps-allow-api",
        {
            "metadata": {"name": "allow-api", "namespace": "apps"},
            "spec": {
                "podSelector": {"matchLabels": {"app": "api"}},
                "policyTypes": ["Ingress"],
                "ingress": [{"from": [{"namespaceSelector": {}}]}],
            },
        },
    ),
    res(
        "kubernetes:core/v1:ResourceQuota",
        "apps-quota",
        {"metadata": {"namespace": "apps"}, "spec": {"hard": {"requests.cpu": "8"}}},
    ),
    res(
        "kubernetes:core/v1:LimitRange",
        "apps-limits",
        {"metadata": {"namespace": "apps"}, "spec": {"limits": []}},
    ),
    res(
        DEPLOYMENT,
        "api",
        {
            "metadata": {"name": "api", "namespace": "apps"},
            "spec": {"template": {"metadata": {"labels": {"app": "api"}}, "spec": {}}},
        },
    ),
]

STACK_CASES = [
    ("K8S-NS-002", lambda s: without(s, "apps-default-deny")),
    ("K8S-NS-002", lambda s: replaced(s, "apps-default-deny", {"spec.policyTypes": ["Ingress"]})),
    ("K8S-NS-003", lambda s: without(s, "apps-quota")),
    ("K8S-NS-004", lambda s: without(s, "apps-limits")),
    ("K8S-NS-006", lambda s: replaced(s, "api", {"metadata.namespace": "other"})),
]


@pytest.mark.parametrize(
    "rule_id, breaks", STACK_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(STACK_CASES)]
)
def test_stack_rule_fires_on_broken_stack(rule_id, breaks):
    assert rule_id in stack_fired(breaks(NAMESPACE_STACK))


@pytest.mark.parametrize("rule_id", sorted({c[0] for c in STACK_CASES}))
def test_stack_rule_is_silent_on_compliant_stack(rule_id):
    assert rule_id not in stack_fired(NAMESPACE_STACK)


def test_an_auto_named_namespace_is_joined_through_property_dependencies():
    ns = res(NAMESPACE, "apps", {"metadata": {"labels": PSA}})
    quota = res(
        "kubernetes:core/v1:ResourceQuota",
        "q",
        {"metadata": {"namespace": "apps-1a2b3c"}},
        deps={"metadata": ["apps"]},
    )
    assert "K8S-NS-003" not in stack_fired([ns, quota])
    assert "K8S-NS-003" in stack_fired([ns])


def test_a_label_selector_with_expressions_selects_matching_pods_only():
    policy = res(
        NETWORK_POLICY,
        "np",
        {
            "metadata": {"namespace": "apps"},
            "spec": {
                "podSelector": {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["web"]}]}
            },
        },
    )
    web = res(
        DEPLOYMENT,
        "web",
        {"metadata": {"namespace": "apps"}, "spec": {"template": {"metadata": {"labels": {"tier": "web"}}}}},
    )
    db = res(
        DEPLOYMENT,
        "db",
        {"metadata": {"namespace": "apps"}, "spec": {"template": {"metadata": {"labels": {"tier": "db"}}}}},
    )
    assert "K8S-NS-006" not in stack_fired([policy, web])
    assert "K8S-NS-006" in stack_fired([policy, db])
