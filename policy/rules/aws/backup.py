"""AWS Backup rules: vaults and plans, and the stack rules that every datastore has a declared
recovery path (STACK-BACKUP-001) and every data bucket in prod a second copy (STACK-BACKUP-002).

Groundwork's `Backups` component creates the vault, plan and tag-based selection on AWS stacks; the
config keys named in remediations live under `backups.*` in `Pulumi.<stack>.yaml`.
"""

from __future__ import annotations

from policy.framework import Resource, Stack, resource_rule, stack_rule
from policy.helpers import (
    as_list,
    cmk_issue,
    each,
    first,
    is_true,
    linked,
    number,
    policy_document,
    statements,
)
from policy.rules.aws.ec2 import EBS_VOLUME
from policy.rules.aws.msk import MSK_CLUSTER
from policy.rules.aws.rds import RDS_CLUSTER, RDS_INSTANCE
from policy.rules.aws.s3 import S3_BUCKETS, S3_POLICY, S3_REPLICATION, is_access_log_target

BACKUP_VAULT = "aws:backup/vault:Vault"
BACKUP_PLAN = "aws:backup/plan:Plan"
BACKUP_VAULT_LOCK = "aws:backup/vaultLockConfiguration:VaultLockConfiguration"
BACKUP_VAULT_POLICY = "aws:backup/vaultPolicy:VaultPolicy"


@resource_rule(
    id="AWS-BACKUP-001",
    title="Backup vault is encrypted with a customer-managed key",
    severity="medium",
    resource_types=(BACKUP_VAULT,),
    description="Checks `kmsKeyArn` is set (in `allowedKmsKeyArns` when configured).",
    rationale="Recovery points of services without their own encryption inherit the vault key; a "
    "customer-managed key keeps who may restore under the platform's key policy.",
    remediation="The `Backups` component passes the platform KMS key (`kms_key_arn`).",
    tags=("checkov:CKV_AWS_166", "fsbp:Backup.1"),
    aliases=("AWS-BKP-001",),
)
def backup_vault_cmk(r: Resource):
    yield from cmk_issue(r, "kmsKeyArn", "the vault")


@resource_rule(
    id="AWS-BACKUP-002",
    title="Backup plan rules are scheduled, retained and copied",
    severity="high",
    resource_types=(BACKUP_PLAN,),
    description="For every rule of the plan: `schedule` set, `lifecycle.deleteAfter >= "
    "minBackupRetentionDays` (policy config; default 7), and, when `requireCopyAction` is set in "
    "the policy config (prod), a `copyActions[].destinationVaultArn` in another region or "
    "account; when `requireContinuousBackup` is set, at least one rule has "
    "`enableContinuousBackup` (RDS PITR up to 35 days).",
    rationale="A plan that never runs, expires recovery points before anyone notices a problem, or keeps its "
    "only copy in the same region and account does not meet the platform's RPO/RTO; a regional "
    "outage or a compromised account would take the backups too.",
    remediation="Set `backups.retentionDays`, `backups.drRegion` (prod) and `backups.continuousBackup` in "
    "Pulumi.<stack>.yaml; the `Backups` component builds the plan from them.",
    thresholds={
        "minBackupRetentionDays": 7,
        "primaryRegion": "",
        "requireContinuousBackupIn": ["prod"],
        "requireCopyActionIn": ["prod"],
    },
)
def backup_plan_quality(r: Resource):
    minimum = number(r.threshold("minBackupRetentionDays", 7), 7)
    rules = [x for x in as_list(r.get("rules")) if isinstance(x, dict)]
    for rule in rules:
        name = rule.get("ruleName", "?")
        if not rule.get("schedule"):
            yield f"rule {name} has no schedule"
        days = number(first(rule.get("lifecycle")).get("deleteAfter"))
        if days is not None and days < minimum:
            yield f"rule {name} deletes recovery points after {days:g} days; at least {minimum:g} required"
    if r.environment in r.threshold("requireCopyActionIn", ["prod"]):
        primary = r.get("region") or r.threshold("primaryRegion", "")
        copies = [c.get("destinationVaultArn") for x in rules for c in as_list(x.get("copyActions"))]
        if not copies:
            yield "no rule copies recovery points to another region or account"
        elif primary and all(f":{primary}:" in str(c) for c in copies):
            yield f"every copy action targets the plan's own region {primary}"
    continuous = any(is_true(x.get("enableContinuousBackup")) for x in rules)
    if r.environment in r.threshold("requireContinuousBackupIn", ["prod"]) and not continuous:
        yield "no rule enables continuous backup (point-in-time restore)"


