"""Field types several components' settings share, each with the check AWS would otherwise make
only minutes into `pulumi up`."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field

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

_WINDOW = re.compile(r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$")
_WEEKLY_WINDOW = re.compile(
    r"^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d-"
    r"(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d$"
)


def _daily_window(value: str) -> str:
    if not _WINDOW.match(value):
        raise ValueError("a daily UTC window hh:mm-hh:mm such as 03:00-04:00")
    return value


def _weekly_window(value: str) -> str:
    if not _WEEKLY_WINDOW.match(value):
        raise ValueError("a weekly UTC window ddd:hh:mm-ddd:hh:mm such as sun:04:30-sun:05:30")
    return value


DailyWindow = Annotated[str, AfterValidator(_daily_window)]
WeeklyWindow = Annotated[str, AfterValidator(_weekly_window)]

REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")


def _cron(value: str) -> str:
    if not (value.startswith("cron(") and value.endswith(")")):
        raise ValueError("an AWS cron expression such as cron(0 3 * * ? *)")
    return value


AwsCron = Annotated[str, AfterValidator(_cron)]
