"""The stack rules for datastores that run in the cluster: on AWS each one's volume is in a Velero
schedule that snapshots volumes (STACK-DATA-001), and prod runs none (STACK-DATA-002).

How a datastore is recognised: the StatefulSet carries the label `groundwork.io/datastore=<service>`,
which Groundwork's in-cluster backends set on the StatefulSet's own metadata (components.datastore
`data_statefulset`; never on the selector, which is immutable). A label rather than a guess from images
or volume claims: Prometheus, Alertmanager and other charts run StatefulSets with volumes too, and
those hold no application data; the label names exactly the platform's data services (PostgreSQL,
Valkey, Kafka, ChromaDB) and the service each one is.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from policy.framework import Resource, Stack, stack_rule
from policy.helpers import STATEFUL_SET
from policy.rules.k8s.helm import HELM_CHART

DATASTORE_LABEL = "groundwork.io/datastore"


def in_cluster_datastores(stack: Stack) -> list[Resource]:
    """The StatefulSets labelled as a Groundwork datastore."""
    return [r for r in stack.of_type(STATEFUL_SET) if r.labels.get(DATASTORE_LABEL)]


def _on_aws(stack: Stack) -> bool:
    return any(r.type.startswith("aws:") for r in stack.resources)


def _snapshot_namespaces(chart: Resource) -> set[str]:
    """The namespaces a Velero chart's schedules back up with volume snapshots ("*" = every one); none
    unless the chart enables snapshots and declares a VolumeSnapshotLocation."""
    values: Any = chart.peek("values") or {}
    if not isinstance(values, dict) or values.get("snapshotsEnabled") is not True:
        return set()
    locations = (values.get("configuration") or {}).get("volumeSnapshotLocation") or []
    if not locations:
        return set()
    covered: set[str] = set()
    for schedule in (values.get("schedules") or {}).values():
        template = (schedule or {}).get("template") or {}
        if schedule.get("disabled") or template.get("snapshotVolumes") is not True or not template.get("ttl"):
            continue
        covered.update(str(n) for n in template.get("includedNamespaces") or ["*"])
    return covered


@stack_rule(
    id="STACK-DATA-001",
    title="In-cluster datastores on AWS have their volumes in a Velero snapshot schedule",
    severity="high",
    description="On stacks with AWS resources, every StatefulSet labelled `groundwork.io/datastore` lives in "
    "a namespace that a `velero` Chart backs up with volume snapshots: `snapshotsEnabled: true`, a "
    "`configuration.volumeSnapshotLocation`, and a schedule whose template has `snapshotVolumes: true`, a "
    "`ttl` and `includedNamespaces` naming the namespace (or `*`).",
    rationale="An in-cluster PostgreSQL, Valkey, Kafka or ChromaDB has no AWS Backup, PITR or replica: "
    "its EBS volume is the only copy, and Velero's object backup alone restores an empty claim.",
    remediation="Keep `groundwork:backups.clusterBackup` on: the stack then gives Velero a `volumes` "
    "schedule with EBS snapshots of the app namespace (components.cluster_backup `volume_namespaces`); "
    "or move the service to its managed backend (`<service>.backend: managed`).",
)
def in_cluster_datastores_snapshotted(stack: Stack) -> Iterator[tuple[Resource | None, str]]:
    stores = in_cluster_datastores(stack)
    if not stores or not _on_aws(stack):
        return
    covered: set[str] = set()
    for chart in stack.of_type(HELM_CHART):
        if chart.peek("chart") == "velero":
            covered |= _snapshot_namespaces(chart)
    for store in stores:
        namespace = str(store.peek("metadata.namespace") or "default")
        if "*" not in covered and namespace not in covered:
            yield (
                store,
                f"{store.labels[DATASTORE_LABEL]} StatefulSet {store.name} in namespace {namespace} is in no "
                "Velero schedule that snapshots volumes: its data has no backup",
            )


@stack_rule(
    id="STACK-DATA-002",
    title="Prod runs no datastore in the cluster",
    severity="critical",
    description="In the environments of `forbidIn` (default prod), no StatefulSet carries the "
    "`groundwork.io/datastore` label: PostgreSQL, Redis, Kafka and vector search run on their managed "
    "backends (RDS with pgvector, ElastiCache, MSK).",
    rationale="Prod's recovery objectives (5-minute RPO, 1-hour RTO, Multi-AZ) need point-in-time recovery, "
    "standbys in other zones and AWS Backup copies in a second region; a StatefulSet on one EBS volume "
    "in one zone has none of them.",
    remediation="Set `<service>.backend: managed` (and `vectors.backend: pgvector`) in the prod stack file; "
    "the config already refuses the in-cluster backends in prod.",
    thresholds={"forbidIn": ["prod"]},
)
def no_in_cluster_datastore(stack: Stack) -> Iterator[tuple[Resource | None, str]]:
    if stack.environment not in stack.threshold("forbidIn", ["prod"]):
        return
    for store in in_cluster_datastores(stack):
        yield (
            store,
            f"{store.labels[DATASTORE_LABEL]} runs in the cluster (StatefulSet {store.name}) in "
            f"{stack.environment}: use its managed backend",
        )