@stack_rule(
    id="AWS-BACKUP-003",
    title="Backup vaults are locked in prod",
    severity="high",
    description="When the policy config sets `requireVaultLock` (prod), every `aws:backup/vault:Vault` has "
    "an `aws:backup/vaultLockConfiguration` with `minRetentionDays >= minBackupRetentionDays`.",
    rationale="Vault Lock stops anyone, including an attacker with admin rights, from deleting recovery "
    "points before their retention ends: the defence against ransomware that targets backups "
    "first.",
    remediation="Set `backups.vaultLock: true` in Pulumi.prod.yaml; the `Backups` component adds the lock.",
    thresholds={"minBackupRetentionDays": 7, "requireVaultLockIn": ["prod"]},
)
def backup_vault_lock(stack: Stack):
    if stack.environment not in stack.threshold("requireVaultLockIn", ["prod"]):
        return
    minimum = number(stack.threshold("minBackupRetentionDays", 7), 7)
    locks = stack.of_type(BACKUP_VAULT_LOCK)

    def check(vault: Resource):
        mine = [lk for lk in locks if vault in linked(lk, "backupVaultName", [vault], keys=("name",))]
        if not mine:
            yield vault, "no VaultLockConfiguration: recovery points can be deleted early"
        elif all(number(lk.props.get("minRetentionDays"), 0) < minimum for lk in mine):
            yield vault, f"vault lock minRetentionDays is below {minimum:g}"

    yield from each(stack.of_type(BACKUP_VAULT), check)


@stack_rule(
    id="AWS-BACKUP-004",
    title="Backup vault policies deny deleting recovery points",
    severity="medium",
    description="When the policy config sets `requireVaultPolicy` (prod), every vault has an "
    "`aws:backup/vaultPolicy` with a Deny on `backup:DeleteRecoveryPoint`.",
    rationale="Without the deny, any principal with backup permissions can delete recovery points; the "
    "policy limits deletion to the lifecycle itself.",
    remediation="The `Backups` component attaches a vault policy that denies backup:DeleteRecoveryPoint and "
    "backup:UpdateRecoveryPointLifecycle.",
    thresholds={"requireVaultPolicyIn": ["prod"]},
)
def backup_vault_policy(stack: Stack):
    if stack.environment not in stack.threshold("requireVaultPolicyIn", ["prod"]):
        return
    policies = stack.of_type(BACKUP_VAULT_POLICY)

    def check(vault: Resource):
        docs = [
            policy_document(p.props.get("policy"))
            for p in policies
            if vault in linked(p, "backupVaultName", [vault], keys=("name",))
        ]
        denies = any(
            s.get("Effect") == "Deny"
            and any(a in ("backup:DeleteRecoveryPoint", "backup:*") for a in as_list(s.get("Action")))
            for d in docs
            for s in statements(d)
        )
        if not denies:
            yield vault, "no vault policy denies backup:DeleteRecoveryPoint"

    yield from each(stack.of_type(BACKUP_VAULT), check)


@resource_rule(
    id="AWS-BACKUP-005",
    title="Backup vaults cannot be force-destroyed",
    severity="high",
    resource_types=(BACKUP_VAULT,),
    description="Checks `forceDestroy` is not true.",
    rationale="force_destroy deletes every recovery point when the vault resource is deleted or replaced.",
    remediation="Remove `force_destroy=True` from the vault.",
)
def backup_vault_no_force_destroy(r: Resource):
    if is_true(r.get("forceDestroy")):
        yield "forceDestroy is true: deleting the vault deletes all recovery points"


