"""policy/rules/stack/exemptions.py: STACK-POL-001 flags exemption tags that are stale, unreadable or
name no rule, even on a compliant resource, and stays silent on a current one, including one that
names a rule by its old id."""

from datetime import date, timedelta

import pytest

from policy.testing import evaluate_stack, rule_ids

FUTURE = (date.today() + timedelta(days=90)).isoformat()
PAST = (date.today() - timedelta(days=1)).isoformat()
REASON = "Vendor appliance subnet needs public IPs until INC-4711 is closed"
CURRENT = f"expires={FUTURE} approver=jane reason={REASON}"


def vpc_with_tags(tags):
    return [{"type": "aws:ec2/vpc:Vpc", "name": "vpc", "props": {"tags": tags}}]


@pytest.mark.parametrize(
    "tags,problem",
    [
        (
            {"groundwork.io/exempt-AWS-NET-999": f"expires={FUTURE} approver=jane reason={REASON}"},
            "not a rule",
        ),
        ({"groundwork.io/exempt-AWS-NET-007": f"expires={PAST} approver=jane reason={REASON}"}, "expired"),
        ({"groundwork.io/exempt-AWS-NET-007": "approved by jane"}, "unreadable"),
        ({"groundwork.io/exempt-AWS-NET-001": f"expires={FUTURE} approver=jane reason={REASON}"}, "critical"),
    ],
)
def test_stale_or_invalid_exemption_tags_are_flagged_even_on_a_compliant_resource(tags, problem):
    findings = [f for f in evaluate_stack(vpc_with_tags(tags)) if f.rule_id == "STACK-POL-001"]
    assert len(findings) == 1 and problem in findings[0].message


def test_a_current_exemption_tag_is_not_flagged():
    tags = {"groundwork.io/exempt-AWS-NET-007": f"expires={FUTURE} approver=jane reason={REASON}"}
    assert "STACK-POL-001" not in rule_ids(evaluate_stack(vpc_with_tags(tags)))


def test_a_current_exemption_tag_naming_an_old_id_is_not_flagged():
    tags = {"groundwork.io/exempt-AWS-EC-009": CURRENT}
    assert "STACK-POL-001" not in rule_ids(evaluate_stack(vpc_with_tags(tags)))


def test_the_old_id_stk_pol_001_configures_the_rule():
    tags = {"groundwork.io/exempt-AWS-NET-999": CURRENT}
    config = {"STK-POL-001": {"enforcementLevel": "disabled"}}
    assert "STACK-POL-001" not in rule_ids(evaluate_stack(vpc_with_tags(tags), config=config))
    assert "STACK-POL-001" in rule_ids(evaluate_stack(vpc_with_tags(tags)))
