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
    """Except STACK-ENV-002, which fires only when the file is another environment's than the stack's:
    it must block under every file, or the dev file would let a prod stack through."""
    levels = {n: e["enforcementLevel"] for n, e in file_config(env).items() if n != "all"}
    assert levels.pop("STACK-ENV-002") == "mandatory"
    assert set(levels.values()) <= {"advisory", "disabled"}


# The only high or critical rules a file lets through below mandatory from qa on, each on purpose:
# qa is a small, single-AZ, unprotected environment, so the prod-only rules are off there.
LOOSENED = {
    "qa": {"AWS-BACKUP-003": "disabled", "STACK-HA-001": "disabled", "STACK-PROT-001": "disabled"},
    "staging": {},
    "prod": {},
}


@pytest.mark.parametrize("env", ["qa", "staging", "prod"])
def test_high_and_critical_rules_block_from_qa_on(env):
    """A high or critical rule runs below mandatory only where the list above says so: loosening one
    takes an edit to its environment's file and to this list, both in the same review."""
    config = file_config(env)
    loose = {
        rid: config[rid]["enforcementLevel"]
        for rid, rule in REGISTRY.items()
        if rule.severity in ("high", "critical") and config[rid]["enforcementLevel"] != "mandatory"
    }
    assert loose == LOOSENED[env]


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


def _rule(severity):
    from policy.framework import Rule

    return Rule(
        id="AWS-XX-001",
        title="t",
        severity=severity,
        description="d",
        rationale="r",
        remediation="f",
        tags=(),
        resource_types=("x",),
        kind="resource",
    )


@pytest.mark.parametrize(
    "severity, levels",
    [
        ("low", ["advisory", "advisory", "advisory", "advisory", "advisory"]),
        ("medium", ["advisory", "advisory", "advisory", "mandatory", "mandatory"]),
        ("high", ["advisory", "advisory", "mandatory", "mandatory", "mandatory"]),
        ("critical", ["advisory", "advisory", "mandatory", "mandatory", "mandatory"]),
    ],
)
def test_a_rule_new_to_the_files_starts_at_its_severitys_level(severity, levels):
    assert [envconfig.base_level(env, _rule(severity)) for env in ENVIRONMENTS] == levels


def test_syncing_keeps_every_level_already_in_a_file():
    current = file_config("prod")
    current["AWS-RDS-004"] = {**current["AWS-RDS-004"], "enforcementLevel": "advisory"}
    assert envconfig.synced("prod", current)["AWS-RDS-004"]["enforcementLevel"] == "advisory"


def test_syncing_renames_an_old_id_to_the_rules_id():
    current = file_config("prod")
    current["AWS-EC-009"] = current.pop("AWS-ELASTICACHE-009")
    synced = envconfig.synced("prod", current)
    assert "AWS-EC-009" not in synced
    assert synced["AWS-ELASTICACHE-009"] == file_config("prod")["AWS-ELASTICACHE-009"]


def test_a_config_file_for_another_environment_is_refused():
    from policy.analyzer import PolicyConfigError

    with pytest.raises(PolicyConfigError, match="environment 'dev'"):
        load_config("prod", CONFIG_DIR / "dev.json")


@pytest.mark.parametrize(
    "environ, environment",
    [
        ({"PULUMI_STACK": "staging"}, "staging"),
        ({"PULUMI_STACK": "acme/groundwork/staging"}, "staging"),
        ({"PULUMI_STACK": "sandbox", "PULUMI_CONFIG": '{"groundwork:environment": "dev"}'}, "dev"),
        ({"PULUMI_STACK": "prod", "PULUMI_CONFIG": "not json"}, "prod"),
        ({"PULUMI_STACK": "sandbox"}, "prod"),
        ({}, "prod"),
    ],
    ids=[
        "stack-name",
        "qualified-name",
        "environment-config",
        "unreadable-config",
        "unknown-stack",
        "no-stack",
    ],
)
def test_the_pack_finds_the_stacks_environment_as_the_program_does(environ, environment):
    assert envconfig.stack_environment(environ) == environment


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_initial_config_is_the_environments_file_with_every_level_explicit(env):
    from pulumi_policy import EnforcementLevel

    initial = envconfig.initial_config(env)
    levels = {name: e.value for name, e in ((n, v["enforcementLevel"]) for n, v in initial.items())}
    expected = {n: v if isinstance(v, str) else v["enforcementLevel"] for n, v in file_config(env).items()}
    assert levels == expected
    assert all(isinstance(v["enforcementLevel"], EnforcementLevel) for v in initial.values())
    assert initial["AWS-RDS-017"].get("exemptions") == file_config(env)["AWS-RDS-017"].get("exemptions")
