"""The usage the estimate cannot read from the resources: named, bounded, per environment.

A price table says what a GB of logs costs; only the platform owner can say how many GB a month
the stack will write. Every such quantity is a field here, set per environment by PROFILES and
overridden per stack under `groundwork:cost` (the stack config embeds this model as `cost`), so
no estimate line rests on a hidden constant. The policy pack resolves the same values from the
environment's profile plus its rule config (`assumptions`), and a test keeps the two in step.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


def _gb(description: str, default: float) -> Any:
    return Field(default=default, ge=0, le=1_000_000, description=description)


class UsageAssumptions(BaseModel):
    """Usage-driven quantities behind the estimate (`groundwork:cost`)."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True, validate_default=True
    )

    spot_discount_percent: float = Field(
        default=60,
        ge=0,
        le=90,
        description="Discount of Spot node groups against On-Demand. Spot prices move with demand; 60% "
        "is a conservative reading of the t3 family in the EU regions (AWS: 'up to 90%').",
    )
    container_logs_gb_per_month: float = _gb("GB a month the log shipper sends to CloudWatch Logs.", 10)
    control_plane_logs_gb_per_month: float = _gb(
        "GB a month of EKS control-plane logs (api, audit, authenticator, controllerManager, scheduler).", 5
    )
    flow_logs_gb_per_month: float = _gb("GB a month of VPC flow logs delivered to CloudWatch Logs.", 5)
    service_logs_gb_per_month: float = _gb(
        "GB a month written to each log group of a managed data service (RDS, ElastiCache, MSK).", 0.5
    )
    rds_enhanced_monitoring_gb_per_month: float = _gb(
        "GB a month of RDS enhanced-monitoring metrics per instance (CloudWatch Logs RDSOSMetrics).", 0.3
    )
    nat_gb_per_month: float = _gb("GB a month processed by each NAT gateway.", 50)
    endpoint_gb_per_month: float = _gb("GB a month processed by each interface VPC endpoint.", 10)
    backup_daily_change_percent: float = Field(
        default=2,
        ge=0,
        le=100,
        description="Share of a database's storage that changes a day: the incremental backups and "
        "snapshots kept over the retention period grow by this much a day.",
    )
    cache_dataset_gb: float = _gb("GB held by each Redis/Valkey replication group (its snapshot size).", 1)
    kafka_topics: int = Field(
        default=10, ge=0, le=100_000, description="Topics on the managed Kafka cluster (per-topic metrics)."
    )
    msk_broker_metrics: int = Field(
        default=30,
        ge=0,
        le=1000,
        description="CloudWatch metrics each broker publishes at enhanced monitoring PER_BROKER.",
    )
    msk_topic_metrics: int = Field(
        default=6,
        ge=0,
        le=1000,
        description="CloudWatch metrics per topic and broker at PER_TOPIC_PER_BROKER.",
    )
    exports_bucket_gb: float = _gb("GB stored in the backup exports bucket (Velero, database exports).", 20)
    access_logs_bucket_gb: float = _gb("GB stored in the S3 access-log bucket.", 1)
    other_bucket_gb: float = _gb("GB stored in any other bucket the stack creates.", 5)
    ecr_gb_per_repository: float = _gb("GB of images kept in each ECR repository.", 2)
    alb_lcu_per_hour: float = _gb(
        "Load balancer capacity units an Application Load Balancer uses an hour.", 1
    )
    nlb_lcu_per_hour: float = _gb("Capacity units a Network Load Balancer uses an hour.", 1)
    waf_million_requests_per_month: float = _gb("Million requests a month each WAF web ACL inspects.", 5)
    restore_test_restore_hours: float = _gb(
        "Hours a restore-test restore takes before its validation window starts.", 1
    )
    guardduty_usd_per_month: float = _gb(
        "USD a month GuardDuty bills for what it analyses (CloudTrail management events, VPC flow and "
        "DNS logs, EKS audit logs, runtime-monitored vCPUs, S3 data events): usage-priced, so an "
        "assumption until the account's first GuardDuty bill (its 30-day trial shows the figure).",
        40,
    )


# Per environment (camelCase, like every profile); a stack file overrides key by key.
PROFILES: dict[str, dict[str, Any]] = {
    "local": {},
    "dev": {
        "containerLogsGbPerMonth": 5,
        "controlPlaneLogsGbPerMonth": 2,
        "flowLogsGbPerMonth": 2,
        "serviceLogsGbPerMonth": 0.2,
        "natGbPerMonth": 20,
        "endpointGbPerMonth": 5,
        "cacheDatasetGb": 0.5,
        "kafkaTopics": 5,
        "exportsBucketGb": 5,
        "accessLogsBucketGb": 0.5,
        "wafMillionRequestsPerMonth": 1,
        "guarddutyUsdPerMonth": 10,
    },
    "qa": {
        "containerLogsGbPerMonth": 5,
        "controlPlaneLogsGbPerMonth": 2,
        "flowLogsGbPerMonth": 2,
        "serviceLogsGbPerMonth": 0.2,
        "natGbPerMonth": 20,
        "endpointGbPerMonth": 5,
        "cacheDatasetGb": 0.5,
        "kafkaTopics": 5,
        "exportsBucketGb": 5,
        "accessLogsBucketGb": 0.5,
        "wafMillionRequestsPerMonth": 1,
        "guarddutyUsdPerMonth": 10,
    },
    "staging": {
        "containerLogsGbPerMonth": 15,
        "controlPlaneLogsGbPerMonth": 5,
        "flowLogsGbPerMonth": 5,
        "serviceLogsGbPerMonth": 0.5,
        "natGbPerMonth": 50,
        "endpointGbPerMonth": 10,
        "cacheDatasetGb": 1,
        "kafkaTopics": 10,
        "exportsBucketGb": 20,
        "accessLogsBucketGb": 1,
        "wafMillionRequestsPerMonth": 5,
        "guarddutyUsdPerMonth": 20,
    },
    "prod": {
        "containerLogsGbPerMonth": 50,
        "controlPlaneLogsGbPerMonth": 15,
        "flowLogsGbPerMonth": 20,
        "serviceLogsGbPerMonth": 1,
        "natGbPerMonth": 100,
        "endpointGbPerMonth": 30,
        "cacheDatasetGb": 2,
        "kafkaTopics": 20,
        "exportsBucketGb": 100,
        "accessLogsBucketGb": 5,
        "wafMillionRequestsPerMonth": 30,
    },
}


def for_environment(environment: str, overrides: Mapping[str, Any] | None = None) -> UsageAssumptions:
    """The environment's profile with `overrides` (camelCase keys) on top."""
    return UsageAssumptions.model_validate({**PROFILES.get(environment, {}), **dict(overrides or {})})


def key(field_name: str) -> str:
    """The config key of a field, as a user writes it: `groundwork:cost.natGbPerMonth`."""
    return f"cost.{to_camel(field_name)}"
