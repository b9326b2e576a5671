"""Where the pod spec lives in each Kubernetes workload kind, and helpers to walk it.

pulumi-kubernetes sends the object as its inputs (`metadata`, `spec`), camelCase as in the API.
"""

from __future__ import annotations

from collections.abc import Iterator

from policy.rules._b_util import as_list

POD = "kubernetes:core/v1:Pod"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
STATEFUL_SET = "kubernetes:apps/v1:StatefulSet"
DAEMON_SET = "kubernetes:apps/v1:DaemonSet"
REPLICA_SET = "kubernetes:apps/v1:ReplicaSet"
JOB = "kubernetes:batch/v1:Job"
CRON_JOB = "kubernetes:batch/v1:CronJob"

_TEMPLATE_PATH = {
    POD: (),
    DEPLOYMENT: ("spec", "template"),
    STATEFUL_SET: ("spec", "template"),
    DAEMON_SET: ("spec", "template"),
    REPLICA_SET: ("spec", "template"),
    JOB: ("spec", "template"),
    CRON_JOB: ("spec", "jobTemplate", "spec", "template"),
}
WORKLOADS: tuple[str, ...] = tuple(_TEMPLATE_PATH)
LONG_RUNNING: tuple[str, ...] = (DEPLOYMENT, STATEFUL_SET, DAEMON_SET)
CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")


def pod_template(r) -> dict:
    """The pod object (metadata + spec) of a workload; the Pod itself for kind Pod."""
    node = r.props
    for part in _TEMPLATE_PATH.get(r.type, ()):
        node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            return {}
    return node if isinstance(node, dict) else {}


def pod_spec(r) -> dict:
    spec = pod_template(r).get("spec")
    return spec if isinstance(spec, dict) else {}


def pod_labels(r) -> dict:
    metadata = pod_template(r).get("metadata")
    labels = metadata.get("labels") if isinstance(metadata, dict) else None
    return labels if isinstance(labels, dict) else {}


def containers(spec: dict, lists: tuple[str, ...] = CONTAINER_LISTS) -> Iterator[tuple[str, dict]]:
    """(display name, container) for every container of the given lists."""
    for key in lists:
        for c in as_list(spec.get(key)):
            if isinstance(c, dict):
                yield f"{key[:-1]} {c.get('name', '?')}", c


def security_context(obj: dict) -> dict:
    ctx = obj.get("securityContext")
    return ctx if isinstance(ctx, dict) else {}


def is_windows(spec: dict) -> bool:
    os_ = spec.get("os")
    return isinstance(os_, dict) and os_.get("name") == "windows"


def namespace_of(r) -> str | None:
    return r.get("metadata.namespace")


def image_registry(image: str) -> str:
    """The registry host of an image reference; Docker Hub when the first part is not a host."""
    first, _, rest = image.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        return first
    return "docker.io"


def image_tag(image: str) -> tuple[str | None, str | None]:
    """(tag, digest) of an image reference; either may be None."""
    name, _, digest = image.partition("@")
    last = name.rsplit("/", 1)[-1]
    tag = last.split(":", 1)[1] if ":" in last else None
    return tag, digest or None
