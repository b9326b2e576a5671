"""The pack checks its own exemptions (STACK-POL-001, formerly STK-POL-001).

An exemption is enforced in two places. `policy.exemptions` judges every exemption when its rule
fires (an expired, unexplained or unapproved exemption is not honoured, and none is honoured for a
critical rule in prod), and the CLI validates config exemptions against the schema every policy
declares. The rule below adds what neither sees: exemption tags and annotations that linger on a
resource after it became compliant, or that name a rule that does not exist.

That a value unknown at preview is not a pass is the `failClosedOnUnknown` property every policy
declares (policy.framework): set it for a rule in an environment's policy config and that rule
reports a violation instead of pulumi_policy's advisory "can't run policy during preview".
"""

from __future__ import annotations

from policy.exemptions import TAG_PREFIX, on_resource, today_utc
from policy.framework import Stack, rule_for, stack_rule


@stack_rule(
    id="STACK-POL-001",
    title="Exemptions on resources are valid, current and name a real rule",
    severity="medium",
    description=f"Every `{TAG_PREFIX}<RULE-ID>` tag or annotation names a rule of this pack (by its id or "
    "an old id) and reads "
    "`expires=YYYY-MM-DD approver=<who> reason=<at least 20 characters>`, its expiry has not "
    "passed, and it does not exempt a critical rule in prod.",
    rationale="An exemption is a debt with a due date. One that outlives its date, lost its reason or "
    "points at a renamed rule hides nothing today but will hide the next regression silently; "
    "reviewers need the list of exceptions to be exactly the exceptions that are still agreed.",
    remediation="Renew the exemption with a new expiry and approval, fix the resource and delete the tag or "
    "annotation, or correct the rule id.",
    aliases=("STK-POL-001",),
)
def exemption_hygiene(stack: Stack):
    today = today_utc()
    for resource in stack.resources:
        for exemption in on_resource(resource):
            rule = rule_for(exemption.rule_id)
            if rule is None:
                yield (
                    resource,
                    (f"{exemption.source} exempts {exemption.rule_id}, which is not a rule of this pack"),
                )
                continue
            problem = exemption.problem(rule, stack.environment, today)
            if problem:
                yield resource, f"{exemption.source} on {resource.name}: {problem}"
