"""How long `pulumi up` takes on an empty stack: the critical path through the captured graph.

What is modelled is what the engine and the Python SDK actually wait for before a resource's
RegisterResource is sent (pulumi/runtime/resource.py, prepare_resource):

- its dependencies: explicit `depends_on` (a component there stands for all its custom children)
  and every resource whose output feeds an input; the capture's `dependencies` already hold both;
- its provider (`provider`): a custom resource, or a remote component such as a Helm v4 Chart, is
  created by a provider that must be configured first;
- its parent's registration: a child needs its parent's URN, and a component registers only once
  its own dependencies and every provider of its `providers` map (`options.providers`) are ready.

So `depends_on` on a component, and a gated provider handed to a component, hold back every child.
A component itself takes no time; a remote component (a Helm v4 Chart) takes its chart's time; a
custom resource takes its type's typical create time (deploy_times.yaml). Nothing is bounded by
`--parallel`: the engine is assumed to run every ready step at once.

The bound is the same graph with only what each custom resource needs itself (its dependencies and
its provider), without the component-level waits: the slowest chain that is truly required.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from policy.cost.model import provider_urn
from stacks.preflight.capture import Capture, CapturedResource

TIMES_PATH = Path(__file__).resolve().parent / "deploy_times.yaml"
STACK_TYPE = "pulumi:pulumi:Stack"


@dataclass(frozen=True)
class Step:
    """One resource on a path: when it could start, when it is done, and what it waited for."""

    name: str
    type: str
    start: float
    finish: float
    minutes: float
    waited_for: str  # dependency, provider, parent or ""


@dataclass(frozen=True)
class CriticalPath:
    total: float
    chain: tuple[Step, ...]
    bound: float
    bound_chain: tuple[Step, ...]

    @property
    def ratio(self) -> float:
        return self.total / self.bound if self.bound else 1.0

    def to_json(self) -> dict[str, Any]:
        def steps(chain: Sequence[Step]) -> list[dict[str, Any]]:
            return [
                {
                    "name": s.name,
                    "type": s.type,
                    "start": round(s.start, 2),
                    "minutes": s.minutes,
                    "after": s.waited_for,
                }
                for s in chain
            ]

        return {
            "minutes": round(self.total, 2),
            "boundMinutes": round(self.bound, 2),
            "ratio": round(self.ratio, 3),
            "chain": steps(self.chain),
            "boundChain": steps(self.bound_chain),
        }


@lru_cache(maxsize=2)
def load_times(path: Path = TIMES_PATH) -> Mapping[str, Any]:
    return yaml.safe_load(path.read_text())


def minutes_for(resource: CapturedResource, times: Mapping[str, Any]) -> float:
    """The typical create time of one resource (0 for a local component)."""
    if resource.type == STACK_TYPE or (not resource.custom and not resource.options.get("remote")):
        return 0.0
    entry = times["types"].get(resource.type)
    if entry is not None:
        if (
            resource.type == "aws:rds/instance:Instance"
            and resource.props.get("multiAz")
            and "multiAz" in entry
        ):
            return float(entry["multiAz"]["minutes"])
        if (
            resource.type == "aws:ec2/vpcEndpoint:VpcEndpoint"
            and resource.props.get("vpcEndpointType") != "Interface"
        ):
            return float(times["default"]["custom"]["minutes"])
        return float(entry["minutes"])
    if resource.type.startswith("pulumi:providers:"):
        return float(times["default"]["provider"]["minutes"])
    if resource.type.startswith("kubernetes:"):
        return float(times["default"]["kubernetes"]["minutes"])
    return float(times["default"]["custom"]["minutes"])


def _waits(resource: CapturedResource, required_only: bool) -> list[tuple[str, str]]:
    """(kind, urn) of everything `resource` waits for before it is registered."""
    waits = [("dependency", urn) for urn in resource.dependencies]
    if resource.provider:  # a custom resource's provider, or a remote component's (a Helm Chart)
        waits.append(("provider", provider_urn(resource.provider) or ""))
    if required_only:
        return waits
    if resource.parent:
        waits.append(("parent", resource.parent))
    if not resource.custom:
        waits += [
            ("provider", provider_urn(ref) or "") for ref in resource.options.get("providers", {}).values()
        ]
    return waits


def _longest(
    resources: Sequence[CapturedResource], times: Mapping[str, Any], required_only: bool
) -> tuple[float, tuple[Step, ...]]:
    by_urn = {r.urn: r for r in resources}
    done: dict[str, tuple[float, str | None, str]] = {}

    def finish(urn: str) -> float:
        # Iterative post-order: deep dependency chains must not hit Python's recursion limit.
        stack = [urn]
        while stack:
            current = stack[-1]
            if current in done:
                stack.pop()
                continue
            waits = [(kind, w) for kind, w in _waits(by_urn[current], required_only) if w in by_urn]
            pending = [w for _, w in waits if w not in done]
            if pending:
                stack.extend(pending)
                continue
            start, after, kind = 0.0, None, ""
            for wait_kind, w in waits:
                if done[w][0] > start:
                    start, after, kind = done[w][0], w, wait_kind
            done[current] = (start + minutes_for(by_urn[current], times), after, kind)
            stack.pop()
        return done[urn][0]

    last = max((r.urn for r in resources), key=finish, default=None)
    chain: list[Step] = []
    urn = last
    while urn is not None:
        end, after, kind = done[urn]
        r = by_urn[urn]
        took = minutes_for(r, times)
        chain.append(Step(r.name, r.type, end - took, end, took, kind))
        urn = after
    chain.reverse()
    return (done[last][0] if last else 0.0), tuple(chain)


def critical_path(capture: Capture, times: Mapping[str, Any] | None = None) -> CriticalPath:
    table = times or load_times()
    total, chain = _longest(capture.resources, table, required_only=False)
    bound, bound_chain = _longest(capture.resources, table, required_only=True)
    return CriticalPath(total, chain, bound, bound_chain)
