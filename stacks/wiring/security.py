"""The account's security baseline (audit trail, GuardDuty, Access Analyzer, security alerts): wired
after the alarms, whose SNS topic receives its alerts."""

from __future__ import annotations

import pulumi_aws as aws

from components.alarms import Alarms
from components.security_baseline import (
    GLOBAL_EVENTS_REGION,
    RUNBOOK_PAGE,
    SecurityBaseline,
    SecurityBaselineArgs,
)
from stacks.wiring.platform import Platform


def wire_security_baseline(platform: Platform) -> None:
    config = platform.config
    settings = config.security_baseline
    if not config.on_aws or not settings.enabled:
        return
    alarms = platform.components.get("alarms")
    if not isinstance(alarms, Alarms) or config.region is None:
        raise RuntimeError(
            f"{config.stack}: the security baseline alerts through the alarms topic; wire_alarms must run "
            "before wire_security_baseline in stacks/program.py WIRING"
        )
    # IAM and root sign-in events reach EventBridge in us-east-1 only; elsewhere the baseline forwards them.
    global_events = (
        None
        if config.region == GLOBAL_EVENTS_REGION
        else aws.Provider(
            f"{config.stack}-aws-{GLOBAL_EVENTS_REGION}",
            region=GLOBAL_EVENTS_REGION,
            default_tags=aws.ProviderDefaultTagsArgs(tags=config.standard_tags),
        )
    )
    baseline = SecurityBaseline(
        f"{config.stack}-security",
        SecurityBaselineArgs(
            settings=settings,
            region=config.region,
            alert_topic_arn=alarms.topic_arn,
            stack_role_prefix=f"{config.stack}-",
            runbook_url=f"{config.monitoring.runbook_base_url.rstrip('/')}/{RUNBOOK_PAGE}",
            global_events_provider=global_events,
            tags=config.standard_tags,
            protect=config.protect_stateful_resources,
        ),
        opts=platform.aws_opts(),
    )
    platform.components["security_baseline"] = baseline
    platform.exports["security_alert_rules"] = baseline.rule_names
    if baseline.trail_arn is not None:
        platform.exports.update(
            {"audit_trail_arn": baseline.trail_arn, "audit_log_bucket": baseline.trail_bucket_name}
        )
    if baseline.detector_id is not None:
        platform.exports["guardduty_detector_id"] = baseline.detector_id
