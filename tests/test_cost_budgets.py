"""Budgets: every AWS stack's estimate is within its budget, and whatever it needs above the plan's
figure is a named delta with its reason; the AWS Budget the stack creates is that same figure; the
pack's budget rule resolves the same usage assumptions as the stack; bad budget config is refused."""

from __future__ import annotations

import json

import pytest

from policy.cost.assumptions import for_environment
from policy.envconfig import path_for
from stacks.config import ConfigError, load_stack, parse_stack_config, read_stack_file
from stacks.preflight.cost import estimate_capture
from tests.conftest import STACKS

AWS_STACKS = [s for s in STACKS if s != "local"]
PLAN = {"dev": 70, "qa": 70, "staging": 230, "prod": 890}


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_the_estimate_is_within_the_stacks_budget(captured, stack):
    config = load_stack(stack)
    assert estimate_capture(captured(stack), config).total <= config.budget.limit_usd


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_the_plans_budget_is_the_profiles_and_any_excess_is_a_named_delta(captured, stack):
    config = load_stack(stack)
    assert config.budget.monthly_usd == PLAN[stack]
    if estimate_capture(captured(stack), config).total > PLAN[stack]:
        assert config.budget.deltas, f"{stack} is over its plan without a named delta"
    assert all(len(d.reason) >= 40 for d in config.budget.deltas.values())


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_the_aws_budget_is_the_plan_plus_the_deltas(captured, stack):
    (budget,) = captured(stack).of_type("aws:budgets/budget:Budget")
    assert float(budget.props["limitAmount"]) == load_stack(stack).budget.limit_usd


@pytest.mark.parametrize("stack", STACKS)
def test_the_pack_resolves_the_stacks_own_usage_assumptions(stack):
    """The budget rule sees the environment's profile plus its policy config's `assumptions`; a stack
    file that overrides `groundwork:cost` must repeat the override there."""
    entry = json.loads(path_for(stack).read_text())["AWS-COST-001"]
    assert for_environment(stack, entry.get("assumptions", {})) == load_stack(stack).cost


def _with_budget(stack: str, budget: dict) -> dict:
    raw = read_stack_file(stack)
    raw["groundwork:budget"] = budget
    return raw


def test_deltas_without_a_plan_budget_are_refused():
    raw = _with_budget("local", {"deltas": {"eksControlPlane": {"monthlyUsd": 5, "reason": "x" * 40}}})
    with pytest.raises(ConfigError, match=r"budget\.deltas .*needs budget\.monthlyUsd"):
        parse_stack_config("local", raw)


def test_a_delta_needs_a_reason_a_reviewer_can_read():
    raw = _with_budget("dev", {"deltas": {"eksControlPlane": {"monthlyUsd": 75, "reason": "EKS"}}})
    with pytest.raises(ConfigError, match=r"budget\.deltas\.eksControlPlane\.reason"):
        parse_stack_config("dev", raw)


def test_a_delta_name_is_a_short_camel_case_word():
    raw = _with_budget("dev", {"deltas": {"Big Spend!": {"monthlyUsd": 75, "reason": "r" * 40}}})
    with pytest.raises(ConfigError, match="delta names are short camelCase words"):
        parse_stack_config("dev", raw)


def test_the_old_alarm_budget_key_is_gone():
    raw = read_stack_file("dev")
    raw["groundwork:monitoring"] = {"alarms": {"monthlyBudgetUsd": 70}}
    with pytest.raises(ConfigError, match=r"monitoring\.alarms\.monthlyBudgetUsd"):
        parse_stack_config("dev", raw)


def test_a_usage_assumption_out_of_bounds_names_its_key():
    raw = read_stack_file("dev")
    raw["groundwork:cost"] = {"spotDiscountPercent": 95}
    with pytest.raises(ConfigError, match=r"cost\.spotDiscountPercent"):
        parse_stack_config("dev", raw)
