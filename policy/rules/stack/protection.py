"""The stack rules that what holds data is protected in prod: stateful resources (STACK-PROT-001), on
AWS and in the cluster (PersistentVolumeClaims, StatefulSets with volume claim templates), and the log
groups that hold audit and flow evidence (STACK-PROT-002). `STATEFUL_TYPES` is the one list of
stateful types: the URN snapshot test (tests/urn_golden.py) reads it too.
"""

from __future__ import annotations

from policy.framework import Resource, Stack, stack_rule
from policy.helpers import STATEFUL_SET, each
from policy.rules.aws.backup import BACKUP_VAULT
from policy.rules.aws.ec2 import EBS_VOLUME
from policy.rules.aws.eks import EKS_CLUSTER
from policy.rules.aws.elasticache import EC_CLUSTER, EC_REPLICATION_GROUP, EC_SERVERLESS
from policy.rules.aws.kms import KMS_KEY
from policy.rules.aws.msk import MSK_CLUSTER
from policy.rules.aws.rds import RDS_CLUSTER, RDS_INSTANCE
from policy.rules.aws.s3 import S3_BUCKETS
from policy.rules.aws.secretsmanager import SECRET

PVC = "kubernetes:core/v1:PersistentVolumeClaim"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


STATEFUL_TYPES = (
    RDS_INSTANCE,
    RDS_CLUSTER,
    EC_REPLICATION_GROUP,
    EC_CLUSTER,
    EC_SERVERLESS,
    MSK_CLUSTER,
    KMS_KEY,
    BACKUP_VAULT,
    EKS_CLUSTER,
    SECRET,
    EBS_VOLUME,
    PVC,
    *S3_BUCKETS,
    "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication",
    "aws:ecr/repository:Repository",
    "aws:route53/zone:Zone",
)


@stack_rule(
    id="STACK-PROT-001",
    title="Stateful resources are protected in prod",
    severity="high",
    description="In the environments of `requireProtectIn` (default prod), every RDS instance/cluster, "
    "ElastiCache cache, MSK cluster, KMS key, Backup vault, S3 bucket, EKS cluster, Secrets "
    "Manager secret, EBS volume, RDS cross-region backup replication, ECR repository, Route 53 zone, "
    "PersistentVolumeClaim and StatefulSet with volumeClaimTemplates has the Pulumi `protect` option. "
    "Buckets tagged `ephemeral=true` are skipped. "
    "(`retainOnDelete` is not visible to policies, so it cannot count.)",
    rationale="`protect` makes Pulumi refuse to delete the resource, including on a replacement caused by an "
    "innocent-looking change; it is the last line before `pulumi destroy -s prod` or a refactor "
    "that renames a database loses data.",
    remediation="Groundwork sets `protect` from `StackConfig.protect_stateful_resources` (true in prod) "
    "through `platform.aws_opts(protect=...)`; pass it for any stateful resource added outside a "
    "component.",
    thresholds={"requireProtectIn": ["prod"]},
    aliases=("STK-PROT-001",),
)
def stateful_protected(stack: Stack):
    if stack.environment not in stack.threshold("requireProtectIn", ["prod"]):
        return

    def check(r: Resource):
        if r.type in S3_BUCKETS and str((r.peek("tags") or {}).get("ephemeral", "")).lower() == "true":
            return
        claims = r.type == STATEFUL_SET and r.peek("spec.volumeClaimTemplates")
        stateful = r.type in STATEFUL_TYPES or claims
        if stateful and not r.protect:
            yield (
                r,
                (
                    f"{r.type.rsplit(':', 1)[1]} {r.name} is not protected: a destroy or replacement "
                    "deletes it"
                ),
            )

    yield from each(stack.resources, check)


@stack_rule(
    id="STACK-PROT-002",
    title="Log groups are protected in prod",
    severity="high",
    description="In the environments of `requireProtectIn` (default prod), every CloudWatch log group has "
    "the Pulumi `protect` option and CloudWatch's own `deletionProtectionEnabled`.",
    rationale="The log groups hold the evidence an investigation needs (EKS audit logs, VPC flow logs, "
    "database and broker logs, the audit trail) for up to a year; deleting one, by hand or by a "
    "refactor, loses it for good.",
    remediation="Groundwork sets both from `StackConfig.protect_stateful_resources` (true in prod) through "
    "each component's `protect`; pass it for any log group added outside a component.",
    thresholds={"requireProtectIn": ["prod"]},
)
def log_groups_protected(stack: Stack):
    if stack.environment not in stack.threshold("requireProtectIn", ["prod"]):
        return

    def check(r: Resource):
        missing = [] if r.protect else ["Pulumi protect"]
        if r.peek("deletionProtectionEnabled") is not True:
            missing.append("deletionProtectionEnabled")
        if missing:
            yield r, f"log group {r.name} lacks {' and '.join(missing)}: it can be deleted with its logs"

    yield from each(stack.of_type(LOG_GROUP), check)
