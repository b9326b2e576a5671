"""policy/rules/aws/elasticache.py: each rule fires on a broken copy of a compliant replication
group, cache cluster or serverless cache, and stays silent on the compliant original."""

import pytest

from tests.policy._cases import DROP, baseline_fired, fired, patched
from tests.policy.rules.aws._baselines import KEY

EC_RG = "aws:elasticache/replicationGroup:ReplicationGroup"
EC_CLUSTER = "aws:elasticache/cluster:Cluster"
EC_SERVERLESS = "aws:elasticache/serverlessCache:ServerlessCache"

BASELINES = {
    EC_RG: {
        "description": "redis",
        "engine": "redis",
        "atRestEncryptionEnabled": True,
        "kmsKeyId": KEY,
        "transitEncryptionEnabled": True,
        "transitEncryptionMode": "required",
        "userGroupIds": ["prod-redis"],
        "automaticFailoverEnabled": True,
        "multiAzEnabled": True,
        "numCacheClusters": 2.0,
        "snapshotRetentionLimit": 7.0,
        "autoMinorVersionUpgrade": True,
        "subnetGroupName": "prod-redis",
        "port": 6380.0,
        "finalSnapshotIdentifier": "prod-redis-final",
    },
    EC_CLUSTER: {
        "engine": "redis",
        "transitEncryptionEnabled": True,
        "snapshotRetentionLimit": 7.0,
        "autoMinorVersionUpgrade": "true",
        "subnetGroupName": "dev-redis",
        "port": 6380.0,
        "finalSnapshotIdentifier": "dev-redis-final",
    },
    EC_SERVERLESS: {
        "engine": "valkey",
        "kmsKeyId": KEY,
        "userGroupId": "dev-cache",
        "snapshotRetentionLimit": 3.0,
        "subnetIds": ["subnet-a", "subnet-b"],
    },
}

RESOURCE_CASES = [
    ("AWS-ELASTICACHE-001", EC_RG, {"atRestEncryptionEnabled": False}),
    ("AWS-ELASTICACHE-002", EC_RG, {"kmsKeyId": DROP}),
    ("AWS-ELASTICACHE-002", EC_SERVERLESS, {"kmsKeyId": DROP}),
    ("AWS-ELASTICACHE-003", EC_RG, {"transitEncryptionMode": "preferred"}),
    ("AWS-ELASTICACHE-003", EC_CLUSTER, {"transitEncryptionEnabled": DROP}),
    ("AWS-ELASTICACHE-004", EC_RG, {"userGroupIds": DROP}),
    ("AWS-ELASTICACHE-004", EC_SERVERLESS, {"userGroupId": DROP}),
    ("AWS-ELASTICACHE-005", EC_RG, {"multiAzEnabled": False}),
    ("AWS-ELASTICACHE-005", EC_RG, {"numCacheClusters": 1.0}),
    ("AWS-ELASTICACHE-006", EC_RG, {"snapshotRetentionLimit": 0.0}),
    ("AWS-ELASTICACHE-006", EC_SERVERLESS, {"snapshotRetentionLimit": DROP}),
    ("AWS-ELASTICACHE-007", EC_RG, {"autoMinorVersionUpgrade": False}),
    ("AWS-ELASTICACHE-007", EC_CLUSTER, {"autoMinorVersionUpgrade": "false"}),
    ("AWS-ELASTICACHE-008", EC_RG, {"subnetGroupName": "default"}),
    ("AWS-ELASTICACHE-008", EC_SERVERLESS, {"subnetIds": DROP}),
    ("AWS-ELASTICACHE-009", EC_CLUSTER, {"port": 6379.0}),
    ("AWS-ELASTICACHE-010", EC_RG, {"finalSnapshotIdentifier": DROP}),
    ("AWS-ELASTICACHE-011", EC_RG, {"authToken": "a-long-generated-token-0123456789"}),
]


def _case_id(case):
    return f"{case[0]}-{case[1].rsplit(':', 1)[1]}-{'+'.join(case[2])}"


@pytest.mark.parametrize("rule_id, type_, overrides", RESOURCE_CASES, ids=map(_case_id, RESOURCE_CASES))
def test_rule_fires_on_broken_resource(rule_id, type_, overrides):
    assert rule_id in fired(type_, patched(BASELINES[type_], overrides))


@pytest.mark.parametrize("rule_id, type_", sorted({(c[0], c[1]) for c in RESOURCE_CASES}))
def test_rule_is_silent_on_compliant_resource(rule_id, type_):
    assert rule_id not in baseline_fired(type_, BASELINES[type_])
