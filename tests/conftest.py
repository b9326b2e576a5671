"""Shared fixtures: stacks captured once per session, and a runner for single components."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from policy.analyzer import PolicyReport, evaluate
from stacks.preflight import collector
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


@pytest.fixture(scope="session")
def judged(captured) -> Callable[[str], PolicyReport]:
    """`judged("prod")`: the pack's report on `captured("prod")` under prod's shipped policy config,
    cached for the whole session (read it, never change it)."""
    cache: dict[str, PolicyReport] = {}

    def get(stack: str) -> PolicyReport:
        if stack not in cache:
            cache[stack] = evaluate(captured(stack), stack)
        return cache[stack]

    return get


def run_component(build: Callable[[], object], stack: str = "test", region: str = "eu-west-1") -> Capture:
    """Run `build` (which creates components) on mocks and return what it registered."""
    return run_program(stack, {}, lambda: build() and None, region=region)


@pytest.fixture(scope="session", autouse=True)
def batch_collector():
    """The session runs the program on mocks hundreds of times, each run building a large heap that
    the default collector thresholds walk again and again; collect as a preflight does
    (stacks.preflight.collector), then restore the thresholds."""
    with collector.tuned():
        yield
