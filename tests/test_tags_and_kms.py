"""Every taggable AWS resource carries the required tags; the platform key is rotated and scoped."""

from __future__ import annotations

import importlib
import json

import pytest

REQUIRED = {"environment", "project", "component", "managed-by", "owner", "cost-center"}


def _taggable(type_token: str) -> bool:
    """Whether the pulumi-aws resource behind a type token accepts `tags` (read from the SDK)."""
    _package, module_path, class_name = type_token.split(":")
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
    provider = captured("prod").named("prod-aws").props
    tags = (
        json.loads(provider["defaultTags"])["tags"]
        if isinstance(provider["defaultTags"], str)
        else provider["defaultTags"]["tags"]
    )
    assert tags == {
        "environment": "prod",
        "project": "groundwork",
        "managed-by": "pulumi",
        "owner": "platform-team",
        "cost-center": "engineering",
    }
    assert provider["region"] == "eu-west-1"


def test_platform_key_rotates_yearly(captured):
    key = captured("prod").named("prod-platform-key").props
    assert key["enableKeyRotation"] is True and key["rotationPeriodInDays"] == 365
    assert key["deletionWindowInDays"] == 30


def test_platform_key_policy_grants_no_wildcard(captured):
    policy = json.loads(captured("prod").named("prod-platform-key").props["policy"])
    for statement in policy["Statement"]:
        assert statement["Principal"] != "*" and statement["Principal"] != {"AWS": "*"}
        assert "kms:*" not in statement["Action"]


def test_services_use_the_key_only_for_this_account(captured):
    policy = json.loads(captured("prod").named("prod-platform-key").props["policy"])
    service_statements = [s for s in policy["Statement"] if "Service" in s["Principal"]]
    assert service_statements
    assert all("Condition" in s for s in service_statements)


def test_platform_key_is_protected_in_prod_only(captured):
    assert captured("prod").named("prod-platform-key").protect is True
    assert captured("dev").named("dev-platform-key").protect is False


def test_node_root_volumes_use_the_platform_key(captured):
    capture = captured("prod")
    template = capture.of_type("aws:ec2/launchTemplate:LaunchTemplate")[0]
    key = capture.named("prod-platform-key")
    ebs = template.props["blockDeviceMappings"][0]["ebs"]
    assert ebs["encrypted"] == "true" and ebs["kmsKeyId"].startswith("arn:aws:kms:eu-west-1:")
    assert key.urn in template.property_dependencies["blockDeviceMappings"]


def test_autoscaling_may_use_the_key_only_for_aws_resources(captured):
    policy = json.loads(captured("prod").named("prod-platform-key").props["policy"])
    grants = [s for s in policy["Statement"] if s["Sid"] == "AutoScalingAttachesEncryptedVolumes"]
    assert grants[0]["Principal"]["AWS"].endswith(
        ":role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
    )
    assert grants[0]["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}


def test_aws_managed_node_volume_key_leaves_autoscaling_out_of_the_key_policy():
    from stacks.preflight.runner import capture_stack

    capture = capture_stack("dev", overrides={"groundwork:cluster": {"nodeVolumeKey": "aws-managed"}})
    policy = json.loads(capture.of_type("aws:kms/key:Key")[0].props["policy"])
    assert not [s for s in policy["Statement"] if s["Sid"].startswith("AutoScaling")]
    ebs = capture.of_type("aws:ec2/launchTemplate:LaunchTemplate")[0].props["blockDeviceMappings"][0]["ebs"]
    assert "kmsKeyId" not in ebs
