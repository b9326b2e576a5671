"""Policy reports a reviewer can read: Markdown (a PR comment / step summary), JSON, SARIF 2.1.0."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from policy.analyzer import PolicyReport
from policy.cost.summary import CostSummary
from policy.reports import json_report, markdown, sarif

FORMATS = {
    "md": (markdown.render, "md"),
    "json": (json_report.render, "json"),
    "sarif": (sarif.render, "sarif"),
}


def render(report: PolicyReport, fmt: str) -> str:
    return FORMATS[fmt][0]([report])


def write_reports(
    reports: Sequence[PolicyReport],
    formats: Iterable[str],
    out_dir: Path,
    costs: Sequence[CostSummary] = (),
) -> list[Path]:
    """One file per stack and format (`policy-<stack>.<ext>`), plus `policy-summary.md` over all
    stacks when Markdown is asked for: the PR comment and the job summary. `costs` adds each stack's
    cost estimate to its Markdown and JSON reports (SARIF carries findings only). `out_dir` is
    created, not its parents (preflight checks them before it builds anything)."""
    out_dir.mkdir(exist_ok=True)
    by_stack = {c.stack: c for c in costs}
    written = []
    for fmt in formats:
        renderer, ext = FORMATS[fmt]
        for report in reports:
            path = out_dir / f"policy-{report.stack}.{ext}"
            cost = [by_stack[report.stack]] if report.stack in by_stack else []
            path.write_text(renderer([report], costs=cost) if fmt != "sarif" else renderer([report]))
            written.append(path)
        if fmt == "md":
            path = out_dir / "policy-summary.md"
            path.write_text(markdown.render(list(reports), costs=list(costs)))
            written.append(path)
    return written
