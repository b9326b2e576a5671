"""Budget and cost config: `groundwork:budget` (the plan's monthly budget and any named deltas over it)
and `groundwork:cost` (the usage assumptions behind the estimate).

The budget was `monitoring.alarms.monthlyBudgetUsd`; it moved here because it is no longer only an
alarm setting: the same figure is the AWS Budget the alarms create, the limit the policy pack's
budget rule (AWS-COST-001) compares the estimate against, and the column preflight prints beside the
estimate. A delta is how a stack says, by name and with a reason, that its plan's budget cannot
hold what the plan asks for; the AWS Budget and the rule use the plan's figure plus the deltas.
"""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from policy.cost.assumptions import PROFILES as COST_PROFILES
from policy.cost.assumptions import UsageAssumptions
from stacks.config.base import ConfigModel
from stacks.config.errors import ConfigIssue

__all__ = [
    "BUDGET_PROFILES",
    "COST_PROFILES",
    "BudgetConfig",
    "BudgetDelta",
    "UsageAssumptions",
    "budget_issues",
]

_DELTA_NAME = re.compile(r"^[a-z][a-zA-Z0-9-]{2,62}$")


class BudgetDelta(ConfigModel):
    """An accepted overrun of the plan's budget: how much a month, and why the plan cannot hold it."""

    monthly_usd: int = Field(ge=1, le=1_000_000, description="USD a month added to the plan's budget.")
    reason: str = Field(
        min_length=40,
        description="Why the plan's budget cannot hold this: what it leaves out and what was tried.",
    )


class BudgetConfig(ConfigModel):
    """The stack's monthly budget: the plan's figure, plus named deltas the stack file justifies."""

    monthly_usd: int | None = Field(
        default=None, ge=1, le=10_000_000, description="The plan's monthly budget in USD; unset: no budget."
    )
    deltas: dict[str, BudgetDelta] = Field(
        default_factory=dict, description="Named, reasoned additions to the plan's budget."
    )

    @field_validator("deltas")
    @classmethod
    def _names(cls, value: dict[str, BudgetDelta]) -> dict[str, BudgetDelta]:
        bad = [name for name in value if not _DELTA_NAME.match(name)]
        if bad:
            raise ValueError(f"delta names are short camelCase words such as eksControlPlane (not {bad})")
        return value

    @property
    def limit_usd(self) -> int | None:
        """What the AWS Budget and the budget rule hold the stack to: the plan plus its deltas."""
        if self.monthly_usd is None:
            return None
        return self.monthly_usd + sum(d.monthly_usd for d in self.deltas.values())


# The seed plans' monthly budgets (the design's environment table); qa sits with dev.
BUDGET_PROFILES: dict[str, dict] = {
    "local": {},
    "dev": {"monthlyUsd": 70},
    "qa": {"monthlyUsd": 70},
    "staging": {"monthlyUsd": 230},
    "prod": {"monthlyUsd": 890},
}


def budget_issues(environment: str, budget: BudgetConfig) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []
    if budget.deltas and budget.monthly_usd is None:
        issues.append(
            ConfigIssue(
                "budget.deltas", sorted(budget.deltas), "needs budget.monthlyUsd, the budget they add to"
            )
        )
    if environment == "local" and budget.monthly_usd is not None:
        issues.append(
            ConfigIssue(
                "budget.monthlyUsd", budget.monthly_usd, "must be unset in local: it costs nothing in AWS"
            )
        )
    return issues
