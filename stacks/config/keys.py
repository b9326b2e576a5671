"""Every key of a stack's config accounted for: ours, the one AWS key we read, or an error.

Pulumi hands a program every key of its stack file, whatever the namespace. A key the program does
not read is a setting the user believes in and the platform ignores: `groundwrok:network`,
`Groundwork:kafka` or `aws:regoin` would leave the stack on its defaults with exit 0. So a key is
either read by Groundwork or refused with the closest known key as a suggestion.

Not read on purpose: `aws:*` provider settings other than the region. The program builds an
explicit provider (region and default tags from this config), and an explicit provider ignores the
`aws:` namespace, so `aws:profile` in a stack file would silently do nothing; credentials come from
the environment (AWS_PROFILE, the CI's OIDC role).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from typing import Any

from stacks.config.errors import ConfigIssue

NAMESPACE = "groundwork"
# Keys outside our namespace that the program reads, and the StackConfig field each fills.
FOREIGN_KEYS = {"aws:region": "region"}
# The engine's own namespace: settings for the Pulumi CLI, never for the program.
ENGINE_NAMESPACE = "pulumi"


def unknown_keys(raw: Mapping[str, Any], known_names: Iterable[str]) -> list[ConfigIssue]:
    """Keys the program would not read. `known_names`: the names allowed after `groundwork:`."""
    names = sorted(set(known_names))
    known_full = [f"{NAMESPACE}:{name}" for name in names] + sorted(FOREIGN_KEYS)
    issues: list[ConfigIssue] = []
    for key in raw:
        if not isinstance(key, str):
            issues.append(ConfigIssue(str(key), key, "is not a text key; config keys are namespace:name"))
            continue
        namespace, colon, name = key.partition(":")
        if key in FOREIGN_KEYS or namespace == ENGINE_NAMESPACE:
            continue
        if namespace == NAMESPACE and name in names:
            continue
        issues.append(ConfigIssue(key, _Key(), _why_unknown(key, namespace, colon, name, names, known_full)))
    return issues


def _why_unknown(
    key: str, namespace: str, colon: str, name: str, names: list[str], known_full: list[str]
) -> str:
    if not colon:
        allowed = f"write it as `{NAMESPACE}:{key}`" if key in names else "config keys are namespace:name"
        return f"has no namespace; {allowed}{_suggest(f'{NAMESPACE}:{key}', known_full)}"
    if namespace == "aws":
        return (
            "is not read: the program's explicit AWS provider takes only `aws:region` from config "
            f"(credentials come from the environment){_suggest(key, known_full)}"
        )
    if namespace == NAMESPACE:
        return f"is not a Groundwork setting{_suggest(key, known_full)}"
    return (
        f"is in namespace {namespace!r}, which this program does not read (only `{NAMESPACE}:` and "
        f"`aws:region`){_suggest(key, known_full)}"
    )


def _suggest(key: str, known_full: list[str]) -> str:
    by_lower = {k.lower(): k for k in known_full}
    if key.lower() in by_lower:
        return f"; did you mean `{by_lower[key.lower()]}` (keys are case-sensitive)?"
    close = difflib.get_close_matches(key.lower(), list(by_lower), n=1, cutoff=0.75)
    return f"; did you mean `{by_lower[close[0]]}`?" if close else ""


class _Key:
    """Stands for 'the key itself' where the value is beside the point."""

    def __repr__(self) -> str:
        return "(key)"


# Every physical name (RDS identifiers, ElastiCache ids, S3 buckets, IAM roles, Helm releases,
# Kubernetes objects) starts with the stack name. Lowercase letters, digits and single inner hyphens
# is what all of them accept, and 12 characters keeps the longest derived name (a Helm release of
# 53 characters at most, an autonamed IAM role of 64) in bounds: tests/test_physical_names.py builds
# prod and local under the longest and oddest such name and checks every name against its limit.
STACK_NAME_MAX = 12
_STACK_NAME = re.compile(rf"[a-z](?:[a-z0-9]|-(?=[a-z0-9])){{0,{STACK_NAME_MAX - 1}}}")


def stack_name_issue(stack: str) -> ConfigIssue | None:
    if _STACK_NAME.fullmatch(stack):
        return None
    return ConfigIssue(
        "stack",
        stack,
        f"a stack name is 1 to {STACK_NAME_MAX} characters: a lowercase letter first, then lowercase "
        "letters, digits and single hyphens, not ending in one (every AWS and Kubernetes name of the "
        "stack starts with it)",
    )
