"""`groundwork preflight <stack>`: run a stack on Pulumi's mock runtime, no cloud account needed.

Prints the resource tree (type, name, parent) and the count per type, and exits non-zero with a
message a human can act on when the config or the program is wrong.

It prints each stack's monthly cost estimate against its budget and the critical path of a first
`pulumi up` (stacks/preflight/cost.py; `--cost-base capture.json` adds the change against a base).

Then it evaluates every stack with the policy pack (pulumi_policy's own analyzer, configured from
policy/config/<stack>.json), prints the violations by severity with the fix, and writes
`--report md|json|sarif` files to `--out`. With `--charts DIR` it first renders every Helm chart the
program declares from the sources in DIR, so the pack sees the charts' objects (docs/charts.md); it
always checks every workload against its namespace's Pod Security level.

With more than one stack (`--all`), it ends with one summary line per stack.

Exit status: 0 all stacks built and no mandatory policy violation; 1 a config or program error;
2 bad command-line usage, including a `--json` or `--out` path it cannot write (said in one line,
before anything is built); 3 a mandatory policy violation. A chart that cannot be rendered, or a
pod that Pod Security admission would reject, is a program error (1).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import traceback
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

from policy.analyzer import PolicyConfigError, PolicyReport, evaluate
from policy.preflight import environment_for, print_report
from policy.reports import write_reports
from stacks.config import ConfigError, stack_names
from stacks.config.loader import PROJECT_DIR
from stacks.preflight import collector
from stacks.preflight.capture import Capture, CapturedResource
from stacks.preflight.charts import see_charts
from stacks.preflight.cost import CostSummary, load_base, print_cost, summarize_stack
from stacks.preflight.paths import OutputPathError, check_json_path, check_out_dir, write_error
from stacks.preflight.runner import capture_stack

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_POLICY = 0, 1, 2, 3


def resource_tree(capture: Capture) -> Tree:
    """Components with their children nested under them, the way `pulumi preview` shows them.
    Children come in URN order (grouped by type, then by name), so the tree prints the same on
    every run, whatever order the resources were registered in."""
    root = next((r for r in capture.resources if r.type == "pulumi:pulumi:Stack"), None)
    tree = Tree(f"[bold]{capture.stack}[/] ({len(capture.resources) - (1 if root else 0)} resources)")
    known = {r.urn for r in capture.resources}
    children: dict[str | None, list[CapturedResource]] = {}
    for resource in sorted(capture.resources, key=lambda r: r.urn):
        if resource is not root:
            children.setdefault(resource.parent if resource.parent in known else None, []).append(resource)

    def add(node: Tree, parent: str | None) -> None:
        for resource in children.get(parent, ()):
            label = f"[cyan]{resource.type}[/] {resource.name}"
            if resource.protect:
                label += " [yellow](protected)[/]"
            add(node.add(label), resource.urn)

    if root is not None:
        add(tree, root.urn)
    add(tree, None)
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


@dataclass
class StackResult:
    """What one stack's preflight came to, for the exit status and the closing summary."""

    stack: str
    capture: Capture | None = None
    report: PolicyReport | None = None
    error: str | None = None
    seconds: float = 0.0
    cost: CostSummary | None = None

    @property
    def status(self) -> int:
        if self.error:
            return EXIT_FAILED
        return EXIT_POLICY if self.report is not None and not self.report.passed else EXIT_OK

    def summary(self) -> str:
        """One line: built or not, how many resources, the policy gate and its counts."""
        if self.capture is None:
            return f"[red]✗[/] {self.stack}: not built ({self.error})"
        count = sum(1 for r in self.capture.resources if r.type != "pulumi:pulumi:Stack")
        built = f"{self.stack}: {count} resources in {self.seconds:.2f}s"
        if self.error:
            return f"[red]✗[/] {built}; policy not run ({self.error})"
        report = self.report
        if report is None:
            return f"[green]✓[/] {built}; policy not run (--no-policy)"
        counts = (
            f"{len(report.violations)} violation(s), {len(report.suppressed)} suppressed, "
            f"{len(report.indeterminate)} undecided"
        )
        if report.passed:
            return f"[green]✓[/] {built}; policy pass: {counts}"
        return f"[red]✗[/] {built}; policy FAIL, {len(report.blocking)} mandatory: {counts}"


def _run_stack(
    stack: str,
    console: Console,
    *,
    show_tree: bool,
    project_dir: Path,
    policy: bool,
    policy_config: Path | None,
    stack_file: Path | None = None,
    bases: Mapping[str, Capture] | None = None,
    charts_dir: Path | None = None,
) -> StackResult:
    started = time.perf_counter()
    try:
        capture = (
            capture_stack(stack, project_dir, stack_file=stack_file)
            if stack_file
            else capture_stack(stack, project_dir)
        )
    except ConfigError as error:
        console.print(f"[red]✗[/] {escape(str(error))}", highlight=False)
        return StackResult(stack, error="config error")
    except Exception as error:
        console.print(f"[red]✗[/] {escape(_program_error(stack, error))}", highlight=False)
        return StackResult(stack, error="program error")
    capture, chart_lines, charts_failed = see_charts(stack, capture, charts_dir, project_dir, stack_file)
    result = StackResult(stack, capture, seconds=time.perf_counter() - started)
    if show_tree:
        console.print(resource_tree(capture))
    console.print(type_counts(capture))
    console.print(f"[green]✓[/] {stack}: built on mocks in {result.seconds:.2f}s")
    for line in chart_lines:
        console.print(line, highlight=False, markup=False)
    if charts_failed:
        result.error = "charts not admitted or not rendered"
    result.cost = summarize_stack(capture, project_dir, (bases or {}).get(stack), stack_file)
    print_cost(result.cost, console)
    if policy:
        try:
            result.report = evaluate(capture, environment_for(stack), config_path=policy_config)
        except PolicyConfigError as error:
            console.print(f"[red]✗[/] {escape(f'{stack}: {error}')}", highlight=False)
            result.error = "policy config error"
            return result
        print_report(result.report, console)
    return result


