"""Table-driven rule tests: a compliant baseline per resource type, and one broken copy per rule.

Every case runs through `policy.testing` (pulumi_policy's own analyzer servicer). A case asserts the
rule fires on the broken copy; the baseline tests assert the same rule stays silent on the compliant
resource or stack the broken copy was made from, so each rule is tested in both directions.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from policy.testing import evaluate_resource, evaluate_stack, rule_ids

DROP = object()
"""Override value that removes the key."""


def patched(base: dict, overrides: dict[str, Any]) -> dict:
    """A deep copy of `base` with dotted-path overrides ("a.b.c": value; DROP removes the key)."""
    result = copy.deepcopy(base)
    for dotted, value in overrides.items():
        node = result
        *parents, leaf = dotted.split(".")
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
        if value is DROP:
            node.pop(leaf, None)
        elif isinstance(node, list):
            node[int(leaf)] = value
        else:
            node[leaf] = value
    return result


def fired(
    type_: str, props: dict, *, environment: str = "prod", config: dict | None = None, name: str = "r"
) -> set[str]:
    return rule_ids(evaluate_resource(type_, props, name=name, environment=environment, config=config))


@cache
def _baseline(type_: str, frozen: str, environment: str) -> frozenset[str]:
    import json

    return frozenset(fired(type_, json.loads(frozen), environment=environment))


def baseline_fired(type_: str, props: dict, environment: str = "prod") -> frozenset[str]:
    import json

    return _baseline(type_, json.dumps(props, sort_keys=True), environment)


def stack_fired(resources: list[dict], *, environment: str = "prod", config: dict | None = None) -> set[str]:
    return rule_ids(evaluate_stack(resources, environment=environment, config=config))


def res(type_: str, name: str, props: dict | None = None, **extra: Any) -> dict:
    return {"type": type_, "name": name, "props": props or {}, **extra}


def without(resources: list[dict], name: str) -> list[dict]:
    return [r for r in resources if r["name"] != name]


def replaced(resources: list[dict], name: str, overrides: dict[str, Any]) -> list[dict]:
    return [{**r, "props": patched(r["props"], overrides)} if r["name"] == name else r for r in resources]
