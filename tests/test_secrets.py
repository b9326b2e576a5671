"""Secrets are born as Pulumi secrets and stay secrets: no generated credential appears in any
resource input outside a secret wrapper, nor in a plain stack output."""

from __future__ import annotations

import pytest

from stacks.preflight.capture import SECRET_SIG, SIG_KEY
from stacks.preflight.mocks import _digest

STACKS = ("local", "dev", "qa", "staging", "prod")


def _generated(capture) -> set[str]:
    """The values the mocks hand out for every RandomPassword the program creates."""
    passwords = capture.of_type("random:index/randomPassword:RandomPassword")
    return {("mock" + _digest(p.name, 64))[: int(p.props.get("length", 16))] for p in passwords}


def _plain_strings(value):
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            return
        for child in value.values():
            yield from _plain_strings(child)
    elif isinstance(value, list):
        for child in value:
            yield from _plain_strings(child)
    elif isinstance(value, str):
        yield value


@pytest.mark.parametrize("stack", STACKS)
def test_generated_credentials_reach_resources_only_as_secrets(captured, stack):
    capture = captured(stack)
    secrets = _generated(capture)
    assert secrets, "every stack generates at least one credential"
    leaks = {
        r.name
        for r in capture.resources
        for text in _plain_strings(r.inputs)
        if any(secret in text for secret in secrets)
    }
    assert leaks == set()


@pytest.mark.parametrize("stack", STACKS)
def test_no_generated_credential_is_a_plain_output(captured, stack):
    capture = captured(stack)
    secrets = _generated(capture)
    assert not [key for key, value in capture.outputs.items() if any(s in str(value) for s in secrets)]


@pytest.mark.parametrize(
    "stack,key",
    [("prod", "kubeconfig"), ("prod", "grafana_admin_password"), ("local", "grafana_admin_password")],
)
def test_credential_outputs_are_secret(captured, stack, key):
    assert captured(stack).outputs[key] == "[secret]"
