"""Connection pooling in front of PostgreSQL: RDS Proxy for RDS, PgBouncer for the in-cluster database.

Why not PgBouncer in front of RDS too: PgBouncer must hold the database password, and the RDS
master password lives only in Secrets Manager, rotated by RDS every 7 days. RDS Proxy reads that
secret itself, follows every rotation, keeps TLS to the clients mandatory and fails over with a
Multi-AZ instance without dropping client connections. In the cluster (`local`) the password is
ours, so PgBouncer gets it from a Secret.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.datastore import (
    ManagedNetworkArgs,
    client_only_security_group,
    in_cluster_service_access,
    restricted_container_security_context,
    restricted_pod_security_context,
    workload_labels,
)
from components.service_role import service_role

# CloudNativePG's PgBouncer image (Debian, runs as uid 998); 1.25.2 is the newest tag found
# pinned in public manifests (read 2026-11-25).
PGBOUNCER_IMAGE = "ghcr.io/cloudnative-pg/pgbouncer:1.25.2"
PGBOUNCER_UID = 998
PGBOUNCER_PORT = 6432


def rds_proxy(
    name: str,
    *,
    network: ManagedNetworkArgs,
    db_identifier: pulumi.Input[str],
    db_security_group: aws.ec2.SecurityGroup,
    master_secret_arn: pulumi.Input[str],
    port: int,
    tags: Mapping[str, str],
    parent: pulumi.Resource,
) -> pulumi.Output[str]:
    """An RDS Proxy that admits the cluster's nodes, reaches the database, and returns its endpoint."""
    child = pulumi.ResourceOptions(parent=parent)
    proxy_group = _proxy_security_group(name, network, db_security_group, port, tags, parent)
    role = _proxy_role(name, network, master_secret_arn, tags, parent)
    proxy = aws.rds.Proxy(
        f"{name}-proxy",
        name=name,
        engine_family="POSTGRESQL",
        require_tls=True,
        role_arn=role.arn,
        vpc_subnet_ids=network.subnet_ids,
        vpc_security_group_ids=[proxy_group.id],
        idle_client_timeout=1800,
        debug_logging=False,
        auths=[
            aws.rds.ProxyAuthArgs(
                auth_scheme="SECRETS",
                secret_arn=master_secret_arn,
                iam_auth="DISABLED",
                client_password_auth_type="POSTGRES_SCRAM_SHA_256",
                description="the RDS-managed master credentials",
            )
        ],
        tags=dict(tags),
        opts=child,
    )
    aws.rds.ProxyDefaultTargetGroup(
        f"{name}-proxy-targets",
        db_proxy_name=proxy.name,
        connection_pool_config=aws.rds.ProxyDefaultTargetGroupConnectionPoolConfigArgs(
            max_connections_percent=90, max_idle_connections_percent=50, connection_borrow_timeout=120
        ),
        opts=pulumi.ResourceOptions(parent=proxy),
    )
    aws.rds.ProxyTarget(
        f"{name}-proxy-target",
        db_proxy_name=proxy.name,
        target_group_name="default",
        db_instance_identifier=db_identifier,
        opts=pulumi.ResourceOptions(parent=proxy),
    )
    return proxy.endpoint


def _proxy_security_group(
    name: str,
    network: ManagedNetworkArgs,
    db_security_group: aws.ec2.SecurityGroup,
    port: int,
    tags: Mapping[str, str],
    parent: pulumi.Resource,
) -> aws.ec2.SecurityGroup:
    """The proxy admits the cluster's nodes and may reach the database; the database admits the proxy."""
    proxy_group = client_only_security_group(
        f"{name}-proxy",
        network=network,
        ports=[(port, port, "PostgreSQL via RDS Proxy")],
        description=f"{name}: RDS Proxy, from the cluster's nodes only",
        tags=tags,
        parent=parent,
    )
    aws.vpc.SecurityGroupEgressRule(
        f"{name}-proxy-to-db",
        security_group_id=proxy_group.id,
        referenced_security_group_id=db_security_group.id,
        ip_protocol="tcp",
        from_port=port,
        to_port=port,
        description="RDS Proxy to the database",
        tags=dict(tags),
        opts=pulumi.ResourceOptions(parent=proxy_group),
    )
    aws.vpc.SecurityGroupIngressRule(
        f"{name}-from-proxy-{port}",
        security_group_id=db_security_group.id,
        referenced_security_group_id=proxy_group.id,
        ip_protocol="tcp",
        from_port=port,
        to_port=port,
        description="PostgreSQL from the RDS Proxy",
        tags=dict(tags),
        opts=pulumi.ResourceOptions(parent=db_security_group),
    )
    return proxy_group


def _proxy_role(
    name: str,
    network: ManagedNetworkArgs,
    master_secret_arn: pulumi.Input[str],
    tags: Mapping[str, str],
    parent: pulumi.Resource,
) -> aws.iam.Role:
    """RDS Proxy's role: read the one master secret, decrypt it only through Secrets Manager."""
    region = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=parent))
    role = service_role(
        f"{name}-proxy-role",
        service="rds.amazonaws.com",
        parent=parent,
        tags=tags,
        description=f"{name}: RDS Proxy reads the master secret",
    )
    aws.iam.RolePolicy(
        f"{name}-proxy-secret",
        role=role.name,
        policy=pulumi.Output.all(master_secret_arn, network.kms_key_arn, region.region).apply(
            lambda parts: json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": parts[0]},
                        {
                            "Effect": "Allow",
                            "Action": "kms:Decrypt",
                            "Resource": parts[1],
                            "Condition": {
                                "StringEquals": {"kms:ViaService": f"secretsmanager.{parts[2]}.amazonaws.com"}
                            },
                        },
                    ],
                }
            )
        ),
        opts=pulumi.ResourceOptions(parent=role),
    )
    return role


