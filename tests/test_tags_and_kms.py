"""Every taggable AWS resource carries the required tags; the platform key is rotated and scoped."""

from __future__ import annotations

import importlib
import json

import pytest

REQUIRED = {"environment", "project", "component", "managed-by", "owner", "cost-center"}


def _taggable(type_token: str) -> bool:
    """Whether the pulumi-aws resource behind a type token accepts `tags` (read from the SDK)."""
    package, module_path, class_name = type_token.split(":")
    module = importlib.import_module(f"pulumi_aws.{module_path.split('/')[0]}")
    return hasattr(getattr(module, class_name), "tags")


@pytest.mark.parametrize("stack", ["dev", "qa", "staging", "prod"])
def test_every_taggable_aws_resource_carries_the_required_tags(captured, stack):
    resources = [r for r in captured(stack).resources if r.type.startswith("aws:") and _taggable(r.type)]
    assert resources
    missing = {r.name: sorted(REQUIRED - set(r.props.get("tags") or {})) for r in resources}
    assert {name: keys for name, keys in missing.items() if keys} == {}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_environment_tag_is_the_stack(captured, stack):
    tagged = [r for r in captured(stack).resources if r.type.startswith("aws:") and "tags" in r.props]
    assert {r.props["tags"]["environment"] for r in tagged} == {stack}


def test_provider_default_tags_carry_the_stack_tags(captured):
    provider = captured("prod").of_type("pulumi:providers:aws")[0].props
    tags = json.loads(provider["defaultTags"])["tags"] if isinstance(provider["defaultTags"], str) \
        else provider["defaultTags"]["tags"]
    assert tags == {"environment": "prod", "project": "groundwork", "managed-by": "pulumi",
                    "owner": "platform-team", "cost-center": "engineering"}
    assert provider["region"] == "eu-west-1"


def test_platform_key_rotates_yearly(captured):
    key = captured("prod").of_type("aws:kms/key:Key")[0].props
    assert key["enableKeyRotation"] is True and key["rotationPeriodInDays"] == 365
    assert key["deletionWindowInDays"] == 30


def test_platform_key_policy_grants_no_wildcard(captured):
    policy = json.loads(captured("prod").of_type("aws:kms/key:Key")[0].props["policy"])
    for statement in policy["Statement"]:
        assert statement["Principal"] != "*" and statement["Principal"] != {"AWS": "*"}
        assert "kms:*" not in statement["Action"]


def test_services_use_the_key_only_for_this_account(captured):
    policy = json.loads(captured("prod").of_type("aws:kms/key:Key")[0].props["policy"])
    service_statements = [s for s in policy["Statement"] if "Service" in s["Principal"]]
    assert service_statements
    assert all("Condition" in s for s in service_statements)


def test_platform_key_is_protected_in_prod_only(captured):
    assert captured("prod").of_type("aws:kms/key:Key")[0].protect is True
    assert captured("dev").of_type("aws:kms/key:Key")[0].protect is False
