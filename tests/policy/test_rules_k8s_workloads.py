"""Kubernetes workload, Service, Ingress and Helm rules: each fires on a broken object and stays silent
on the compliant baseline it was made from."""

import pytest

from tests.policy._cases import DROP, fired, patched, replaced, res, stack_fired

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
STATEFUL_SET = "kubernetes:apps/v1:StatefulSet"
CRON_JOB = "kubernetes:batch/v1:CronJob"
POD = "kubernetes:core/v1:Pod"
SERVICE = "kubernetes:core/v1:Service"
SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"
CHART = "kubernetes:helm.sh/v4:Chart"
RELEASE = "kubernetes:helm.sh/v3:Release"

IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/api:1.4.2@sha256:" + "a" * 64
LABELS = {
    "app.kubernetes.io/name": "api",
    "app.kubernetes.io/instance": "api-prod",
    "app.kubernetes.io/version": "1.4.2",
    "app.kubernetes.io/component": "backend",
    "app.kubernetes.io/part-of": "groundwork",
    "app.kubernetes.io/managed-by": "pulumi",
}
CONTAINER = {
    "name": "api",
    "image": IMAGE,
    "imagePullPolicy": "IfNotPresent",
    "ports": [{"containerPort": 8080.0}],
    "securityContext": {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    },
    "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
    "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080.0}},
    "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080.0}},
    "env": [{"name": "DATABASE_PASSWORD_FILE", "value": "/secrets/db/password"}],
    "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
}
POD_SPEC = {
    "serviceAccountName": "api",
    "automountServiceAccountToken": False,
    "securityContext": {
        "runAsNonRoot": True,
        "runAsUser": 10001.0,
        "seccompProfile": {"type": "RuntimeDefault"},
    },
    "containers": [CONTAINER],
    "volumes": [{"name": "tmp", "emptyDir": {}}, {"name": "db", "secret": {"secretName": "db"}}],
}
METADATA = {"name": "api", "namespace": "apps", "labels": LABELS}

BASELINES = {
    DEPLOYMENT: {
        "metadata": METADATA,
        "spec": {
            "replicas": 3.0,
            "selector": {"matchLabels": {"app": "api"}},
            "template": {"metadata": {"labels": LABELS}, "spec": POD_SPEC},
        },
    },
    CRON_JOB: {
        "metadata": METADATA,
        "spec": {
            "schedule": "*/5 * * * *",
            "jobTemplate": {"spec": {"template": {"metadata": {"labels": LABELS}, "spec": POD_SPEC}}},
        },
    },
    POD: {"metadata": METADATA, "spec": POD_SPEC},
    SERVICE: {"metadata": METADATA, "spec": {"type": "ClusterIP", "ports": [{"port": 80.0}]}},
    SERVICE_ACCOUNT: {"metadata": METADATA, "automountServiceAccountToken": False},
    INGRESS: {
        "metadata": {**METADATA, "annotations": {"nginx.ingress.kubernetes.io/ssl-redirect": "true"}},
        "spec": {"rules": []},
    },
    PDB: {"metadata": METADATA, "spec": {"maxUnavailable": 1.0}},
    CHART: {
        "chart": "ingress-nginx",
        "version": "4.12.1",
        "repositoryOpts": {"repo": "https://kubernetes.github.io/ingress-nginx"},
    },
    RELEASE: {
        "chart": "ingress-nginx",
        "version": "4.12.1",
        "repositoryOpts": {"repo": "https://kubernetes.github.io/ingress-nginx"},
    },
}

C = "spec.template.spec.containers.0"
P = "spec.template.spec"
CJ = "spec.jobTemplate.spec.template.spec.containers.0"

