"""Pod Security admission, as the API server applies it to the pods a workload creates.

A namespace labelled `pod-security.kubernetes.io/enforce: <level>` rejects every pod that breaks the
Pod Security Standard of that level (https://kubernetes.io/docs/concepts/security/pod-security-standards/,
version `latest`); an unlabelled namespace admits everything (the API server's default level is
`privileged`, on EKS and kind alike). A Deployment whose pod template breaks its namespace's level is
created without complaint, but its ReplicaSet never gets a pod: `pulumi up` then waits for a rollout
that cannot happen. `admission_failures` is that check, field by field, so preflight can name the
rejected workloads before anything is deployed; `rejected_workloads` applies it to a whole capture.

The policy pack's K8S-POD rules ask for more than admission does (resources, probes, read-only
roots, digests) and can be exempted; this check is the API server's own verdict and cannot be.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from policy.pod_security_standard import (
    BASELINE_CAPABILITIES,
    RESTRICTED_VOLUME_TYPES,
    SAFE_SYSCTLS,
    SELINUX_TYPES,
)
from stacks.preflight.capture import Capture, CapturedResource

Level = Literal["privileged", "baseline", "restricted"]
LEVELS: tuple[Level, ...] = ("privileged", "baseline", "restricted")
ENFORCE_LABEL = "pod-security.kubernetes.io/enforce"
NAMESPACE_TYPES = ("kubernetes:core/v1:Namespace", "kubernetes:core/v1:NamespacePatch")

# Where each workload kind keeps its pod template.
POD_TEMPLATE_PATHS: dict[str, tuple[str, ...]] = {
    "kubernetes:core/v1:Pod": (),
    "kubernetes:apps/v1:Deployment": ("spec", "template"),
    "kubernetes:apps/v1:StatefulSet": ("spec", "template"),
    "kubernetes:apps/v1:DaemonSet": ("spec", "template"),
    "kubernetes:apps/v1:ReplicaSet": ("spec", "template"),
    "kubernetes:batch/v1:Job": ("spec", "template"),
    "kubernetes:batch/v1:CronJob": ("spec", "jobTemplate", "spec", "template"),
}
CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")


def _ctx(obj: Mapping[str, Any]) -> dict[str, Any]:
    ctx = obj.get("securityContext")
    return ctx if isinstance(ctx, dict) else {}


def _containers(spec: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for key in CONTAINER_LISTS:
        for container in spec.get(key) or []:
            if isinstance(container, dict):
                yield f"{key[:-1]} {container.get('name', '?')}", container


def _baseline(spec: Mapping[str, Any], annotations: Mapping[str, str]) -> Iterator[str]:
    pod = _ctx(spec)
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(field) is True:
            yield f"{field} is true"
    if (pod.get("windowsOptions") or {}).get("hostProcess") is True:
        yield "the pod is a Windows HostProcess pod"
    for volume in spec.get("volumes") or []:
        if "hostPath" in volume:
            yield f"volume {volume.get('name', '?')} is a hostPath ({volume['hostPath'].get('path')})"
    for sysctl in pod.get("sysctls") or []:
        if sysctl.get("name") not in SAFE_SYSCTLS:
            yield f"sysctl {sysctl.get('name')} is not in the safe set"
    yield from _baseline_profiles("pod", pod)
    for key, value in annotations.items():
        if key.startswith("container.apparmor.security.beta.kubernetes.io/") and not (
            value == "runtime/default" or value.startswith("localhost/")
        ):
            yield f"AppArmor annotation {key} is {value}"
    for name, container in _containers(spec):
        ctx = _ctx(container)
        if ctx.get("privileged") is True:
            yield f"{name} is privileged"
        if (ctx.get("windowsOptions") or {}).get("hostProcess") is True:
            yield f"{name} is a Windows HostProcess container"
        added = {str(c).upper() for c in (ctx.get("capabilities") or {}).get("add") or []}
        if added - BASELINE_CAPABILITIES:
            yield f"{name} adds {', '.join(sorted(added - BASELINE_CAPABILITIES))}"
        for port in container.get("ports") or []:
            if port.get("hostPort"):
                yield f"{name} binds hostPort {port['hostPort']}"
        if ctx.get("procMount") not in (None, "Default"):
            yield f"{name} sets procMount {ctx['procMount']}"
        yield from _baseline_profiles(name, ctx)


def _baseline_profiles(where: str, ctx: Mapping[str, Any]) -> Iterator[str]:
    """seccomp, AppArmor and SELinux settings that baseline forbids, at pod or container level."""
    if (ctx.get("seccompProfile") or {}).get("type") == "Unconfined":
        yield f"{where} sets seccompProfile Unconfined"
    if (ctx.get("appArmorProfile") or {}).get("type") == "Unconfined":
        yield f"{where} sets appArmorProfile Unconfined"
    selinux = ctx.get("seLinuxOptions") or {}
    if selinux.get("type") not in (None, "", *SELINUX_TYPES):
        yield f"{where} sets SELinux type {selinux['type']}"
    if selinux.get("user") or selinux.get("role"):
        yield f"{where} sets an SELinux user or role"


def _restricted(spec: Mapping[str, Any]) -> Iterator[str]:
    pod = _ctx(spec)
    windows = (spec.get("os") or {}).get("name") == "windows"
    for volume in spec.get("volumes") or []:
        kinds = [k for k in volume if k != "name"]
        bad = [k for k in kinds if k not in RESTRICTED_VOLUME_TYPES and k != "hostPath"]
        if bad:
            yield f"volume {volume.get('name', '?')} is of type {', '.join(bad)}"
    pod_seccomp = (pod.get("seccompProfile") or {}).get("type")
    if pod.get("runAsNonRoot") is False:
        yield "the pod sets runAsNonRoot: false"
    if pod.get("runAsUser") == 0:
        yield "the pod sets runAsUser: 0"
    for name, container in _containers(spec):
        ctx = _ctx(container)
        if ctx.get("runAsNonRoot", pod.get("runAsNonRoot")) is not True:
            yield f"{name} does not set runAsNonRoot: true (pod or container)"
        if ctx.get("runAsUser") == 0:
            yield f"{name} sets runAsUser: 0"
        if windows:
            continue
        seccomp = (ctx.get("seccompProfile") or {}).get("type") or pod_seccomp
        if seccomp not in ("RuntimeDefault", "Localhost"):
            yield f"{name} has no RuntimeDefault or Localhost seccomp profile (pod or container)"
        if ctx.get("allowPrivilegeEscalation") is not False:
            yield f"{name} does not set allowPrivilegeEscalation: false"
        caps = ctx.get("capabilities") or {}
        if "ALL" not in {str(c).upper() for c in caps.get("drop") or []}:
            yield f"{name} does not drop ALL capabilities"
        added = {str(c).upper() for c in caps.get("add") or []} - {"NET_BIND_SERVICE"}
        if added:
            yield f"{name} adds {', '.join(sorted(added))} (restricted allows only NET_BIND_SERVICE)"


def admission_failures(pod: Mapping[str, Any], level: Level) -> list[str]:
    """Why Pod Security admission at `level` rejects `pod` (a Pod or pod template: metadata + spec);
    empty when it is admitted."""
    if level == "privileged":
        return []
    spec = pod.get("spec") if isinstance(pod.get("spec"), dict) else {}
    annotations = (pod.get("metadata") or {}).get("annotations") or {}
    failures = list(_baseline(spec, annotations))
    if level == "restricted":
        failures.extend(_restricted(spec))
    return list(dict.fromkeys(failures))


def pod_template(resource: CapturedResource) -> dict[str, Any] | None:
    """The pod (metadata + spec) a workload resource creates; None for other kinds."""
    if resource.type not in POD_TEMPLATE_PATHS:
        return None
    node: Any = resource.props
    for part in POD_TEMPLATE_PATHS[resource.type]:
        node = node.get(part) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else {}


def namespace_levels(capture: Capture) -> dict[str, Level]:
    """Namespace name -> enforced level, for every Namespace (or NamespacePatch) the program labels."""
    levels: dict[str, Level] = {}
    for resource in capture.resources:
        if resource.type in NAMESPACE_TYPES:
            metadata = resource.props.get("metadata") or {}
            level = (metadata.get("labels") or {}).get(ENFORCE_LABEL)
            if metadata.get("name") and level in LEVELS:
                levels[metadata["name"]] = level
    return levels


@dataclass(frozen=True)
class Rejection:
    """A workload whose pods its namespace's Pod Security level rejects."""

    resource: CapturedResource
    namespace: str
    level: Level
    reasons: tuple[str, ...]

    def line(self) -> str:
        return (
            f"{self.resource.name} ({self.resource.type.rsplit(':', 1)[-1]} in {self.namespace}, "
            f"enforced {self.level}): {'; '.join(self.reasons)}"
        )


def rejected_workloads(capture: Capture) -> tuple[list[Rejection], int]:
    """(the workloads whose pods would be rejected, how many workloads were checked)."""
    levels = namespace_levels(capture)
    rejected, checked = [], 0
    for resource in capture.resources:
        pod = pod_template(resource)
        if pod is None:
            continue
        checked += 1
        namespace = (resource.props.get("metadata") or {}).get("namespace") or "default"
        level = levels.get(namespace, "privileged")
        reasons = admission_failures(pod, level)
        if reasons:
            rejected.append(Rejection(resource, namespace, level, tuple(reasons)))
    return rejected, checked
