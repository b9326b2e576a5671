"""policy/rules/aws/sns.py: each rule fires on a broken copy of a compliant topic or topic policy and
stays silent on the compliant original."""

import pytest

from tests.policy._cases import DROP, baseline_fired, fired, patched
from tests.policy.rules.aws._documents import doc

TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
PUBLISH = {"Effect": "Allow", "Action": "sns:Publish", "Resource": "arn:t"}

BASELINES = {
    TOPIC: {"name": "alerts", "kmsMasterKeyId": "arn:k"},
    TOPIC_POLICY: {
        "arn": "arn:t",
        "policy": doc({**PUBLISH, "Principal": {"Service": "cloudwatch.amazonaws.com"}}),
    },
}

RESOURCE_CASES = [
    ("AWS-SNS-001", TOPIC, {"kmsMasterKeyId": DROP}),
    ("AWS-SNS-002", TOPIC_POLICY, {"policy": doc({**PUBLISH, "Principal": "*"})}),
]


@pytest.mark.parametrize("rule_id, type_, overrides", RESOURCE_CASES, ids=[c[0] for c in RESOURCE_CASES])
def test_rule_fires_on_broken_resource(rule_id, type_, overrides):
    assert rule_id in fired(type_, patched(BASELINES[type_], overrides))


@pytest.mark.parametrize("rule_id, type_", [(c[0], c[1]) for c in RESOURCE_CASES])
def test_rule_is_silent_on_compliant_resource(rule_id, type_):
    assert rule_id not in baseline_fired(type_, BASELINES[type_])
