"""Values AWS would refuse at `pulumi up`, refused when the config is read.

Only the real provider would otherwise tell that `t3.mega` or `kafka.t9.small` does not exist, that
a maintenance window is shorter than the service's minimum, or that a tag key is too long, and only
after minutes of a deploy. Each check here reads an AWS-authored source: the catalog generated from
botocore's service models (`aws_catalog.json`, see `scripts/generate_aws_catalog.py`) or a limit
from the service's own documentation, quoted beside the check.

Each function returns the value or raises ValueError with what is allowed; the `Annotated` types
attach them to pydantic fields.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator

CATALOG_PATH = Path(__file__).with_name("aws_catalog.json")


@cache
def catalog() -> dict[str, Any]:
    return json.loads(CATALOG_PATH.read_text())


@cache
def _instance_types() -> frozenset[str]:
    return frozenset(catalog()["ec2InstanceTypes"])


def region(value: str) -> str:
    if value not in catalog()["regions"]:
        raise ValueError("is not an AWS region; e.g. eu-west-1, us-east-1, eu-central-1")
    return value


def ec2_instance_type(value: str) -> str:
    if value not in _instance_types():
        raise ValueError("is not an EC2 instance type; e.g. t3.medium, m7g.large")
    return value


def _prefixed(value: str, prefix: str, example: str) -> str:
    """RDS, ElastiCache and MSK name their classes after the EC2 type they run on."""
    base = value.removeprefix("express.") if prefix == "kafka." else value
    if not base.startswith(prefix) or base[len(prefix) :] not in _instance_types():
        raise ValueError(f"is not a {prefix}<EC2 instance type> class; e.g. {example}")
    return value


def rds_instance_class(value: str) -> str:
    return _prefixed(value, "db.", "db.t3.large, db.m7g.large")


def cache_node_type(value: str) -> str:
    return _prefixed(value, "cache.", "cache.t4g.micro, cache.m7g.large")


def msk_broker_type(value: str) -> str:
    return _prefixed(value, "kafka.", "kafka.t3.small, kafka.m7g.large")


# Tags: AWS's tagging docs (Tagging AWS resources, "Tag naming limits and requirements"): keys may not
# begin with `aws:`; letters, digits, spaces and `_ . : / = + - @`. Lengths from the catalog.
_TAG_TEXT = re.compile(r"[\w .:/=+\-@]*", re.UNICODE)


def tag_key(value: str) -> str:
    limits = catalog()["tagKey"]
    if not limits["min"] <= len(value) <= limits["max"]:
        raise ValueError(f"tag keys are {limits['min']} to {limits['max']} characters")
    if value.lower().startswith("aws:"):
        raise ValueError("tag keys may not begin with 'aws:' (reserved for AWS)")
    if not _TAG_TEXT.fullmatch(value):
        raise ValueError("tag keys may hold letters, digits, spaces and _ . : / = + - @")
    return value


def tag_value(value: str) -> str:
    limits = catalog()["tagValue"]
    if len(value) > limits["max"]:
        raise ValueError(f"tag values are at most {limits['max']} characters")
    if not _TAG_TEXT.fullmatch(value):
        raise ValueError("tag values may hold letters, digits, spaces and _ . : / = + - @")
    return value


# Node labels: EKS's limits (the eks model) on top of Kubernetes' syntax (a DNS-subdomain prefix and a
# name of alphanumerics, '-', '_', '.', beginning and ending alphanumeric).
_LABEL_NAME = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?")
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")


def node_label_key(value: str) -> str:
    limits = catalog()["eksLabelKey"]
    prefix, _, name = value.rpartition("/")
    if not limits["min"] <= len(value) <= limits["max"]:
        raise ValueError(f"EKS node label keys are {limits['min']} to {limits['max']} characters")
    if not _LABEL_NAME.fullmatch(name) or (prefix and not _DNS_SUBDOMAIN.fullmatch(prefix)):
        raise ValueError("a Kubernetes label key: [prefix/]name, the name alphanumeric with - _ . inside")
    return value


def node_label_value(value: str) -> str:
    limits = catalog()["eksLabelValue"]
    if not limits["min"] <= len(value) <= limits["max"] or not _LABEL_NAME.fullmatch(value):
        raise ValueError(
            f"EKS node label values are {limits['min']} to {limits['max']} characters, alphanumeric "
            "with - _ . inside"
        )
    return value


# Windows, from the constraints in botocore's service-model docs: RDS `PreferredBackupWindow` and
# `PreferredMaintenanceWindow` "Must be at least 30 minutes" and "Must not conflict with" each other;
# ElastiCache `PreferredMaintenanceWindow` "The minimum maintenance window is a 60 minute period"
# (its `SnapshotWindow` states no minimum).
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAILY = re.compile(r"([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)")
_WEEKLY = re.compile(
    r"(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):([0-5]\d)-"
    r"(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):([0-5]\d)"
)
WEEK_MINUTES = 7 * 24 * 60


def daily_window_minutes(value: str) -> tuple[int, int]:
    """(start, end) minutes after midnight UTC; end may be past midnight (+1440)."""
    match = _DAILY.fullmatch(value)
    if not match:
        raise ValueError("a daily UTC window hh:mm-hh:mm such as 03:00-04:00")
    start = int(match[1]) * 60 + int(match[2])
    end = int(match[3]) * 60 + int(match[4])
    return start, end if end > start else end + 24 * 60


def weekly_window_minutes(value: str) -> tuple[int, int]:
    """(start, end) minutes after Monday 00:00 UTC; end may wrap past Sunday (+ a week)."""
    match = _WEEKLY.fullmatch(value)
    if not match:
        raise ValueError("a weekly UTC window ddd:hh:mm-ddd:hh:mm such as sun:04:30-sun:05:30")
    start = _DAYS.index(match[1]) * 1440 + int(match[2]) * 60 + int(match[3])
    end = _DAYS.index(match[4]) * 1440 + int(match[5]) * 60 + int(match[6])
    return start, end if end > start else end + WEEK_MINUTES


def window_at_least(minutes: int, weekly: bool):
    """A validator: the window is well-formed and at least `minutes` long."""

    def check(value: str) -> str:
        start, end = (weekly_window_minutes if weekly else daily_window_minutes)(value)
        if end - start < minutes:
            raise ValueError(f"the window is {end - start} minutes; AWS requires at least {minutes}")
        return value

    return check


def windows_overlap(daily: str, weekly: str) -> bool:
    """Whether a daily window (repeated every day) overlaps a weekly one anywhere in the week."""
    d_start, d_end = daily_window_minutes(daily)
    w_start, w_end = weekly_window_minutes(weekly)
    weekly_spans = [(w_start, w_end), (w_start - WEEK_MINUTES, w_end - WEEK_MINUTES)]
    return any(
        day * 1440 + d_start < end and start < day * 1440 + d_end
        for day in range(-1, 8)
        for start, end in weekly_spans
    )


# AWS Backup schedules: `cron(Minutes Hours Day-of-month Month Day-of-week Year)`, one of the two day
# fields `?` (AWS Backup developer guide, "Schedule expressions"; EventBridge cron syntax).
_CRON_FIELD = r"[\w*?/,\-#L]+"
_BACKUP_CRON = re.compile(
    rf"cron\(({_CRON_FIELD}) ({_CRON_FIELD}) ({_CRON_FIELD}) ({_CRON_FIELD}) "
    rf"({_CRON_FIELD}) ({_CRON_FIELD})\)"
)


def backup_cron(value: str) -> str:
    match = _BACKUP_CRON.fullmatch(value)
    if not match or "?" not in (match[3], match[5]) or (match[3] == "?" and match[5] == "?"):
        raise ValueError(
            "an AWS cron expression with six fields and `?` in exactly one day field, e.g. cron(0 5 ? * * *)"
        )
    minutes, hours = match[1], match[2]
    if (minutes.isdigit() and int(minutes) > 59) or (hours.isdigit() and int(hours) > 23):
        raise ValueError("minutes 0-59 and hours 0-23, e.g. cron(0 5 ? * * *)")
    return value


Region = Annotated[str, AfterValidator(region)]
BackupCron = Annotated[str, AfterValidator(backup_cron)]