def pgbouncer(
    name: str,
    *,
    namespace: str,
    database_host: str,
    database_port: int,
    username: str,
    password: pulumi.Input[str],
    replicas: int,
    parent: pulumi.Resource,
) -> str:
    """PgBouncer in transaction mode in front of the in-cluster database; returns its host name."""
    labels = workload_labels(f"{name}-pooler", "pooler")
    config = k8s.core.v1.Secret(
        f"{name}-pooler-config",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=f"{name}-pooler-config", namespace=namespace, labels=labels),
        string_data=pulumi.Output.secret(
            pulumi.Output.from_input(password).apply(
                lambda secret: {
                    "pgbouncer.ini": _pgbouncer_ini(database_host, database_port),
                    "userlist.txt": f'"{username}" "{secret}"\n',
                }
            )
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    k8s.core.v1.Service(
        f"{name}-pooler-service",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=f"{name}-pooler", namespace=namespace, labels=labels),
        spec=k8s.core.v1.ServiceSpecArgs(
            selector=labels,
            ports=[k8s.core.v1.ServicePortArgs(name="postgres", port=database_port, target_port="pgbouncer")],
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    _pgbouncer_deployment(name, namespace, labels, config, replicas, parent)
    # PgBouncer reaches the database through the namespace's egress to PostgreSQL (Postgres component).
    in_cluster_service_access(
        f"{name}-pooler",
        namespace=namespace,
        pod_labels=labels,
        ports=[PGBOUNCER_PORT],
        purpose="PgBouncer",
        parent=parent,
    )
    return f"{name}-pooler.{namespace}.svc.cluster.local"


def _pgbouncer_deployment(
    name: str,
    namespace: str,
    labels: Mapping[str, str],
    config: k8s.core.v1.Secret,
    replicas: int,
    parent: pulumi.Resource,
) -> None:
    """PgBouncer pods: restricted, no service-account token, config and user list from the Secret."""
    probe = k8s.core.v1.TCPSocketActionArgs(port="pgbouncer")
    k8s.apps.v1.Deployment(
        f"{name}-pooler-deployment",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=f"{name}-pooler", namespace=namespace, labels=labels),
        spec=k8s.apps.v1.DeploymentSpecArgs(
            replicas=replicas,
            selector=k8s.meta.v1.LabelSelectorArgs(match_labels=labels),
            template=k8s.core.v1.PodTemplateSpecArgs(
                metadata=k8s.meta.v1.ObjectMetaArgs(labels=labels),
                spec=k8s.core.v1.PodSpecArgs(
                    automount_service_account_token=False,
                    enable_service_links=False,
                    security_context=restricted_pod_security_context(PGBOUNCER_UID),
                    containers=[
                        k8s.core.v1.ContainerArgs(
                            name="pgbouncer",
                            image=PGBOUNCER_IMAGE,
                            command=["/usr/bin/pgbouncer", "/etc/pgbouncer-groundwork/pgbouncer.ini"],
                            ports=[
                                k8s.core.v1.ContainerPortArgs(name="pgbouncer", container_port=PGBOUNCER_PORT)
                            ],
                            readiness_probe=k8s.core.v1.ProbeArgs(tcp_socket=probe, period_seconds=10),
                            liveness_probe=k8s.core.v1.ProbeArgs(
                                tcp_socket=probe, period_seconds=20, failure_threshold=6
                            ),
                            resources=k8s.core.v1.ResourceRequirementsArgs(
                                requests={"cpu": "50m", "memory": "32Mi"}, limits={"memory": "128Mi"}
                            ),
                            security_context=restricted_container_security_context(),
                            volume_mounts=[
                                k8s.core.v1.VolumeMountArgs(
                                    name="config", mount_path="/etc/pgbouncer-groundwork", read_only=True
                                ),
                                k8s.core.v1.VolumeMountArgs(name="tmp", mount_path="/tmp"),
                            ],
                        )
                    ],
                    volumes=[
                        k8s.core.v1.VolumeArgs(
                            name="config",
                            secret=k8s.core.v1.SecretVolumeSourceArgs(
                                secret_name=config.metadata.name, default_mode=0o440
                            ),
                        ),
                        k8s.core.v1.VolumeArgs(name="tmp", empty_dir={}),
                    ],
                ),
            ),
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )


def _pgbouncer_ini(host: str, port: int) -> str:
    """Transaction pooling: many app connections share a few server connections. The pool is sized
    below the in-cluster server's default max_connections (100)."""
    return "\n".join(
        [
            "[databases]",
            f"* = host={host} port={port}",
            "[pgbouncer]",
            "listen_addr = 0.0.0.0",
            f"listen_port = {PGBOUNCER_PORT}",
            "unix_socket_dir =",
            "auth_type = scram-sha-256",
            "auth_file = /etc/pgbouncer-groundwork/userlist.txt",
            "pool_mode = transaction",
            "max_client_conn = 500",
            "default_pool_size = 20",
            "max_db_connections = 80",
            "ignore_startup_parameters = extra_float_digits",
            "log_connections = 0",
            "",
        ]
    )
