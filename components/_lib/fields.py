"""Field types several components' settings share, each with the check AWS would otherwise make
only minutes into `pulumi up`."""

from __future__ import annotations

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
