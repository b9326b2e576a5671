"""Config errors a human can act on: stack, key path, value given and what is allowed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from components._lib.args import SettingError


@dataclass(frozen=True)
class ConfigIssue:
    """One problem in one key of one stack's config."""

    path: str
    value: Any
    allowed: str

    def render(self, stack: str) -> str:
        return f"{stack}: {self.path} = {_show(self.value)}: {self.allowed}"


class ConfigError(Exception):
    """Raised for any invalid stack config; its text lists every issue found, one per line."""

    def __init__(self, stack: str, issues: list[ConfigIssue]):
        self.stack = stack
        self.issues = issues
        lines = [issue.render(stack) for issue in issues]
        super().__init__(f"invalid config for stack '{stack}':\n  " + "\n  ".join(lines))


_MISSING = object()
# Stands in for a value that must not be echoed (a credential given in plain text).
HIDDEN = object()


def _show(value: Any) -> str:
    if value is _MISSING:
        return "(missing)"
    if value is HIDDEN:
        return "(plain text, not shown)"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, dict) and len(str(value)) > 120:
        return "{...}"
    return repr(value)


def issues_from_validation(error: ValidationError, prefix: str = "") -> list[ConfigIssue]:
    """Translate pydantic's errors into key paths as they are written in Pulumi.<stack>.yaml."""
    issues = []
    for err in error.errors(include_url=False):
        loc = [str(part) for part in err["loc"] if not str(part).startswith("function-")]
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
