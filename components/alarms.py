"""AWS-side alarms: CloudWatch alarms on the managed data services and a monthly cost budget, all
publishing to one KMS-encrypted SNS topic. They watch what in-cluster Prometheus cannot see (the
managed services' hosts, storage and replication) and keep working when the cluster is down."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
from pydantic import Field, InstanceOf, field_validator

from components._lib.args import ComponentArgs, Input
from components.tagging import component_tags

GIB = 1024**3


@dataclass(frozen=True)
class Threshold:
    """One alarm: metric, statistic, comparison and how long it must hold (periods x period_seconds)."""

    key: str
    metric: str
    statistic: str
    comparison: str
    threshold: float
    periods: int = 3
    period_seconds: int = 300
    description: str = ""
    treat_missing_data: str = "missing"


# Defaults a reviewer can read in one place. Replica and replication lag metrics only exist on
# replicas, so missing data there is "not breaching" rather than an alarm.
RDS_THRESHOLDS = (
    Threshold(
        "cpu",
        "CPUUtilization",
        "Average",
        "GreaterThanThreshold",
        80,
        3,
        description="RDS CPU above 80% for 15 minutes",
    ),
    Threshold(
        "free-storage",
        "FreeStorageSpace",
        "Minimum",
        "LessThanThreshold",
        10 * GIB,
        1,
        description="RDS free storage below 10 GiB (storage autoscaling may be exhausted)",
    ),
    Threshold(
        "replica-lag",
        "ReplicaLag",
        "Maximum",
        "GreaterThanThreshold",
        30,
        2,
        description="RDS replica more than 30 s behind for 10 minutes (RPO 5 min at risk)",
        treat_missing_data="notBreaching",
    ),
    Threshold(
        "connections",
        "DatabaseConnections",
        "Maximum",
        "GreaterThanThreshold",
        200,
        3,
        description="RDS connections above 200 for 15 minutes (pool leak or saturation)",
    ),
)
ELASTICACHE_THRESHOLDS = (
    # Redis runs commands on one core, so the engine's own CPU is the saturation signal.
    Threshold(
        "engine-cpu",
        "EngineCPUUtilization",
        "Average",
        "GreaterThanThreshold",
        80,
        3,
        description="Redis engine CPU above 80% for 15 minutes",
    ),
    Threshold(
        "memory",
        "DatabaseMemoryUsagePercentage",
        "Maximum",
        "GreaterThanThreshold",
        80,
        3,
        description="Redis memory above 80% of maxmemory for 15 minutes",
    ),
    Threshold(
        "evictions",
        "Evictions",
        "Sum",
        "GreaterThanThreshold",
        100,
        1,
        description="Redis evicted more than 100 keys in 5 minutes (memory pressure)",
    ),
    Threshold(
        "replication-lag",
        "ReplicationLag",
        "Maximum",
        "GreaterThanThreshold",
        10,
        2,
        description="Redis replica more than 10 s behind its primary for 10 minutes",
        treat_missing_data="notBreaching",
    ),
)


@dataclass(frozen=True)
class MskQuery:
    """An MSK alarm over all brokers of one cluster (Metrics Insights aggregates the per-broker series)."""

    name: str
    function: str
    metric: str
    dimensions: tuple[str, ...]
    threshold: float
    periods: int
    description: str


MSK_QUERIES = (
    MskQuery(
        "disk-used",
        "MAX",
        "KafkaDataLogsDiskUsed",
        ("Broker ID", "Cluster Name"),
        80,
        2,
        "An MSK broker's data disk is more than 80% full",
    ),
    MskQuery(
        "under-replicated",
        "SUM",
        "UnderReplicatedPartitions",
        ("Broker ID", "Cluster Name"),
        0,
        2,
        "MSK has under-replicated partitions for 10 minutes (a broker is down or lagging)",
    ),
    MskQuery(
        "offline-partitions",
        "SUM",
        "OfflinePartitionsCount",
        ("Cluster Name",),
        0,
        1,
        "MSK has offline partitions: producers and consumers of them are failing",
    ),
)


class AlarmsSettings(ComponentArgs):
    """Who hears about the AWS-side alarms: the keys of `groundwork:monitoring.alarms` (what the stack
    may spend is `groundwork:budget`, handed in as `AlarmsArgs.monthly_budget_usd`)."""

    emails: list[str] = Field(
        default_factory=list,
        description="Subscribed to the alarm topic (each must confirm the subscription AWS mails them).",
    )

    @field_validator("emails")
    @classmethod
    def _emails(cls, value: list[str]) -> list[str]:
        bad = [v for v in value if "@" not in v]
        if bad:
            raise ValueError(f"email addresses such as oncall@example.com, not {bad}")
        return value


class AlarmsArgs(ComponentArgs):
    """The settings plus what to watch: the managed data services the stack created."""

    settings: AlarmsSettings = Field(default_factory=AlarmsSettings, description="Recipients.")
    monthly_budget_usd: int | None = Field(
        default=None,
        ge=1,
        description="A monthly cost budget warning at 80% actual and 100% forecast spend; unset: no budget.",
    )
    kms_key_arn: Input[str] = Field(
        description="Encrypts the SNS topic; its policy must let cloudwatch.amazonaws.com and "
        "budgets.amazonaws.com use it (the platform key does)."
    )
    rds_instance_ids: Sequence[Input[str]] = Field(default=(), description="RDS instances to watch.")
    cache_cluster_ids: Sequence[Input[str]] = Field(
        default=(),
        description="ElastiCache reports per node: each member cluster id (`<replication-group>-001`, ...).",
    )
    msk_cluster_names: Sequence[Input[str]] = Field(default=(), description="MSK clusters to watch.")
    budget_tag_filter: tuple[str, str] | None = Field(
        default=None,
        description="Restrict the budget to resources with this tag (a user cost-allocation tag that must "
        "be activated in Billing), for accounts that hold more than one stack.",
    )
    rds_thresholds: Sequence[InstanceOf[Threshold]] = Field(
        default=RDS_THRESHOLDS, description="The RDS alarms."
    )
    elasticache_thresholds: Sequence[InstanceOf[Threshold]] = Field(
        default=ELASTICACHE_THRESHOLDS, description="The ElastiCache alarms."
    )
    tags: Mapping[str, str] = Field(default_factory=dict, description="The stack's tags.")


class Alarms(pulumi.ComponentResource):
    topic_arn: pulumi.Output[str]
    alarm_names: list[str]

    def __init__(self, name: str, args: AlarmsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("groundwork:alarms:Alarms", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = component_tags(args.tags, name)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        account = aws.get_caller_identity_output(opts=invoke).account_id
        partition = aws.get_partition_output(opts=invoke).partition

        topic = aws.sns.Topic(f"{name}-alerts", kms_master_key_id=args.kms_key_arn, tags=tags, opts=child)
        aws.sns.TopicPolicy(
            f"{name}-alerts-policy",
            arn=topic.arn,
            policy=pulumi.Output.all(topic.arn, account, partition).apply(
                lambda parts: _topic_policy(*parts)
            ),
            opts=child,
        )
        for index, email in enumerate(args.settings.emails):
            aws.sns.TopicSubscription(
                f"{name}-email-{index}", topic=topic.arn, protocol="email", endpoint=email, opts=child
            )
        self.alarm_names = []
        actions = [topic.arn]

        for index, instance in enumerate(args.rds_instance_ids):
            for t in args.rds_thresholds:
                self._metric_alarm(
                    f"{name}-rds-{index}-{t.key}",
                    "AWS/RDS",
                    {"DBInstanceIdentifier": instance},
                    t,
                    actions,
                    tags,
                )
        for index, cache_cluster in enumerate(args.cache_cluster_ids):
            for t in args.elasticache_thresholds:
                self._metric_alarm(
                    f"{name}-redis-{index}-{t.key}",
                    "AWS/ElastiCache",
                    {"CacheClusterId": cache_cluster},
                    t,
                    actions,
                    tags,
                )
        for index, cluster in enumerate(args.msk_cluster_names):
            for q in MSK_QUERIES:
                self._msk_alarm(f"{name}-kafka-{index}-{q.name}", cluster, q, actions, tags)

        if args.monthly_budget_usd is not None:
            self._budget(name, args, topic)
        self.topic_arn = topic.arn
        self.register_outputs({"topic_arn": self.topic_arn, "alarm_names": self.alarm_names})

    def _metric_alarm(
        self,
        resource_name: str,
        namespace: str,
        dimensions: Mapping[str, pulumi.Input[str]],
        t: Threshold,
        actions: list,
        tags: Mapping[str, str],
    ) -> None:
        aws.cloudwatch.MetricAlarm(
            resource_name,
            alarm_description=t.description,
            namespace=namespace,
            metric_name=t.metric,
            dimensions=dict(dimensions),
            statistic=t.statistic,
            comparison_operator=t.comparison,
            threshold=t.threshold,
            period=t.period_seconds,
            evaluation_periods=t.periods,
            datapoints_to_alarm=t.periods,
            treat_missing_data=t.treat_missing_data,
            actions_enabled=True,
            alarm_actions=actions,
            ok_actions=actions,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.alarm_names.append(resource_name)

    def _msk_alarm(
        self,
        resource_name: str,
        cluster: pulumi.Input[str],
        q: MskQuery,
        actions: list,
        tags: Mapping[str, str],
    ) -> None:
        schema = ", ".join(f'"{d}"' if " " in d else d for d in q.dimensions)
        expression = pulumi.Output.from_input(cluster).apply(
            lambda c: (
                f'SELECT {q.function}({q.metric}) FROM SCHEMA("AWS/Kafka", {schema}) '
                f"WHERE \"Cluster Name\" = '{c}'"
            )
        )
        aws.cloudwatch.MetricAlarm(
            resource_name,
            alarm_description=q.description,
            comparison_operator="GreaterThanThreshold",
            threshold=q.threshold,
            evaluation_periods=q.periods,
            datapoints_to_alarm=q.periods,
            treat_missing_data="missing",
            metric_queries=[
                aws.cloudwatch.MetricAlarmMetricQueryArgs(
                    id="q1", expression=expression, period=300, return_data=True, label=q.metric
                )
            ],
            actions_enabled=True,
            alarm_actions=actions,
            ok_actions=actions,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.alarm_names.append(resource_name)

    def _budget(self, name: str, args: AlarmsArgs, topic: aws.sns.Topic) -> None:
        notifications = [
            aws.budgets.BudgetNotificationArgs(
                comparison_operator="GREATER_THAN",
                notification_type=kind,
                threshold=percent,
                threshold_type="PERCENTAGE",
                subscriber_sns_topic_arns=[topic.arn],
            )
            for kind, percent in (("ACTUAL", 80), ("FORECASTED", 100))
        ]
        filters = []
        if args.budget_tag_filter is not None:
            key, value = args.budget_tag_filter
            filters.append(
                aws.budgets.BudgetCostFilterArgs(name="TagKeyValue", values=[f"user:{key}${value}"])
            )
        aws.budgets.Budget(
            f"{name}-monthly",
            name=f"groundwork-{name}-monthly",
            budget_type="COST",
            time_unit="MONTHLY",
            limit_amount=f"{args.monthly_budget_usd:.2f}",
            limit_unit="USD",
            cost_filters=filters or None,
            notifications=notifications,
            tags=component_tags(args.tags, name),
            opts=pulumi.ResourceOptions(parent=self),
        )


def _topic_policy(topic_arn: str, account: str, partition: str) -> str:
    """CloudWatch alarms, AWS Budgets and EventBridge rules of this account may publish; nobody else may."""
    region = topic_arn.split(":")[3]
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AccountManagesTopic",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:{partition}:iam::{account}:root"},
                    "Action": [
                        "sns:GetTopicAttributes",
                        "sns:SetTopicAttributes",
                        "sns:Subscribe",
                        "sns:ListSubscriptionsByTopic",
                        "sns:Publish",
                    ],
                    "Resource": topic_arn,
                },
                {
                    "Sid": "AlarmsAndBudgetsPublish",
                    "Effect": "Allow",
                    "Principal": {"Service": ["budgets.amazonaws.com", "cloudwatch.amazonaws.com"]},
                    "Action": "sns:Publish",
                    "Resource": topic_arn,
                    "Condition": {"StringEquals": {"aws:SourceAccount": account}},
                },
                {
                    # The security baseline's EventBridge rules in this account and region.
                    "Sid": "EventBridgeRulesPublish",
                    "Effect": "Allow",
                    "Principal": {"Service": "events.amazonaws.com"},
                    "Action": "sns:Publish",
                    "Resource": topic_arn,
                    "Condition": {
                        "StringEquals": {"aws:SourceAccount": account},
                        "ArnLike": {"aws:SourceArn": f"arn:{partition}:events:{region}:{account}:rule/*"},
                    },
                },
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "sns:Publish",
                    "Resource": topic_arn,
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
            ],
        }
    )
