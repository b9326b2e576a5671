"""policy/rules/k8s/workloads.py: each workload-hygiene rule fires on a broken copy of a compliant
workload, disruption budget, Service or token stack, and stays silent on the compliant original."""

import pytest

from tests.policy._cases import DROP, baseline_fired, fired, patched, replaced, res, stack_fired
from tests.policy.rules.k8s._baselines import BASELINES as SHARED
from tests.policy.rules.k8s._baselines import DEPLOYMENT, METADATA, POD, SERVICE, C, P, case_id

PDB = "kubernetes:policy/v1:PodDisruptionBudget"
SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"

BASELINES = {**SHARED, PDB: {"metadata": METADATA, "spec": {"maxUnavailable": 1.0}}}

RESOURCE_CASES = [
    ("K8S-POD-012", DEPLOYMENT, {f"{C}.resources.limits": DROP}),
    ("K8S-POD-013", DEPLOYMENT, {f"{C}.readinessProbe": DROP}),
    ("K8S-POD-014", DEPLOYMENT, {f"{C}.image": "nginx:latest"}),
    ("K8S-POD-014", DEPLOYMENT, {f"{C}.image": "public.ecr.aws/nginx/nginx:1.27"}),
    ("K8S-POD-015", DEPLOYMENT, {f"{C}.image": "public.ecr.aws/nginx/nginx:1.27"}),
    (
        "K8S-POD-016",
        DEPLOYMENT,
        {
            f"{C}.env": [
                {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}
            ]
        },
    ),
    ("K8S-POD-016", DEPLOYMENT, {f"{C}.envFrom": [{"secretRef": {"name": "db"}}]}),
    ("K8S-POD-020", DEPLOYMENT, {"spec.replicas": 1.0}),
    ("K8S-POD-021", PDB, {"spec.maxUnavailable": 0.0}),
    ("K8S-POD-021", PDB, {"spec.maxUnavailable": DROP, "spec.minAvailable": "100%"}),
    ("K8S-POD-022", DEPLOYMENT, {f"{C}.image": "registry.k8s.io/git-sync/git-sync:v4.2.1"}),
    ("K8S-POD-022", SERVICE, {"metadata.name": "kubernetes-dashboard"}),
    ("K8S-POD-023", DEPLOYMENT, {"metadata.labels": {"app": "api"}}),
    ("K8S-POD-024", DEPLOYMENT, {f"{C}.env": [{"name": "REDIS_AUTH_TOKEN", "value": "hunter2hunter2"}]}),
    ("K8S-POD-025", DEPLOYMENT, {f"{C}.image": "evil.example.com/api:1.0@sha256:" + "b" * 64}),
]


@pytest.mark.parametrize("rule_id, type_, overrides", RESOURCE_CASES, ids=map(case_id, RESOURCE_CASES))
def test_rule_fires_on_broken_object(rule_id, type_, overrides):
    assert rule_id in fired(type_, patched(BASELINES[type_], overrides))


@pytest.mark.parametrize("rule_id, type_", sorted({(c[0], c[1]) for c in RESOURCE_CASES}))
def test_rule_is_silent_on_compliant_object(rule_id, type_):
    assert rule_id not in baseline_fired(type_, BASELINES[type_])


def test_a_bare_pod_fires_and_the_same_pod_in_a_deployment_passes():
    assert "K8S-POD-019" in fired(POD, BASELINES[POD])
    assert "K8S-POD-019" not in fired(DEPLOYMENT, BASELINES[DEPLOYMENT])


def test_compliant_deployment_passes_every_kubernetes_rule():
    assert not {f for f in fired(DEPLOYMENT, BASELINES[DEPLOYMENT]) if f.startswith("K8S-")}


def test_digest_is_required_only_where_configured():
    tagged = patched(BASELINES[DEPLOYMENT], {f"{C}.image": "public.ecr.aws/nginx/nginx:1.27"})
    assert "K8S-POD-014" not in fired(DEPLOYMENT, tagged, environment="dev")


def test_untagged_image_defaults_to_docker_hub_for_the_registry_check():
    hub = patched(BASELINES[DEPLOYMENT], {f"{C}.image": "nginx:1.27@sha256:" + "c" * 64})
    only_ecr = {"K8S-POD-025": {"allowedRegistries": ["*.dkr.ecr.*.amazonaws.com"]}}
    assert "K8S-POD-025" in fired(DEPLOYMENT, hub, config=only_ecr)
    assert "K8S-POD-025" not in fired(DEPLOYMENT, BASELINES[DEPLOYMENT], config=only_ecr)


TOKEN_STACK = [
    res(DEPLOYMENT, "api", BASELINES[DEPLOYMENT]),
    res(
        SERVICE_ACCOUNT,
        "api-sa",
        {"metadata": {"name": "api", "namespace": "apps"}, "automountServiceAccountToken": False},
    ),
    res(
        DEPLOYMENT,
        "operator",
        patched(
            BASELINES[DEPLOYMENT],
            {
                "metadata.name": "operator",
                f"{P}.serviceAccountName": "operator",
                f"{P}.automountServiceAccountToken": DROP,
            },
        ),
    ),
    res(
        "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
        "operator-binding",
        {
            "metadata": {"name": "operator", "namespace": "apps"},
            "roleRef": {"kind": "Role", "name": "operator", "apiGroup": "rbac.authorization.k8s.io"},
            "subjects": [{"kind": "ServiceAccount", "name": "operator"}],
        },
    ),
]


def test_token_rule_is_silent_when_only_bound_accounts_mount_tokens():
    assert "K8S-POD-017" not in stack_fired(TOKEN_STACK)


@pytest.mark.parametrize(
    "breaks",
    [
        lambda s: replaced(
            s, "api", {f"{P}.automountServiceAccountToken": DROP, f"{P}.serviceAccountName": "other"}
        ),
        lambda s: replaced(s, "api-sa", {"automountServiceAccountToken": True}),
        lambda s: [r for r in s if r["name"] != "operator-binding"],
    ],
    ids=["unbound-workload", "unbound-account", "binding-removed"],
)
def test_token_rule_fires_when_an_unbound_account_mounts_its_token(breaks):
    assert "K8S-POD-017" in stack_fired(breaks(TOKEN_STACK))


def test_token_rule_honours_the_allow_list():
    unbound = [r for r in TOKEN_STACK if r["name"] != "operator-binding"]
    assert "K8S-POD-017" not in stack_fired(
        unbound, config={"K8S-POD-017": {"tokenServiceAccounts": ["operator"]}}
    )
