"""Rules for Kubernetes workloads (Pod Security Standards baseline + restricted and operational hygiene),
Services, Ingresses and Helm charts.

Workload kinds: Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob; the pod spec is read
from where each kind keeps it. Every container list counts (initContainers, containers,
ephemeralContainers). Groundwork's in-cluster data services (local stack), monitoring and add-ons
create these through the `k8s_opts()` provider; Helm values are the place to fix third-party charts.
"""

from __future__ import annotations

import fnmatch
import re

from policy.framework import Resource, Stack, resource_rule, stack_rule
from policy.rules._b_util import anchors, as_list, each, is_true, number
from policy.rules._k8s import (
    DEPLOYMENT,
    LONG_RUNNING,
    POD,
    STATEFUL_SET,
    WORKLOADS,
    containers,
    image_registry,
    image_tag,
    is_windows,
    pod_spec,
    security_context,
)

SERVICE = "kubernetes:core/v1:Service"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"
SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"
HELM_CHART = "kubernetes:helm.sh/v4:Chart"
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"

BASELINE_CAPABILITIES = {
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
}
RESTRICTED_VOLUME_TYPES = [
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
]
SAFE_SYSCTLS = {
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
}
SELINUX_TYPES = {"container_t", "container_init_t", "container_kvm_t", "container_engine_t"}
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


def _spec(r: Resource) -> dict:
    return pod_spec(r)


def _capabilities(container: dict) -> dict:
    caps = security_context(container).get("capabilities")
    return caps if isinstance(caps, dict) else {}


def _pod_and_containers(r: Resource):
    spec = _spec(r)
    return spec, list(containers(spec))


# ------------------------------------------------------------------------------ PSS baseline


@resource_rule(
    id="K8S-POD-001",
    title="Pods do not share the node's network, PID or IPC namespace",
    severity="high",
    resource_types=WORKLOADS,
    description="Checks `hostNetwork`, `hostPID` and `hostIPC` are unset or false in the pod spec.",
    rationale="Host namespaces let a container see every process on the node, sniff its traffic and talk to "
    "services bound to localhost (kubelet, IMDS proxy): a container escape without an exploit.",
    remediation="Remove hostNetwork/hostPID/hostIPC; for node agents that truly need them, record an "
    "exemption with the reason in policy/config.",
    tags=anchors(
        "K8S-PSS-001",
        "M/M",
        "checkov:CKV_K8S_17",
        "checkov:CKV_K8S_18",
        "checkov:CKV_K8S_19",
        "pss:baseline",
        "opa:pod_security.rego",
    ),
)
def pod_host_namespaces(r: Resource):
    spec = _spec(r)
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if is_true(spec.get(field)):
            yield f"{field} is true"


@resource_rule(
    id="K8S-POD-002",
    title="Containers are not privileged",
    severity="critical",
    resource_types=WORKLOADS,
    description="Checks `securityContext.privileged` is unset or false on every container.",
    rationale="A privileged container has every capability and every device of the node: root on the node.",
    remediation="Remove `privileged: true`; grant the single capability the process needs instead.",
    tags=anchors("K8S-PSS-002", "M/M", "checkov:CKV_K8S_16", "pss:baseline", "opa:pod_security.rego"),
)
def pod_not_privileged(r: Resource):
    for name, c in _pod_and_containers(r)[1]:
        if is_true(security_context(c).get("privileged")):
            yield f"{name} is privileged"


