"""The namespace baseline, and schema validation of every Kubernetes object the program renders itself."""

from __future__ import annotations

import kubernetes_validate
import pytest

from components.cluster import DEFAULT_KUBERNETES_VERSION
from components.namespace import AppNamespace, AppNamespaceArgs, ResourceQuotaArgs
from stacks.config import load_stack
from stacks.preflight.capture import CapturedResource
from stacks.preflight.runner import capture_stack
from tests import k8s_schema
from tests.conftest import STACKS, run_component

NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
# Objects that are not ours to validate: Helm charts render their own, and custom resources
# (ClusterIssuer, ClusterSecretStore) have no schema in the Kubernetes OpenAPI document.
_BUILTIN_GROUPS = (
    "kubernetes:core/",
    "kubernetes:networking.k8s.io/",
    "kubernetes:storage.k8s.io/",
    "kubernetes:rbac.authorization.k8s.io/",
    "kubernetes:apps/",
    "kubernetes:policy/",
    "kubernetes:autoscaling/",
    "kubernetes:batch/",
)


@pytest.fixture(scope="module")
def baseline():
    return run_component(
        lambda: AppNamespace(
            "team-a",
            AppNamespaceArgs(
                namespace="team-a",
                pod_security_version="v1.36",
                quota=ResourceQuotaArgs(requests_cpu="2", requests_memory="4Gi", pods=20),
            ),
        )
    )


def _by_kind(capture, kind: str) -> list[CapturedResource]:
    return [r for r in capture.resources if r.type.endswith(f":{kind}")]


def test_namespace_enforces_audits_and_warns_restricted(baseline):
    (namespace,) = _by_kind(baseline, "Namespace")
    labels = namespace.props["metadata"]["labels"]
    for mode in ("enforce", "audit", "warn"):
        assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted"
        assert labels[f"pod-security.kubernetes.io/{mode}-version"] == "v1.36"


def test_default_deny_covers_every_pod_both_directions(baseline):
    deny = [
        p for p in _by_kind(baseline, "NetworkPolicy") if p.props["metadata"]["name"] == "default-deny-all"
    ]
    (policy,) = deny
    assert policy.props["spec"]["podSelector"] == {}
    assert sorted(policy.props["spec"]["policyTypes"]) == ["Egress", "Ingress"]
    assert "ingress" not in policy.props["spec"] and "egress" not in policy.props["spec"]


def test_only_dns_to_the_cluster_resolver_is_allowed_out(baseline):
    (policy,) = [
        p for p in _by_kind(baseline, "NetworkPolicy") if p.props["metadata"]["name"] == "allow-dns-egress"
    ]
    spec = policy.props["spec"]
    assert spec["policyTypes"] == ["Egress"]
    (rule,) = spec["egress"]
    assert rule["to"] == [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
        }
    ]
    assert sorted((p["protocol"], p["port"]) for p in rule["ports"]) == [("TCP", 53), ("UDP", 53)]


def test_quota_comes_from_args(baseline):
    (quota,) = _by_kind(baseline, "ResourceQuota")
    hard = quota.props["spec"]["hard"]
    assert (hard["requests.cpu"], hard["requests.memory"], hard["pods"]) == ("2", "4Gi", "20")
    assert hard["services.loadbalancers"] == "0"


def test_limit_range_gives_containers_defaults_and_a_ceiling(baseline):
    (limits,) = _by_kind(baseline, "LimitRange")
    (item,) = limits.props["spec"]["limits"]
    assert item["type"] == "Container"
    assert set(item) >= {"default", "defaultRequest", "max"}


def test_every_object_lives_in_the_namespace(baseline):
    for resource in baseline.resources:
        if resource.custom and not resource.type.endswith(":Namespace"):
            assert resource.props["metadata"]["namespace"] == "team-a", resource.name


@pytest.mark.parametrize("stack", STACKS)
def test_each_stack_creates_the_apps_namespace_with_the_baseline(captured, stack):
    capture = captured(stack)
    names = {r.props["metadata"]["name"] for r in _by_kind(capture, "Namespace")}
    assert "apps" in names
    (apps,) = [
        r for r in capture.of_type("groundwork:namespace:AppNamespace") if r.name == f"{stack}-ns-apps"
    ]
    baseline = {p.props["metadata"]["name"] for p in capture.of_type(NETWORK_POLICY) if p.parent == apps.urn}
    # The data services open their own flows beside their workloads; the baseline opens only DNS
    # and, on AWS, HTTPS to the AWS APIs.
    on_aws = load_stack(stack).on_aws
    assert baseline == {"default-deny-all", "allow-dns-egress"} | (
        {"allow-aws-api-egress"} if on_aws else set()
    )
    assert capture.outputs["app_namespaces"] == ["apps"]


