"""Capture one stack exactly as `pulumi preview -s <stack>` would run it, but on mocks."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from stacks.config import load_stack, read_stack_file
from stacks.config.loader import PROJECT_DIR, deep_merge
from stacks.preflight.capture import Capture, run_program
from stacks.program import build


def capture_stack(
    stack: str,
    project_dir: Path = PROJECT_DIR,
    overrides: Mapping[str, Any] | None = None,
    stack_file: Path | None = None,
) -> Capture:
    """Build `stack` from its Pulumi.<stack>.yaml, or from `stack_file` in its place (plus
    `overrides`, keyed like the file's `config:` block) and return everything it registered.
    Raises ConfigError on bad config."""
    raw = read_stack_file(stack, project_dir, stack_file)
    if overrides:
        raw = deep_merge(raw, overrides)
    config = load_stack(stack, project_dir, raw)
    return run_program(stack, raw, lambda: build(config), region=config.region)
