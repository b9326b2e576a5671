"""What preflight prints about policy: violations grouped by severity, each with its resource and
its fix; then exemptions in use and what could not be decided. Kept here so the preflight CLI only
calls it."""

from __future__ import annotations

from rich.console import Console

from policy.analyzer import SEVERITY_ORDER, PolicyReport
from policy.framework import DEFAULT_ENVIRONMENT, ENVIRONMENTS

STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "dim"}


def environment_for(stack: str) -> str:
    """Groundwork's stacks are named after their environment; any other stack is judged as prod."""
    return stack if stack in ENVIRONMENTS else DEFAULT_ENVIRONMENT


def print_report(report: PolicyReport, console: Console) -> None:
    violations = report.by_severity()
    total = len(report.violations)
    gate = (
        "[green]pass[/]" if report.passed else f"[red]FAIL: {len(report.blocking)} mandatory violation(s)[/]"
    )
    console.print(
        f"[bold]policy[/] {report.stack} ({report.environment}, pack v{report.pack_version}): "
        f"{report.policies_evaluated} policies × {report.resources_evaluated} resources, "
        f"{total} violation(s), {len(report.suppressed)} suppressed, "
        f"{len(report.indeterminate)} undecided — {gate}"
    )
    for severity in SEVERITY_ORDER:
        findings = violations.get(severity, [])
        if not findings:
            continue
        console.print(f"  [{STYLE[severity]}]{severity.upper()} ({len(findings)})[/]")
        for f in findings:
            mark = "[red]✗ mandatory[/]" if f.blocking else "[yellow]! advisory[/]"
            console.print(f"    {mark} {f.rule_id} [cyan]{f.resource_name}[/]: {f.message}")
            console.print(f"        fix: {f.remediation}", style="dim")
    for f in report.suppressed:
        ex = f.exemption or {}
        console.print(
            f"  [blue]~ suppressed[/] {f.rule_id} [cyan]{f.resource_name}[/]: {f.message} "
            f'("{ex.get("reason", "")}", approved by {ex.get("approver", "?")}, '
            f"expires {ex.get('expires', '?')})"
        )
    for f in report.indeterminate:
        console.print(f"  [dim]? {f.rule_id} {f.resource_name}: {f.message}[/]")
