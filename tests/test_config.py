"""Stack config: the shipped stack files validate, and bad input is named precisely."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from stacks.config import ConfigError, load_stack, parse_stack_config, read_stack_file
from stacks.config.loader import PROJECT_DIR

STACKS = ("local", "dev", "qa", "staging", "prod")


@pytest.mark.parametrize("stack", STACKS)
def test_every_stack_file_validates(stack):
    config = load_stack(stack)
    assert config.environment == stack


def test_profile_gives_prod_a_nat_per_az_without_the_stack_saying_so():
    raw = read_stack_file("prod")
    del raw["groundwork:network"]["natGateways"]
    assert parse_stack_config("prod", raw).network.nat_gateways == "perAz"


def test_stack_file_overrides_profile():
    raw = read_stack_file("dev")
    raw["groundwork:network"]["flowLogRetentionDays"] = 365
    assert parse_stack_config("dev", raw).network.flow_log_retention_days == 365


def test_structured_config_arrives_as_json_text_from_the_engine():
    raw = {
        "aws:region": "eu-west-1",
        "groundwork:tags": '{"owner": "a", "costCenter": "b"}',
        "groundwork:network": '{"cidr": "10.10.0.0/16"}',
    }
    assert parse_stack_config("dev", raw).network.cidr == "10.10.0.0/16"


def _set(raw: dict, key: str, path: list[str], value):
    """Set raw[key][path...] = value, or delete it when value is DELETE."""
    if not path:
        if value is DELETE:
            raw.pop(key, None)
        else:
            raw[key] = value
        return raw
    node = raw.setdefault(key, {})
    for part in path[:-1]:
        node = node.setdefault(part, {})
    if value is DELETE:
        node.pop(path[-1], None)
    else:
        node[path[-1]] = value
    return raw


DELETE = object()

# (stack, config key, path inside it, bad value, key path the error must name, value text it must show)
BAD_INPUTS = [
    ("dev", "groundwork:tags", ["owner"], DELETE, "tags.owner", "(missing)"),
    ("dev", "groundwork:tags", ["costCenter"], "", "tags.costCenter", "''"),
    ("dev", "groundwork:tags", ["owner"], "bob!#", "tags.owner", "'bob!#'"),
    ("dev", "groundwork:tags", ["extra"], {"owner": "x"}, "tags.extra", "{'owner': 'x'}"),
    ("dev", "groundwork:network", ["cidr"], "10.0.0.0/8", "network.cidr", "'10.0.0.0/8'"),
    ("dev", "groundwork:network", ["cidr"], "not-a-cidr", "network.cidr", "'not-a-cidr'"),
    ("dev", "groundwork:network", ["cidr"], "8.8.0.0/16", "network.cidr", "'8.8.0.0/16'"),
    ("dev", "groundwork:network", ["cidr"], "10.10.0.1/16", "network.cidr", "'10.10.0.1/16'"),
    ("dev", "groundwork:network", ["azCount"], 4, "network.azCount", "4"),
    ("dev", "groundwork:network", ["natGateways"], "always", "network.natGateways", "'always'"),
    ("dev", "groundwork:network", ["flowLogRetentionDays"], 42, "network.flowLogRetentionDays", "42"),
    ("dev", "groundwork:network", ["cidrBlock"], "10.10.0.0/16", "network.cidrBlock", "'10.10.0.0/16'"),
    (
        "dev",
        "groundwork:network",
        ["availabilityZones"],
        ["eu-west-1a"],
        "network.availabilityZones",
        "['eu-west-1a']",
    ),
    (
        "dev",
        "groundwork:network",
        ["availabilityZones"],
        ["us-east-1a", "us-east-1b"],
        "network.availabilityZones",
        "['us-east-1a', 'us-east-1b']",
    ),
    ("dev", "aws:region", [], "mars-north-1x", "region", "'mars-north-1x'"),
    ("dev", "aws:region", [], DELETE, "aws:region", "None"),
    ("dev", "groundwork:environment", [], "production", "environment", "'production'"),
    ("prod", "groundwork:network", ["azCount"], 2, "network.azCount", "2"),
    ("prod", "groundwork:network", ["natGateways"], "single", "network.natGateways", "'single'"),
    ("local", "groundwork:network", ["enabled"], True, "network.enabled", "True"),
    (
        "dev",
        "groundwork:protectStatefulResources",
        [],
        "sometimes",
        "protectStatefulResources",
        "'sometimes'",
    ),
]


@pytest.mark.parametrize(
    "stack,key,path,value,error_path,error_value",
    BAD_INPUTS,
    ids=[f"{b[0]}-{b[4]}-{b[3] if b[3] is not DELETE else 'missing'}" for b in BAD_INPUTS],
)
def test_bad_input_names_stack_key_and_value(stack, key, path, value, error_path, error_value):
    raw = _set(read_stack_file(stack), key, path, value)
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(stack, raw)
    line = next((row for row in str(caught.value).splitlines() if f"{error_path} = " in row), None)
    assert line is not None, str(caught.value)
    assert line.strip().startswith(f"{stack}: {error_path} = {error_value}:"), line


def test_error_says_what_is_allowed():
    raw = _set(read_stack_file("dev"), "groundwork:network", ["natGateways"], "always")
    with pytest.raises(ConfigError, match="'single' or 'perAz'"):
        parse_stack_config("dev", raw)


def test_error_lists_every_issue_at_once():
    raw = _set(read_stack_file("prod"), "groundwork:network", ["azCount"], 2)
    raw["groundwork:network"]["natGateways"] = "single"
    with pytest.raises(ConfigError) as caught:
        parse_stack_config("prod", raw)
    assert {"network.azCount", "network.natGateways"} <= {i.path for i in caught.value.issues}


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    for stack in STACKS:
        shutil.copy(PROJECT_DIR / f"Pulumi.{stack}.yaml", tmp_path)
    return tmp_path


def test_overlapping_cidrs_across_stacks_are_rejected(project_copy):
    path = project_copy / "Pulumi.qa.yaml"
    document = yaml.safe_load(path.read_text())
    document["config"]["groundwork:network"]["cidr"] = "10.10.0.0/17"  # inside dev's 10.10.0.0/16
    path.write_text(yaml.safe_dump(document))
    with pytest.raises(ConfigError) as caught:
        load_stack("qa", project_copy)
    assert "qa: network.cidr = '10.10.0.0/17': overlaps stack 'dev' (10.10.0.0/16)" in str(caught.value)


def test_shipped_stack_cidrs_are_disjoint():
    # load_stack checks each stack against all others; it raising for none proves disjointness.
    assert len({load_stack(s).network.cidr for s in STACKS if s != "local"}) == 4


def test_unknown_stack_file_is_named(project_copy):
    with pytest.raises(ConfigError, match=r"stack = 'perf': has no file Pulumi\.perf\.yaml"):
        load_stack("perf", project_copy)


def _with_webhook(value):
    raw = read_stack_file("prod")
    raw["groundwork:monitoring"] = {**raw.get("groundwork:monitoring", {})}
    raw["groundwork:monitoring"]["alerting"] = {
        **raw["groundwork:monitoring"].get("alerting", {}),
        "slackWebhookUrl": value,
    }
    return raw


def test_a_plaintext_credential_is_refused_without_echoing_it():
    with pytest.raises(ConfigError) as caught:
        parse_stack_config("prod", _with_webhook("https://hooks.slack.example/T000/B000/XXXX"))
    text = str(caught.value)
    assert "prod: monitoring.alerting.slackWebhookUrl = (plain text, not shown): is a credential" in text
    assert "pulumi config set --secret --path 'groundwork:monitoring.alerting.slackWebhookUrl'" in text
    assert "XXXX" not in text


def test_a_secure_credential_is_accepted():
    config = parse_stack_config("prod", _with_webhook({"secure": "v1:abc"}))
    assert config.monitoring.alerting.slack_webhook_url is not None


def test_a_credential_the_engine_marks_secret_is_accepted():
    raw = _with_webhook("https://hooks.slack.example/T000/B000/XXXX")
    assert parse_stack_config("prod", raw, secret_keys=["groundwork:monitoring"]).environment == "prod"
