"""policy/rules/stack/credentials.py: STACK-SEC-001 fires when a copy of the compliant stack carries a
hand-typed credential, stays silent on the compliant stack, and lets generated secrets and
references pass."""

import pytest

from tests.policy._cases import replaced, res, stack_fired
from tests.policy.rules._stack import ALLOW_EU, CHART, CONFIG_MAP, STACK, compliant_findings

AWS_KEY = "[default]\naws_access_key_id = AKIAABCDEFGHIJKLMNOP\n"
PRIVATE_KEY = "-----BEGIN RSA PRIVATE KEY-----\nMIIE...\n-----END RSA PRIVATE KEY-----\n"

CASES = [
    lambda s: replaced(s, "redis", {"values.auth.password": "redis123"}),
    lambda s: [*s, res(CONFIG_MAP, "aws-creds", {"data": {"credentials": AWS_KEY}})],
    lambda s: [*s, res(CONFIG_MAP, "tls", {"data": {"tls.key": PRIVATE_KEY}})],
]


@pytest.mark.parametrize("breaks", CASES, ids=["weak-password", "aws-access-key", "private-key"])
def test_stack_rule_fires_on_broken_stack(breaks):
    assert "STACK-SEC-001" in stack_fired(breaks(STACK), config=ALLOW_EU)


def test_stack_rule_is_silent_on_compliant_stack():
    assert "STACK-SEC-001" not in compliant_findings()


def test_generated_secrets_and_references_pass_the_credential_check():
    stack = [
        res(
            CHART,
            "app",
            {
                "chart": "app",
                "version": "1.0.0",
                "values": {
                    "db": {
                        "password": "tY7$kq2#Lm9@wX4!zR8^",
                        "passwordSecret": "arn:aws:secretsmanager:eu-west-1:1:secret:db",
                        "existingSecret": "db",
                    },
                    "apiKey": "$(API_KEY)",
                },
            },
        )
    ]
    assert "STACK-SEC-001" not in stack_fired(stack)


def test_kubernetes_secrets_are_left_to_their_own_rules():
    stack = [
        res(
            "kubernetes:core/v1:Secret",
            "s",
            {"metadata": {"namespace": "apps"}, "stringData": {"password": "short"}},
        )
    ]
    assert "STACK-SEC-001" not in stack_fired(stack)
