"""The in-cluster backends' manifests against the Kubernetes schema, and the restricted pod shape.

kubernetes-validate 1.37.0 ships schemas up to Kubernetes 1.37; the strict variant also rejects
fields the schema does not know (a typo in a manifest would otherwise be silently dropped).
"""

from __future__ import annotations

import pytest

from stacks.preflight.capture import Capture
from tests import k8s_schema
from tests.data_support import capture_data, manifest

KUBERNETES_VERSION = "1.37.0"
WORKLOADS = (
    "local-postgres-statefulset",
    "local-redis-statefulset",
    "local-kafka-statefulset",
    "local-postgres-pooler-deployment",
)
STATEFUL = WORKLOADS[:3]


@pytest.fixture(scope="module")
def local() -> Capture:
    return capture_data(
        "local",
        overrides={
            "groundwork:kafka": {"inClusterNodes": 3},
            "groundwork:postgres": {"connectionPooling": True},
        },
    )[0]


def _kubernetes(capture: Capture):
    return [
        r
        for r in capture.resources
        if r.type.startswith("kubernetes:") and r.custom and r.type != "pulumi:providers:kubernetes"
    ]


def test_every_manifest_passes_the_strict_kubernetes_schema(local):
    resources = _kubernetes(local)
    assert {r.type for r in resources} == {
        "kubernetes:core/v1:Secret",
        "kubernetes:core/v1:Service",
        "kubernetes:apps/v1:StatefulSet",
        "kubernetes:apps/v1:Deployment",
        "kubernetes:networking.k8s.io/v1:NetworkPolicy",
    }
    for resource in resources:
        document = manifest(resource)
        document.setdefault("metadata", {})
        k8s_schema.validate(document, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("name", WORKLOADS)
def test_pods_run_as_a_non_root_user(local, name):
    pod = manifest(local.named(name))["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] > 0
    assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
    assert pod["automountServiceAccountToken"] is False


@pytest.mark.parametrize("name", WORKLOADS)
def test_containers_are_restricted(local, name):
    pod = manifest(local.named(name))["spec"]["template"]["spec"]
    for container in pod.get("initContainers", []) + pod["containers"]:
        context = container["securityContext"]
        assert context["runAsNonRoot"] is True
        assert context["allowPrivilegeEscalation"] is False
        assert context["readOnlyRootFilesystem"] is True
        assert context["capabilities"]["drop"] == ["ALL"]
        assert {"cpu", "memory"} <= set(container["resources"]["requests"])
        assert "memory" in container["resources"]["limits"]


@pytest.mark.parametrize("name", WORKLOADS)
def test_images_are_pinned_and_probed(local, name):
    pod = manifest(local.named(name))["spec"]["template"]["spec"]
    for container in pod["containers"]:
        image = container["image"]
        tag = image.rsplit(":", 1)[-1]
        assert "/" in image and tag[0].isdigit(), image
        assert "readinessProbe" in container and "livenessProbe" in container


@pytest.mark.parametrize("name", STATEFUL)
def test_data_lives_on_a_claim_of_the_cluster_storage_class_and_outlives_the_set(local, name):
    spec = manifest(local.named(name))["spec"]
    claims = spec["volumeClaimTemplates"]
    assert [c["spec"]["storageClassName"] for c in claims] == ["standard"]
    assert spec["persistentVolumeClaimRetentionPolicy"]["whenDeleted"] == "Retain"
