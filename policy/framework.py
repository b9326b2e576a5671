"""The rule API of the Groundwork policy pack, and the bridge from rules to pulumi_policy.

A rule is a plain function decorated with `resource_rule` or `stack_rule`. The decorator records
its metadata (id, title, severity, what it checks, why, how to fix it, the same check in other rule
sets, the ids it had before) in `REGISTRY`; `build_policies()` turns every registered rule into a
pulumi_policy policy whose validate callback:

1. learns the environment and the rule's thresholds from the policy config the CLI sends,
2. gives the rule a read-only `Resource` (or `Stack`) view of what pulumi_policy handed over,
3. runs the rule, and passes each violation through the exemption check (`policy.exemptions`):
   a violation covered by a valid exemption is held back from the rule's own verdict and reported
   by the advisory policy `GW-EXEMPT-001`/`GW-EXEMPT-002` instead, so it never blocks but stays
   visible; everything else is reported against the rule at its configured enforcement level.

Reading a property whose value is unknown at preview raises pulumi_policy's `UnknownValueError`,
which the analyzer turns into an advisory "can't run policy" diagnostic: cannot tell, never a
pass and never a fail. A policy whose config sets `failClosedOnUnknown` reports a violation instead.

A rule has one id. The ids it had before are its `aliases`: `ALIASES` maps each to the rule, and
an old id is accepted wherever a rule id is (a policy config key, the rule named by an exemption
tag or annotation). `PackServicer` merges a config entry written under an old id into the rule's
own entry before pulumi_policy reads the config.

Enforcement levels are not part of a rule: they live in `policy/config/<env>.json` only.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import jsonschema
from google.protobuf import json_format
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    ResourceValidationPolicy,
    StackValidationPolicy,
)
from pulumi_policy import Severity as PulumiSeverity
from pulumi_policy.policy import _PolicyAnalyzerServicer
from pulumi_policy.proxy import UnknownValueError

from policy.exemptions import EXEMPTION_SCHEMA, judge
from policy.views import UNKNOWN as UNKNOWN  # re-exported: rule modules import the views from here
from policy.views import Resource, Stack

Severity = Literal["low", "medium", "high", "critical"]
Kind = Literal["resource", "stack"]

SEVERITIES: tuple[str, ...] = ("low", "medium", "high", "critical")
ENVIRONMENTS: tuple[str, ...] = ("local", "dev", "qa", "staging", "prod")
DEFAULT_ENVIRONMENT = "prod"
"""The environment assumed when the policy config names none: the strictest one."""

RULE_ID = re.compile(r"^[A-Z0-9]+(?:-[A-Z0-9]+)+-\d{3}$")
SUPPRESSED_RESOURCE_POLICY = "GW-EXEMPT-001"
SUPPRESSED_STACK_POLICY = "GW-EXEMPT-002"
FRAMEWORK_POLICIES: tuple[str, ...] = (SUPPRESSED_RESOURCE_POLICY, SUPPRESSED_STACK_POLICY)
RETIRED_TAGS = {
    "target": "a rule has one id: list it under its row's `rules` in policy/targets.json instead",
    "enforce": "enforcement levels live in policy/config/<env>.json only (python -m policy.envconfig "
    "adds a new rule there at its severity's level)",
}
"""Tag schemes rules used to carry, refused with where their content went."""


@dataclass(frozen=True)
class Rule:
    """One check, with everything a reviewer needs to understand and act on its findings."""

    id: str
    title: str
    severity: Severity
    description: str
    rationale: str
    remediation: str
    tags: tuple[str, ...]
    """`scheme:id` of the same check in other rule sets (checkov, AWS FSBP, cdk-nag, ...)."""
    resource_types: tuple[str, ...]
    kind: Kind
    thresholds: Mapping[str, Any] = field(default_factory=dict)
    """Tunable values (name -> default), declared in the policy's config schema."""
    aliases: tuple[str, ...] = ()
    """Ids this rule had before; policy config and exemptions still accept them."""
    check: Callable[..., Iterable[Any]] | None = field(default=None, compare=False, repr=False)
    module: str = ""


