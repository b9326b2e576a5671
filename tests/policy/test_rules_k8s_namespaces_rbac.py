"""Namespace and RBAC rules: each fires on a broken object or stack and stays silent on the compliant
baseline it was made from."""

import pytest

from tests.policy._cases import DROP, fired, patched, replaced, res, stack_fired, without

NAMESPACE = "kubernetes:core/v1:Namespace"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"
RBAC = "kubernetes:rbac.authorization.k8s.io/v1"
ROLE, CLUSTER_ROLE = f"{RBAC}:Role", f"{RBAC}:ClusterRole"
ROLE_BINDING, CLUSTER_ROLE_BINDING = f"{RBAC}:RoleBinding", f"{RBAC}:ClusterRoleBinding"

PSA = {
    "pod-security.kubernetes.io/enforce": "restricted",
    "pod-security.kubernetes.io/audit": "restricted",
    "pod-security.kubernetes.io/warn": "restricted",
    "environment": "prod",
}

BASELINES = {
    NAMESPACE: {"metadata": {"name": "apps", "labels": PSA}},
    CONFIG_MAP: {"metadata": {"name": "settings", "namespace": "apps"}, "data": {"LOG_LEVEL": "info"}},
    SERVICE_ACCOUNT: {
        "metadata": {"name": "default", "namespace": "apps"},
        "automountServiceAccountToken": False,
    },
    ROLE: {
        "metadata": {"name": "api", "namespace": "apps"},
        "rules": [
            {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list", "watch"]},
            {"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["api-db"], "verbs": ["get"]},
        ],
    },
    CLUSTER_ROLE: {
        "metadata": {"name": "metrics-reader"},
        "rules": [
            {"apiGroups": ["metrics.k8s.io"], "resources": ["pods", "nodes"], "verbs": ["get", "list"]}
        ],
    },
    ROLE_BINDING: {
        "metadata": {"name": "api", "namespace": "apps"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "api"},
        "subjects": [{"kind": "ServiceAccount", "name": "api", "namespace": "apps"}],
    },
    CLUSTER_ROLE_BINDING: {
        "metadata": {"name": "platform-admins"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
        "subjects": [{"kind": "Group", "name": "platform-admins"}],
    },
}
CONFIG = {"K8S-RBAC-004": {"clusterAdminSubjects": ["Group/platform-admins"]}}

RESOURCE_CASES = [
    ("K8S-NS-001", NAMESPACE, {"metadata.labels": {"environment": "prod"}}),
    ("K8S-NS-001", NAMESPACE, {"metadata.labels": {**PSA, "pod-security.kubernetes.io/enforce": "baseline"}}),
    ("K8S-NS-005", CONFIG_MAP, {"metadata.namespace": "default"}),
    ("K8S-NS-005", CONFIG_MAP, {"metadata.namespace": DROP}),
    ("K8S-NS-007", NAMESPACE, {"metadata.labels.environment": "dev"}),
    ("K8S-RBAC-001", ROLE, {"rules.0.verbs": ["*"]}),
    ("K8S-RBAC-001", CLUSTER_ROLE, {"rules.0.apiGroups": ["*"]}),
    ("K8S-RBAC-002", ROLE, {"rules.1.resourceNames": DROP}),
    (
        "K8S-RBAC-002",
        CLUSTER_ROLE,
        {"rules.0": {"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]}},
    ),
    (
        "K8S-RBAC-002",
        CLUSTER_ROLE,
        {
            "rules.0": {
                "apiGroups": ["rbac.authorization.k8s.io"],
                "resources": ["clusterroles"],
                "verbs": ["escalate"],
            }
        },
    ),
    ("K8S-RBAC-003", ROLE_BINDING, {"subjects.0.name": "default"}),
    ("K8S-RBAC-003", SERVICE_ACCOUNT, {"automountServiceAccountToken": DROP}),
    ("K8S-RBAC-004", CLUSTER_ROLE_BINDING, {"subjects.0.name": "developers"}),
    ("K8S-RBAC-005", ROLE_BINDING, {"subjects": [{"kind": "User", "name": "system:anonymous"}]}),
    (
        "K8S-RBAC-005",
        CLUSTER_ROLE_BINDING,
        {"subjects": [{"kind": "Group", "name": "system:unauthenticated"}]},
    ),
]


def _case_id(case):
    return f"{case[0]}-{case[1].rsplit(':', 1)[1]}-{'+'.join(k.rsplit('.', 1)[-1] for k in case[2])}"


@pytest.mark.parametrize("rule_id, type_, overrides", RESOURCE_CASES, ids=map(_case_id, RESOURCE_CASES))
def test_rule_fires_on_broken_object(rule_id, type_, overrides):
    assert rule_id in fired(type_, patched(BASELINES[type_], overrides), config=CONFIG)


@pytest.mark.parametrize("rule_id, type_", sorted({(c[0], c[1]) for c in RESOURCE_CASES}))
def test_rule_is_silent_on_compliant_object(rule_id, type_):
    assert rule_id not in fired(type_, BASELINES[type_], config=CONFIG)


def test_system_namespaces_need_no_pod_security_labels():
    assert "K8S-NS-001" not in fired(NAMESPACE, {"metadata": {"name": "kube-system"}})


def test_a_reviewed_namespace_may_enforce_baseline():
    labels = {k: "baseline" for k in PSA if k.startswith("pod-security")}
    ns = {"metadata": {"name": "monitoring", "labels": {**labels, "environment": "prod"}}}
    assert "K8S-NS-001" not in fired(
        NAMESPACE, ns, config={"K8S-NS-001": {"namespaceLevels": {"monitoring": "baseline"}}}
    )


# ----------------------------------------------------------------------------------- stack rules

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


def test_namespace_stack_rules_are_silent_on_compliant_stack():
    assert not {"K8S-NS-002", "K8S-NS-003", "K8S-NS-004", "K8S-NS-006"} & stack_fired(NAMESPACE_STACK)


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
