"""`<service>.backend`: managed or in-cluster per service, the same connection contract on both, the
in-cluster binding for apps, and the refusals (prod in-cluster, local managed, bad values)."""

from __future__ import annotations

import json

import pytest

from components import kafka, postgres, redis
from policy.analyzer import evaluate
from stacks.config import ConfigError
from stacks.preflight.capture import Capture
from stacks.preflight.runner import capture_stack
from tests.data_support import capture_data
from tests.test_data_config import _error

SERVICES = ("postgres", "redis", "kafka")
IN_CLUSTER = {f"groundwork:{kind}": {"backend": "inCluster"} for kind in SERVICES}
CONTRACT = {
    "postgres": postgres.CONNECTION_KEYS,
    "redis": redis.CONNECTION_KEYS,
    "kafka": kafka.CONNECTION_KEYS,
}
MANAGED_TYPES = ("aws:rds/instance:Instance", "aws:elasticache/replicationGroup:ReplicationGroup")


@pytest.fixture(scope="module")
def dev_data() -> dict[str, Capture]:
    return {"managed": capture_data("dev")[0], "inCluster": capture_data("dev", IN_CLUSTER)[0]}


@pytest.fixture(scope="module")
def dev_in_cluster() -> Capture:
    """The whole dev program (cluster, apps, monitoring) with all three services in the cluster."""
    return capture_stack("dev", overrides=IN_CLUSTER)


def _secret(capture: Capture, name: str) -> dict:
    (secret,) = [r for r in capture.of_type("kubernetes:core/v1:Secret") if r.name == name]
    return secret.props["stringData"]


@pytest.mark.parametrize("kind", SERVICES)
def test_connection_secret_keys_are_equal_across_backends(dev_data, kind):
    managed = _secret(dev_data["managed"], f"dev-{kind}-connection")
    in_cluster = _secret(dev_data["inCluster"], f"dev-{kind}-connection")
    assert set(managed) == set(in_cluster) == set(CONTRACT[kind])


@pytest.mark.parametrize("kind", SERVICES)
def test_in_cluster_on_dev_runs_a_statefulset_on_the_encrypted_gp3_class(dev_in_cluster, kind):
    (statefulset,) = [
        r
        for r in dev_in_cluster.of_type("kubernetes:apps/v1:StatefulSet")
        if r.name == f"dev-{kind}-statefulset"
    ]
    (claim,) = statefulset.props["spec"]["volumeClaimTemplates"]
    assert claim["spec"]["storageClassName"] == "gp3-encrypted"
    (storage_class,) = [
        r
        for r in dev_in_cluster.of_type("kubernetes:storage.k8s.io/v1:StorageClass")
        if r.props["metadata"]["name"] == "gp3-encrypted"
    ]
    assert storage_class.props["parameters"]["encrypted"] == "true"
    assert storage_class.props["parameters"]["type"] == "gp3"


def test_in_cluster_on_dev_creates_no_managed_datastore(dev_in_cluster):
    types = {r.type for r in dev_in_cluster.resources}
    assert not types & {*MANAGED_TYPES, "aws:msk/cluster:Cluster"}


def test_one_service_can_move_in_cluster_while_the_others_stay_managed():
    capture, seen = capture_data("dev", {"groundwork:postgres": {"backend": "inCluster"}})
    assert {kind: handle.managed for kind, handle in seen["datastores"].items()} == {
        "postgres": False,
        "redis": True,
        "kafka": True,
    }
    assert not capture.of_type("aws:rds/instance:Instance")
    assert len(capture.of_type("aws:msk/cluster:Cluster")) == 1


def test_an_app_bound_to_in_cluster_postgres_gets_a_password_not_iam_auth(dev_in_cluster):
    binding = _secret(dev_in_cluster, "dev-app-api-db-secret")
    assert binding["iamAuth"] == "false"
    assert binding["host"] == "dev-postgres.apps.svc.cluster.local"
    assert binding["sslmode"] == "disable"


def test_an_app_bound_to_in_cluster_kafka_gets_plaintext_without_sasl(dev_in_cluster):
    binding = _secret(dev_in_cluster, "dev-app-api-kafka")
    assert binding["securityProtocol"] == "PLAINTEXT"
    assert binding["saslMechanism"] == ""


