"""The `groundwork` command: `groundwork preflight <stack>|--all`."""

from __future__ import annotations

import sys

from stacks.preflight import cli as preflight


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: groundwork preflight [STACK ...] [--all] [--json FILE] [--no-tree]")
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    if command == "preflight":
        return preflight.main(rest)
    print(f"unknown command {command!r}; try: groundwork preflight dev")
    return 2


if __name__ == "__main__":
    sys.exit(main())
