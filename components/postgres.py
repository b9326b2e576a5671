"""PostgreSQL for the apps: RDS on AWS, a StatefulSet in the cluster for `local`, same outputs."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pulumi_random as random
from pydantic import Field, field_validator, model_validator

from components._lib import aws_values
from components._lib.args import SettingError
from components._lib.fields import DailyWindow, RdsInstanceClass, WeeklyWindow
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
from components.postgres_pooling import pgbouncer, rds_proxy
from components.service_role import service_role
from components.tagging import component_tags

# RDS for PostgreSQL 18.3: the newest minor in the RDS release notes ("PostgreSQL version 18.3 on
# Amazon RDS", read 2026-11-25). With auto minor upgrades on, RDS moves to later minors itself;
# the provider keeps this configured value and reports the running one as engine_version_actual.
RDS_POSTGRES_VERSION = "18.3"
# The official image, same major as RDS (docker-library/official-images library/postgres lists
# 18.4 as `18`/`latest`, read 2026-11-25). From 18 on, PGDATA lives under /var/lib/postgresql/18.
POSTGRES_IMAGE = "docker.io/library/postgres:18.4"
POSTGRES_UID = 999  # the `postgres` user of the Debian-based official image
# pgvector/pgvector 0.8.2 on PostgreSQL 18 (Debian trixie): the official image (same user 999 and PGDATA
# layout) plus the `vector` extension, from pgvector's own Docker tags; used when apps need pgvector.
PGVECTOR_IMAGE = "docker.io/pgvector/pgvector:0.8.2-pg18-trixie"
PORT = 5432
# The connection Secret's keys, the same on both backends (components.datastore.connection_secret):
# RDS leaves `password` empty (IAM auth, or the master secret's ARN); in-cluster leaves the ARN empty.
CONNECTION_KEYS = (
    "host",
    "readerHost",
    "poolerHost",
    "port",
    "database",
    "username",
    "password",
    "passwordSecretArn",
    "iamAuth",
    "tls",
    "sslmode",
)
MONITORING_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"


class PostgresSettings(DataServiceSettings):
    """The keys of `groundwork:postgres`. Defaults are prod's shape (seed: db.t3.large Multi-AZ,
    500 GB, 30-day backups with point-in-time recovery); the other environments loosen them on
    purpose in their profiles. On the in-cluster backend only inClusterVolumeGb and
    connectionPooling apply."""

    engine_version: str = Field(
        default=RDS_POSTGRES_VERSION,
        description="The RDS PostgreSQL version, pinned; auto minor upgrades keep it patched within the "
        "major, and a major upgrade is never automatic.",
    )
    instance_class: RdsInstanceClass = Field(default="db.t3.large", description="The RDS instance class.")
    allocated_storage_gb: int = Field(
        default=500, ge=20, le=65536, description="gp3 storage allocated at creation."
    )
    max_allocated_storage_gb: int = Field(
        default=1000,
        ge=20,
        le=65536,
        description="The ceiling storage autoscaling may grow to, so a full disk is not an outage.",
    )
    multi_az: bool = Field(
        default=True,
        description="A synchronous standby in another AZ takes over in 1-2 minutes if the primary fails.",
    )
    read_replica: bool = Field(
        default=False,
        description="An asynchronous replica for read traffic (`readerHost` in the connection Secret).",
    )
    backup_retention_days: int = Field(
        default=30,
        ge=1,
        le=35,
        description="Days of automated backups, and how far back point-in-time recovery reaches.",
    )
    backup_window: DailyWindow = Field(
        default="03:00-04:00", description="When the daily backup runs (UTC), apart from maintenance."
    )
    maintenance_window: WeeklyWindow = Field(
        default="sun:04:30-sun:05:30", description="When RDS may patch the instance (UTC)."
    )
    slow_statement_ms: int = Field(
        default=500, ge=0, description="Statements slower than this are logged (log_min_duration_statement)."
    )
    connection_pooling: bool = Field(
        default=False,
        description="A pooler in front of the database: RDS Proxy on AWS, PgBouncer in the cluster; apps "
        "find it as `poolerHost` in the connection Secret.",
    )
    in_cluster_volume_gb: int = Field(
        default=5, ge=1, description="The in-cluster database's volume (local stack)."
    )

    @field_validator("engine_version")
    @classmethod
    def _engine_version(cls, value: str) -> str:
        if not re.match(r"^\d{2}(\.\d+)?$", value):
            raise ValueError("a PostgreSQL version such as 18.3 (or a major version such as 18)")
        return value

    @model_validator(mode="after")
    def _windows_apart(self) -> PostgresSettings:
        """RDS: the maintenance window "must not conflict with the preferred backup window"."""
        if aws_values.windows_overlap(self.backup_window, self.maintenance_window):
            raise SettingError(
                "maintenanceWindow",
                self.maintenance_window,
                f"overlaps backupWindow ({self.backup_window}); RDS needs the two apart",
            )
        return self

    @model_validator(mode="after")
    def _storage_ceiling(self) -> PostgresSettings:
        if self.max_allocated_storage_gb < self.allocated_storage_gb:
            raise SettingError(
                "maxAllocatedStorageGb",
                self.max_allocated_storage_gb,
                f"must be at least allocatedStorageGb ({self.allocated_storage_gb}); it is the ceiling "
                "storage autoscaling may grow to",
            )
        return self


class PostgresArgs(DataServiceArgs):
    """One PostgreSQL database for the apps: the settings plus the data-service wiring."""

    settings: PostgresSettings = Field(default_factory=PostgresSettings, description="The database's shape.")
    database_name: str = Field(default="app", description="The database apps use.")
    username: str = Field(
        default="app_owner",
        description="The database's owner; not `postgres`, `admin` or `root`, the names scanners try first.",
    )
    performance_insights_retention_days: int = Field(
        default=7, ge=7, description="Performance Insights history; 7 is the free tier."
    )
    monitoring_interval_seconds: Literal[1, 5, 10, 15, 30, 60] = Field(
        default=60, description="Enhanced monitoring (OS metrics) granularity."
    )
    ca_cert_identifier: str = Field(
        default="rds-ca-rsa2048-g1",
        description="The RSA-2048 G1 CA that clients verify with sslmode=verify-full.",
    )
    workload: InClusterWorkload = Field(
        default_factory=lambda: InClusterWorkload(
            image=POSTGRES_IMAGE, cpu_request="100m", memory_request="256Mi", memory_limit="512Mi"
        ),
        description="The in-cluster database's container.",
    )
    pooler_replicas: int = Field(default=1, ge=1, description="PgBouncer pods when pooling in the cluster.")
    pgvector: bool = Field(
        default=False,
        description="The in-cluster server runs the pgvector image (PGVECTOR_IMAGE) instead of "
        "`workload.image`, so apps' databases can create the `vector` extension. RDS ships pgvector.",
    )


class Postgres(DataService):
    """PostgreSQL behind the data-service contract, plus a reader endpoint and pooling."""

    reader_endpoint: pulumi.Output[str]
    master_secret_arn: pulumi.Output[str] | None
    pooler_endpoint: pulumi.Output[str] | None
    # RDS's DbiResourceId: IAM database authentication names users as dbuser:<id>/<user>.
    dbi_resource_id: pulumi.Output[str] | None

    def __init__(self, name: str, args: PostgresArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("groundwork:postgres:Postgres", name, args, opts)
        self.master_secret_arn = None
        self.pooler_endpoint = None
        self.dbi_resource_id = None
        self.port = pulumi.Output.from_input(PORT)
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
                "master_secret_arn": self.master_secret_arn,
                "pooler_endpoint": self.pooler_endpoint,
                "dbi_resource_id": self.dbi_resource_id,
            }
        )

    # --- AWS -------------------------------------------------------------------------------
    def _managed(self, name: str, args: PostgresArgs, network: ManagedNetworkArgs) -> None:
        tags = component_tags(args.tags, name)
        group = client_only_security_group(
            name,
            network=network,
            ports=[(PORT, PORT, "PostgreSQL")],
            description=f"{name}: PostgreSQL from the cluster's nodes only",
            tags=tags,
            parent=self,
        )
        managed_service_egress(
            name,
            namespace=args.namespace,
            network=network,
            ports=[PORT],
            purpose="PostgreSQL (the instance and RDS Proxy)",
            parent=self,
        )
        primary, reader = self._instances(name, args, network, group, tags)
        master_secret_arn = primary.master_user_secrets.apply(lambda s: s[0].secret_arn if s else "")
        pooler: pulumi.Input[str] = primary.address
        if args.settings.connection_pooling:
            pooler = self.pooler_endpoint = rds_proxy(
                name,
                network=network,
                db_identifier=primary.identifier,
                db_security_group=group,
                master_secret_arn=master_secret_arn,
                port=PORT,
                tags=tags,
                parent=self,
            )
        secret = connection_secret(
            name,
            namespace=args.namespace,
            values={
                "host": primary.address,
                "readerHost": reader,
                "poolerHost": pooler,
                "port": str(PORT),
                "database": args.database_name,
                "username": args.username,
                # RDS keeps the password in Secrets Manager (rotated, KMS-encrypted); apps read it there
                # or connect with IAM database authentication. It never passes through Pulumi.
                "passwordSecretArn": master_secret_arn,
                "password": "",
                "iamAuth": "true",
                "tls": "true",
                "sslmode": "verify-full",
            },
            keys=CONNECTION_KEYS,
            parent=self,
        )

        self.endpoint = primary.address
        self.reader_endpoint = reader
        self.connection_secret_name = secret.metadata.name
        self.arn = primary.arn
        self.resource_id = primary.identifier
        self.security_group_id = group.id
        self.master_secret_arn = master_secret_arn
        self.dbi_resource_id = primary.resource_id

    def _instances(
        self,
        name: str,
        args: PostgresArgs,
        network: ManagedNetworkArgs,
        group: aws.ec2.SecurityGroup,
        tags: Mapping[str, str],
    ) -> tuple[aws.rds.Instance, pulumi.Output[str]]:
        """The primary instance (encrypted, private, TLS only, backed up, protected) and, when asked
        for, a read replica; returns the primary and the address readers use."""
        rds = args.settings
        data_tags = datastore_tags(args.tags, name, args.protect)
        common = self._instance_settings(name, args, network, group, tags)
        subnets = aws.rds.SubnetGroup(
            f"{name}-subnets",
            name=name,
            description=f"{name}: the database subnets, one per AZ",
            subnet_ids=network.subnet_ids,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        logs = [
            log_group(
                f"{name}-log-{kind}",
                log_group_name=f"/aws/rds/instance/{name}/{kind}",
                retention_days=rds.log_retention_days,
                kms_key_arn=network.kms_key_arn,
                tags=tags,
                parent=self,
                protect=args.protect,
            )
            for kind in ("postgresql", "upgrade")
        ]
        primary = aws.rds.Instance(
            f"{name}-db",
            identifier=name,
            engine="postgres",
            engine_version=rds.engine_version,
            engine_lifecycle_support="open-source-rds-extended-support-disabled",
            allow_major_version_upgrade=False,
            db_name=args.database_name,
            username=args.username,
            manage_master_user_password=True,
            master_user_secret_kms_key_id=network.kms_key_arn,
            storage_type="gp3",
            allocated_storage=rds.allocated_storage_gb,
            max_allocated_storage=rds.max_allocated_storage_gb,
            storage_encrypted=True,
            kms_key_id=network.kms_key_arn,
            multi_az=rds.multi_az,
            db_subnet_group_name=subnets.name,
            backup_retention_period=rds.backup_retention_days,
            backup_window=rds.backup_window,
            maintenance_window=rds.maintenance_window,
            delete_automated_backups=False,
            skip_final_snapshot=False,
            final_snapshot_identifier=f"{name}-final",
            enabled_cloudwatch_logs_exports=["postgresql", "upgrade"],
            tags=data_tags,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect, depends_on=logs),
            **common,
        )
        if not rds.read_replica:
            return primary, primary.address
        replica = aws.rds.Instance(
            f"{name}-replica",
            identifier=f"{name}-replica",
            replicate_source_db=primary.identifier,
            storage_encrypted=True,
            kms_key_id=network.kms_key_arn,
            max_allocated_storage=rds.max_allocated_storage_gb,
            multi_az=False,
            skip_final_snapshot=True,  # a replica holds no data of its own; RDS refuses one
            tags=tags,  # no backup=true: the primary is backed up, AWS Backup skips read replicas
            opts=pulumi.ResourceOptions(parent=self),
            **common,
        )
        return primary, replica.address

    def _instance_settings(
        self,
        name: str,
        args: PostgresArgs,
        network: ManagedNetworkArgs,
        group: aws.ec2.SecurityGroup,
        tags: Mapping[str, str],
    ) -> dict[str, Any]:
        """What the primary and the replica share: size, network, TLS parameters, IAM auth, monitoring."""
        rds = args.settings
        major = rds.engine_version.split(".")[0]
        parameters = aws.rds.ParameterGroup(
            f"{name}-params",
            name=f"{name}-postgres{major}",
            family=f"postgres{major}",
            description=f"{name}: TLS only, slow statements, connections and DDL logged",
            parameters=[
                aws.rds.ParameterGroupParameterArgs(name=k, value=v)
                for k, v in _server_parameters(rds.slow_statement_ms).items()
            ],
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        return {
            "instance_class": rds.instance_class,
            "publicly_accessible": False,
            "vpc_security_group_ids": [group.id],
            "parameter_group_name": parameters.name,
            "port": PORT,
            "ca_cert_identifier": args.ca_cert_identifier,
            "iam_database_authentication_enabled": True,
            "auto_minor_version_upgrade": True,
            "performance_insights_enabled": True,
            "performance_insights_kms_key_id": network.kms_key_arn,
            "performance_insights_retention_period": args.performance_insights_retention_days,
            "monitoring_interval": args.monitoring_interval_seconds,
            "monitoring_role_arn": _monitoring_role(name, tags, self).arn,
            "copy_tags_to_snapshot": True,
            "deletion_protection": args.protect,
        }

    # --- in the cluster --------------------------------------------------------------------
    def _in_cluster(self, name: str, args: PostgresArgs) -> None:
        assert args.storage_class_name is not None  # DataServiceArgs: no network means in-cluster
        labels = workload_labels(name, "postgres")
        password = random.RandomPassword(
            f"{name}-password", length=32, special=False, opts=pulumi.ResourceOptions(parent=self)
        )
        host = f"{name}.{args.namespace}.svc.cluster.local"
        pooler = host
        if args.settings.connection_pooling:
            pooler = pgbouncer(
                name,
                namespace=args.namespace,
                database_host=host,
                database_port=PORT,
                username=args.username,
                password=password.result,
                replicas=args.pooler_replicas,
                parent=self,
            )
            self.pooler_endpoint = pulumi.Output.from_input(pooler)
        secret = connection_secret(
            name,
            namespace=args.namespace,
            values={
                "host": host,
                "readerHost": host,
                "poolerHost": pooler,
                "port": str(PORT),
                "database": args.database_name,
                "username": args.username,
                "password": password.result,
                "passwordSecretArn": "",
                "iamAuth": "false",
                "tls": "false",
                "sslmode": "disable",
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
                ports=[k8s.core.v1.ServicePortArgs(name="postgres", port=PORT, target_port="postgres")],
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        container = _container(args, secret)
        data_statefulset(
            name,
            namespace=args.namespace,
            labels=labels,
            service=service,
            uid=POSTGRES_UID,
            containers=[container],
            scratch_volumes=("run", "tmp"),
            storage_class_name=args.storage_class_name,
            volume_size_gb=args.settings.in_cluster_volume_gb,
            termination_grace_period_seconds=60,
            parent=self,
            datastore="postgres",
        )
        in_cluster_service_access(
            name, namespace=args.namespace, pod_labels=labels, ports=[PORT], purpose="PostgreSQL", parent=self
        )
        self.endpoint = pulumi.Output.from_input(host)
        self.reader_endpoint = self.endpoint
        self.connection_secret_name = secret.metadata.name


def _container(args: PostgresArgs, secret: k8s.core.v1.Secret) -> k8s.core.v1.ContainerArgs:
    """The in-cluster server: the official image as its own user, the password from the connection
    Secret, probes with pg_isready, and writable paths only where PostgreSQL writes."""
    local = args.workload
    ready = k8s.core.v1.ProbeArgs(
        exec_=k8s.core.v1.ExecActionArgs(
            command=["pg_isready", "-h", "127.0.0.1", "-U", args.username, "-d", args.database_name]
        ),
        period_seconds=10,
        timeout_seconds=5,
        failure_threshold=3,
    )
    return k8s.core.v1.ContainerArgs(
        name="postgres",
        image=PGVECTOR_IMAGE if args.pgvector else local.image,
        ports=[k8s.core.v1.ContainerPortArgs(name="postgres", container_port=PORT)],
        env=[
            k8s.core.v1.EnvVarArgs(name="POSTGRES_USER", value=args.username),
            k8s.core.v1.EnvVarArgs(name="POSTGRES_DB", value=args.database_name),
            k8s.core.v1.EnvVarArgs(
                name="POSTGRES_PASSWORD",
                value_from=k8s.core.v1.EnvVarSourceArgs(
                    secret_key_ref=k8s.core.v1.SecretKeySelectorArgs(
                        name=secret.metadata.name, key="password"
                    )
                ),
            ),
            k8s.core.v1.EnvVarArgs(name="PGDATA", value="/var/lib/postgresql/18/docker"),
        ],
        startup_probe=k8s.core.v1.ProbeArgs(exec_=ready.exec_, period_seconds=5, failure_threshold=60),
        readiness_probe=ready,
        liveness_probe=k8s.core.v1.ProbeArgs(
            exec_=ready.exec_, period_seconds=20, timeout_seconds=5, failure_threshold=6
        ),
        resources=k8s.core.v1.ResourceRequirementsArgs(
            requests={"cpu": local.cpu_request, "memory": local.memory_request},
            limits={"memory": local.memory_limit},
        ),
        security_context=restricted_container_security_context(),
        volume_mounts=[
            k8s.core.v1.VolumeMountArgs(name="data", mount_path="/var/lib/postgresql"),
            k8s.core.v1.VolumeMountArgs(name="run", mount_path="/var/run/postgresql"),
            k8s.core.v1.VolumeMountArgs(name="tmp", mount_path="/tmp"),
        ],
    )


def _server_parameters(slow_statement_ms: int) -> dict[str, str]:
    """Server settings every Groundwork database gets: TLS enforced, and enough logging to debug
    slow queries and connection storms without logging every statement."""
    return {
        "rds.force_ssl": "1",
        "log_min_duration_statement": str(slow_statement_ms),
        # PostgreSQL 18 made this a list of aspects but still accepts the boolean (= receipt,
        # authentication, authorization).
        "log_connections": "1",
        "log_disconnections": "1",
        "log_statement": "ddl",
        "log_lock_waits": "1",
    }


def _monitoring_role(name: str, tags: Mapping[str, str], parent: pulumi.Resource) -> aws.iam.Role:
    """The role RDS enhanced monitoring assumes to publish OS metrics, for this account only."""
    role = service_role(
        f"{name}-monitoring",
        service="monitoring.rds.amazonaws.com",
        parent=parent,
        tags=tags,
        description=f"{name}: RDS enhanced monitoring publishes OS metrics",
    )
    aws.iam.RolePolicyAttachment(
        f"{name}-monitoring-policy",
        role=role.name,
        policy_arn=MONITORING_POLICY_ARN,
        opts=pulumi.ResourceOptions(parent=role),
    )
    return role