def test_app_namespaces_come_from_config():
    capture = capture_stack("local", overrides={"groundwork:cluster": {"appNamespaces": ["shop", "billing"]}})
    names = {r.props["metadata"]["name"] for r in _by_kind(capture, "Namespace")}
    assert {"shop", "billing"} <= names and "apps" not in names


def _manifest(resource: CapturedResource) -> dict:
    manifest = resource.props
    group_version = resource.type.split(":")[1]
    expected = group_version.removeprefix("core/") if group_version.startswith("core/") else group_version
    assert manifest["apiVersion"] == expected
    return manifest


@pytest.mark.parametrize("stack", STACKS)
def test_every_rendered_object_validates_against_the_cluster_schema(captured, stack):
    """kubernetes-validate 1.37.0 ships the 1.36 schema, the cluster's exact version."""
    capture = captured(stack)
    objects = [r for r in capture.resources if r.custom and r.type.startswith(_BUILTIN_GROUPS)]
    assert len(objects) >= 6
    for resource in objects:
        k8s_schema.validate(_manifest(resource), DEFAULT_KUBERNETES_VERSION, strict=True)


def test_schema_validation_rejects_a_malformed_object(captured):
    """The check above can fail: the same validator refuses a misspelt field."""
    (policy,) = [
        p
        for p in captured("prod").of_type(NETWORK_POLICY)
        if p.props["metadata"]["name"] == "default-deny-all" and p.props["metadata"]["namespace"] == "apps"
    ]
    broken = dict(_manifest(policy))
    broken["spec"] = {**broken["spec"], "policyType": ["Ingress"]}
    with pytest.raises(kubernetes_validate.ValidationError):
        k8s_schema.validate(broken, DEFAULT_KUBERNETES_VERSION, strict=True)


def _verdict(validate, manifest: dict) -> tuple[str, str]:
    try:
        return ("valid", validate(manifest, DEFAULT_KUBERNETES_VERSION, strict=True))
    except kubernetes_validate.ValidationError as error:
        return ("invalid", str(error))


def test_the_cached_validator_agrees_with_the_library(captured):
    """tests/k8s_schema.py is the library's check with its schemas kept: the same verdict and message
    on a valid object and on a malformed one."""
    (policy,) = [
        p
        for p in captured("prod").of_type(NETWORK_POLICY)
        if p.props["metadata"]["name"] == "default-deny-all" and p.props["metadata"]["namespace"] == "apps"
    ]
    broken = {**policy.props, "spec": {**policy.props["spec"], "policyType": ["Ingress"]}}
    for manifest in (policy.props, broken):
        assert _verdict(k8s_schema.validate, manifest) == _verdict(kubernetes_validate.validate, manifest)
    assert _verdict(k8s_schema.validate, broken)[0] == "invalid"


@pytest.mark.parametrize("stack", STACKS)
def test_every_namespace_the_program_creates_has_a_default_deny(captured, stack):
    capture = captured(stack)
    namespaces = {r.props["metadata"]["name"] for r in _by_kind(capture, "Namespace")}
    denied = {
        p.props["metadata"]["namespace"]
        for p in capture.of_type(NETWORK_POLICY)
        if p.props["spec"]["podSelector"] == {}
        and sorted(p.props["spec"]["policyTypes"]) == ["Egress", "Ingress"]
        and "ingress" not in p.props["spec"]
        and "egress" not in p.props["spec"]
    }
    assert namespaces and namespaces == denied


@pytest.mark.parametrize("stack", ["local", "prod"])
def test_every_namespace_names_its_environment(captured, stack):
    namespaces = captured(stack).of_type("kubernetes:core/v1:Namespace")
    assert namespaces
    assert {n.props["metadata"]["labels"].get("environment") for n in namespaces} == {stack}


def test_every_namespace_has_a_quota_and_default_requests(captured):
    capture = captured("prod")
    names = {n.props["metadata"]["name"] for n in capture.of_type("kubernetes:core/v1:Namespace")}
    with_quota = {
        q.props["metadata"]["namespace"] for q in capture.of_type("kubernetes:core/v1:ResourceQuota")
    }
    with_limits = {q.props["metadata"]["namespace"] for q in capture.of_type("kubernetes:core/v1:LimitRange")}
    assert names == with_quota == with_limits


def test_platform_namespaces_set_no_default_limits_that_would_cap_prometheus(captured):
    limits = [
        r
        for r in captured("prod").of_type("kubernetes:core/v1:LimitRange")
        if r.props["metadata"]["namespace"] == "monitoring"
    ]
    assert len(limits) == 1
    item = limits[0].props["spec"]["limits"][0]
    assert "default" not in item and "max" not in item and item["defaultRequest"]
