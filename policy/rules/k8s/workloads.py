"""Kubernetes workload hygiene beyond pod security: resources and probes, pinned images from
allowed registries, secrets as files, service-account tokens, replicas and disruption budgets,
risky tools, recommended labels, no literal credentials in env.
"""

from __future__ import annotations

import fnmatch
import re

from policy.framework import Resource, Stack, resource_rule, stack_rule
from policy.helpers import (
    DEPLOYMENT,
    LONG_RUNNING,
    POD,
    STATEFUL_SET,
    WORKLOADS,
    as_list,
    containers,
    each,
    image_registry,
    image_tag,
    number,
    pod_and_containers,
    pod_spec,
)
from policy.rules.k8s.rbac import SERVICE_ACCOUNT
from policy.rules.k8s.services import SERVICE

PDB = "kubernetes:policy/v1:PodDisruptionBudget"
RECOMMENDED_LABELS = [
    "app.kubernetes.io/name",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/version",
    "app.kubernetes.io/component",
    "app.kubernetes.io/part-of",
    "app.kubernetes.io/managed-by",
]
DEFAULT_REGISTRIES = [
    "*.dkr.ecr.*.amazonaws.com",
    "public.ecr.aws",
    "registry.k8s.io",
    "quay.io",
    "ghcr.io",
    "docker.io",
]
FORBIDDEN_IMAGES = re.compile(r"(?:^|/)(tiller|kubernetes-dashboard|dashboard|git-sync)(?::|@|$)")
CREDENTIAL_NAME = re.compile(r"(?i)(password|passwd|secret|token|api[_-]?key|credential|private[_-]?key)")
# Variables that name where a credential lives rather than holding it.
CREDENTIAL_POINTER = re.compile(r"(?i)_(file|path|dir|name|arn|ref|id)$")


def _looks_like_credential(name: str, value) -> bool:
    if not value or not CREDENTIAL_NAME.search(name) or CREDENTIAL_POINTER.search(name):
        return False
    text = str(value)
    return not (text.startswith(("/", "arn:", "$(")) or text.lower() in ("true", "false"))


@resource_rule(
    id="K8S-POD-012",
    title="Containers declare resource requests and a memory limit",
    severity="medium",
    resource_types=WORKLOADS,
    description="Checks `resources.requests.cpu`, `resources.requests.memory` and `resources.limits.memory` "
    "on every init and app container (`limits.cpu` too when the policy config sets "
    "`requireCpuLimit`).",
    rationale="Without requests the scheduler overcommits nodes; without a memory limit one leaking pod gets "
    "its neighbours OOM-killed. Both are needed for ResourceQuotas to admit the pod.",
    remediation="Set requests/limits in the manifest or the chart's `resources` values; Groundwork "
    "components set them on every container they create.",
    thresholds={"requireCpuLimit": False},
    tags=("checkov:CKV_K8S_10", "checkov:CKV_K8S_11", "checkov:CKV_K8S_12", "checkov:CKV_K8S_13"),
    aliases=("K8S-WL-001",),
)
def pod_resources(r: Resource):
    need = [("requests", "cpu"), ("requests", "memory"), ("limits", "memory")]
    if r.threshold("requireCpuLimit", False):
        need.append(("limits", "cpu"))
    for name, c in containers(pod_spec(r), ("initContainers", "containers")):
        res = c.get("resources") or {}
        missing = [f"{kind}.{what}" for kind, what in need if not (res.get(kind) or {}).get(what)]
        if missing:
            yield f"{name} lacks resources {', '.join(missing)}"


@resource_rule(
    id="K8S-POD-013",
    title="Long-running containers have liveness and readiness probes",
    severity="low",
    resource_types=LONG_RUNNING,
    description="Checks `livenessProbe` and `readinessProbe` on every app container of Deployments, "
    "StatefulSets and DaemonSets.",
    rationale="Without readiness, traffic reaches pods that are not ready; without liveness, a hung process "
    "is never restarted.",
    remediation="Add probes to the container spec (or enable them in the chart's values).",
    tags=("checkov:CKV_K8S_8", "checkov:CKV_K8S_9"),
    aliases=("K8S-WL-002",),
)
def pod_probes(r: Resource):
    for name, c in containers(pod_spec(r), ("containers",)):
        missing = [p for p in ("livenessProbe", "readinessProbe") if not c.get(p)]
        if missing:
            yield f"{name} lacks {' and '.join(missing)}"


