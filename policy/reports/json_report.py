"""The machine-readable report: every finding with its rule, resource, status and exemption."""

from __future__ import annotations

import json
from collections.abc import Sequence

from policy.analyzer import PolicyReport
from policy.cost.summary import CostSummary, json_section

SCHEMA_VERSION = 1


def render(reports: Sequence[PolicyReport], costs: Sequence[CostSummary] = ()) -> str:
    body = {
        "schemaVersion": SCHEMA_VERSION,
        "passed": all(r.passed for r in reports),
        "stacks": [r.to_json() for r in reports],
        "rules": {k: v for r in reports for k, v in sorted(r.rules.items())},
    }
    if costs:
        body["cost"] = json_section(costs)
    return json.dumps(body, indent=2, sort_keys=False) + "\n"
