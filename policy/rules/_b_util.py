"""Small helpers shared by the data, compute, Kubernetes and stack-wide rule modules.

They read values the way the Pulumi engine hands them to an analyzer: numbers arrive as floats,
some provider booleans are strings ("true"), single nested blocks may be a dict or a one-item list.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from pulumi_policy.proxy import UnknownValueError

_LEVEL = {"M": "mandatory", "A": "advisory", "D": "disabled"}


def anchors(row: str | None, enforce: str, *ids: str) -> tuple[str, ...]:
    """Tags for a rule: its target-table row, the anchors' ids, and the dev/prod enforcement
    column of the target table (`"A/M"` = advisory in dev, mandatory in prod)."""
    dev, prod = enforce.split("/")
    tags = [f"target:{row}"] if row else []
    tags.extend(ids)
    tags.extend((f"enforce:dev={_LEVEL[dev]}", f"enforce:prod={_LEVEL[prod]}"))
    return tuple(tags)


def is_true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def is_false(value: Any) -> bool:
    return value is False or (isinstance(value, str) and value.strip().lower() == "false")


def as_list(value: Any) -> list:
    """A nested block as a list, whether the engine sent nothing, one dict or a list."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def first(value: Any) -> dict:
    """The first (usually only) element of a nested block, or {}."""
    items = as_list(value)
    return items[0] if items and isinstance(items[0], dict) else {}


def number(value: Any, default: float | None = None) -> float | None:
    if value is None or isinstance(value, bool):
        return default
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def version_tuple(version: Any) -> tuple[int, ...]:
    """'16.4' -> (16, 4); '1.32' -> (1, 32); unparsable parts are dropped."""
    return tuple(int(p) for p in re.findall(r"\d+", str(version or "")))


def _urn(item: Any) -> str:
    return getattr(item, "urn", None) or str(item)


def linked(res: Any, prop: str, candidates: Iterable[Any], keys: tuple[str, ...] = ()) -> list[Any]:
    """The candidates that `res`'s input `prop` (top-level name) points at.

    In order: the engine's property dependencies for `prop` (exact even when the value is an id
    that is unknown in preview or a mock id in preflight); else the input's value matched against a
    candidate's name or one of its identifying inputs `keys` (e.g. the bucket name); else the
    candidates among `res`'s resource dependencies.
    """
    candidates = list(candidates)
    deps = getattr(res, "property_dependencies", None) or {}
    targets = deps.get(prop) if isinstance(deps, dict) else None
    if targets:
        urns = {_urn(t) for t in targets}
        return [c for c in candidates if c.urn in urns]
    values: set[str] = set()
    try:
        raw = res.props.get(prop)
    except UnknownValueError:  # an id only known after deploy: fall back to the dependency graph
        raw = None
    for value in as_list(raw):
        if isinstance(value, (str, int, float)):
            values.add(str(value))
    matches = []
    for c in candidates:
        ids = {c.name} | {str(c.props.get(k)) for k in keys if c.props.get(k) is not None}
        if ids & values:
            matches.append(c)
    if matches:
        return matches
    depends_on = {_urn(d) for d in getattr(res, "dependencies", ()) or ()}
    return [c for c in candidates if c.urn in depends_on]


def each(resources: Iterable[Any], check: Callable[[Any], Iterable[Any]]) -> Iterator[Any]:
    """Run a stack rule's per-resource `check`, so that a value unknown at preview makes only that
    resource "cannot tell" (its findings are dropped) instead of the whole stack."""
    for r in resources:
        try:
            findings = list(check(r))
        except UnknownValueError:
            continue
        yield from findings


def policy_document(value) -> dict:
    """An IAM-style policy document from its JSON string (or dict) input; {} when unparsable."""
    if isinstance(value, dict):
        return value
    try:
        doc = json.loads(value or "{}")
    except (TypeError, ValueError):
        return {}
    return doc if isinstance(doc, dict) else {}


def statements(doc: dict) -> list[dict]:
    return [s for s in as_list(doc.get("Statement")) if isinstance(s, dict)]


def principal_is_public(principal) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, dict):
        return any(p == "*" for v in principal.values() for p in as_list(v))
    return False


def condition_keys(statement: dict) -> set[str]:
    """The lower-cased condition keys of a policy statement (`aws:sourcevpce`, ...), whatever the operator."""
    condition = statement.get("Condition") or {}
    return {k.lower() for ops in condition.values() if isinstance(ops, dict) for k in ops}
