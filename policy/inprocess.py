"""pulumi_policy's analyzer loop, with each resource decoded once instead of once per policy.

pulumi_policy 1.21's servicer (`_PolicyAnalyzerServicer.Analyze` and `AnalyzeStack`) decodes the
request's protobuf properties (`MessageToDict`, `deserialize_properties`, a fresh unknown-checking
proxy) inside its loop over policies: one resource is decoded again for every resource policy, and
every resource of the stack again for every stack policy (44 stack policies × 270 resources in
prod). Over gRPC the engine sends each request once and it must be decoded anyway; in process the
decoded resource can be shared by every policy, because the pack never writes to what pulumi_policy
hands it (`policy.framework` copies a resource's properties into its own read-only view before a
rule sees them).

`InProcessServicer` is that servicer (same policies, config, enforcement levels, diagnostics and
messages) with two entry points that take resources decoded once, exactly the way the servicer
decodes them, so numbers and key order are what the wire gives. Their loops follow `Analyze` and
`AnalyzeStack` step by step; `tests/policy/test_preflight_policy.py` proves they return the same
diagnostics as the servicer's own entry points on every shipped stack.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from inspect import isawaitable
from typing import Any, NamedTuple

from google.protobuf import json_format
from pulumi.runtime.proto import analyzer_pb2 as proto
from pulumi_policy import EnforcementLevel, Policy, ResourceValidationPolicy, StackValidationPolicy
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.policy import (
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
    _NotApplicableError,
)
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

from policy.framework import PackServicer


class Decoded(NamedTuple):
    """One resource as every policy sees it: the wire item and what the servicer decodes from it."""

    item: proto.AnalyzerResource
    props: Any
    opts: PolicyResourceOptions
    provider: PolicyProviderResource | None


class InProcessServicer(PackServicer):
    """The pack's analyzer servicer, plus entry points for resources decoded once."""

    def __init__(self, name: str, version: str, policies: list[Policy], level: EnforcementLevel):
        super().__init__(name, version, policies, level)
        self._pack = (name, version)
        self._policy_list = policies

    def decode(self, item: proto.AnalyzerResource) -> Decoded:
        """What `Analyze`/`AnalyzeStack` compute from a request before calling a policy."""
        props = unknown_checking_proxy(deserialize_properties(json_format.MessageToDict(item.properties)))
        return Decoded(item, props, self._get_resource_options(item), self._get_provider_resource(item))

    def analyze_decoded(
        self, resource: Decoded, policies: Sequence[Policy] | None = None
    ) -> proto.AnalyzeResponse:
        """`Analyze` for one resource, with the pack's `policies` (default: all) in pack order."""
        self._configure_runtime_settings()
        response = proto.AnalyzeResponse()
        item = resource.item
        for policy in self._policy_list if policies is None else policies:
            level = self._get_enforcement_level(policy)
            if level == EnforcementLevel.DISABLED or not isinstance(policy, ResourceValidationPolicy):
                continue
            if not policy.has_validation():
                reason = "Policy does not implement validate"
                response.not_applicable.append(
                    proto.PolicyNotApplicable(policy_name=policy.name, reason=reason)
                )
                continue
            args = ResourceValidationArgs(
                item.type,
                resource.props,
                item.urn,
                item.name,
                resource.opts,
                resource.provider,
                self._get_policy_config(policy.name),
                self._stack_tags,
            )
            self._run(policy, level, args, response)
        return response

    def analyze_stack_decoded(self, resources: Sequence[Decoded]) -> proto.AnalyzeResponse:
        """`AnalyzeStack` for the whole stack; its policies share one set of resource objects."""
        self._configure_runtime_settings()
        response = proto.AnalyzeResponse()
        shared: list[PolicyResource] | None = None
        for policy in self._policy_list:
            level = self._get_enforcement_level(policy)
            if level == EnforcementLevel.DISABLED or not isinstance(policy, StackValidationPolicy):
                continue
            if shared is None:
                shared = _policy_resources(resources)
            args = StackValidationArgs(list(shared), self._get_policy_config(policy.name), self._stack_tags)
            self._run(policy, level, args, response)
        return response

    @property
    def _stack_tags(self) -> Any:
        """The stack tags `ConfigureStack` set (empty unless it was called), as the servicer keeps them."""
        return self._PolicyAnalyzerServicer__stack_tags  # type: ignore[attr-defined]

    def _run(
        self, policy: Policy, level: EnforcementLevel, args: Any, response: proto.AnalyzeResponse
    ) -> None:
        """One policy on one request, with the servicer's levels, diagnostics and exceptions."""
        if level == EnforcementLevel.REMEDIATE:
            # As the servicer does: a remediation that still violates reports as mandatory, and
            # stack policies cannot remediate.
            level = EnforcementLevel.MANDATORY
        report = self._create_report_violation(
            response, policy.name, policy.description, level, policy.severity
        )
        try:
            result = policy.validate(args, report)
            if isawaitable(result):
                loop = asyncio.new_event_loop()
                loop.run_until_complete(asyncio.Task(result, loop=loop))
                loop.close()
        except UnknownValueError as e:
            name, version = self._pack
            response.diagnostics.append(
                proto.AnalyzeDiagnostic(
                    policyName=policy.name,
                    policyPackName=name,
                    policyPackVersion=version,
                    message=(
                        f"can't run policy '{policy.name}' from policy pack '{name}@v{version}' during "
                        f"preview: {e.message}"
                    ),
                    urn="",
                    description=policy.description,
                    enforcementLevel=self._map_enforcement_level(EnforcementLevel.ADVISORY),
                )
            )
        except _NotApplicableError as e:
            response.not_applicable.append(
                proto.PolicyNotApplicable(policy_name=policy.name, reason=e.reason or "")
            )


def _policy_resources(resources: Sequence[Decoded]) -> list[PolicyResource]:
    """The stack's `PolicyResource`s with parents and dependencies linked, as `AnalyzeStack` links them."""
    by_urn: dict[str, PolicyResource] = {}
    linked = []
    for r in resources:
        item = r.item
        resource = PolicyResource(item.type, r.props, item.urn, item.name, r.opts, r.provider, None, [], {})
        by_urn[item.urn] = resource
        linked.append((resource, item))
    for resource, item in linked:
        if item.parent in by_urn:
            resource.parent = by_urn[item.parent]
        resource.dependencies.extend(by_urn[d] for d in item.dependencies if d in by_urn)
        for key, deps in item.propertyDependencies.items():
            resource.property_dependencies[key] = [by_urn[d] for d in deps.urns if d in by_urn]
    return [resource for resource, _ in linked]
