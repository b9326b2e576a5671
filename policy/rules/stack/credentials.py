"""The stack rule that no resource input holds a plaintext credential (STACK-SEC-001), whichever
provider the resource belongs to.
"""

from __future__ import annotations

import math
import re
from collections import Counter

from policy.framework import Resource, Stack, stack_rule
from policy.helpers import AWS_ACCESS_KEY, PRIVATE_KEY_BLOCK, each, number, walk_strings

SECRET_VERSION = "aws:secretsmanager/secretVersion:SecretVersion"
K8S_SECRET = "kubernetes:core/v1:Secret"


CREDENTIAL_KEY = re.compile(r"(?i)(password|passwd|secret|token|apikey|api_key|privatekey|secretaccesskey)$")
NOT_A_CREDENTIAL_KEY = re.compile(r"(?i)^(existing|use|enable|create|auto|generate|require|rotate)")
REFERENCE_PREFIXES = ("arn:", "{{resolve:", "$(", "${", "/", "secretsmanager:", "ssm:")
WEAK_VALUES = {
    "password",
    "changeme",
    "change-me",
    "secret",
    "admin",
    "root",
    "postgres",
    "redis",
    "kafka",
    "letmein",
    "123456",
    "12345678",
    "password1",
    "test",
    "example",
    "default",
}
# Types whose purpose is to hold a secret value: they are judged elsewhere (AWS-SM-*, K8S-POD-016) or
# receive generated values by design.
SECRET_HOLDERS = (SECRET_VERSION, K8S_SECRET, "aws:ssm/parameter:Parameter")


def _entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def _weak_literal(value: str, min_length: int) -> str | None:
    if not value or value.startswith(REFERENCE_PREFIXES):
        return None
    if value.lower() in WEAK_VALUES:
        return "a well-known default"
    if len(value) < min_length:
        return f"a {len(value)}-character literal"
    if _entropy(value) < 3.0:
        return "a low-entropy literal"
    return None


@stack_rule(
    id="STACK-SEC-001",
    title="No plaintext credentials in resource inputs",
    severity="critical",
    description="Scans every input of every resource (Helm values included). Fires on AWS access key ids and "
    "private key blocks anywhere, and on inputs named like a credential (…password, …secret, "
    "…token, …apiKey, privateKey) whose value is a well-known default, shorter than "
    "`minSecretLength` (default 16) or low-entropy — the shapes of a hand-typed literal. Values "
    "that are references (ARNs, `$(...)`, file paths) pass; Secrets Manager secret versions, "
    "Kubernetes Secrets and SSM parameters are the intended holders and are skipped.",
    rationale="A policy sees secret inputs unwrapped and cannot tell a generated Pulumi secret from a "
    "literal in the source, so it judges by shape: short, guessable or key-shaped values are typed "
    "by a human and live in git history forever. Generated secrets (pulumi_random, RDS-managed) "
    "pass.",
    remediation="Generate the value with `pulumi_random.RandomPassword` (or let RDS manage it), keep it a "
    "Pulumi secret, and pass it through Secrets Manager / External Secrets; rotate any "
    "credential this rule found, since it is already in history.",
    thresholds={"minSecretLength": 16},
    tags=("checkov:CKV_AWS_46", "cdk-nag:AwsSolutions-DOC3"),
    aliases=("STK-SEC-001",),
)
def no_plaintext_credentials(stack: Stack):
    min_length = int(number(stack.threshold("minSecretLength", 16), 16))

    def check(r: Resource):
        if r.type in SECRET_HOLDERS or r.type.startswith("random:"):
            return
        for path, value in walk_strings(r.props):
            leaf = re.split(r"[.\[]", path)[-1] if path else ""
            if AWS_ACCESS_KEY.search(value):
                yield r, f"input {path} contains an AWS access key id"
            elif PRIVATE_KEY_BLOCK.search(value):
                yield r, f"input {path} contains a private key block"
            elif CREDENTIAL_KEY.search(leaf) and not NOT_A_CREDENTIAL_KEY.search(leaf):
                weakness = _weak_literal(value, min_length)
                if weakness:
                    yield r, f"input {path} is {weakness}: a hand-typed credential"

    yield from each(stack.resources, check)
