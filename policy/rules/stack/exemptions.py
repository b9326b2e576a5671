"""TODO docstring"""

from __future__ import annotations

from policy.exemptions import TAG_PREFIX, on_resource, today_utc
from policy.framework import REGISTRY, Stack, stack_rule


@stack_rule(
    id="STACK-POL-001",
    title="Exemptions on resources are valid, current and name a real rule",
    severity="medium",
    description=f"Every `{TAG_PREFIX}<RULE-ID>` tag or annotation names a rule of this pack and reads "
    "`expires=YYYY-MM-DD approver=<who> reason=<at least 20 characters>`, its expiry has not "
    "passed, and it does not exempt a critical rule in prod.",
    rationale="An exemption is a debt with a due date. One that outlives its date, lost its reason or "
    "points at a renamed rule hides nothing today but will hide the next regression silently; "
    "reviewers need the list of exceptions to be exactly the exceptions that are still agreed.",
    remediation="Renew the exemption with a new expiry and approval, fix the resource and delete the tag or "
    "annotation, or correct the rule id.",
    tags=(),
    aliases=("STK-POL-001",),
)
def exemption_hygiene(stack: Stack):
    today = today_utc()
    for resource in stack.resources:
        for exemption in on_resource(resource):
            rule = REGISTRY.get(exemption.rule_id)
            if rule is None:
                yield (
                    resource,
                    (f"{exemption.source} exempts {exemption.rule_id}, which is not a rule of this pack"),
                )
                continue
            problem = exemption.problem(rule, stack.environment, today)
            if problem:
                yield resource, f"{exemption.source} on {resource.name}: {problem}"
