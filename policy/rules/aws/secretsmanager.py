"""Secrets Manager rules: secrets are encrypted with the stack's key, rotated, and described."""

from __future__ import annotations

from policy.framework import Resource, Stack, resource_rule, stack_rule

SECRET = "aws:secretsmanager/secret:Secret"
SECRET_ROTATION = "aws:secretsmanager/secretRotation:SecretRotation"


@resource_rule(
    id="AWS-SM-001",
    title="Secrets are encrypted with a customer-managed key",
    severity="medium",
    resource_types=(SECRET,),
    description="`kmsKeyId` is set.",
    rationale="With the AWS-managed key any principal with secretsmanager:GetSecretValue in the account "
    "can read the secret; a customer-managed key adds the key policy as a second gate and an "
    "audit trail.",
    remediation="Pass the platform KMS key to the component that creates the secret.",
    tags=(
        "checkov:CKV_AWS_149",
        "cdk-nag:NIST.800.53.R5-SecretsManagerUsingKMSKey",
        "compliance-policies:secretsmanager-secret-configure-customer-managed-key",
    ),
)
def secret_kms(r: Resource):
    if not r.has("kmsKeyId"):
        yield f"secret {r.name} uses the AWS-managed key"


@stack_rule(
    id="AWS-SM-002",
    title="Secrets rotate at least every 90 days",
    severity="medium",
    description="Each `aws:secretsmanager/secret:Secret` is the `secretId` of a SecretRotation whose "
    "`rotationRules.automaticallyAfterDays` is at most `maxRotationDays` (90) or that sets "
    "`rotationRules.scheduleExpression`.",
    rationale="A credential that never changes stays valid in every place it ever leaked to: old laptops, "
    "CI logs, former colleagues' shells.",
    remediation="Add a SecretRotation with a rotation Lambda, or prefer service-managed credentials "
    "(RDS `manageMasterUserPassword`) that AWS rotates itself.",
    tags=(
        "checkov:CKV2_AWS_57",
        "checkov:CKV_AWS_304",
        "fsbp:SecretsManager.1",
        "fsbp:SecretsManager.4",
        "cdk-nag:AwsSolutions-SMG4",
        "cdk-nag:NIST.800.53.R5-SecretsManagerRotationEnabled",
    ),
    thresholds={"maxRotationDays": 90},
)
def secret_rotation(stack: Stack):
    limit = int(stack.threshold("maxRotationDays", 90))
    rotations = stack.of_type(SECRET_ROTATION)
    for secret in stack.of_type(SECRET):
        mine = [r for r in rotations if secret.urn in r.depends_on("secretId")]
        if not mine:
            yield secret, f"secret {secret.name} has no rotation"
            continue
        for rotation in mine:
            days = rotation.peek("rotationRules.automaticallyAfterDays")
            schedule = rotation.peek("rotationRules.scheduleExpression")
            if schedule is None and isinstance(days, (int, float)) and days > limit:
                yield secret, f"secret {secret.name} rotates every {int(days)} days, more than {limit}"


@resource_rule(
    id="AWS-SM-003",
    title="Secrets say what they hold",
    severity="low",
    resource_types=(SECRET,),
    description="`description` is set and non-empty.",
    rationale="An undescribed secret cannot be rotated, revoked or deleted safely, because nobody knows what "
    "uses it.",
    remediation="Give the secret a description naming the service and the consumer.",
    tags=("compliance-policies:secretsmanager-secret-missing-description",),
)
def secret_description(r: Resource):
    if not str(r.get("description") or "").strip():
        yield f"secret {r.name} has no description"
