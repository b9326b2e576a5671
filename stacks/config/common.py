"""Config values every area shares: who owns the stack and who pays for it."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from components._lib import aws_values
from stacks.config.base import ConfigModel

_TAG_VALUE = re.compile(r"^[\w .:/=+\-@]{1,256}$")
# The tags the platform sets itself on every resource; `extra` may not redefine them.
RESERVED_TAGS = frozenset({"environment", "project", "managed-by", "owner", "cost-center", "component"})


class Tags(ConfigModel):
    """Who owns the stack and who pays for it; both are required on every AWS resource."""

    owner: str = Field(
        min_length=1, max_length=256, description="The team that owns the stack (the `owner` tag)."
    )
    cost_center: str = Field(
        min_length=1, max_length=256, description="Who pays for the stack (the `cost-center` tag)."
    )
    extra: dict[str, str] = Field(
        default_factory=dict,
        description="More tags for every taggable resource; the platform's own tags cannot be redefined.",
    )

    @field_validator("owner", "cost_center")
    @classmethod
    def _tag_value(cls, value: str) -> str:
        if not _TAG_VALUE.match(value):
            raise ValueError("a tag value: 1-256 letters, digits, spaces and _ . : / = + - @")
        return value

    @field_validator("extra")
    @classmethod
    def _no_reserved(cls, value: dict[str, str]) -> dict[str, str]:
        clash = sorted(RESERVED_TAGS & set(value))
        if clash:
            raise ValueError(f"extra tags may not redefine the platform's own tags {clash}")
        for key, tag in value.items():  # AWS's tag limits (the tagging API's model)
            aws_values.tag_key(key)
            aws_values.tag_value(tag)
        return value
