"""Pricers for the data services and their upkeep: RDS, ElastiCache, MSK, logs, alarms, S3, backups.

Storage that grows with use (backups, snapshots, logs, buckets) is priced at steady state from the
named usage assumptions: the day-one bill is lower, the bill after the retention period is this.
"""

from __future__ import annotations

from policy.cost.assumptions import key
from policy.cost.model import Context, CostResource, Line
from policy.cost.pricers import _assume, _line, _region, months, number, pricer, rate, runs_per_month, vcpus

PI_FREE_DAYS = 7  # Performance Insights keeps 7 days free (RDS docs)


# --- RDS ----------------------------------------------------------------------------------------


@pricer("aws:rds/instance:Instance")
def rds_instance(r: CostResource, ctx: Context) -> list[Line]:
    region = _region(r, ctx)
    hours = ctx.hours(region)
    engine = str(r.get("engine") or "postgres")
    klass = str(r.get("instanceClass"))
    compute = ctx.price(region, f"rds.{engine}.{klass}")
    multi_az = bool(r.get("multiAz"))
    factor_price = ctx.price(region, "rds.multi_az_factor")
    factor = factor_price.usd if multi_az else 1.0
    az = f" × {factor:g} (Multi-AZ)" if multi_az else ""
    lines = [
        _line(
            r,
            "instance",
            compute.usd * hours * factor,
            f"{klass} × {hours:g} h × {rate(compute.usd)}{az}",
            "postgres.instanceClass (db.t4g.* is Graviton, ~10% less), postgres.multiAz",
            [compute, factor_price] if multi_az else [compute],
        )
    ]
    size = number(r.get("allocatedStorage"), 20)
    storage_type = str(r.get("storageType") or "gp2")
    storage = ctx.price(region, f"rds.storage.{storage_type}")
    lines.append(
        _line(
            r,
            f"{storage_type} storage",
            size * storage.usd * factor,
            f"{size:g} GB × {rate(storage.usd)}{az}",
            "postgres.allocatedStorageGb",
            [storage, factor_price] if multi_az else [storage],
        )
    )
    retention = number(r.get("backupRetentionPeriod"))
    if retention > 0 and not r.get("replicateSourceDb"):
        lines.append(_rds_backups(r, ctx, region, size, retention))
    pi_days = number(r.get("performanceInsightsRetentionPeriod"), PI_FREE_DAYS)
    if r.get("performanceInsightsEnabled") and pi_days > PI_FREE_DAYS:
        pi = ctx.price(region, "rds.performance_insights.vcpu_hour")
        cpus = vcpus(klass)
        lines.append(
            _line(
                r,
                f"Performance Insights {pi_days:g} days",
                cpus * hours * pi.usd,
                f"{cpus} vCPU × {hours:g} h × {rate(pi.usd)}",
                "postgres Performance Insights retention (7 days is free)",
                [pi],
            )
        )
    if r.get("manageMasterUserPassword"):
        secret = ctx.price(region, "secretsmanager.secret")
        lines.append(
            _line(
                r,
                "master secret (Secrets Manager)",
                secret.usd,
                f"1 × {rate(secret.usd)}",
                "RDS-managed master password",
                [secret],
            )
        )
    if number(r.get("monitoringInterval")) > 0:
        logs = ctx.price(region, "cloudwatch.logs.ingestion")
        gb = ctx.assumptions.rds_enhanced_monitoring_gb_per_month
        lines.append(
            _line(
                r,
                "enhanced monitoring",
                gb * logs.usd,
                f"{gb:g} GB × {rate(logs.usd)}",
                key("rds_enhanced_monitoring_gb_per_month"),
                [logs],
                _assume("rds_enhanced_monitoring_gb_per_month", gb, "GB"),
            )
        )
    return lines


def _changed_gb(size: float, days: float, ctx: Context) -> float:
    return size * days * ctx.assumptions.backup_daily_change_percent / 100


