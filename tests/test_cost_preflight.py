"""Preflight's cost and deploy-time output: `groundwork preflight prod` prints the monthly estimate
and the deploy critical path; `--cost-base` shows the change against a base capture; the Markdown
and JSON reports (the PR comment) carry both."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from policy.reports import write_reports
from stacks.config import load_stack
from stacks.preflight.capture import Capture
from stacks.preflight.cli import main
from stacks.preflight.cost import estimate_capture, summarize

NAT = "aws:ec2/natGateway:NatGateway"


@pytest.fixture(scope="module")
def prod_output(tmp_path_factory):
    import io

    from rich.console import Console

    from stacks.preflight.cli import run

    buffer = io.StringIO()
    out = tmp_path_factory.mktemp("reports")
    status = run(
        ["prod"], Console(file=buffer, width=200), show_tree=False, reports=("md", "json"), out_dir=out
    )
    return status, buffer.getvalue(), out


def without_one_nat(capture: Capture) -> Capture:
    nat = capture.of_type(NAT)[-1]
    return Capture(capture.stack, [r for r in capture.resources if r.urn != nat.urn], capture.outputs)


@pytest.fixture(scope="module")
def prod_total(captured) -> float:
    """preflight's estimate of the session's prod capture (the same program and stack file)."""
    return estimate_capture(captured("prod"), load_stack("prod")).total


def test_preflight_prod_prints_the_monthly_estimate_against_the_budget(prod_output, prod_total):
    status, text, _ = prod_output
    total = prod_total
    assert status == 0
    assert "prod: monthly estimate (eu-west-1" in text
    assert f"{total:,.2f}" in text and "within budget" in text


def test_preflight_prod_prints_the_deploy_critical_path(prod_output):
    _, text, _ = prod_output
    assert "deploy prod: pulumi up on an empty stack ~30.4 min" in text
    assert "critical path: prod-cluster-eks (12.5 min) → " in text


def test_the_markdown_report_shows_the_cost_of_each_stack(prod_output, prod_total):
    _, _, out = prod_output
    summary = (out / "policy-summary.md").read_text()
    assert "### Cost and deploy time" in summary
    assert f"| `prod` | ${prod_total:,.2f} |" in summary


def test_the_json_report_holds_the_estimate_lines_and_budget(prod_output, prod_total):
    _, _, out = prod_output
    cost = json.loads((out / "policy-prod.json").read_text())["cost"]["prod"]
    assert cost["budget"]["limitUsd"] == load_stack("prod").budget.limit_usd
    assert cost["monthlyUsd"] == round(prod_total, 2)
    assert {line["resource"] for line in cost["lines"]} >= {"prod-kafka-cluster", "prod-cluster-eks"}


def test_the_change_against_a_base_is_what_the_resources_changed(captured):
    capture = captured("prod")
    config = load_stack("prod")
    nat = capture.of_type(NAT)[-1]
    nat_cost = sum(x.monthly_usd for x in estimate_capture(capture, config).lines if x.urn == nat.urn)
    summary = summarize(capture, config, base=without_one_nat(capture))
    assert summary.change == pytest.approx(nat_cost)
    assert nat_cost > 35


def test_cost_base_reads_a_json_capture_and_reports_the_change(tmp_path, captured, capsys):
    base = tmp_path / "main.json"
    base.write_text(json.dumps({"stacks": [without_one_nat(captured("prod")).to_json()]}))
    assert main(["prod", "--no-tree", "--no-policy", "--cost-base", str(base)]) == 0
    assert "change" in capsys.readouterr().out


def test_a_base_report_row_shows_the_change(tmp_path, captured):
    capture = captured("prod")
    summary = summarize(capture, load_stack("prod"), base=without_one_nat(capture))
    from policy.analyzer import evaluate

    write_reports([evaluate(capture, "prod")], ["md"], tmp_path, costs=[summary])
    text = (tmp_path / "policy-prod.md").read_text()
    assert "change vs base" in text and "+$" in text


def test_an_unpriced_resource_is_printed_not_priced_at_zero(captured, capsys):
    from rich.console import Console

    from stacks.preflight.cost import print_cost

    capture = captured("dev")
    strange = replace(
        capture.resources[-1], urn=capture.resources[-1].urn + "-x", type="aws:redshift/cluster:Cluster"
    )
    summary = summarize(Capture("dev", [*capture.resources, strange], {}), load_stack("dev"))
    print_cost(summary, Console(width=200))
    assert "cannot price aws:redshift/cluster:Cluster" in capsys.readouterr().out
