"""Preflight runs the pack on every stack: the shipped stacks pass their gate, and flipping one
insecure property in the prod capture makes preflight fail with that rule's id.

FLIPS covers the network, IAM/KMS/logging, data services, EKS and its nodes."""

from dataclasses import replace
from typing import Any

import pytest

from policy.analyzer import Analyzer, evaluate
from stacks.preflight import cli
from stacks.preflight.capture import Capture

REMOVE = object()
STACKS = ("local", "dev", "qa", "staging", "prod")


@pytest.mark.parametrize("stack", STACKS)
def test_every_stack_passes_its_policy_gate(judged, stack):
    report = judged(stack)
    assert [(f.rule_id, f.resource_name, f.message) for f in report.blocking] == []


def test_prod_has_no_violation_at_all(judged):
    report = judged("prod")
    assert [(f.rule_id, f.resource_name) for f in report.violations + report.indeterminate] == []


def _set(props: dict, path: str, value: Any) -> dict:
    head, _, rest = path.partition(".")
    out = dict(props)
    if rest:
        container = out.get(head)
        if isinstance(container, list):
            index, _, tail = rest.partition(".")
            items = list(container)
            items[int(index)] = _set(items[int(index)], tail, value) if tail else value
            out[head] = items
        else:
            out[head] = _set(container or {}, rest, value)
    elif value is REMOVE:
        out.pop(head, None)
    else:
        out[head] = value
    return out


def flip(capture: Capture, name: str, path: str, value: Any) -> Capture:
    """The capture with one input of one resource changed (wire form, as the engine would send it)."""
    assert any(r.name == name for r in capture.resources), name
    resources = [
        replace(r, inputs=_set(r.inputs, path, value)) if r.name == name else r for r in capture.resources
    ]
    return Capture(capture.stack, resources, capture.outputs)


OPEN_TRUST = (
    '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, '
    '"Action": "sts:AssumeRole"}]}'
)
ADMIN = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}'
FLIPS = [
    # resource in the prod capture, input path, insecure value, rule that must block, resource it names
    ("prod-network-flow-logs", "kmsKeyId", REMOVE, "AWS-CW-002", None),
    ("prod-network-flow-logs", "retentionInDays", 30.0, "AWS-CW-001", None),
    ("prod-network-private-0", "mapPublicIpOnLaunch", True, "AWS-NET-007", None),
    ("prod-platform-key", "enableKeyRotation", False, "AWS-KMS-001", None),
    ("prod-platform-key", "deletionWindowInDays", 7.0, "AWS-KMS-004", None),
    ("prod-platform-key", "bypassPolicyLockoutSafetyCheck", True, "AWS-KMS-003", None),
    ("prod-network-endpoints-sg", "ingress.0.cidrBlocks", ["0.0.0.0/0"], "AWS-NET-001", None),
    (
        "prod-network-default-sg",
        "ingress",
        [{"protocol": "-1", "fromPort": 0.0, "toPort": 0.0, "self": True}],
        "AWS-NET-005",
        None,
    ),
    ("prod-network-flow-log", "trafficType", "REJECT", "AWS-NET-006", "prod-network-vpc"),
    ("prod-network-flow-logs-role", "assumeRolePolicy", OPEN_TRUST, "AWS-IAM-006", None),
    ("prod-network-flow-logs-write", "policy", ADMIN, "AWS-IAM-001", None),
    ("prod-network-sts-endpoint", "privateDnsEnabled", False, "AWS-NET-012", None),
    # data services, EKS and nodes
    ("prod-postgres-db", "storageEncrypted", False, "AWS-RDS-001", None),
    ("prod-postgres-db", "publiclyAccessible", True, "AWS-RDS-003", None),
    ("prod-postgres-db", "multiAz", False, "AWS-RDS-004", None),
    ("prod-postgres-db", "deletionProtection", False, "AWS-RDS-006", None),
    ("prod-redis-cache", "transitEncryptionEnabled", False, "AWS-ELASTICACHE-003", None),
    (
        "prod-kafka-cluster",
        "encryptionInfo.encryptionInTransit.clientBroker",
        "TLS_PLAINTEXT",
        "AWS-MSK-001",
        None,
    ),
    ("prod-cluster-eks", "vpcConfig.endpointPublicAccess", True, "AWS-EKS-001", None),
    ("prod-cluster-eks", "deletionProtection", False, "AWS-EKS-013", None),
    ("prod-cluster-general-lt", "metadataOptions.httpTokens", "optional", "AWS-EKS-006", None),
]


