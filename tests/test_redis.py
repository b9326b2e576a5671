"""Redis component on mocks: what ElastiCache and the in-cluster StatefulSet are really given."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from components.redis import ENGINE_VERSIONS, Redis, RedisArgs, RedisSettings
from stacks.preflight.capture import Capture
from tests.conftest import run_component
from tests.data_support import TAGS, fed_by, network_for_tests


@pytest.fixture(scope="module")
def managed() -> Capture:
    return run_component(
        lambda: Redis(
            "cache",
            RedisArgs(
                namespace="apps",
                network=network_for_tests(),
                protect=True,
                tags=TAGS,
            ),
        )
    )


@pytest.fixture(scope="module")
def in_cluster() -> Capture:
    return run_component(
        lambda: Redis(
            "cache",
            RedisArgs(namespace="apps", storage_class_name="standard", tags=TAGS),
        )
    )


def _group(capture: Capture):
    return capture.named("cache-cache")


def test_encrypted_at_rest_with_the_stack_key(managed):
    group = _group(managed)
    assert group.props["atRestEncryptionEnabled"] is True
    assert fed_by(group, "kmsKeyId", managed.named("test-data-key"))


def test_encrypted_in_transit_and_tls_required(managed):
    group = _group(managed).props
    assert group["transitEncryptionEnabled"] is True
    assert group["transitEncryptionMode"] == "required"


def test_auth_token_is_generated_write_only_and_secret(managed):
    group = _group(managed)
    assert "authToken" not in group.inputs
    assert group.is_secret("authTokenWo")
    assert fed_by(group, "authTokenWo", managed.named("cache-auth-token"))
    assert group.props["authTokenWoVersion"] >= 1


def test_valkey_with_a_pinned_version(managed):
    group = _group(managed).props
    assert group["engine"] == "valkey"
    assert group["engineVersion"] == ENGINE_VERSIONS["valkey"]


def test_production_defaults_fail_over_across_azs(managed):
    group = _group(managed).props
    assert group["automaticFailoverEnabled"] is True
    assert group["multiAzEnabled"] is True
    assert group["numCacheClusters"] >= 2


def test_snapshots_kept_with_a_window_and_a_final_snapshot(managed):
    group = _group(managed).props
    assert group["snapshotRetentionLimit"] >= 1
    assert group["snapshotWindow"] and group["finalSnapshotIdentifier"]


def test_slow_and_engine_logs_go_to_encrypted_cloudwatch_groups(managed):
    deliveries = _group(managed).props["logDeliveryConfigurations"]
    assert {d["logType"] for d in deliveries} == {"slow-log", "engine-log"}
    assert {d["destinationType"] for d in deliveries} == {"cloudwatch-logs"}
    for kind in ("slow-log", "engine-log"):
        log_group = managed.named(f"cache-log-{kind}")
        assert fed_by(log_group, "kmsKeyId", managed.named("test-data-key"))
        assert log_group.props["retentionInDays"] > 0


def test_in_the_database_subnets_behind_a_cluster_only_security_group(managed):
    group = _group(managed)
    assert fed_by(group, "subnetGroupName", managed.named("cache-subnets"))
    sg = managed.named("cache-sg")
    assert fed_by(group, "securityGroupIds", sg)
    rules = [
        r
        for r in managed.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if fed_by(r, "securityGroupId", sg)
    ]
    assert [(r.props["fromPort"], r.props["toPort"]) for r in rules] == [(6379, 6379)]
    assert all(fed_by(r, "referencedSecurityGroupId", managed.named("test-nodes")) for r in rules)
    assert not any({"cidrIpv4", "cidrIpv6"} & set(r.props) for r in rules)


def test_protect_reaches_the_replication_group_and_its_tags(managed):
    group = _group(managed)
    assert group.protect
    assert group.props["tags"]["backup"] == "true" and group.props["tags"]["protect"] == "true"


def test_connection_secret_carries_the_token_as_a_secret(managed):
    secret = managed.named("cache-connection")
    assert secret.is_secret("stringData")
    assert fed_by(secret, "stringData", managed.named("cache-auth-token"))
    assert secret.props["stringData"]["tls"] == "true"


def test_fails_when_multi_az_has_no_replica_to_fail_over_to():
    with pytest.raises(ValidationError, match="replicas = 0: multiAz needs at least 1 replica"):
        RedisSettings(replicas=0, multi_az=True)


def test_in_cluster_password_comes_from_the_secret(in_cluster):
    secret = in_cluster.named("cache-connection")
    assert secret.is_secret("stringData")
    container = in_cluster.named("cache-statefulset").props["spec"]["template"]["spec"]["containers"][0]
    auth = next(e for e in container["env"] if e["name"] == "REDISCLI_AUTH")
    assert auth["valueFrom"]["secretKeyRef"]["key"] == "password"
    assert "--requirepass" in container["command"][-1]
