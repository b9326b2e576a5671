"""The whole config of one stack, and the rules that span more than one key."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from components._lib import aws_values
from components.app_settings import AppSettings
from components.dns import DnsSettings
from components.object_store import BucketSettings
from components.registry import RegistrySettings
from components.security_baseline import SecurityBaselineSettings
from stacks.config.apps import apps_issues
from stacks.config.backups import BackupsConfig, backups_issues
from stacks.config.base import ConfigModel, Environment
from stacks.config.buckets import buckets_issues
from stacks.config.cluster import ClusterConfig, cluster_issues
from stacks.config.common import Tags
from stacks.config.cost import BudgetConfig, UsageAssumptions, budget_issues
from stacks.config.data import KafkaConfig, PostgresConfig, RedisConfig, data_issues
from stacks.config.edge import EdgeConfig, edge_issues
from stacks.config.errors import ConfigIssue
from stacks.config.monitoring import MonitoringConfig, monitoring_issues
from stacks.config.network import NetworkConfig
from stacks.config.security import security_baseline_issues
from stacks.config.vectors import VectorsConfig, vectors_issues, volume_backup_issues

_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")


class StackConfig(ConfigModel):
    """Everything one stack decides. Built by `stacks.config.loader` from Pulumi config plus the
    environment profile; components never see it, only the args the wiring derives from it."""

    stack: str = Field(description="The Pulumi stack's name (set by the loader, not a config key).")
    environment: Environment = Field(
        description="Which profile the stack starts from; defaults to the stack's name."
    )
    region: str | None = Field(
        default=None, description="The AWS region; required for every stack but `local`."
    )
    tags: Tags = Field(description="Who owns the stack and who pays for it.")
    protect_stateful_resources: bool = Field(
        default=True,
        description="Pulumi refuses to delete databases, caches, brokers, buckets, keys and vaults, and "
        "RDS and EKS keep their own deletion protection on; turned off only for disposable stacks.",
    )
    network: NetworkConfig = Field(default_factory=NetworkConfig)
    cluster: ClusterConfig = Field(default_factory=ClusterConfig)
    postgres: PostgresConfig = Field(default_factory=PostgresConfig)
    redis: RedisConfig = Field(default_factory=RedisConfig)
    kafka: KafkaConfig = Field(default_factory=KafkaConfig)
    vectors: VectorsConfig = Field(default_factory=VectorsConfig)
    monitoring: MonitoringConfig = Field(default_factory=MonitoringConfig)
    backups: BackupsConfig = Field(default_factory=BackupsConfig)
    buckets: dict[str, BucketSettings] = Field(
        default_factory=dict,
        description="The apps' object storage, by bucket name (a DNS label of at most 20 characters): S3 "
        "on AWS, an S3-compatible server in the cluster on local; an app lists a bucket in `uses` to get "
        "its own prefix (docs/data-services.md). Defaults to none.",
    )
    apps: dict[str, AppSettings] = Field(
        default_factory=dict,
        description="The teams' own services, by app name (a DNS label): image, port, replicas, "
        "bindings to the stack's data services, secrets, SLOs (docs/apps.md). Defaults to none.",
    )
    dns: DnsSettings | None = Field(
        default=None,
        description="The stack's domain and its Route 53 zone (created or existing), where exposed apps "
        "get their names and the certificate is validated. Defaults to none (no app exposed).",
    )
    edge: EdgeConfig = Field(default_factory=EdgeConfig)
    registry: RegistrySettings = Field(default_factory=RegistrySettings)
    security_baseline: SecurityBaselineSettings = Field(default_factory=SecurityBaselineSettings)
    budget: BudgetConfig = Field(default_factory=BudgetConfig)
    cost: UsageAssumptions = Field(default_factory=UsageAssumptions)

    @field_validator("region")
    @classmethod
    def _region(cls, value: str | None) -> str | None:
        return None if value is None else aws_values.region(value)

    @property
    def on_aws(self) -> bool:
        return self.environment != "local"

    @property
    def availability_zones(self) -> list[str]:
        """The AZs the network spans: explicit ones from config, else the region's first ones."""
        return self.network.zones(self.region or "")

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
        *vectors_issues(config),
        *volume_backup_issues(config),
        *monitoring_issues(config.environment, config.monitoring),
        *backups_issues(config.environment, config.region, config.backups),
        *buckets_issues(config),
        *apps_issues(config),
        *edge_issues(config),
        *security_baseline_issues(
            config.environment, config.security_baseline, config.monitoring.alarms.enabled
        ),
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
    if zones is not None and config.region and any(not z.startswith(config.region) for z in zones):
        issues.append(
            ConfigIssue(
                "network.availabilityZones", zones, f"zones must be in the stack's region {config.region}"
            )
        )
    return issues