def _write_outputs(
    results: list[StackResult],
    console: Console,
    json_path: Path | None,
    reports: tuple[str, ...],
    out_dir: Path,
) -> None:
    """The --json capture and the --report files; an OSError becomes a one-line OutputPathError."""
    captures = [r.capture for r in results if r.capture is not None]
    policy_reports = [r.report for r in results if r.report is not None]
    if json_path is not None:
        document = json.dumps({"stacks": [c.to_json() for c in captures]}, indent=2, sort_keys=True)
        try:
            json_path.write_text(document + "\n")
        except OSError as error:
            raise write_error("--json", json_path, error) from None
        console.print(f"wrote {len(captures)} captured stack(s) to {json_path}")
    if reports and policy_reports:
        try:
            costs = [r.cost for r in results if r.cost is not None]
            written = write_reports(policy_reports, reports, out_dir, costs=costs)
        except OSError as error:
            raise write_error("--out", out_dir, error) from None
        for path in written:
            console.print(f"wrote {path}")


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
    stack_file: Path | None = None,
    cost_base: Path | None = None,
    charts_dir: Path | None = None,
) -> int:
    """Build and check `stacks`, write what was asked for, and return the exit status: a stack that
    failed to build (1) outranks a mandatory violation (3); an output that could not be written
    turns a clean run into a usage error (2)."""
    try:
        if json_path is not None:
            check_json_path(json_path)
        if reports:
            check_out_dir(out_dir)
    except OutputPathError as error:
        console.print(f"[red]✗[/] {escape(str(error))}", highlight=False)
        return EXIT_USAGE
    options = {
        "show_tree": show_tree,
        "project_dir": project_dir,
        "policy": policy,
        "stack_file": stack_file,
        "bases": load_base(cost_base) if cost_base else {},
        "charts_dir": charts_dir,
    }
    results = [_run_stack(s, console, policy_config=policy_config, **options) for s in stacks]
    statuses = {r.status for r in results}
    status = EXIT_FAILED if EXIT_FAILED in statuses else max(statuses, default=EXIT_OK)
    try:
        _write_outputs(results, console, json_path, reports, out_dir)
    except OutputPathError as error:
        console.print(f"[red]✗[/] {escape(str(error))}", highlight=False)
        status = status or EXIT_USAGE
    if len(results) > 1:
        for result in results:
            console.print(result.summary(), highlight=False)
    return status


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="groundwork preflight", description=__doc__.split("\n\n")[0])
    p.add_argument("stacks", nargs="*", help="stack names (Pulumi.<stack>.yaml in the project)")
    p.add_argument("--all", action="store_true", help="every stack that has a Pulumi.<stack>.yaml")
    p.add_argument(
        "--json",
        type=Path,
        metavar="FILE",
        help="write every captured resource as JSON, in a stable order (its directory must exist)",
    )
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
    p.add_argument(
        "--out",
        type=Path,
        default=Path("reports"),
        metavar="DIR",
        help="where --report files go (created if its parent exists)",
    )
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
        "--stack-file",
        type=Path,
        metavar="PATH",
        help="read the one stack's config from PATH instead of Pulumi.<stack>.yaml "
        "(e.g. examples/grimos/Pulumi.prod.yaml); the stack name still picks the environment",
    )
    p.add_argument(
        "--cost-base",
        type=Path,
        metavar="FILE",
        help="a --json capture (main's) to show the cost change against",
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
    if args.stack_file and (len(stacks) != 1 or args.all):
        console.print("--stack-file stands in for one stack's file; name exactly one stack")
        return EXIT_USAGE
    named = re.fullmatch(r"Pulumi\.(.+)\.ya?ml", args.stack_file.name) if args.stack_file else None
    if named and named.group(1) != stacks[0]:
        console.print(
            f"--stack-file {args.stack_file} is named for stack '{named.group(1)}', not '{stacks[0]}'"
        )
        return EXIT_USAGE
    unknown = [s for s in stacks if s not in known]
    if unknown:
        console.print(f"[red]✗[/] unknown stack(s) {', '.join(unknown)}; stacks here: {', '.join(known)}")
        return EXIT_USAGE
    with collector.tuned():
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
            stack_file=args.stack_file,
            cost_base=args.cost_base,
            charts_dir=args.charts,
        )


if __name__ == "__main__":
    sys.exit(main())