def _rds_backups(r: CostResource, ctx: Context, region: str, size: float, retention: float) -> Line:
    backup = ctx.price(region, "rds.backup_storage")
    change = ctx.assumptions.backup_daily_change_percent
    billable = _changed_gb(size, retention, ctx)  # one full copy is within the free allowance
    return _line(
        r,
        f"automated backups {retention:g} days",
        billable * backup.usd,
        f"{size:g} GB × {retention:g} d × {change:g}%/d × {rate(backup.usd)}",
        f"postgres.backupRetentionDays, {key('backup_daily_change_percent')}",
        [backup],
        _assume("backup_daily_change_percent", ctx.assumptions.backup_daily_change_percent, "% a day")
        + " beyond the free allowance of one full copy",
    )


@pricer("aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication")
def rds_backup_replication(r: CostResource, ctx: Context) -> list[Line]:
    """Point-in-time-restore backups copied to the DR region: a full copy plus the changes over the
    retention stored there, and the daily changes sent across regions."""
    target = _region(r, ctx)
    source = ctx.dependency(r, "sourceDbInstanceArn")
    if source is None:
        return []
    size = number(source.get("allocatedStorage"), 20)
    retention = number(r.get("retentionPeriod"), 7)
    stored = size + _changed_gb(size, retention, ctx)
    storage = ctx.price(target, "rds.backup_storage")
    transfer = ctx.price(_region(source, ctx), "data_transfer.inter_region")
    sent = _changed_gb(size, 365 / 12, ctx)
    return [
        _line(
            r,
            f"replicated backups in {target}",
            stored * storage.usd,
            f"({size:g} GB + {retention:g} d of changes) × {rate(storage.usd)}",
            "backups.drRegion (unset: no cross-region copy)",
            [storage],
            _assume("backup_daily_change_percent", ctx.assumptions.backup_daily_change_percent, "% a day"),
        ),
        _line(
            r,
            "cross-region transfer",
            sent * transfer.usd,
            f"{sent:,.0f} GB a month × {rate(transfer.usd)}",
            "backups.drRegion",
            [transfer],
            "the daily changes, sent once",
        ),
    ]


@pricer("aws:rds/proxy:Proxy")
def rds_proxy(r: CostResource, ctx: Context) -> list[Line]:
    region = _region(r, ctx)
    hours = ctx.hours(region)
    p = ctx.price(region, "rds.proxy.vcpu_hour")
    instances = ctx.of_type("aws:rds/instance:Instance")
    cpus = max([2] + [vcpus(str(i.get("instanceClass"))) for i in instances])
    return [
        _line(
            r,
            "proxy",
            cpus * hours * p.usd,
            f"{cpus} vCPU × {hours:g} h × {rate(p.usd)}",
            "postgres.connectionPooling (false: no proxy)",
            [p],
            "billed on the vCPUs of the largest database (at least 2)",
        )
    ]


# --- ElastiCache ----------------------------------------------------------------------------------


@pricer("aws:elasticache/replicationGroup:ReplicationGroup", "aws:elasticache/cluster:Cluster")
def cache(r: CostResource, ctx: Context) -> list[Line]:
    region = _region(r, ctx)
    hours = ctx.hours(region)
    node_type = str(r.get("nodeType"))
    if r.type.endswith("ReplicationGroup"):
        shards = int(number(r.get("numNodeGroups"), 1))
        nodes = int(number(r.get("numCacheClusters"), 0)) or shards * (
            1 + int(number(r.get("replicasPerNodeGroup")))
        )
    else:
        shards, nodes = 1, int(number(r.get("numCacheNodes"), 1))
    node = ctx.price(region, f"elasticache.redis.{node_type}")
    engine = str(r.get("engine") or "redis")
    prices, per_node, note = [node], node.usd, ""
    if engine == "valkey":
        discount = ctx.price(region, "elasticache.valkey_discount")
        prices.append(discount)
        per_node = node.usd * (1 - discount.usd)
        note = f" × (1 − {discount.usd:.0%} Valkey)"
    lines = [
        _line(
            r,
            f"{nodes} {engine} node(s)",
            nodes * per_node * hours,
            f"{nodes} × {node_type} × {hours:g} h × {rate(node.usd)}{note}",
            "redis.nodeType, redis.replicas",
            prices,
        )
    ]
    kept = int(number(r.get("snapshotRetentionLimit")))
    if kept > 1:
        snap = ctx.price(region, "elasticache.snapshot_storage")
        size = ctx.assumptions.cache_dataset_gb
        lines.append(
            _line(
                r,
                f"snapshots {kept} days",
                (kept - 1) * shards * size * snap.usd,
                f"{kept - 1} × {shards} shard × {size:g} GB × {rate(snap.usd)} (one snapshot is free)",
                f"redis.snapshotRetentionDays, {key('cache_dataset_gb')}",
                [snap],
                _assume("cache_dataset_gb", size, "GB"),
            )
        )
    return lines


