"""Run the policy pack in-process, exactly as the Pulumi CLI drives it, and collect a report.

Preflight has no Pulumi CLI, so this module plays the CLI's part: it builds pulumi_policy's own
analyzer servicer with the policies `policy/__main__.py` serves (`build_policies()`), reconciles the
environment's policy config the way the CLI does (schema defaults, then "all", then per-policy
entries, then JSON-schema validation), sends it with `Configure`, and builds every captured
resource in wire form (the protobuf `AnalyzerResource` the engine sends). Each resource is decoded
once and handed to every policy the way the servicer's `Analyze` and `AnalyzeStack` hand it
(`policy.inprocess`), instead of once per policy as over gRPC; `evaluate(..., per_request=True)`
still drives those entry points request by request, the reference the default is tested against.
Every verdict comes from pulumi_policy evaluating the rules; this module only reads its diagnostics.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, Literal

import jsonschema
import yaml
from google.protobuf import json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2 as proto
from pulumi_policy import EnforcementLevel, Policy

from policy.exemptions import parse_suppressed
from policy.framework import (
    ENVIRONMENTS,
    REGISTRY,
    SUPPRESSED_RESOURCE_POLICY,
    SUPPRESSED_STACK_POLICY,
    build_policies,
)
from policy.inprocess import InProcessServicer

POLICY_DIR = Path(__file__).resolve().parent
CONFIG_DIR = POLICY_DIR / "config"
PACK_NAME = "groundwork"
SEVERITY_ORDER = ("critical", "high", "medium", "low")
_LEVELS = {
    "advisory": proto.ADVISORY,
    "mandatory": proto.MANDATORY,
    "disabled": proto.DISABLED,
    "remediate": proto.REMEDIATE,
}
_LEVEL_NAMES = {v: k for k, v in _LEVELS.items()}
_CANNOT_TELL = "can't run policy"

Status = Literal["violation", "suppressed", "indeterminate"]


class PolicyConfigError(ValueError):
    """A policy config file the Pulumi CLI would reject (or that names another environment)."""


@dataclass(frozen=True)
class Finding:
    """One diagnostic of the pack, tied back to its rule and resource."""

    rule_id: str
    title: str
    severity: str
    enforcement: str  # "advisory" | "mandatory" (the level the rule runs at in this environment)
    status: Status
    resource_name: str
    resource_type: str
    urn: str
    message: str
    remediation: str = ""
    exemption: dict[str, str] | None = None
    tags: tuple[str, ...] = ()
    source: Mapping[str, Any] | None = None
    """Where the program created the resource ({"uri": repository-relative path, "line": n})."""

    @property
    def suppressed(self) -> bool:
        return self.status == "suppressed"

    @property
    def blocking(self) -> bool:
        return self.status == "violation" and self.enforcement == "mandatory"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["tags"] = list(self.tags)
        data["source"] = dict(self.source) if self.source else None
        data["suppressed"] = self.suppressed
        data["blocking"] = self.blocking
        return data


@dataclass
class PolicyReport:
    """Everything the pack said about one stack."""

    stack: str
    environment: str
    pack_version: str
    config_path: str | None
    findings: list[Finding]
    resources_evaluated: int
    policies_evaluated: int
    not_applicable: int = 0
    rules: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def violations(self) -> list[Finding]:
        return [f for f in self.findings if f.status == "violation"]

    @property
    def suppressed(self) -> list[Finding]:
        return [f for f in self.findings if f.status == "suppressed"]

    @property
    def indeterminate(self) -> list[Finding]:
        return [f for f in self.findings if f.status == "indeterminate"]

    @property
    def blocking(self) -> list[Finding]:
        return [f for f in self.findings if f.blocking]

    @property
    def passed(self) -> bool:
        """No mandatory violation: what the CLI's policy gate would say."""
        return not self.blocking

    def by_severity(self, findings: Iterable[Finding] | None = None) -> dict[str, list[Finding]]:
        grouped: dict[str, list[Finding]] = {s: [] for s in SEVERITY_ORDER}
        for finding in self.violations if findings is None else findings:
            grouped.setdefault(finding.severity, []).append(finding)
        return grouped

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "environment": self.environment,
            "pack": PACK_NAME,
            "packVersion": self.pack_version,
            "config": self.config_path,
            "passed": self.passed,
            "summary": {
                "resources": self.resources_evaluated,
                "policies": self.policies_evaluated,
                "violations": len(self.violations),
                "blocking": len(self.blocking),
                "suppressed": len(self.suppressed),
                "indeterminate": len(self.indeterminate),
                "bySeverity": {s: len(v) for s, v in self.by_severity().items()},
            },
            "findings": [f.to_json() for f in self.findings],
        }


