"""Data-service config: PostgreSQL, Redis (Valkey) and Kafka, whether the stack runs each, and the
rules that depend on the environment.

Each section is the component's own settings model (components.postgres.PostgresSettings, ...) plus
`enabled`. On AWS environments each service runs managed (RDS, ElastiCache, MSK); in `local` it runs
in the cluster, and only the `inCluster*` keys (and connectionPooling) matter there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from components.kafka import KafkaSettings
from components.postgres import PostgresSettings
from components.redis import RedisSettings
from stacks.config.errors import ConfigIssue

if TYPE_CHECKING:
    from stacks.config.model import StackConfig


class PostgresConfig(PostgresSettings):
    """`groundwork:postgres`: RDS PostgreSQL (AWS) or a StatefulSet (local)."""

    enabled: bool = Field(default=True, description="Run PostgreSQL for the apps.")


class RedisConfig(RedisSettings):
    """`groundwork:redis`: ElastiCache (AWS) or a StatefulSet (local)."""

    enabled: bool = Field(default=True, description="Run a Redis-protocol cache for the apps.")


class KafkaConfig(KafkaSettings):
    """`groundwork:kafka`: MSK (AWS) or KRaft brokers in the cluster (local)."""

    enabled: bool = Field(default=True, description="Run Kafka for the apps.")


def data_issues(config: StackConfig) -> list[ConfigIssue]:
    """Rules that depend on the environment or the network; only AWS stacks have managed services."""
    if not config.on_aws:
        return []
    issues: list[ConfigIssue] = []
    prod = config.environment == "prod"
    pg, redis, kafka = config.postgres, config.redis, config.kafka
    if pg.enabled and prod and not pg.multi_az:
        issues.append(
            ConfigIssue(
                "postgres.multiAz",
                pg.multi_az,
                "prod must be Multi-AZ: a standby in another AZ takes over in 1-2 minutes",
            )
        )
    if redis.enabled and prod and not redis.multi_az:
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
    return issues
