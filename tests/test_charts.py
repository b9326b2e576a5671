"""The chart renderer (stacks.preflight.charts), the Pod Security check (admission) and the start-up
checks (startup): parsing a canned render needs no helm; rendering a chart the test writes itself
needs the pinned helm on PATH and is skipped without it."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest

from stacks.config.loader import PROJECT_DIR
from stacks.preflight.admission import admission_failures, rejected_workloads
from stacks.preflight.capture import SECRET_SIG, SIG_KEY, Capture, CapturedResource
from stacks.preflight.charts import (
    CHART_TYPE,
    ChartRenderError,
    DeclaredChart,
    child_resource,
    find_helm,
    normalize,
    plain_values,
    render_charts,
    see_charts,
    split_manifest,
    stack_kubernetes_version,
)
from stacks.preflight.startup import missing_secret_mounts, webhooks_without_ca

STACK_URN = "urn:pulumi:t::groundwork::pulumi:pulumi:Stack::groundwork-t"
PROVIDER = "urn:pulumi:t::groundwork::pulumi:providers:kubernetes::k8s::id-1"


def chart_resource(name: str, chart: str, version: str, values: dict, dependencies=()) -> CapturedResource:
    return CapturedResource(
        urn=f"urn:pulumi:t::groundwork::groundwork:demo:Demo${CHART_TYPE}::{name}",
        type=CHART_TYPE,
        name=name,
        custom=False,
        inputs={"chart": chart, "version": version, "namespace": "demo", "values": values},
        parent=STACK_URN,
        dependencies=list(dependencies),
        property_dependencies={},
        provider=PROVIDER,
    )


def resource(type_: str, name: str, inputs: dict) -> CapturedResource:
    return CapturedResource(
        urn=f"urn:pulumi:t::groundwork::{type_}::{name}",
        type=type_,
        name=name,
        custom=True,
        inputs=inputs,
        parent=STACK_URN,
        dependencies=[],
        property_dependencies={},
        provider=PROVIDER,
    )


CANNED = textwrap.dedent(
    """\
    ---
    # Source: demo/crds/widgets.yaml
    apiVersion: apiextensions.k8s.io/v1
    kind: CustomResourceDefinition
    metadata: {name: widgets.example.com}
    spec:
      group: example.com
      scope: Namespaced
      names: {kind: Widget}
      versions: [{name: v1}]
    ---
    apiVersion: v1
    kind: Secret
    metadata: {name: token}
    stringData: {token: s3cret}
    ---
    apiVersion: batch/v1
    kind: Job
    metadata:
      name: create-cert
      annotations: {"helm.sh/hook": post-install}
    spec: {template: {spec: {containers: [{name: c, image: x}]}}}
    ---
    apiVersion: v1
    kind: List
    items:
    - {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}
    - {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: reader}}
    ---
    apiVersion: example.com/v1
    kind: Widget
    metadata: {name: w}
    spec: {ops: ["="]}
    """
)


def test_a_render_keeps_crds_and_drops_hooks():
    objects, hooks = split_manifest(CANNED)
    assert [o["kind"] for o in objects] == [
        "CustomResourceDefinition",
        "Secret",
        "ConfigMap",
        "ClusterRole",
        "Widget",
    ]
    assert [h["metadata"]["name"] for h in hooks] == ["create-cert"]


def test_yaml_equals_sign_stays_a_string_as_kubernetes_reads_it():
    objects, _ = split_manifest(CANNED)
    assert objects[-1]["spec"]["ops"] == ["="]


def test_namespaced_objects_get_the_chart_namespace_and_cluster_scoped_ones_none():
    objects, _ = split_manifest(CANNED)
    normalized, unresolved = normalize(objects, "demo", {"example.com/v1/Widget": True})
    namespaces = {o["kind"]: o["metadata"].get("namespace") for o in normalized}
    assert namespaces == {
        "CustomResourceDefinition": None,
        "Secret": "demo",
        "ConfigMap": "demo",
        "ClusterRole": None,
        "Widget": "demo",
    }
    assert unresolved == []


def test_a_custom_kind_without_a_crd_keeps_no_namespace_and_is_named():
    objects, unresolved = normalize(
        [{"apiVersion": "other.io/v1", "kind": "Thing", "metadata": {"name": "t"}}], "demo", {}
    )
    assert objects[0]["metadata"].get("namespace") is None
    assert unresolved == ["other.io/v1/Thing"]


def test_children_are_named_typed_and_parented_as_chart_v4_registers_them():
    chart = DeclaredChart.of(chart_resource("demo-chart", "demo", "1.0.0", {}))
    secret = child_resource(
        chart,
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "token", "namespace": "demo"},
            "stringData": {"token": "x"},
        },
    )
    role = child_resource(
        chart,
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "reader"}},
    )
    assert (secret.name, secret.type) == ("demo-chart:demo/token", "kubernetes:core/v1:Secret")
    assert (role.name, role.type) == (
        "demo-chart:reader",
        "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
    )
    assert secret.urn == (
        f"urn:pulumi:t::groundwork::groundwork:demo:Demo${CHART_TYPE}$kubernetes:core/v1:Secret::demo-chart:demo/token"
    )
    assert secret.parent == chart.resource.urn and secret.provider == PROVIDER
    assert secret.inputs["stringData"] == {SIG_KEY: SECRET_SIG, "value": {"token": "x"}}


def test_values_reach_helm_with_whole_numbers_as_integers():
    assert plain_values({"replicas": 3.0, "ratio": 0.5, "nested": [{"port": 9090.0}]}) == {
        "replicas": 3,
        "ratio": 0.5,
        "nested": [{"port": 9090}],
    }


def test_without_charts_the_summary_names_the_charts_it_could_not_see(tmp_path):
    capture = Capture("t", [chart_resource("demo-chart", "demo", "1.0.0", {})], {})
    _, lines, failed = see_charts("t", capture, None, tmp_path)
    assert lines[0] == "t: charts not rendered (pass --charts DIR to render them): demo-chart (demo 1.0.0)"
    assert not failed


def test_charts_render_for_the_cluster_version_of_the_stack_file_preflight_was_given(tmp_path):
    stack_file = tmp_path / "Pulumi.dev.yaml"
    text = (PROJECT_DIR / "Pulumi.dev.yaml").read_text()
    stack_file.write_text(text.replace('kubernetesVersion: "1.36"', 'kubernetesVersion: "1.35"'))
    assert stack_kubernetes_version("dev", PROJECT_DIR, stack_file) == "1.35"


def test_a_chart_missing_from_the_directory_is_reported_not_rendered(tmp_path):
    (tmp_path / "demo-0.9.0.tgz").write_bytes(b"")
    capture = Capture("t", [chart_resource("demo-chart", "demo", "1.0.0", {})], {})
    _, seen = render_charts(capture, tmp_path, "1.36", helm="/nonexistent/helm")
    assert [why for _, why in seen.unseen] == [
        f"no demo-1.0.0.tgz or demo/ in {tmp_path} (there is demo-0.9.0.tgz)"
    ]


def test_a_missing_helm_is_named_with_how_to_get_it(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(
        ChartRenderError, match=r"needs helm v4\.1\.4 on PATH and there is none; get the pinned"
    ):
        find_helm()


# -- Pod Security admission -------------------------------------------------------------------

RESTRICTED_POD = {
    "spec": {
        "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [
            {
                "name": "app",
                "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
            }
        ],
    }
}


def test_a_restricted_pod_is_admitted_at_restricted():
    assert admission_failures(RESTRICTED_POD, "restricted") == []


def test_restricted_rejects_a_container_that_keeps_its_capabilities_and_has_no_seccomp():
    pod = {
        "spec": {
            "containers": [
                {"name": "app", "securityContext": {"allowPrivilegeEscalation": False, "runAsNonRoot": True}}
            ]
        }
    }
    assert admission_failures(pod, "restricted") == [
        "container app has no RuntimeDefault or Localhost seccomp profile (pod or container)",
        "container app does not drop ALL capabilities",
    ]


def test_baseline_admits_what_restricted_rejects_but_not_host_access():
    pod = {"spec": {"containers": [{"name": "app"}]}}
    assert admission_failures(pod, "baseline") == []
    host = {
        "spec": {
            "hostNetwork": True,
            "volumes": [{"name": "logs", "hostPath": {"path": "/var/log"}}],
            "containers": [{"name": "a"}],
        }
    }
    assert admission_failures(host, "baseline") == [
        "hostNetwork is true",
        "volume logs is a hostPath (/var/log)",
    ]


def test_privileged_admits_everything():
    assert (
        admission_failures(
            {
                "spec": {
                    "hostPID": True,
                    "containers": [{"name": "a", "securityContext": {"privileged": True}}],
                }
            },
            "privileged",
        )
        == []
    )


def _namespace(name: str, level: str) -> CapturedResource:
    return resource(
        "kubernetes:core/v1:Namespace",
        f"ns-{name}",
        {"metadata": {"name": name, "labels": {"pod-security.kubernetes.io/enforce": level}}},
    )


def _deployment(name: str, namespace: str, pod: dict) -> CapturedResource:
    return resource(
        "kubernetes:apps/v1:Deployment",
        name,
        {"metadata": {"name": name, "namespace": namespace}, "spec": {"template": pod}},
    )


def test_a_workload_is_judged_by_its_namespace_level():
    capture = Capture(
        "t",
        [
            _namespace("apps", "restricted"),
            _deployment("loose", "apps", {"spec": {"containers": [{"name": "a"}]}}),
            _deployment("fine", "apps", RESTRICTED_POD),
            _deployment(
                "elsewhere", "unlabelled", {"spec": {"hostNetwork": True, "containers": [{"name": "a"}]}}
            ),
        ],
        {},
    )
    rejected, checked = rejected_workloads(capture)
    assert checked == 3
    assert [(r.resource.name, r.level) for r in rejected] == [("loose", "restricted")]


# -- start-up checks --------------------------------------------------------------------------


def _mounting(secret: str) -> CapturedResource:
    pod = {
        "spec": {
            "containers": [{"name": "a"}],
            "volumes": [{"name": "tls", "secret": {"secretName": secret}}],
        }
    }
    return _deployment("operator", "monitoring", pod)


def test_a_pod_mounting_a_secret_nothing_creates_never_starts():
    assert missing_secret_mounts(Capture("t", [_mounting("admission")], {})) == [
        "operator mounts Secret admission in monitoring, which nothing creates: its pods never start"
    ]


def test_a_secret_a_certificate_asks_for_counts_as_created():
    certificate = resource(
        "kubernetes:cert-manager.io/v1:Certificate",
        "cert",
        {"metadata": {"name": "admission", "namespace": "monitoring"}, "spec": {"secretName": "admission"}},
    )
    assert missing_secret_mounts(Capture("t", [_mounting("admission"), certificate], {})) == []


def _webhook(annotations: dict) -> CapturedResource:
    return resource(
        "kubernetes:admissionregistration.k8s.io/v1:ValidatingWebhookConfiguration",
        "hook",
        {
            "metadata": {"name": "hook", "annotations": annotations},
            "webhooks": [
                {
                    "name": "validate.example.com",
                    "clientConfig": {"service": {"name": "op", "namespace": "m"}},
                }
            ],
        },
    )


def test_a_webhook_without_ca_and_without_an_injector_is_reported():
    assert webhooks_without_ca(Capture("t", [_webhook({})], {})) == [
        "hook: webhook(s) validate.example.com have no caBundle and nothing injects one"
    ]
    injected = _webhook({"cert-manager.io/inject-ca-from": "m/op-cert"})
    assert webhooks_without_ca(Capture("t", [injected], {})) == []


# -- a real render of a chart the test writes ---------------------------------------------------

DEMO_CHART = {
    "Chart.yaml": "apiVersion: v2\nname: demo\nversion: 1.0.0\n",
    "values.yaml": "replicas: 1\nmonitor: false\n",
    "crds/widgets.yaml": CANNED.split("---\n")[1],
    "templates/deployment.yaml": textwrap.dedent(
        """\
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: {{ .Release.Name }}
          labels: {kube: "{{ .Capabilities.KubeVersion.Minor }}"}
        spec:
          replicas: {{ .Values.replicas }}
          template: {spec: {containers: [{name: app, image: "demo:1"}]}}
        """
    ),
    "templates/hook.yaml": textwrap.dedent(
        """\
        apiVersion: batch/v1
        kind: Job
        metadata:
          name: hook
          annotations: {"helm.sh/hook": pre-install}
        spec: {template: {spec: {containers: [{name: c, image: x}]}}}
        """
    ),
    "templates/monitor.yaml": textwrap.dedent(
        """\
        {{- if and .Values.monitor (.Capabilities.APIVersions.Has "example.com/v1") }}
        apiVersion: example.com/v1
        kind: Widget
        metadata: {name: monitor}
        {{- end }}
        """
    ),
}


@pytest.fixture
def charts_dir(tmp_path) -> Path:
    root = tmp_path / "charts" / "demo"
    for name, text in DEMO_CHART.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root.parent


needs_helm = pytest.mark.skipif(
    shutil.which("helm") is None, reason="no helm on PATH (docs/charts.md says how to get it)"
)


@needs_helm
def test_a_chart_renders_into_children_of_the_chart_resource(charts_dir):
    capture = Capture("t", [chart_resource("demo-chart", "demo", "1.0.0", {"replicas": 3.0})], {})
    rendered, seen = render_charts(capture, charts_dir, "1.36", helm=shutil.which("helm"))
    children = {r.name: r for r in rendered.resources if r.parent == capture.resources[0].urn}
    assert sorted(children) == ["demo-chart:demo/demo-chart", "demo-chart:widgets.example.com"]
    deployment = children["demo-chart:demo/demo-chart"].inputs
    assert deployment["spec"]["replicas"] == 3
    assert deployment["metadata"]["labels"] == {"kube": "36"}
    assert [h["metadata"]["name"] for h in seen.rendered[0].hooks] == ["hook"]


@needs_helm
def test_a_chart_that_waits_for_another_sees_its_crds_served(charts_dir):
    first = chart_resource("crds", "demo", "1.0.0", {})
    second = chart_resource("monitored", "demo", "1.0.0", {"monitor": True}, dependencies=[first.urn])
    alone = chart_resource("alone", "demo", "1.0.0", {"monitor": True})
    rendered, seen = render_charts(
        Capture("t", [first, second, alone], {}), charts_dir, "1.36", helm=shutil.which("helm")
    )
    widgets = sorted(r.name for r in rendered.resources if r.type == "kubernetes:example.com/v1:Widget")
    assert widgets == ["monitored:demo/monitor"]
    assert json.dumps(seen.rendered[1].api_versions) == '["example.com/v1", "example.com/v1/Widget"]'
