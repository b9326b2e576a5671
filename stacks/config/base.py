"""Shared pieces of the config models: the base model (the components' own) and environment names."""

from __future__ import annotations

from typing import Literal

from components._lib.args import ComponentArgs

Environment = Literal["local", "dev", "qa", "staging", "prod"]
ENVIRONMENTS: tuple[Environment, ...] = ("local", "dev", "qa", "staging", "prod")

# Stack-level sections (tags, the stack's own switches) use the components' base unchanged, so a
# setting reads, validates and documents the same wherever it is declared.
ConfigModel = ComponentArgs
