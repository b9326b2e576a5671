"""Kubernetes namespace rules: Pod Security Admission labels, a default-deny NetworkPolicy, a
quota and limits per application namespace, no objects in `default`, workloads selected by a
NetworkPolicy, and the environment label.

Namespace joins: an object belongs to a Namespace resource when its `metadata.namespace` equals the
Namespace's `metadata.name` (or Pulumi name), or when the engine records that its `metadata` input
came from that Namespace (an auto-named namespace's name is only known after deploy).
"""

from __future__ import annotations

from policy.framework import Resource, Stack, resource_rule, stack_rule
from policy.helpers import WORKLOADS, as_list, each, pod_labels
from policy.rules.k8s.rbac import ROLE, ROLE_BINDING, SERVICE_ACCOUNT

NAMESPACE = "kubernetes:core/v1:Namespace"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
RESOURCE_QUOTA = "kubernetes:core/v1:ResourceQuota"
LIMIT_RANGE = "kubernetes:core/v1:LimitRange"

NAMESPACED_KINDS = (
    *WORKLOADS,
    "kubernetes:core/v1:Service",
    "kubernetes:core/v1:ConfigMap",
    "kubernetes:core/v1:Secret",
    SERVICE_ACCOUNT,
    "kubernetes:core/v1:PersistentVolumeClaim",
    RESOURCE_QUOTA,
    LIMIT_RANGE,
    NETWORK_POLICY,
    ROLE,
    ROLE_BINDING,
    "kubernetes:networking.k8s.io/v1:Ingress",
    "kubernetes:policy/v1:PodDisruptionBudget",
    "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
)
SYSTEM_NAMESPACES = ["kube-system", "kube-public", "kube-node-lease"]
PSA = "pod-security.kubernetes.io/"


def _ns_name(ns: Resource) -> str:
    return ns.get("metadata.name") or ns.name


def _app_namespaces(stack: Stack) -> list[Resource]:
    exempt = set(stack.threshold("systemNamespaces", SYSTEM_NAMESPACES))
    return [ns for ns in stack.of_type(NAMESPACE) if _ns_name(ns) not in exempt]


def _in_namespace(obj: Resource, ns: Resource) -> bool:
    if obj.get("metadata.namespace") in (_ns_name(ns), ns.name):
        return True
    return ns.urn in obj.depends_on("metadata")


def _selects(selector: dict | None, labels: dict) -> bool:
    """Whether a LabelSelector matches `labels` (an empty selector matches every pod)."""
    selector = selector or {}
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expr in as_list(selector.get("matchExpressions")):
        key, op, values = expr.get("key"), expr.get("operator"), as_list(expr.get("values"))
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def _is_default_deny(policy: Resource, direction: str) -> bool:
    spec = policy.get("spec") or {}
    selector = spec.get("podSelector") or {}
    if selector.get("matchLabels") or selector.get("matchExpressions"):
        return False
    types = as_list(spec.get("policyTypes")) or (["Ingress"] + (["Egress"] if spec.get("egress") else []))
    rules = spec.get(direction.lower())
    return direction in types and not as_list(rules)


@resource_rule(
    id="K8S-NS-001",
    title="Namespaces enforce the restricted Pod Security Standard",
    severity="high",
    resource_types=(NAMESPACE,),
    description="Checks the labels `pod-security.kubernetes.io/enforce`, `audit` and `warn` are `restricted` "
    "(or the level the policy config's `namespaceLevels` grants that namespace, e.g. baseline "
    "for a node-agent namespace). kube-system, kube-public and kube-node-lease are exempt "
    "(`systemNamespaces`).",
    rationale="Pod Security Admission is the in-cluster gate: even a workload deployed around Pulumi "
    "(kubectl, a Helm v3 Release, an operator) is rejected if it is privileged. Without the label "
    "every pod is admitted.",
    remediation="Groundwork's `Cluster` component labels every namespace it creates; for others add "
    "`pod-security.kubernetes.io/enforce: restricted` (and audit/warn) to metadata.labels.",
    thresholds={"systemNamespaces": SYSTEM_NAMESPACES, "namespaceLevels": {}},
    tags=("pss:restricted",),
)
def namespace_pod_security(r: Resource):
    name = r.get("metadata.name") or r.name
    if name in r.threshold("systemNamespaces", SYSTEM_NAMESPACES):
        return
    wanted = r.threshold("namespaceLevels", {}).get(name, "restricted")
    for mode in ("enforce", "audit", "warn"):
        level = r.labels.get(f"{PSA}{mode}")
        if level != wanted and not (mode != "enforce" and level == "restricted"):
            yield f"label {PSA}{mode} is {level or 'unset'}; expected {wanted}"