REGISTRY: dict[str, Rule] = {}
ALIASES: dict[str, str] = {}
"""Old rule id -> the id of the rule it names now."""


def resolve(rule_id: str) -> str:
    """The current id for `rule_id`, which may be an old one (an alias)."""
    return ALIASES.get(rule_id, rule_id)


def rule_for(rule_id: str) -> Rule | None:
    """The rule named by `rule_id` or by one of its old ids; None when no rule has that id."""
    return REGISTRY.get(resolve(rule_id))


def _register(rule: Rule) -> None:
    problems = []
    if not RULE_ID.match(rule.id):
        problems.append(f"id {rule.id!r} is not AREA-SERVICE-NNN")
    if rule.id in REGISTRY and REGISTRY[rule.id].check is not rule.check:
        problems.append(f"id {rule.id!r} is already used by {REGISTRY[rule.id].module}")
    if rule.id in FRAMEWORK_POLICIES:
        problems.append(f"id {rule.id!r} is reserved for the framework")
    if rule.id in ALIASES:
        problems.append(f"id {rule.id!r} is an old id of {ALIASES[rule.id]}")
    for alias in rule.aliases:
        if not RULE_ID.match(alias):
            problems.append(f"alias {alias!r} is not AREA-SERVICE-NNN")
        elif alias == rule.id or alias in REGISTRY or ALIASES.get(alias, rule.id) != rule.id:
            problems.append(f"alias {alias!r} already names {ALIASES.get(alias, alias)}")
    if rule.severity not in SEVERITIES:
        problems.append(f"severity {rule.severity!r} is not one of {SEVERITIES}")
    for text in ("title", "description", "rationale", "remediation"):
        if not getattr(rule, text).strip():
            problems.append(f"{text} is empty")
    if rule.kind == "resource" and not rule.resource_types:
        problems.append("a resource rule needs resource_types")
    if any(not isinstance(t, str) or ":" not in t for t in rule.tags):
        problems.append("tags are 'scheme:value' strings")
    for tag in rule.tags:
        scheme = str(tag).split(":", 1)[0]
        if scheme in RETIRED_TAGS:
            problems.append(f"tag {tag!r}: {RETIRED_TAGS[scheme]}")
    if problems:
        raise ValueError(f"rule {rule.id}: " + "; ".join(problems))
    REGISTRY[rule.id] = rule
    ALIASES.update(dict.fromkeys(rule.aliases, rule.id))


def _decorate(
    kind: Kind,
    *,
    id: str,
    title: str,
    severity: Severity,
    description: str,
    rationale: str,
    remediation: str,
    tags: Iterable[str],
    resource_types: Iterable[str],
    thresholds: Mapping[str, Any] | None,
    aliases: Iterable[str],
) -> Callable[[Callable], Callable]:
    def wrap(fn: Callable) -> Callable:
        _register(
            Rule(
                id=id,
                title=title,
                severity=severity,
                description=" ".join(description.split()),
                rationale=" ".join(rationale.split()),
                remediation=" ".join(remediation.split()),
                tags=tuple(tags),
                resource_types=tuple(resource_types),
                kind=kind,
                thresholds=dict(thresholds or {}),
                aliases=tuple(aliases),
                check=fn,
                module=fn.__module__,
            )
        )
        return fn

    return wrap


