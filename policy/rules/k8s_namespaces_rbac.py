"""Rules for Kubernetes namespaces (Pod Security Admission labels, default-deny NetworkPolicy, quotas and
limits, no use of `default`) and RBAC (wildcards, privilege-escalating verbs, cluster-admin, anonymous
subjects, the default ServiceAccount).

Namespace joins: an object belongs to a Namespace resource when its `metadata.namespace` equals the
Namespace's `metadata.name` (or Pulumi name), or when the engine records that its `metadata` input came
from that Namespace (an auto-named namespace's name is only known after deploy).
"""

from __future__ import annotations

from policy.framework import Resource, Stack, resource_rule, stack_rule
from policy.rules._b_util import anchors, as_list, each
from policy.rules._k8s import WORKLOADS, pod_labels

NAMESPACE = "kubernetes:core/v1:Namespace"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
RESOURCE_QUOTA = "kubernetes:core/v1:ResourceQuota"
LIMIT_RANGE = "kubernetes:core/v1:LimitRange"
SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"
RBAC = "kubernetes:rbac.authorization.k8s.io/v1"
ROLE, CLUSTER_ROLE = f"{RBAC}:Role", f"{RBAC}:ClusterRole"
ROLE_BINDING, CLUSTER_ROLE_BINDING = f"{RBAC}:RoleBinding", f"{RBAC}:ClusterRoleBinding"

NAMESPACED_KINDS = (*WORKLOADS, "kubernetes:core/v1:Service", "kubernetes:core/v1:ConfigMap", "kubernetes:core/v1:Secret", SERVICE_ACCOUNT, "kubernetes:core/v1:PersistentVolumeClaim", RESOURCE_QUOTA, LIMIT_RANGE, NETWORK_POLICY, ROLE, ROLE_BINDING, "kubernetes:networking.k8s.io/v1:Ingress", "kubernetes:policy/v1:PodDisruptionBudget", "kubernetes:autoscaling/v2:HorizontalPodAutoscaler")
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


# ----------------------------------------------------------------------------------- namespaces


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
    tags=anchors("STK-K8S-001", "A/M", "pss:restricted", "groundwork:beyond"),
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
    tags=anchors("STK-K8S-001", "A/M", "groundwork:beyond"),
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
    tags=anchors("STK-K8S-001", "A/M", "groundwork:beyond"),
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
    tags=anchors("STK-K8S-001", "A/A", "groundwork:beyond"),
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
    tags=anchors("K8S-WL-007", "M/M", "checkov:CKV_K8S_21"),
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
    tags=anchors("K8S-NET-002", "A/M", "checkov:CKV2_K8S_6"),
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
    tags=anchors("STK-ENV-001", "A/A", "groundwork:beyond"),
)
def namespace_environment_label(r: Resource):
    if (r.get("metadata.name") or r.name) in SYSTEM_NAMESPACES:
        return
    label = r.labels.get("environment")
    if label != r.environment:
        yield f"label environment is {label or 'unset'}; the stack's environment is {r.environment}"


# ----------------------------------------------------------------------------------------- RBAC


def _rules(r: Resource) -> list[dict]:
    return [x for x in as_list(r.get("rules")) if isinstance(x, dict)]


def _role_name(r: Resource) -> str:
    return r.get("metadata.name") or r.name


@resource_rule(
    id="K8S-RBAC-001",
    title="Roles use no wildcards",
    severity="high",
    resource_types=(ROLE, CLUSTER_ROLE),
    description="Checks no rule of a Role/ClusterRole has `*` in verbs, resources or apiGroups, unless the "
    "role is in the policy config's `wildcardRoles`.",
    rationale="A wildcard grants every current and future verb or resource, including ones added by CRDs "
    "later; least privilege needs the list spelled out.",
    remediation="List the verbs and resources the controller uses (its docs or `kubectl auth can-i --list`).",
    thresholds={"wildcardRoles": []},
    tags=anchors("K8S-RBAC-001", "A/M", "checkov:CKV_K8S_49"),
)
def rbac_no_wildcards(r: Resource):
    if _role_name(r) in r.threshold("wildcardRoles", []):
        return
    for i, rule in enumerate(_rules(r)):
        for field in ("verbs", "resources", "apiGroups"):
            if "*" in [str(x) for x in as_list(rule.get(field))]:
                yield f"rules[{i}].{field} contains '*'"


DANGEROUS = [
    ({"bind", "escalate", "impersonate"}, None, "can grant itself or assume more privilege"),
    ({"create", "*"}, {"pods/exec", "pods/attach"}, "can exec into any pod"),
    ({"get", "create", "*"}, {"nodes/proxy"}, "can reach the kubelet API (run commands in any pod)"),
    ({"get", "list", "watch", "*"}, {"secrets"}, "can read Secrets"),
    (
        {"create", "update", "patch", "*"},
        {"mutatingwebhookconfigurations", "validatingwebhookconfigurations"},
        "can intercept or disable admission control",
    ),
    (
        {"update", "patch", "approve", "*"},
        {"certificatesigningrequests/approval", "signers"},
        "can approve certificates (mint cluster credentials)",
    ),
    (
        {"update", "patch", "*"},
        {"services/status"},
        "can hijack traffic via status.loadBalancer (CVE-2020-8554)",
    ),
]


