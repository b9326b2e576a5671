"""Config errors a human can act on: stack, key path, value given and what is allowed.

What the user wrote is shown escaped (quotes, control characters) and cut at 80 characters with
its length named, and never interpreted: the CLI prints these lines without markup, so a value
holding `[red]` shows as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from components._lib.args import SettingError

# Values are shown up to this many characters; issues alike but for a list index are shown this
# many times, then counted.
SHOWN_CHARACTERS = 80
SHOWN_ALIKE = 3
_INDEX = re.compile(r"\.\d+(?=\.|$)|\[\d+\]")

_MISSING = object()
# Stands in for a value that must not be echoed (a credential given in plain text).
HIDDEN = object()
# Stands in for structured config text too large or too deep to echo.
HIDDEN_JSON = object()


@dataclass(frozen=True)
class ConfigIssue:
    """One problem in one key of one stack's config."""

    path: str
    value: Any
    allowed: str

    def render(self, stack: str) -> str:
        return f"{stack}: {self.render_line()}"

    def render_line(self) -> str:
        return f"{_show_path(self.path)} = {_show(self.value)}: {self.allowed}"


class ConfigError(Exception):
    """Raised for any invalid stack config; its text lists every issue found, one per line."""

    def __init__(self, stack: str, issues: list[ConfigIssue]):
        self.stack = stack
        self.issues = issues
        lines = [f"{_show_path(stack)}: {line}" for line in collapse(issues)]
        super().__init__(f"invalid config for stack {_show(stack)}:\n  " + "\n  ".join(lines))


def _show_path(text: str) -> str:
    """A key path as it is, unless the user put control characters or a huge name in it."""
    if len(text) <= SHOWN_CHARACTERS and text.isprintable():
        return text
    return _show(text)


def _show(value: Any, limit: int = SHOWN_CHARACTERS) -> str:
    """The value as the user wrote it, quoted and escaped, cut at `limit` characters with the full
    length named: a 100 000-character value must not make a 100 kB error."""
    if value is _MISSING:
        return "(missing)"
    if value is HIDDEN:
        return "(plain text, not shown)"
    if value is HIDDEN_JSON:
        return "(JSON text, not shown)"
    shown = repr(value)
    if len(shown) <= limit:
        return shown
    if isinstance(value, str):
        return f"{value[:limit]!r}… ({len(value)} characters)"
    sized = isinstance(value, list | dict | tuple | set)
    return f"{shown[:limit]}… ({len(value) if sized else len(shown)} {'items' if sized else 'characters'})"


def collapse(issues: list[ConfigIssue]) -> list[str]:
    """One line per issue, except that issues differing only in a list index (a 10 000-item list of
    bad entries) are shown three times and then counted: "... and 9 997 more like it"."""
    groups: dict[tuple[str, str], list[ConfigIssue]] = {}
    for issue in issues:
        groups.setdefault((_INDEX.sub("[*]", issue.path), issue.allowed), []).append(issue)
    lines: list[str] = []
    for (path, allowed), alike in groups.items():
        lines.extend(issue.render_line() for issue in alike[:SHOWN_ALIKE])
        if len(alike) > SHOWN_ALIKE:
            more = f"{len(alike) - SHOWN_ALIKE:,}".replace(",", " ")
            lines.append(f"... and {more} more like it ({_show_path(path)}: {allowed})")
    return lines


def issues_from_validation(error: ValidationError, prefix: str = "") -> list[ConfigIssue]:
    """Translate pydantic's errors into key paths as they are written in Pulumi.<stack>.yaml."""
    issues = []
    for err in error.errors(include_url=False):
        # `[key]` marks an error in a mapping's key (apps.api.env.<KEY>): the key is the path's last part.
        loc = [str(part) for part in err["loc"] if not str(part).startswith("function-") and part != "[key]"]
        value = _MISSING if err["type"] == "missing" else err.get("input")
        message = err["msg"]
        setting = (err.get("ctx") or {}).get("error")
        if isinstance(setting, SettingError):
            # A model's own rule about one of its fields: name that field, its value, what is allowed.
            loc, value, message = [*loc, setting.field], setting.value, setting.allowed
        elif err["type"] == "missing":
            message = "is required"
        elif err["type"] == "extra_forbidden":
            message = "is not a known key (check the spelling; keys are camelCase)"
        elif message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        path = ".".join(([prefix] if prefix else []) + loc) or prefix or "(root)"
        issues.append(ConfigIssue(path=path, value=value, allowed=message))
    return issues