# --- policy config, reconciled the way the Pulumi CLI does it -----------------------------------


@lru_cache(maxsize=1)
def pack_version() -> str:
    return str(yaml.safe_load((POLICY_DIR / "PulumiPolicy.yaml").read_text()).get("version", "0.0.1"))


@lru_cache(maxsize=1)
def _policies() -> tuple[Policy, ...]:
    return tuple(build_policies())


@cache
def _policies_for(type_: str) -> list[Policy]:
    """The pack minus the resource rules written for other types than `type_`. Those return at once
    for a foreign type, but pulumi_policy first decodes the resource for each of them; leaving them
    out changes no verdict (the framework policies, which report suppressed findings, always stay,
    after the rules)."""

    def applies(policy: Policy) -> bool:
        rule = REGISTRY.get(policy.name)
        return rule is None or rule.kind != "resource" or type_ in rule.resource_types

    return [p for p in _policies() if applies(p)]


def default_config_path(environment: str) -> Path:
    return CONFIG_DIR / f"{environment}.json"


def read_config_file(path: Path | str) -> dict[str, Any]:
    """Parse a `--policy-pack-config` file with the CLI's rules: keys are policy names or "all";
    values an enforcement level or an object with an optional "enforcementLevel" and properties."""
    text = Path(path).read_text()
    if not text.strip():
        return {}
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as e:
        raise PolicyConfigError(f"{path}: not JSON: {e}") from e
    if not isinstance(raw, dict):
        raise PolicyConfigError(f"{path}: the top level must be an object keyed by policy name")
    for key, value in raw.items():
        if not isinstance(value, (str, dict)):
            raise PolicyConfigError(f"{path}: {key!r}: must be an enforcement level string or an object")
        level = value if isinstance(value, str) else value.get("enforcementLevel")
        if level is not None and level not in _LEVELS:
            raise PolicyConfigError(
                f"{path}: {key!r}: {level!r} is not a valid enforcement level ({', '.join(_LEVELS)})"
            )
    return raw


def reconcile(
    policies: Iterable[Policy],
    given: Mapping[str, Any],
    pack_level: EnforcementLevel = EnforcementLevel.ADVISORY,
) -> dict[str, dict[str, Any]]:
    """{policy name: {"enforcementLevel": level, "properties": {...}}}: schema defaults, then "all",
    then each policy's own entry; every policy's properties validated against its schema."""
    policies = list(policies)
    result: dict[str, dict[str, Any]] = {}
    for p in policies:
        schema = p.config_schema.properties if p.config_schema else {}
        defaults = {k: v["default"] for k, v in schema.items() if "default" in v}
        level = (p.enforcement_level or pack_level).value
        result[p.name] = {"enforcementLevel": level, "properties": defaults}
    all_level = given.get("all")
    all_level = all_level if isinstance(all_level, str) else (all_level or {}).get("enforcementLevel")
    if all_level:
        for entry in result.values():
            entry["enforcementLevel"] = all_level
    for name, value in given.items():
        if name == "all":
            continue
        entry = result.setdefault(name, {"enforcementLevel": pack_level.value, "properties": {}})
        if isinstance(value, str):
            entry["enforcementLevel"] = value
            continue
        props = dict(value)
        if "enforcementLevel" in props:
            entry["enforcementLevel"] = props.pop("enforcementLevel")
        entry["properties"] = {**entry["properties"], **props}
    errors = []
    for p in policies:
        if p.config_schema is None:
            continue
        schema = {"type": "object", "properties": p.config_schema.properties}
        if p.config_schema.required:
            schema["required"] = p.config_schema.required
        for error in jsonschema.Draft7Validator(schema).iter_errors(result[p.name]["properties"]):
            where = ".".join(str(x) for x in error.absolute_path) or "(root)"
            errors.append(f"{p.name}: {where}: {error.message}")
    if errors:
        raise PolicyConfigError("policy config is invalid:\n  " + "\n  ".join(errors))
    return result