@resource_rule(
    id="K8S-POD-003",
    title="Containers add no dangerous capabilities",
    severity="high",
    resource_types=WORKLOADS,
    description="Checks `securityContext.capabilities.add` only names capabilities in the policy config's "
    "`allowedAddedCapabilities` (default NET_BIND_SERVICE, the restricted profile), and never "
    "any outside the baseline list (SYS_ADMIN, NET_RAW, NET_ADMIN...).",
    rationale="SYS_ADMIN is nearly root; NET_RAW allows ARP/DNS spoofing of other pods; every extra "
    "capability widens what a compromised process can do to the node.",
    remediation="Drop the capability from the container spec (or its Helm values).",
    thresholds={"allowedAddedCapabilities": ["NET_BIND_SERVICE"]},
    tags=anchors(
        "K8S-PSS-003",
        "M/M",
        "checkov:CKV_K8S_25",
        "checkov:CKV_K8S_28",
        "checkov:CKV_K8S_37",
        "checkov:CKV_K8S_39",
        "pss:baseline",
        "pss:restricted",
    ),
)
def pod_capabilities_added(r: Resource):
    allowed = set(r.threshold("allowedAddedCapabilities", ["NET_BIND_SERVICE"]))
    for name, c in _pod_and_containers(r)[1]:
        added = {str(x).upper().removeprefix("CAP_") for x in as_list(_capabilities(c).get("add"))}
        bad = sorted(added - (allowed & BASELINE_CAPABILITIES))
        if bad:
            yield f"{name} adds {', '.join(bad)}"


@resource_rule(
    id="K8S-POD-004",
    title="Containers drop all capabilities",
    severity="high",
    resource_types=WORKLOADS,
    description="Checks `securityContext.capabilities.drop` contains ALL on every container (waived for "
    "Windows pods).",
    rationale="The runtime's default capability set (CHOWN, SETUID, NET_RAW...) is more than an application "
    "needs; dropping ALL removes them as escalation paths.",
    remediation="Set `securityContext.capabilities.drop: [ALL]` on every container.",
    tags=anchors("K8S-PSS-004", "A/M", "pss:restricted", "opa:pod_security.rego"),
)
def pod_capabilities_dropped(r: Resource):
    spec, cs = _pod_and_containers(r)
    if is_windows(spec):
        return
    for name, c in cs:
        dropped = {str(x).upper() for x in as_list(_capabilities(c).get("drop"))}
        if "ALL" not in dropped:
            yield f"{name} does not drop ALL capabilities"


@resource_rule(
    id="K8S-POD-005",
    title="Pods use only restricted volume types",
    severity="high",
    resource_types=WORKLOADS,
    description="Checks every `volumes[]` entry is one of configMap, csi, downwardAPI, emptyDir, ephemeral, "
    "persistentVolumeClaim, projected, secret; hostPath (and so the docker/containerd socket) "
    "fails.",
    rationale="hostPath mounts expose the node's filesystem: the container runtime socket, kubelet "
    "credentials and other pods' data.",
    remediation="Use a PersistentVolumeClaim or emptyDir; node agents that need hostPath get an exemption.",
    thresholds={"allowedVolumeTypes": RESTRICTED_VOLUME_TYPES},
    tags=anchors("K8S-PSS-005", "M/M", "checkov:CKV_K8S_27", "pss:baseline", "pss:restricted"),
)
def pod_volume_types(r: Resource):
    allowed = set(r.threshold("allowedVolumeTypes", RESTRICTED_VOLUME_TYPES))
    for volume in as_list(_spec(r).get("volumes")):
        kinds = [k for k in volume if k != "name"]
        bad = [k for k in kinds if k not in allowed]
        if bad:
            detail = (
                f" ({volume['hostPath'].get('path')})"
                if "hostPath" in bad and isinstance(volume.get("hostPath"), dict)
                else ""
            )
            yield f"volume {volume.get('name', '?')} is of type {', '.join(bad)}{detail}"


@resource_rule(
    id="K8S-POD-006",
    title="Containers do not bind host ports",
    severity="medium",
    resource_types=WORKLOADS,
    description="Checks `ports[].hostPort` is unset or 0 on every container.",
    rationale="A hostPort bypasses NetworkPolicies and Services, exposing the container on the node's IP and "
    "limiting scheduling to one pod per node.",
    remediation="Expose the port through a Service instead.",
    tags=anchors("K8S-PSS-006", "M/M", "checkov:CKV_K8S_26", "pss:baseline"),
)
def pod_host_ports(r: Resource):
    for name, c in _pod_and_containers(r)[1]:
        for port in as_list(c.get("ports")):
            if number(port.get("hostPort"), 0):
                yield f"{name} binds hostPort {number(port.get('hostPort')):g}"


