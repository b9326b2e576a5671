"""The stack's container registry: one ECR repository per image its apps build, locked to the stack.

Each repository has immutable tags (a pushed `1.4.2` can never be replaced under a running
deployment), scan on push, the stack's KMS key, a lifecycle policy that keeps the newest tagged
images and expires untagged layers after a few days, and a repository policy under which only the
cluster's nodes may pull and only the CI push role(s) may push: an explicit Deny covers every other
principal of the account, since an Allow alone would add to whatever IAM already grants.

Scanning: every repository scans on push with ECR's basic scanning. Enhanced scanning (Amazon
Inspector, continuous re-scans as new CVEs appear) is opt-in (`enhancedScanning`): it needs
Inspector activated in the account, is billed per image, and its switch is the account's single
registry scanning configuration per region, so only one stack per account and region may own it.

What it does not do: replicate images across regions or accounts, or create the CI push role
(the image pipeline's workflow assumes it by OIDC; docs/apps.md says how to create it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws
from pydantic import Field, field_validator

from components._lib.args import ComponentArgs
from components._lib.inputs import StrInput
from components.tagging import component_tags

# A repository name as ECR accepts it (lower-case path components separated by `/`).
REPOSITORY_NAME = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$")
_ROLE_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")
_REGISTRY_HOST = re.compile(r"^[a-z0-9.-]+(:\d{1,5})?$")
PULL_ACTIONS = ("ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")
PUSH_ACTIONS = (
    "ecr:CompleteLayerUpload",
    "ecr:InitiateLayerUpload",
    "ecr:PutImage",
    "ecr:UploadLayerPart",
)
# The image actions the Deny withholds from everyone else. Repository management (policies, the
# lifecycle, describe) is left to IAM, so the deployer can still manage what it created.
IMAGE_ACTIONS = tuple(sorted({*PULL_ACTIONS, *PUSH_ACTIONS, "ecr:BatchDeleteImage"}))


class RegistrySettings(ComponentArgs):
    """`groundwork:registry`: how the stack's ECR repositories keep and scan images."""

    enhanced_scanning: bool = Field(
        default=False,
        description="Turn on Amazon Inspector enhanced scanning (continuous) for this stack's repositories. "
        "Defaults to false: basic scan on push, because enhanced scanning needs Inspector in the "
        "account and is one account-wide setting per region that only one stack may own.",
    )
    keep_tagged_images: int = Field(
        default=30,
        ge=5,
        le=1000,
        description="How many tagged images each repository keeps; older ones expire. Keep more than "
        "the releases you may roll back to. Defaults to 30.",
    )
    untagged_expiry_days: int = Field(
        default=7,
        ge=1,
        le=90,
        description="Days after which untagged images (superseded layers, failed pushes) expire. "
        "Defaults to 7.",
    )
    push_role_names: tuple[str, ...] = Field(
        default=("groundwork-image-push",),
        min_length=1,
        max_length=10,
        description="IAM roles of this account that may push images (the image pipeline's OIDC role). "
        "Defaults to groundwork-image-push.",
    )
    local_registry: str = Field(
        default="localhost:5001",
        description="On the local stack (kind), the registry that holds images named by `repository`: "
        "kind's documented local registry listens on localhost:5001. Defaults to localhost:5001.",
    )

    @field_validator("push_role_names")
    @classmethod
    def _role_names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [name for name in value if not _ROLE_NAME.match(name)]
        if bad:
            raise ValueError(f"IAM role names such as groundwork-image-push (not {bad})")
        return value

    @field_validator("local_registry")
    @classmethod
    def _local_registry(cls, value: str) -> str:
        if not _REGISTRY_HOST.match(value):
            raise ValueError("a registry host[:port] such as localhost:5001")
        return value


class RegistryArgs(ComponentArgs):
    """What the registry is built from: the settings, the repositories' names and who may use them."""

    settings: RegistrySettings = Field(
        default_factory=RegistrySettings, description="Retention, scanning and push roles."
    )
    prefix: str = Field(
        min_length=1,
        max_length=64,
        description="The stack's path in the account's registry: repository `api` becomes `<prefix>/api`.",
    )
    repositories: tuple[str, ...] = Field(
        min_length=1, description="The repositories to create, as the apps name them (`api`)."
    )
    kms_key_arn: StrInput = Field(exclude=True, description="The stack's KMS key; it encrypts every image.")
    puller_role_arns: tuple[StrInput, ...] = Field(
        exclude=True,
        min_length=1,
        description="Roles that may pull: the cluster's node role (the kubelet pulls as the node).",
    )
    protect: bool = Field(
        default=True,
        description="Pulumi refuses to delete the repositories (and the images in them). Defaults to true.",
    )
    tags: Mapping[str, str] = Field(default_factory=dict, description="The stack's standard tags.")

    @field_validator("repositories")
    @classmethod
    def _names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [name for name in value if not REPOSITORY_NAME.match(name) or len(name) > 190]
        if bad:
            raise ValueError(f"ECR repository names (lower-case, `/`-separated, 2-256 characters), not {bad}")
        if len(set(value)) != len(value):
            raise ValueError(f"repository names must be distinct, got {list(value)}")
        return value


