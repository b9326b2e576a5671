"""Vector-search config: whether the stack offers it and which backend serves `uses: [vectors]`.

`pgvector` is the default on every stack: it adds no server (the extension lives in each app's own
database on the stack's PostgreSQL, RDS or in-cluster), so its data shares the database's backups,
point-in-time recovery and Multi-AZ, it is what prod may run, and it costs nothing extra. `chroma` runs a
ChromaDB StatefulSet for teams whose code speaks the Chroma API (the grimOS plan names it): allowed on
local, dev, qa and staging, where Velero snapshots its volume on AWS; refused in prod, whose data stays
on managed services.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from components.vector_store import VectorSettings
from stacks.config.errors import ConfigIssue

if TYPE_CHECKING:
    from stacks.config.model import StackConfig


class VectorsConfig(VectorSettings):
    """`groundwork:vectors`: vector search for the apps, on pgvector or ChromaDB."""

    enabled: bool = Field(
        default=False, description="Offer vector search to the apps (`uses: [vectors]`). Defaults to off."
    )
    backend: Literal["pgvector", "chroma"] = Field(
        default="pgvector",
        description="`pgvector` (the extension in each app's database on the stack's PostgreSQL; no extra "
        "server, the database's backups) or `chroma` (a ChromaDB StatefulSet behind a token; Velero "
        "snapshots its volume on AWS). `chroma` is refused in prod.",
    )


def vectors_issues(config: StackConfig) -> list[ConfigIssue]:
    """pgvector needs the stack's PostgreSQL; ChromaDB is an in-cluster datastore, so not in prod."""
    vectors = config.vectors
    if not vectors.enabled:
        return []
    issues: list[ConfigIssue] = []
    if vectors.backend == "pgvector" and not config.postgres.enabled:
        issues.append(
            ConfigIssue(
                "vectors.backend",
                vectors.backend,
                "pgvector lives in the stack's PostgreSQL, but postgres.enabled is false; enable postgres "
                "or choose 'chroma'",
            )
        )
    if vectors.backend == "chroma" and config.environment == "prod":
        issues.append(
            ConfigIssue(
                "vectors.backend",
                vectors.backend,
                "prod must run 'pgvector': prod data stays on the managed database (backups, point-in-time "
                "recovery, Multi-AZ); 'chroma' runs in the cluster and is for local, dev, qa and staging",
            )
        )
    return issues


def in_cluster_stores(config: StackConfig) -> list[str]:
    """The key of each enabled datastore this stack runs as a StatefulSet in its cluster."""
    stores = [
        f"{kind}.backend"
        for kind in ("postgres", "redis", "kafka")
        if getattr(config, kind).enabled and getattr(config, kind).backend == "inCluster"
    ]
    if config.vectors.enabled and config.vectors.backend == "chroma":
        stores.append("vectors.backend")
    return stores


def volume_backup_issues(config: StackConfig) -> list[ConfigIssue]:
    """On AWS an in-cluster datastore's only backup is Velero's snapshot of its volume."""
    if not config.on_aws or config.backups.cluster_backup:
        return []
    stores = in_cluster_stores(config)
    if not stores:
        return []
    return [
        ConfigIssue(
            "backups.clusterBackup",
            False,
            f"must be true while {', '.join(stores)} run in the cluster: Velero's EBS snapshots are those "
            "datastores' only backup on AWS",
        )
    ]
