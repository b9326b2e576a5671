"""Kubernetes Pod Security Standards, baseline and restricted profiles, on every workload kind.

Workload kinds: Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob; the pod spec is
read from where each kind keeps it (policy.helpers.pod_spec). Every container list counts
(initContainers, containers, ephemeralContainers). Groundwork's in-cluster data services (local
stack), monitoring and add-ons create these through the `k8s_opts()` provider; Helm values are the
place to fix third-party charts.
"""

from __future__ import annotations

from policy.framework import Resource, resource_rule
from policy.helpers import (
    WORKLOADS,
    as_list,
    is_true,
    is_windows,
    number,
    pod_and_containers,
    pod_spec,
    security_context,
)
from policy.pod_security_standard import (
    BASELINE_CAPABILITIES,
    RESTRICTED_VOLUME_TYPES,
    SAFE_SYSCTLS,
    SELINUX_TYPES,
)


def _capabilities(container: dict) -> dict:
    caps = security_context(container).get("capabilities")
    return caps if isinstance(caps, dict) else {}


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
    tags=(
        "checkov:CKV_K8S_17",
        "checkov:CKV_K8S_18",
        "checkov:CKV_K8S_19",
        "pss:baseline",
        "opa:pod_security.rego",
    ),
    aliases=("K8S-PSS-001",),
)
def pod_host_namespaces(r: Resource):
    spec = pod_spec(r)
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
    tags=("checkov:CKV_K8S_16", "pss:baseline", "opa:pod_security.rego"),
    aliases=("K8S-PSS-002",),
)
def pod_not_privileged(r: Resource):
    for name, c in pod_and_containers(r)[1]:
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
    tags=(
        "checkov:CKV_K8S_25",
        "checkov:CKV_K8S_28",
        "checkov:CKV_K8S_37",
        "checkov:CKV_K8S_39",
        "pss:baseline",
        "pss:restricted",
    ),
    aliases=("K8S-PSS-003",),
)
def pod_capabilities_added(r: Resource):
    allowed = set(r.threshold("allowedAddedCapabilities", ["NET_BIND_SERVICE"]))
    for name, c in pod_and_containers(r)[1]:
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
    tags=("pss:restricted", "opa:pod_security.rego"),
    aliases=("K8S-PSS-004",),
)
def pod_capabilities_dropped(r: Resource):
    spec, cs = pod_and_containers(r)
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
    thresholds={"allowedVolumeTypes": sorted(RESTRICTED_VOLUME_TYPES)},
    tags=("checkov:CKV_K8S_27", "pss:baseline", "pss:restricted"),
    aliases=("K8S-PSS-005",),
)
def pod_volume_types(r: Resource):
    allowed = set(r.threshold("allowedVolumeTypes", RESTRICTED_VOLUME_TYPES))
    for volume in as_list(pod_spec(r).get("volumes")):
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
    tags=("checkov:CKV_K8S_26", "pss:baseline"),
    aliases=("K8S-PSS-006",),
)
def pod_host_ports(r: Resource):
    for name, c in pod_and_containers(r)[1]:
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
    tags=("checkov:CKV_K8S_20", "pss:restricted"),
    aliases=("K8S-PSS-007",),
)
def pod_no_privilege_escalation(r: Resource):
    spec, cs = pod_and_containers(r)
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
    tags=("checkov:CKV_K8S_23", "checkov:CKV_K8S_40", "pss:restricted", "opa:pod_security.rego"),
    aliases=("K8S-PSS-008",),
)
def pod_non_root(r: Resource):
    spec, cs = pod_and_containers(r)
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
    tags=("checkov:CKV_K8S_31", "pss:restricted"),
    aliases=("K8S-PSS-009",),
)
def pod_seccomp(r: Resource):
    spec, cs = pod_and_containers(r)
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
    tags=("pss:baseline",),
    aliases=("K8S-PSS-010",),
)
def pod_baseline_extras(r: Resource):
    spec, cs = pod_and_containers(r)
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
    tags=(
        "checkov:CKV_K8S_22",
        "compliance-policies:apps-v1-deployment-enable-read-only-root-filesystem",
        "opa:pod_security.rego",
    ),
    aliases=("K8S-PSS-011",),
)
def pod_read_only_root(r: Resource):
    for name, c in pod_and_containers(r)[1]:
        if not is_true(security_context(c).get("readOnlyRootFilesystem")):
            yield f"{name} has a writable root filesystem"
