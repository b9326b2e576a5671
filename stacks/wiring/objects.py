"""Object storage: the buckets of `groundwork:buckets`, on S3 or on the local S3-compatible server.

Runs after backups (S3 server access logs go into its access-log bucket; replicas into its DR
region) and alarms (the 4xx/5xx alarms publish to their topic), and before the apps, which bind to
the buckets by name. Each app that lists a bucket in `uses` gets a BucketBinding.
"""

from __future__ import annotations

import pulumi

from components.app_bindings import BindingEgress
from components.app_buckets import BucketBinding
from components.backups import Backups
from components.namespace import internet, pods
from components.object_store import ObjectStore, ObjectStoreArgs
from components.object_store_local import LOCAL_REGION, S3_PORT, LocalObjectStore, LocalObjectStoreArgs
from stacks.config.buckets import resolved_buckets
from stacks.wiring.platform import Platform


def wire_objects(platform: Platform) -> None:
    """The buckets, and `platform.bucket_bindings` keyed `<app>/<bucket>` for wire_apps."""
    config = platform.config
    if not config.buckets:
        return
    clients = {
        app: tuple(b for b in settings.uses if b in config.buckets) for app, settings in config.apps.items()
    }
    clients = {app: used for app, used in clients.items() if used}
    buckets = resolved_buckets(config)
    if config.on_aws:
        per_bucket = _aws(platform, buckets)
        platform.bucket_bindings = {
            f"{app}/{b}": per_bucket[b] for app, used in clients.items() for b in used
        }
    else:
        platform.bucket_bindings = _local(platform, buckets, clients)


def _aws(platform: Platform, buckets: dict) -> dict[str, BucketBinding]:
    config = platform.config
    backups = platform.components.get("backups")
    if platform.kms is None or not isinstance(backups, Backups):
        raise RuntimeError(
            f"{config.stack}: buckets log into the backups' access-log bucket and encrypt with the stack "
            "key; wire_kms and wire_backups must run before wire_objects"
        )
    alarms = platform.components.get("alarms")
    store = ObjectStore(
        f"{config.stack}-objects",
        ObjectStoreArgs(
            buckets=buckets,
            kms_key_arn=platform.kms.key_arn,
            access_log_bucket=backups.access_log_bucket_id,
            region=config.region or "",
            dr_provider=backups.dr_provider,
            dr_region=config.backups.dr_region,
            alarm_topic_arn=getattr(alarms, "topic_arn", None),
            runbook_url=f"{config.monitoring.runbook_base_url}/object-storage.md",
            protect=config.protect_stateful_resources,
            tags=config.standard_tags,
        ),
        opts=platform.aws_opts(),
    )
    platform.components["objects"] = store
    platform.exports["buckets"] = store.bucket_names
    # S3 is reached through the VPC's gateway endpoint at S3's public addresses (a prefix list), which
    # a NetworkPolicy cannot name: HTTPS to any address outside the private ranges.
    egress = BindingEgress(peers=(internet(),), ports=(443,))
    return {
        bucket: BucketBinding(
            bucket_name=store.bucket_names[bucket],
            bucket_arn=store.bucket_arns[bucket],
            endpoint=store.endpoint,
            region=config.region or "",
            kms_key_arn=platform.kms.key_arn,
            egress=egress,
        )
        for bucket in buckets
    }


def _local(
    platform: Platform, buckets: dict, clients: dict[str, tuple[str, ...]]
) -> dict[str, BucketBinding]:
    config = platform.config
    cluster = platform.cluster
    if cluster is None:
        raise RuntimeError(f"{config.stack}: the local object store runs in the cluster; wire it first")
    store = LocalObjectStore(
        f"{config.stack}-objects",
        LocalObjectStoreArgs(
            buckets=buckets,
            prefix=config.stack,
            namespace=cluster.app_namespace,
            storage_class_name=cluster.storage_class_name,
            clients=clients,
        ),
        opts=pulumi.ResourceOptions(providers={"kubernetes": cluster.k8s_provider}),
    )
    platform.components["objects"] = store
    platform.exports["buckets"] = store.bucket_names
    egress = BindingEgress(peers=(pods(labels=store.server_labels),), ports=(S3_PORT,))
    # One binding per (app, bucket): the credentials are the app's own.
    return {
        f"{app}/{bucket}": BucketBinding(
            bucket_name=store.bucket_names[bucket],
            endpoint=store.endpoint,
            region=LOCAL_REGION,
            path_style=True,
            credentials=store.credentials[app],
            egress=egress,
        )
        for app, used in clients.items()
        for bucket in used
    }
