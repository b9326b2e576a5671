"""The URNs of every stateful resource, per stack, as the Pulumi engine will compute them.

A URN is a resource's identity: rename a child, change its type or move it under another parent
and `pulumi up` deletes the old resource and creates a new one. For a database, a broker, a key or
a bucket that is data loss, so `tests/golden/urns/<stack>.json` pins them and
`tests/test_urn_golden.py` fails when one moves without an alias that maps the old URN to the new.

The mock monitor builds URNs its own way (it keeps `pulumi:pulumi:Stack` in the type chain and only
the immediate parent's type); the engine chains every ancestor's type except the stack's. This
module computes the engine's form from each resource's type, name and parent chain.

Update the snapshot on purpose, after adding a stateful resource or after adding the alias that
keeps an old one: `python -m tests.urn_golden --update` (then review the diff like code).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path

from policy.rules.stack.protection import STATEFUL_TYPES as PROTECTED_TYPES
from stacks.preflight.capture import Capture, CapturedResource

GOLDEN_DIR = Path(__file__).parent / "golden" / "urns"
PROJECT = "groundwork"
STACK_TYPE = "pulumi:pulumi:Stack"

# What holds data or guards it: the pack's one list (STACK-PROT-001), plus the log groups
# (STACK-PROT-002) and StatefulSets, whose replacement loses their evidence or volumes.
STATEFUL_TYPES = frozenset(
    {*PROTECTED_TYPES, "aws:cloudwatch/logGroup:LogGroup", "kubernetes:apps/v1:StatefulSet"}
)


def engine_urn(stack: str, type_chain: Iterable[str], name: str) -> str:
    return f"urn:pulumi:{stack}::{PROJECT}::{'$'.join(type_chain)}::{name}"


class UrnIndex:
    """Engine URNs of one capture, and the old URNs its aliases keep."""

    def __init__(self, capture: Capture):
        self.capture = capture
        self._by_mock_urn = {r.urn: r for r in capture.resources}

    def chain(self, resource: CapturedResource) -> list[str]:
        """Types from the outermost component down to the resource, the stack left out."""
        types: list[str] = []
        current: CapturedResource | None = resource
        while current is not None and current.type != STACK_TYPE:
            types.append(current.type)
            current = self._by_mock_urn.get(current.parent or "")
        return list(reversed(types))

    def urn(self, resource: CapturedResource) -> str:
        return engine_urn(self.capture.stack, self.chain(resource), resource.name)

    def alias_urns(self, resource: CapturedResource) -> list[str]:
        """The engine URNs this resource's aliases claim (old names, types or parents)."""
        found = []
        for alias in resource.options.get("aliases") or []:
            if "urn" in alias:
                found.append(alias["urn"])
                continue
            spec = alias.get("spec", {})
            name = spec.get("name") or resource.name
            own_type = spec.get("type") or resource.type
            if "parentUrn" in spec or spec.get("noParent"):
                parent = self._by_mock_urn.get(spec.get("parentUrn") or "")
                prefix = [] if parent is None else self.chain(parent)
            else:
                prefix = self.chain(resource)[:-1]
            found.append(engine_urn(self.capture.stack, [*prefix, own_type], name))
        return found

    def stateful(self) -> list[dict[str, object]]:
        rows = [
            {"urn": self.urn(r), "type": r.type, "parents": self.chain(r)[:-1]}
            for r in self.capture.resources
            if r.type in STATEFUL_TYPES
        ]
        return sorted(rows, key=lambda row: str(row["urn"]))


def golden_path(stack: str) -> Path:
    return GOLDEN_DIR / f"{stack}.json"


def write_golden(stack: str, capture: Capture) -> Path:
    GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
    path = golden_path(stack)
    path.write_text(json.dumps(UrnIndex(capture).stateful(), indent=2) + "\n")
    return path


def main(argv: list[str]) -> int:
    from stacks.preflight.runner import capture_stack

    if argv != ["--update"]:
        print("usage: python -m tests.urn_golden --update", file=sys.stderr)
        return 2
    for stack in ("local", "dev", "qa", "staging", "prod"):
        print(f"wrote {write_golden(stack, capture_stack(stack))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
