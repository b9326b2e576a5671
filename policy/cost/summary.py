"""What the PR comment and the JSON report say about a stack's cost: the estimate, the budget it is
held to, the change against a base capture (main), and the deploy time. Built by preflight, rendered
by policy/reports (markdown, json_report), so the report writers need nothing from `stacks`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from policy.cost.estimate import Estimate, compare


@dataclass(frozen=True)
class CostSummary:
    stack: str
    estimate: Estimate
    plan_usd: int | None = None
    deltas: Mapping[str, int] = field(default_factory=dict)
    base: Estimate | None = None
    deploy_minutes: float | None = None
    deploy_bound_minutes: float | None = None
    deploy_chain: tuple[str, ...] = ()

    @property
    def budget_usd(self) -> int | None:
        return None if self.plan_usd is None else self.plan_usd + sum(self.deltas.values())

    @property
    def change(self) -> float | None:
        return None if self.base is None else self.estimate.total - self.base.total

    @property
    def over_budget(self) -> bool:
        return self.budget_usd is not None and self.estimate.total > self.budget_usd

    def budget_text(self, short: bool = False) -> str:
        if self.plan_usd is None:
            return "none"
        if not self.deltas:
            return f"${self.plan_usd:,}"
        if short:
            return f"${self.budget_usd:,} (plan ${self.plan_usd:,} + {len(self.deltas)} named deltas)"
        names = ", ".join(f"{name} +${usd:,}" for name, usd in sorted(self.deltas.items()))
        return f"${self.budget_usd:,} (plan ${self.plan_usd:,}; {names})"

    def to_json(self) -> dict[str, Any]:
        body = self.estimate.to_json()
        body.update(
            {
                "budget": {
                    "planUsd": self.plan_usd,
                    "deltas": dict(self.deltas),
                    "limitUsd": self.budget_usd,
                },
                "overBudget": self.over_budget,
            }
        )
        if self.base is not None:
            body["base"] = {
                "monthlyUsd": round(self.base.total, 2),
                "changeUsd": round(self.change or 0.0, 2),
                "components": {
                    name: {"base": round(before, 2), "current": round(now, 2)}
                    for name, before, now in compare(self.estimate, self.base)
                },
            }
        if self.deploy_minutes is not None:
            body["deploy"] = {
                "criticalPathMinutes": round(self.deploy_minutes, 1),
                "boundMinutes": round(self.deploy_bound_minutes or 0.0, 1),
                "chain": list(self.deploy_chain),
            }
        return body


def _signed(value: float) -> str:
    return f"{'+' if value >= 0 else '−'}${abs(value):,.2f}"


def markdown(summaries: Sequence[CostSummary]) -> list[str]:
    """The cost section of the PR comment: one row per stack, then where the money goes."""
    if not summaries:
        return []
    with_base = any(s.base is not None for s in summaries)
    head = "| stack | estimate / month | budget |" + (" change vs base |" if with_base else "") + " deploy |"
    lines = [
        "### Cost and deploy time",
        "",
        head,
        "|---|---:|---|" + ("---:|" if with_base else "") + "---:|",
    ]
    for s in summaries:
        verdict = " ❌ over" if s.over_budget else ""
        change = f" {_signed(s.change)} |" if s.change is not None else (" — |" if with_base else "")
        deploy = f"{s.deploy_minutes:.0f} min" if s.deploy_minutes is not None else "—"
        lines.append(
            f"| `{s.stack}` | ${s.estimate.total:,.2f}{verdict} | {s.budget_text()} |{change} {deploy} |"
        )
    lines += [
        "",
        "Prices: `policy/cost/prices/` (on-demand, rows dated and sourced); usage: `groundwork:cost`.",
        "",
    ]
    for s in summaries:
        if not s.estimate.lines:
            continue
        lines += [f"<details><summary><code>{s.stack}</code>: where the money goes</summary>", ""]
        rows = (
            compare(s.estimate, s.base)
            if s.base is not None
            else [(n, 0.0, t) for n, t in s.estimate.by_component()]
        )
        lines += [
            "| component | $/month |" + (" base | change |" if s.base is not None else ""),
            "|---|---:|" + ("---:|---:|" if s.base is not None else ""),
        ]
        for name, before, now in rows:
            extra = f" ${before:,.2f} | {_signed(now - before)} |" if s.base is not None else ""
            lines.append(f"| `{name}` | ${now:,.2f} |{extra}")
        lines += ["", "Top drivers: " + "; ".join(d.describe() for d in s.estimate.drivers()) + ".", ""]
        if s.deploy_chain:
            lines += [f"Critical path ({s.deploy_minutes:.1f} min): " + " → ".join(s.deploy_chain), ""]
        lines += ["</details>", ""]
    return lines


def json_section(summaries: Sequence[CostSummary]) -> dict[str, Any]:
    return {s.stack: s.to_json() for s in summaries}