@resource_rule(
    id="K8S-POD-014",
    title="Images are pinned (tag, and digest in prod)",
    severity="high",
    resource_types=WORKLOADS,
    description="Checks every image has a tag other than `latest`, and an `@sha256:` digest in the "
    "environments listed in the policy config's `requireDigestIn` (default prod).",
    rationale="`latest` and untagged images change under a running deployment, so two pods of one ReplicaSet "
    "can run different code; only a digest guarantees prod runs exactly what was scanned.",
    remediation="Pin `image: repo/name:1.2.3@sha256:...` (in the component's image constant or the chart's "
    "`image.digest` value).",
    thresholds={"requireDigestIn": ["prod"]},
    tags=("checkov:CKV_K8S_14", "checkov:CKV_K8S_43"),
    aliases=("K8S-WL-003",),
)
def pod_image_pinned(r: Resource):
    need_digest = r.environment in r.threshold("requireDigestIn", ["prod"])
    for name, c in pod_and_containers(r)[1]:
        image = str(c.get("image") or "")
        tag, digest = image_tag(image)
        if not digest and (tag is None or tag == "latest"):
            yield f"{name} uses {image or 'no image'} without a fixed tag"
        elif need_digest and not digest:
            yield f"{name} uses {image} without an @sha256 digest"


@resource_rule(
    id="K8S-POD-015",
    title="Mutable image tags are always pulled",
    severity="low",
    resource_types=WORKLOADS,
    description="Checks `imagePullPolicy: Always` on containers whose image is not digest-pinned.",
    rationale="With IfNotPresent a node keeps running a cached image after the tag was moved (or the "
    "registry copy was fixed), and a pod can use an image it could not pull itself.",
    remediation="Pin a digest (preferred) or set `imagePullPolicy: Always`.",
    tags=("checkov:CKV_K8S_15",),
    aliases=("K8S-WL-004",),
)
def pod_pull_policy(r: Resource):
    for name, c in pod_and_containers(r)[1]:
        _, digest = image_tag(str(c.get("image") or ""))
        if not digest and c.get("imagePullPolicy") != "Always":
            yield f"{name} has a mutable image and imagePullPolicy {c.get('imagePullPolicy', 'unset')}"


@resource_rule(
    id="K8S-POD-016",
    title="Secrets are mounted as files, not environment variables",
    severity="medium",
    resource_types=WORKLOADS,
    description="Checks no container uses `env[].valueFrom.secretKeyRef` or `envFrom[].secretRef`.",
    rationale="Environment variables leak into crash dumps, `kubectl describe`-style debugging, child "
    "processes and error reporters; mounted files do not and can be rotated without a restart.",
    remediation="Mount the Secret as a volume and point the app at the file (e.g. `DATABASE_PASSWORD_FILE`).",
    tags=("checkov:CKV_K8S_35",),
    aliases=("K8S-WL-005",),
)
def pod_secrets_as_files(r: Resource):
    for name, c in pod_and_containers(r)[1]:
        for env in as_list(c.get("env")):
            if (env.get("valueFrom") or {}).get("secretKeyRef"):
                yield f"{name} reads secret into env {env.get('name')}"
        for source in as_list(c.get("envFrom")):
            if source.get("secretRef"):
                yield f"{name} loads a whole Secret into its environment"


RBAC_BINDINGS = (
    "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
)


def _bound_service_accounts(stack: Stack) -> set[tuple[str | None, str]]:
    """(namespace, name) of every ServiceAccount some (Cluster)RoleBinding of the stack grants rights to;
    a RoleBinding's subject without a namespace lives in the binding's namespace."""
    bound = set()
    for binding in stack.of_type(*RBAC_BINDINGS):
        for subject in as_list(binding.peek("subjects") or []):
            if isinstance(subject, dict) and subject.get("kind") == "ServiceAccount":
                namespace = subject.get("namespace") or binding.peek("metadata.namespace")
                bound.add((namespace if isinstance(namespace, str) else None, str(subject.get("name"))))
    return bound


