"""Config values several areas share: tags and CloudWatch retention periods."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field, field_validator

from stacks.config.base import ConfigModel

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


LogRetentionDays = Annotated[int, AfterValidator(_retention)]

_TAG_VALUE = re.compile(r"^[\w .:/=+\-@]{1,256}$")


class Tags(ConfigModel):
    """Who owns the stack and who pays for it; both are required on every AWS resource."""

    owner: str = Field(min_length=1, max_length=256)
    cost_center: str = Field(min_length=1, max_length=256)
    extra: dict[str, str] = Field(default_factory=dict)

    @field_validator("owner", "cost_center")
    @classmethod
    def _tag_value(cls, value: str) -> str:
        if not _TAG_VALUE.match(value):
            raise ValueError("a tag value: 1-256 letters, digits, spaces and _ . : / = + - @")
        return value

    @field_validator("extra")
    @classmethod
    def _no_reserved(cls, value: dict[str, str]) -> dict[str, str]:
        reserved = {"environment", "project", "managed-by", "owner", "cost-center", "component"}
        clash = sorted(reserved & set(value))
        if clash:
            raise ValueError(f"extra tags may not redefine the platform's own tags {clash}")
        return value