@resource_rule(
    id="K8S-POD-007",
    title="Containers forbid privilege escalation",
    severity="high",
    resource_types=WORKLOADS,
    description="Checks `securityContext.allowPrivilegeEscalation == false` explicitly on every container "
    "(waived for Windows pods).",
    rationale="Unless it is false, setuid binaries (sudo, ping) can raise a process's privileges inside the "
    "container, the first step of most container escapes.",
    remediation="Set `securityContext.allowPrivilegeEscalation: false` on every container.",
    tags=anchors("K8S-PSS-007", "M/M", "checkov:CKV_K8S_20", "pss:restricted"),
)
def pod_no_privilege_escalation(r: Resource):
    spec, cs = _pod_and_containers(r)
    if is_windows(spec):
        return
    for name, c in cs:
        if security_context(c).get("allowPrivilegeEscalation") is not False:
            yield f"{name} does not set allowPrivilegeEscalation: false"


@resource_rule(
    id="K8S-POD-008",
    title="Containers run as a non-root user",
    severity="high",
    resource_types=WORKLOADS,
    description="Checks `runAsNonRoot == true` at pod level or on every container, and that no `runAsUser` "
    "(pod or container) is below the policy config's `minRunAsUser` (default 1, i.e. not root; "
    "checkov's stricter 10000 can be configured).",
    rationale="Root in a container is root on the node as soon as anything else goes wrong (a kernel bug, a "
    "hostPath, a writable /proc).",
    remediation="Set `securityContext.runAsNonRoot: true` and `runAsUser` (e.g. 10001) in the pod spec.",
    thresholds={"minRunAsUser": 1},
    tags=anchors(
        "K8S-PSS-008",
        "A/M",
        "checkov:CKV_K8S_23",
        "checkov:CKV_K8S_40",
        "pss:restricted",
        "opa:pod_security.rego",
    ),
)
def pod_non_root(r: Resource):
    spec, cs = _pod_and_containers(r)
    pod_ctx = security_context(spec)
    minimum = number(r.threshold("minRunAsUser", 1), 1)
    for name, c in cs:
        ctx = security_context(c)
        non_root = ctx.get("runAsNonRoot", pod_ctx.get("runAsNonRoot"))
        if non_root is not True:
            yield f"{name} does not set runAsNonRoot: true (pod or container)"
        user = number(ctx.get("runAsUser", pod_ctx.get("runAsUser")))
        if user is not None and user < minimum:
            yield f"{name} runs as UID {user:g}; at least {minimum:g} required"


def _seccomp(ctx: dict) -> str | None:
    profile = ctx.get("seccompProfile")
    return profile.get("type") if isinstance(profile, dict) else None


@resource_rule(
    id="K8S-POD-009",
    title="Pods run with a seccomp profile",
    severity="medium",
    resource_types=WORKLOADS,
    description="Checks `securityContext.seccompProfile.type` is RuntimeDefault or Localhost, set at pod "
    "level or on every container; Unconfined anywhere fails (waived for Windows pods).",
    rationale="Seccomp blocks the syscalls most kernel exploits use; without a profile, containers run "
    "Unconfined on most runtimes.",
    remediation="Set `securityContext.seccompProfile.type: RuntimeDefault` in the pod spec.",
    tags=anchors("K8S-PSS-009", "A/M", "checkov:CKV_K8S_31", "pss:restricted"),
)
def pod_seccomp(r: Resource):
    spec, cs = _pod_and_containers(r)
    if is_windows(spec):
        return
    pod_type = _seccomp(security_context(spec))
    for name, c in cs:
        effective = _seccomp(security_context(c)) or pod_type
        if effective not in ("RuntimeDefault", "Localhost"):
            yield f"{name} has seccomp profile {effective or 'unset'}"


