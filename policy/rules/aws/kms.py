"""KMS rules: keys (rotation, key policy, deletion window, description), and the stack rule that
every datastore uses a key this stack owns (STACK-KMS-001).

Groundwork's `KmsKey` component creates the stack's platform key.
"""

from __future__ import annotations

from policy.framework import Resource, Stack, resource_rule, stack_rule
from policy.helpers import allows, each, is_public_principal, policy_document, unconditioned, walk_strings
from policy.rules.aws.backup import BACKUP_VAULT
from policy.rules.aws.ec2 import EBS_VOLUME
from policy.rules.aws.eks import EKS_CLUSTER
from policy.rules.aws.elasticache import EC_REPLICATION_GROUP, EC_SERVERLESS
from policy.rules.aws.msk import MSK_CLUSTER
from policy.rules.aws.rds import RDS_CLUSTER, RDS_INSTANCE
from policy.rules.aws.secretsmanager import SECRET

KMS_KEY = "aws:kms/key:Key"


@resource_rule(
    id="AWS-KMS-001",
    title="KMS keys rotate their key material",
    severity="medium",
    resource_types=(KMS_KEY,),
    description="A symmetric key (`customerMasterKeySpec`/`keySpec` unset or SYMMETRIC_DEFAULT) sets "
    "`enableKeyRotation` true and, when `rotationPeriodInDays` is set, at most `maxRotationDays` "
    "(365 by default).",
    rationale="Rotation limits how much data one leaked key version can decrypt and is required by most "
    "compliance regimes; AWS rotates transparently, so there is no cost to applications.",
    remediation="Keep the KmsKey component's `enable_key_rotation=True` (its default).",
    tags=(
        "awsguard:cmk-backing-key-rotation-enabled",
        "checkov:CKV_AWS_7",
        "fsbp:KMS.4",
        "cdk-nag:AwsSolutions-KMS5",
        "compliance-policies:kms-key-enable-key-rotation",
    ),
    thresholds={"maxRotationDays": 365},
)
def kms_rotation(r: Resource):
    spec = r.get("customerMasterKeySpec") or r.get("keySpec") or "SYMMETRIC_DEFAULT"
    if spec != "SYMMETRIC_DEFAULT":
        return
    if r.get("enableKeyRotation") is not True:
        yield f"KMS key {r.name} does not enable key rotation"
    period = r.get("rotationPeriodInDays")
    limit = int(r.threshold("maxRotationDays", 365))
    if period is not None and float(period) > limit:
        yield f"KMS key {r.name} rotates every {int(period)} days, more than {limit}"


@resource_rule(
    id="AWS-KMS-002",
    title="KMS key policies are explicit and never public",
    severity="critical",
    resource_types=(KMS_KEY,),
    description='`policy` is set, and no Allow statement names Principal "*" (or AWS "*") without a '
    "Condition.",
    rationale="A key policy is the only thing deciding who may decrypt everything the key protects; the "
    "default policy is implicit, and a public principal lets any AWS account use the key.",
    remediation="Write the key policy explicitly (the KmsKey component grants the account root "
    "administration and only the named services use); scope any wildcard principal with "
    "`aws:PrincipalOrgID` or `kms:CallerAccount` conditions.",
    tags=("checkov:CKV_AWS_33", "checkov:CKV2_AWS_64", "fsbp:KMS.5"),
)
def kms_policy(r: Resource):
    doc = policy_document(r.get("policy"))
    if doc is None:
        yield f"KMS key {r.name} has no explicit key policy"
        return
    for statement in allows(doc):
        if is_public_principal(statement) and unconditioned(statement):
            yield f"KMS key {r.name} policy statement {statement.get('Sid', '(no Sid)')} allows any principal"


@resource_rule(
    id="AWS-KMS-003",
    title="KMS keys keep the policy lockout safety check",
    severity="critical",
    resource_types=(KMS_KEY,),
    description="`bypassPolicyLockoutSafetyCheck` is unset or false.",
    rationale="Bypassing the check lets a key policy lock every administrator out of the key for good; the "
    "data it encrypts then depends on an AWS support case.",
    remediation="Remove `bypass_policy_lockout_safety_check`.",
    tags=("compliance-policies:kms-key-disallow-bypass-policy-lockout-safety-check",),
)
def kms_lockout_check(r: Resource):
    if r.get("bypassPolicyLockoutSafetyCheck") is True:
        yield f"KMS key {r.name} bypasses the policy lockout safety check"