@stack_rule(
    id="K8S-POD-017",
    title="Service account tokens are mounted only where needed",
    severity="medium",
    description="A workload whose pod mounts its service-account token (`automountServiceAccountToken` not "
    "false in the pod spec, nor on its ServiceAccount when that is in the stack) must run as a "
    "ServiceAccount that some RoleBinding/ClusterRoleBinding of the stack grants rights to, or "
    "that is listed in the policy config's `tokenServiceAccounts`; a ServiceAccount that nothing "
    "binds must set `automountServiceAccountToken: false`.",
    rationale="A mounted token lets any code in the pod call the Kubernetes API; when the account has no "
    "rights of its own, the token is pure attack surface (discovery, and every right later granted "
    "to `system:serviceaccounts`). Controllers that the stack binds to a role need theirs.",
    remediation="Set `automountServiceAccountToken: false` in the pod spec and on the ServiceAccount (the "
    "data components' in-cluster pods do); controllers keep their token through their binding, "
    "others that call the API go into tokenServiceAccounts.",
    thresholds={"tokenServiceAccounts": []},
    tags=("checkov:CKV_K8S_38",),
    aliases=("K8S-WL-006",),
)
def pod_token_automount(stack: Stack):
    allowed = set(stack.threshold("tokenServiceAccounts", []))
    bound = _bound_service_accounts(stack)
    accounts = {
        (sa.peek("metadata.namespace"), sa.peek("metadata.name") or sa.name): sa
        for sa in stack.of_type(SERVICE_ACCOUNT)
    }

    def needs_token(namespace, name) -> bool:
        return name in allowed or (namespace, name) in bound or (None, name) in bound

    def check_account(sa: Resource):
        namespace, name = sa.get("metadata.namespace"), sa.get("metadata.name") or sa.name
        if sa.get("automountServiceAccountToken") is not False and not needs_token(namespace, name):
            yield sa, f"ServiceAccount {name} has no role binding but mounts its token into every pod"

    def check_workload(r: Resource):
        spec = pod_spec(r)
        namespace, name = r.get("metadata.namespace"), spec.get("serviceAccountName") or "default"
        account = accounts.get((namespace, name))
        mounted = spec.get("automountServiceAccountToken")
        if mounted is None and account is not None:
            mounted = account.get("automountServiceAccountToken")
        if mounted is not False and not needs_token(namespace, name):
            yield r, f"{r.name} mounts the token of {name}, which no role binding in the stack needs"

    yield from each(stack.of_type(SERVICE_ACCOUNT), check_account)
    yield from each(stack.of_type(*WORKLOADS), check_workload)


@resource_rule(
    id="K8S-POD-019",
    title="No bare Pods",
    severity="medium",
    resource_types=(POD,),
    description="Fires on every `kubernetes:core/v1:Pod` resource.",
    rationale="A bare Pod is not rescheduled when its node fails and cannot be rolled out or scaled; "
    "workloads belong in a Deployment, StatefulSet, DaemonSet or Job.",
    remediation="Wrap the pod in a Deployment (or Job for run-to-completion work).",
    tags=("compliance-policies:core-v1-pod-disallow-pod", "pulumi-examples:pods-are-prohibited"),
    aliases=("K8S-WL-008",),
)
def no_bare_pods(r: Resource):
    yield "a bare Pod is not rescheduled after a node failure"


@resource_rule(
    id="K8S-POD-020",
    title="Deployments run enough replicas",
    severity="medium",
    resource_types=(DEPLOYMENT, STATEFUL_SET),
    description="Checks `spec.replicas >= minReplicas` (policy config; default 3) on Deployments, and on "
    "StatefulSets when `includeStatefulSets` is set. Deployments scaled by an HPA that omit "
    "`spec.replicas` are not judged.",
    rationale="With fewer than three replicas spread over three AZs, one node or AZ failure (or one rollout) "
    "takes the service down.",
    remediation="Raise `spec.replicas` (or the chart's replicaCount) to at least 3 in prod.",
    thresholds={"minReplicas": 3, "includeStatefulSets": False},
    tags=(
        "compliance-policies:apps-v1-deployment-configure-minimum-replica-count",
        "pulumi-examples:minimum-replica-count",
    ),
    aliases=("K8S-WL-009",),
)
def workload_replicas(r: Resource):
    if r.type == STATEFUL_SET and not r.threshold("includeStatefulSets", False):
        return
    replicas = number(r.get("spec.replicas"))
    minimum = number(r.threshold("minReplicas", 3), 3)
    if replicas is not None and replicas < minimum:
        yield f"spec.replicas is {replicas:g}; at least {minimum:g} required"


@resource_rule(
    id="K8S-POD-021",
    title="PodDisruptionBudgets allow voluntary disruption",
    severity="medium",
    resource_types=(PDB,),
    description='Checks the budget is not `maxUnavailable: 0` / `"0%"` nor `minAvailable: "100%"`.',
    rationale="A budget that never allows an eviction blocks node drains, so cluster upgrades and node "
    "replacements stall until someone deletes it by hand.",
    remediation="Use `maxUnavailable: 1` (Groundwork components do).",
    tags=("compliance-policies:policy-v1-poddisruptionbudget-disallow-zero-voluntary-disruption",),
    aliases=("K8S-WL-010",),
)
def pdb_allows_disruption(r: Resource):
    max_unavailable = r.get("spec.maxUnavailable")
    if max_unavailable is not None and str(max_unavailable).rstrip("%").replace(".0", "") == "0":
        yield f"maxUnavailable is {max_unavailable}: no pod may ever be evicted"
    if str(r.get("spec.minAvailable")) == "100%":
        yield "minAvailable is 100%: no pod may ever be evicted"