@resource_rule(
    id="K8S-RBAC-002",
    title="Roles grant no privilege-escalating permissions",
    severity="high",
    resource_types=(ROLE, CLUSTER_ROLE),
    description="Checks no rule grants bind/escalate/impersonate; create on pods/exec or pods/attach; "
    "nodes/proxy; get/list/watch on secrets (without `resourceNames`); write access to admission "
    "webhook configurations; CSR approval; or update on services/status — unless the role is in "
    "the policy config's `privilegedRoles` (e.g. a reviewed operator).",
    rationale="Each of these turns a namespaced foothold into cluster-wide control: reading every Secret, "
    "running commands in any pod, approving credentials or switching off admission control.",
    remediation="Narrow the rule (resourceNames for the one Secret it needs), or list the role with a reason "
    "in privilegedRoles after review.",
    thresholds={"privilegedRoles": []},
    tags=anchors(
        "K8S-RBAC-002",
        "M/M",
        "checkov:CKV_K8S_155",
        "checkov:CKV_K8S_156",
        "checkov:CKV_K8S_157",
        "checkov:CKV_K8S_158",
        "checkov:CKV2_K8S_1",
        "checkov:CKV2_K8S_2",
        "checkov:CKV2_K8S_3",
        "checkov:CKV2_K8S_4",
        "checkov:CKV2_K8S_5",
    ),
)
def rbac_no_escalation(r: Resource):
    if _role_name(r) in r.threshold("privilegedRoles", []):
        return
    for i, rule in enumerate(_rules(r)):
        verbs = {str(v) for v in as_list(rule.get("verbs"))}
        resources = {str(x) for x in as_list(rule.get("resources"))}
        for bad_verbs, bad_resources, why in DANGEROUS:
            if not verbs & bad_verbs:
                continue
            if bad_resources is None:
                yield f"rules[{i}] grants {', '.join(sorted(verbs & bad_verbs))}: it {why}"
            elif resources & bad_resources and not (
                bad_resources == {"secrets"} and rule.get("resourceNames")
            ):
                yield f"rules[{i}] on {', '.join(sorted(resources & bad_resources))}: it {why}"


def _subjects(r: Resource) -> list[dict]:
    return [s for s in as_list(r.get("subjects")) if isinstance(s, dict)]


@resource_rule(
    id="K8S-RBAC-003",
    title="Nothing is granted to the default ServiceAccount",
    severity="medium",
    resource_types=(ROLE_BINDING, CLUSTER_ROLE_BINDING, SERVICE_ACCOUNT),
    description="Checks no (Cluster)RoleBinding has the ServiceAccount `default` as a subject, and that "
    "ServiceAccounts named `default` set `automountServiceAccountToken: false`.",
    rationale="Every pod without an explicit serviceAccountName runs as `default`; rights given to it leak "
    "to every such pod in the namespace.",
    remediation="Create a dedicated ServiceAccount per workload and bind roles to it.",
    tags=anchors("K8S-RBAC-003", "A/M", "checkov:CKV_K8S_41", "checkov:CKV_K8S_42"),
)
def rbac_default_service_account(r: Resource):
    if r.type == SERVICE_ACCOUNT:
        mounts = r.get("automountServiceAccountToken") is not False
        if (r.get("metadata.name") or r.name) == "default" and mounts:
            yield "the default ServiceAccount mounts its token into every pod that does not opt out"
        return
    for s in _subjects(r):
        if s.get("kind") == "ServiceAccount" and s.get("name") == "default":
            yield (
                f"binds {r.get('roleRef.name')} to the default ServiceAccount of "
                f"{s.get('namespace') or 'its namespace'}"
            )


@resource_rule(
    id="K8S-RBAC-004",
    title="cluster-admin is bound only to approved subjects",
    severity="high",
    resource_types=(ROLE_BINDING, CLUSTER_ROLE_BINDING),
    description="Checks a binding whose roleRef is `cluster-admin` (or any binding to the group "
    "system:masters) names only subjects in the policy config's `clusterAdminSubjects` (as "
    "kind/name).",
    rationale="cluster-admin is every permission on every object, including reading all Secrets and "
    "rewriting RBAC; the holders must be few and reviewed. Access entries (AWS-EKS-011) are the "
    "preferred way to grant it on EKS.",
    remediation="Bind a narrower ClusterRole, or grant admin through `cluster.adminRoleArns` (EKS access "
    "entries) and remove the binding.",
    thresholds={"clusterAdminSubjects": []},
    tags=anchors("STK-K8S-004", "M/M", "groundwork:beyond"),
)
def rbac_cluster_admin(r: Resource):
    allowed = set(r.threshold("clusterAdminSubjects", []))
    admin_role = r.get("roleRef.name") == "cluster-admin"
    for s in _subjects(r):
        ident = f"{s.get('kind')}/{s.get('name')}"
        if (admin_role or s.get("name") == "system:masters") and ident not in allowed:
            yield f"{ident} is bound to {'cluster-admin' if admin_role else 'system:masters'}"


@resource_rule(
    id="K8S-RBAC-005",
    title="Nothing is granted to anonymous or unauthenticated users",
    severity="critical",
    resource_types=(ROLE_BINDING, CLUSTER_ROLE_BINDING),
    description="Checks no binding has the subject `system:anonymous` or `system:unauthenticated` (or the "
    "group system:authenticated with cluster-admin).",
    rationale="A binding to anonymous hands the permission to anyone who can reach the API endpoint, no "
    "credentials needed — the classic path to cluster takeover.",
    remediation="Delete the binding; grant the permission to authenticated identities only.",
    tags=anchors("STK-K8S-004", "M/M", "groundwork:beyond"),
)
def rbac_no_anonymous(r: Resource):
    for s in _subjects(r):
        name = s.get("name")
        if name in ("system:anonymous", "system:unauthenticated"):
            yield f"binds {r.get('roleRef.name')} to {name}"
        elif name == "system:authenticated" and r.get("roleRef.name") == "cluster-admin":
            yield "binds cluster-admin to every authenticated user"