def test_app_binding_keys_are_equal_across_backends(captured, dev_in_cluster):
    for name in ("dev-app-api-db-secret", "dev-app-api-kafka"):
        assert set(_secret(captured("dev"), name)) == set(_secret(dev_in_cluster, name)), name


def test_app_role_has_no_database_or_kafka_rights_with_in_cluster_backends(dev_in_cluster):
    (policy,) = [
        r
        for r in dev_in_cluster.of_type("aws:iam/rolePolicy:RolePolicy")
        if r.name == "dev-app-api-role-policy"
    ]
    actions = json.dumps([s["Action"] for s in json.loads(policy.props["policy"])["Statement"]])
    assert "rds-db:connect" not in actions and "kafka-cluster:" not in actions


def test_app_role_keeps_iam_rights_on_managed_backends(captured):
    (policy,) = [
        r
        for r in captured("dev").of_type("aws:iam/rolePolicy:RolePolicy")
        if r.name == "dev-app-api-role-policy"
    ]
    actions = json.dumps([s["Action"] for s in json.loads(policy.props["policy"])["Statement"]])
    assert "rds-db:connect" in actions and "kafka-cluster:Connect" in actions


def test_dev_in_cluster_has_no_high_or_critical_finding(dev_in_cluster):
    report = evaluate(dev_in_cluster, "dev")
    serious = [f for f in report.violations if f.severity in ("high", "critical")]
    assert serious == [], [(f.rule_id, f.resource_name, f.message) for f in serious]


@pytest.mark.parametrize("kind", SERVICES)
def test_prod_refuses_an_in_cluster_datastore_naming_the_key(kind):
    message = _error("prod", **{kind: {"backend": "inCluster"}})
    assert f"prod: {kind}.backend = 'inCluster': prod must run 'managed'" in message


def test_prod_refusal_holds_for_the_full_program():
    with pytest.raises(ConfigError, match=r"prod: postgres\.backend = 'inCluster'"):
        capture_stack("prod", overrides={"groundwork:postgres": {"backend": "inCluster"}})


@pytest.mark.parametrize("kind", SERVICES)
def test_local_refuses_a_managed_datastore(kind):
    message = _error("local", **{kind: {"backend": "managed"}})
    assert f"local: {kind}.backend = 'managed': must be 'inCluster' in local" in message


def test_a_disabled_service_may_keep_any_backend_in_prod():
    from tests.test_data_config import _parse

    config = _parse("prod", kafka={"enabled": False, "backend": "inCluster"})
    assert config.kafka.backend == "inCluster" and not config.kafka.enabled


@pytest.mark.parametrize(
    "value, shown",
    [
        ("Managed", "'Managed'"),
        ("in-cluster", "'in-cluster'"),
        ("incluster", "'incluster'"),
        ("InCluster", "'InCluster'"),
        ("rds", "'rds'"),
        ("", "''"),
        (3, "3"),
        (True, "True"),
        (None, "None"),
        (["managed"], "['managed']"),
        ({"type": "managed"}, "{'type': 'managed'}"),
    ],
)
def test_a_bad_backend_names_the_key_the_value_and_the_choices(value, shown):
    message = _error("dev", redis={"backend": value})
    assert f"dev: redis.backend = {shown}: Input should be 'managed' or 'inCluster'" in message


def test_profiles_keep_todays_backends():
    from tests.test_data_config import _parse

    for stack, expected in (
        ("local", "inCluster"),
        ("dev", "managed"),
        ("staging", "managed"),
        ("prod", "managed"),
    ):
        config = _parse(stack)
        assert {getattr(config, kind).backend for kind in SERVICES} == {expected}, stack


def test_connection_secret_refuses_a_key_set_other_than_the_contract():
    from components.datastore import connection_secret

    with pytest.raises(ValueError, match=r"exactly the keys \['host', 'port'\]; got \['host'\]"):
        connection_secret("x", namespace="apps", values={"host": "h"}, keys=("host", "port"), parent=None)  # type: ignore[arg-type]
