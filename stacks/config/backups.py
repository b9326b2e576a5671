"""Backup config: the component's settings (retention, point-in-time recovery, vault lock, DR copy,
exports bucket), whether to back up at all and the cluster backup, and the environment rules."""

from __future__ import annotations

from pydantic import Field

from components.backups import BackupsSettings
from stacks.config.errors import ConfigIssue


class BackupsConfig(BackupsSettings):
    """`groundwork:backups`: AWS Backup for everything tagged backup=true (components.backups), and
    Velero for the cluster's Kubernetes objects."""

    enabled: bool = Field(
        default=True, description="Back the stack up; must be false in `local` (AWS Backup needs AWS)."
    )
    cluster_backup: bool = Field(
        default=True,
        description="Velero backs up every namespace's Kubernetes objects daily into the exports bucket, "
        "kept retentionDays.",
    )


def backups_issues(environment: str, region: str | None, backups: BackupsConfig) -> list[ConfigIssue]:
    """Rules that depend on the environment or the region; each names the key to change."""
    issues: list[ConfigIssue] = []
    if environment == "local":
        if backups.enabled:
            issues.append(
                ConfigIssue(
                    "backups.enabled",
                    True,
                    "must be false in local: AWS Backup needs AWS (local data is disposable)",
                )
            )
        return issues
    if not backups.enabled:
        issues.append(
            ConfigIssue("backups.enabled", False, "must be true outside local: every datastore is backed up")
        )
    if backups.dr_region is not None and backups.dr_region == region:
        issues.append(
            ConfigIssue(
                "backups.drRegion",
                backups.dr_region,
                f"must differ from the stack's region {region}: a copy in the same region "
                "does not survive a regional outage",
            )
        )
    if environment == "prod":
        if backups.retention_days < 30:
            issues.append(
                ConfigIssue(
                    "backups.retentionDays",
                    backups.retention_days,
                    "prod keeps recovery points at least 30 days (seed 001)",
                )
            )
        if not backups.vault_lock:
            issues.append(
                ConfigIssue(
                    "backups.vaultLock", False, "must be true in prod: recovery points must not be deletable"
                )
            )
        if backups.dr_region is None:
            issues.append(
                ConfigIssue(
                    "backups.drRegion",
                    None,
                    "is required in prod: recovery points are copied to a second region",
                )
            )
        if not backups.continuous_backup:
            issues.append(
                ConfigIssue(
                    "backups.continuousBackup",
                    False,
                    "must be true in prod: point-in-time recovery meets the 5-minute RPO",
                )
            )
    return issues
