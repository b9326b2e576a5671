"""AWS-COST-001: the stack's monthly cost estimate fits the budget it ships as an AWS Budget.

The estimate is `policy.cost`, the same code preflight prints, run on the resources the pack sees:
the budget is the `limitAmount` of the stack's monthly AWS Budget (the plan's figure plus the named
deltas the stack file gives, `groundwork:budget`), and the usage assumptions are the environment's
profile (`policy.cost.assumptions.PROFILES`) with this rule's `assumptions` config on top, which
must repeat any `groundwork:cost` override the stack file makes (a test checks the shipped stacks).
"""

from __future__ import annotations

from pulumi_policy.proxy import UnknownValueError

from policy.cost.assumptions import for_environment
from policy.cost.estimate import Estimate, estimate
from policy.cost.model import READ_TYPES, CostResource
from policy.cost.pricers import PRICERS
from policy.framework import Resource, Stack, stack_rule

BUDGET = "aws:budgets/budget:Budget"


def cost_resources(stack: Stack) -> list[CostResource]:
    """The pack's view as the estimate's input. Only the inputs a pricer reads are converted (the
    view builds them on first use): the free types need their type and parent, nothing else."""
    return [
        CostResource(
            urn=r.urn,
            type=r.type,
            name=r.name,
            props=r.props if r.type in PRICERS or r.type in READ_TYPES else {},
            parent=r.parent_urn,
            provider=r.provider,
            property_dependencies={k: tuple(d.urn for d in v) for k, v in r.property_dependencies.items()},
        )
        for r in stack.resources
    ]


def monthly_budget(stack: Stack) -> tuple[Resource, float] | None:
    """The stack's monthly cost budget in USD (the smallest, if there are several)."""
    budgets = [
        (b, float(b.get("limitAmount")))
        for b in stack.of_type(BUDGET)
        if b.get("budgetType") == "COST" and b.get("timeUnit") == "MONTHLY" and b.get("limitUnit") == "USD"
    ]
    return min(budgets, key=lambda pair: pair[1]) if budgets else None


def stack_estimate(stack: Stack) -> Estimate:
    assumptions = for_environment(stack.environment, stack.threshold("assumptions", {}))
    return estimate(cost_resources(stack), assumptions, unknown=(UnknownValueError,))


@stack_rule(
    id="AWS-COST-001",
    title="The monthly cost estimate fits the stack's budget",
    severity="high",
    description="Prices every resource of the stack with the shipped on-demand price table "
    "(policy/cost/prices) and the environment's usage assumptions, and compares the monthly total with "
    "the `limitAmount` of the stack's monthly AWS Budget. Fires when the estimate is over it, or when a "
    "resource type has no price (the estimate would be incomplete).",
    rationale="A budget the platform cannot meet fires the AWS Budget alarm in the first week and trains "
    "everyone to ignore it; an unpriced resource type is how a NAT gateway or a broker fleet reaches the "
    "bill unseen. The estimate is known before `pulumi up`, so the decision belongs in review.",
    remediation="Lower the drivers the finding names with the config keys it gives, or raise the budget "
    "openly: add a named delta with its reason under `groundwork:budget.deltas` in the stack file. An "
    "unpriced type needs rows in policy/cost/prices/<region>.yaml (or an entry in policy/cost/free.py).",
    thresholds={"assumptions": {}},
    tags=(),
)
def estimate_within_budget(stack: Stack):
    budget = monthly_budget(stack)
    if budget is None:
        return
    resource, limit = budget
    result = stack_estimate(stack)
    for type_token, names in sorted(result.unpriced.items()):
        yield resource, f"cannot price {type_token} ({'; '.join(names)}): the estimate is incomplete"
    if result.total > limit:
        drivers = "; ".join(d.describe() for d in result.drivers())
        yield (
            resource,
            f"the estimate is ${result.total:,.2f} a month, ${result.total - limit:,.2f} over the budget of "
            f"${limit:,.2f} (groundwork:budget.monthlyUsd plus its deltas). Top drivers: {drivers}",
        )
    elif result.unknown:
        raise result.unknown[0]  # under budget so far, but unpriced lines could change that