def _baseline_extras(ctx: dict, where: str) -> list[str]:
    issues = []
    if is_true((ctx.get("windowsOptions") or {}).get("hostProcess")):
        issues.append(f"{where} is a Windows HostProcess container")
    apparmor = (ctx.get("appArmorProfile") or {}).get("type")
    if apparmor not in (None, "RuntimeDefault", "Localhost"):
        issues.append(f"{where} sets AppArmor profile {apparmor}")
    selinux = ctx.get("seLinuxOptions") or {}
    if selinux.get("type") not in (None, "", *SELINUX_TYPES):
        issues.append(f"{where} sets SELinux type {selinux.get('type')}")
    if selinux.get("user") or selinux.get("role"):
        issues.append(f"{where} sets a custom SELinux user or role")
    if ctx.get("procMount") not in (None, "Default"):
        issues.append(f"{where} sets procMount {ctx.get('procMount')}")
    return issues


@resource_rule(
    id="K8S-POD-010",
    title="Pods meet the remaining baseline controls",
    severity="medium",
    resource_types=WORKLOADS,
    description="Checks the other Pod Security baseline fields: no Windows hostProcess, AppArmor type "
    "RuntimeDefault/Localhost, SELinux type in the container_* list and no custom user/role, "
    "procMount Default, only safe `sysctls`, and no `host` in probe/lifecycle httpGet/tcpSocket.",
    rationale="Each of these is a documented way to weaken container isolation or reach node-local services.",
    remediation="Remove the field from the pod spec (or the chart's values).",
    tags=anchors("K8S-PSS-010", "M/M", "pss:baseline"),
)
def pod_baseline_extras(r: Resource):
    spec, cs = _pod_and_containers(r)
    yield from _baseline_extras(security_context(spec), "the pod")
    for sysctl in as_list(security_context(spec).get("sysctls")):
        if sysctl.get("name") not in SAFE_SYSCTLS:
            yield f"sysctl {sysctl.get('name')} is not in the safe set"
    for name, c in cs:
        yield from _baseline_extras(security_context(c), name)
        handlers = [c.get(p) for p in ("livenessProbe", "readinessProbe", "startupProbe")]
        handlers += [(c.get("lifecycle") or {}).get(h) for h in ("postStart", "preStop")]
        for handler in handlers:
            if not isinstance(handler, dict):
                continue
            for kind in ("httpGet", "tcpSocket"):
                if (handler.get(kind) or {}).get("host"):
                    yield (
                        f"{name} has a {kind} probe/hook with a host: it can reach other hosts from the "
                        "kubelet"
                    )


@resource_rule(
    id="K8S-POD-011",
    title="Containers have a read-only root filesystem",
    severity="medium",
    resource_types=WORKLOADS,
    description="Checks `securityContext.readOnlyRootFilesystem == true` on every container.",
    rationale="A writable root filesystem lets an attacker drop tools and persist changes; writable paths "
    "should be explicit emptyDir mounts.",
    remediation="Set `readOnlyRootFilesystem: true` and mount emptyDir volumes at the paths the app writes.",
    tags=anchors(
        "K8S-PSS-011",
        "A/M",
        "checkov:CKV_K8S_22",
        "cp:apps-v1-deployment-enable-read-only-root-filesystem",
        "opa:pod_security.rego",
    ),
)
def pod_read_only_root(r: Resource):
    for name, c in _pod_and_containers(r)[1]:
        if not is_true(security_context(c).get("readOnlyRootFilesystem")):
            yield f"{name} has a writable root filesystem"


