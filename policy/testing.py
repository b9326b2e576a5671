"""Helpers for rule tests: evaluate minimal resources through pulumi_policy's own analyzer.

`evaluate_resource` sends one `AnalyzeRequest`; `evaluate_stack` sends one `AnalyzeStackRequest`
(stack rules only). Both configure the analyzer from the environment's shipped policy config,
with `config` (Pulumi policy-config format, per policy name) applied on top, so enforcement levels,
thresholds and exemptions behave exactly as in preflight and in the CLI.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from policy.analyzer import Analyzer, Finding, WireResource

PROJECT = "groundwork"


def urn_for(type_: str, name: str, stack: str = "test", parent_type: str | None = None) -> str:
    qualified = f"{parent_type}${type_}" if parent_type else type_
    return f"urn:pulumi:{stack}::{PROJECT}::{qualified}::{name}"


@lru_cache(maxsize=64)
def _analyzer(environment: str, config_json: str) -> Analyzer:
    return Analyzer(environment, overrides=json.loads(config_json) or None)


def analyzer_for(environment: str = "prod", config: Mapping[str, Any] | None = None) -> Analyzer:
    """A configured analyzer, cached per (environment, config) so table-driven tests stay fast."""
    return _analyzer(environment, json.dumps(config or {}, sort_keys=True))


def evaluate_resource(
    type_: str,
    props: dict,
    *,
    name: str = "r",
    environment: str = "prod",
    protect: bool = False,
    config: Mapping[str, Any] | None = None,
) -> list[Finding]:
    """Every finding of the pack on one resource with inputs `props` (wire names, plain values)."""
    resource = WireResource(urn=urn_for(type_, name), type=type_, name=name, inputs=props, protect=protect)
    analyzer = analyzer_for(environment, config)
    return [analyzer.finding(d, {resource.urn: resource}) for d in analyzer.analyze(resource)]


def evaluate_stack(
    resources: list[dict], *, environment: str = "prod", config: Mapping[str, Any] | None = None
) -> list[Finding]:
    """Every stack-rule finding on `resources`: dicts with "type", "name", "props", and optional
    "protect", "parent" (the parent's name), "propertyDependencies" ({input name: [names of the
    resources its value came from]}, e.g. {"vpcId": ["main-vpc"]}; "deps" is accepted as a short
    alias) and "dependencies" ([names]; the property dependencies are added to them, as the engine
    does)."""
    urns = {r["name"]: urn_for(r["type"], r["name"]) for r in resources}
    wire = []
    for r in resources:
        named = r.get("propertyDependencies") or r.get("deps") or {}
        deps = {key: [urns[n] for n in names] for key, names in named.items()}
        all_deps = [urns[n] for n in r.get("dependencies", ())] + [u for us in deps.values() for u in us]
        wire.append(
            WireResource(
                urn=urns[r["name"]],
                type=r["type"],
                name=r["name"],
                inputs=r.get("props", {}),
                protect=bool(r.get("protect", False)),
                parent=urns.get(r["parent"]) if r.get("parent") else None,
                dependencies=tuple(dict.fromkeys(all_deps)),
                property_dependencies=deps,
            )
        )
    analyzer = analyzer_for(environment, config)
    by_urn = {w.urn: w for w in wire}
    return [analyzer.finding(d, by_urn) for d in analyzer.analyze_stack(wire)]


def rule_ids(findings: list[Finding], *, status: str = "violation") -> set[str]:
    """The ids of the rules with a finding of `status` ("violation", "suppressed", "indeterminate")."""
    return {f.rule_id for f in findings if f.status == status}
