"""`python -m stacks.preflight dev`."""

import sys

from stacks.preflight import collector

# Before the imports: loading the Pulumi SDKs is where most of the collector's passes would run.
collector.tune()

from stacks.preflight.cli import main  # noqa: E402

status = main()
collector.finish()
sys.exit(status)
