"""policy/rules/aws/rds.py: each rule fires on a broken copy of a compliant RDS instance, Aurora
cluster, cluster instance or snapshot, and stays silent on the compliant original."""

import pytest

from tests.policy._cases import DROP, baseline_fired, fired, patched
from tests.policy.rules.aws._baselines import BASELINES as SHARED
from tests.policy.rules.aws._baselines import KEY, RDS, RDS_CLUSTER, RDS_CLUSTER_INSTANCE

RDS_SNAPSHOT = "aws:rds/snapshot:Snapshot"

BASELINES = {
    **{t: SHARED[t] for t in (RDS, RDS_CLUSTER, RDS_CLUSTER_INSTANCE)},
    RDS_SNAPSHOT: {
        "dbInstanceIdentifier": "prod-postgres",
        "dbSnapshotIdentifier": "manual-1",
        "sharedAccounts": ["210987654321"],
    },
}

# (rule id, resource type, overrides that break exactly this rule)
RESOURCE_CASES = [
    ("AWS-RDS-001", RDS, {"storageEncrypted": False}),
    ("AWS-RDS-002", RDS, {"kmsKeyId": DROP}),
    ("AWS-RDS-003", RDS, {"publiclyAccessible": True}),
    ("AWS-RDS-003", RDS_CLUSTER_INSTANCE, {"publiclyAccessible": True}),
    ("AWS-RDS-004", RDS, {"multiAz": False}),
    ("AWS-RDS-005", RDS, {"backupRetentionPeriod": 1.0}),
    ("AWS-RDS-005", RDS, {"backupRetentionPeriod": DROP}),
    ("AWS-RDS-006", RDS, {"deletionProtection": DROP}),
    ("AWS-RDS-007", RDS, {"iamDatabaseAuthenticationEnabled": False}),
    ("AWS-RDS-008", RDS, {"enabledCloudwatchLogsExports": ["postgresql"]}),
    ("AWS-RDS-009", RDS, {"monitoringInterval": 0.0}),
    ("AWS-RDS-010", RDS, {"performanceInsightsKmsKeyId": DROP}),
    ("AWS-RDS-011", RDS, {"autoMinorVersionUpgrade": False}),
    ("AWS-RDS-012", RDS, {"copyTagsToSnapshot": DROP}),
    ("AWS-RDS-013", RDS, {"caCertIdentifier": "rds-ca-2019"}),
    ("AWS-RDS-016", RDS, {"dbSubnetGroupName": DROP}),
    ("AWS-RDS-017", RDS, {"port": 5432.0}),
    ("AWS-RDS-018", RDS, {"username": "postgres"}),
    ("AWS-RDS-018", RDS_CLUSTER, {"masterUsername": "admin"}),
    ("AWS-RDS-019", RDS, {"engineVersion": "13.7"}),
    ("AWS-RDS-029", RDS_SNAPSHOT, {"sharedAccounts": ["all"]}),
    ("AWS-RDS-030", RDS, {"skipFinalSnapshot": True}),
    ("AWS-RDS-030", RDS_CLUSTER, {"finalSnapshotIdentifier": DROP}),
    ("AWS-RDS-031", RDS, {"manageMasterUserPassword": DROP, "password": "hunter2-but-longer"}),
    ("AWS-RDS-031", RDS_CLUSTER, {"manageMasterUserPassword": False}),
]


def _case_id(case):
    return f"{case[0]}-{case[1].rsplit(':', 1)[1]}-{'+'.join(case[2])}"


@pytest.mark.parametrize("rule_id, type_, overrides", RESOURCE_CASES, ids=map(_case_id, RESOURCE_CASES))
def test_rule_fires_on_broken_resource(rule_id, type_, overrides):
    assert rule_id in fired(type_, patched(BASELINES[type_], overrides))


@pytest.mark.parametrize("rule_id, type_", sorted({(c[0], c[1]) for c in RESOURCE_CASES}))
def test_rule_is_silent_on_compliant_resource(rule_id, type_):
    assert rule_id not in baseline_fired(type_, BASELINES[type_])


def test_replicas_inherit_encryption_backups_and_subnets_from_their_source():
    replica = {"replicateSourceDb": "prod-postgres", "instanceClass": "db.t3.large", "kmsKeyId": KEY}
    assert not {"AWS-RDS-001", "AWS-RDS-004", "AWS-RDS-005", "AWS-RDS-016", "AWS-RDS-031"} & fired(
        RDS, replica
    )


def test_dev_policy_config_can_lower_a_threshold():
    props = patched(BASELINES[RDS], {"backupRetentionPeriod": 3.0})
    assert "AWS-RDS-005" not in fired(RDS, props, config={"AWS-RDS-005": {"minRetentionDays": 3}})
