"""ECR rules: the repositories Groundwork creates per application and the registry-wide scanning
configuration (immutable tags, scanning, encryption, lifecycle, no public policy).
"""

from __future__ import annotations

from policy.framework import Resource, Stack, resource_rule, stack_rule
from policy.helpers import (
    condition_keys,
    each,
    first,
    is_public_principal,
    is_true,
    linked,
    policy_document,
    statements,
)

ECR_REPOSITORY = "aws:ecr/repository:Repository"
ECR_REGISTRY_SCANNING = "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration"
ECR_LIFECYCLE_POLICY = "aws:ecr/lifecyclePolicy:LifecyclePolicy"
ECR_REPOSITORY_POLICY = "aws:ecr/repositoryPolicy:RepositoryPolicy"


def _repositories_of(stack: Stack, satellite_type: str, repo: Resource) -> list[Resource]:
    return [
        s for s in stack.of_type(satellite_type) if repo in linked(s, "repository", [repo], keys=("name",))
    ]


@resource_rule(
    id="AWS-ECR-001",
    title="ECR image tags are immutable",
    severity="high",
    resource_types=(ECR_REPOSITORY,),
    description="Checks `imageTagMutability` is IMMUTABLE or IMMUTABLE_WITH_EXCLUSION (AWS defaults to "
    "MUTABLE).",
    rationale="With mutable tags, whoever can push can replace `api:1.4.2` under a running deployment; the "
    "scanned, reviewed image is no longer what runs.",
    remediation='Set `image_tag_mutability="IMMUTABLE"` on the repository.',
    tags=("compliance-policies:ecr-repository-disallow-mutable-image", "checkov:CKV_AWS_51", "fsbp:ECR.2"),
)
def ecr_immutable_tags(r: Resource):
    mutability = r.get("imageTagMutability") or "MUTABLE"
    if mutability not in ("IMMUTABLE", "IMMUTABLE_WITH_EXCLUSION"):
        yield f"imageTagMutability is {mutability}: pushed tags can be overwritten"


@stack_rule(
    id="AWS-ECR-002",
    title="ECR images are scanned on push",
    severity="high",
    description="Every `aws:ecr/repository` has `imageScanningConfiguration.scanOnPush == true`, unless the "
    "stack configures registry-wide ENHANCED scanning (`aws:ecr/registryScanningConfiguration`).",
    rationale="Scanning on push is what turns a vulnerable base image into a finding before it is deployed.",
    remediation='Set `image_scanning_configuration={"scan_on_push": True}` or enable Inspector enhanced '
    "scanning for the registry.",
    tags=("compliance-policies:ecr-repository-enable-image-scan", "checkov:CKV_AWS_163", "fsbp:ECR.1"),
)
def ecr_scan_on_push(stack: Stack):
    if any(s.peek("scanType") == "ENHANCED" for s in stack.of_type(ECR_REGISTRY_SCANNING)):
        return

    def check(repo: Resource):
        if not is_true(repo.get("imageScanningConfiguration.scanOnPush")):
            yield repo, f"{repo.name} does not scan images on push"

    yield from each(stack.of_type(ECR_REPOSITORY), check)


@resource_rule(
    id="AWS-ECR-003",
    title="ECR repositories are encrypted with a customer-managed key",
    severity="medium",
    resource_types=(ECR_REPOSITORY,),
    description="Checks `encryptionConfigurations[].encryptionType` is KMS (or KMS_DSSE) with a `kmsKey`.",
    rationale="Images embed application code and sometimes configuration; a customer-managed key keeps "
    "decrypt rights under the platform's key policy (AES256 is AWS-owned).",
    remediation='Set `encryption_configurations=[{"encryption_type": "KMS", "kms_key": platform key}]`.',
    tags=(
        "compliance-policies:ecr-repository-disallow-unencrypted-repository",
        "compliance-policies:ecr-repository-configure-customer-managed-key",
        "checkov:CKV_AWS_136",
    ),
)
def ecr_kms(r: Resource):
    config = first(r.get("encryptionConfigurations"))
    if config.get("encryptionType") not in ("KMS", "KMS_DSSE"):
        yield f"encryptionType is {config.get('encryptionType') or 'AES256 (default)'}; use KMS"
    elif not config.get("kmsKey"):
        yield "kmsKey is unset: the AWS-managed aws/ecr key is used"


@stack_rule(
    id="AWS-ECR-004",
    title="ECR repositories expire old images",
    severity="medium",
    description="Every `aws:ecr/repository` has an `aws:ecr/lifecyclePolicy` (joined by `repository`).",
    rationale="Without a lifecycle policy, untagged and superseded images pile up forever: cost, and a long "
    "tail of vulnerable images someone may still pull.",
    remediation="Add a LifecyclePolicy that expires untagged images after 14 days and keeps the last N "
    "releases.",
    tags=("fsbp:ECR.3",),
)
def ecr_lifecycle(stack: Stack):
    def check(repo: Resource):
        if not _repositories_of(stack, ECR_LIFECYCLE_POLICY, repo):
            yield repo, f"{repo.name} has no lifecycle policy"

    yield from each(stack.of_type(ECR_REPOSITORY), check)


@resource_rule(
    id="AWS-ECR-005",
    title="ECR repository policies are not public",
    severity="critical",
    resource_types=(ECR_REPOSITORY_POLICY,),
    description='Checks no Allow statement of the repository `policy` names Principal "*" without a '
    "Condition restricting it to an organisation or account (aws:PrincipalOrgID, "
    "aws:PrincipalAccount, aws:SourceAccount).",
    rationale="A public repository policy lets anyone pull (or, with write actions, push) the platform's "
    "images.",
    remediation="Grant pull to specific account or role ARNs, or add an aws:PrincipalOrgID condition.",
    tags=("checkov:CKV_AWS_32", "cdk-nag:AwsSolutions-ECR1"),
)
def ecr_policy_not_public(r: Resource):
    restricting = {"aws:principalorgid", "aws:principalaccount", "aws:sourceaccount", "aws:sourcevpce"}
    for s in statements(policy_document(r.get("policy"))):
        if s.get("Effect") == "Allow" and is_public_principal(s):
            keys = set(condition_keys(s))
            if not keys & restricting:
                yield f"statement {s.get('Sid', '')!r} allows Principal '*'"


@resource_rule(
    id="AWS-ECR-006",
    title="ECR repositories cannot be force-deleted",
    severity="low",
    resource_types=(ECR_REPOSITORY,),
    description="Checks `forceDelete` is not true.",
    rationale="force_delete deletes every image with the repository, including the ones running in prod; a "
    "replacement then leaves nodes unable to pull on the next reschedule.",
    remediation="Remove `force_delete=True`.",
)
def ecr_no_force_delete(r: Resource):
    if is_true(r.get("forceDelete")):
        yield "forceDelete is true: deleting the repository deletes its images"
