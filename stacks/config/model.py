"""The whole config of one stack, and the rules that span more than one key."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from stacks.config.backups import BackupsConfig, backups_issues
from stacks.config.base import ConfigModel, Environment
from stacks.config.cluster import ClusterConfig, cluster_issues
from stacks.config.common import Tags
from stacks.config.cost import BudgetConfig, UsageAssumptions, budget_issues
from stacks.config.data import KafkaConfig, PostgresConfig, RedisConfig, data_issues
from stacks.config.errors import ConfigIssue
from stacks.config.monitoring import MonitoringConfig, monitoring_issues
from stacks.config.network import NetworkConfig

_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")


class StackConfig(ConfigModel):
    """Everything one stack decides. Built by `stacks.config.loader` from Pulumi config plus the
    environment profile; components never see it, only the args the wiring derives from it."""

    stack: str
    environment: Environment
    region: str | None = None
    tags: Tags
    protect_stateful_resources: bool = False
    network: NetworkConfig = Field(default_factory=NetworkConfig)
    cluster: ClusterConfig = Field(default_factory=ClusterConfig)
    postgres: PostgresConfig = Field(default_factory=PostgresConfig)
    redis: RedisConfig = Field(default_factory=RedisConfig)
    kafka: KafkaConfig = Field(default_factory=KafkaConfig)
    monitoring: MonitoringConfig = Field(default_factory=MonitoringConfig)
    backups: BackupsConfig = Field(default_factory=BackupsConfig)
    budget: BudgetConfig = Field(default_factory=BudgetConfig)
    cost: UsageAssumptions = Field(default_factory=UsageAssumptions)

    @field_validator("region")
    @classmethod
    def _region(cls, value: str | None) -> str | None:
        if value is not None and not _REGION.match(value):
            raise ValueError("an AWS region name such as eu-west-1 or us-east-1")
        return value

    @property
    def on_aws(self) -> bool:
        return self.environment != "local"

    @property
    def availability_zones(self) -> list[str]:
        """The AZs the network spans: explicit ones from config, else the region's first ones."""
        if self.network.availability_zones:
            return list(self.network.availability_zones)
        return [f"{self.region}{letter}" for letter in "abc"[: self.network.az_count]]

    @property
    def standard_tags(self) -> dict[str, str]:
        """The tags every taggable AWS resource carries (components add `component`)."""
        return {
            "environment": self.environment,
            "project": "groundwork",
            "managed-by": "pulumi",
            "owner": self.tags.owner,
            "cost-center": self.tags.cost_center,
            **self.tags.extra,
        }


def cross_field_issues(config: StackConfig) -> list[ConfigIssue]:
    """Rules no single field can check; each names the key a user has to change."""
    return [
        *_network_issues(config),
        *cluster_issues(config.cluster, config.environment, config.on_aws),
        *data_issues(config),
        *monitoring_issues(config.environment, config.monitoring),
        *backups_issues(config.environment, config.region, config.backups),
        *budget_issues(config.environment, config.budget),
    ]


def _network_issues(config: StackConfig) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []
    net = config.network
    if config.environment == "local":
        if net.enabled:
            issues.append(
                ConfigIssue(
                    "network.enabled",
                    True,
                    "must be false in local: local runs on an existing kind cluster "
                    "and creates no AWS resources",
                )
            )
        return issues
    if config.region is None:
        issues.append(ConfigIssue("aws:region", None, "is required for an AWS environment; e.g. eu-west-1"))
    if not net.enabled:
        issues.append(
            ConfigIssue(
                "network.enabled",
                False,
                "must be true outside local: the cluster and data services need the VPC",
            )
        )
    if config.environment == "prod":
        if net.az_count != 3:
            issues.append(ConfigIssue("network.azCount", net.az_count, "prod needs 3 availability zones"))
        if net.nat_gateways != "perAz":
            issues.append(
                ConfigIssue(
                    "network.natGateways",
                    net.nat_gateways,
                    "prod needs 'perAz' so losing one AZ does not cut egress for the others",
                )
            )
    zones = net.availability_zones
    if zones is not None:
        if len(zones) != net.az_count:
            issues.append(
                ConfigIssue(
                    "network.availabilityZones", zones, f"must list exactly azCount ({net.az_count}) zones"
                )
            )
        if len(set(zones)) != len(zones):
            issues.append(ConfigIssue("network.availabilityZones", zones, "zones must be distinct"))
        if config.region and any(not z.startswith(config.region) for z in zones):
            issues.append(
                ConfigIssue(
                    "network.availabilityZones", zones, f"zones must be in the stack's region {config.region}"
                )
            )
    return issues
