"""Data-service config: PostgreSQL, Redis (Valkey) and Kafka, and the rules that span their keys.

On AWS environments each service runs managed (RDS, ElastiCache, MSK); in `local` it runs in the
cluster, and only the `inCluster*` keys matter there. Sizes per environment come from PROFILES
(the environment table in docs/design); a stack file overrides them key by key.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal

from pydantic import Field, field_validator

from components._lib.fields import LogRetentionDays
from stacks.config.base import ConfigModel
from stacks.config.errors import ConfigIssue

if TYPE_CHECKING:
    from stacks.config.model import StackConfig

# RDS instance families that run PostgreSQL, and the sizes they come in. A class outside these is
# almost always a typo, and RDS would reject it only after minutes of `pulumi up`.
_RDS_FAMILIES = (
    "t3",
    "t4g",
    "m5",
    "m5d",
    "m6g",
    "m6gd",
    "m6i",
    "m6id",
    "m6in",
    "m6idn",
    "m7g",
    "m7gd",
    "m7i",
    "m8g",
    "m8gd",
    "r5",
    "r5b",
    "r5d",
    "r6g",
    "r6gd",
    "r6i",
    "r6id",
    "r6in",
    "r6idn",
    "r7g",
    "r7gd",
    "r7i",
    "r8g",
    "r8gd",
    "x2g",
    "x2idn",
    "x2iedn",
)
_RDS_CLASS = re.compile(r"^db\.(?P<family>[a-z0-9]+)\.(?P<size>micro|small|medium|large|(?:\d+)?xlarge)$")
_CACHE_NODE = re.compile(r"^cache\.[a-z0-9]+\.(micro|small|medium|large|(\d+)?xlarge)$")
_KAFKA_INSTANCE = re.compile(r"^(express\.)?kafka\.[a-z0-9]+\.(small|large|(\d+)?xlarge)$")
_KAFKA_VERSION = re.compile(r"^(?P<major>\d+)\.\d+\.(x|\d+)(\.kraft)?$")
_WINDOW = re.compile(r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$")
_WEEKLY_WINDOW = re.compile(
    r"^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d-"
    r"(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d$"
)


def known_rds_class(value: str) -> bool:
    match = _RDS_CLASS.match(value)
    return bool(match and match["family"] in _RDS_FAMILIES)


def _daily_window(value: str) -> str:
    if not _WINDOW.match(value):
        raise ValueError("a daily UTC window hh:mm-hh:mm such as 03:00-04:00")
    return value


def _weekly_window(value: str) -> str:
    if not _WEEKLY_WINDOW.match(value):
        raise ValueError("a weekly UTC window ddd:hh:mm-ddd:hh:mm such as sun:04:30-sun:05:30")
    return value


class PostgresConfig(ConfigModel):
    """RDS PostgreSQL (AWS) or a StatefulSet (local). `connectionPooling` puts RDS Proxy (AWS) or
    PgBouncer (local) in front; apps find it as `poolerHost` in the connection Secret."""

    enabled: bool = True
    engine_version: str = "18.3"
    instance_class: str = "db.t3.micro"
    allocated_storage_gb: int = Field(default=20, ge=20, le=65536)
    max_allocated_storage_gb: int = Field(default=100, ge=20, le=65536)
    multi_az: bool = False
    read_replica: bool = False
    backup_retention_days: int = Field(default=7, ge=1, le=35)
    backup_window: str = "03:00-04:00"
    maintenance_window: str = "sun:04:30-sun:05:30"
    slow_statement_ms: int = Field(default=500, ge=0)
    log_retention_days: LogRetentionDays = 30
    connection_pooling: bool = False
    in_cluster_volume_gb: int = Field(default=5, ge=1)

    @field_validator("instance_class")
    @classmethod
    def _instance_class(cls, value: str) -> str:
        if not known_rds_class(value):
            raise ValueError("is not a known RDS class; e.g. db.t3.large")
        return value

    @field_validator("engine_version")
    @classmethod
    def _engine_version(cls, value: str) -> str:
        if not re.match(r"^\d{2}(\.\d+)?$", value):
            raise ValueError("a PostgreSQL version such as 18.3 (or a major version such as 18)")
        return value

    @field_validator("backup_window")
    @classmethod
    def _backup_window(cls, value: str) -> str:
        return _daily_window(value)

    @field_validator("maintenance_window")
    @classmethod
    def _maintenance_window(cls, value: str) -> str:
        return _weekly_window(value)


class RedisConfig(ConfigModel):
    """ElastiCache (AWS) or a StatefulSet (local). Valkey by default: the same protocol as Redis
    OSS, 20-33% cheaper per node on ElastiCache, and open source under BSD."""

    enabled: bool = True
    engine: Literal["valkey", "redis"] = "valkey"
    engine_version: str | None = None
    node_type: str = "cache.t4g.micro"
    replicas: int = Field(default=0, ge=0, le=5)
    multi_az: bool = False
    snapshot_retention_days: int = Field(default=7, ge=1, le=35)
    snapshot_window: str = "02:00-03:00"
    maintenance_window: str = "sun:05:30-sun:06:30"
    log_retention_days: LogRetentionDays = 30
    in_cluster_volume_gb: int = Field(default=2, ge=1)

    @field_validator("node_type")
    @classmethod
    def _node_type(cls, value: str) -> str:
        if not _CACHE_NODE.match(value):
            raise ValueError("an ElastiCache node type such as cache.t4g.micro or cache.m7g.large")
        return value

    @field_validator("snapshot_window")
    @classmethod
    def _snapshot_window(cls, value: str) -> str:
        return _daily_window(value)

    @field_validator("maintenance_window")
    @classmethod
    def _maintenance_window(cls, value: str) -> str:
        return _weekly_window(value)


class KafkaConfig(ConfigModel):
    """MSK (AWS) or KRaft brokers in the cluster (local)."""

    enabled: bool = True
    kafka_version: str = "4.1.x.kraft"
    broker_count: int = Field(default=2, ge=1, le=30)
    instance_type: str = "kafka.m7g.large"
    volume_size_gb: int = Field(default=100, ge=1, le=16384)
    max_volume_size_gb: int = Field(default=1000, ge=1, le=16384)
    # IAM by default: no static credential to store or rotate. "scram" adds a username/password in
    # Secrets Manager for clients that cannot sign IAM requests (it needs a rotation of its own).
    client_authentication: list[Literal["iam", "scram"]] = Field(
        default_factory=lambda: ["iam"], min_length=1
    )
    enhanced_monitoring: Literal[
        "DEFAULT", "PER_BROKER", "PER_TOPIC_PER_BROKER", "PER_TOPIC_PER_PARTITION"
    ] = "PER_TOPIC_PER_BROKER"
    log_retention_days: LogRetentionDays = 30
    in_cluster_nodes: Literal[1, 3] = 1
    in_cluster_volume_gb: int = Field(default=5, ge=1)

    @field_validator("instance_type")
    @classmethod
    def _instance_type(cls, value: str) -> str:
        if not _KAFKA_INSTANCE.match(value):
            raise ValueError("an MSK broker type such as kafka.m7g.large or kafka.t3.small")
        return value

    @field_validator("kafka_version")
    @classmethod
    def _version(cls, value: str) -> str:
        if not _KAFKA_VERSION.match(value):
            raise ValueError("an MSK Kafka version such as 4.1.x.kraft or 3.9.x")
        return value

    @field_validator("client_authentication")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("list each mechanism once")
        return value

    @property
    def major_version(self) -> int:
        match = _KAFKA_VERSION.match(self.kafka_version)
        return int(match["major"]) if match else 0


def data_issues(config: StackConfig) -> list[ConfigIssue]:
    """Rules across the data-service keys; only AWS environments have managed services to check."""
    if not config.on_aws:
        return []
    issues: list[ConfigIssue] = []
    prod = config.environment == "prod"
    pg, redis, kafka = config.postgres, config.redis, config.kafka
    if pg.enabled:
        if pg.max_allocated_storage_gb < pg.allocated_storage_gb:
            issues.append(
                ConfigIssue(
                    "postgres.maxAllocatedStorageGb",
                    pg.max_allocated_storage_gb,
                    f"must be at least allocatedStorageGb ({pg.allocated_storage_gb}); it is "
                    "the ceiling storage autoscaling may grow to",
                )
            )
        if prod and not pg.multi_az:
            issues.append(
                ConfigIssue(
                    "postgres.multiAz",
                    pg.multi_az,
                    "prod must be Multi-AZ: a standby in another AZ takes over in 1-2 minutes",
                )
            )
    if redis.enabled:
        if redis.multi_az and redis.replicas < 1:
            issues.append(
                ConfigIssue(
                    "redis.replicas", redis.replicas, "multiAz needs at least 1 replica to fail over to"
                )
            )
        if prod and not redis.multi_az:
            issues.append(
                ConfigIssue(
                    "redis.multiAz",
                    redis.multi_az,
                    "prod must be Multi-AZ with automatic failover (and at least 1 replica)",
                )
            )
    if kafka.enabled:
        az_count = config.network.az_count
        if kafka.broker_count % az_count:
            issues.append(
                ConfigIssue(
                    "kafka.brokerCount",
                    kafka.broker_count,
                    f"must be a multiple of the AZ count ({az_count}): MSK spreads brokers "
                    f"evenly over the {az_count} database subnets",
                )
            )
        if prod and kafka.broker_count < 3:
            issues.append(
                ConfigIssue(
                    "kafka.brokerCount",
                    kafka.broker_count,
                    "prod needs at least 3 brokers across 3 AZs (replication factor 3)",
                )
            )
        if kafka.max_volume_size_gb < kafka.volume_size_gb:
            issues.append(
                ConfigIssue(
                    "kafka.maxVolumeSizeGb",
                    kafka.max_volume_size_gb,
                    f"must be at least volumeSizeGb ({kafka.volume_size_gb})",
                )
            )
        if kafka.instance_type == "kafka.t3.small" and kafka.major_version >= 4:
            issues.append(
                ConfigIssue(
                    "kafka.instanceType",
                    kafka.instance_type,
                    f"MSK does not offer kafka.t3.small for Kafka {kafka.kafka_version}; "
                    "use kafka.m7g.large, or kafkaVersion 3.9.x for a small dev cluster",
                )
            )
    return issues
