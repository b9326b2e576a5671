"""Backup config: AWS Backup plan retention, point-in-time recovery, vault lock, DR copy, exports bucket."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from stacks.config.base import ConfigModel
from stacks.config.errors import ConfigIssue

_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")


class BackupsConfig(ConfigModel):
    """How long recovery points live and where copies go.

    retentionDays: days each daily recovery point is kept (seed 001: 30 in prod). With continuous
        backup on, AWS Backup caps this at 35.
    continuousBackup: point-in-time recovery for RDS (RPO of about 5 minutes instead of 24 hours).
    vaultLock: WORM protection of the vault; 'governance' can be lifted by privileged IAM users,
        'compliance' can never be lifted once its grace period (3 days) ends.
    drRegion: second region that receives a copy of every recovery point (prod).
    exportsExpiryDays / exportsObjectLockDays: lifecycle and WORM retention of the exports bucket.
    clusterBackup: Velero backs up every namespace's Kubernetes objects daily, kept retentionDays.
    restoreTestSchedule: when AWS Backup restore testing restores the latest RDS recovery point into a
        throw-away instance to prove it restorable (None: off; it costs a few instance hours per run).
    """

    enabled: bool = True
    retention_days: int = Field(default=7, ge=1, le=35)
    schedule: str = "cron(0 3 * * ? *)"
    continuous_backup: bool = True
    vault_lock: bool = False
    vault_lock_mode: Literal["governance", "compliance"] = "governance"
    vault_lock_max_retention_days: int = Field(default=365, ge=1, le=36500)
    dr_region: str | None = None
    exports_expiry_days: int = Field(default=365, ge=30)
    exports_object_lock_days: int | None = Field(default=None, ge=1)
    access_log_retention_days: int = Field(default=365, ge=1)
    restore_test_schedule: str | None = None
    cluster_backup: bool = True

    @field_validator("dr_region")
    @classmethod
    def _region(cls, value: str | None) -> str | None:
        if value is not None and not _REGION.match(value):
            raise ValueError("an AWS region name such as eu-central-1")
        return value

    @field_validator("schedule", "restore_test_schedule")
    @classmethod
    def _schedule(cls, value: str | None) -> str | None:
        if value is not None and not (value.startswith("cron(") and value.endswith(")")):
            raise ValueError("an AWS cron expression such as cron(0 3 * * ? *)")
        return value


def backups_issues(environment: str, region: str | None, backups: BackupsConfig) -> list[ConfigIssue]:
    """Rules across backup keys; each names the key to change."""
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
    if backups.vault_lock and backups.vault_lock_max_retention_days < backups.retention_days:
        issues.append(
            ConfigIssue(
                "backups.vaultLockMaxRetentionDays",
                backups.vault_lock_max_retention_days,
                f"must be at least retentionDays ({backups.retention_days})",
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
