"""Typed stack config: environment profiles as defaults, Pulumi.<stack>.yaml as overrides."""

from stacks.config.errors import ConfigError, ConfigIssue
from stacks.config.loader import load_stack, parse_stack_config, read_stack_file, stack_names
from stacks.config.model import StackConfig

__all__ = [
    "ConfigError",
    "ConfigIssue",
    "StackConfig",
    "load_stack",
    "parse_stack_config",
    "read_stack_file",
    "stack_names",
]
