"""CloudWatch alarms and budget as the AWS stacks send them."""

from __future__ import annotations

import json

import pytest

from tests.observability_harness import observe

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
# resource-name suffix -> (namespace, metric, comparison, threshold)
EXPECTED = {
    "rds-0-cpu": ("AWS/RDS", "CPUUtilization", "GreaterThanThreshold", 80),
    "rds-0-free-storage": ("AWS/RDS", "FreeStorageSpace", "LessThanThreshold", 10 * 1024**3),
    "rds-0-replica-lag": ("AWS/RDS", "ReplicaLag", "GreaterThanThreshold", 30),
    "rds-0-connections": ("AWS/RDS", "DatabaseConnections", "GreaterThanThreshold", 200),
    "redis-0-engine-cpu": ("AWS/ElastiCache", "EngineCPUUtilization", "GreaterThanThreshold", 80),
    "redis-0-memory": ("AWS/ElastiCache", "DatabaseMemoryUsagePercentage", "GreaterThanThreshold", 80),
    "redis-0-evictions": ("AWS/ElastiCache", "Evictions", "GreaterThanThreshold", 100),
    "redis-0-replication-lag": ("AWS/ElastiCache", "ReplicationLag", "GreaterThanThreshold", 10),
}
MSK = {
    "kafka-0-disk-used": ("KafkaDataLogsDiskUsed", 80),
    "kafka-0-under-replicated": ("UnderReplicatedPartitions", 0),
    "kafka-0-offline-partitions": ("OfflinePartitionsCount", 0),
}


def alarms(stack: str) -> dict[str, dict]:
    prefix = f"{stack}-alarms-"
    return {
        r.name.removeprefix(prefix): r.props
        for r in observe(stack).of_type(ALARM)
        if r.name.startswith(prefix)
    }


@pytest.mark.parametrize("suffix", sorted(EXPECTED))
def test_data_service_alarm_thresholds(suffix):
    namespace, metric, comparison, threshold = EXPECTED[suffix]
    alarm = alarms("prod")[suffix]
    assert (alarm["namespace"], alarm["metricName"], alarm["comparisonOperator"], alarm["threshold"]) == (
        namespace,
        metric,
        comparison,
        threshold,
    )


def test_alarms_watch_the_stand_in_datastores():
    found = alarms("prod")
    assert found["rds-0-cpu"]["dimensions"] == {"DBInstanceIdentifier": "prod-postgres"}
    assert found["redis-0-memory"]["dimensions"] == {"CacheClusterId": "prod-redis-001"}


@pytest.mark.parametrize("suffix", sorted(MSK))
def test_msk_alarms_aggregate_all_brokers_of_the_cluster(suffix):
    metric, threshold = MSK[suffix]
    alarm = alarms("prod")[suffix]
    expression = alarm["metricQueries"][0]["expression"]
    assert f"({metric})" in expression and "WHERE \"Cluster Name\" = 'prod-kafka'" in expression
    assert alarm["threshold"] == threshold


def test_every_alarm_notifies_the_encrypted_topic():
    capture = observe("prod")
    topic = capture.named("prod-alarms-alerts")
    assert topic.props["kmsMasterKeyId"] == capture.outputs["kms_key_arn"]
    topic_arn = capture.outputs["alarm_topic_arn"]
    found = [r.props for r in capture.of_type(ALARM)]
    assert found and all(a["actionsEnabled"] and a["alarmActions"] == [topic_arn] for a in found)


def test_topic_admits_only_this_accounts_alarms_and_budgets():
    (topic_policy,) = observe("prod").of_type("aws:sns/topicPolicy:TopicPolicy")
    policy = json.loads(topic_policy.props["policy"])
    publish = next(s for s in policy["Statement"] if s["Sid"] == "AlarmsAndBudgetsPublish")
    assert set(publish["Principal"]["Service"]) == {"cloudwatch.amazonaws.com", "budgets.amazonaws.com"}
    assert publish["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}


def test_platform_key_lets_budgets_use_the_topic_key():
    key = next(r for r in observe("prod").of_type("aws:kms/key:Key") if r.name == "prod-platform-key")
    statements = json.loads(key.props["policy"])["Statement"]
    services = next(s for s in statements if s["Sid"] == "ServicesUseKeyForThisAccount")
    assert "budgets.amazonaws.com" in services["Principal"]["Service"]


def test_prod_alarm_emails_subscribe_to_the_topic():
    subscriptions = observe("prod").of_type("aws:sns/topicSubscription:TopicSubscription")
    assert [(s.props["protocol"], s.props["endpoint"]) for s in subscriptions] == [
        ("email", "platform-oncall@example.com")
    ]


@pytest.mark.parametrize(
    # The plan's budget plus the stack file's named deltas (groundwork:budget, docs/cost.md).
    "stack,amount",
    [("dev", "315.00"), ("qa", "315.00"), ("staging", "970.00"), ("prod", "2240.00")],
)
def test_monthly_budget_per_stack(stack, amount):
    budget = observe(stack).named(f"{stack}-alarms-monthly").props
    assert (budget["limitAmount"], budget["limitUnit"], budget["timeUnit"]) == (amount, "USD", "MONTHLY")
    assert budget["costFilters"] == [{"name": "TagKeyValue", "values": [f"user:environment${stack}"]}]
    kinds = {(n["notificationType"], n["threshold"]) for n in budget["notifications"]}
    assert kinds == {("ACTUAL", 80), ("FORECASTED", 100)}


def test_local_has_no_aws_resources():
    assert [r.type for r in observe("local").resources if r.type.startswith("aws:")] == []
