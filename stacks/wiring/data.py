"""PostgreSQL, Redis and Kafka, each on the backend the stack picks (`<service>.backend`).

Runs after the cluster step: every backend writes its connection Secret into the cluster's app
namespace, and the managed backends admit only the cluster's node security group. The three
services are wired alike: their settings from the stack config, the network (managed backend) or
the cluster's StorageClass (in-cluster: kind's class on local, the encrypted gp3 class on EKS), and
the same handle for later areas.
"""

from __future__ import annotations

import pulumi

from components.datastore import DataService, DataServiceArgs, ManagedNetworkArgs
from components.kafka import Kafka, KafkaArgs
from components.postgres import Postgres, PostgresArgs
from components.redis import Redis, RedisArgs
from stacks.config import StackConfig
from stacks.wiring.platform import ClusterHandle, DatastoreHandle, Platform

# kind -> the component and its args model, in the order they are created.
SERVICES: dict[str, tuple[type[DataService], type[DataServiceArgs]]] = {
    "postgres": (Postgres, PostgresArgs),
    "redis": (Redis, RedisArgs),
    "kafka": (Kafka, KafkaArgs),
}
# Stack outputs per service: output name -> the component's attribute (left out when None).
EXPORTS: dict[str, dict[str, str]] = {
    "postgres": {
        "postgres_endpoint": "endpoint",
        "postgres_reader_endpoint": "reader_endpoint",
        "postgres_port": "port",
        "postgres_connection_secret": "connection_secret_name",
        "postgres_pooler_endpoint": "pooler_endpoint",
        "postgres_master_secret_arn": "master_secret_arn",
    },
    "redis": {
        "redis_endpoint": "endpoint",
        "redis_reader_endpoint": "reader_endpoint",
        "redis_port": "port",
        "redis_connection_secret": "connection_secret_name",
    },
    "kafka": {
        "kafka_bootstrap_servers": "endpoint",
        "kafka_port": "port",
        "kafka_connection_secret": "connection_secret_name",
    },
}


def wire_data(platform: Platform) -> None:
    config = platform.config
    cluster = platform.cluster
    if cluster is None:
        raise RuntimeError(
            f"{config.stack}: the data services need the cluster (its Kubernetes provider, "
            "StorageClass and app namespace); wire the cluster step before wire_data"
        )
    opts = _opts(platform, cluster)
    for kind, (component, args_model) in SERVICES.items():
        settings = getattr(config, kind)
        if not settings.enabled:
            continue
        # The config refuses `managed` on local and `inCluster` in prod (stacks.config.data).
        network = _managed_network(platform, cluster) if settings.backend == "managed" else None
        extra = {"pgvector": True} if kind == "postgres" and _pgvector(config) and network is None else {}
        args = args_model(
            settings=settings,
            namespace=cluster.app_namespace,
            network=network,
            storage_class_name=None if network is not None else cluster.storage_class_name,
            protect=config.protect_stateful_resources,
            tags=config.standard_tags,
            **extra,
        )
        _register(platform, kind, component(f"{config.stack}-{kind}", args, opts=opts), args)


def _pgvector(config: StackConfig) -> bool:
    """The in-cluster PostgreSQL must carry the extension when vector search runs on pgvector."""
    return config.vectors.enabled and config.vectors.backend == "pgvector"


def _register(platform: Platform, kind: str, service: DataService, args: DataServiceArgs) -> None:
    """Hand the service to later areas (monitoring, alarms, backups) and export its endpoints."""
    platform.components[kind] = service
    platform.datastores[kind] = DatastoreHandle(
        kind=kind,
        managed=args.managed,
        endpoint=service.endpoint,
        port=service.port,
        connection_secret_name=service.connection_secret_name,
        arn=service.arn,
        resource_id=service.resource_id,
        security_group_id=service.security_group_id,
    )
    for output, attribute in EXPORTS[kind].items():
        value = getattr(service, attribute)
        if value is not None:
            platform.exports[output] = value


def _managed_network(platform: Platform, cluster: ClusterHandle) -> ManagedNetworkArgs:
    stack = platform.config.stack
    if platform.network is None or platform.kms is None:
        raise RuntimeError(
            f"{stack}: managed data services need the network and the KMS key; wire them first"
        )
    if cluster.node_security_group_id is None:
        raise RuntimeError(
            f"{stack}: managed data services admit only the cluster's nodes, but the cluster "
            "handle has no node_security_group_id"
        )
    return ManagedNetworkArgs(
        vpc_id=platform.network.vpc_id,
        subnet_ids=platform.network.database_subnet_ids,
        client_security_group_id=cluster.node_security_group_id,
        kms_key_arn=platform.kms.key_arn,
        subnet_cidrs=tuple(platform.network.database_subnet_cidrs),
    )


def _opts(platform: Platform, cluster: ClusterHandle) -> pulumi.ResourceOptions:
    """The AWS provider for the service; the cluster's for the connection Secret and NetworkPolicies,
    handed to those Kubernetes children alone. A component registers only once every provider of its
    `providers` map is ready, and its children wait for that: given the cluster's gated provider, RDS,
    ElastiCache and MSK would start only after EKS, its nodes and the platform add-ons, about 24
    minutes into a first `pulumi up`, instead of at once (docs/cost.md, deploy time)."""
    k8s_provider = cluster.k8s_provider

    def kubernetes_children(
        args: pulumi.ResourceTransformationArgs,
    ) -> pulumi.ResourceTransformationResult | None:
        if not args.type_.startswith("kubernetes:") or args.opts.provider is not None:
            return None
        opts = pulumi.ResourceOptions.merge(args.opts, pulumi.ResourceOptions(provider=k8s_provider))
        return pulumi.ResourceTransformationResult(args.props, opts)

    providers = {"aws": platform.aws_provider} if platform.aws_provider is not None else {}
    return pulumi.ResourceOptions(providers=providers, transformations=[kubernetes_children])
