"""Field types several components' settings share, each with the check AWS would otherwise make
only minutes into `pulumi up`."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field

from components._lib import aws_values

# CloudWatch Logs accepts only these retention periods (PutRetentionPolicy).
LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)


def _retention(value: int) -> int:
    if value not in LOG_RETENTION_DAYS:
        raise ValueError(
            f"CloudWatch Logs retention must be one of {', '.join(map(str, LOG_RETENTION_DAYS))}"
        )
    return value


LogRetentionDays = Annotated[
    int, AfterValidator(_retention), Field(json_schema_extra={"enum": list(LOG_RETENTION_DAYS)})
]

# Windows and schedules as AWS documents them (components._lib.aws_values): full-string formats, and
# each window at least as long as the service's minimum (RDS 30 minutes; ElastiCache maintenance 60).
DailyWindow = Annotated[str, AfterValidator(aws_values.window_at_least(30, weekly=False))]
WeeklyWindow = Annotated[str, AfterValidator(aws_values.window_at_least(30, weekly=True))]
CacheDailyWindow = Annotated[str, AfterValidator(aws_values.window_at_least(1, weekly=False))]
CacheWeeklyWindow = Annotated[str, AfterValidator(aws_values.window_at_least(60, weekly=True))]
# RDS instance families that run PostgreSQL, and the sizes they come in. A class outside these is
# almost always a typo, and RDS would reject it only after minutes of `pulumi up`.
RDS_FAMILIES = (
    "t3",
    "t4g",
    "m5",
    "m5d",
    "m6g",
    "m6gd",
    "m6i",
    "m6id",
    "m6in",
    "m6idn",
    "m7g",
    "m7gd",
    "m7i",
    "m8g",
    "m8gd",
    "r5",
    "r5b",
    "r5d",
    "r6g",
    "r6gd",
    "r6i",
    "r6id",
    "r6in",
    "r6idn",
    "r7g",
    "r7gd",
    "r7i",
    "r8g",
    "r8gd",
    "x2g",
    "x2idn",
    "x2iedn",
)
_RDS_CLASS = re.compile(r"^db\.(?P<family>[a-z0-9]+)\.(?P<size>micro|small|medium|large|(?:\d+)?xlarge)$")


def _known_rds_class(value: str) -> bool:
    match = _RDS_CLASS.match(value)
    return bool(match and match["family"] in RDS_FAMILIES)


def _rds_class(value: str) -> str:
    if not _known_rds_class(value):
        raise ValueError("is not a known RDS class; e.g. db.t3.large")
    return value


_CACHE_NODE = re.compile(r"^cache\.[a-z0-9]+\.(micro|small|medium|large|(\d+)?xlarge)$")


def _cache_node(value: str) -> str:
    if not _CACHE_NODE.fullmatch(value):
        raise ValueError("an ElastiCache node type such as cache.t4g.micro or cache.m7g.large")
    return value


_MSK_BROKER = re.compile(r"^(express\.)?kafka\.[a-z0-9]+\.(small|large|(\d+)?xlarge)$")


def _msk_broker(value: str) -> str:
    if not _MSK_BROKER.fullmatch(value):
        raise ValueError("an MSK broker type such as kafka.m7g.large or kafka.t3.small")
    return value


# The data services' sizes: first the shape of the service's own names (and, for RDS, the families
# that run PostgreSQL), then the EC2 type under the prefix must be one botocore knows.
RdsInstanceClass = Annotated[str, AfterValidator(_rds_class), AfterValidator(aws_values.rds_instance_class)]
CacheNodeType = Annotated[str, AfterValidator(_cache_node), AfterValidator(aws_values.cache_node_type)]
MskBrokerType = Annotated[str, AfterValidator(_msk_broker), AfterValidator(aws_values.msk_broker_type)]

# A region of any AWS partition, from the catalog botocore ships (not a pattern: eu-west-9 is refused).
Region = aws_values.Region
AwsCron = aws_values.BackupCron


def _link(value: str) -> str:
    """A link that lands in plain text in alerts and dashboards: no credentials, no spaces."""
    from urllib.parse import urlsplit

    parts = urlsplit(value)
    if parts.username or parts.password or "@" in parts.netloc:
        raise ValueError(
            "a link without credentials (no user:password@): it is shown in plain text in alerts"
        )
    if not value or any(ch.isspace() for ch in value):
        raise ValueError(
            "a URL or path without spaces, e.g. https://github.com/acme/platform/blob/main/docs/runbooks"
        )
    if parts.scheme not in ("", "https", "http"):
        raise ValueError("an https:// URL or a repository path such as docs/runbooks")
    return value


# A link shown to people (runbook URLs): never carries credentials.
Link = Annotated[str, AfterValidator(_link)]
