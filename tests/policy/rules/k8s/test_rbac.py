"""policy/rules/k8s/rbac.py: each rule fires on a broken copy of a compliant Role, ClusterRole,
binding or ServiceAccount and stays silent on the compliant original."""

import pytest

from tests.policy._cases import DROP, fired, patched
from tests.policy.rules.k8s._baselines import case_id

SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"
RBAC = "kubernetes:rbac.authorization.k8s.io/v1"
ROLE, CLUSTER_ROLE = f"{RBAC}:Role", f"{RBAC}:ClusterRole"
ROLE_BINDING, CLUSTER_ROLE_BINDING = f"{RBAC}:RoleBinding", f"{RBAC}:ClusterRoleBinding"

BASELINES = {
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


@pytest.mark.parametrize("rule_id, type_, overrides", RESOURCE_CASES, ids=map(case_id, RESOURCE_CASES))
def test_rule_fires_on_broken_object(rule_id, type_, overrides):
    assert rule_id in fired(type_, patched(BASELINES[type_], overrides), config=CONFIG)


@pytest.mark.parametrize("rule_id, type_", sorted({(c[0], c[1]) for c in RESOURCE_CASES}))
def test_rule_is_silent_on_compliant_object(rule_id, type_):
    assert rule_id not in fired(type_, BASELINES[type_], config=CONFIG)