@pytest.fixture(scope="module")
def flipped_capture(captured) -> Capture:
    """prod with every flip applied at once: one evaluation instead of one per flip. Each flip
    touches a different property, and prod is clean without them (test above), so a blocking
    finding of a flip's rule on the flip's resource comes from that flip."""
    capture = captured("prod")
    for name, path, value, _, _ in FLIPS:
        capture = flip(capture, name, path, value)
    return capture


@pytest.fixture(scope="module")
def flipped_prod(flipped_capture):
    return evaluate(flipped_capture, "prod")


@pytest.mark.parametrize("name,path,value,rule,reported_on", FLIPS, ids=[f"{f[3]}-{f[0]}" for f in FLIPS])
def test_flipping_one_property_in_prod_blocks_with_its_rule(
    flipped_prod, name, path, value, rule, reported_on
):
    assert (rule, reported_on or name) in {(f.rule_id, f.resource_name) for f in flipped_prod.blocking}


def test_preflight_cli_exits_3_and_names_the_rule_and_fix(captured, monkeypatch, capsys, tmp_path):
    flipped = flip(captured("prod"), "prod-network-private-0", "mapPublicIpOnLaunch", True)
    monkeypatch.setattr(cli, "capture_stack", lambda stack, project_dir=None: flipped)
    status = cli.main(["prod", "--no-tree", "--report", "md", "--report", "sarif", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert status == cli.EXIT_POLICY
    assert "AWS-NET-007" in out and "prod-network-private-0" in out and "fix: Leave" in out
    assert (tmp_path / "policy-prod.sarif").exists()
    assert "AWS-NET-007" in (tmp_path / "policy-prod.md").read_text()


@pytest.fixture
def session_prod(captured, monkeypatch):
    """The CLI handed the session's prod capture (tests/test_preflight.py builds through the CLI)."""
    monkeypatch.setattr(cli, "capture_stack", lambda stack, project_dir=None: captured(stack))


def test_preflight_cli_passes_a_clean_stack(session_prod, capsys):
    assert cli.main(["prod", "--no-tree"]) == cli.EXIT_OK
    assert "policy prod (prod" in capsys.readouterr().out


def test_preflight_cli_no_policy_skips_the_pack(session_prod, capsys):
    assert cli.main(["prod", "--no-tree", "--no-policy"]) == cli.EXIT_OK
    assert "policy prod" not in capsys.readouterr().out


def _verdicts(report) -> list[tuple]:
    return sorted((f.rule_id, f.resource_name, f.status, f.enforcement, f.message) for f in report.findings)


def test_serving_each_type_its_own_rules_changes_no_verdict(flipped_capture, flipped_prod, monkeypatch):
    """Preflight serves each resource type only the rules written for it, each resource decoded
    once; the reference is pulumi_policy's own `Analyze`/`AnalyzeStack` with the whole pack, every
    policy decoding every request, as over gRPC."""
    per_type = _verdicts(flipped_prod)
    monkeypatch.setattr(Analyzer, "_servicer_for", lambda self, type_: self.servicer)
    reference = _verdicts(evaluate(flipped_capture, "prod", per_request=True))
    assert per_type == reference and len(per_type) >= len(FLIPS)


def _with_unknown_key_description(capture: Capture) -> Capture:
    from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

    key = next(r for r in capture.resources if r.type == "aws:kms/key:Key")
    return flip(capture, key.name, "description", UNKNOWN_STRING_VALUE)


@pytest.mark.parametrize(
    "stack,change",
    [("local", None), ("staging", None), ("dev", _with_unknown_key_description)],
    ids=["local-kubernetes-only", "staging-exemptions", "dev-unknown-at-preview"],
)
def test_decoding_each_resource_once_gives_the_servicers_own_diagnostics(captured, judged, stack, change):
    """Every field of every finding, and the not-applicable count, as pulumi_policy's servicer
    gives them when driven request by request."""
    capture = change(captured(stack)) if change else captured(stack)
    fast = evaluate(capture, stack) if change else judged(stack)
    reference = evaluate(capture, stack, per_request=True)
    assert [f.to_json() for f in fast.findings] == [f.to_json() for f in reference.findings]
    assert (fast.not_applicable, len(fast.findings)) == (reference.not_applicable, len(reference.findings))
    assert fast.findings