BACKUP_SELECTION = "aws:backup/selection:Selection"
MSK_REPLICATOR = "aws:msk/replicator:Replicator"


# --- recovery path of every datastore -------------------------------------------------------------


def _selected(db: Resource, selections: list[Resource]) -> bool:
    tags = db.peek("tags") or {}
    for sel in selections:
        named = [str(x) for x in as_list(sel.peek("resources") or [])]
        if db in linked(sel, "resources", [db]) or "*" in named:
            return True
        for tag in as_list(sel.peek("selectionTags") or []):
            equals = tag.get("type", "STRINGEQUALS") == "STRINGEQUALS"
            if equals and tags.get(tag.get("key")) == tag.get("value"):
                return True
        for condition in as_list(sel.peek("conditions") or []):
            for eq in as_list(condition.get("stringEquals")):
                key = str(eq.get("key", "")).removeprefix("aws:ResourceTag/")
                if tags.get(key) == eq.get("value"):
                    return True
    return False


@stack_rule(
    id="STACK-BACKUP-001",
    title="Every datastore has a declared recovery path",
    severity="high",
    description="Every RDS instance (not a read replica) and cluster, and every EBS volume, is selected by "
    "an `aws:backup/selection:Selection` — by ARN in `resources`, or by its tags through "
    "`selectionTags`/`conditions` (Groundwork tags datastores `backup=true`). Every MSK cluster "
    "(which AWS Backup does not support) has an `aws:msk/replicator:Replicator` or a `recovery` "
    "tag naming its recovery path (e.g. `replay-from-source`). ElastiCache, which AWS Backup "
    "does not support either, recovers from its own snapshots: AWS-ELASTICACHE-006.",
    rationale="A datastore without a backup plan is only as durable as its last accident. Other rule sets "
    "check RDS/EBS backup plans one resource at a time; this rule gives a reviewer the whole recovery "
    "matrix of the stack, including the services AWS Backup cannot protect.",
    remediation="The `Backups` component selects resources tagged `backup=true`; the `Postgres` component "
    "sets that tag. For Kafka, tag the MSK cluster `recovery=<how topics come back>` (e.g. "
    "`replay-from-source`) in the `Kafka` component, or add an MSK Replicator.",
    tags=("checkov:CKV2_AWS_8", "fsbp:RDS.26", "fsbp:EC2.28", "cdk-nag:NIST.800.53.R5-RDSInBackupPlan"),
    aliases=("AWS-RDS-028", "STK-BKP-001"),
)
def backup_coverage(stack: Stack):
    selections = stack.of_type(BACKUP_SELECTION)

    def database(db: Resource):
        if db.type == RDS_INSTANCE and db.peek("replicateSourceDb"):
            return
        if not _selected(db, selections):
            yield db, f"{db.name} is not selected by any AWS Backup selection (tag it backup=true)"

    def kafka(cluster: Resource):
        replicators = stack.of_type(MSK_REPLICATOR)
        replicated = any(cluster in linked(rep, "kafkaClusters", [cluster]) for rep in replicators)
        if not replicated and not (cluster.peek("tags") or {}).get("recovery"):
            yield (
                cluster,
                (f"{cluster.name} has no replicator and no `recovery` tag naming how topics are recovered"),
            )

    yield from each(stack.of_type(RDS_INSTANCE, RDS_CLUSTER, EBS_VOLUME), database)
    yield from each(stack.of_type(MSK_CLUSTER), kafka)


LOG_DELIVERY_SERVICES = [
    "logging.s3.amazonaws.com",
    "cloudtrail.amazonaws.com",
    "delivery.logs.amazonaws.com",
    "logdelivery.elasticloadbalancing.amazonaws.com",
]