def resource_rule(
    *,
    id: str,
    title: str,
    severity: Severity,
    resource_types: Iterable[str],
    description: str,
    rationale: str,
    remediation: str,
    tags: Iterable[str] = (),
    thresholds: Mapping[str, Any] | None = None,
    aliases: Iterable[str] = (),
) -> Callable[[Callable], Callable]:
    """Decorator. The function takes a `Resource` and yields one message (str) per violation;
    yielding nothing means compliant. It runs only for resources of `resource_types`.
    `thresholds` maps tunable names to defaults; read them with `resource.threshold(name, default)`.
    `tags` name the same check in other rule sets (`checkov:CKV_AWS_16`); `aliases` are ids the
    rule had before, still accepted in policy config and exemptions."""
    return _decorate(
        "resource",
        id=id,
        title=title,
        severity=severity,
        description=description,
        rationale=rationale,
        remediation=remediation,
        tags=tags,
        resource_types=resource_types,
        thresholds=thresholds,
        aliases=aliases,
    )


def stack_rule(
    *,
    id: str,
    title: str,
    severity: Severity,
    description: str,
    rationale: str,
    remediation: str,
    tags: Iterable[str] = (),
    thresholds: Mapping[str, Any] | None = None,
    aliases: Iterable[str] = (),
) -> Callable[[Callable], Callable]:
    """Decorator. The function takes a `Stack` and yields (Resource | None, message) per violation.
    `tags`, `thresholds` and `aliases` as for `resource_rule`."""
    return _decorate(
        "stack",
        id=id,
        title=title,
        severity=severity,
        description=description,
        rationale=rationale,
        remediation=remediation,
        tags=tags,
        resource_types=(),
        thresholds=thresholds,
        aliases=aliases,
    )


# --- from rules to pulumi_policy policies ---------------------------------------------------------


def environment_of(config: Mapping[str, Any]) -> str:
    """The environment a policy evaluates for: the `environment` property every policy's config
    schema declares and every shipped `policy/config/<env>.json` sets; `prod` when absent."""
    env = config.get("environment")
    return env if env in ENVIRONMENTS else DEFAULT_ENVIRONMENT


def config_schema(rule: Rule | None) -> PolicyConfigSchema:
    """Every policy declares `environment` and `exemptions` (so the CLI accepts them in a config
    file), plus the rule's own thresholds with their defaults."""
    properties: dict[str, dict[str, Any]] = {
        "environment": {
            "type": "string",
            "enum": list(ENVIRONMENTS),
            "description": "The stack's environment; selects environment-specific behaviour.",
        },
        "exemptions": {
            "type": "array",
            "items": EXEMPTION_SCHEMA,
            "description": "Accountable exemptions from this rule (see docs/policies.md).",
        },
        "failClosedOnUnknown": {
            "type": "boolean",
            "default": False,
            "description": "Report a violation, not an advisory 'can't run', when an "
            "input the rule reads is unknown at preview.",
        },
    }
    for key, default in (rule.thresholds if rule else {}).items():
        properties[key] = {"type": _json_type(default), "default": default}
    return PolicyConfigSchema(properties=properties)


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, (list, tuple)):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return "string"


_PULUMI_SEVERITY = {
    "low": PulumiSeverity.LOW,
    "medium": PulumiSeverity.MEDIUM,
    "high": PulumiSeverity.HIGH,
    "critical": PulumiSeverity.CRITICAL,
}


