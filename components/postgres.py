"""PostgreSQL for the apps: RDS on AWS, a StatefulSet in the cluster for `local`, same outputs."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pulumi_random as random

from components.datastore import (
    DataService,
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
from components.tagging import component_tags

# RDS for PostgreSQL 18.3: the newest minor in the RDS release notes ("PostgreSQL version 18.3 on
# Amazon RDS", read 2026-11-25). With auto minor upgrades on, RDS moves to later minors itself;
# the provider keeps this configured value and reports the running one as engine_version_actual.
RDS_POSTGRES_VERSION = "18.3"
# The official image, same major as RDS (docker-library/official-images library/postgres lists
# 18.4 as `18`/`latest`, read 2026-11-25). From 18 on, PGDATA lives under /var/lib/postgresql/18.
POSTGRES_IMAGE = "docker.io/library/postgres:18.4"
POSTGRES_UID = 999  # the `postgres` user of the Debian-based official image
PORT = 5432
MONITORING_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"


@dataclass(frozen=True)
class RdsPostgresArgs:
    """The managed backend. Defaults are the production shape; dev loosens them on purpose.

    engine_version: pinned; `auto_minor_version_upgrade` keeps it patched within the major.
    instance_class / allocated_storage_gb / max_allocated_storage_gb: gp3 storage grows by itself
        up to the maximum (storage autoscaling), so a full disk is not an outage.
    multi_az: a synchronous standby in another AZ; failover in 1-2 minutes.
    backup_retention_days: automated backups and point-in-time recovery (1-35 days).
    backup_window / maintenance_window: UTC, not overlapping.
    deletion_protection: RDS refuses to delete the instance until this is turned off.
    read_replica: an asynchronous replica for read traffic (its own endpoint in the Secret).
    slow_statement_ms: statements slower than this are logged (log_min_duration_statement).
    log_retention_days: CloudWatch retention of the exported postgresql and upgrade logs.
    performance_insights_retention_days: 7 is the free tier.
    monitoring_interval_seconds: enhanced monitoring (OS metrics) granularity.
    ca_cert_identifier: the RSA-2048 G1 CA that clients verify with sslmode=verify-full.
    """

    network: ManagedNetworkArgs
    engine_version: str = RDS_POSTGRES_VERSION
    instance_class: str = "db.t3.large"
    allocated_storage_gb: int = 100
    max_allocated_storage_gb: int = 500
    multi_az: bool = True
    backup_retention_days: int = 30
    backup_window: str = "03:00-04:00"
    maintenance_window: str = "sun:04:30-sun:05:30"
    deletion_protection: bool = True
    read_replica: bool = False
    slow_statement_ms: int = 500
    log_retention_days: int = 365
    performance_insights_retention_days: int = 7
    monitoring_interval_seconds: int = 60
    ca_cert_identifier: str = "rds-ca-rsa2048-g1"


@dataclass(frozen=True)
class InClusterPostgresArgs:
    """The `local` backend: one pod, its data on a PVC that outlives the StatefulSet.
    pooler_replicas: PgBouncer pods when connection pooling is on."""

    storage_class_name: str
    volume_size_gb: int = 5
    image: str = POSTGRES_IMAGE
    cpu_request: str = "100m"
    memory_request: str = "256Mi"
    memory_limit: str = "512Mi"
    pooler_replicas: int = 1


@dataclass(frozen=True)
class PostgresArgs:
    """One PostgreSQL database for the apps. Exactly one of `managed` and `in_cluster` is set.

    namespace: where the connection Secret (and the in-cluster workload) live: the app namespace.
    database_name / username: the database and its owner. The owner is not `postgres`, `admin` or
        `root`, the names scanners try first.
    connection_pooling: a pooler in front of the database (RDS Proxy on AWS, PgBouncer in the
        cluster; see components.postgres_pooling); its endpoint is `poolerHost` in the Secret.
    protect: Pulumi refuses to delete the stateful resources (prod).
    """

    namespace: str
    managed: RdsPostgresArgs | None = None
    in_cluster: InClusterPostgresArgs | None = None
    database_name: str = "app"
    username: str = "app_owner"
    connection_pooling: bool = False
    protect: bool = False
    tags: Mapping[str, str] = field(default_factory=dict)


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
        if args.managed is not None:
            self._managed(name, args, args.managed)
        else:
            assert args.in_cluster is not None
            self._in_cluster(name, args, args.in_cluster)
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
    def _managed(self, name: str, args: PostgresArgs, rds: RdsPostgresArgs) -> None:
        tags = component_tags(args.tags, name)
        data_tags = datastore_tags(args.tags, name, args.protect)
        child = pulumi.ResourceOptions(parent=self)
        major = rds.engine_version.split(".")[0]

        group = client_only_security_group(
            name,
            network=rds.network,
            ports=[(PORT, PORT, "PostgreSQL")],
            description=f"{name}: PostgreSQL from the cluster's nodes only",
            tags=tags,
            parent=self,
        )
        managed_service_egress(
            name,
            namespace=args.namespace,
            network=rds.network,
            ports=[PORT],
            purpose="PostgreSQL (the instance and RDS Proxy)",
            parent=self,
        )
        subnets = aws.rds.SubnetGroup(
            f"{name}-subnets",
            name=name,
            description=f"{name}: the database subnets, one per AZ",
            subnet_ids=rds.network.subnet_ids,
            tags=tags,
            opts=child,
        )
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
            opts=child,
        )
        logs = [
            log_group(
                f"{name}-log-{kind}",
                log_group_name=f"/aws/rds/instance/{name}/{kind}",
                retention_days=rds.log_retention_days,
                kms_key_arn=rds.network.kms_key_arn,
                tags=tags,
                parent=self,
            )
            for kind in ("postgresql", "upgrade")
        ]
        monitoring_role = _monitoring_role(name, tags, self)

        common = {
            "instance_class": rds.instance_class,
            "publicly_accessible": False,
            "vpc_security_group_ids": [group.id],
            "parameter_group_name": parameters.name,
            "port": PORT,
            "ca_cert_identifier": rds.ca_cert_identifier,
            "iam_database_authentication_enabled": True,
            "auto_minor_version_upgrade": True,
            "performance_insights_enabled": True,
            "performance_insights_kms_key_id": rds.network.kms_key_arn,
            "performance_insights_retention_period": rds.performance_insights_retention_days,
            "monitoring_interval": rds.monitoring_interval_seconds,
            "monitoring_role_arn": monitoring_role.arn,
            "copy_tags_to_snapshot": True,
            "deletion_protection": rds.deletion_protection,
        }
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
            master_user_secret_kms_key_id=rds.network.kms_key_arn,
            storage_type="gp3",
            allocated_storage=rds.allocated_storage_gb,
            max_allocated_storage=rds.max_allocated_storage_gb,
            storage_encrypted=True,
            kms_key_id=rds.network.kms_key_arn,
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
        reader = primary.address
        if rds.read_replica:
            replica = aws.rds.Instance(
                f"{name}-replica",
                identifier=f"{name}-replica",
                replicate_source_db=primary.identifier,
                storage_encrypted=True,
                kms_key_id=rds.network.kms_key_arn,
                max_allocated_storage=rds.max_allocated_storage_gb,
                multi_az=False,
                skip_final_snapshot=True,  # a replica holds no data of its own; RDS refuses one
                tags=tags,  # no backup=true: the primary is backed up, AWS Backup skips read replicas
                opts=pulumi.ResourceOptions(parent=self),
                **common,
            )
            reader = replica.address

        master_secret_arn = primary.master_user_secrets.apply(lambda s: s[0].secret_arn if s else "")
        pooler: pulumi.Input[str] = primary.address
        if args.connection_pooling:
            pooler = self.pooler_endpoint = rds_proxy(
                name,
                network=rds.network,
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
                "iamAuth": "true",
                "tls": "true",
                "sslmode": "verify-full",
            },
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

    # --- in the cluster --------------------------------------------------------------------
    def _in_cluster(self, name: str, args: PostgresArgs, local: InClusterPostgresArgs) -> None:
        labels = workload_labels(name, "postgres")
        password = random.RandomPassword(
            f"{name}-password", length=32, special=False, opts=pulumi.ResourceOptions(parent=self)
        )
        host = f"{name}.{args.namespace}.svc.cluster.local"
        pooler = host
        if args.connection_pooling:
            pooler = pgbouncer(
                name,
                namespace=args.namespace,
                database_host=host,
                database_port=PORT,
                username=args.username,
                password=password.result,
                replicas=local.pooler_replicas,
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
                "tls": "false",
                "sslmode": "disable",
            },
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
        ready = k8s.core.v1.ProbeArgs(
            exec_=k8s.core.v1.ExecActionArgs(
                command=["pg_isready", "-h", "127.0.0.1", "-U", args.username, "-d", args.database_name]
            ),
            period_seconds=10,
            timeout_seconds=5,
            failure_threshold=3,
        )
        container = k8s.core.v1.ContainerArgs(
            name="postgres",
            image=local.image,
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
        data_statefulset(
            name,
            namespace=args.namespace,
            labels=labels,
            service=service,
            uid=POSTGRES_UID,
            containers=[container],
            scratch_volumes=("run", "tmp"),
            storage_class_name=local.storage_class_name,
            volume_size_gb=local.volume_size_gb,
            termination_grace_period_seconds=60,
            parent=self,
        )
        in_cluster_service_access(
            name, namespace=args.namespace, pod_labels=labels, ports=[PORT], purpose="PostgreSQL", parent=self
        )
        self.endpoint = pulumi.Output.from_input(host)
        self.reader_endpoint = self.endpoint
        self.connection_secret_name = secret.metadata.name


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
    identity = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=parent))
    trust = identity.account_id.apply(
        lambda account: json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "monitoring.rds.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                        "Condition": {"StringEquals": {"aws:SourceAccount": account}},
                    }
                ],
            }
        )
    )
    role = aws.iam.Role(
        f"{name}-monitoring",
        assume_role_policy=trust,
        description=f"{name}: RDS enhanced monitoring publishes OS metrics",
        tags=dict(tags),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    aws.iam.RolePolicyAttachment(
        f"{name}-monitoring-policy",
        role=role.name,
        policy_arn=MONITORING_POLICY_ARN,
        opts=pulumi.ResourceOptions(parent=role),
    )
    return role
