"""Small readers shared by rule modules: CIDRs, port ranges and IAM policy documents."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable, Iterator, Mapping
from fnmatch import fnmatchcase
from typing import Any

ANYWHERE = ("0.0.0.0/0", "::/0")
ALL_PROTOCOLS = ("-1", "all")


def as_list(value: Any) -> list[Any]:
    """A scalar or a list as a list; None as []."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def is_anywhere(cidr: Any) -> bool:
    return isinstance(cidr, str) and cidr.strip() in ANYWHERE


def is_private_cidr(cidr: str) -> bool:
    """RFC 1918, RFC 6598 (carrier-grade NAT), IPv6 ULA: address space that is not the internet."""
    try:
        net = ipaddress.ip_network(cidr.strip(), strict=False)
    except ValueError:
        return False
    private = [
        ipaddress.ip_network(n)
        for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
    ]
    return any(net.version == p.version and net.subnet_of(p) for p in private)  # type: ignore[arg-type]


def port_range(from_port: Any, to_port: Any, protocol: Any) -> tuple[int, int]:
    """The ports a rule opens; all protocols (-1) means every port."""
    if str(protocol).lower() in ALL_PROTOCOLS:
        return (0, 65535)
    low = int(from_port) if from_port is not None else 0
    high = int(to_port) if to_port is not None else 65535
    if low == -1 or high == -1:
        return (0, 65535)
    return (low, high)


def covers(port_span: tuple[int, int], port: int) -> bool:
    return port_span[0] <= port <= port_span[1]


def describe_ports(span: tuple[int, int]) -> str:
    if span == (0, 65535):
        return "all ports"
    return f"port {span[0]}" if span[0] == span[1] else f"ports {span[0]}-{span[1]}"


def policy_document(value: Any) -> dict[str, Any] | None:
    """An IAM/KMS/SNS policy document from a JSON string or an object; None when absent or unreadable."""
    if value is None or value == "":
        return None
    if isinstance(value, Mapping):
        return dict(value)
    try:
        doc = json.loads(value)
    except (TypeError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def statements(doc: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    if not doc:
        return []
    return [s for s in as_list(doc.get("Statement")) if isinstance(s, Mapping)]


def allows(doc: Mapping[str, Any] | None) -> Iterator[dict[str, Any]]:
    """Allow statements of a policy document."""
    for statement in statements(doc):
        if statement.get("Effect") == "Allow":
            yield statement


def actions(statement: Mapping[str, Any]) -> list[str]:
    return [str(a) for a in as_list(statement.get("Action"))]


def resources(statement: Mapping[str, Any]) -> list[str]:
    return [str(r) for r in as_list(statement.get("Resource"))]


def action_matches(pattern: str, action: str) -> bool:
    """Whether a policy's action pattern (`iam:Put*`, `*`) grants `action` (case-insensitive)."""
    return fnmatchcase(action.lower(), pattern.lower())


def grants_any(statement: Mapping[str, Any], dangerous: Iterable[str]) -> list[str]:
    """The `dangerous` actions a statement's action patterns grant."""
    patterns = actions(statement)
    return [d for d in dangerous if any(action_matches(p, d) for p in patterns)]


def principals(statement: Mapping[str, Any]) -> list[str]:
    """Every principal a statement names, flattened ("*" stays "*")."""
    principal = statement.get("Principal")
    if principal is None:
        return []
    if isinstance(principal, str):
        return [principal]
    if isinstance(principal, Mapping):
        return [str(p) for values in principal.values() for p in as_list(values)]
    return [str(p) for p in as_list(principal)]


def is_public_principal(statement: Mapping[str, Any]) -> bool:
    return "*" in principals(statement)


def condition_keys(statement: Mapping[str, Any]) -> dict[str, list[str]]:
    """Condition key (lower-cased) -> values, across operators."""
    found: dict[str, list[str]] = {}
    condition = statement.get("Condition") or {}
    if isinstance(condition, Mapping):
        for block in condition.values():
            if isinstance(block, Mapping):
                for key, values in block.items():
                    found.setdefault(str(key).lower(), []).extend(str(v) for v in as_list(values))
    return found
