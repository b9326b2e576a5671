"""policy/rules/aws/cloudwatch.py: each rule fires on a broken copy of a compliant log group, alarm or
prod stack (datastores watched by an alarm) and stays silent on the compliant original."""

import pytest

from tests.policy._cases import DROP, baseline_fired, fired, patched, replaced, res, stack_fired, without
from tests.policy.rules._stack import ALLOW_EU, STACK, TAGS, compliant_findings

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"

BASELINES = {
    LOG_GROUP: {"retentionInDays": 365.0, "kmsKeyId": "arn:aws:kms:eu-west-1:1:key/k"},
    ALARM: {"actionsEnabled": True, "alarmActions": ["arn:aws:sns:eu-west-1:1:alerts"]},
}

RESOURCE_CASES = [
    ("AWS-CW-001", LOG_GROUP, {"retentionInDays": DROP}),
    ("AWS-CW-001", LOG_GROUP, {"retentionInDays": 30.0}),
    ("AWS-CW-002", LOG_GROUP, {"kmsKeyId": DROP}),
    ("AWS-CW-003", ALARM, {"alarmActions": DROP}),
    ("AWS-CW-003", ALARM, {"actionsEnabled": False}),
]


def _case_id(case):
    return f"{case[0]}-{case[1].rsplit(':', 1)[1]}-{'+'.join(case[2])}"


@pytest.mark.parametrize("rule_id, type_, overrides", RESOURCE_CASES, ids=map(_case_id, RESOURCE_CASES))
def test_rule_fires_on_broken_resource(rule_id, type_, overrides):
    assert rule_id in fired(type_, patched(BASELINES[type_], overrides))


@pytest.mark.parametrize("rule_id, type_", sorted({(c[0], c[1]) for c in RESOURCE_CASES}))
def test_rule_is_silent_on_compliant_resource(rule_id, type_):
    assert rule_id not in baseline_fired(type_, BASELINES[type_])


def test_ten_years_of_retention_is_long_not_forever():
    assert "AWS-CW-001" not in fired(LOG_GROUP, patched(BASELINES[LOG_GROUP], {"retentionInDays": 3653.0}))


def test_retention_minimum_comes_from_the_environment_config():
    short = patched(BASELINES[LOG_GROUP], {"retentionInDays": 30.0})
    assert "AWS-CW-001" not in fired(LOG_GROUP, short, environment="dev")


REDIS_WITHOUT_SLOW_LOG = res(
    "aws:elasticache/replicationGroup:ReplicationGroup",
    "redis-rg",
    {
        "replicationGroupId": "prod-redis",
        "engine": "redis",
        "logDeliveryConfigurations": [
            {
                "logType": "engine-log",
                "destinationType": "cloudwatch-logs",
                "logFormat": "json",
                "destination": "/redis",
            }
        ],
    },
)
STACK_CASES = [
    lambda s: without(s, "db-cpu"),
    lambda s: replaced(s, "kafka-offline", {"alarmActions": []}),
    lambda s: [*s, REDIS_WITHOUT_SLOW_LOG],
]


@pytest.mark.parametrize(
    "breaks", STACK_CASES, ids=["database-unwatched", "alarm-without-action", "no-slow-log"]
)
def test_datastore_observation_fires_on_broken_stack(breaks):
    assert "STACK-OBS-001" in stack_fired(breaks(STACK), config=ALLOW_EU)


def test_datastore_observation_is_silent_on_compliant_stack():
    assert "STACK-OBS-001" not in compliant_findings()


def test_a_metrics_insights_alarm_watches_the_cluster_it_queries():
    insights = res(
        ALARM,
        "kafka-disk",
        {
            "alarmActions": ["arn:aws:sns:1:alerts"],
            "tags": TAGS,
            "metricQueries": [
                {
                    "id": "q1",
                    "expression": "SELECT MAX(KafkaDataLogsDiskUsed) "
                    'FROM SCHEMA("AWS/Kafka", "Cluster Name") '
                    "WHERE \"Cluster Name\" = 'prod-kafka'",
                }
            ],
        },
    )
    assert "STACK-OBS-001" not in stack_fired([*without(STACK, "kafka-offline"), insights])
