"""Shared fixtures: stacks captured once per session, and a runner for single components."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from stacks.preflight.capture import Capture, run_program
from stacks.preflight.runner import capture_stack

STACKS = ("local", "dev", "qa", "staging", "prod")


@pytest.fixture(scope="session")
def captured() -> Callable[[str], Capture]:
    """`captured("prod")`: the prod stack file built on mocks, cached for the whole session."""
    cache: dict[str, Capture] = {}

    def get(stack: str) -> Capture:
        if stack not in cache:
            cache[stack] = capture_stack(stack)
        return cache[stack]

    return get


@pytest.fixture(scope="session")
def dev_exposed() -> Capture:
    """dev with its zone, `api` exposed public (paths /v1 and /v2) and `web` internal, built once per
    session for the edge tests (ingress, alarms, probes)."""
    import copy

    from stacks.config import read_stack_file

    apps = copy.deepcopy(read_stack_file("dev")["groundwork:apps"])
    apps["api"].update({"expose": "public", "host": "api", "paths": ["/v1", "/v2"]})
    apps["web"].update({"expose": "internal"})
    dns = {"zoneName": "dev.example.com", "createZone": True}
    return capture_stack("dev", overrides={"groundwork:dns": dns, "groundwork:apps": apps})


def run_component(build: Callable[[], object], stack: str = "test", region: str = "eu-west-1") -> Capture:
    """Run `build` (which creates components) on mocks and return what it registered."""
    return run_program(stack, {}, lambda: build() and None, region=region)
