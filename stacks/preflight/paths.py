"""Where preflight writes (`--json FILE`, `--out DIR`), checked before any stack is built.

A path that cannot be written is a one-line error naming the option, the path and why, given before
the minutes a run takes rather than after. `--json` never creates directories: a typo in its path
must not leave a tree of new directories behind. `--out` creates its own directory (the default,
`reports`, usually does not exist yet) but not the directories above it.
"""

from __future__ import annotations

import os
from pathlib import Path


class OutputPathError(Exception):
    """A path given for preflight's output that it cannot write; the message is one line."""


def _writable_dir(directory: Path) -> str | None:
    """Why files cannot be created in `directory`, or None when they can."""
    if not directory.exists():
        return f"directory {directory} does not exist"
    if not directory.is_dir():
        return f"{directory} is not a directory"
    if not os.access(directory, os.W_OK | os.X_OK):
        return f"directory {directory} is not writable"
    return None


def check_json_path(path: Path) -> None:
    """`--json FILE`: a file (new or existing) in a directory that exists and is writable."""
    if path.is_dir():
        raise OutputPathError(f"--json {path}: is a directory; name the file to write")
    problem = _writable_dir(path.parent)
    if problem is None and path.exists() and not os.access(path, os.W_OK):
        problem = "the file is not writable"
    if problem:
        raise OutputPathError(f"--json {path}: {problem}")


def check_out_dir(path: Path) -> None:
    """`--out DIR`: a writable directory, or one preflight can create in a writable parent."""
    if path.exists():
        problem = _writable_dir(path)
    else:
        parent = _writable_dir(path.parent)
        problem = f"cannot create it: {parent}" if parent else None
    if problem:
        raise OutputPathError(f"--out {path}: {problem}")


def write_error(option: str, path: Path, error: OSError) -> OutputPathError:
    """A failed write (a full disk, a file that turned up as a directory) as a one-line error."""
    target = Path(error.filename).name if error.filename else path.name
    return OutputPathError(f"{option} {path}: cannot write {target}: {error.strerror or error}")
