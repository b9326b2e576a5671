"""policy/rules/aws/secretsmanager.py: each rule fires on a broken copy of a compliant secret (or
secret with its rotation) and stays silent on the compliant original."""

import pytest

from tests.policy._cases import DROP, baseline_fired, fired, patched, res, stack_fired

SECRET = "aws:secretsmanager/secret:Secret"
ROTATION = "aws:secretsmanager/secretRotation:SecretRotation"
BASELINE = {"description": "Grafana admin password", "kmsKeyId": "arn:k"}

RESOURCE_CASES = [
    ("AWS-SM-001", {"kmsKeyId": DROP}),
    ("AWS-SM-003", {"description": DROP}),
]


@pytest.mark.parametrize("rule_id, overrides", RESOURCE_CASES, ids=[c[0] for c in RESOURCE_CASES])
def test_rule_fires_on_broken_secret(rule_id, overrides):
    assert rule_id in fired(SECRET, patched(BASELINE, overrides))


@pytest.mark.parametrize("rule_id", [c[0] for c in RESOURCE_CASES])
def test_rule_is_silent_on_compliant_secret(rule_id):
    assert rule_id not in baseline_fired(SECRET, BASELINE)


ROTATED = [
    res(SECRET, "db-secret", BASELINE),
    res(
        ROTATION, "rot", {"rotationRules": {"automaticallyAfterDays": 30.0}}, deps={"secretId": ["db-secret"]}
    ),
]


@pytest.mark.parametrize(
    "rules",
    [{"automaticallyAfterDays": 30.0}, {"scheduleExpression": "rate(30 days)"}],
    ids=["days", "schedule"],
)
def test_rotation_is_silent_on_a_secret_rotated_often_enough(rules):
    stack = [ROTATED[0], {**ROTATED[1], "props": {"rotationRules": rules}}]
    assert "AWS-SM-002" not in stack_fired(stack)


@pytest.mark.parametrize(
    "stack",
    [
        ROTATED[:1],
        [ROTATED[0], {**ROTATED[1], "props": {"rotationRules": {"automaticallyAfterDays": 180.0}}}],
    ],
    ids=["no-rotation", "rotated-too-rarely"],
)
def test_rotation_fires_on_a_secret_rotated_too_rarely_or_never(stack):
    assert "AWS-SM-002" in stack_fired(stack)