@resource_rule(
    id="K8S-POD-022",
    title="No Tiller, dashboard or git-sync",
    severity="high",
    resource_types=(*WORKLOADS, SERVICE),
    description="Checks no container image is Tiller, the Kubernetes dashboard or git-sync, and no Service "
    "is named tiller-deploy or kubernetes-dashboard.",
    rationale="Tiller runs with cluster-admin and no authentication; the dashboard has been the entry point "
    "of public cryptojacking incidents; git-sync pulls code into the cluster outside the review "
    "path.",
    remediation="Remove them: Helm 3 has no Tiller, kubectl/Lens replace the dashboard, images are built in "
    "CI.",
    tags=(
        "checkov:CKV_K8S_33",
        "checkov:CKV_K8S_34",
        "checkov:CKV_K8S_44",
        "checkov:CKV_K8S_45",
        "checkov:CKV_K8S_159",
    ),
    aliases=("K8S-WL-012",),
)
def no_risky_tools(r: Resource):
    if r.type == SERVICE:
        name = r.get("metadata.name") or r.name
        if name in ("tiller-deploy", "kubernetes-dashboard"):
            yield f"Service {name} exposes a cluster-admin tool"
        return
    for name, c in pod_and_containers(r)[1]:
        match = FORBIDDEN_IMAGES.search(str(c.get("image") or "").split("@")[0])
        if match:
            yield f"{name} runs {match.group(1)}"


@resource_rule(
    id="K8S-POD-023",
    title="Workloads and Services carry the recommended labels",
    severity="low",
    resource_types=(*WORKLOADS, SERVICE),
    description="Checks `metadata.labels` has every label in the policy config's `requiredLabels` (default "
    "the six app.kubernetes.io/ labels: name, instance, version, component, part-of, "
    "managed-by).",
    rationale="Consistent labels are how dashboards, cost reports, NetworkPolicies and incident responders "
    "find what a pod belongs to.",
    remediation="Groundwork components set these labels; for charts use `commonLabels` in the values.",
    thresholds={"requiredLabels": RECOMMENDED_LABELS},
    tags=("compliance-policies:apps-v1-deployment-configure-recommended-labels",),
    aliases=("K8S-WL-013",),
)
def recommended_labels(r: Resource):
    missing = [k for k in r.threshold("requiredLabels", RECOMMENDED_LABELS) if k not in r.labels]
    if missing:
        yield f"metadata.labels lacks {', '.join(missing)}"


@resource_rule(
    id="K8S-POD-024",
    title="No literal credentials in container environment",
    severity="high",
    resource_types=WORKLOADS,
    description="Checks no `env[]` entry whose name looks like a credential (PASSWORD, SECRET, TOKEN, "
    "API_KEY, CREDENTIAL, PRIVATE_KEY) carries a literal `value`; names that point at a "
    "credential (*_FILE, *_PATH, *_NAME, *_ARN...) and file paths or ARNs as values pass.",
    rationale="A literal value is in the program source, the Pulumi state and the pod spec that anyone with "
    "`get deployments` can read.",
    remediation="Put the value in a Kubernetes Secret fed by External Secrets from Secrets Manager and mount "
    "it.",
    aliases=("STK-SEC-003",),
)
def pod_no_literal_credentials(r: Resource):
    for name, c in pod_and_containers(r)[1]:
        for env in as_list(c.get("env")):
            if _looks_like_credential(str(env.get("name", "")), env.get("value")):
                yield f"{name} sets {env.get('name')} to a literal value"


@resource_rule(
    id="K8S-POD-025",
    title="Images come from allowed registries",
    severity="high",
    resource_types=WORKLOADS,
    description="Checks every image's registry host matches a pattern in the policy config's "
    "`allowedRegistries` (default: ECR (*.dkr.ecr.*.amazonaws.com), public.ecr.aws, "
    "registry.k8s.io, quay.io, ghcr.io, docker.io; prod configs narrow it to the account's ECR). "
    "An image without a host is docker.io.",
    rationale="The registry decides who can publish the code the cluster runs; an allow-list keeps "
    "typosquatted and unvetted images out and makes ECR scanning the path to production.",
    remediation="Mirror the image into the platform's ECR and reference it there, or add the registry to "
    "`allowedRegistries` in policy/config/<env>.json after review.",
    thresholds={"allowedRegistries": DEFAULT_REGISTRIES},
    aliases=("STK-K8S-002",),
)
def pod_allowed_registries(r: Resource):
    patterns = r.threshold("allowedRegistries", DEFAULT_REGISTRIES)
    for name, c in pod_and_containers(r)[1]:
        image = str(c.get("image") or "")
        registry = image_registry(image)
        if image and not any(fnmatch.fnmatch(registry, p) for p in patterns):
            yield f"{name} pulls from {registry}, which is not in allowedRegistries"
