"""Redis-protocol cache for the apps: ElastiCache on AWS, a StatefulSet for `local`, same outputs.

The engine is Valkey by default: the open-source (BSD) continuation of Redis OSS 7.2, spoken by
every Redis client, and priced 20% lower per node on ElastiCache than Redis OSS. `engine="redis"`
stays available for apps that need a Redis-only feature.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pulumi_random as random
from pydantic import Field, field_validator, model_validator

from components._lib.args import SettingError
from components._lib.fields import CacheDailyWindow, CacheNodeType, CacheWeeklyWindow
from components.datastore import (
    DataService,
    DataServiceArgs,
    DataServiceSettings,
    InClusterWorkload,
    ManagedNetworkArgs,
    client_only_security_group,
    connection_secret,
    data_statefulset,
    datastore_tags,
    in_cluster_service_access,
    log_group,
    managed_service_egress,
    restricted_container_security_context,
    workload_labels,
)
from components.tagging import component_tags

# ElastiCache engine versions: "ElastiCache version 9.1 for Valkey" is the newest in the
# ElastiCache engine-versions guide (read 2026-11-25); Redis OSS stops at 7.1 on ElastiCache.
ENGINE_VERSIONS = {"valkey": "9.1", "redis": "7.1"}
# The Valkey project's image (valkey.io/download: 9.1.4 released 2026-11-18, read 2026-11-25).
VALKEY_IMAGE = "docker.io/valkey/valkey:9.1.4"
VALKEY_UID = 999  # the `valkey` user of the Debian-based image
PORT = 6379
# The connection Secret's keys, the same on both backends (components.datastore.connection_secret).
CONNECTION_KEYS = ("host", "readerHost", "port", "username", "password", "tls")


class RedisSettings(DataServiceSettings):
    """The keys of `groundwork:redis`. Defaults are prod's shape (a primary and a replica in another
    AZ with automatic failover, 30 days of snapshots). On the in-cluster backend only
    inClusterVolumeGb applies."""

    engine: Literal["valkey", "redis"] = Field(
        default="valkey",
        description="Valkey: the same protocol as Redis OSS, 20-33% cheaper per node on ElastiCache, and "
        "open source under BSD; `redis` for an app that needs a Redis-only feature.",
    )
    engine_version: str | None = Field(
        default=None, description="The engine version; unset, the one pinned in code for the engine."
    )
    node_type: CacheNodeType = Field(default="cache.t4g.medium", description="The size of every node.")
    replicas: int = Field(
        default=1,
        ge=0,
        le=5,
        description="Read replicas; with at least one, ElastiCache promotes a replica when the primary "
        "fails (automatic failover).",
    )
    multi_az: bool = Field(
        default=True, description="Place the replicas in other AZs than the primary (needs replicas >= 1)."
    )
    snapshot_retention_days: int = Field(
        default=30, ge=1, le=35, description="Daily snapshots are kept this many days."
    )
    snapshot_window: CacheDailyWindow = Field(
        default="02:00-03:00", description="When the daily snapshot runs (UTC)."
    )
    maintenance_window: CacheWeeklyWindow = Field(
        default="sun:05:30-sun:06:30", description="When ElastiCache may patch the nodes (UTC)."
    )
    in_cluster_volume_gb: int = Field(default=2, ge=1, description="The in-cluster cache's volume (local).")

    @field_validator("engine_version")
    @classmethod
    def _engine_version(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"\d+(\.\d+){0,2}", value):
            raise ValueError("an engine version such as 9.1 or 7.1 (digits and dots only)")
        return value

    @model_validator(mode="after")
    def _failover_target(self) -> RedisSettings:
        if self.multi_az and self.replicas < 1:
            raise SettingError("replicas", self.replicas, "multiAz needs at least 1 replica to fail over to")
        return self


class RedisArgs(DataServiceArgs):
    """One cache for the apps: the settings plus the data-service wiring."""

    settings: RedisSettings = Field(default_factory=RedisSettings, description="The cache's shape.")
    workload: InClusterWorkload = Field(
        default_factory=lambda: InClusterWorkload(
            image=VALKEY_IMAGE, cpu_request="50m", memory_request="128Mi", memory_limit="256Mi"
        ),
        description="The in-cluster cache's container.",
    )


class Redis(DataService):
    """A Redis-protocol cache behind the data-service contract, plus a reader endpoint."""

    reader_endpoint: pulumi.Output[str]

    def __init__(self, name: str, args: RedisArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("groundwork:redis:Redis", name, args, opts)
        self.port = pulumi.Output.from_input(PORT)
        # AUTH token / password: 64 alphanumerics (ElastiCache allows 16-128 printable characters
        # but not @, " or /). Born a Pulumi secret, encrypted in state, never a literal.
        self._password = random.RandomPassword(
            f"{name}-auth-token", length=64, special=False, opts=pulumi.ResourceOptions(parent=self)
        )
        if args.network is not None:
            self._managed(name, args, args.network)
        else:
            self._in_cluster(name, args)
        self.register_outputs(
            {
                "endpoint": self.endpoint,
                "reader_endpoint": self.reader_endpoint,
                "port": self.port,
                "connection_secret_name": self.connection_secret_name,
                "arn": self.arn,
                "resource_id": self.resource_id,
                "security_group_id": self.security_group_id,
            }
        )

    def _managed(self, name: str, args: RedisArgs, network: ManagedNetworkArgs) -> None:
        cache = args.settings
        tags = component_tags(args.tags, name)
        group = client_only_security_group(
            name,
            network=network,
            ports=[(PORT, PORT, f"{cache.engine} (TLS)")],
            description=f"{name}: {cache.engine} from the cluster's nodes only",
            tags=tags,
            parent=self,
        )
        managed_service_egress(
            name,
            namespace=args.namespace,
            network=network,
            ports=[PORT],
            purpose=f"{cache.engine} (TLS)",
            parent=self,
        )
        replication_group = self._replication_group(name, args, network, group, tags)
        secret = connection_secret(
            name,
            namespace=args.namespace,
            values={
                "host": replication_group.primary_endpoint_address,
                "readerHost": replication_group.reader_endpoint_address,
                "port": str(PORT),
                "username": "default",
                "password": self._password.result,
                "tls": "true",
            },
            keys=CONNECTION_KEYS,
            parent=self,
        )
        self.endpoint = replication_group.primary_endpoint_address
        self.reader_endpoint = replication_group.reader_endpoint_address
        self.connection_secret_name = secret.metadata.name
        self.arn = replication_group.arn
        self.resource_id = replication_group.replication_group_id
        self.security_group_id = group.id

    def _replication_group(
        self,
        name: str,
        args: RedisArgs,
        network: ManagedNetworkArgs,
        group: aws.ec2.SecurityGroup,
        tags: Mapping[str, str],
    ) -> aws.elasticache.ReplicationGroup:
        """The primary and its replicas: encrypted at rest and in transit (TLS required), a generated
        AUTH token, daily snapshots, slow and engine logs to encrypted groups, protected in prod."""
        cache = args.settings
        child = pulumi.ResourceOptions(parent=self)
        subnets = aws.elasticache.SubnetGroup(
            f"{name}-subnets",
            name=name,
            description=f"{name}: the database subnets, one per AZ",
            subnet_ids=network.subnet_ids,
            tags=tags,
            opts=child,
        )
        logs = {
            kind: log_group(
                f"{name}-log-{kind}",
                log_group_name=f"/aws/elasticache/{name}/{kind}",
                retention_days=cache.log_retention_days,
                kms_key_arn=network.kms_key_arn,
                tags=tags,
                parent=self,
                protect=args.protect,
            )
            for kind in ("slow-log", "engine-log")
        }
        return aws.elasticache.ReplicationGroup(
            f"{name}-cache",
            replication_group_id=name,
            description=f"{name}: {cache.engine} for the apps",
            engine=cache.engine,
            engine_version=cache.engine_version or ENGINE_VERSIONS[cache.engine],
            node_type=cache.node_type,
            num_cache_clusters=1 + cache.replicas,
            automatic_failover_enabled=cache.replicas >= 1,
            multi_az_enabled=cache.multi_az,
            port=PORT,
            subnet_group_name=subnets.name,
            security_group_ids=[group.id],
            at_rest_encryption_enabled=True,
            kms_key_id=network.kms_key_arn,
            transit_encryption_enabled=True,
            transit_encryption_mode="required",
            # Write-only: the provider sends the token to ElastiCache and keeps it out of the
            # resource's state; bump the version to rotate.
            auth_token_wo=self._password.result,
            auth_token_wo_version=1,
            snapshot_retention_limit=cache.snapshot_retention_days,
            snapshot_window=cache.snapshot_window,
            maintenance_window=cache.maintenance_window,
            final_snapshot_identifier=f"{name}-final",
            auto_minor_version_upgrade=True,
            log_delivery_configurations=[
                aws.elasticache.ReplicationGroupLogDeliveryConfigurationArgs(
                    destination=logs[kind].name,
                    destination_type="cloudwatch-logs",
                    log_format="json",
                    log_type=kind,
                )
                for kind in ("slow-log", "engine-log")
            ],
            tags=datastore_tags(args.tags, name, args.protect),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )

    def _in_cluster(self, name: str, args: RedisArgs) -> None:
        local = args.workload
        assert args.storage_class_name is not None  # DataServiceArgs: no network means in-cluster
        labels = workload_labels(name, "cache")
        host = f"{name}.{args.namespace}.svc.cluster.local"
        secret = connection_secret(
            name,
            namespace=args.namespace,
            values={
                "host": host,
                "readerHost": host,
                "port": str(PORT),
                "username": "default",
                "password": self._password.result,
                "tls": "false",
            },
            keys=CONNECTION_KEYS,
            parent=self,
        )
        service = k8s.core.v1.Service(
            f"{name}-service",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=name, namespace=args.namespace, labels=labels),
            spec=k8s.core.v1.ServiceSpecArgs(
                cluster_ip="None",
                selector=labels,
                ports=[k8s.core.v1.ServicePortArgs(name="redis", port=PORT, target_port="redis")],
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        # valkey-cli reads the password from REDISCLI_AUTH, so it never shows up in a process list.
        ping = k8s.core.v1.ExecActionArgs(command=["sh", "-c", 'test "$(valkey-cli ping)" = PONG'])
        password_env = k8s.core.v1.EnvVarSourceArgs(
            secret_key_ref=k8s.core.v1.SecretKeySelectorArgs(name=secret.metadata.name, key="password")
        )
        container = k8s.core.v1.ContainerArgs(
            name="valkey",
            image=local.image,
            command=[
                "sh",
                "-c",
                'exec valkey-server --port 6379 --dir /data --appendonly yes --requirepass "$REDISCLI_AUTH"',
            ],
            env=[k8s.core.v1.EnvVarArgs(name="REDISCLI_AUTH", value_from=password_env)],
            ports=[k8s.core.v1.ContainerPortArgs(name="redis", container_port=PORT)],
            readiness_probe=k8s.core.v1.ProbeArgs(exec_=ping, period_seconds=10, timeout_seconds=3),
            liveness_probe=k8s.core.v1.ProbeArgs(
                exec_=ping,
                initial_delay_seconds=15,
                period_seconds=20,
                timeout_seconds=3,
                failure_threshold=6,
            ),
            resources=k8s.core.v1.ResourceRequirementsArgs(
                requests={"cpu": local.cpu_request, "memory": local.memory_request},
                limits={"memory": local.memory_limit},
            ),
            security_context=restricted_container_security_context(),
            volume_mounts=[
                k8s.core.v1.VolumeMountArgs(name="data", mount_path="/data"),
                k8s.core.v1.VolumeMountArgs(name="tmp", mount_path="/tmp"),
            ],
        )
        data_statefulset(
            name,
            namespace=args.namespace,
            labels=labels,
            service=service,
            uid=VALKEY_UID,
            containers=[container],
            scratch_volumes=("tmp",),
            storage_class_name=args.storage_class_name,
            volume_size_gb=args.settings.in_cluster_volume_gb,
            parent=self,
            datastore="redis",
        )
        in_cluster_service_access(
            name, namespace=args.namespace, pod_labels=labels, ports=[PORT], purpose="Valkey", parent=self
        )
        self.endpoint = pulumi.Output.from_input(host)
        self.reader_endpoint = self.endpoint
        self.connection_secret_name = secret.metadata.name
