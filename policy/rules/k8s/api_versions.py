"""The stack rule that Kubernetes objects use stable (GA) API versions."""

from __future__ import annotations

import re

from policy.framework import Stack, stack_rule

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
    tags=(
        "compliance-policies:kubernetes-*-disallow-alpha-resource",
        "compliance-policies:kubernetes-*-disallow-beta-resource",
    ),
    aliases=("K8S-WL-011",),
)
def stable_api_versions(stack: Stack):
    for r in stack.resources:
        if not r.type.startswith("kubernetes:") or r.type.startswith("kubernetes:helm.sh/"):
            continue
        if _PRERELEASE.match(r.type) or r.type.startswith(REMOVED_APIS):
            yield r, f"{r.type} is not a stable API version"