def _log_destination(stack: Stack, bucket: Resource) -> bool:
    """An AWS service delivers logs into `bucket`: S3 server access logging names it as a target, or
    its bucket policy lets a log-delivery service principal put objects."""
    if is_access_log_target(stack, bucket):
        return True
    services = set(stack.threshold("logDeliveryServices", LOG_DELIVERY_SERVICES))
    policies = [
        p for p in stack.of_type(*S3_POLICY) if bucket in linked(p, "bucket", [bucket], keys=("bucket",))
    ]
    for policy in policies:
        for statement in statements(policy_document(policy.peek("policy"))):
            principal = statement.get("Principal")
            named = as_list(principal.get("Service")) if isinstance(principal, dict) else []
            if statement.get("Effect") == "Allow" and services & {str(x) for x in named}:
                return True
    return False


def _replicated(stack: Stack, bucket: Resource) -> bool:
    """An enabled replication rule copies `bucket` elsewhere."""
    configs = [
        c for c in stack.of_type(*S3_REPLICATION) if bucket in linked(c, "bucket", [bucket], keys=("bucket",))
    ]
    return any(x.get("status") == "Enabled" for c in configs for x in as_list(c.peek("rules") or []))


def _is_replica(stack: Stack, bucket: Resource) -> bool:
    """`bucket` is the destination of another bucket's replication: it is the copy."""
    arn = f"arn:aws:s3:::{bucket.peek('bucket')}"
    for config in stack.of_type(*S3_REPLICATION):
        if bucket in linked(config, "bucket", [bucket], keys=("bucket",)):
            continue
        destinations = [
            str(first(x.get("destination")).get("bucket")) for x in as_list(config.peek("rules") or [])
        ]
        if arn in destinations or bucket in linked(config, "rules", [bucket]):
            return True
    return False


@stack_rule(
    id="STACK-BACKUP-002",
    title="Every data bucket in prod is replicated or backed up",
    severity="high",
    description="In the environments of `requireIn` (default prod), every `aws:s3/bucket:Bucket` that "
    "holds data has an enabled `aws:s3/bucketReplicationConfig` rule or is selected by an "
    "`aws:backup/selection:Selection` (by ARN or by its tags; Groundwork tags such buckets "
    "`backup=true`). Not data buckets: log destinations (S3 access-log targets, and buckets whose "
    "policy lets a service of `logDeliveryServices` put objects: CloudTrail, ELB, vended logs), "
    "replica buckets (they are the copy) and buckets tagged `recovery` naming how their content "
    "comes back (e.g. `rebuilt-from-source`).",
    rationale="S3's durability does not survive a deleted bucket, a bad lifecycle rule, an attacker with "
    "admin rights or a regional outage; STACK-BACKUP-001 covers RDS, EBS and MSK and this rule "
    "extends the recovery matrix to S3, which AWS Backup protects only when asked (and only "
    "versioned buckets).",
    remediation="In `groundwork:buckets.<name>` set `recovery: replicate` (prod, to backups.drRegion) or "
    "`recovery: backup`; for a bucket created elsewhere, tag it `backup=true` (it must be versioned) "
    "or add a BucketReplicationConfig, or tag it `recovery=<how it is rebuilt>`.",
    thresholds={"requireIn": ["prod"], "logDeliveryServices": LOG_DELIVERY_SERVICES},
    tags=("fsbp:S3.7", "cdk-nag:NIST.800.53.R5-S3BucketReplicationEnabled"),
)
def bucket_recovery(stack: Stack):
    if stack.environment not in stack.threshold("requireIn", ["prod"]):
        return
    selections = stack.of_type(BACKUP_SELECTION)

    def check(bucket: Resource):
        if (bucket.peek("tags") or {}).get("recovery") or _log_destination(stack, bucket):
            return
        if _is_replica(stack, bucket) or _replicated(stack, bucket) or _selected(bucket, selections):
            return
        yield (
            bucket,
            (
                f"{bucket.name} holds data but is neither replicated nor selected by an AWS Backup selection "
                "(set recovery: replicate or backup in groundwork:buckets, or tag it backup=true)"
            ),
        )

    yield from each(stack.of_type(*S3_BUCKETS), check)
