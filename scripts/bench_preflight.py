"""Time `preflight --all` with the policy pack, the way CI runs it.

    python scripts/bench_preflight.py [--runs 5]

Reports the wall time of whole `python -m stacks.preflight --all --no-tree --report md --report json
--report sarif` processes (interpreter start, imports, every stack built on mocks, every resource
through pulumi_policy's analyzer, reports written), then an in-process split of capture versus
policy evaluation per stack. Kept as a script, not a test: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def whole_runs(runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as out:
            started = time.perf_counter()
            result = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "stacks.preflight",
                    "--all",
                    "--no-tree",
                    "--report",
                    "md",
                    "--report",
                    "json",
                    "--report",
                    "sarif",
                    "--out",
                    out,
                ],
                cwd=ROOT,
                capture_output=True,
                text=True,
            )
            times.append(time.perf_counter() - started)
            if result.returncode not in (0, 3):
                sys.exit(f"preflight failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return times


def split() -> list[tuple[str, int, float, float]]:
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
    args = parser.parse_args()
    times = whole_runs(args.runs)
    print(
        f"preflight --all with policies, {args.runs} runs: median {statistics.median(times):.2f}s, "
        f"min {min(times):.2f}s, max {max(times):.2f}s"
    )
    print(f"{'stack':<10}{'resources':>10}{'capture s':>12}{'policy s':>11}")
    for stack, count, capture_s, policy_s in split():
        print(f"{stack:<10}{count:>10}{capture_s:>12.3f}{policy_s:>11.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
