"""Time preflight the way CI runs it, alone or against another checkout.

    python scripts/bench_preflight.py [--runs 5]
    python scripts/bench_preflight.py --vs ../other-checkout [--runs 5]

Times whole `python -m stacks.preflight` processes (interpreter start, imports, every stack built on
mocks, every resource through pulumi_policy's analyzer, reports written) for two commands:
`prod --no-tree` and `--all --no-tree --report md --report json --report sarif`. Each process's wall
time and CPU time (user + system, from the OS's accounting of the finished child) are recorded.

With `--vs CHECKOUT`, each command runs in this checkout (A) and in CHECKOUT (B) in turn, A B A B,
with this interpreter, and the A/B ratio is taken pair by pair, so a machine whose speed drifts
during the runs still gives a fair ratio; the medians are printed. Without it, the script then
splits capture from policy evaluation per stack, in process. Kept as a script, not a test: timings
depend on the machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = {
    "preflight prod": ["prod", "--no-tree"],
    "preflight --all": ["--all", "--no-tree", "--report", "md", "--report", "json", "--report", "sarif"],
}


@dataclass(frozen=True)
class Timing:
    wall: float
    cpu: float


def timed_run(checkout: Path, args: list[str]) -> Timing:
    """One whole preflight process in `checkout` (its own code first on sys.path, as `-m` puts the
    working directory there)."""
    with tempfile.TemporaryDirectory() as out:
        extra = ["--out", out] if "--report" in args else []
        before = os.times()
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "stacks.preflight", *args, *extra],
            cwd=checkout,
            capture_output=True,
            text=True,
        )
        wall = time.perf_counter() - started
        after = os.times()
    if result.returncode not in (0, 3):
        sys.exit(f"preflight failed in {checkout} ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return Timing(wall, cpu)


def _spread(values: list[float]) -> str:
    return f"median {statistics.median(values):6.2f}  (min {min(values):.2f}, max {max(values):.2f})"


def compare(other: Path, runs: int) -> None:
    for label, args in COMMANDS.items():
        timed_run(ROOT, args)  # one warm-up each: the page cache, not the code, is what it warms
        timed_run(other, args)
        pairs = [(timed_run(ROOT, args), timed_run(other, args)) for _ in range(runs)]
        print(f"{label}, {runs} pairs (A: {ROOT}, B: {other})")
        for kind in ("wall", "cpu"):
            a = [getattr(p[0], kind) for p in pairs]
            b = [getattr(p[1], kind) for p in pairs]
            ratios = [x / y for x, y in zip(a, b, strict=True)]
            print(f"  {kind:<4} A {_spread(a)} s")
            print(f"  {kind:<4} B {_spread(b)} s")
            low, high = min(ratios), max(ratios)
            print(f"  {kind:<4} A/B median {statistics.median(ratios):.3f} (min {low:.3f}, max {high:.3f})")


def alone(runs: int) -> None:
    for label, args in COMMANDS.items():
        timings = [timed_run(ROOT, args) for _ in range(runs)]
        print(f"{label}, {runs} runs: wall {_spread([t.wall for t in timings])} s")
        print(f"{' ' * len(label)}          cpu  {_spread([t.cpu for t in timings])} s")
    print(f"{'stack':<10}{'resources':>10}{'capture s':>12}{'policy s':>11}")
    for stack, count, capture_s, policy_s in split():
        print(f"{stack:<10}{count:>10}{capture_s:>12.3f}{policy_s:>11.3f}")


def split() -> list[tuple[str, int, float, float]]:
    """Capture versus policy time per stack, in this process (the first stack also pays the
    lazy imports of the SDK modules the program uses)."""
    sys.path.insert(0, str(ROOT))
    from policy.analyzer import evaluate
    from policy.preflight import environment_for
    from stacks.config import stack_names
    from stacks.preflight.runner import capture_stack

    rows = []
    for stack in stack_names(ROOT):
        started = time.perf_counter()
        capture = capture_stack(stack, ROOT)
        captured = time.perf_counter()
        report = evaluate(capture, environment_for(stack))
        rows.append((stack, len(capture.resources), captured - started, time.perf_counter() - captured))
        assert report.policies_evaluated > 0
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--vs", type=Path, metavar="CHECKOUT", help="another checkout to time against this one"
    )
    args = parser.parse_args()
    if args.vs is not None:
        other = args.vs.resolve()
        if not (other / "stacks" / "preflight" / "__main__.py").is_file():
            sys.exit(f"--vs {args.vs}: not a Groundwork checkout (no stacks/preflight/__main__.py)")
        compare(other, args.runs)
    else:
        alone(args.runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
