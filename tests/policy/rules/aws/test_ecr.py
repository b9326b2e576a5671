"""policy/rules/aws/ecr.py: each rule fires on a broken copy of a compliant repository, repository
policy or repository stack, and stays silent on the compliant original."""

import pytest

from tests.policy._cases import DROP, baseline_fired, fired, patched, res, stack_fired
from tests.policy.rules.aws._baselines import KEY

REPO = "aws:ecr/repository:Repository"
REPO_POLICY = "aws:ecr/repositoryPolicy:RepositoryPolicy"

BASELINES = {
    REPO: {
        "name": "api",
        "imageTagMutability": "IMMUTABLE",
        "imageScanningConfiguration": {"scanOnPush": True},
        "encryptionConfigurations": [{"encryptionType": "KMS", "kmsKey": KEY}],
        "forceDelete": False,
    },
    REPO_POLICY: {
        "repository": "api",
        "policy": '{"Statement":[{"Effect":"Allow","Principal":{"AWS":'
        '"arn:aws:iam::123456789012:role/ci"},"Action":"ecr:*"}]}',
    },
}

RESOURCE_CASES = [
    ("AWS-ECR-001", REPO, {"imageTagMutability": DROP}),
    ("AWS-ECR-003", REPO, {"encryptionConfigurations": DROP}),
    (
        "AWS-ECR-005",
        REPO_POLICY,
        {"policy": '{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:*"}]}'},
    ),
    ("AWS-ECR-006", REPO, {"forceDelete": True}),
]


@pytest.mark.parametrize("rule_id, type_, overrides", RESOURCE_CASES, ids=[c[0] for c in RESOURCE_CASES])
def test_rule_fires_on_broken_resource(rule_id, type_, overrides):
    assert rule_id in fired(type_, patched(BASELINES[type_], overrides))


@pytest.mark.parametrize("rule_id, type_", [(c[0], c[1]) for c in RESOURCE_CASES])
def test_rule_is_silent_on_compliant_resource(rule_id, type_):
    assert rule_id not in baseline_fired(type_, BASELINES[type_])


REPO_STACK = [
    res(REPO, "api", BASELINES[REPO]),
    res("aws:ecr/lifecyclePolicy:LifecyclePolicy", "api-lifecycle", {"repository": "api", "policy": "{}"}),
]
STACK_CASES = [
    (
        "AWS-ECR-002",
        lambda s: [{**s[0], "props": patched(s[0]["props"], {"imageScanningConfiguration": DROP})}, *s[1:]],
    ),
    ("AWS-ECR-004", lambda s: s[:1]),
]


@pytest.mark.parametrize("rule_id, breaks", STACK_CASES, ids=[c[0] for c in STACK_CASES])
def test_stack_rule_fires_on_broken_stack(rule_id, breaks):
    assert rule_id in stack_fired(breaks(REPO_STACK))


@pytest.mark.parametrize("rule_id", [c[0] for c in STACK_CASES])
def test_stack_rule_is_silent_on_compliant_stack(rule_id):
    assert rule_id not in stack_fired(REPO_STACK)


def test_registry_wide_enhanced_scanning_covers_every_repository():
    unscanned = [
        res(REPO, "api", patched(BASELINES[REPO], {"imageScanningConfiguration": DROP})),
        res(
            "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration",
            "scan",
            {"scanType": "ENHANCED", "rules": []},
        ),
    ]
    assert "AWS-ECR-002" not in stack_fired(unscanned)
