"""Observability wiring: the order it depends on, exporters and log shipping per stack."""

from __future__ import annotations

import json

import pytest

from stacks.config import load_stack
from stacks.wiring.observability import wire_monitoring
from stacks.wiring.platform import Platform
from tests import k8s_schema
from tests.observability_harness import OIDC_ISSUER, observe

CHART = "kubernetes:helm.sh/v4:Chart"


def charts(stack: str) -> dict[str, dict]:
    return {r.props["chart"]: r.props for r in observe(stack).of_type(CHART)}


def test_monitoring_without_a_cluster_fails_with_a_clear_error():
    with pytest.raises(RuntimeError, match=r"dev: monitoring runs in the cluster.*platform.cluster is None"):
        wire_monitoring(Platform(config=load_stack("dev")))


@pytest.mark.parametrize("stack", ["local", "prod"])
def test_one_exporter_per_data_service_with_its_service_monitor(stack):
    found = charts(stack)
    assert found["prometheus-postgres-exporter"]["values"]["serviceMonitor"]["enabled"] is True
    assert found["prometheus-redis-exporter"]["values"]["serviceMonitor"]["enabled"] is True
    assert found["prometheus-kafka-exporter"]["values"]["prometheus"]["serviceMonitor"]["enabled"] is True
    assert all(found[c]["namespace"] == "apps" for c in found if c.startswith("prometheus-"))


def test_postgres_exporter_reads_credentials_from_the_connection_secret():
    datasource = charts("prod")["prometheus-postgres-exporter"]["values"]["config"]["datasource"]
    assert datasource["passwordSecret"] == {"name": "postgres-connection", "key": "password"}
    assert datasource["sslmode"] == "require"
    assert "password" not in datasource


def test_managed_redis_exporter_uses_tls():
    assert charts("prod")["prometheus-redis-exporter"]["values"]["redisAddress"].startswith("rediss://")
    assert charts("local")["prometheus-redis-exporter"]["values"]["redisAddress"].startswith("redis://")


def test_msk_exporter_authenticates_with_a_read_only_irsa_role():
    capture = observe("prod")
    values = charts("prod")["prometheus-kafka-exporter"]["values"]
    assert values["sasl"] == {"enabled": True, "awsiam": {"enabled": True, "awsRegion": "eu-west-1"}}
    assert values["kafkaServer"] == ["b-1.kafka:9098", "b-2.kafka:9098"]
    role = next(r for r in capture.of_type("aws:iam/role:Role") if r.name == "prod-exporters-kafka-exporter")
    trust = json.loads(role.props["assumeRolePolicy"])["Statement"][0]["Condition"]["StringEquals"]
    assert trust[f"{OIDC_ISSUER}:sub"] == "system:serviceaccount:apps:kafka-exporter"
    policy = next(r for r in capture.of_type("aws:iam/rolePolicy:RolePolicy") if r.name == role.name)
    actions = {a for s in json.loads(policy.props["policy"])["Statement"] for a in s["Action"]}
    assert actions == {
        "kafka-cluster:Connect",
        "kafka-cluster:DescribeCluster",
        "kafka-cluster:DescribeTopic",
        "kafka-cluster:DescribeGroup",
    }


def test_aws_stacks_ship_container_logs_to_an_encrypted_group_with_retention():
    capture = observe("prod")
    group = next(
        r for r in capture.of_type("aws:cloudwatch/logGroup:LogGroup") if r.name == "prod-logs-containers"
    )
    assert group.props["retentionInDays"] == 365
    assert group.props["kmsKeyId"] == capture.outputs["kms_key_arn"]
    outputs = charts("prod")["fluent-bit"]["values"]["config"]["outputs"]
    assert "cloudwatch_logs" in outputs and "/groundwork/prod-logs/containers" in outputs


def test_fluent_bit_role_may_write_only_its_log_group():
    capture = observe("prod")
    policy = next(
        r for r in capture.of_type("aws:iam/rolePolicy:RolePolicy") if r.name == "prod-logs-fluent-bit"
    )
    (statement,) = json.loads(policy.props["policy"])["Statement"]
    arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/groundwork/prod-logs/containers"
    assert statement["Resource"] == [arn, f"{arn}:log-stream:*"]
    assert "logs:CreateLogGroup" not in statement["Action"]


def test_local_ships_logs_to_stdout():
    outputs = charts("local")["fluent-bit"]["values"]["config"]["outputs"]
    assert "Name   stdout" in outputs
    assert "annotations" not in charts("local")["fluent-bit"]["values"]["serviceAccount"]


def test_kubernetes_resources_use_the_cluster_provider():
    capture = observe("prod")
    k8s_provider = next(r for r in capture.of_type("pulumi:providers:kubernetes"))
    namespaced = [r for r in capture.resources if r.type.startswith("kubernetes:") and r.custom]
    assert namespaced and all(r.provider.rsplit("::", 1)[0] == k8s_provider.urn for r in namespaced)


def test_redis_exporter_meets_restricted_pod_security():
    """The apps namespace enforces restricted; the chart renders both contexts with toYaml."""
    values = charts("prod")["prometheus-redis-exporter"]["values"]
    assert values["podSecurityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert values["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert values["securityContext"]["allowPrivilegeEscalation"] is False


def test_local_runs_the_same_monitoring_stack_on_kind():
    values = charts("local")["kube-prometheus-stack"]["values"]
    claim = values["prometheus"]["prometheusSpec"]["storageSpec"]["volumeClaimTemplate"]["spec"]
    assert claim["storageClassName"] == "standard"
    assert values["prometheus"]["prometheusSpec"]["retention"] == "3d"


@pytest.mark.parametrize("stack", ["local", "prod"])
def test_core_manifests_validate_against_the_kubernetes_schema(stack):
    manifests = [r for r in observe(stack).resources if r.type.startswith("kubernetes:core/v1:")]
    assert manifests
    for resource in manifests:
        k8s_schema.validate(resource.props, "1.33", strict=True)