def load_config(
    environment: str, config_path: Path | str | None = None, overrides: Mapping[str, Any] | None = None
) -> tuple[dict[str, dict[str, Any]], str | None]:
    """The reconciled config for `environment`: its shipped file (or `config_path`), then
    `overrides` (same format, applied per policy on top). A policy the file does not place in an
    environment is placed in `environment`; a file that names another environment is an error."""
    if environment not in ENVIRONMENTS:
        raise PolicyConfigError(f"unknown environment {environment!r}; one of {', '.join(ENVIRONMENTS)}")
    path = Path(config_path) if config_path else default_config_path(environment)
    given = read_config_file(path) if path.exists() else {}
    if config_path and not path.exists():
        raise PolicyConfigError(f"policy config file {path} does not exist")
    for name, value in (overrides or {}).items():
        base = given.get(name, {})
        base = {"enforcementLevel": base} if isinstance(base, str) else dict(base)
        value = {"enforcementLevel": value} if isinstance(value, str) else dict(value)
        given[name] = {**base, **value}
    reconciled = reconcile(_policies(), given)
    for name, entry in reconciled.items():
        env = entry["properties"].setdefault("environment", environment)
        if env != environment:
            raise PolicyConfigError(
                f"{path}: {name} is configured for environment {env!r}, not {environment!r}"
            )
    return reconciled, str(path) if path.exists() else None


# --- the analyzer, driven over its protobuf interface ------------------------------------------


def _struct(value: Mapping[str, Any]) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    json_format.ParseDict(dict(value), s)
    return s


def _options(protect: bool, parent: str | None, options: Mapping[str, Any]) -> proto.AnalyzerResourceOptions:
    opts = proto.AnalyzerResourceOptions(
        protect=protect,
        ignoreChanges=list(options.get("ignoreChanges", [])),
        additionalSecretOutputs=list(options.get("additionalSecretOutputs", [])),
        aliases=[a for a in options.get("aliases", []) if isinstance(a, str)],
        parent=parent or "",
    )
    if "deleteBeforeReplace" in options:
        opts.deleteBeforeReplace = bool(options["deleteBeforeReplace"])
        opts.deleteBeforeReplaceDefined = True
    timeouts = options.get("customTimeouts")
    if timeouts:
        opts.customTimeouts.CopyFrom(
            proto.AnalyzerResourceOptions.CustomTimeouts(
                create=_seconds(timeouts.get("create")),
                update=_seconds(timeouts.get("update")),
                delete=_seconds(timeouts.get("delete")),
            )
        )
    return opts


def _seconds(value: Any) -> float:
    """Pulumi custom timeouts are strings like "30m"; the analyzer wants seconds."""
    if not value:
        return 0.0
    text = str(value)
    units = {"s": 1, "m": 60, "h": 3600}
    try:
        return float(text[:-1]) * units[text[-1]] if text[-1] in units else float(text)
    except ValueError:
        return 0.0


@dataclass(frozen=True)
class WireResource:
    """A resource as the engine hands it to an analyzer (what `CapturedResource` records)."""

    urn: str
    type: str
    name: str
    inputs: Mapping[str, Any]
    protect: bool = False
    parent: str | None = None
    dependencies: tuple[str, ...] = ()
    property_dependencies: Mapping[str, list[str]] = field(default_factory=dict)
    provider: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    source: Mapping[str, Any] | None = None

    @classmethod
    def from_captured(cls, r: Any) -> WireResource:
        return cls(
            urn=r.urn,
            type=r.type,
            name=r.name,
            inputs=r.inputs,
            protect=r.protect,
            parent=r.parent,
            dependencies=tuple(r.dependencies),
            property_dependencies=r.property_dependencies,
            provider=r.provider,
            options=r.options,
            source=getattr(r, "source", None),
        )