def lifecycle_policy(keep_tagged: int, untagged_days: int) -> dict[str, Any]:
    """Untagged images expire after `untagged_days`; of the tagged ones the newest `keep_tagged` stay."""
    return {
        "rules": [
            {
                "rulePriority": 1,
                "description": f"expire untagged images after {untagged_days} days",
                "selection": {
                    "tagStatus": "untagged",
                    "countType": "sinceImagePushed",
                    "countUnit": "days",
                    "countNumber": untagged_days,
                },
                "action": {"type": "expire"},
            },
            {
                "rulePriority": 2,
                "description": f"keep the newest {keep_tagged} tagged images",
                "selection": {
                    "tagStatus": "tagged",
                    "tagPatternList": ["*"],
                    "countType": "imageCountMoreThan",
                    "countNumber": keep_tagged,
                },
                "action": {"type": "expire"},
            },
        ]
    }


def repository_policy(
    account: str, partition: str, puller_arns: Sequence[str], push_role_names: Sequence[str]
) -> dict[str, Any]:
    """Nodes pull, the CI push roles push (and pull), and every other principal is denied image access.

    AWS services acting through their service-linked roles (Inspector's scanner) stay admitted.
    """
    pushers = [f"arn:{partition}:iam::{account}:role/{name}" for name in push_role_names]
    pullers = sorted(set(puller_arns))
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "NodesPull",
                "Effect": "Allow",
                "Principal": {"AWS": pullers},
                "Action": list(PULL_ACTIONS),
            },
            {
                "Sid": "CiPushes",
                "Effect": "Allow",
                "Principal": {"AWS": pushers},
                "Action": [*PULL_ACTIONS, *PUSH_ACTIONS],
            },
            {
                "Sid": "NobodyElse",
                "Effect": "Deny",
                "Principal": "*",
                "Action": list(IMAGE_ACTIONS),
                "Condition": {
                    "ArnNotLike": {
                        "aws:PrincipalArn": [
                            *pullers,
                            *pushers,
                            f"arn:{partition}:iam::{account}:role/aws-service-role/*",
                        ]
                    }
                },
            },
        ],
    }


class Registry(pulumi.ComponentResource):
    """ECR repositories for the stack's apps. `repository_urls` maps each name (as the apps write it,
    `api`) to its push/pull URL (`<account>.dkr.ecr.<region>.amazonaws.com/<prefix>/api`)."""

    repository_urls: dict[str, pulumi.Output[str]]
    repository_arns: dict[str, pulumi.Output[str]]
    scan_type: str

    def __init__(self, name: str, args: RegistryArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("groundwork:registry:Registry", name, None, opts)
        settings = args.settings
        tags = component_tags(args.tags, name)
        identity = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=self)).partition
        policy = pulumi.Output.all(identity.account_id, partition, *args.puller_role_arns).apply(
            lambda parts: json.dumps(
                repository_policy(parts[0], parts[1], parts[2:], settings.push_role_names)
            )
        )
        lifecycle = json.dumps(lifecycle_policy(settings.keep_tagged_images, settings.untagged_expiry_days))

        self.repository_urls, self.repository_arns = {}, {}
        for repository in args.repositories:
            key = repository.replace("/", "-").replace(".", "-").replace("_", "-")
            repo = aws.ecr.Repository(
                f"{name}-{key}",
                name=f"{args.prefix}/{repository}",
                image_tag_mutability="IMMUTABLE",
                image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(
                    scan_on_push=True
                ),
                encryption_configurations=[
                    aws.ecr.RepositoryEncryptionConfigurationArgs(
                        encryption_type="KMS", kms_key=args.kms_key_arn
                    )
                ],
                force_delete=False,
                tags=tags,
                opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
            )
            aws.ecr.LifecyclePolicy(
                f"{name}-{key}-lifecycle",
                repository=repo.name,
                policy=lifecycle,
                opts=pulumi.ResourceOptions(parent=self),
            )
            aws.ecr.RepositoryPolicy(
                f"{name}-{key}-policy",
                repository=repo.name,
                policy=policy,
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.repository_urls[repository] = repo.repository_url
            self.repository_arns[repository] = repo.arn

        self.scan_type = "ENHANCED" if settings.enhanced_scanning else "BASIC"
        if settings.enhanced_scanning:
            aws.ecr.RegistryScanningConfiguration(
                f"{name}-scanning",
                scan_type="ENHANCED",
                rules=[
                    aws.ecr.RegistryScanningConfigurationRuleArgs(
                        scan_frequency="CONTINUOUS_SCAN",
                        repository_filters=[
                            aws.ecr.RegistryScanningConfigurationRuleRepositoryFilterArgs(
                                filter=f"{args.prefix}/*", filter_type="WILDCARD"
                            )
                        ],
                    )
                ],
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.register_outputs(
            {
                "repository_urls": self.repository_urls,
                "repository_arns": self.repository_arns,
                "scan_type": self.scan_type,
            }
        )
