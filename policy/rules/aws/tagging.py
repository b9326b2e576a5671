"""The stack rule that every taggable AWS resource carries the required tags for this stack's
environment (STACK-ENV-001).
"""

from __future__ import annotations

from functools import cache

from policy.framework import Resource, Stack, stack_rule
from policy.helpers import each, provider_default_tags

REQUIRED_TAGS = ["environment", "project", "component", "managed-by", "owner", "cost-center"]


@cache
def taggable(type_token: str) -> bool | None:
    """Whether the installed pulumi-aws SDK gives `type_token` a `tags` input (None: unknown type).

    Looks the Args class up through the package attribute (`pulumi_aws.ec2.SubnetArgs`): pulumi_aws
    loads its service packages lazily, and importing a service's submodule directly would bypass and
    break that lazy load for the program that runs next in the same process."""
    try:
        _, module_path, cls = type_token.split(":")
        module = module_path.split("/")[0]
    except ValueError:
        return None
    import pulumi_aws

    for package in (module, f"{module}_"):  # `lambda` is `lambda_` in Python
        try:
            args = getattr(getattr(pulumi_aws, package), f"{cls}Args")
        except (AttributeError, ImportError):
            continue
        return isinstance(vars(args).get("tags"), property)
    return None


@stack_rule(
    id="STACK-ENV-001",
    title="Every taggable AWS resource is tagged for this stack's environment",
    severity="medium",
    description="For every AWS resource whose type takes `tags` (per the installed pulumi-aws SDK), the tags "
    "(its own merged over its provider's `defaultTags`) include every key in the policy config's "
    "`requiredTags` (environment, project, component, managed-by, owner, cost-center) and "
    "`environment` equals the stack's environment.",
    rationale="Tags drive cost allocation, tag-based IAM conditions, AWS Backup selections and incident "
    "scoping. A prod-tagged resource in a dev stack (or an untagged one) escapes all of them; no other "
    "rule set ties tags to the stack that created the resource.",
    remediation="Create AWS resources through Groundwork components, which pass `tags=component_tags(...)`; "
    "the values come from `tags.owner`/`tags.costCenter` in Pulumi.<stack>.yaml.",
    thresholds={"requiredTags": REQUIRED_TAGS},
    aliases=("STK-ENV-001",),
)
def environment_tags(stack: Stack):
    required = stack.threshold("requiredTags", REQUIRED_TAGS)

    def check(r: Resource):
        if not r.type.startswith("aws:"):
            return
        own = r.peek("tags") or {}
        known = taggable(r.type)
        if known is False or (known is None and "tags" not in r.props):
            return
        tags = {**provider_default_tags(stack, r), **(own if isinstance(own, dict) else {})}
        missing = [k for k in required if k not in tags]
        if missing:
            yield r, f"missing tags: {', '.join(missing)}"
        env = tags.get("environment")
        if env is not None and isinstance(env, str) and env != stack.environment:
            yield r, f"tag environment={env} in the {stack.environment} stack"

    yield from each(stack.resources, check)
