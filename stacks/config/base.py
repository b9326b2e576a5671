"""Shared pieces of the config models: camelCase keys, strictness, environment names."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

Environment = Literal["local", "dev", "qa", "staging", "prod"]
ENVIRONMENTS: tuple[Environment, ...] = ("local", "dev", "qa", "staging", "prod")


class ConfigModel(BaseModel):
    """Base for every config section: camelCase keys as in Pulumi YAML, unknown keys rejected, frozen."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        validate_default=True,
    )
