"""The teams' own services: the stack's ECR registry, then one App per `groundwork:apps` entry.

Runs after the cluster, the data services and monitoring: an app binds to the data services'
endpoints and Secrets, its egress policies name where they listen, and its ServiceMonitor and SLO
rules wait for the Prometheus CRDs. On AWS the registry holds the repositories the apps name, and
the bootstrap Jobs read the RDS master credentials through external-secrets (PostgresAdmin);
locally the images come from kind's local registry and the Jobs use the in-cluster owner.
"""

from __future__ import annotations

import pulumi

from components.app import App
from components.app_bindings import BindingEgress, KafkaBinding, PostgresBinding, RedisBinding
from components.app_database import PostgresAdmin, PostgresAdminArgs
from components.app_settings import AppArgs, AppAws
from components.datastore import workload_labels
from components.namespace import Peer, internet, ip_range, pods
from components.postgres_pooling import PGBOUNCER_PORT
from components.registry import Registry, RegistryArgs
from stacks.wiring.cluster import secrets_path
from stacks.wiring.edge import load_balancer_peers
from stacks.wiring.platform import ClusterHandle, DatastoreHandle, Platform
from stacks.wiring.vectors import vectors_binding

# The data services' client ports: MSK's IAM listener, and the in-cluster broker.
CLIENT_PORTS = {"postgres": 5432, "redis": 6379, "kafka": {True: 9098, False: 9092}}
IN_CLUSTER_COMPONENT = {"postgres": "postgres", "redis": "cache", "kafka": "kafka"}


def wire_apps(platform: Platform) -> None:
    config = platform.config
    if not config.apps:
        return
    cluster = platform.cluster
    if cluster is None:
        raise RuntimeError(f"{config.stack}: apps run in the cluster; wire the cluster step before wire_apps")
    repositories = _registry(platform)
    bindings = _bindings(platform, cluster)
    vectors = vectors_binding(platform, bindings.get("postgres"))
    monitoring = platform.components.get("monitoring")
    addons = platform.components.get("addons")
    providers: dict[str, pulumi.ProviderResource] = {"kubernetes": cluster.k8s_provider}
    if platform.aws_provider is not None:
        providers["aws"] = platform.aws_provider
    apps: dict[str, App] = {}
    for name, settings in sorted(config.apps.items()):
        image = settings.image
        apps[name] = App(
            f"{config.stack}-app-{name}",
            AppArgs(
                app=name,
                settings=settings,
                namespace=cluster.app_namespace,
                repository_url=None if image.external else repositories[image.repository],
                postgres=bindings.get("postgres") if "postgres" in settings.uses else None,
                redis=bindings.get("redis") if "redis" in settings.uses else None,
                kafka=bindings.get("kafka") if "kafka" in settings.uses else None,
                vectors=vectors if "vectors" in settings.uses else None,
                buckets={
                    used: platform.bucket_bindings[f"{name}/{used}"]
                    for used in settings.uses
                    if used in config.buckets
                },
                uses_apps={used: config.apps[used].port for used in settings.uses if used in config.apps},
                callers=tuple(sorted(other for other, spec in config.apps.items() if name in spec.uses)),
                ingress_peers=load_balancer_peers(platform, settings),
                scraper=getattr(monitoring, "prometheus", None),
                aws=_aws(platform, cluster),
                secret_store=getattr(addons, "cluster_secret_store", None),
                secrets_path=f"{secrets_path(config)}apps/{name}/",
                api_server=cluster.api_server,
                runbook_base_url=config.monitoring.runbook_base_url,
                monitoring=(monitoring,) if monitoring is not None else (),
                part_of=f"groundwork-{config.stack}",
                tags=config.standard_tags,
            ),
            opts=pulumi.ResourceOptions(providers=providers),
        )
        platform.components[f"app-{name}"] = apps[name]
    platform.exports["app_services"] = {name: app.service_host for name, app in apps.items()}
    roles = {name: app.role_arn for name, app in apps.items() if app.role_arn is not None}
    if roles:
        platform.exports["app_role_arns"] = roles


def _registry(platform: Platform) -> dict[str, pulumi.Input[str]]:
    """Repository name (as the apps write it) -> where its images live."""
    config = platform.config
    names = sorted({app.image.repository for app in config.apps.values() if not app.image.external})
    if not names:
        return {}
    if not config.on_aws:
        return {name: f"{config.registry.local_registry}/{name}" for name in names}
    cluster = platform.components.get("cluster")
    if platform.kms is None or cluster is None:
        raise RuntimeError(
            f"{config.stack}: the registry needs the KMS key and the EKS cluster; wire them first"
        )
    registry = Registry(
        f"{config.stack}-registry",
        RegistryArgs(
            settings=config.registry,
            prefix=config.stack,
            repositories=tuple(names),
            kms_key_arn=platform.kms.key_arn,
            puller_role_arns=(cluster.node_role_arn,),
            protect=config.protect_stateful_resources,
            tags=config.standard_tags,
        ),
        opts=platform.aws_opts(),
    )
    platform.components["registry"] = registry
    platform.exports["app_repository_urls"] = registry.repository_urls
    return dict(registry.repository_urls)