RESOURCE_CASES = [
    ("K8S-POD-001", DEPLOYMENT, {f"{P}.hostNetwork": True}),
    ("K8S-POD-001", POD, {"spec.hostPID": True}),
    ("K8S-POD-002", DEPLOYMENT, {f"{C}.securityContext.privileged": True}),
    ("K8S-POD-002", CRON_JOB, {f"{CJ}.securityContext.privileged": True}),
    ("K8S-POD-003", DEPLOYMENT, {f"{C}.securityContext.capabilities.add": ["SYS_ADMIN"]}),
    ("K8S-POD-003", DEPLOYMENT, {f"{C}.securityContext.capabilities.add": ["NET_RAW"]}),
    ("K8S-POD-004", DEPLOYMENT, {f"{C}.securityContext.capabilities.drop": ["NET_RAW"]}),
    (
        "K8S-POD-005",
        DEPLOYMENT,
        {f"{P}.volumes": [{"name": "sock", "hostPath": {"path": "/var/run/containerd/containerd.sock"}}]},
    ),
    ("K8S-POD-006", DEPLOYMENT, {f"{C}.ports": [{"containerPort": 8080.0, "hostPort": 8080.0}]}),
    ("K8S-POD-007", DEPLOYMENT, {f"{C}.securityContext.allowPrivilegeEscalation": DROP}),
    ("K8S-POD-008", DEPLOYMENT, {f"{P}.securityContext.runAsNonRoot": DROP}),
    ("K8S-POD-008", DEPLOYMENT, {f"{C}.securityContext.runAsUser": 0.0}),
    ("K8S-POD-009", DEPLOYMENT, {f"{P}.securityContext.seccompProfile": DROP}),
    ("K8S-POD-009", DEPLOYMENT, {f"{C}.securityContext.seccompProfile": {"type": "Unconfined"}}),
    ("K8S-POD-010", DEPLOYMENT, {f"{P}.securityContext.sysctls": [{"name": "kernel.msgmax", "value": "1"}]}),
    ("K8S-POD-010", DEPLOYMENT, {f"{C}.securityContext.procMount": "Unmasked"}),
    ("K8S-POD-010", DEPLOYMENT, {f"{C}.livenessProbe.httpGet.host": "169.254.169.254"}),
    ("K8S-POD-011", DEPLOYMENT, {f"{C}.securityContext.readOnlyRootFilesystem": False}),
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
    ("K8S-POD-019", POD, {}),
    ("K8S-POD-020", DEPLOYMENT, {"spec.replicas": 1.0}),
    ("K8S-POD-021", PDB, {"spec.maxUnavailable": 0.0}),
    ("K8S-POD-021", PDB, {"spec.maxUnavailable": DROP, "spec.minAvailable": "100%"}),
    ("K8S-POD-022", DEPLOYMENT, {f"{C}.image": "registry.k8s.io/git-sync/git-sync:v4.2.1"}),
    ("K8S-POD-022", SERVICE, {"metadata.name": "kubernetes-dashboard"}),
    ("K8S-POD-023", DEPLOYMENT, {"metadata.labels": {"app": "api"}}),
    ("K8S-POD-024", DEPLOYMENT, {f"{C}.env": [{"name": "REDIS_AUTH_TOKEN", "value": "hunter2hunter2"}]}),
    ("K8S-POD-025", DEPLOYMENT, {f"{C}.image": "evil.example.com/api:1.0@sha256:" + "b" * 64}),
    ("K8S-SVC-001", SERVICE, {"spec.type": "NodePort"}),
    ("K8S-SVC-001", SERVICE, {"spec.type": "LoadBalancer"}),
    (
        "K8S-SVC-002",
        INGRESS,
        {
            "metadata.annotations": {
                "nginx.ingress.kubernetes.io/configuration-snippet": "more_set_headers 'X: y';"
            }
        },
    ),
    ("K8S-SVC-003", SERVICE, {"spec.externalIPs": ["203.0.113.10"]}),
    ("K8S-HELM-001", CHART, {"version": DROP}),
    ("K8S-HELM-001", RELEASE, {"version": "^4.0.0"}),
    ("K8S-HELM-002", CHART, {"repositoryOpts.repo": "http://charts.example.com"}),
    ("K8S-HELM-002", CHART, {"repositoryOpts.repo": "https://charts.unknown.example"}),
    ("K8S-HELM-003", RELEASE, {}),
]

CONFIG = {"K8S-HELM-002": {"allowedChartRepositories": ["https://kubernetes.github.io/"]}}


def _case_id(case):
    return f"{case[0]}-{case[1].rsplit(':', 1)[1]}-{'+'.join(k.rsplit('.', 1)[-1] for k in case[2])}"


@pytest.mark.parametrize("rule_id, type_, overrides", RESOURCE_CASES, ids=map(_case_id, RESOURCE_CASES))
def test_rule_fires_on_broken_object(rule_id, type_, overrides):
    assert rule_id in fired(type_, patched(BASELINES[type_], overrides), config=CONFIG)


SILENT_CASES = sorted({(c[0], c[1]) for c in RESOURCE_CASES if c[0] not in ("K8S-POD-019", "K8S-HELM-003")})


@pytest.mark.parametrize("rule_id, type_", SILENT_CASES)
def test_rule_is_silent_on_compliant_object(rule_id, type_):
    assert rule_id not in fired(type_, BASELINES[type_], config=CONFIG)


def test_bare_pods_are_the_violation_so_a_deployment_passes():
    assert "K8S-POD-019" not in fired(DEPLOYMENT, BASELINES[DEPLOYMENT])


def test_helm_release_is_flagged_only_where_charts_are_preferred():
    assert "K8S-HELM-003" not in fired(RELEASE, BASELINES[RELEASE], environment="dev")


def test_compliant_deployment_passes_every_workload_rule():
    findings = fired(DEPLOYMENT, BASELINES[DEPLOYMENT], config=CONFIG)
    assert not {f for f in findings if f.startswith("K8S-")}


def test_digest_is_required_only_where_configured():
    tagged = patched(BASELINES[DEPLOYMENT], {f"{C}.image": "public.ecr.aws/nginx/nginx:1.27"})
    assert "K8S-POD-014" not in fired(DEPLOYMENT, tagged, environment="dev")


def test_internal_load_balancer_is_allowed():
    internal = patched(
        BASELINES[SERVICE],
        {
            "spec.type": "LoadBalancer",
            "metadata.annotations": {"service.beta.kubernetes.io/aws-load-balancer-scheme": "internal"},
        },
    )
    assert "K8S-SVC-001" not in fired(SERVICE, internal)


def test_untagged_image_defaults_to_docker_hub_for_the_registry_check():
    hub = patched(BASELINES[DEPLOYMENT], {f"{C}.image": "nginx:1.27@sha256:" + "c" * 64})
    only_ecr = {"K8S-POD-025": {"allowedRegistries": ["*.dkr.ecr.*.amazonaws.com"]}}
    assert "K8S-POD-025" in fired(DEPLOYMENT, hub, config=only_ecr)
    assert "K8S-POD-025" not in fired(DEPLOYMENT, BASELINES[DEPLOYMENT], config=only_ecr)


def test_prerelease_api_versions_are_flagged_in_the_stack():
    stack = [
        res("kubernetes:autoscaling/v2beta2:HorizontalPodAutoscaler", "hpa", {}),
        res(DEPLOYMENT, "api", BASELINES[DEPLOYMENT]),
    ]
    assert "K8S-API-001" in stack_fired(stack)
    assert "K8S-API-001" not in stack_fired(stack[1:])


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
