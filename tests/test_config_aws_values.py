"""Values that pass a pattern but that AWS would refuse at `pulumi up` are refused by the stack config,
each naming the key and what AWS allows (the catalog and limits of components._lib.aws_values)."""

from __future__ import annotations

import pytest

from stacks.config import ConfigError, parse_stack_config, read_stack_file


def _error(stack: str, key: str, patch: dict) -> str:
    raw = read_stack_file(stack)
    current = raw.get(key, {})
    raw[key] = {**current, **patch} if isinstance(current, dict) else patch
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(stack, raw)
    return str(caught.value)


@pytest.mark.parametrize(
    ("key", "patch", "expected"),
    [
        ("groundwork:cluster", {"nodeGroups": {"general": {"instanceTypes": ["t3.mega"]}}}, "t3.mega"),
        ("groundwork:postgres", {"instanceClass": "db.t3.mega"}, "postgres.instanceClass"),
        ("groundwork:kafka", {"instanceType": "kafka.t9.small"}, "kafka.instanceType"),
        ("groundwork:redis", {"nodeType": "cache.t9.micro"}, "redis.nodeType"),
        ("groundwork:redis", {"engineVersion": "latest; rm -rf /"}, "redis.engineVersion"),
        ("groundwork:postgres", {"backupWindow": "03:00-03:10"}, "AWS requires at least 30"),
        ("groundwork:redis", {"maintenanceWindow": "sun:05:30-sun:06:00"}, "AWS requires at least 60"),
        (
            "groundwork:postgres",
            {"backupWindow": "04:00-05:00", "maintenanceWindow": "sun:04:30-sun:05:30"},
            "overlaps backupWindow",
        ),
        ("groundwork:backups", {"drRegion": "eu-central-9"}, "is not an AWS region"),
        ("groundwork:backups", {"schedule": "cron(0 5 * * * *)"}, "exactly one day field"),
        ("groundwork:tags", {"extra": {"aws:team": "x"}}, "may not begin with 'aws:'"),
        ("groundwork:tags", {"extra": {"team": "v" * 300}}, "at most 256"),
        ("groundwork:cluster", {"endpointPublicAccessCidrs": ["2001:db8::/32"]}, "is IPv6"),
        ("groundwork:cluster", {"nodeGroups": {"general": {"labels": {"-tier": "x"}}}}, "label key"),
        ("groundwork:monitoring", {"runbookBaseUrl": "https://user:pass@wiki.example.com/rb"}, "credentials"),
    ],
    ids=[
        "instance-type",
        "rds-class",
        "msk-broker",
        "cache-node",
        "engine-version",
        "rds-window-short",
        "cache-maintenance-short",
        "windows-overlap",
        "dr-region",
        "backup-cron",
        "reserved-tag-key",
        "tag-value-long",
        "ipv6-public-access",
        "node-label",
        "url-credentials",
    ],
)
def test_a_value_aws_would_refuse_is_a_config_error_naming_the_key(key, patch, expected):
    stack = "prod" if key == "groundwork:backups" else "staging"
    assert expected in _error(stack, key, patch)


def test_an_unknown_region_is_refused():
    raw = {**read_stack_file("dev"), "aws:region": "eu-west-9"}
    with pytest.raises(ConfigError, match=r"region = 'eu-west-9': is not an AWS region"):
        parse_stack_config("dev", raw)
