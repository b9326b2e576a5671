"""The base of every component's args model: the one place a setting is declared.

A component's args are a frozen pydantic model. Each field carries its secure default, its bounds
and a `Field(description=...)`; the stack config embeds these models as they are (the keys a stack
file uses are the fields' camelCase aliases), the environment profiles are the only per-environment
override, and `docs/config.md` is generated from them. Fields that the wiring fills from other
resources (`pulumi.Input` values) are declared with `exclude=True` so they never appear in config.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class ComponentArgs(BaseModel):
    """Frozen, strict about unknown keys, camelCase keys as in Pulumi YAML, defaults validated too."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        validate_default=True,
        arbitrary_types_allowed=True,
    )
