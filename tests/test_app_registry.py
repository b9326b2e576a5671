"""The stack's ECR registry on mocks: immutable, scanned, on the stack key, expiring old images,
and open to the cluster's nodes (pull) and the CI push role (push) only."""

from __future__ import annotations

import json

import pytest

from components.registry import (
    IMAGE_ACTIONS,
    PULL_ACTIONS,
    PUSH_ACTIONS,
    Registry,
    RegistryArgs,
    RegistrySettings,
)
from stacks.preflight.capture import Capture
from tests.app_support import ACCOUNT, KMS_ARN
from tests.conftest import run_component
from tests.data_support import TAGS

NODE_ROLE = f"arn:aws:iam::{ACCOUNT}:role/dev-cluster-node-role"
REPOSITORY = "aws:ecr/repository:Repository"


def _registry(settings: RegistrySettings | None = None, protect: bool = True) -> Capture:
    return run_component(
        lambda: Registry(
            "dev-registry",
            RegistryArgs(
                settings=settings or RegistrySettings(),
                prefix="dev",
                repositories=("api", "web"),
                kms_key_arn=KMS_ARN,
                puller_role_arns=(NODE_ROLE,),
                protect=protect,
                tags=TAGS,
            ),
        )
    )


@pytest.fixture(scope="module")
def basic() -> Capture:
    return _registry()


def test_one_repository_per_image_under_the_stacks_prefix(basic):
    assert sorted(r.props["name"] for r in basic.of_type(REPOSITORY)) == ["dev/api", "dev/web"]


def test_tags_are_immutable_and_images_scanned_on_push(basic):
    for repository in basic.of_type(REPOSITORY):
        assert repository.props["imageTagMutability"] == "IMMUTABLE"
        assert repository.props["imageScanningConfiguration"] == {"scanOnPush": True}
        assert repository.props["forceDelete"] is False


def test_images_are_encrypted_with_the_stack_key(basic):
    for repository in basic.of_type(REPOSITORY):
        assert repository.props["encryptionConfigurations"] == [{"encryptionType": "KMS", "kmsKey": KMS_ARN}]


def test_repositories_are_protected_when_the_stack_protects_its_state(basic):
    assert all(r.protect for r in basic.of_type(REPOSITORY))
    assert not any(r.protect for r in _registry(protect=False).of_type(REPOSITORY))


def test_the_lifecycle_expires_untagged_images_and_keeps_the_newest_tagged_ones(basic):
    (policy, _) = basic.of_type("aws:ecr/lifecyclePolicy:LifecyclePolicy")
    rules = json.loads(policy.props["policy"])["rules"]
    assert [r["selection"] for r in rules] == [
        {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 7},
        {
            "tagStatus": "tagged",
            "tagPatternList": ["*"],
            "countType": "imageCountMoreThan",
            "countNumber": 30,
        },
    ]
    assert all(r["action"] == {"type": "expire"} for r in rules)


def test_only_the_nodes_pull_and_only_the_ci_role_pushes(basic):
    (policy, _) = basic.of_type("aws:ecr/repositoryPolicy:RepositoryPolicy")
    statements = {s["Sid"]: s for s in json.loads(policy.props["policy"])["Statement"]}
    pusher = f"arn:aws:iam::{ACCOUNT}:role/groundwork-image-push"
    assert statements["NodesPull"]["Principal"] == {"AWS": [NODE_ROLE]}
    assert statements["NodesPull"]["Action"] == list(PULL_ACTIONS)
    assert statements["CiPushes"]["Principal"] == {"AWS": [pusher]}
    assert set(statements["CiPushes"]["Action"]) == {*PULL_ACTIONS, *PUSH_ACTIONS}
    deny = statements["NobodyElse"]
    assert (deny["Effect"], deny["Principal"], deny["Action"]) == ("Deny", "*", list(IMAGE_ACTIONS))
    assert deny["Condition"]["ArnNotLike"]["aws:PrincipalArn"] == [
        NODE_ROLE,
        pusher,
        f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/*",
    ]


def test_basic_scanning_leaves_the_accounts_registry_setting_alone(basic):
    assert basic.of_type("aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration") == []


def test_enhanced_scanning_scans_the_stacks_repositories_continuously():
    capture = _registry(RegistrySettings(enhanced_scanning=True))
    (scanning,) = capture.of_type("aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration")
    assert scanning.props["scanType"] == "ENHANCED"
    assert scanning.props["rules"] == [
        {
            "scanFrequency": "CONTINUOUS_SCAN",
            "repositoryFilters": [{"filter": "dev/*", "filterType": "WILDCARD"}],
        }
    ]


def test_every_repository_carries_the_stack_tags(basic):
    for repository in basic.of_type(REPOSITORY):
        assert repository.props["tags"]["owner"] == TAGS["owner"] and repository.props["tags"]["component"]