# --- MSK ------------------------------------------------------------------------------------------


@pricer("aws:msk/cluster:Cluster")
def msk_cluster(r: CostResource, ctx: Context) -> list[Line]:
    region = _region(r, ctx)
    hours = ctx.hours(region)
    brokers = int(number(r.get("numberOfBrokerNodes"), 3))
    broker_type = str(r.get("brokerNodeGroupInfo.instanceType"))
    broker = ctx.price(region, f"msk.broker.{broker_type}")
    volume = number(r.get("brokerNodeGroupInfo.storageInfo.ebsStorageInfo.volumeSize"), 1000)
    storage = ctx.price(region, "msk.storage")
    lines = [
        _line(
            r,
            "brokers",
            brokers * broker.usd * hours,
            f"{brokers} × {broker_type} × {hours:g} h × {rate(broker.usd)}",
            "kafka.instanceType (kafka.t3.small needs kafkaVersion 3.9.x), kafka.brokerCount",
            [broker],
        ),
        _line(
            r,
            "broker storage",
            brokers * volume * storage.usd,
            f"{brokers} × {volume:g} GB × {rate(storage.usd)}",
            "kafka.volumeSizeGb",
            [storage],
        ),
    ]
    metrics, basis = _msk_metrics(r, ctx, brokers)
    if metrics:
        metric = ctx.price(region, "cloudwatch.metric.custom")
        lines.append(
            _line(
                r,
                f"enhanced monitoring {r.get('enhancedMonitoring')}",
                metrics * metric.usd,
                f"{metrics} metrics × {rate(metric.usd)}",
                "kafka.enhancedMonitoring (PER_BROKER keeps the alarms' per-broker metrics)",
                [metric],
                basis,
            )
        )
    return lines


def _msk_metrics(r: CostResource, ctx: Context, brokers: int) -> tuple[int, str]:
    level = str(r.get("enhancedMonitoring") or "DEFAULT")
    a = ctx.assumptions
    if level == "DEFAULT":
        return 0, ""
    per_broker = brokers * a.msk_broker_metrics
    basis = _assume("msk_broker_metrics", a.msk_broker_metrics, "per broker")
    if level == "PER_BROKER":
        return per_broker, basis
    partitions = 3 if level == "PER_TOPIC_PER_PARTITION" else 1
    topics = brokers * a.kafka_topics * a.msk_topic_metrics * partitions
    basis += f", {_assume('kafka_topics', a.kafka_topics, 'topics')} × {a.msk_topic_metrics} metrics"
    return per_broker + topics, basis


# --- CloudWatch -----------------------------------------------------------------------------------

# Which assumption and retention key a log group falls under, by its name.
_LOG_KINDS = (
    ("vpc-flow-logs", "flow_logs_gb_per_month", "network.flowLogRetentionDays"),
    ("/aws/eks/", "control_plane_logs_gb_per_month", "cluster.logRetentionDays"),
    ("/containers", "container_logs_gb_per_month", "monitoring.logRetentionDays"),
    ("/aws/rds/", "service_logs_gb_per_month", "postgres.logRetentionDays"),
    ("/aws/elasticache/", "service_logs_gb_per_month", "redis.logRetentionDays"),
    ("/aws/msk/", "service_logs_gb_per_month", "kafka.logRetentionDays"),
)


def log_kind(name: str) -> tuple[str, str]:
    for marker, field_name, retention_key in _LOG_KINDS:
        if marker in name:
            return field_name, retention_key
    return "service_logs_gb_per_month", "the log group's retentionInDays"