def _aws(platform: Platform, cluster: ClusterHandle) -> AppAws | None:
    config = platform.config
    if not config.on_aws or cluster.oidc_provider_arn is None or platform.kms is None:
        return None
    endpoints = platform.aws_endpoint_cidrs()
    peers: tuple[Peer, ...] = tuple(ip_range(cidr) for cidr in endpoints) if endpoints else (internet(),)
    return AppAws(
        oidc_provider_arn=cluster.oidc_provider_arn,
        oidc_issuer=cluster.oidc_issuer,
        region=config.region or "",
        kms_key_arn=platform.kms.key_arn,
        api_peers=peers,
    )


def _egress(platform: Platform, kind: str, handle: DatastoreHandle, ports: tuple[int, ...]) -> BindingEgress:
    """Managed: the database subnets (the endpoints move on failover). In-cluster: the service's pods."""
    if handle.managed:
        assert platform.network is not None
        return BindingEgress(
            peers=tuple(ip_range(c) for c in platform.network.database_subnet_cidrs), ports=ports
        )
    component = f"{platform.config.stack}-{kind}"
    peers = [pods(labels=workload_labels(component, IN_CLUSTER_COMPONENT[kind]))]
    if kind == "postgres" and platform.config.postgres.connection_pooling:
        peers.append(pods(labels=workload_labels(f"{component}-pooler", "pooler")))
    return BindingEgress(peers=tuple(peers), ports=ports)


def _bindings(
    platform: Platform, cluster: ClusterHandle
) -> dict[str, PostgresBinding | RedisBinding | KafkaBinding]:
    config = platform.config
    used = {binding for app in config.apps.values() for binding in app.uses}
    if config.vectors.enabled and config.vectors.backend == "pgvector" and "vectors" in used:
        used.add("postgres")  # pgvector lives in the app's own database on the stack's PostgreSQL
    found: dict[str, PostgresBinding | RedisBinding | KafkaBinding] = {}
    handles = platform.datastores
    if "postgres" in used and "postgres" in handles:
        found["postgres"] = _postgres(platform, cluster, handles["postgres"])
    if "redis" in used and "redis" in handles:
        handle = handles["redis"]
        found["redis"] = RedisBinding(
            connection_secret_name=handle.connection_secret_name,
            egress=_egress(platform, "redis", handle, (CLIENT_PORTS["redis"],)),
        )
    if "kafka" in used and "kafka" in handles:
        handle = handles["kafka"]
        kafka = platform.components["kafka"]
        found["kafka"] = KafkaBinding(
            # On MSK the IAM listener, whatever else is enabled: apps authenticate as themselves.
            bootstrap_servers=kafka.iam_bootstrap_servers if handle.managed else handle.endpoint,
            security_protocol="SASL_SSL" if handle.managed else "PLAINTEXT",
            sasl_mechanism="AWS_MSK_IAM" if handle.managed else "",
            tls=handle.managed,
            cluster_arn=handle.arn if handle.managed else None,
            egress=_egress(platform, "kafka", handle, (CLIENT_PORTS["kafka"][handle.managed],)),
        )
    return found


def _postgres(platform: Platform, cluster: ClusterHandle, handle: DatastoreHandle) -> PostgresBinding:
    config = platform.config
    postgres = platform.components["postgres"]
    ports = (CLIENT_PORTS["postgres"],)
    if not handle.managed:
        if config.postgres.connection_pooling:
            ports = (CLIENT_PORTS["postgres"], PGBOUNCER_PORT)
        return PostgresBinding(
            host=handle.endpoint,
            reader_host=postgres.reader_endpoint,
            iam_auth=False,
            # The in-cluster owner's Secret has `username` and `password`: the bootstrap logs in as it.
            admin_secret_name=handle.connection_secret_name,
            egress=_egress(platform, "postgres", handle, ports),
        )
    addons = platform.components["addons"]
    admin = PostgresAdmin(
        f"{config.stack}-postgres-admin",
        PostgresAdminArgs(
            namespace=cluster.app_namespace,
            secret_name=f"{config.stack}-postgres-admin",
            master_secret_arn=postgres.master_secret_arn,
            external_secrets_role_name=addons.external_secrets_role_name,
            secret_store=addons.cluster_secret_store,
        ),
        opts=pulumi.ResourceOptions(
            providers={"kubernetes": cluster.k8s_provider, "aws": platform.aws_provider}
        ),
    )
    platform.components["postgres-admin"] = admin
    return PostgresBinding(
        host=handle.endpoint,
        reader_host=postgres.reader_endpoint,
        iam_auth=True,
        region=config.region or "",
        dbi_resource_id=postgres.dbi_resource_id,
        admin_secret_name=admin.secret_name,
        egress=_egress(platform, "postgres", handle, ports),
    )
