"""The security baseline's config: its settings model, the environment rules, and what switching parts
off (an organisation that runs them centrally) or another region does to what the program sends."""

from __future__ import annotations

import json

import pytest

from components._lib.security_documents import security_event_rules
from components.security_baseline import SecurityBaselineArgs, SecurityBaselineSettings
from stacks.config import ConfigError, load_stack, read_stack_file
from stacks.config.loader import deep_merge
from stacks.preflight.runner import capture_stack

ORG_TRAIL = "arn:aws:cloudtrail:eu-west-1:111111111111:trail/org-trail"


def load(stack: str, **baseline):
    raw = deep_merge(read_stack_file(stack), {"groundwork:securityBaseline": baseline})
    return load_stack(stack, raw=raw)


def config_error(stack: str, overrides: dict) -> str:
    raw = deep_merge(read_stack_file(stack), overrides)
    with pytest.raises(ConfigError) as error:
        load_stack(stack, raw=raw)
    return str(error.value)


def types_under_baseline(capture, stack: str) -> set[str]:
    parent = capture.named(f"{stack}-security")
    return {r.type for r in capture.children_of(parent)}


def test_every_setting_is_documented():
    settings = SecurityBaselineSettings.model_json_schema(by_alias=True)
    assert all(field.get("description") for field in settings["properties"].values())


def test_the_args_carry_the_settings_whole_and_wired_inputs_stay_out_of_config():
    schema = SecurityBaselineArgs.model_json_schema(by_alias=True, mode="serialization")
    assert set(schema["properties"]) == {"settings"}


def test_local_rejects_the_baseline():
    message = config_error("local", {"groundwork:securityBaseline": {"enabled": True}})
    assert "local: securityBaseline.enabled = True: must be false in local" in message


def test_turning_the_trail_off_needs_the_organization_trail():
    message = config_error("dev", {"groundwork:securityBaseline": {"cloudtrailEnabled": False}})
    assert "dev: securityBaseline" in message and "needs organizationTrailArn" in message


def test_turning_guardduty_off_needs_the_administrator_account():
    message = config_error("dev", {"groundwork:securityBaseline": {"guarddutyEnabled": False}})
    assert "needs guarddutyAdministratorAccountId" in message


def test_an_organization_trail_arn_must_look_like_one():
    message = config_error(
        "dev",
        {"groundwork:securityBaseline": {"cloudtrailEnabled": False, "organizationTrailArn": "org-trail"}},
    )
    assert "securityBaseline.organizationTrailArn = 'org-trail'" in message


def test_retention_must_be_a_cloudwatch_period():
    message = config_error("dev", {"groundwork:securityBaseline": {"trailLogRetentionDays": 100}})
    assert (
        "dev: securityBaseline.trailLogRetentionDays = 100: CloudWatch Logs retention must be one of"
        in message
    )


def test_prod_keeps_its_trail_under_object_lock():
    message = config_error("prod", {"groundwork:securityBaseline": {"trailObjectLockDays": None}})
    assert (
        "prod: securityBaseline.trailObjectLockDays = None: prod keeps its audit trail under Object Lock"
        in (message)
    )


def test_lock_may_not_outlast_the_bucket_lifecycle():
    message = config_error(
        "dev", {"groundwork:securityBaseline": {"trailObjectLockDays": 200, "trailBucketExpiryDays": 90}}
    )
    assert "trailObjectLockDays 200 exceeds trailBucketExpiryDays 90" in message


def test_the_baseline_needs_the_alarms_topic():
    message = config_error("dev", {"groundwork:monitoring": {"alarms": {"enabled": False}}})
    assert "dev: securityBaseline.enabled = True: sends its alerts to the alarms SNS topic" in message


@pytest.mark.parametrize(
    "stack,days,mode",
    [("dev", None, "COMPLIANCE"), ("staging", 30, "GOVERNANCE"), ("prod", 365, "COMPLIANCE")],
)
def test_profiles_lock_the_trail_per_environment(stack, days, mode):
    baseline = load(stack).security_baseline
    assert (baseline.trail_object_lock_days, baseline.trail_object_lock_mode) == (days, mode)


def test_an_organization_trail_replaces_the_stacks_trail_but_the_alerts_stay():
    overrides = {
        "groundwork:securityBaseline": {"cloudtrailEnabled": False, "organizationTrailArn": ORG_TRAIL}
    }
    capture = capture_stack("dev", overrides=overrides)
    kinds = types_under_baseline(capture, "dev")
    assert not {"aws:cloudtrail/trail:Trail", "aws:s3/bucket:Bucket", "aws:kms/key:Key"} & kinds
    assert "aws:cloudwatch/eventRule:EventRule" in kinds and "aws:guardduty/detector:Detector" in kinds
    assert "audit_trail_arn" not in capture.outputs


def test_a_delegated_guardduty_administrator_replaces_the_detector_but_findings_still_alert():
    overrides = {
        "groundwork:securityBaseline": {
            "guarddutyEnabled": False,
            "guarddutyAdministratorAccountId": "222222222222",
        }
    }
    capture = capture_stack("dev", overrides=overrides)
    kinds = types_under_baseline(capture, "dev")
    assert not {"aws:guardduty/detector:Detector", "aws:guardduty/detectorFeature:DetectorFeature"} & kinds
    assert "dev-security-guardduty-findings" in {r.name for r in capture.resources}


def test_a_stack_in_us_east_1_needs_no_forwarders():
    capture = capture_stack("dev", overrides={"aws:region": "us-east-1"})
    names = {r.name for r in capture.resources}
    assert "dev-aws-us-east-1" not in names
    assert not [n for n in names if n.startswith("dev-security-") and n.endswith("-forward")]
    key = capture.named("dev-security-audit-key")
    assert "s3.us-east-1.amazonaws.com" in json.dumps(json.loads(key.props["policy"]))


def test_without_access_analyzer_there_is_no_analyzer_rule():
    assert [r.key for r in security_event_rules(7.0, ["dev-"], access_analyzer=False)] == [
        "guardduty-findings",
        "root-sign-in",
        "iam-role-policy-change",
        "kms-key-disabled",
        "security-group-change",
        "cloudtrail-change",
    ]


def test_only_iam_and_sign_in_rules_are_global():
    rules = security_event_rules(7.0, ["dev-"], access_analyzer=True)
    assert {r.key for r in rules if r.global_service} == {"root-sign-in", "iam-role-policy-change"}