# ------------------------------------------------------------------------ workload hygiene


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
    tags=anchors(
        "K8S-WL-001",
        "A/M",
        "checkov:CKV_K8S_10",
        "checkov:CKV_K8S_11",
        "checkov:CKV_K8S_12",
        "checkov:CKV_K8S_13",
    ),
)
def pod_resources(r: Resource):
    need = [("requests", "cpu"), ("requests", "memory"), ("limits", "memory")]
    if r.threshold("requireCpuLimit", False):
        need.append(("limits", "cpu"))
    for name, c in containers(_spec(r), ("initContainers", "containers")):
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
    tags=anchors("K8S-WL-002", "A/A", "checkov:CKV_K8S_8", "checkov:CKV_K8S_9"),
)
def pod_probes(r: Resource):
    for name, c in containers(_spec(r), ("containers",)):
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
    tags=anchors("K8S-WL-003", "A/M", "checkov:CKV_K8S_14", "checkov:CKV_K8S_43"),
)
def pod_image_pinned(r: Resource):
    need_digest = r.environment in r.threshold("requireDigestIn", ["prod"])
    for name, c in _pod_and_containers(r)[1]:
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
    tags=anchors("K8S-WL-004", "D/A", "checkov:CKV_K8S_15"),
)
def pod_pull_policy(r: Resource):
    for name, c in _pod_and_containers(r)[1]:
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
    tags=anchors("K8S-WL-005", "A/A", "checkov:CKV_K8S_35"),
)
def pod_secrets_as_files(r: Resource):
    for name, c in _pod_and_containers(r)[1]:
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
    tags=anchors("K8S-WL-006", "A/M", "checkov:CKV_K8S_38"),
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
        spec = _spec(r)
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
    tags=anchors("K8S-WL-008", "A/M", "cp:core-v1-pod-disallow-pod", "ex:pods-are-prohibited"),
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
    tags=anchors(
        "K8S-WL-009",
        "D/M",
        "cp:apps-v1-deployment-configure-minimum-replica-count",
        "ex:minimum-replica-count",
    ),
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
    tags=anchors("K8S-WL-010", "A/M", "cp:policy-v1-poddisruptionbudget-disallow-zero-voluntary-disruption"),
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
    tags=anchors(
        "K8S-WL-012",
        "M/M",
        "checkov:CKV_K8S_33",
        "checkov:CKV_K8S_34",
        "checkov:CKV_K8S_44",
        "checkov:CKV_K8S_45",
        "checkov:CKV_K8S_159",
    ),
)
def no_risky_tools(r: Resource):
    if r.type == SERVICE:
        name = r.get("metadata.name") or r.name
        if name in ("tiller-deploy", "kubernetes-dashboard"):
            yield f"Service {name} exposes a cluster-admin tool"
        return
    for name, c in _pod_and_containers(r)[1]:
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
    tags=anchors("K8S-WL-013", "A/A", "cp:apps-v1-deployment-configure-recommended-labels"),
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
    "credential (*_FILE, *_PATH, *_NAME, *_ARN...) and file paths or ARNs as values pass. Beyond "
    "the anchors.",
    rationale="A literal value is in the program source, the Pulumi state and the pod spec that anyone with "
    "`get deployments` can read.",
    remediation="Put the value in a Kubernetes Secret fed by External Secrets from Secrets Manager and mount "
    "it.",
    tags=anchors("STK-SEC-003", "M/M", "groundwork:beyond"),
)
def pod_no_literal_credentials(r: Resource):
    for name, c in _pod_and_containers(r)[1]:
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
    tags=anchors("STK-K8S-002", "A/M", "groundwork:beyond"),
)
def pod_allowed_registries(r: Resource):
    patterns = r.threshold("allowedRegistries", DEFAULT_REGISTRIES)
    for name, c in _pod_and_containers(r)[1]:
        image = str(c.get("image") or "")
        registry = image_registry(image)
        if image and not any(fnmatch.fnmatch(registry, p) for p in patterns):
            yield f"{name} pulls from {registry}, which is not in allowedRegistries"


# ------------------------------------------------------------------------- Services, Ingress

INTERNAL_LB_ANNOTATIONS = {
    "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal",
    "service.beta.kubernetes.io/aws-load-balancer-internal": "true",
}


