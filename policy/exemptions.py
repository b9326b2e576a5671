"""Accountable exemptions: a named rule, a resource, a reason, an approver and an expiry date.

Pulumi's policy engine has no suppressions, so the pack implements them itself, inside each rule's
validate callback (policy.framework), which means the Pulumi CLI honours them exactly as preflight
does. An exemption comes from one of two places:

* policy config, under the rule it exempts::

    "AWS-VPC-004": {"enforcementLevel": "mandatory", "environment": "prod",
                     "exemptions": [{"resource": "legacy-*", "reason": "Vendor appliance needs SSH; INC-4711",
                                     "approver": "jane.doe@example.com", "expires": "2026-12-31"}]}

  `resource` is an fnmatch pattern matched against the resource's name and its URN; a finding of a
  stack rule that names no resource matches only the pattern "*".

* the resource itself: an AWS tag or a Kubernetes annotation named `groundwork.io/exempt-<RULE-ID>`
  whose value is `expires=YYYY-MM-DD approver=<who> reason=<free text to the end>` (only characters
  AWS allows in tag values: letters, digits, spaces and `_ . : / = + - @`).

Either place may name the rule by one of its old ids (`Rule.aliases`): the config entry is merged
into the rule's own before the rule runs (policy.framework.fold_aliases), and a tag or annotation
naming an old id exempts the rule it names now.

An exemption is honoured only while it is valid: a reason of at least 20 characters, an approver,
an expiry date that has not passed (it is valid through that day, UTC), and never for a critical
rule in prod. A suppressed violation is still reported, by the advisory policy GW-EXEMPT-001/002,
with the exemption's reason, approver and expiry; a violation whose exemption is not honoured is
reported against its rule with the reason it was not honoured, so an expired exemption is a
violation again.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from fnmatch import fnmatchcase
from typing import Any, Protocol


class Judged(Protocol):
    """What the exemption check needs of a rule (policy.framework.Rule has it)."""

    id: str
    aliases: tuple[str, ...]
    severity: str


class Subject(Protocol):
    """What the exemption check needs of a resource (policy.framework.Resource has it)."""

    name: str
    urn: str

    @property
    def tags(self) -> dict: ...

    @property
    def annotations(self) -> dict: ...


TAG_PREFIX = "groundwork.io/exempt-"
MIN_REASON = 20
EXEMPTION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["resource", "reason", "approver", "expires"],
    "properties": {
        "resource": {
            "type": "string",
            "minLength": 1,
            "description": "fnmatch pattern over the resource's name or URN",
        },
        "reason": {"type": "string", "minLength": MIN_REASON},
        "approver": {"type": "string", "minLength": 1},
        "expires": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
    },
}
_TAG_VALUE = re.compile(r"^\s*expires=(?P<expires>\S+)\s+approver=(?P<approver>\S+)\s+reason=(?P<reason>.*)$")
SUPPRESSED = re.compile(
    r"^(?P<rule>[A-Z0-9-]+) suppressed: (?P<message>.*) "
    r"\(exemption from (?P<source>[^:]+): "
    r"\"(?P<reason>.*)\", approved by (?P<approver>.*), expires (?P<expires>[\d-]+)\)$",
    re.DOTALL,
)


@dataclass(frozen=True)
class Exemption:
    rule_id: str
    resource: str
    reason: str
    approver: str
    expires: str
    source: str  # "policy config" or "tag groundwork.io/exempt-<id>"

    def problem(self, rule: Judged, environment: str, today: date) -> str | None:
        """Why this exemption cannot be honoured, or None when it can."""
        if len(self.reason.strip()) < MIN_REASON:
            return f"its reason is shorter than {MIN_REASON} characters"
        if not self.approver.strip():
            return "it names no approver"
        try:
            expires = date.fromisoformat(self.expires)
        except ValueError:
            return f"its expiry {self.expires!r} is not a YYYY-MM-DD date"
        if expires < today:
            return f"it expired on {self.expires}"
        if rule.severity == "critical" and environment == "prod":
            return "critical rules cannot be exempted in prod"
        return None


@dataclass(frozen=True)
class Verdict:
    suppressed: bool
    message: str
    exemption: Exemption | None = None


def today_utc() -> date:
    return datetime.now(UTC).date()


def _from_config(rule: Judged, resource: Subject | None, config: Mapping[str, Any]) -> list[Exemption]:
    found = []
    for entry in config.get("exemptions") or []:
        pattern = str(entry.get("resource", ""))
        subjects = (resource.name, resource.urn) if resource is not None else ()
        if (pattern == "*" and resource is None) or any(fnmatchcase(s, pattern) for s in subjects):
            found.append(
                Exemption(
                    rule.id,
                    pattern,
                    str(entry.get("reason", "")),
                    str(entry.get("approver", "")),
                    str(entry.get("expires", "")),
                    "policy config",
                )
            )
    return found


def on_resource(resource: Subject) -> list[Exemption]:
    """Every exemption a resource carries in its tags or annotations, for any rule id (as written:
    a rule's old id stays an old id here; `exemptions_for` matches it to the rule)."""
    found = []
    places = (("tag", _safe(lambda: resource.tags)), ("annotation", _safe(lambda: resource.annotations)))
    for where, values in places:
        if not isinstance(values, Mapping):
            continue
        for key, value in values.items():
            if not (isinstance(key, str) and key.startswith(TAG_PREFIX) and isinstance(value, str)):
                continue
            rule_id, source = key[len(TAG_PREFIX) :], f"{where} {key}"
            match = _TAG_VALUE.match(value)
            if match:
                found.append(
                    Exemption(
                        rule_id,
                        resource.name,
                        match["reason"].strip(),
                        match["approver"],
                        match["expires"],
                        source,
                    )
                )
            else:
                found.append(
                    Exemption(
                        rule_id,
                        resource.name,
                        "",
                        "",
                        "",
                        f"{source} (unreadable: expected 'expires=YYYY-MM-DD approver=<who> reason=<text>')",
                    )
                )
    return found


def _from_resource(rule: Judged, resource: Subject | None) -> list[Exemption]:
    if resource is None:
        return []
    names = {rule.id, *rule.aliases}
    return [e for e in on_resource(resource) if e.rule_id in names]


def _safe(read: Any) -> Any:
    try:
        return read()
    except Exception:  # an unknown tag map at preview: no exemption can be read from it
        return {}


def exemptions_for(rule: Judged, resource: Subject | None, config: Mapping[str, Any]) -> list[Exemption]:
    """The exemptions that name `rule` (by its id or an old id) and match `resource`. Config
    exemptions are the ones in the rule's own policy config entry; the framework has already merged
    an entry written under an old id into it (policy.framework.PackServicer)."""
    return _from_config(rule, resource, config) + _from_resource(rule, resource)


def judge(
    rule: Judged,
    resource: Subject | None,
    message: str,
    config: Mapping[str, Any],
    environment: str,
    today: date | None = None,
) -> Verdict:
    """Decide whether one violation of `rule` in `environment` is suppressed, and word what gets
    reported."""
    day = today or today_utc()
    problems = []
    for exemption in exemptions_for(rule, resource, config):
        problem = exemption.problem(rule, environment, day)
        if problem is None:
            return Verdict(True, suppressed_message(rule.id, message, exemption), exemption)
        problems.append(f"exemption from {exemption.source} not honoured: {problem}")
    if problems:
        return Verdict(False, f"{message} [{'; '.join(problems)}]")
    return Verdict(False, message)


def suppressed_message(rule_id: str, message: str, exemption: Exemption) -> str:
    return (
        f'{rule_id} suppressed: {message} (exemption from {exemption.source}: "{exemption.reason}", '
        f"approved by {exemption.approver}, expires {exemption.expires})"
    )


def parse_suppressed(text: str) -> dict[str, str] | None:
    """The parts of a GW-EXEMPT message: rule, message, source, reason, approver, expires."""
    match = SUPPRESSED.match(text)
    return match.groupdict() if match else None
