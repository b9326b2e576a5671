"""The base of every component's args model: the one place a setting is declared.

A component's args are a frozen pydantic model. Each field carries its secure default, its bounds
and a `Field(description=...)`. A component that a stack configures has two models: a *settings*
model (`<Thing>Settings`) with everything the stack decides, which the stack config embeds as it is
(the keys a stack file uses are the fields' camelCase aliases, and `docs/config.md` is generated from
it), and an *args* model (`<Thing>Args`) holding those settings plus the wiring inputs other
resources provide (`Input` values, providers, names, tags). The environment profiles in
`stacks/config/profiles.py` are the only per-environment override of a settings default.

A rule that belongs to one model (a maximum at least its minimum) is a validator on that model,
written once, raising `SettingError` so the error names the key it is about.
"""

from __future__ import annotations

from typing import Any, TypeVar, Union

import pulumi
from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

T = TypeVar("T")

# A plain value or one another resource computes. Pulumi's own `pulumi.Input` names `Output` only as
# a forward reference (and adds `Awaitable`), which pydantic cannot resolve; this alias checks that a
# value is either the plain type or an `Output` and never looks inside the Output.
Input = Union[T, pulumi.Output[T]]  # noqa: UP007 (a generic alias needs Union on Python 3.11)


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


class SettingError(ValueError):
    """A model validator's complaint about one of its own fields.

    `field` is the key as a stack file spells it (the camelCase alias). The stack config turns the
    error into `<stack>: <area>.<path>.<field> = <value>: <allowed>`; a caller that builds the model
    directly reads the same three parts in the message.
    """

    def __init__(self, field: str, value: Any, allowed: str):
        self.field = field
        self.value = value
        self.allowed = allowed
        super().__init__(f"{field} = {value!r}: {allowed}")
