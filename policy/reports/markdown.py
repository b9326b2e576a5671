"""The report a reviewer reads in the pull request: what blocks, what is advised, what is exempted."""

from __future__ import annotations

from collections.abc import Sequence

from policy.analyzer import SEVERITY_ORDER, Finding, PolicyReport
from policy.cost.summary import CostSummary
from policy.cost.summary import markdown as cost_markdown

MAX_CHARS = 60000  # GitHub rejects comments over 65,536 characters
ICON = {"critical": "🟥", "high": "🟧", "medium": "🟨", "low": "⬜"}


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _table(findings: list[Finding], with_fix: bool = True) -> list[str]:
    head = "| severity | rule | resource | finding |" + (" how to fix |" if with_fix else "")
    rule = "|---|---|---|---|" + ("---|" if with_fix else "")
    rows = [head, rule]
    for f in findings:
        row = (
            f"| {ICON.get(f.severity, '')} {f.severity} | `{f.rule_id}` {_cell(f.title)} "
            f"| `{_cell(f.resource_name)}` | {_cell(f.message)} |"
        )
        rows.append(row + (f" {_cell(f.remediation)} |" if with_fix else ""))
    return rows


def _by_severity(findings: list[Finding]) -> list[Finding]:
    rank = {s: i for i, s in enumerate(SEVERITY_ORDER)}
    return sorted(findings, key=lambda f: (rank.get(f.severity, 9), f.rule_id, f.resource_name))


def _summary_row(report: PolicyReport) -> str:
    counts = {s: len(v) for s, v in report.by_severity().items()}
    verdict = "✅ pass" if report.passed else f"❌ {len(report.blocking)} blocking"
    return (
        f"| `{report.stack}` | {report.environment} | {verdict} | "
        + " | ".join(str(counts.get(s, 0)) for s in SEVERITY_ORDER)
        + f" | {len(report.suppressed)} | {len(report.indeterminate)} | {report.resources_evaluated} |"
    )


def _section(report: PolicyReport) -> list[str]:
    lines = [f"### `{report.stack}` ({report.environment})", ""]
    blocking = _by_severity(report.blocking)
    advisory = _by_severity([f for f in report.violations if not f.blocking])
    if not report.findings:
        lines += [
            f"No findings: {report.policies_evaluated} policies, {report.resources_evaluated} resources.",
            "",
        ]
        return lines
    if blocking:
        lines += ["**Blocking (mandatory in this environment)**", "", *_table(blocking), ""]
    if advisory:
        lines += ["<details><summary>Advisory: " + f"{len(advisory)} finding(s)</summary>", ""]
        lines += [*_table(advisory), "", "</details>", ""]
    if report.suppressed:
        lines += [
            f"<details><summary>Suppressed by exemption: {len(report.suppressed)}</summary>",
            "",
            "| rule | resource | finding | reason | approver | expires |",
            "|---|---|---|---|---|---|",
        ]
        for f in _by_severity(report.suppressed):
            ex = f.exemption or {}
            lines.append(
                f"| `{f.rule_id}` | `{_cell(f.resource_name)}` | {_cell(f.message)} "
                f"| {_cell(ex.get('reason', ''))} | {_cell(ex.get('approver', ''))} "
                f"| {ex.get('expires', '')} |"
            )
        lines += ["", "</details>", ""]
    if report.indeterminate:
        lines += [f"<details><summary>Could not tell at preview: {len(report.indeterminate)}</summary>", ""]
        lines += [*_table(_by_severity(report.indeterminate), with_fix=False), "", "</details>", ""]
    return lines


def render(reports: Sequence[PolicyReport], costs: Sequence[CostSummary] = ()) -> str:
    passed = all(r.passed for r in reports)
    version = reports[0].pack_version if reports else ""
    lines = [
        f"## {'✅' if passed else '❌'} Groundwork policy pack v{version}",
        "",
        "| stack | environment | gate | "
        + " | ".join(SEVERITY_ORDER)
        + " | suppressed | can't tell | resources |",
        "|---|---|---|" + "---:|" * (len(SEVERITY_ORDER) + 3),
    ]
    lines += [_summary_row(r) for r in reports] + [""]
    lines.append(
        "Counts are open violations (mandatory and advisory). Rules, rationale and exemptions: "
        "`docs/policies.md`."
    )
    lines.append("")
    lines += cost_markdown(costs)
    for report in reports:
        lines += _section(report)
    text = "\n".join(lines) + "\n"
    if len(text) > MAX_CHARS:
        text = (
            text[:MAX_CHARS].rsplit("\n", 1)[0]
            + "\n\n…truncated; the full report is in the JSON and SARIF artifacts.\n"
        )
    return text
