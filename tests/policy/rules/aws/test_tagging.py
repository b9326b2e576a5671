"""policy/rules/aws/tagging.py: STACK-ENV-001 fires on a copy of the compliant stack with a tag missing
or naming another environment, and stays silent on the compliant stack."""

import pytest

from tests.policy._cases import DROP, replaced, stack_fired
from tests.policy.rules._stack import ALLOW_EU, KMS_KEY, STACK, compliant_findings

CASES = [
    lambda s: replaced(s, "db", {"tags.owner": DROP}),
    lambda s: replaced(s, "nodes", {"tags.environment": "dev"}),
]


@pytest.mark.parametrize("breaks", CASES, ids=["tag-missing", "other-environment"])
def test_stack_rule_fires_on_broken_stack(breaks):
    assert "STACK-ENV-001" in stack_fired(breaks(STACK), config=ALLOW_EU)


def test_stack_rule_is_silent_on_compliant_stack():
    assert "STACK-ENV-001" not in compliant_findings()


def test_provider_default_tags_count_towards_the_required_tags():
    from policy.analyzer import WireResource
    from policy.testing import analyzer_for, rule_ids, urn_for

    provider_urn = urn_for("pulumi:providers:aws", "prod-aws")
    provider = WireResource(
        urn=provider_urn,
        type="pulumi:providers:aws",
        name="prod-aws",
        inputs={
            "region": "eu-west-1",  # provider inputs travel as strings: the tag block is JSON
            "defaultTags": '{"tags": {"environment": "prod", "project": "groundwork", '
            '"managed-by": "pulumi", "owner": "platform", "cost-center": "cc-1"}}',
        },
    )
    key = WireResource(
        urn=urn_for(KMS_KEY, "key"),
        type=KMS_KEY,
        name="key",
        protect=True,
        inputs={"tags": {"component": "prod-platform"}},
        provider=f"{provider_urn}::id-1",
    )
    analyzer = analyzer_for("prod")
    findings = [analyzer.finding(d, {}) for d in analyzer.analyze_stack([provider, key])]
    assert "STACK-ENV-001" not in rule_ids(findings)
    bare = WireResource(
        urn=key.urn,
        type=KMS_KEY,
        name="key",
        protect=True,
        inputs={"tags": {}},
        provider=f"{provider_urn}::id-1",
    )
    findings = [analyzer.finding(d, {}) for d in analyzer.analyze_stack([provider, bare])]
    assert "STACK-ENV-001" in rule_ids(findings)


def test_the_tag_lookup_leaves_the_aws_sdk_usable_for_programs_run_later():
    """Regression: looking up `DefaultSecurityGroupArgs` by importing its submodule directly left
    `pulumi_aws.ec2.DefaultSecurityGroup` missing for the rest of the process. Needs a fresh interpreter."""
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "from policy.rules.aws.tagging import taggable\n"
        "assert taggable('aws:ec2/defaultSecurityGroup:DefaultSecurityGroup')\n"
        "import pulumi_aws\n"
        "assert pulumi_aws.ec2.DefaultSecurityGroup\n"
    )
    root = Path(__file__).resolve().parents[4]
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
