"""Stack check: every managed datastore in a capture is recoverable.

RDS must be matched by an AWS Backup selection (by its tags or its identifier). AWS Backup does not
support ElastiCache or MSK: ElastiCache must keep its own daily snapshots (snapshotRetentionLimit >= 1);
MSK is covered by replication across brokers and AZs, which no backup selection can express.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any

from stacks.preflight.capture import Capture, CapturedResource

AWS_BACKUP_TYPES = ("aws:rds/instance:Instance", "aws:rds/cluster:Cluster")
SNAPSHOT_TYPES = ("aws:elasticache/replicationGroup:ReplicationGroup", "aws:elasticache/cluster:Cluster")
REPLICATED_TYPES = ("aws:msk/cluster:Cluster",)
SELECTION_TYPE = "aws:backup/selection:Selection"


def selection_matches(selection: dict[str, Any], resource: CapturedResource) -> bool:
    """Whether a Selection's tag conditions or resource patterns pick up `resource`."""
    tags = resource.props.get("tags") or {}
    for condition in selection.get("selectionTags") or []:
        if condition.get("type") == "STRINGEQUALS" and tags.get(condition.get("key")) == condition.get(
            "value"
        ):
            return True
    identifier = resource.props.get("identifier") or resource.props.get("clusterIdentifier") or resource.name
    return any(
        fnmatchcase(identifier, pattern.rsplit(":", 1)[-1]) or pattern == "*"
        for pattern in selection.get("resources") or []
    )


def datastores_without_backup(capture: Capture) -> list[str]:
    """One line per managed datastore that no backup mechanism covers (empty: all covered)."""
    selections = [r.props for r in capture.of_type(SELECTION_TYPE)]
    gaps = []
    for resource in capture.resources:
        if resource.type in AWS_BACKUP_TYPES and not any(selection_matches(s, resource) for s in selections):
            gaps.append(
                f"{resource.name} ({resource.type}): no AWS Backup selection matches its tags "
                "(expected backup=true)"
            )
        elif resource.type in SNAPSHOT_TYPES and not (resource.props.get("snapshotRetentionLimit") or 0) >= 1:
            gaps.append(
                f"{resource.name} ({resource.type}): AWS Backup does not cover ElastiCache and "
                "snapshotRetentionLimit is not >= 1"
            )
    return gaps
