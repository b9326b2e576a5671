"""Policy reports a reviewer can read: Markdown (a PR comment / step summary), JSON, SARIF 2.1.0."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from policy.analyzer import PolicyReport
from policy.reports import json_report, markdown, sarif

FORMATS = {
    "md": (markdown.render, "md"),
    "json": (json_report.render, "json"),
    "sarif": (sarif.render, "sarif"),
}


def render(report: PolicyReport, fmt: str) -> str:
    return FORMATS[fmt][0]([report])


def write_reports(reports: Sequence[PolicyReport], formats: Iterable[str], out_dir: Path) -> list[Path]:
    """One file per stack and format (`policy-<stack>.<ext>`), plus `policy-summary.md` over all
    stacks when Markdown is asked for: the PR comment and the job summary. `out_dir` is created,
    not its parents (preflight checks them before it builds anything)."""
    out_dir.mkdir(exist_ok=True)
    written = []
    for fmt in formats:
        renderer, ext = FORMATS[fmt]
        for report in reports:
            path = out_dir / f"policy-{report.stack}.{ext}"
            path.write_text(renderer([report]))
            written.append(path)
        if fmt == "md":
            path = out_dir / "policy-summary.md"
            path.write_text(markdown.render(list(reports)))
            written.append(path)
    return written