@pricer("aws:cloudwatch/logGroup:LogGroup")
def log_group(r: CostResource, ctx: Context) -> list[Line]:
    region = _region(r, ctx)
    field_name, retention_key = log_kind(str(r.get("name") or r.name))
    gb = getattr(ctx.assumptions, field_name)
    ingest, store = (
        ctx.price(region, "cloudwatch.logs.ingestion"),
        ctx.price(region, "cloudwatch.logs.storage"),
    )
    kept, forever = months(r.get("retentionInDays"))
    stored = gb * kept
    return [
        _line(
            r,
            "ingestion",
            gb * ingest.usd,
            f"{gb:g} GB × {rate(ingest.usd)}",
            key(field_name),
            [ingest],
            _assume(field_name, gb, "GB a month"),
        ),
        _line(
            r,
            "storage (never expires: a year shown)"
            if forever
            else f"storage {number(r.get('retentionInDays')):g} days",
            stored * store.usd,
            f"{gb:g} GB × {kept:.1f} months kept × {rate(store.usd)}",
            retention_key,
            [store],
            "steady state, once the retention period is full",
        ),
    ]


@pricer("aws:cloudwatch/metricAlarm:MetricAlarm")
def metric_alarm(r: CostResource, ctx: Context) -> list[Line]:
    region = _region(r, ctx)
    queries = r.get("metricQueries") or []
    metrics = max(1, len(queries)) if queries else 1
    high = 0 < number(r.get("period"), 60) < 60
    p = ctx.price(region, "cloudwatch.alarm.high_resolution" if high else "cloudwatch.alarm.standard")
    return [
        _line(
            r, "alarm", metrics * p.usd, f"{metrics} metric × {rate(p.usd)}", "monitoring.alarms.enabled", [p]
        )
    ]


# --- S3 -------------------------------------------------------------------------------------------


