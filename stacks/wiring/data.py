"""PostgreSQL, Redis and Kafka: managed on AWS environments, in the cluster for `local`.

Runs after the cluster step: every backend writes its connection Secret into the cluster's app
namespace, and the managed backends admit only the cluster's node security group.
"""

from __future__ import annotations

import pulumi

from components.datastore import ManagedNetworkArgs
from components.kafka import InClusterKafkaArgs, Kafka, KafkaArgs, MskArgs
from components.postgres import InClusterPostgresArgs, Postgres, PostgresArgs, RdsPostgresArgs
from components.redis import ElastiCacheArgs, InClusterRedisArgs, Redis, RedisArgs
from stacks.wiring.platform import ClusterHandle, DatastoreHandle, Platform


def wire_data(platform: Platform) -> None:
    config = platform.config
    cluster = platform.cluster
    if cluster is None:
        raise RuntimeError(
            f"{config.stack}: the data services need the cluster (its Kubernetes provider, "
            "StorageClass and app namespace); wire the cluster step before wire_data"
        )
    network = _managed_network(platform, cluster) if config.on_aws else None
    opts = _opts(platform, cluster)
    if config.postgres.enabled:
        _wire_postgres(platform, cluster, network, opts)
    if config.redis.enabled:
        _wire_redis(platform, cluster, network, opts)
    if config.kafka.enabled:
        _wire_kafka(platform, cluster, network, opts)


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


def _wire_postgres(
    platform: Platform,
    cluster: ClusterHandle,
    network: ManagedNetworkArgs | None,
    opts: pulumi.ResourceOptions,
) -> None:
    config = platform.config
    pg = config.postgres
    managed = (
        None
        if network is None
        else RdsPostgresArgs(
            network=network,
            engine_version=pg.engine_version,
            instance_class=pg.instance_class,
            allocated_storage_gb=pg.allocated_storage_gb,
            max_allocated_storage_gb=pg.max_allocated_storage_gb,
            multi_az=pg.multi_az,
            backup_retention_days=pg.backup_retention_days,
            backup_window=pg.backup_window,
            maintenance_window=pg.maintenance_window,
            deletion_protection=config.protect_stateful_resources,
            read_replica=pg.read_replica,
            slow_statement_ms=pg.slow_statement_ms,
            log_retention_days=pg.log_retention_days,
        )
    )
    in_cluster = (
        None
        if network is not None
        else InClusterPostgresArgs(
            storage_class_name=cluster.storage_class_name, volume_size_gb=pg.in_cluster_volume_gb
        )
    )
    postgres = Postgres(
        f"{config.stack}-postgres",
        PostgresArgs(
            namespace=cluster.app_namespace,
            managed=managed,
            in_cluster=in_cluster,
            connection_pooling=pg.connection_pooling,
            protect=config.protect_stateful_resources,
            tags=config.standard_tags,
        ),
        opts=opts,
    )
    platform.components["postgres"] = postgres
    platform.datastores["postgres"] = DatastoreHandle(
        kind="postgres",
        managed=managed is not None,
        endpoint=postgres.endpoint,
        port=postgres.port,
        connection_secret_name=postgres.connection_secret_name,
        arn=postgres.arn,
        resource_id=postgres.resource_id,
        security_group_id=postgres.security_group_id,
    )
    platform.exports.update(
        {
            "postgres_endpoint": postgres.endpoint,
            "postgres_reader_endpoint": postgres.reader_endpoint,
            "postgres_port": postgres.port,
            "postgres_connection_secret": postgres.connection_secret_name,
        }
    )
    if postgres.pooler_endpoint is not None:
        platform.exports["postgres_pooler_endpoint"] = postgres.pooler_endpoint
    if postgres.master_secret_arn is not None:
        platform.exports["postgres_master_secret_arn"] = postgres.master_secret_arn


def _wire_redis(
    platform: Platform,
    cluster: ClusterHandle,
    network: ManagedNetworkArgs | None,
    opts: pulumi.ResourceOptions,
) -> None:
    config = platform.config
    rc = config.redis
    managed = (
        None
        if network is None
        else ElastiCacheArgs(
            network=network,
            engine=rc.engine,
            engine_version=rc.engine_version,
            node_type=rc.node_type,
            replicas=rc.replicas,
            multi_az=rc.multi_az,
            snapshot_retention_days=rc.snapshot_retention_days,
            snapshot_window=rc.snapshot_window,
            maintenance_window=rc.maintenance_window,
            log_retention_days=rc.log_retention_days,
        )
    )
    in_cluster = (
        None
        if network is not None
        else InClusterRedisArgs(
            storage_class_name=cluster.storage_class_name, volume_size_gb=rc.in_cluster_volume_gb
        )
    )
    redis = Redis(
        f"{config.stack}-redis",
        RedisArgs(
            namespace=cluster.app_namespace,
            managed=managed,
            in_cluster=in_cluster,
            protect=config.protect_stateful_resources,
            tags=config.standard_tags,
        ),
        opts=opts,
    )
    platform.components["redis"] = redis
    platform.datastores["redis"] = DatastoreHandle(
        kind="redis",
        managed=managed is not None,
        endpoint=redis.endpoint,
        port=redis.port,
        connection_secret_name=redis.connection_secret_name,
        arn=redis.arn,
        resource_id=redis.resource_id,
        security_group_id=redis.security_group_id,
    )
    platform.exports.update(
        {
            "redis_endpoint": redis.endpoint,
            "redis_reader_endpoint": redis.reader_endpoint,
            "redis_port": redis.port,
            "redis_connection_secret": redis.connection_secret_name,
        }
    )


def _wire_kafka(
    platform: Platform,
    cluster: ClusterHandle,
    network: ManagedNetworkArgs | None,
    opts: pulumi.ResourceOptions,
) -> None:
    config = platform.config
    kc = config.kafka
    managed = (
        None
        if network is None
        else MskArgs(
            network=network,
            kafka_version=kc.kafka_version,
            broker_count=kc.broker_count,
            instance_type=kc.instance_type,
            volume_size_gb=kc.volume_size_gb,
            max_volume_size_gb=kc.max_volume_size_gb,
            client_authentication=tuple(kc.client_authentication),
            enhanced_monitoring=kc.enhanced_monitoring,
            log_retention_days=kc.log_retention_days,
        )
    )
    in_cluster = (
        None
        if network is not None
        else InClusterKafkaArgs(
            storage_class_name=cluster.storage_class_name,
            nodes=kc.in_cluster_nodes,
            volume_size_gb=kc.in_cluster_volume_gb,
        )
    )
    kafka = Kafka(
        f"{config.stack}-kafka",
        KafkaArgs(
            namespace=cluster.app_namespace,
            managed=managed,
            in_cluster=in_cluster,
            protect=config.protect_stateful_resources,
            tags=config.standard_tags,
        ),
        opts=opts,
    )
    platform.components["kafka"] = kafka
    platform.datastores["kafka"] = DatastoreHandle(
        kind="kafka",
        managed=managed is not None,
        endpoint=kafka.endpoint,
        port=kafka.port,
        connection_secret_name=kafka.connection_secret_name,
        arn=kafka.arn,
        resource_id=kafka.resource_id,
        security_group_id=kafka.security_group_id,
    )
    platform.exports.update(
        {
            "kafka_bootstrap_servers": kafka.endpoint,
            "kafka_port": kafka.port,
            "kafka_connection_secret": kafka.connection_secret_name,
        }
    )
