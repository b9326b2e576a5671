"""SARIF 2.1.0 for GitHub code scanning (github/codeql-action/upload-sarif).

One run per stack, categorised by `automationDetails.id` so each stack's alerts stay separate.
A result's location is the line of the program that created the resource (the source position the
SDK sent with its registration, recorded by preflight), so code scanning annotates the line a
reviewer must change; the stack's `Pulumi.<stack>.yaml`, whose values the program turned into that
resource, is a related location, linked from the message. A finding with no such line (a stack-wide
finding, a resource the SDK itself created) points at the stack file. Paths are relative to the
repository root under `%SRCROOT%`, which is how code scanning resolves them. The resource's URN is
the logical location. Mandatory violations are `error`, advisory ones `warning`, findings that could
not be decided at preview `note`; suppressed findings carry a SARIF `suppressions` entry with the
exemption's justification, approver and expiry.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from policy.analyzer import Finding, PolicyReport
from policy.framework import REGISTRY

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"
TOOL = "groundwork-policy"
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "2.0"}
DEFAULT_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}


def _level(finding: Finding) -> str:
    if finding.status == "indeterminate":
        return "note"
    return "error" if finding.enforcement == "mandatory" else "warning"


def _rule_descriptor(rule_id: str, finding: Finding) -> dict[str, Any]:
    rule = REGISTRY.get(rule_id)
    title = rule.title if rule else finding.title
    description = rule.description if rule else finding.title
    rationale = rule.rationale if rule else ""
    remediation = rule.remediation if rule else finding.remediation
    severity = rule.severity if rule else finding.severity
    tags = list(rule.tags) if rule else list(finding.tags)
    return {
        "id": rule_id,
        "name": "".join(w.capitalize() for w in rule_id.split("-")),
        "shortDescription": {"text": title},
        "fullDescription": {"text": description},
        "help": {
            "text": f"Why: {rationale}\nFix: {remediation}",
            "markdown": f"**Why it matters.** {rationale}\n\n**How to fix.** {remediation}",
        },
        "defaultConfiguration": {"level": DEFAULT_LEVEL.get(severity, "warning")},
        "properties": {
            "tags": ["security", "iac", *tags],
            "security-severity": SECURITY_SEVERITY.get(severity, "5.0"),
            "precision": "high",
            "problem.severity": "error" if severity in ("critical", "high") else "warning",
        },
    }


def _fingerprint(finding: Finding) -> str:
    return hashlib.sha256(f"{finding.rule_id}|{finding.urn}|{finding.message}".encode()).hexdigest()[:32]


def _physical(uri: str, line: int | None = None) -> dict[str, Any]:
    location: dict[str, Any] = {"artifactLocation": {"uri": uri, "uriBaseId": SRCROOT}}
    if line:
        location["region"] = {"startLine": line}
    return location


def _locations(finding: Finding, stack: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The primary location (the program line, else the stack file) and the related ones."""
    stack_file = f"Pulumi.{stack}.yaml"
    logical = [
        {"name": finding.resource_name, "fullyQualifiedName": finding.urn or stack, "kind": "resource"}
    ]
    source = finding.source
    if not source:
        return {"physicalLocation": _physical(stack_file, 1), "logicalLocations": logical}, []
    primary = {"physicalLocation": _physical(source["uri"], source["line"]), "logicalLocations": logical}
    related = {
        "id": 1,
        "physicalLocation": _physical(stack_file),
        "message": {"text": f"the {stack} stack's config"},
    }
    return primary, [related]


def _result(finding: Finding, index: int, stack: str) -> dict[str, Any]:
    primary, related = _locations(finding, stack)
    text = f"{finding.message} — fix: {finding.remediation}" if finding.remediation else finding.message
    if related:
        text += f" (stack config: [Pulumi.{stack}.yaml](1))"
    result: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": index,
        "level": _level(finding),
        "message": {"text": text},
        "locations": [primary],
        "partialFingerprints": {"groundworkFinding/v1": _fingerprint(finding)},
        "properties": {
            "severity": finding.severity,
            "enforcement": finding.enforcement,
            "status": finding.status,
            "resourceType": finding.resource_type,
        },
    }
    if related:
        result["relatedLocations"] = related
    if finding.suppressed and finding.exemption:
        ex = finding.exemption
        result["suppressions"] = [
            {
                "kind": "external",
                "status": "accepted",
                "justification": ex.get("reason", ""),
                "properties": {
                    "approver": ex.get("approver", ""),
                    "expires": ex.get("expires", ""),
                    "source": ex.get("source", ""),
                },
            }
        ]
    return result


def _run(report: PolicyReport) -> dict[str, Any]:
    rule_ids = sorted({f.rule_id for f in report.findings})
    by_id = {f.rule_id: f for f in report.findings}
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    return {
        "tool": {
            "driver": {
                "name": TOOL,
                "version": report.pack_version,
                "semanticVersion": report.pack_version,
                "rules": [_rule_descriptor(r, by_id[r]) for r in rule_ids],
            }
        },
        "automationDetails": {"id": f"{TOOL}/{report.stack}/"},
        "originalUriBaseIds": {
            SRCROOT: {"description": {"text": "The repository root: the directory that holds Pulumi.yaml."}}
        },
        "results": [_result(f, index[f.rule_id], report.stack) for f in report.findings],
        "properties": {
            "stack": report.stack,
            "environment": report.environment,
            "passed": report.passed,
            "resourcesEvaluated": report.resources_evaluated,
            "policiesEvaluated": report.policies_evaluated,
        },
    }


def render(reports: Sequence[PolicyReport]) -> str:
    return (
        json.dumps({"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [_run(r) for r in reports]}, indent=2)
        + "\n"
    )
