"""Kafka component on mocks: what MSK and the in-cluster KRaft StatefulSet are really given."""

from __future__ import annotations

import json

import pytest

from components.kafka import Kafka, KafkaArgs, KafkaSettings, replication_settings
from stacks.preflight.capture import Capture
from tests.conftest import run_component
from tests.data_support import TAGS, fed_by, network_for_tests


@pytest.fixture(scope="module")
def managed() -> Capture:
    return run_component(
        lambda: Kafka(
            "events",
            KafkaArgs(
                namespace="apps",
                network=network_for_tests(),
                settings=KafkaSettings(client_authentication=["iam", "scram"]),
                protect=True,
                tags=TAGS,
            ),
        )
    )


@pytest.fixture(scope="module")
def two_brokers() -> Capture:
    return run_component(
        lambda: Kafka(
            "events",
            KafkaArgs(
                namespace="apps",
                network=network_for_tests(),
                settings=KafkaSettings(broker_count=2),
                tags=TAGS,
            ),
        )
    )


@pytest.fixture(scope="module")
def in_cluster() -> Capture:
    return run_component(
        lambda: Kafka(
            "events",
            KafkaArgs(
                namespace="apps",
                storage_class_name="standard",
                settings=KafkaSettings(in_cluster_nodes=3),
                tags=TAGS,
            ),
        )
    )


def _properties(capture: Capture) -> dict[str, str]:
    text = capture.named("events-config").props["serverProperties"]
    return dict(line.split("=", 1) for line in text.splitlines() if line)


def test_tls_only_between_clients_and_brokers_and_within_the_cluster(managed):
    transit = managed.named("events-cluster").props["encryptionInfo"]["encryptionInTransit"]
    assert transit == {"clientBroker": "TLS", "inCluster": True}


def test_encrypted_at_rest_with_the_stack_key(managed):
    cluster = managed.named("events-cluster")
    assert fed_by(cluster, "encryptionInfo", managed.named("test-data-key"))
    assert cluster.props["encryptionInfo"]["encryptionAtRestKmsKeyArn"].startswith("arn:aws:kms:")


def test_clients_authenticate_by_iam_and_scram_never_anonymously(managed):
    auth = managed.named("events-cluster").props["clientAuthentication"]
    assert auth["unauthenticated"] is False
    assert auth["sasl"] == {"iam": True, "scram": True}


def test_scram_secret_is_prefixed_encrypted_with_the_stack_key_and_secret(managed):
    secret = managed.named("events-scram")
    assert secret.props["name"].startswith("AmazonMSK_")
    assert fed_by(secret, "kmsKeyId", managed.named("test-data-key"))
    version = managed.named("events-scram-value")
    assert version.is_secret("secretString")
    assert set(json.loads(version.props["secretString"])) == {"username", "password"}
    association = managed.named("events-scram-association")
    assert fed_by(association, "secretArnLists", secret)
    assert fed_by(association, "clusterArn", managed.named("events-cluster"))


def test_broker_logs_go_to_an_encrypted_group_with_finite_retention(managed):
    cluster = managed.named("events-cluster")
    cloudwatch = cluster.props["loggingInfo"]["brokerLogs"]["cloudwatchLogs"]
    assert cloudwatch["enabled"] is True
    group = managed.named("events-log-brokers")
    assert cloudwatch["logGroup"] == group.props["name"]
    assert 0 < group.props["retentionInDays"] <= 3653
    assert fed_by(group, "kmsKeyId", managed.named("test-data-key"))


def test_enhanced_and_open_monitoring_with_both_exporters(managed):
    cluster = managed.named("events-cluster").props
    assert cluster["enhancedMonitoring"] in {"PER_BROKER", "PER_TOPIC_PER_BROKER", "PER_TOPIC_PER_PARTITION"}
    prometheus = cluster["openMonitoring"]["prometheus"]
    assert prometheus["jmxExporter"]["enabledInBroker"] is True
    assert prometheus["nodeExporter"]["enabledInBroker"] is True


