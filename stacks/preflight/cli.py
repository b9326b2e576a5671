"""`groundwork preflight <stack>`: run a stack on Pulumi's mock runtime, no cloud account needed.

Prints the resource tree (type, name, parent) and the count per type, and exits non-zero with a
message a human can act on when the config or the program is wrong.

Then it evaluates every stack with the policy pack (pulumi_policy's own analyzer, configured from
policy/config/<stack>.json), prints the violations by severity with the fix, and writes
`--report md|json|sarif` files to `--out`. With `--charts DIR` it first renders every Helm chart the
program declares from the sources in DIR, so the pack sees the charts' objects (docs/charts.md); it
always checks every workload against its namespace's Pod Security level.

Exit status: 0 all stacks built and no mandatory policy violation; 1 a config or program error (also
a chart that cannot be rendered, a pod that Pod Security admission would reject); 2 bad command-line
usage; 3 a mandatory policy violation.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.tree import Tree

from policy.analyzer import PolicyConfigError, evaluate
from policy.preflight import environment_for, print_report
from policy.reports import write_reports
from stacks.config import ConfigError, stack_names
from stacks.config.loader import PROJECT_DIR
from stacks.preflight.capture import Capture
from stacks.preflight.charts import see_charts
from stacks.preflight.runner import capture_stack

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_POLICY = 0, 1, 2, 3


def resource_tree(capture: Capture) -> Tree:
    """Components with their children nested under them, the way `pulumi preview` shows them."""
    root = next((r for r in capture.resources if r.type == "pulumi:pulumi:Stack"), None)
    tree = Tree(f"[bold]{capture.stack}[/] ({len(capture.resources) - (1 if root else 0)} resources)")
    nodes = {root.urn: tree} if root else {}
    for resource in capture.resources:
        if resource is root:
            continue
        parent = nodes.get(resource.parent or "", tree)
        label = f"[cyan]{resource.type}[/] {resource.name}"
        if resource.protect:
            label += " [yellow](protected)[/]"
        nodes[resource.urn] = parent.add(label)
    return tree


def type_counts(capture: Capture) -> Table:
    table = Table(title=f"{capture.stack}: resources per type", show_lines=False)
    table.add_column("type")
    table.add_column("count", justify="right")
    counts = Counter(r.type for r in capture.resources if r.type != "pulumi:pulumi:Stack")
    for type_token, count in sorted(counts.items()):
        table.add_row(type_token, str(count))
    table.add_row("[bold]total[/]", f"[bold]{sum(counts.values())}[/]")
    return table


def _program_error(stack: str, error: BaseException) -> str:
    """The error and the innermost frame of Groundwork's own code, not the SDK's internals."""
    frames = [
        f
        for f in traceback.extract_tb(error.__traceback__)
        if str(PROJECT_DIR) in f.filename and "/.venv/" not in f.filename
    ]
    where = (
        f" (at {Path(frames[-1].filename).relative_to(PROJECT_DIR)}:{frames[-1].lineno})" if frames else ""
    )
    return f"{stack}: program error: {type(error).__name__}: {error}{where}"


def run(
    stacks: list[str],
    console: Console,
    json_path: Path | None = None,
    show_tree: bool = True,
    project_dir: Path = PROJECT_DIR,
    policy: bool = True,
    reports: tuple[str, ...] = (),
    out_dir: Path = Path("reports"),
    policy_config: Path | None = None,
    charts_dir: Path | None = None,
) -> int:
    status = EXIT_OK
    captures: list[Capture] = []
    policy_reports = []
    for stack in stacks:
        started = time.perf_counter()
        try:
            capture = capture_stack(stack, project_dir)
        except ConfigError as error:
            console.print(f"[red]✗[/] {error}", highlight=False)
            status = EXIT_FAILED
            continue
        except Exception as error:
            console.print(f"[red]✗[/] {_program_error(stack, error)}", highlight=False)
            status = EXIT_FAILED
            continue
        capture, chart_lines, charts_failed = see_charts(stack, capture, charts_dir, project_dir)
        status = EXIT_FAILED if charts_failed else status
        captures.append(capture)
        if show_tree:
            console.print(resource_tree(capture))
        console.print(type_counts(capture))
        console.print(f"[green]✓[/] {stack}: built on mocks in {time.perf_counter() - started:.2f}s")
        for line in chart_lines:
            console.print(line, highlight=False, markup=False)
        if policy:
            try:
                report = evaluate(capture, environment_for(stack), config_path=policy_config)
            except PolicyConfigError as error:
                console.print(f"[red]✗[/] {stack}: {error}", highlight=False)
                status = EXIT_FAILED
                continue
            policy_reports.append(report)
            print_report(report, console)
            if not report.passed and status == EXIT_OK:
                status = EXIT_POLICY
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(
            json.dumps({"stacks": [c.to_json() for c in captures]}, indent=2, sort_keys=True)
        )
        console.print(f"wrote {len(captures)} captured stack(s) to {json_path}")
    if reports and policy_reports:
        for path in write_reports(policy_reports, reports, out_dir):
            console.print(f"wrote {path}")
    return status


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="groundwork preflight", description=__doc__.split("\n\n")[0])
    p.add_argument("stacks", nargs="*", help="stack names (Pulumi.<stack>.yaml in the project)")
    p.add_argument("--all", action="store_true", help="every stack that has a Pulumi.<stack>.yaml")
    p.add_argument("--json", type=Path, metavar="FILE", help="write every captured resource as JSON")
    p.add_argument("--no-tree", action="store_true", help="print only the counts per type")
    p.add_argument(
        "--project-dir", type=Path, default=PROJECT_DIR, help="where Pulumi.<stack>.yaml files live"
    )
    p.add_argument(
        "--report",
        action="append",
        choices=("md", "json", "sarif"),
        default=[],
        help="write the policy results in this format (repeatable)",
    )
    p.add_argument("--out", type=Path, default=Path("reports"), metavar="DIR", help="where --report files go")
    p.add_argument(
        "--policy-config",
        type=Path,
        metavar="FILE",
        help="policy config file (default: policy/config/<stack>.json)",
    )
    p.add_argument(
        "--no-policy", action="store_true", help="build the stacks without evaluating the policy pack"
    )
    p.add_argument(
        "--charts",
        type=Path,
        metavar="DIR",
        help="render every helm.v4.Chart from the chart sources in DIR (as `helm pull` leaves them) and "
        "check what they create too (docs/charts.md)",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    console = Console(highlight=False, soft_wrap=True)
    known = stack_names(args.project_dir)
    stacks = known if args.all else args.stacks
    if not stacks:
        console.print(f"name a stack ({', '.join(known)}) or pass --all")
        return EXIT_USAGE
    if args.policy_config and len(stacks) > 1:
        console.print("--policy-config names one environment's file; use it with one stack")
        return EXIT_USAGE
    unknown = [s for s in stacks if s not in known]
    if unknown:
        console.print(f"[red]✗[/] unknown stack(s) {', '.join(unknown)}; stacks here: {', '.join(known)}")
        return EXIT_USAGE
    return run(
        stacks,
        console,
        json_path=args.json,
        show_tree=not args.no_tree,
        project_dir=args.project_dir,
        policy=not args.no_policy,
        reports=tuple(dict.fromkeys(args.report)),
        out_dir=args.out,
        policy_config=args.policy_config,
        charts_dir=args.charts,
    )


if __name__ == "__main__":
    sys.exit(main())
