"""policy/rules/aws/ec2.py: each rule fires on a broken copy of a compliant EC2 instance or EBS volume
and stays silent on the compliant original."""

import pytest

from tests.policy._cases import DROP, baseline_fired, fired, patched
from tests.policy.rules.aws._baselines import BASELINES as SHARED
from tests.policy.rules.aws._baselines import EC2_INSTANCE, KEY

VOLUME = "aws:ebs/volume:Volume"

BASELINES = {
    EC2_INSTANCE: SHARED[EC2_INSTANCE],
    VOLUME: {"availabilityZone": "eu-west-1a", "size": 20.0, "encrypted": True, "kmsKeyId": KEY},
}

RESOURCE_CASES = [
    ("AWS-EC2-001", EC2_INSTANCE, {"metadataOptions": DROP}),
    ("AWS-EC2-002", EC2_INSTANCE, {"associatePublicIpAddress": True}),
    ("AWS-EC2-003", EC2_INSTANCE, {"rootBlockDevice.encrypted": False}),
    ("AWS-EC2-004", VOLUME, {"encrypted": False}),
]


@pytest.mark.parametrize("rule_id, type_, overrides", RESOURCE_CASES, ids=[c[0] for c in RESOURCE_CASES])
def test_rule_fires_on_broken_resource(rule_id, type_, overrides):
    assert rule_id in fired(type_, patched(BASELINES[type_], overrides))


@pytest.mark.parametrize("rule_id, type_", [(c[0], c[1]) for c in RESOURCE_CASES])
def test_rule_is_silent_on_compliant_resource(rule_id, type_):
    assert rule_id not in baseline_fired(type_, BASELINES[type_])
