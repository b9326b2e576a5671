"""Kubernetes RBAC rules: no wildcards, no privilege-escalating verbs, no use of the default
ServiceAccount, cluster-admin only for listed subjects, nothing bound to anonymous users.
"""

from __future__ import annotations

from policy.framework import Resource, resource_rule
from policy.helpers import as_list

SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"
RBAC = "kubernetes:rbac.authorization.k8s.io/v1"
ROLE, CLUSTER_ROLE = f"{RBAC}:Role", f"{RBAC}:ClusterRole"
ROLE_BINDING, CLUSTER_ROLE_BINDING = f"{RBAC}:RoleBinding", f"{RBAC}:ClusterRoleBinding"


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
    tags=("checkov:CKV_K8S_49",),
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
    tags=(
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
    tags=("checkov:CKV_K8S_41", "checkov:CKV_K8S_42"),
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
)
def rbac_no_anonymous(r: Resource):
    for s in _subjects(r):
        name = s.get("name")
        if name in ("system:anonymous", "system:unauthenticated"):
            yield f"binds {r.get('roleRef.name')} to {name}"
        elif name == "system:authenticated" and r.get("roleRef.name") == "cluster-admin":
            yield "binds cluster-admin to every authenticated user"
