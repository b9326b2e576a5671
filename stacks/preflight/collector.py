"""How often Python's cyclic garbage collector runs during a preflight.

A preflight builds several hundred thousand objects that live until it exits: the classes of the
Pulumi SDKs it loads (pulumi_aws and pulumi_kubernetes define their resource types, argument and
output classes at import) and every resource's outputs and futures. With the default thresholds
(700, 10, 10) the collector runs about a thousand times and walks the whole growing heap in each of
its full passes, which costs a quarter of the CPU time of `preflight prod` and more of `--all`.
Preflight is a batch process, so it collects far less often, the way mypy does for the same reason:
the first generation at 200,000 allocations. Nothing is left uncollected; cycles wait longer, which
raises the peak memory of `--all` by about 10 MiB.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

THRESHOLDS = (200_000, 30, 30)


def tune() -> None:
    """Use preflight's thresholds for the rest of the process (the command's entry point)."""
    gc.set_threshold(*THRESHOLDS)


@contextmanager
def tuned() -> Iterator[None]:
    """Preflight's thresholds for one run inside a longer-lived process (tests), then the old ones."""
    previous = gc.get_threshold()
    gc.set_threshold(*THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*previous)