class Analyzer:
    """pulumi_policy's analyzer servicer for one environment, configured like the CLI does."""

    def __init__(
        self,
        environment: str,
        config_path: Path | str | None = None,
        overrides: Mapping[str, Any] | None = None,
    ):
        self.environment = environment
        self.config, self.config_path = load_config(environment, config_path, overrides)
        self.levels = {name: entry["enforcementLevel"] for name, entry in self.config.items()}
        self._configure = proto.ConfigureAnalyzerRequest()
        for name, entry in self.config.items():
            self._configure.policyConfig[name].CopyFrom(
                proto.PolicyConfig(
                    enforcementLevel=_LEVELS[entry["enforcementLevel"]],
                    properties=_struct(entry["properties"]),
                )
            )
        self._policies = list(_policies())
        self.servicer = self._servicer(self._policies)
        self._servicers_by_type: dict[str, InProcessServicer] = {}
        self.not_applicable = 0

    def _servicer(self, policies: list[Policy]) -> InProcessServicer:
        servicer = InProcessServicer(PACK_NAME, pack_version(), policies, EnforcementLevel.ADVISORY)
        servicer.Configure(self._configure, None)
        return servicer

    def _servicer_for(self, type_: str) -> InProcessServicer:
        """A servicer with only `_policies_for(type_)`, for the servicer's own `Analyze`."""
        if type_ not in self._servicers_by_type:
            self._servicers_by_type[type_] = self._servicer(_policies_for(type_))
        return self._servicers_by_type[type_]

    def _provider(
        self, ref: str | None, by_urn: Mapping[str, WireResource]
    ) -> proto.AnalyzerProviderResource | None:
        if not ref:
            return None
        urn = ref.rsplit("::", 1)[0]
        provider = by_urn.get(urn)
        type_ = urn.split("::")[-2].split("$")[-1] if urn.count("::") >= 3 else ""
        return proto.AnalyzerProviderResource(
            type=provider.type if provider else type_,
            urn=urn,
            name=urn.rsplit("::", 1)[-1],
            properties=_struct(provider.inputs if provider else {}),
        )

    def request(
        self, resource: WireResource, by_urn: Mapping[str, WireResource] | None = None
    ) -> proto.AnalyzeRequest:
        """The AnalyzeRequest the engine sends for `resource`."""
        request = proto.AnalyzeRequest(
            type=resource.type,
            properties=_struct(resource.inputs),
            urn=resource.urn,
            name=resource.name,
            options=_options(resource.protect, resource.parent, resource.options),
        )
        provider = self._provider(resource.provider, by_urn or {})
        if provider is not None:
            request.provider.CopyFrom(provider)
        return request

    def analyze(
        self, resource: WireResource, by_urn: Mapping[str, WireResource] | None = None
    ) -> list[proto.AnalyzeDiagnostic]:
        response = self._servicer_for(resource.type).Analyze(self.request(resource, by_urn), None)
        self.not_applicable += len(response.not_applicable)
        return [_with_urn(d, resource.urn) for d in response.diagnostics]

    def item(self, r: WireResource, by_urn: Mapping[str, WireResource]) -> proto.AnalyzerResource:
        """The resource as an `AnalyzeStackRequest` carries it (an `AnalyzeRequest` carries the same
        type, properties, URN, name, options and provider)."""
        item = proto.AnalyzerResource(
            type=r.type,
            properties=_struct(r.inputs),
            urn=r.urn,
            name=r.name,
            options=_options(r.protect, r.parent, r.options),
            parent=r.parent or "",
            dependencies=list(r.dependencies),
        )
        for key, urns in r.property_dependencies.items():
            item.propertyDependencies[key].CopyFrom(proto.AnalyzerPropertyDependencies(urns=list(urns)))
        provider = self._provider(r.provider, by_urn)
        if provider is not None:
            item.provider.CopyFrom(provider)
        return item

    def analyze_stack(self, resources: list[WireResource]) -> list[proto.AnalyzeDiagnostic]:
        """The stack pass through the servicer's own `AnalyzeStack`, one request as the CLI sends it."""
        by_urn = {r.urn: r for r in resources}
        request = proto.AnalyzeStackRequest(resources=[self.item(r, by_urn) for r in resources])
        response = self.servicer.AnalyzeStack(request, None)
        self.not_applicable += len(response.not_applicable)
        return list(response.diagnostics)

    def run(
        self,
        resources: list[WireResource],
        *,
        stack_pass: bool = True,
        resource_pass: bool = True,
        per_request: bool = False,
    ) -> list[Finding]:
        """Every finding of the pack on `resources`. By default each resource is decoded once and
        shared by every policy (`policy.inprocess`); `per_request` drives the servicer's own
        `Analyze`/`AnalyzeStack` instead, one protobuf request per resource and one for the stack,
        each decoded again by every policy, exactly as over gRPC (the reference the default is
        tested against)."""
        by_urn = {r.urn: r for r in resources}
        if per_request:
            diagnostics = []
            if resource_pass:
                for resource in resources:
                    diagnostics.extend(self.analyze(resource, by_urn))
            if stack_pass:
                diagnostics.extend(self.analyze_stack(resources))
            return [self.finding(d, by_urn) for d in diagnostics]
        decoded = [self.servicer.decode(self.item(r, by_urn)) for r in resources]
        findings = []
        if resource_pass:
            for resource in decoded:
                policies = _policies_for(resource.item.type)
                response = self.servicer.analyze_decoded(resource, policies)
                self.not_applicable += len(response.not_applicable)
                urn = resource.item.urn
                findings += [self.finding(_with_urn(d, urn), by_urn) for d in response.diagnostics]
        if stack_pass:
            response = self.servicer.analyze_stack_decoded(decoded)
            self.not_applicable += len(response.not_applicable)
            findings += [self.finding(d, by_urn) for d in response.diagnostics]
        return findings

    def finding(self, d: proto.AnalyzeDiagnostic, by_urn: Mapping[str, WireResource]) -> Finding:
        """Tie a diagnostic back to its rule and resource."""
        body = d.message.split("\n", 1)[1] if "\n" in d.message else d.message
        resource = by_urn.get(d.urn)
        name = resource.name if resource else (d.urn.rsplit("::", 1)[-1] if d.urn else "(stack)")
        type_ = resource.type if resource else ""
        rule_id, status, exemption = d.policyName, "violation", None
        level = _LEVEL_NAMES.get(d.enforcementLevel, "advisory")
        if d.policyName in (SUPPRESSED_RESOURCE_POLICY, SUPPRESSED_STACK_POLICY):
            parts = parse_suppressed(body)
            if parts:
                rule_id, body, status = parts["rule"], parts["message"], "suppressed"
                exemption = {k: parts[k] for k in ("source", "reason", "approver", "expires")}
                level = self.levels.get(rule_id, "advisory")
        elif d.message.startswith(_CANNOT_TELL):
            status, body = "indeterminate", d.message
        rule = REGISTRY.get(rule_id)
        return Finding(
            rule_id=rule_id,
            title=rule.title if rule else d.description,
            severity=rule.severity if rule else "low",
            enforcement=level,
            status=status,  # type: ignore[arg-type]
            resource_name=name,
            resource_type=type_,
            urn=d.urn,
            message=body,
            remediation=rule.remediation if rule else "",
            exemption=exemption,
            tags=rule.tags if rule else (),
            source=resource.source if resource else None,
        )