@resource_rule(
    id="AWS-KMS-004",
    title="KMS keys are enabled and cannot be deleted in a hurry",
    severity="high",
    resource_types=(KMS_KEY,),
    description="`isEnabled` is not false, and `deletionWindowInDays` (AWS default 30) is at least "
    "`minDeletionWindowDays` (30 by default; 7 in dev and local policy config).",
    rationale="Deleting a key destroys every backup, snapshot and log encrypted with it; the waiting "
    "period is the only chance to notice and cancel a mistaken or malicious deletion.",
    remediation="Use the KmsKey component's `deletion_window_days=30` (its default) in staging and prod.",
    tags=("fsbp:KMS.3", "checkov:CKV_AWS_227"),
    thresholds={"minDeletionWindowDays": 30},
)
def kms_deletion_window(r: Resource):
    if r.get("isEnabled") is False:
        yield f"KMS key {r.name} is disabled"
    window = r.get("deletionWindowInDays")
    minimum = int(r.threshold("minDeletionWindowDays", 30))
    if window is not None and float(window) < minimum:
        yield f"KMS key {r.name} has a {int(window)}-day deletion window, less than {minimum}"


@resource_rule(
    id="AWS-KMS-005",
    title="KMS keys say what they protect",
    severity="low",
    resource_types=(KMS_KEY,),
    description="`description` is set and non-empty.",
    rationale="During an incident or an access review, the description is how an operator knows what a key "
    "protects and therefore what disabling it would break.",
    remediation="Pass a description to the KmsKey component (it defaults to naming the stack and its use).",
    tags=("compliance-policies:kms-key-missing-description",),
)
def kms_description(r: Resource):
    if not str(r.get("description") or "").strip():
        yield f"KMS key {r.name} has no description"


# --- keys owned by the stack ----------------------------------------------------------------------

KEY_INPUTS = {
    RDS_INSTANCE: "kmsKeyId",
    RDS_CLUSTER: "kmsKeyId",
    EC_REPLICATION_GROUP: "kmsKeyId",
    EC_SERVERLESS: "kmsKeyId",
    MSK_CLUSTER: "encryptionInfo",
    BACKUP_VAULT: "kmsKeyArn",
    EKS_CLUSTER: "encryptionConfig",
    SECRET: "kmsKeyId",
    EBS_VOLUME: "kmsKeyId",
}


@stack_rule(
    id="STACK-KMS-001",
    title="Datastores use a key this stack owns",
    severity="medium",
    description="For every datastore, vault, secret and cluster that names a KMS key, the key input depends "
    "on an `aws:kms/key:Key` of this stack (the engine's property dependencies) or is in the "
    "policy config's `allowedKmsKeyArns`; `alias/aws/*` AWS-managed keys fail.",
    rationale="A key from another stack or environment couples lifecycles (its deletion makes this stack's "
    "data unreadable) and lets that environment's administrators decrypt this one's data. Other rule "
    "sets only check that some key is set.",
    remediation="Pass `platform.kms.key_arn` (the stack's own key) to every component.",
    thresholds={"allowedKmsKeyArns": []},
    aliases=("STK-KMS-001",),
)
def keys_owned_by_stack(stack: Stack):
    own = {k.urn for k in stack.of_type(KMS_KEY)}
    allowed = set(stack.threshold("allowedKmsKeyArns", []))

    def check(r: Resource):
        prop = KEY_INPUTS[r.type]
        if not r.peek(prop):
            return
        if own & set(r.depends_on(prop)):
            return
        values = [v for _, v in walk_strings({prop: r.peek(prop)}) if "kms" in v or v.startswith("alias/")]
        bad = [v for v in values if v not in allowed]
        if bad:
            yield r, f"{r.name} uses KMS key {bad[0]}, which is neither created in this stack nor allowed"

    yield from each(stack.of_type(*KEY_INPUTS), check)