def test_configuration_forbids_auto_created_topics_and_keeps_three_copies(managed):
    props = _properties(managed)
    assert props["auto.create.topics.enable"] == "false"
    assert props["default.replication.factor"] == "3"
    assert props["min.insync.replicas"] == "2"
    assert fed_by(managed.named("events-cluster"), "configurationInfo", managed.named("events-config"))


def test_configuration_shrinks_replication_to_the_broker_count(two_brokers):
    props = _properties(two_brokers)
    assert props["default.replication.factor"] == "2"
    assert props["min.insync.replicas"] == "1"


def test_replication_settings_per_broker_count():
    assert [replication_settings(n) for n in (1, 2, 3, 6)] == [
        {"replication_factor": 1, "min_insync_replicas": 1},
        {"replication_factor": 2, "min_insync_replicas": 1},
        {"replication_factor": 3, "min_insync_replicas": 2},
        {"replication_factor": 3, "min_insync_replicas": 2},
    ]


def test_storage_autoscales_and_the_program_does_not_shrink_it_back(managed):
    target = managed.of_type("aws:appautoscaling/target:Target")[0]
    assert target.props["scalableDimension"] == "kafka:broker-storage:VolumeSize"
    assert fed_by(target, "resourceId", managed.named("events-cluster"))
    cluster = managed.named("events-cluster")
    volume = cluster.props["brokerNodeGroupInfo"]["storageInfo"]["ebsStorageInfo"]["volumeSize"]
    assert target.props["maxCapacity"] > volume
    policy = managed.of_type("aws:appautoscaling/policy:Policy")[0].props
    metric = policy["targetTrackingScalingPolicyConfiguration"]["predefinedMetricSpecification"]
    assert metric["predefinedMetricType"] == "KafkaBrokerStorageUtilization"
    assert "brokerNodeGroupInfo.storageInfo.ebsStorageInfo.volumeSize" in cluster.options["ignoreChanges"]


def test_brokers_are_private_and_admit_only_the_cluster(managed):
    cluster = managed.named("events-cluster")
    assert cluster.props["brokerNodeGroupInfo"]["connectivityInfo"]["publicAccess"]["type"] == "DISABLED"
    sg = managed.named("events-sg")
    rules = [
        r
        for r in managed.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if fed_by(r, "securityGroupId", sg)
    ]
    assert sorted((r.props["fromPort"], r.props["toPort"]) for r in rules) == [
        (9096, 9096),
        (9098, 9098),
        (11001, 11002),
    ]
    assert all(fed_by(r, "referencedSecurityGroupId", managed.named("test-nodes")) for r in rules)


def test_protect_reaches_the_cluster_and_its_tags(managed):
    cluster = managed.named("events-cluster")
    assert cluster.protect
    assert cluster.props["tags"]["backup"] == "true" and cluster.props["tags"]["protect"] == "true"


def test_connection_secret_carries_scram_credentials_as_a_secret(managed):
    secret = managed.named("events-connection")
    assert secret.is_secret("stringData")
    data = secret.props["stringData"]
    assert data["saslMechanism"] == "SCRAM-SHA-512" and data["securityProtocol"] == "SASL_SSL"
    assert data["bootstrapServers"].endswith(":9096")
    assert fed_by(secret, "stringData", managed.named("events-scram-password"))


def test_in_cluster_kraft_quorum_spans_the_three_nodes(in_cluster):
    statefulset = in_cluster.named("events-statefulset").props
    assert statefulset["spec"]["replicas"] == 3
    env = {e["name"]: e.get("value") for e in statefulset["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert len(env["KAFKA_CONTROLLER_QUORUM_VOTERS"].split(",")) == 3
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert env["KAFKA_MIN_INSYNC_REPLICAS"] == "2"


def test_msk_declares_its_recovery_path_since_aws_backup_cannot_cover_it(captured):
    cluster = captured("prod").of_type("aws:msk/cluster:Cluster")[0]
    assert cluster.props["tags"]["recovery"] == "replay-from-source"