@stack_rule(
    id="K8S-NS-002",
    title="Every namespace has a default-deny NetworkPolicy",
    severity="high",
    description="For every Namespace in the stack (except `systemNamespaces`), a NetworkPolicy in it selects "
    "all pods (empty podSelector) and denies each direction in the policy config's "
    "`defaultDenyTypes` (default Ingress and Egress) by listing it in policyTypes with no rules.",
    rationale="Kubernetes allows all pod-to-pod traffic by default, so one compromised pod can reach every "
    "database proxy and admin port in the cluster. Default-deny turns the allowed paths into an "
    "explicit, reviewable list.",
    remediation="Groundwork's `Cluster` component creates `default-deny` in each namespace it manages; add "
    "allow policies (DNS egress, ingress from the ingress controller) next to it.",
    thresholds={"systemNamespaces": SYSTEM_NAMESPACES, "defaultDenyTypes": ["Ingress", "Egress"]},
)
def namespace_default_deny(stack: Stack):
    policies = stack.of_type(NETWORK_POLICY)
    directions = stack.threshold("defaultDenyTypes", ["Ingress", "Egress"])
    for ns in _app_namespaces(stack):
        mine = [p for p in policies if _in_namespace(p, ns)]
        missing = [d for d in directions if not any(_is_default_deny(p, d) for p in mine)]
        if missing:
            yield ns, f"namespace {_ns_name(ns)} has no default-deny NetworkPolicy for {', '.join(missing)}"


@stack_rule(
    id="K8S-NS-003",
    title="Every namespace has a ResourceQuota",
    severity="medium",
    description="For every Namespace in the stack (except `systemNamespaces`), a ResourceQuota lives in it.",
    rationale="Without a quota, one team's runaway Deployment (or an attacker's cryptominer) can take every "
    "node's capacity and evict the platform's own workloads.",
    remediation="Groundwork's `Cluster` component creates a ResourceQuota per namespace from "
    "`cluster.namespaceQuota` for the namespaces in `cluster.appNamespaces`.",
    thresholds={"systemNamespaces": SYSTEM_NAMESPACES},
)
def namespace_quota(stack: Stack):
    quotas = stack.of_type(RESOURCE_QUOTA)
    for ns in _app_namespaces(stack):
        if not any(_in_namespace(q, ns) for q in quotas):
            yield ns, f"namespace {_ns_name(ns)} has no ResourceQuota"


@stack_rule(
    id="K8S-NS-004",
    title="Every namespace has a LimitRange",
    severity="low",
    description="For every Namespace in the stack (except `systemNamespaces`), a LimitRange lives in it.",
    rationale="A LimitRange gives containers without resources default requests and limits, so a forgotten "
    "`resources:` block neither escapes the quota nor starves its neighbours.",
    remediation="Groundwork's `Cluster` component creates a LimitRange per namespace.",
    thresholds={"systemNamespaces": SYSTEM_NAMESPACES},
)
def namespace_limit_range(stack: Stack):
    ranges = stack.of_type(LIMIT_RANGE)
    for ns in _app_namespaces(stack):
        if not any(_in_namespace(lr, ns) for lr in ranges):
            yield ns, f"namespace {_ns_name(ns)} has no LimitRange"


@resource_rule(
    id="K8S-NS-005",
    title="Objects live in a named namespace, not default",
    severity="medium",
    resource_types=NAMESPACED_KINDS,
    description="Checks `metadata.namespace` is set and is not `default` on namespaced objects.",
    rationale="The default namespace carries no Pod Security labels, NetworkPolicies or quotas, and an unset "
    "namespace lands wherever the deployer's kubeconfig points.",
    remediation="Set `metadata.namespace` to the component's namespace (Groundwork components always do).",
    tags=("checkov:CKV_K8S_21",),
    aliases=("K8S-WL-007",),
)
def object_namespace(r: Resource):
    namespace = r.get("metadata.namespace")
    if not namespace:
        yield "metadata.namespace is unset: the object lands in the kubeconfig's current namespace"
    elif namespace == "default":
        yield "metadata.namespace is 'default'"


@stack_rule(
    id="K8S-NS-006",
    title="Every workload's pods are selected by a NetworkPolicy",
    severity="high",
    description="For every workload, some NetworkPolicy in the same namespace (by `metadata.namespace`) has "
    "a podSelector matching the pod template's labels (an empty selector matches all).",
    rationale="Pods that no NetworkPolicy selects accept traffic from anywhere in the cluster, whatever the "
    "other policies say.",
    remediation="Add a default-deny policy to the namespace (K8S-NS-002) and allow policies for the app.",
    tags=("checkov:CKV2_K8S_6",),
    aliases=("K8S-NET-002",),
)
def workloads_selected_by_network_policy(stack: Stack):
    policies = stack.of_type(NETWORK_POLICY)

    def check(workload: Resource):
        namespace = workload.get("metadata.namespace") or "default"
        labels = pod_labels(workload)
        if not any(
            p.get("metadata.namespace") == namespace and _selects(p.get("spec.podSelector"), labels)
            for p in policies
        ):
            yield workload, f"no NetworkPolicy in namespace {namespace} selects the pods of {workload.name}"

    yield from each(stack.of_type(*WORKLOADS), check)


@resource_rule(
    id="K8S-NS-007",
    title="Namespaces carry the stack's environment label",
    severity="low",
    resource_types=(NAMESPACE,),
    description="Checks `metadata.labels.environment` equals the stack's environment (from the policy "
    "config).",
    rationale="The label ties in-cluster objects to the same environment as the AWS tags, for cost reports, "
    "dashboards and incident scoping; a prod label in a dev cluster misleads responders.",
    remediation="Groundwork's `Cluster` component copies the stack tags into namespace labels.",
)
def namespace_environment_label(r: Resource):
    if (r.get("metadata.name") or r.name) in SYSTEM_NAMESPACES:
        return
    label = r.labels.get("environment")
    if label != r.environment:
        yield f"label environment is {label or 'unset'}; the stack's environment is {r.environment}"
