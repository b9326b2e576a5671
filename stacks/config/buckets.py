"""`groundwork:buckets`: the apps' named buckets (components.object_store.BucketSettings per bucket),
each purpose's recovery in prod, and the rules that depend on the environment.

Prod never loses data: every bucket there is replicated to the DR region or in the AWS Backup plan
(`recovery: none` is refused), versioned, and replication needs prod's DR region. Outside prod
buckets default to `recovery: none` (their versions and noncurrent window still undo mistakes);
`backup` is allowed on the AWS stacks, `replicate` only in prod. `local` runs an S3-compatible
server in the cluster with no AWS Backup, object lock or replication.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from components.object_store import BUCKET_KEY, BucketSettings
from stacks.config.errors import ConfigIssue

if TYPE_CHECKING:
    from stacks.config.model import StackConfig

# Bindings and names a bucket may not take: `uses` names services, buckets and apps alike.
RESERVED_BUCKET_NAMES = ("postgres", "redis", "kafka", "vectors")


def resolved_buckets(config: StackConfig) -> dict[str, BucketSettings]:
    """Each bucket with its `recovery` decided: the purpose's in prod, none elsewhere, unless set."""
    prod = config.environment == "prod"
    resolved = {}
    for name, bucket in sorted(config.buckets.items()):
        recovery = bucket.recovery or (bucket.defaults.prod_recovery if prod else "none")
        resolved[name] = bucket.model_copy(update={"recovery": recovery})
    return resolved


def buckets_issues(config: StackConfig) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []
    for name, bucket in sorted(config.buckets.items()):
        issues += _name_issues(config, name)
        issues += _environment_issues(config, name, bucket)
    return issues


def _name_issues(config: StackConfig, name: str) -> list[ConfigIssue]:
    path = f"buckets.{name}"
    if not BUCKET_KEY.match(name):
        return [
            ConfigIssue(
                path,
                name,
                "a bucket name is 1 to 20 lower-case letters, digits and -, starting with a letter and "
                "not ending in - (it names the binding, its Secret and the S3 bucket)",
            )
        ]
    if name in RESERVED_BUCKET_NAMES:
        return [ConfigIssue(path, name, f"is reserved for a binding ({', '.join(RESERVED_BUCKET_NAMES)})")]
    if name in config.apps:
        return [ConfigIssue(path, name, "is also an app's name; `uses` could not tell them apart")]
    return []


def _environment_issues(config: StackConfig, name: str, bucket: BucketSettings) -> list[ConfigIssue]:
    path = f"buckets.{name}"
    env = config.environment
    recovery = resolved_buckets(config)[name].recovery
    issues: list[ConfigIssue] = []
    if not config.on_aws:
        if bucket.recovery in ("replicate", "backup"):
            issues.append(
                ConfigIssue(
                    f"{path}.recovery",
                    bucket.recovery,
                    "local has no AWS Backup and no second region; use none (local data is disposable)",
                )
            )
        if bucket.object_lock_days is not None:
            issues.append(
                ConfigIssue(
                    f"{path}.objectLockDays",
                    bucket.object_lock_days,
                    "the local S3 server has no object lock; set it on the AWS stacks only",
                )
            )
        return issues
    if recovery == "replicate" and env != "prod":
        issues.append(
            ConfigIssue(
                f"{path}.recovery",
                "replicate",
                f"cross-region replication runs in prod only (its DR region); {env} may use backup or none",
            )
        )
    if recovery == "replicate" and env == "prod" and config.backups.dr_region is None:
        issues.append(
            ConfigIssue(f"{path}.recovery", "replicate", "needs backups.drRegion: the replica lives there")
        )
    if recovery == "backup" and not config.backups.enabled:
        issues.append(
            ConfigIssue(f"{path}.recovery", "backup", "needs backups.enabled: the AWS Backup plan selects it")
        )
    if env == "prod" and recovery == "none":
        issues.append(
            ConfigIssue(
                f"{path}.recovery",
                "none",
                "prod keeps a second copy of every bucket: replicate (to backups.drRegion) or backup",
            )
        )
    if env == "prod" and not bucket.versioning:
        issues.append(
            ConfigIssue(
                f"{path}.versioning", False, "must be true in prod: a version undoes an overwrite or delete"
            )
        )
    return issues
