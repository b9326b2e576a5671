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
from collections.abc import Callable, Iterable, Iterator, Mapping
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
from pulumi_policy.proxy import UnknownValueError, _DictProxy, _is_unknown, _ListProxy

from policy.exemptions import EXEMPTION_SCHEMA, judge

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


# --- the read-only views a rule sees -------------------------------------------------------------


class _Known(dict):
    """A dict of resource properties that raises UnknownValueError when a rule reads a value that
    is unknown at preview (pulumi_policy's own semantics), while still being a real dict."""

    def __init__(self, raw: Mapping[str, Any], path: tuple[str, ...]):
        super().__init__({k: _known(v, (*path, str(k))) for k, v in raw.items()})
        self._path = path

    def __getitem__(self, key: str) -> Any:
        return _check(super().__getitem__(key), (*self._path, str(key)))

    def get(self, key: str, default: Any = None) -> Any:
        # Not dict.get: reading through __getitem__ is what raises on unknown values.
        return self[key] if key in self else default  # noqa: SIM401

    def values(self):  # type: ignore[override]
        return [self[k] for k in self]

    def items(self):  # type: ignore[override]
        return [(k, self[k]) for k in self]


class _KnownList(list):
    def __init__(self, raw: Iterable[Any], path: tuple[str, ...]):
        super().__init__(_known(v, (*path, str(i))) for i, v in enumerate(raw))
        self._path = path

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        return _check(super().__getitem__(index), (*self._path, str(index)))

    def __iter__(self) -> Iterator[Any]:
        for i in range(len(self)):
            yield self[i]


def _known(value: Any, path: tuple[str, ...]) -> Any:
    if isinstance(value, Mapping):
        return _Known(value, path)
    if isinstance(value, (list, tuple)):
        return _KnownList(value, path)
    return value


def _check(value: Any, path: tuple[str, ...]) -> Any:
    if _is_unknown(value):
        raise UnknownValueError(value, list(path))
    return value


def _raw(value: Any) -> Any:
    """pulumi_policy's proxies (or a plain mapping) back to plain dicts and lists, reading past the
    proxies' unknown checks: unknowns stay as their sentinels until a rule reads them."""
    if isinstance(value, (_DictProxy, _ListProxy)):
        value = value["__target"]
    if isinstance(value, dict):
        return {k: _raw(v) for k, v in dict.items(value)}
    if isinstance(value, Mapping):
        return {k: _raw(value[k]) for k in value}
    if isinstance(value, (list, tuple)):
        return [_raw(v) for v in value]
    return value


class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()
"""What `Resource.peek` returns for a value only known after deploy."""


class Resource:
    """A read-only view of one resource as pulumi_policy hands it over."""

    def __init__(
        self,
        *,
        type: str,
        name: str,
        urn: str,
        props: Mapping[str, Any],
        protect: bool,
        environment: str,
        config: Mapping[str, Any] | None = None,
        thresholds: Mapping[str, Any] | None = None,
        parent: Resource | None = None,
        parent_urn: str | None = None,
        provider: str | None = None,
    ):
        self.type = type
        self.name = name
        self.urn = urn
        self._source = props
        self._props: dict[str, Any] | None = None
        self.protect = bool(protect)
        self.environment = environment
        self.parent = parent
        self.parent_urn = parent_urn
        self.dependencies: tuple[Resource, ...] = ()
        """Stack rules only: the resources this one depends on."""
        self.provider = provider
        self.property_dependencies: dict[str, tuple[Resource, ...]] = {}
        """Stack rules only: input name -> the resources its value came from. This is how a rule
        joins e.g. a flow log to its VPC: the VPC id is unknown at preview and a mock id in
        preflight, but the engine always records where an input came from."""
        self._config = dict(config or {})
        self._thresholds = dict(thresholds or {})

    @property
    def props(self) -> dict[str, Any]:
        """The inputs, plain Python (secrets unwrapped); missing keys mean unset. Built on first use:
        a stack rule that looks at three resource types never pays for the other two hundred."""
        if self._props is None:
            self._props = _Known(_raw(self._source), ())
        return self._props

    def get(self, dotted: str, default: Any = None) -> Any:
        """`props` lookup by a dotted path ("encryptionInfo.encryptionAtRest.dataVolumeKmsKeyId",
        list indices as numbers: "ingress.0.cidrBlocks"). Missing or null keys give `default`;
        an unknown value raises UnknownValueError (cannot tell)."""
        value: Any = self.props
        for part in dotted.split("."):
            if isinstance(value, list) and part.isdigit():
                index = int(part)
                if index >= len(value):
                    return default
                value = value[index]
            elif isinstance(value, dict) and part in value:
                value = value[part]
            else:
                return default
            if value is None:
                return default
        return value

    def peek(self, dotted: str, default: Any = None) -> Any:
        """Like `get`, but a value unknown at preview comes back as `UNKNOWN` instead of raising,
        for stack rules that must not give up on the whole stack over one unknown id."""
        try:
            return self.get(dotted, default)
        except UnknownValueError:
            return UNKNOWN

    def depends_on(self, prop: str) -> tuple[str, ...]:
        """URNs of the resources the input `prop` came from (stack rules)."""
        return tuple(r.urn for r in self.property_dependencies.get(prop, ()))

    def has(self, dotted: str) -> bool:
        """Whether the property is set (to anything, including a value only known after deploy)."""
        try:
            return self.get(dotted) not in (None, "", [], {})
        except UnknownValueError:
            return True

    def threshold(self, key: str, default: Any) -> Any:
        """The rule's tunable `key` from policy config, else its declared default, else `default`."""
        return self._config.get(key, self._thresholds.get(key, default))

    @property
    def tags(self) -> dict:
        return self.get("tags") or {}

    @property
    def labels(self) -> dict:
        """Kubernetes metadata.labels (empty for other resources)."""
        return self.get("metadata.labels") or {}

    @property
    def annotations(self) -> dict:
        """Kubernetes metadata.annotations (empty for other resources)."""
        return self.get("metadata.annotations") or {}

    def __repr__(self) -> str:
        return f"Resource({self.type} {self.name})"


class Stack:
    """Every resource of the stack, for rules only the whole stack can answer."""

    def __init__(
        self,
        resources: list[Resource],
        environment: str,
        config: Mapping[str, Any] | None = None,
        thresholds: Mapping[str, Any] | None = None,
    ):
        self.resources = resources
        self.environment = environment
        self._config = dict(config or {})
        self._thresholds = dict(thresholds or {})
        self._by_urn = {r.urn: r for r in resources}

    def of_type(self, *types: str) -> list[Resource]:
        return [r for r in self.resources if r.type in types]

    def by_urn(self, urn: str) -> Resource | None:
        return self._by_urn.get(urn)

    def children_of(self, parent: Resource) -> list[Resource]:
        return [r for r in self.resources if r.parent_urn == parent.urn]

    def threshold(self, key: str, default: Any) -> Any:
        return self._config.get(key, self._thresholds.get(key, default))


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