@resource_rule(
    id="K8S-SVC-001",
    title="Services are not exposed through NodePorts or public load balancers",
    severity="high",
    resource_types=(SERVICE,),
    description="Checks `spec.type` is not NodePort, and is LoadBalancer only when annotated internal "
    "(`service.beta.kubernetes.io/aws-load-balancer-scheme: internal`) or named in the policy "
    "config's `publicLoadBalancers` (e.g. the ingress controller).",
    rationale="Every public load balancer is a new internet entry point that bypasses the ingress "
    "controller's TLS, WAF and authentication; NodePorts open a port on every node.",
    remediation="Use ClusterIP behind the platform's Ingress; for a reviewed exception list the Service's "
    "namespace/name in publicLoadBalancers.",
    thresholds={"publicLoadBalancers": []},
    tags=anchors("K8S-NET-001", "A/M", "cp:core-v1-service-disallow-load-balancer", "ex:no-public-services"),
)
def service_exposure(r: Resource):
    kind = r.get("spec.type") or "ClusterIP"
    if kind == "NodePort":
        yield "spec.type is NodePort: the port opens on every node"
    elif kind == "LoadBalancer":
        annotations = r.annotations
        internal = any(str(annotations.get(k, "")).lower() == v for k, v in INTERNAL_LB_ANNOTATIONS.items())
        ident = f"{r.get('metadata.namespace') or 'default'}/{r.get('metadata.name') or r.name}"
        if not internal and ident not in r.threshold("publicLoadBalancers", []):
            yield f"{ident} is a public LoadBalancer (not internal and not in publicLoadBalancers)"


@resource_rule(
    id="K8S-SVC-002",
    title="Ingresses carry no NGINX snippet annotations",
    severity="high",
    resource_types=(INGRESS,),
    description="Checks no annotation named `nginx.ingress.kubernetes.io/*-snippet` (configuration-snippet, "
    "server-snippet, auth-snippet...).",
    rationale="Snippets inject raw NGINX config; CVE-2021-25742 and IngressNightmare (CVE-2025-1974) turned "
    "them into reading the controller's service-account token and every Secret.",
    remediation="Remove the snippet; use the controller's first-class annotations or a ConfigMap reviewed by "
    "the platform team.",
    tags=anchors("K8S-NET-003", "M/M", "checkov:CKV_K8S_152", "checkov:CKV_K8S_153", "checkov:CKV_K8S_154"),
)
def ingress_no_snippets(r: Resource):
    for key in r.annotations:
        if key.startswith("nginx.ingress.kubernetes.io/") and key.endswith("-snippet"):
            yield f"annotation {key} injects raw NGINX configuration"


@resource_rule(
    id="K8S-SVC-003",
    title="Services set no externalIPs",
    severity="medium",
    resource_types=(SERVICE,),
    description="Checks `spec.externalIPs` is empty. Beyond the anchors.",
    rationale="externalIPs let whoever can create a Service intercept traffic to any IP (CVE-2020-8554).",
    remediation="Remove externalIPs; use a LoadBalancer or Ingress.",
    tags=anchors(None, "M/M", "groundwork:beyond"),
)
def service_no_external_ips(r: Resource):
    if as_list(r.get("spec.externalIPs")):
        yield "spec.externalIPs is set: traffic to those IPs can be intercepted"


# ---------------------------------------------------------------------------------------- Helm

_VERSION_RANGE = re.compile(r"[\^~<>=*|, ]|\.x\b|^x$")


@resource_rule(
    id="K8S-HELM-001",
    title="Helm charts pin an exact version",
    severity="medium",
    resource_types=(HELM_CHART, HELM_RELEASE),
    description="Checks `version` is set to an exact version (no ^, ~, >, *, x ranges) on `helm.sh/v4:Chart` "
    "and `helm.sh/v3:Release`; local chart paths (./ or /) carry their version and pass.",
    rationale="An unpinned chart upgrades itself on the next `pulumi up`, with new images, RBAC and CRDs "
    "nobody reviewed; previews are no longer reproducible.",
    remediation='Set `version="x.y.z"` on the Chart (Groundwork components pin chart versions as constants '
    "next to the chart name).",
    tags=anchors("STK-K8S-003", "A/M", "groundwork:beyond"),
)
def helm_version_pinned(r: Resource):
    chart = str(r.get("chart") or "")
    if chart.startswith((".", "/")):
        return
    version = r.get("version")
    if not version:
        yield f"chart {chart} has no version: the latest is installed"
    elif _VERSION_RANGE.search(str(version)):
        yield f"chart {chart} version {version} is a range, not a pinned version"


