"""How often Python's cyclic garbage collector runs during a preflight.

A preflight builds several hundred thousand objects that live until it exits: the classes of the
Pulumi SDKs it loads (pulumi_aws and pulumi_kubernetes define their resource types, argument and
output classes at import) and every resource's outputs and futures. With the default thresholds
(700, 10, 10) the collector runs about a thousand times and walks the whole growing heap in each of
its full passes, which costs a quarter of the CPU time of `preflight prod` and more of `--all`.
Preflight is a batch process, so it collects far less often, the way mypy does for the same reason:
the first generation at 200,000 allocations. Nothing is left uncollected; cycles wait longer, which
raises the peak memory of `--all` by about 10 MiB.

At exit, the interpreter's own final collections walk that heap once more, which took a third of
the CPU time of a whole `preflight prod` process. The command's entry point freezes the heap just
before it exits (`finish`), so those collections skip it; the operating system reclaims the
memory, and everything preflight writes is closed by then.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

THRESHOLDS = (200_000, 30, 30)


def tune() -> None:
    """Use preflight's thresholds for the rest of the process (the command's entry point)."""
    gc.set_threshold(*THRESHOLDS)


def finish() -> None:
    """Right before the process exits: keep the interpreter's final collections off the heap."""
    gc.freeze()


@contextmanager
def tuned() -> Iterator[None]:
    """Preflight's thresholds for one run inside a longer-lived process (tests), then the old ones."""
    previous = gc.get_threshold()
    gc.set_threshold(*THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*previous)
