"""policy/rules/aws/msk.py: each rule fires on a broken copy of a compliant MSK cluster or
configuration, and stays silent on the compliant original."""

import pytest

from tests.policy._cases import DROP, baseline_fired, fired, patched
from tests.policy.rules.aws._baselines import KEY

MSK = "aws:msk/cluster:Cluster"
MSK_CONFIG = "aws:msk/configuration:Configuration"

BASELINES = {
    MSK: {
        "kafkaVersion": "3.8.x",
        "numberOfBrokerNodes": 3.0,
        "enhancedMonitoring": "PER_TOPIC_PER_BROKER",
        "brokerNodeGroupInfo": {
            "instanceType": "kafka.m7g.large",
            "clientSubnets": ["a", "b", "c"],
            "securityGroups": ["sg"],
        },
        "encryptionInfo": {
            "encryptionAtRestKmsKeyArn": KEY,
            "encryptionInTransit": {"clientBroker": "TLS", "inCluster": True},
        },
        "clientAuthentication": {"sasl": {"iam": True}, "unauthenticated": False},
        "loggingInfo": {"brokerLogs": {"cloudwatchLogs": {"enabled": True, "logGroup": "/msk/prod"}}},
    },
    MSK_CONFIG: {
        "serverProperties": "auto.create.topics.enable=false\nmin.insync.replicas=2\n"
        "default.replication.factor=3\n"
    },
}

RESOURCE_CASES = [
    ("AWS-MSK-001", MSK, {"encryptionInfo.encryptionInTransit.clientBroker": "TLS_PLAINTEXT"}),
    ("AWS-MSK-002", MSK, {"encryptionInfo.encryptionInTransit.inCluster": False}),
    ("AWS-MSK-003", MSK, {"encryptionInfo.encryptionAtRestKmsKeyArn": DROP}),
    (
        "AWS-MSK-004",
        MSK,
        {"brokerNodeGroupInfo.connectivityInfo": {"publicAccess": {"type": "SERVICE_PROVIDED_EIPS"}}},
    ),
    ("AWS-MSK-005", MSK, {"clientAuthentication.unauthenticated": True}),
    ("AWS-MSK-005", MSK, {"clientAuthentication": {"sasl": {"iam": False}}}),
    ("AWS-MSK-006", MSK, {"loggingInfo.brokerLogs.cloudwatchLogs.enabled": False}),
    ("AWS-MSK-007", MSK, {"enhancedMonitoring": DROP}),
    (
        "AWS-MSK-008",
        MSK_CONFIG,
        {
            "serverProperties": "auto.create.topics.enable=true\nmin.insync.replicas=2\n"
            "default.replication.factor=3\n"
        },
    ),
    (
        "AWS-MSK-008",
        MSK_CONFIG,
        {"serverProperties": "min.insync.replicas=1\ndefault.replication.factor=3\n"},
    ),
]


def _case_id(case):
    return f"{case[0]}-{case[1].rsplit(':', 1)[1]}-{'+'.join(case[2])}"


@pytest.mark.parametrize("rule_id, type_, overrides", RESOURCE_CASES, ids=map(_case_id, RESOURCE_CASES))
def test_rule_fires_on_broken_resource(rule_id, type_, overrides):
    assert rule_id in fired(type_, patched(BASELINES[type_], overrides))


@pytest.mark.parametrize("rule_id, type_", sorted({(c[0], c[1]) for c in RESOURCE_CASES}))
def test_rule_is_silent_on_compliant_resource(rule_id, type_):
    assert rule_id not in baseline_fired(type_, BASELINES[type_])
