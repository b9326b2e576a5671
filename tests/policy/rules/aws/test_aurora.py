"""policy/rules/aws/aurora.py: each rule fires on a broken copy of a compliant Aurora cluster, cluster
instance or cluster stack, and stays silent on the compliant original."""

import pytest

from tests.policy._cases import DROP, baseline_fired, fired, patched, replaced, res, stack_fired, without
from tests.policy.rules.aws._baselines import BASELINES, RDS_CLUSTER, RDS_CLUSTER_INSTANCE

RESOURCE_CASES = [
    ("AWS-RDS-020", RDS_CLUSTER, {"storageEncrypted": False}),
    ("AWS-RDS-020", RDS_CLUSTER, {"kmsKeyId": DROP}),
    ("AWS-RDS-021", RDS_CLUSTER, {"deletionProtection": False}),
    ("AWS-RDS-022", RDS_CLUSTER, {"backupRetentionPeriod": 0.0}),
    ("AWS-RDS-023", RDS_CLUSTER, {"iamDatabaseAuthenticationEnabled": DROP}),
    ("AWS-RDS-024", RDS_CLUSTER, {"enabledCloudwatchLogsExports": []}),
    ("AWS-RDS-026", RDS_CLUSTER, {"copyTagsToSnapshot": False}),
    ("AWS-RDS-027", RDS_CLUSTER_INSTANCE, {"performanceInsightsEnabled": False}),
    ("AWS-RDS-027", RDS_CLUSTER_INSTANCE, {"monitoringInterval": DROP}),
]


def _case_id(case):
    return f"{case[0]}-{case[1].rsplit(':', 1)[1]}-{'+'.join(case[2])}"


@pytest.mark.parametrize("rule_id, type_, overrides", RESOURCE_CASES, ids=map(_case_id, RESOURCE_CASES))
def test_rule_fires_on_broken_resource(rule_id, type_, overrides):
    assert rule_id in fired(type_, patched(BASELINES[type_], overrides))


@pytest.mark.parametrize("rule_id, type_", sorted({(c[0], c[1]) for c in RESOURCE_CASES}))
def test_rule_is_silent_on_compliant_resource(rule_id, type_):
    assert rule_id not in baseline_fired(type_, BASELINES[type_])


CLUSTER_STACK = [
    res(RDS_CLUSTER, "aurora", {**BASELINES[RDS_CLUSTER], "clusterIdentifier": "prod-aurora"}),
    res(
        RDS_CLUSTER_INSTANCE,
        "aurora-1",
        {**BASELINES[RDS_CLUSTER_INSTANCE], "availabilityZone": "eu-west-1a"},
    ),
    res(
        RDS_CLUSTER_INSTANCE,
        "aurora-2",
        {**BASELINES[RDS_CLUSTER_INSTANCE], "availabilityZone": "eu-west-1b"},
    ),
]


def test_cluster_instances_in_two_zones_pass_the_multi_az_rule():
    assert "AWS-RDS-025" not in stack_fired(CLUSTER_STACK)


@pytest.mark.parametrize(
    "breaks",
    [
        lambda s: without(s, "aurora-2"),
        lambda s: replaced(s, "aurora-2", {"availabilityZone": "eu-west-1a"}),
    ],
    ids=["one-instance", "one-zone"],
)
def test_a_cluster_in_one_zone_fires_the_multi_az_rule(breaks):
    assert "AWS-RDS-025" in stack_fired(breaks(CLUSTER_STACK))