@pricer("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
def bucket(r: CostResource, ctx: Context) -> list[Line]:
    region = _region(r, ctx)
    name = r.name
    field_name = (
        "exports_bucket_gb"
        if "export" in name
        else "access_logs_bucket_gb"
        if "access-log" in name
        else "other_bucket_gb"
    )
    gb = getattr(ctx.assumptions, field_name)
    p = ctx.price(region, "s3.standard")
    return [
        _line(
            r,
            "storage",
            gb * p.usd,
            f"{gb:g} GB × {rate(p.usd)}",
            f"{key(field_name)}, the bucket's lifecycle expiry",
            [p],
            _assume(field_name, gb, "GB") + " in S3 Standard (lifecycle tiers only lower it)",
        )
    ]


# S3 publishes 16 request metrics per metrics configuration (requests by verb, bytes, 4xx/5xx errors,
# latencies), billed as CloudWatch custom metrics; a metric without data in a month is not billed.
S3_REQUEST_METRICS = 16


@pricer("aws:s3/bucketMetric:BucketMetric")
def bucket_request_metrics(r: CostResource, ctx: Context) -> list[Line]:
    p = ctx.price(_region(r, ctx), "cloudwatch.metric.custom")
    return [
        _line(
            r,
            "request metrics",
            S3_REQUEST_METRICS * p.usd,
            f"{S3_REQUEST_METRICS} metrics × {rate(p.usd)}",
            "the bucket's 4xx/5xx alarms read them (groundwork:buckets)",
            [p],
            "every request metric has data each month (an idle bucket costs less)",
        )
    ]


# --- AWS Backup -----------------------------------------------------------------------------------


def _protected_databases(ctx: Context) -> list[CostResource]:
    """RDS instances a backup selection covers by tag (AWS Backup prices its snapshots; the other
    tagged types, MSK and ElastiCache, are not AWS Backup resources)."""
    wanted = [
        (str(t.get("key")), str(t.get("value")))
        for s in ctx.of_type("aws:backup/selection:Selection")
        for t in s.get("selectionTags") or []
    ]
    return [
        db
        for db in ctx.of_type("aws:rds/instance:Instance")
        if any(str(db.tags.get(k)) == v for k, v in wanted)
    ]


def _vault_retention(ctx: Context, vault: CostResource) -> tuple[str, float] | None:
    """('primary' | 'copy', days kept) when a backup plan writes to or copies into `vault`: by the
    vault's name in the plan's rule, else (names are unknown until deploy) by region: a vault the
    plan depends on in the plan's own region is its target, one in another region its copy."""
    names = {vault.name, str(vault.get("name") or "")}
    for plan in ctx.of_type("aws:backup/plan:Plan"):
        uses = vault.urn in plan.property_dependencies.get("rules", ())
        for rule in plan.get("rules") or []:
            kept = number((rule.get("lifecycle") or {}).get("deleteAfter"), 35)
            copies = rule.get("copyActions") or []
            if rule.get("targetVaultName") in names:
                return "primary", kept
            for copy in copies:
                if str(copy.get("destinationVaultArn", "")).rsplit(":vault/", 1)[-1] in names:
                    return "copy", number((copy.get("lifecycle") or {}).get("deleteAfter"), kept)
            if uses and ctx.region_of(vault) == ctx.region_of(plan):
                return "primary", kept
            if uses and copies:
                return "copy", number((copies[0].get("lifecycle") or {}).get("deleteAfter"), kept)
    return None


@pricer("aws:backup/vault:Vault")
def backup_vault(r: CostResource, ctx: Context) -> list[Line]:
    role = _vault_retention(ctx, r)
    databases = _protected_databases(ctx)
    if role is None or not databases:
        return []
    kind, days = role
    region = _region(r, ctx)
    size = sum(number(db.get("allocatedStorage"), 20) for db in databases)
    stored = size + _changed_gb(size, days, ctx)
    p = ctx.price(region, "backup.rds_snapshot")
    lines = [
        _line(
            r,
            f"RDS snapshots {days:g} days" + (" (copies)" if kind == "copy" else ""),
            stored * p.usd,
            f"({size:g} GB + {days:g} d of changes) × {rate(p.usd)}",
            "backups.retentionDays" + (", backups.drRegion" if kind == "copy" else ""),
            [p],
            _assume("backup_daily_change_percent", ctx.assumptions.backup_daily_change_percent, "% a day"),
        )
    ]
    source_region = ctx.default_region
    if kind == "copy" and source_region and source_region != region:
        transfer = ctx.price(source_region, "data_transfer.inter_region")
        sent = _changed_gb(size, 365 / 12, ctx)
        lines.append(
            _line(
                r,
                "cross-region copy transfer",
                sent * transfer.usd,
                f"{sent:,.0f} GB a month × {rate(transfer.usd)}",
                "backups.drRegion",
                [transfer],
                "incremental copies of the daily changes",
            )
        )
    return lines


@pricer("aws:backup/restoreTestingSelection:RestoreTestingSelection")
def restore_testing(r: CostResource, ctx: Context) -> list[Line]:
    """Each restore test restores the protected database, keeps it for the validation window and
    deletes it: a single-AZ instance for a few hours, a few times a month."""
    if r.get("protectedResourceType") != "RDS":
        return []
    plans = [
        p
        for p in ctx.of_type("aws:backup/restoreTestingPlan:RestoreTestingPlan")
        if p.get("name") == r.get("restoreTestingPlanName")
    ]
    runs = runs_per_month(str(plans[0].get("scheduleExpression"))) if plans else 365 / 12 / 7
    hours = number(r.get("validationWindowHours"), 1) + ctx.assumptions.restore_test_restore_hours
    region = _region(r, ctx)
    lines = []
    for db in _protected_databases(ctx):
        klass = str(db.get("instanceClass"))
        p = ctx.price(region, f"rds.{db.get('engine') or 'postgres'}.{klass}")
        lines.append(
            _line(
                r,
                f"restore tests of {db.name}",
                runs * hours * p.usd,
                f"{runs:.1f} runs × {hours:g} h × {klass} {rate(p.usd)}",
                "backups.restoreTestSchedule",
                [p],
                _assume("restore_test_restore_hours", ctx.assumptions.restore_test_restore_hours, "h")
                + " before the validation window",
            )
        )
    return lines
