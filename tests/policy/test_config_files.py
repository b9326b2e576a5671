"""The shipped policy config files: valid for the CLI, complete, in sync, and selecting the right
enforcement per environment."""

import json
from pathlib import Path

import pytest

from policy import envconfig
from policy.analyzer import load_config
from policy.framework import ENVIRONMENTS, FRAMEWORK_POLICIES, REGISTRY, load_rules
from policy.testing import evaluate_resource

CONFIG_DIR = Path(__file__).resolve().parents[2] / "policy" / "config"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


def file_config(env):
    return json.loads((CONFIG_DIR / f"{env}.json").read_text())


def test_config_files_are_in_sync_with_the_pack():
    assert envconfig.main(["--check"]) == 0, "run: python -m policy.envconfig"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_policy_is_configured_for_its_environment(env):
    config = file_config(env)
    load_rules()
    assert set(config) == {"all", *REGISTRY, *FRAMEWORK_POLICIES}
    assert {entry["environment"] for name, entry in config.items() if name != "all"} == {env}


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_each_file_passes_the_cli_schema_validation(env):
    reconciled, path = load_config(env)
    assert path.endswith(f"{env}.json")
    assert set(reconciled) >= set(REGISTRY)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_property_in_a_file_is_declared_by_its_policy(env):
    from policy.framework import config_schema

    for name, entry in file_config(env).items():
        if name == "all" or name in FRAMEWORK_POLICIES:
            continue
        declared = set(config_schema(REGISTRY[name]).properties)
        assert set(entry) - {"enforcementLevel"} <= declared, name


@pytest.mark.parametrize("env", ["local", "dev"])
def test_local_and_dev_never_block(env):
    levels = {e["enforcementLevel"] for n, e in file_config(env).items() if n != "all"}
    assert levels <= {"advisory", "disabled"}


@pytest.mark.parametrize("env", ["qa", "staging", "prod"])
def test_high_and_critical_rules_block_from_qa_on(env):
    """Unless the rule's own target-table column says otherwise (disabled in small environments,
    advisory or disabled in prod)."""
    config = file_config(env)
    waived = {
        "qa": ("enforce:dev=disabled",),
        "staging": ("enforce:prod=advisory", "enforce:prod=disabled"),
        "prod": ("enforce:prod=advisory", "enforce:prod=disabled"),
    }[env]
    loose = [
        rid
        for rid, rule in REGISTRY.items()
        if rule.severity in ("high", "critical")
        and config[rid]["enforcementLevel"] != "mandatory"
        and not set(waived) & set(rule.tags)
    ]
    assert loose == []


def test_exemption_reports_are_advisory_everywhere():
    for env in ENVIRONMENTS:
        assert {file_config(env)[p]["enforcementLevel"] for p in FRAMEWORK_POLICIES} == {"advisory"}


@pytest.mark.parametrize(
    "env,level", [("dev", "advisory"), ("qa", "advisory"), ("staging", "mandatory"), ("prod", "mandatory")]
)
def test_a_medium_finding_runs_at_the_environments_level(env, level):
    findings = [
        f
        for f in evaluate_resource(LOG_GROUP, {"retentionInDays": 365.0}, environment=env)
        if f.rule_id == "AWS-CW-002"
    ]
    assert [f.enforcement for f in findings] == [level]


@pytest.mark.parametrize("env,level", [("dev", "advisory"), ("qa", "mandatory"), ("prod", "mandatory")])
def test_a_high_finding_runs_at_the_environments_level(env, level):
    findings = [
        f for f in evaluate_resource("aws:iam/user:User", {}, environment=env) if f.rule_id == "AWS-IAM-007"
    ]
    assert [f.enforcement for f in findings] == [level]


def test_a_rule_disabled_in_dev_by_its_tag_is_seeded_disabled():
    from policy.framework import Rule

    rule = Rule(
        id="AWS-XX-001",
        title="t",
        severity="high",
        description="d",
        rationale="r",
        remediation="f",
        tags=("enforce:dev=disabled", "enforce:prod=mandatory"),
        resource_types=("x",),
        kind="resource",
    )
    assert [envconfig.base_level(env, rule) for env in ENVIRONMENTS] == [
        "disabled",
        "disabled",
        "disabled",
        "mandatory",
        "mandatory",
    ]


def test_a_config_file_for_another_environment_is_refused():
    from policy.analyzer import PolicyConfigError

    with pytest.raises(PolicyConfigError, match="environment 'dev'"):
        load_config("prod", CONFIG_DIR / "dev.json")