class _SuppressedStash:
    """Violations held back by a valid exemption, waiting for the GW-EXEMPT policy that reports
    them. pulumi_policy runs a pack's policies in list order for each request, and the GW-EXEMPT
    policies come last, so they see what the rules before them suppressed for the same URN."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[str, list[tuple[str | None, str]]] = {}

    def put(self, key: str, urn: str | None, message: str) -> None:
        with self._lock:
            self._items.setdefault(key, []).append((urn, message))

    def take(self, key: str) -> list[tuple[str | None, str]]:
        with self._lock:
            return self._items.pop(key, [])


_STASH = _SuppressedStash()
_STACK_KEY = "<stack>"


def _resource_from_args(args: Any, rule: Rule, config: Mapping[str, Any]) -> Resource:
    return Resource(
        type=args.resource_type,
        name=args.name,
        urn=args.urn,
        props=args.props,
        protect=args.opts.protect,
        environment=environment_of(config),
        config=config,
        thresholds=rule.thresholds,
        parent_urn=args.opts.parent,
        provider=args.provider.urn if args.provider else None,
    )


def _fail_closed(unknown: UnknownValueError, environment: str) -> str:
    return (
        f"cannot verify at preview: {unknown.message}; this rule fails closed in {environment} "
        "(policy config failClosedOnUnknown). It passes once the value is known: deploy the resource it "
        "depends on first, or exempt this finding."
    )


def _resource_validation(rule: Rule) -> Callable[[Any, Callable], None]:
    def validate(args: Any, report_violation: Callable[..., None]) -> None:
        if args.resource_type not in rule.resource_types:
            return
        config = args.get_config()
        resource = _resource_from_args(args, rule, config)
        try:
            messages = [str(m) for m in rule.check(resource)]  # type: ignore[misc]
        except UnknownValueError as unknown:
            if not config.get("failClosedOnUnknown"):
                raise  # pulumi_policy reports "can't run policy during preview" (advisory)
            messages = [_fail_closed(unknown, resource.environment)]
        for message in messages:
            verdict = judge(rule, resource, message, config, resource.environment)
            if verdict.suppressed:
                _STASH.put(args.urn, None, verdict.message)
            else:
                report_violation(verdict.message)

    return validate


def _stack_from_args(args: Any, rule: Rule | None, config: Mapping[str, Any]) -> Stack:
    env = environment_of(config)
    views = {
        r.urn: Resource(
            type=r.resource_type,
            name=r.name,
            urn=r.urn,
            props=r.props,
            protect=r.opts.protect,
            environment=env,
            parent_urn=r.parent.urn if r.parent else r.opts.parent,
            provider=r.provider.urn if r.provider else None,
        )
        for r in args.resources
    }
    for r in args.resources:
        view = views[r.urn]
        view.parent = views.get(view.parent_urn) if view.parent_urn else None
        view.dependencies = tuple(views[d.urn] for d in r.dependencies if d.urn in views)
        view.property_dependencies = {
            k: tuple(views[d.urn] for d in v if d.urn in views) for k, v in r.property_dependencies.items()
        }
    return Stack(list(views.values()), env, config, rule.thresholds if rule else {})


def _stack_validation(rule: Rule) -> Callable[[Any, Callable], None]:
    def validate(args: Any, report_violation: Callable[..., None]) -> None:
        config = args.get_config()
        stack = _stack_from_args(args, rule, config)
        try:
            results = [(r, str(m)) for r, m in rule.check(stack)]  # type: ignore[misc]
        except UnknownValueError as unknown:
            if not config.get("failClosedOnUnknown"):
                raise
            results = [(None, _fail_closed(unknown, stack.environment))]
        for resource, message in results:
            verdict = judge(rule, resource, message, config, stack.environment)
            urn = resource.urn if resource is not None else None
            if verdict.suppressed:
                _STASH.put(_STACK_KEY, urn, verdict.message)
            else:
                report_violation(verdict.message, urn)

    return validate


def _report_suppressed_resource(args: Any, report_violation: Callable[..., None]) -> None:
    for _, message in _STASH.take(args.urn):
        report_violation(message)


def _report_suppressed_stack(args: Any, report_violation: Callable[..., None]) -> None:
    for urn, message in _STASH.take(_STACK_KEY):
        report_violation(message, urn)


def policy_for(rule: Rule) -> Policy:
    """The pulumi_policy policy that runs `rule`: its name is the rule id."""
    common = {
        "name": rule.id,
        "description": rule.title,
        "config_schema": config_schema(rule),
        "display_name": rule.title,
        "severity": _PULUMI_SEVERITY[rule.severity],
        "tags": list(rule.tags),
        "remediation_steps": rule.remediation,
    }
    if rule.kind == "resource":
        return ResourceValidationPolicy(validate=_resource_validation(rule), **common)
    return StackValidationPolicy(validate=_stack_validation(rule), **common)


def framework_policies() -> list[Policy]:
    """The two advisory policies that report suppressed violations, so an exemption hides a finding
    from the gate but never from the reader. They must come after every rule."""
    schema = config_schema(None)
    return [
        ResourceValidationPolicy(
            name=SUPPRESSED_RESOURCE_POLICY,
            description="Violation suppressed by an accountable exemption",
            validate=_report_suppressed_resource,
            enforcement_level=EnforcementLevel.ADVISORY,
            config_schema=schema,
            severity=PulumiSeverity.LOW,
            tags=["groundwork:exemptions"],
            remediation_steps="Fix the resource before the exemption expires, then delete the exemption.",
        ),
        StackValidationPolicy(
            name=SUPPRESSED_STACK_POLICY,
            description="Stack violation suppressed by an accountable exemption",
            validate=_report_suppressed_stack,
            enforcement_level=EnforcementLevel.ADVISORY,
            config_schema=schema,
            severity=PulumiSeverity.LOW,
            tags=["groundwork:exemptions"],
            remediation_steps="Fix the stack before the exemption expires, then delete the exemption.",
        ),
    ]


def fold_aliases(request: analyzer_pb2.ConfigureAnalyzerRequest) -> analyzer_pb2.ConfigureAnalyzerRequest:
    """The policy config with every entry written under a rule's old id merged into the rule's own
    entry: the old entry's properties over the rule's, and its enforcement level instead of the
    rule's (the Pulumi CLI sends an entry for a name the pack does not declare only when the file
    gives it a level). The merged properties are checked against the rule's config schema, which the
    CLI could not do for a name it did not know."""
    load_rules()
    folded = analyzer_pb2.ConfigureAnalyzerRequest()
    for name in request.policyConfig:
        if name not in ALIASES:
            folded.policyConfig[name].CopyFrom(request.policyConfig[name])
    for name in sorted(n for n in request.policyConfig if n in ALIASES):
        old, rule = request.policyConfig[name], REGISTRY[ALIASES[name]]
        entry = folded.policyConfig[rule.id]
        properties = {
            **json_format.MessageToDict(entry.properties),
            **json_format.MessageToDict(old.properties),
        }
        schema = {"type": "object", "properties": config_schema(rule).properties}
        errors = [
            f"{'.'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}"
            for e in jsonschema.Draft7Validator(schema).iter_errors(properties)
        ]
        if errors:
            problems = "; ".join(errors)
            raise ValueError(f"policy config {name} (the old id of {rule.id}) is invalid: {problems}")
        entry.enforcementLevel = old.enforcementLevel
        entry.properties.Clear()
        entry.properties.update(properties)
    return folded


class PackServicer(_PolicyAnalyzerServicer):
    """pulumi_policy's analyzer servicer, which also accepts a rule's old id in policy config.

    pulumi_policy looks a policy's config up by the policy's name only, so an entry under an old id
    would be ignored; this servicer folds such entries into the rule's own (`fold_aliases`) before
    pulumi_policy stores the config. The in-process analyzer (policy.analyzer) and the served pack
    (policy/__main__.py) both use it."""

    def Configure(self, request, context):
        return super().Configure(fold_aliases(request), context)


def load_rules() -> dict[str, Rule]:
    """Import every rule module under policy.rules, which fills and returns REGISTRY."""
    import policy.rules  # noqa: F401 - importing registers the rules

    return REGISTRY


def build_policies() -> list[Policy]:
    """Every rule as a pulumi_policy policy (sorted by id), then the framework's policies.
    `policy/__main__.py` and the in-process analyzer both call this, so they run the same pack."""
    rules = load_rules()
    return [policy_for(rules[rule_id]) for rule_id in sorted(rules)] + framework_policies()
