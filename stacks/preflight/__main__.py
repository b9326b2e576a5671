"""`python -m stacks.preflight dev`."""

import sys

from stacks.preflight.cli import main

sys.exit(main())
