"""Monitoring, AWS-side alarms and backups: wired after the cluster and the data services, reading
`platform.cluster` (ClusterHandle) and `platform.datastores` (DatastoreHandle per kind)."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components.alarms import Alarms, AlarmsArgs
from components.backups import Backups, BackupsArgs
from components.cluster_backup import ClusterBackup, ClusterBackupArgs
from components.exporters import DataServiceExporters, ExportersArgs, ExporterTarget
from components.log_shipping import LogShipping, LogShippingArgs
from components.monitoring import Monitoring, MonitoringArgs
from stacks.config.vectors import in_cluster_stores
from stacks.wiring.platform import ClusterHandle, DatastoreHandle, Platform


def _cluster(platform: Platform, area: str) -> ClusterHandle:
    if platform.cluster is None:
        raise RuntimeError(
            f"{platform.config.stack}: {area} runs in the cluster, but no cluster was wired before "
            "it (platform.cluster is None); wire the cluster area first in stacks/program.py WIRING"
        )
    return platform.cluster


def _both_providers(platform: Platform, cluster: ClusterHandle) -> pulumi.ResourceOptions:
    providers: dict[str, pulumi.ProviderResource] = {"kubernetes": cluster.k8s_provider}
    if platform.aws_provider is not None:
        providers["aws"] = platform.aws_provider
    return pulumi.ResourceOptions(providers=providers)


def wire_monitoring(platform: Platform) -> None:
    """kube-prometheus-stack with Groundwork's rules and dashboards, data-service exporters, and logs."""
    config = platform.config
    mon = config.monitoring
    if not mon.enabled:
        return
    cluster = _cluster(platform, "monitoring")
    monitoring = Monitoring(
        f"{config.stack}-monitoring",
        MonitoringArgs(
            settings=mon,
            storage_class_name=cluster.storage_class_name,
            api_server=cluster.api_server,
            environment=config.environment,
        ),
        opts=platform.k8s_opts(),
    )
    platform.components["monitoring"] = monitoring
    platform.exports["grafana_admin_password"] = monitoring.grafana_admin_password

    targets = [_exporter_target(handle, cluster) for _, handle in sorted(platform.datastores.items())]
    if targets:
        platform.components["exporters"] = DataServiceExporters(
            f"{config.stack}-exporters",
            ExportersArgs(
                namespace=cluster.app_namespace,
                targets=targets,
                oidc_provider_arn=cluster.oidc_provider_arn,
                oidc_issuer=cluster.oidc_issuer,
                region=config.region,
                tags=config.standard_tags,
                scraper=monitoring.prometheus,
            ),
            opts=pulumi.ResourceOptions.merge(
                _both_providers(platform, cluster), pulumi.ResourceOptions(depends_on=[monitoring])
            ),
        )

    cloudwatch = mon.logs == "cloudwatch"
    logs = LogShipping(
        f"{config.stack}-logs",
        LogShippingArgs(
            settings=mon,
            kms_key_arn=platform.kms.key_arn if cloudwatch and platform.kms else None,
            region=config.region,
            protect=config.protect_stateful_resources,
            oidc_provider_arn=cluster.oidc_provider_arn,
            oidc_issuer=cluster.oidc_issuer,
            tags=config.standard_tags,
            api_server=cluster.api_server,
            aws_endpoint_cidrs=platform.aws_endpoint_cidrs(),
            scraper=monitoring.prometheus,
        ),
        opts=pulumi.ResourceOptions.merge(
            _both_providers(platform, cluster), pulumi.ResourceOptions(depends_on=[monitoring])
        ),
    )
    platform.components["logs"] = logs
    if logs.log_group_name is not None:
        platform.exports["container_log_group"] = logs.log_group_name


def _exporter_target(handle: DatastoreHandle, cluster: ClusterHandle) -> ExporterTarget:
    # Managed Kafka (MSK) authenticates the exporter with IAM through IRSA; the rest use the
    # data service's connection Secret. Every managed backend enforces TLS.
    iam_kafka = handle.kind == "kafka" and handle.managed and cluster.oidc_provider_arn is not None
    return ExporterTarget(
        kind=handle.kind,
        endpoint=handle.endpoint,
        port=handle.port,
        connection_secret_name=handle.connection_secret_name,
        tls=handle.managed,
        kafka_cluster_arn=handle.arn if iam_kafka else None,
    )


