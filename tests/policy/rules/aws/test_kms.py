"""policy/rules/aws/kms.py: each rule fires on a broken copy of a compliant KMS key (or of the
compliant prod stack, for key ownership) and stays silent on the compliant original."""

import pytest

from tests.policy._cases import DROP, baseline_fired, fired, patched, replaced, stack_fired
from tests.policy.rules._stack import ALLOW_EU, STACK, broken, compliant_findings
from tests.policy.rules.aws._documents import doc

KEY = "aws:kms/key:Key"
ROOT_ADMINISTERS = doc(
    {
        "Sid": "Root",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
        "Action": "kms:*",
        "Resource": "*",
    }
)
ANYONE_DECRYPTS = {"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}

BASELINE = {
    "description": "encrypts the prod databases",
    "enableKeyRotation": True,
    "rotationPeriodInDays": 365.0,
    "policy": ROOT_ADMINISTERS,
    "bypassPolicyLockoutSafetyCheck": False,
    "deletionWindowInDays": 30.0,
    "isEnabled": True,
}

RESOURCE_CASES = [
    ("AWS-KMS-001", {"enableKeyRotation": False}),
    ("AWS-KMS-001", {"rotationPeriodInDays": 730.0}),
    ("AWS-KMS-002", {"policy": DROP}),
    ("AWS-KMS-002", {"policy": doc(ANYONE_DECRYPTS)}),
    ("AWS-KMS-003", {"bypassPolicyLockoutSafetyCheck": True}),
    ("AWS-KMS-004", {"deletionWindowInDays": 7.0}),
    ("AWS-KMS-004", {"isEnabled": False}),
    ("AWS-KMS-005", {"description": " "}),
]


@pytest.mark.parametrize(
    "rule_id, overrides", RESOURCE_CASES, ids=[f"{c[0]}-{'+'.join(c[1])}" for c in RESOURCE_CASES]
)
def test_rule_fires_on_broken_key(rule_id, overrides):
    assert rule_id in fired(KEY, patched(BASELINE, overrides))


@pytest.mark.parametrize("rule_id", sorted({c[0] for c in RESOURCE_CASES}))
def test_rule_is_silent_on_compliant_key(rule_id):
    assert rule_id not in baseline_fired(KEY, BASELINE)


def test_asymmetric_keys_need_no_rotation():
    asymmetric = patched(BASELINE, {"enableKeyRotation": False, "customerMasterKeySpec": "RSA_2048"})
    assert "AWS-KMS-001" not in fired(KEY, asymmetric)


def test_a_wildcard_principal_scoped_to_the_account_passes():
    scoped = {**ANYONE_DECRYPTS, "Condition": {"StringEquals": {"kms:CallerAccount": "123456789012"}}}
    assert "AWS-KMS-002" not in fired(KEY, patched(BASELINE, {"policy": doc(scoped)}))


def test_dev_config_allows_a_seven_day_key_deletion_window():
    assert "AWS-KMS-004" not in fired(
        KEY, patched(BASELINE, {"deletionWindowInDays": 7.0}), environment="dev"
    )


def test_a_datastore_on_another_stacks_key_fires_key_ownership():
    other = replaced(STACK, "db", {"kmsKeyId": "arn:aws:kms:eu-west-1:999999999999:key/other"})
    assert "STACK-KMS-001" in stack_fired(broken(other, "STACK-KMS-001"), config=ALLOW_EU)


def test_key_ownership_is_silent_on_compliant_stack():
    assert "STACK-KMS-001" not in compliant_findings()
