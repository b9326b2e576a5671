"""Preflight's cost and deploy-time view of a captured stack: what it costs a month against its
budget, where the money goes, and how long `pulumi up` takes on an empty stack.

The estimate itself is `policy.cost` (shared with the pack's budget rule); this module feeds it the
capture, the stack's own assumptions and budget, prints the rich tables, and, with `--cost-base
capture.json` (main's `preflight --json`), prices the base capture the same way to show the change.
"""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console
from rich.table import Table

from policy.cost.estimate import Estimate, estimate
from policy.cost.model import CostResource
from policy.cost.summary import CostSummary
from stacks.config import StackConfig, load_stack, read_stack_file
from stacks.preflight.capture import Capture, CapturedResource
from stacks.preflight.deploy_time import CriticalPath, critical_path

SLOW_STEP_MINUTES = 0.5  # steps shorter than this are left out of the printed chain


def cost_resources(capture: Capture) -> list[CostResource]:
    return [
        CostResource(
            urn=r.urn,
            type=r.type,
            name=r.name,
            props=r.props,
            parent=r.parent,
            provider=r.provider,
            property_dependencies={k: tuple(v) for k, v in r.property_dependencies.items()},
        )
        for r in capture.resources
    ]


def estimate_capture(capture: Capture, config: StackConfig) -> Estimate:
    return estimate(cost_resources(capture), config.cost, stack=capture.stack, default_region=config.region)


def load_base(path: Path) -> dict[str, Capture]:
    """Captures written by `preflight --json` (on main, for the PR's change), keyed by stack."""
    document = json.loads(path.read_text())
    return {
        s["stack"]: Capture(s["stack"], [CapturedResource(**r) for r in s["resources"]], s.get("outputs", {}))
        for s in document.get("stacks", [])
    }


def chain_text(path: CriticalPath) -> tuple[str, ...]:
    return tuple(f"{s.name} ({s.minutes:g} min)" for s in path.chain if s.minutes >= SLOW_STEP_MINUTES)


def summarize(capture: Capture, config: StackConfig, base: Capture | None = None) -> CostSummary:
    path = critical_path(capture)
    return CostSummary(
        stack=capture.stack,
        estimate=estimate_capture(capture, config),
        plan_usd=config.budget.monthly_usd,
        deltas={name: d.monthly_usd for name, d in config.budget.deltas.items()},
        base=estimate_capture(base, config) if base is not None else None,
        deploy_minutes=path.total,
        deploy_bound_minutes=path.bound,
        deploy_chain=chain_text(path),
    )


def cost_table(summary: CostSummary) -> Table:
    e = summary.estimate
    dates = ", ".join(e.price_dates) or "-"
    table = Table(
        title=f"{e.stack}: monthly estimate ({e.region or 'no AWS region'}; prices read {dates}; "
        f"{e.estimated_share:.0%} on rows marked estimate)",
        show_lines=False,
    )
    table.add_column("component")
    table.add_column("$/month", justify="right")
    if summary.base is not None:
        table.add_column("change", justify="right")
    table.add_column("biggest lines")
    before = dict(summary.base.by_component()) if summary.base is not None else {}
    for name, total in e.by_component():
        lines = sorted((x for x in e.lines if x.component == name), key=lambda x: -x.monthly_usd)[:2]
        biggest = "; ".join(f"{x.resource} {x.item} {_money(x.monthly_usd)}" for x in lines)
        row = [name, f"{total:,.2f}"]
        if summary.base is not None:
            row.append(f"{total - before.get(name, 0.0):+,.2f}")
        table.add_row(*row, biggest)
    total_row = ["[bold]total[/]", f"[bold]{e.total:,.2f}[/]"]
    if summary.base is not None:
        total_row.append(f"[bold]{summary.change or 0.0:+,.2f}[/]")
    verdict = "[red]over budget[/]" if summary.over_budget else "[green]within budget[/]"
    table.add_row(
        *total_row,
        f"budget {summary.budget_text(short=True)}: {verdict}" if summary.plan_usd else "no budget set",
    )
    return table


def _money(value: float) -> str:
    return f"${value:,.0f}" if value >= 10 else f"${value:,.2f}"


def print_cost(summary: CostSummary, console: Console) -> None:
    e = summary.estimate
    if not e.lines and not e.unpriced:
        console.print(f"[green]$[/] {e.stack}: no AWS resources, nothing to pay AWS for")
    else:
        console.print(cost_table(summary))
        if summary.deltas:
            console.print(f"  budget: {summary.budget_text()} (groundwork:budget)", highlight=False)
        for driver in e.drivers():
            console.print(f"  driver: {driver.describe()}", highlight=False)
    for type_token, names in sorted(e.unpriced.items()):
        console.print(f"[red]✗[/] {e.stack}: cannot price {type_token}: {'; '.join(names)}", highlight=False)
    if summary.deploy_minutes is not None:
        chain = " → ".join(summary.deploy_chain) or "-"
        console.print(
            f"[bold]deploy[/] {e.stack}: pulumi up on an empty stack ~{summary.deploy_minutes:.1f} min "
            f"(slowest required chain {summary.deploy_bound_minutes:.1f} min); critical path: {chain}",
            highlight=False,
        )


def summarize_stack(
    capture: Capture, project_dir: Path, base: Capture | None = None, stack_file: Path | None = None
) -> CostSummary:
    """The summary of a stack preflight just built (its config parses: the build succeeded), priced
    with the assumptions and budget of the file it was built from: `stack_file` when preflight read
    one in place of Pulumi.<stack>.yaml."""
    raw = read_stack_file(capture.stack, project_dir, stack_file)
    return summarize(capture, load_stack(capture.stack, project_dir, raw), base)
