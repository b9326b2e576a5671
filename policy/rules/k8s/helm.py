"""Helm rules: charts pinned to an exact version from allowed repositories, and v3 Releases
(whose objects the pack cannot see) flagged where `helm.sh/v4:Chart` is preferred.
"""

from __future__ import annotations

import re

from policy.framework import Resource, resource_rule

HELM_CHART = "kubernetes:helm.sh/v4:Chart"
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"


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
)
def helm_release_opaque(r: Resource):
    if r.environment in r.threshold("preferChartIn", ["prod"]):
        yield f"Release of chart {r.get('chart')}: its objects are invisible to the policy pack"
