"""Monitoring and backup config: profiles per environment and errors that name the key to change."""

from __future__ import annotations

import pytest

from stacks.config import ConfigError, load_stack, read_stack_file
from stacks.config.loader import SECRET_PLACEHOLDER, deep_merge, parse_stack_config


def parse(stack: str, **overrides) -> object:
    raw = deep_merge(read_stack_file(stack), {f"groundwork:{k}": v for k, v in overrides.items()})
    return parse_stack_config(stack, raw)


def issues(stack: str, **overrides) -> list[str]:
    with pytest.raises(ConfigError) as error:
        parse(stack, **overrides)
    return [issue.path for issue in error.value.issues]


@pytest.mark.parametrize(
    "stack,days,lock,dr",
    [
        ("dev", 7, False, None),
        ("qa", 7, False, None),
        ("staging", 14, False, None),
        ("prod", 30, True, "eu-central-1"),
    ],
)
def test_backup_profiles(stack, days, lock, dr):
    backups = load_stack(stack).backups
    assert (backups.retention_days, backups.vault_lock, backups.dr_region) == (days, lock, dr)


def test_local_has_monitoring_but_no_aws_alarms_or_backups():
    config = load_stack("local")
    assert config.monitoring.enabled and config.monitoring.logs == "stdout"
    assert not config.monitoring.alarms.enabled and not config.backups.enabled


def test_local_refuses_cloudwatch_logs_and_backups():
    assert issues("local", monitoring={"logs": "cloudwatch"}, backups={"enabled": True}) == [
        "monitoring.logs",
        "backups.enabled",
    ]


def test_prod_refuses_to_send_alerts_nowhere():
    assert issues("prod", monitoring={"alerting": {"emailTo": []}}) == ["monitoring.alerting"]


def test_prod_needs_lock_dr_region_and_30_days():
    assert issues("prod", backups={"vaultLock": False, "drRegion": None, "retentionDays": 14}) == [
        "backups.retentionDays",
        "backups.vaultLock",
        "backups.drRegion",
    ]


def test_dr_region_must_differ_from_the_stack_region():
    assert issues("staging", backups={"drRegion": "eu-west-1"}) == ["backups.drRegion"]


def test_email_receiver_needs_a_smarthost():
    assert issues("dev", monitoring={"alerting": {"emailTo": ["a@example.com"]}}) == [
        "monitoring.alerting.emailTo"
    ]


def test_continuous_backup_retention_is_capped_at_35_days():
    assert issues("prod", backups={"retentionDays": 60}) == ["backups.retentionDays"]


def test_secure_values_are_read_as_secrets_and_never_shown():
    config = parse("prod", monitoring={"alerting": {"slackWebhookUrl": {"secure": "v1:ciphertext"}}})
    webhook = config.monitoring.alerting.slack_webhook_url
    assert webhook.get_secret_value() == SECRET_PLACEHOLDER
    assert SECRET_PLACEHOLDER not in repr(config)
