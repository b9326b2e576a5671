"""What keeps a deployed workload from starting even though the API server accepted it.

Two failures a chart rendered without its Helm hooks typically hides:
- a pod mounts a Secret that nothing creates: a hook Job was to generate it (kube-prometheus-stack's
  admission certificate), so the pod stays in ContainerCreating and `pulumi up` waits for it forever;
- an admission webhook is served by a Service but has no CA bundle and nothing injects one (a hook
  Job was to patch it in): the API server cannot verify the webhook, and with `failurePolicy: Fail`
  every object it intercepts is refused.

A Secret counts as created when the program or a chart declares it, or when a cert-manager
Certificate in the capture names it (cert-manager writes it). A CA bundle counts as injected when the
webhook carries cert-manager's `cert-manager.io/inject-ca-from*` annotation (its cainjector fills it)
or belongs to a controller that writes its own (listed in SELF_INJECTING with the reason).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from stacks.preflight.admission import pod_template
from stacks.preflight.capture import Capture, CapturedResource

SECRET = "kubernetes:core/v1:Secret"
CERTIFICATE = "kubernetes:cert-manager.io/v1:Certificate"
WEBHOOK_TYPES = (
    "kubernetes:admissionregistration.k8s.io/v1:MutatingWebhookConfiguration",
    "kubernetes:admissionregistration.k8s.io/v1:ValidatingWebhookConfiguration",
)
EXTERNAL_SECRET = "kubernetes:external-secrets.io/v1:ExternalSecret"
CA_INJECTION_ANNOTATIONS = ("cert-manager.io/inject-ca-from", "cert-manager.io/inject-ca-from-secret")
# Webhook configurations whose controller fills in caBundle itself, by a label it sets on them.
SELF_INJECTING = {
    # external-secrets' cert-controller generates the webhook certificate and patches caBundle into
    # the webhooks that carry this label (its chart's validatingwebhook.yaml).
    ("external-secrets.io/component", "webhook"): "external-secrets cert-controller",
}


def _metadata(resource: CapturedResource) -> dict[str, Any]:
    metadata = resource.props.get("metadata")
    return metadata if isinstance(metadata, dict) else {}


def created_secrets(capture: Capture) -> set[tuple[str, str]]:
    """(namespace, name) of every Secret the capture creates, or a Certificate or an ExternalSecret in
    it asks for."""
    made = set()
    for resource in capture.resources:
        metadata = _metadata(resource)
        namespace = metadata.get("namespace") or "default"
        if resource.type == SECRET and metadata.get("name"):
            made.add((namespace, metadata["name"]))
        elif resource.type == CERTIFICATE:
            secret = (resource.props.get("spec") or {}).get("secretName")
            if secret:
                made.add((namespace, secret))
        elif resource.type == EXTERNAL_SECRET:
            # external-secrets writes the target Secret (named after the ExternalSecret by default).
            target = ((resource.props.get("spec") or {}).get("target") or {}).get("name")
            if target or metadata.get("name"):
                made.add((namespace, target or metadata["name"]))
    return made


def _mounted_secrets(pod: Mapping[str, Any]) -> Iterator[str]:
    for volume in (pod.get("spec") or {}).get("volumes") or []:
        secret = volume.get("secret")
        if isinstance(secret, dict) and secret.get("secretName") and not secret.get("optional"):
            yield secret["secretName"]
        for source in (volume.get("projected") or {}).get("sources") or []:
            projected = source.get("secret")
            if isinstance(projected, dict) and projected.get("name") and not projected.get("optional"):
                yield projected["name"]


def missing_secret_mounts(capture: Capture) -> list[str]:
    """One line per workload that mounts a required Secret nothing in the capture creates."""
    made = created_secrets(capture)
    lines = []
    for resource in capture.resources:
        pod = pod_template(resource)
        if pod is None:
            continue
        namespace = _metadata(resource).get("namespace") or "default"
        missing = sorted({s for s in _mounted_secrets(pod) if (namespace, s) not in made})
        if missing:
            lines.append(
                f"{resource.name} mounts Secret {', '.join(missing)} in {namespace}, which nothing creates: "
                "its pods never start"
            )
    return lines


def _self_injected(metadata: Mapping[str, Any]) -> bool:
    labels = metadata.get("labels") or {}
    return any(labels.get(key) == value for key, value in SELF_INJECTING)


def webhooks_without_ca(capture: Capture) -> list[str]:
    """One line per admission webhook the API server could not verify (no CA, nothing injects one)."""
    lines = []
    for resource in capture.resources:
        if resource.type not in WEBHOOK_TYPES:
            continue
        metadata = _metadata(resource)
        annotations = metadata.get("annotations") or {}
        if any(a in annotations for a in CA_INJECTION_ANNOTATIONS) or _self_injected(metadata):
            continue
        blind = [
            str(hook.get("name"))
            for hook in resource.props.get("webhooks") or []
            if (hook.get("clientConfig") or {}).get("service")
            and not (hook.get("clientConfig") or {}).get("caBundle")
        ]
        if blind:
            lines.append(
                f"{resource.name}: webhook(s) {', '.join(blind)} have no caBundle and nothing injects one"
            )
    return lines