def wire_alarms(platform: Platform) -> None:
    """CloudWatch alarms on the managed data services and the stack's monthly budget (AWS stacks)."""
    config = platform.config
    alarms_config = config.monitoring.alarms
    if not config.on_aws or not alarms_config.enabled:
        return
    if platform.kms is None:
        raise RuntimeError(f"{config.stack}: alarms need the platform KMS key (wire_kms) for their SNS topic")
    managed = {kind: h for kind, h in platform.datastores.items() if h.managed and h.resource_id is not None}
    postgres, redis, kafka = (managed.get(kind) for kind in ("postgres", "redis", "kafka"))
    alarms = Alarms(
        f"{config.stack}-alarms",
        AlarmsArgs(
            settings=alarms_config,
            kms_key_arn=platform.kms.key_arn,
            rds_instance_ids=[postgres.resource_id] if postgres else [],
            cache_cluster_ids=_cache_cluster_ids(redis) if redis else [],
            msk_cluster_names=[kafka.resource_id] if kafka else [],
            budget_tag_filter=("environment", config.environment),
            monthly_budget_usd=config.budget.limit_usd,
            tags=config.standard_tags,
        ),
        opts=platform.aws_opts(),
    )
    platform.components["alarms"] = alarms
    platform.exports["alarm_topic_arn"] = alarms.topic_arn


def _cache_cluster_ids(handle: DatastoreHandle) -> list[pulumi.Output[str]]:
    """The primary `<group>-001`, which every cluster-mode-disabled replication group has (CloudWatch
    reports Redis metrics per node)."""
    return [pulumi.Output.concat(handle.resource_id, "-001")]


def wire_backups(platform: Platform) -> None:
    """AWS Backup for everything tagged backup=true, DR copy and vault lock per config, exports bucket."""
    config = platform.config
    backups = config.backups
    if not config.on_aws or not backups.enabled:
        return
    if platform.kms is None:
        raise RuntimeError(f"{config.stack}: backups need the platform KMS key (wire_kms) for the vault")
    dr_provider = None
    if backups.dr_region is not None:
        dr_provider = aws.Provider(
            f"{config.stack}-aws-dr",
            region=backups.dr_region,
            default_tags=aws.ProviderDefaultTagsArgs(tags=config.standard_tags),
        )
    postgres = platform.datastores.get("postgres")
    replicated = [postgres.arn] if postgres and postgres.managed and postgres.arn is not None else []
    alarms = platform.components.get("alarms")
    component = Backups(
        f"{config.stack}-backups",
        BackupsArgs(
            settings=backups,
            kms_key_arn=platform.kms.key_arn,
            dr_provider=dr_provider,
            dr_rds_instance_arns=replicated if dr_provider is not None else [],
            alarm_topic_arn=alarms.topic_arn if isinstance(alarms, Alarms) else None,
            protect=config.protect_stateful_resources,
            tags=config.standard_tags,
        ),
        opts=platform.aws_opts(),
    )
    platform.components["backups"] = component
    platform.exports.update(
        {"backup_vault_name": component.vault_name, "exports_bucket": component.exports_bucket_name}
    )
    if component.dr_vault_arn is not None:
        platform.exports["dr_backup_vault_arn"] = component.dr_vault_arn


def wire_cluster_backup(platform: Platform) -> None:
    """Velero backs up the cluster's Kubernetes objects into the exports bucket (AWS stacks)."""
    config = platform.config
    backups = platform.components.get("backups")
    if not config.backups.cluster_backup or not isinstance(backups, Backups) or platform.kms is None:
        return
    cluster = _cluster(platform, "cluster backup")
    monitoring = platform.components.get("monitoring")
    if cluster.oidc_provider_arn is None or cluster.oidc_issuer is None:
        raise RuntimeError(
            f"{config.stack}: backups.clusterBackup needs the cluster's IRSA OIDC provider "
            "(ClusterHandle.oidc_provider_arn and oidc_issuer)"
        )
    platform.components["cluster_backup"] = ClusterBackup(
        f"{config.stack}-cluster-backup",
        ClusterBackupArgs(
            bucket_name=backups.exports_bucket_name,
            bucket_arn=backups.exports_bucket_arn,
            kms_key_arn=platform.kms.key_arn,
            region=config.region or "",
            oidc_provider_arn=cluster.oidc_provider_arn,
            oidc_issuer=cluster.oidc_issuer,
            ttl_days=config.backups.retention_days,
            tags=config.standard_tags,
            api_server=cluster.api_server,
            aws_endpoint_cidrs=platform.aws_endpoint_cidrs(),
            scraper=monitoring.prometheus if isinstance(monitoring, Monitoring) else None,
            monitoring=(monitoring,) if isinstance(monitoring, Monitoring) else (),
            # The in-cluster datastores live in the app namespace: their volumes get EBS snapshots.
            volume_namespaces=(cluster.app_namespace,) if in_cluster_stores(config) else (),
        ),
        opts=_both_providers(platform, cluster),
    )
