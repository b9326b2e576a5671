"""Data-service config: PostgreSQL, Redis (Valkey) and Kafka, whether the stack runs each, and the
rules that depend on the environment.

Each section is the component's own settings model (components.postgres.PostgresSettings, ...) plus
`enabled` and `backend`. `managed` (RDS, ElastiCache, MSK) is the default and what prod must run;
`inCluster` runs a StatefulSet on the cluster's StorageClass (the encrypted gp3 class on EKS), where
only the `inCluster*` keys (and connectionPooling) matter. The `local` profile picks `inCluster`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from components.kafka import KafkaSettings
from components.postgres import PostgresSettings
from components.redis import RedisSettings
from stacks.config.errors import ConfigIssue

if TYPE_CHECKING:
    from stacks.config.model import StackConfig

Backend = Literal["managed", "inCluster"]
_BACKEND_DESCRIPTION = (
    "Who runs the service: `managed` ({managed}, the prod shape) or `inCluster` (a StatefulSet on the "
    "cluster's encrypted StorageClass: cheaper, but no PITR, no Multi-AZ and no AWS Backup). Refused in "
    "prod; `local` has no AWS and is always `inCluster`."
)


class PostgresConfig(PostgresSettings):
    """`groundwork:postgres`: RDS PostgreSQL (AWS) or a StatefulSet (local)."""

    enabled: bool = Field(default=True, description="Run PostgreSQL for the apps.")
    backend: Backend = Field(default="managed", description=_BACKEND_DESCRIPTION.format(managed="RDS"))


class RedisConfig(RedisSettings):
    """`groundwork:redis`: ElastiCache (AWS) or a StatefulSet (local)."""

    enabled: bool = Field(default=True, description="Run a Redis-protocol cache for the apps.")
    backend: Backend = Field(
        default="managed", description=_BACKEND_DESCRIPTION.format(managed="ElastiCache")
    )


class KafkaConfig(KafkaSettings):
    """`groundwork:kafka`: MSK (AWS) or KRaft brokers in the cluster (local)."""

    enabled: bool = Field(default=True, description="Run Kafka for the apps.")
    backend: Backend = Field(default="managed", description=_BACKEND_DESCRIPTION.format(managed="MSK"))


def in_cluster(config: StackConfig, kind: str) -> bool:
    """Whether the stack runs `kind` (postgres, redis, kafka) as a StatefulSet in its cluster."""
    return getattr(config, kind).backend == "inCluster"


def backend_issues(config: StackConfig) -> list[ConfigIssue]:
    """`local` has no AWS to run a managed service in; prod keeps its data on managed services (PITR,
    Multi-AZ, AWS Backup), so an in-cluster datastore there is refused."""
    issues: list[ConfigIssue] = []
    for kind in ("postgres", "redis", "kafka"):
        settings = getattr(config, kind)
        if not settings.enabled:
            continue
        if not config.on_aws and settings.backend == "managed":
            issues.append(
                ConfigIssue(
                    f"{kind}.backend",
                    settings.backend,
                    "must be 'inCluster' in local: local creates no AWS resources",
                )
            )
        if config.environment == "prod" and settings.backend == "inCluster":
            issues.append(
                ConfigIssue(
                    f"{kind}.backend",
                    settings.backend,
                    "prod must run 'managed': prod data stays on the managed service (backups, "
                    "point-in-time recovery, Multi-AZ); inCluster is for local, dev, qa and staging",
                )
            )
    return issues


def data_issues(config: StackConfig) -> list[ConfigIssue]:
    """Rules that depend on the environment or the network; they apply to managed services only."""
    issues = backend_issues(config)
    if not config.on_aws:
        return issues
    prod = config.environment == "prod"
    pg, redis, kafka = config.postgres, config.redis, config.kafka
    if pg.enabled and pg.backend == "managed" and prod and not pg.multi_az:
        issues.append(
            ConfigIssue(
                "postgres.multiAz",
                pg.multi_az,
                "prod must be Multi-AZ: a standby in another AZ takes over in 1-2 minutes",
            )
        )
    if redis.enabled and redis.backend == "managed" and prod and not redis.multi_az:
        issues.append(
            ConfigIssue(
                "redis.multiAz",
                redis.multi_az,
                "prod must be Multi-AZ with automatic failover (and at least 1 replica)",
            )
        )
    if kafka.enabled and kafka.backend == "managed":
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
