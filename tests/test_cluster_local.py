"""`cluster.mode: local`: an existing kind cluster, no AWS, the same downstream interface."""

from __future__ import annotations

from stacks.config import load_stack
from stacks.preflight.capture import run_program
from stacks.program import build
from tests.cluster_helpers import charts, platform_owned


def test_local_creates_no_aws_resource_at_all(captured):
    capture = captured("local")
    assert [r.type for r in capture.resources if r.type.startswith(("aws:", "pulumi:providers:aws"))] == []


def test_local_provider_is_pinned_to_the_kind_context(captured):
    capture = captured("local")
    providers = capture.of_type("pulumi:providers:kubernetes")
    assert providers and all(p.props["context"] == "kind-groundwork" for p in providers)
    assert all("kubeconfig" not in p.props for p in providers)


def test_local_runs_only_what_kind_can_run(captured):
    capture = captured("local")
    assert sorted(charts(capture)) == ["cert-manager", "metrics-server"]
    issuer = capture.of_type("kubernetes:cert-manager.io/v1:ClusterIssuer")[0].props
    assert issuer["spec"] == {"selfSigned": {}}
    assert capture.of_type("kubernetes:external-secrets.io/v1:ClusterSecretStore") == []


def test_metrics_server_accepts_kinds_self_signed_kubelet_certs_only_locally(captured):
    local_args = charts(captured("local"))["metrics-server"].props["values"]["args"]
    prod_args = charts(captured("prod"))["metrics-server"].props["values"]["args"]
    assert "--kubelet-insecure-tls" in local_args
    assert "--kubelet-insecure-tls" not in prod_args


def test_local_handle_matches_the_eks_interface():
    """Downstream areas read the same ClusterHandle fields in local as on EKS."""
    config = load_stack("local")
    handles = {}

    def program() -> None:
        handles["local"] = build(config).cluster

    run_program("local", {}, program)
    handle = handles["local"]
    assert handle.storage_class_name == "standard"
    assert handle.app_namespace == "apps"
    assert handle.k8s_provider is not None
    assert handle.oidc_provider_arn is None and handle.node_security_group_id is None


def test_downstream_provider_waits_for_the_platform(captured):
    """The provider in ClusterHandle depends on the app namespaces and the add-ons, so data services
    and monitoring never race them on a first `pulumi up`."""
    for stack in ("local", "prod"):
        capture = captured(stack)
        provider = capture.named(f"{stack}-k8s-workloads")
        waits_for = {
            r.urn
            for r in capture.resources
            if platform_owned(r)
            and r.type
            in (
                "kubernetes:core/v1:Namespace",
                "kubernetes:helm.sh/v4:Chart",
                "kubernetes:cert-manager.io/v1:ClusterIssuer",
                "kubernetes:networking.k8s.io/v1:NetworkPolicy",
            )
        }
        assert len(waits_for) >= 5
        assert waits_for <= set(provider.dependencies), stack