def _chart_source(r: Resource) -> str:
    repo = r.get("repositoryOpts.repo")
    chart = str(r.get("chart") or "")
    return str(repo) if repo else chart if "://" in chart else ""


@resource_rule(
    id="K8S-HELM-002",
    title="Helm charts come from allowed repositories",
    severity="medium",
    resource_types=(HELM_CHART, HELM_RELEASE),
    description="Checks the chart's repository (`repositoryOpts.repo`, or an `oci://` chart URL) starts with "
    "an entry of the policy config's `allowedChartRepositories`; when that list is empty, only "
    "plain http:// repositories are refused.",
    rationale="The repository decides who can change what the cluster installs; plain HTTP lets the network "
    "path change it.",
    remediation="Use the project's official HTTPS/OCI repository and list it in allowedChartRepositories.",
    thresholds={"allowedChartRepositories": []},
    tags=anchors("STK-K8S-003", "A/M", "groundwork:beyond"),
)
def helm_repository_allowed(r: Resource):
    source = _chart_source(r)
    if not source:
        return
    if source.startswith("http://"):
        yield f"chart repository {source} uses plain HTTP"
        return
    allowed = r.threshold("allowedChartRepositories", [])
    if allowed and not any(source.startswith(a) for a in allowed):
        yield f"chart repository {source} is not in allowedChartRepositories"


@resource_rule(
    id="K8S-HELM-003",
    title="Helm v3 Releases hide their objects from policy",
    severity="low",
    resource_types=(HELM_RELEASE,),
    description="Fires on every `kubernetes:helm.sh/v3:Release` in the environments listed in the policy "
    "config's `preferChartIn` (default prod).",
    rationale="A Release installs through the Helm SDK, so its Deployments, RBAC and Services never reach "
    "the policy pack: the pod-security and RBAC rules above cannot see them. `helm.sh/v4:Chart` "
    "renders them as Pulumi resources that every rule checks.",
    remediation="Replace the Release with `kubernetes.helm.v4.Chart` (same chart, version and values).",
    thresholds={"preferChartIn": ["prod"]},
    tags=anchors("STK-K8S-003", "A/A", "groundwork:beyond"),
)
def helm_release_opaque(r: Resource):
    if r.environment in r.threshold("preferChartIn", ["prod"]):
        yield f"Release of chart {r.get('chart')}: its objects are invisible to the policy pack"


# -------------------------------------------------------------------------------- API versions

_PRERELEASE = re.compile(r"^kubernetes:[^/]+/v\d+(alpha|beta)\d*:")
REMOVED_APIS = ("kubernetes:extensions/", "kubernetes:policy/v1beta1:PodSecurityPolicy")


@stack_rule(
    id="K8S-API-001",
    title="Kubernetes objects use stable API versions",
    severity="medium",
    description="Every `kubernetes:` resource's type token has a GA version (no v1alpha*/v1beta*), and none "
    "uses the removed extensions/ group or PodSecurityPolicy.",
    rationale="Alpha and beta APIs change or disappear between minor versions, so a cluster upgrade breaks "
    "the deployment; EKS does not enable alpha APIs at all.",
    remediation="Move the object to its GA API version (e.g. networking.k8s.io/v1 Ingress, autoscaling/v2 "
    "HPA).",
    tags=anchors(
        "K8S-WL-011",
        "M/M",
        "cp:kubernetes-*-disallow-alpha-resource",
        "cp:kubernetes-*-disallow-beta-resource",
    ),
)
def stable_api_versions(stack: Stack):
    for r in stack.resources:
        if not r.type.startswith("kubernetes:") or r.type.startswith("kubernetes:helm.sh/"):
            continue
        if _PRERELEASE.match(r.type) or r.type.startswith(REMOVED_APIS):
            yield r, f"{r.type} is not a stable API version"