def _with_urn(d: proto.AnalyzeDiagnostic, urn: str) -> proto.AnalyzeDiagnostic:
    """Resource diagnostics concern the analyzed resource; the CLI attaches its URN the same way."""
    if not d.urn:
        d.urn = urn
    return d


def _sorted(findings: list[Finding]) -> list[Finding]:
    rank = {s: i for i, s in enumerate(SEVERITY_ORDER)}
    status_rank = {"violation": 0, "indeterminate": 1, "suppressed": 2}
    return sorted(
        findings,
        key=lambda f: (
            status_rank[f.status],
            f.enforcement != "mandatory",
            rank.get(f.severity, 9),
            f.rule_id,
            f.resource_name,
        ),
    )


def evaluate(
    capture: Any,
    environment: str,
    config_path: Path | str | None = None,
    overrides: Mapping[str, Any] | None = None,
    *,
    per_request: bool = False,
) -> PolicyReport:
    """Evaluate a preflight `Capture` with the pack, for `environment`, through pulumi_policy
    (`per_request`: through the servicer's gRPC entry points, see `Analyzer.run`)."""
    analyzer = Analyzer(environment, config_path, overrides)
    resources = [WireResource.from_captured(r) for r in capture.resources]
    findings = _sorted(analyzer.run(resources, per_request=per_request))
    rules = {
        rule_id: {
            "title": r.title,
            "severity": r.severity,
            "remediation": r.remediation,
            "description": r.description,
            "tags": list(r.tags),
        }
        for rule_id, r in REGISTRY.items()
        if rule_id in {f.rule_id for f in findings}
    }
    return PolicyReport(
        stack=capture.stack,
        environment=environment,
        pack_version=pack_version(),
        config_path=analyzer.config_path,
        findings=findings,
        resources_evaluated=len(resources),
        policies_evaluated=len(_policies()),
        not_applicable=analyzer.not_applicable,
        rules=rules,
    )
