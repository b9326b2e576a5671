"""policy/rules/aws/wafv2.py: each rule fires on a broken copy of a compliant web ACL (as components.waf
builds it) or its logging, and stays silent on the compliant original."""

import copy

import pytest

from tests.policy._cases import baseline_fired, fired, patched, replaced, res, stack_fired, without

WEB_ACL = "aws:wafv2/webAcl:WebAcl"
LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
ARN = "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/prod-waf/1"


def _group(name: str, priority: int, override: str = "none") -> dict:
    return {
        "name": name,
        "priority": priority,
        "overrideAction": {override: {}},
        "statement": {"managedRuleGroupStatement": {"name": name, "vendorName": "AWS"}},
    }


RATE = {
    "name": "rate-limit",
    "priority": 0,
    "action": {"block": {}},
    "statement": {"rateBasedStatement": {"limit": 2000, "aggregateKeyType": "IP"}},
}
RULES = [
    RATE,
    _group("AWSManagedRulesAmazonIpReputationList", 1),
    _group("AWSManagedRulesCommonRuleSet", 2),
    _group("AWSManagedRulesKnownBadInputsRuleSet", 3),
]
BASELINE = {
    "name": "prod-waf",
    "scope": "REGIONAL",
    "defaultAction": {"allow": {}},
    "rules": RULES,
    "arn": ARN,
}
REDACTED = [{"singleHeader": {"name": "authorization"}}, {"singleHeader": {"name": "cookie"}}]
STACK = [
    res(WEB_ACL, "prod-waf", BASELINE),
    res(
        LOGGING,
        "prod-waf-logging",
        {
            "resourceArn": ARN,
            "logDestinationConfigs": ["arn:aws:logs:eu-west-1:123456789012:log-group:aws-waf-logs-prod-waf"],
            "redactedFields": REDACTED,
        },
    ),
]


def _rules_without(name: str) -> list[dict]:
    return [r for r in copy.deepcopy(RULES) if r["name"] != name]


RESOURCE_CASES = [
    ("common-missing", _rules_without("AWSManagedRulesCommonRuleSet")),
    ("bad-inputs-missing", _rules_without("AWSManagedRulesKnownBadInputsRuleSet")),
    ("ip-reputation-missing", _rules_without("AWSManagedRulesAmazonIpReputationList")),
    ("no-rate-rule", _rules_without("rate-limit")),
    ("rate-rule-only-counts", [{**RATE, "action": {"count": {}}}, *RULES[1:]]),
]


@pytest.mark.parametrize("case, rules", RESOURCE_CASES, ids=[c[0] for c in RESOURCE_CASES])
def test_web_acl_rule_fires_on_a_broken_acl(case, rules):
    assert "AWS-WAF-001" in fired(WEB_ACL, patched(BASELINE, {"rules": rules}))


def test_web_acl_rule_is_silent_on_the_compliant_acl():
    assert "AWS-WAF-001" not in baseline_fired(WEB_ACL, BASELINE)


def test_a_group_in_count_mode_still_counts_as_present():
    counting = [RATE, *[_group(r["name"], r["priority"], "count") for r in RULES[1:]]]
    assert "AWS-WAF-001" not in fired(WEB_ACL, patched(BASELINE, {"rules": counting}))


def test_logging_rule_is_silent_on_the_compliant_stack():
    assert "AWS-WAF-002" not in stack_fired(STACK)


@pytest.mark.parametrize(
    "stack",
    [
        without(STACK, "prod-waf-logging"),
        replaced(STACK, "prod-waf-logging", {"logDestinationConfigs": []}),
        replaced(STACK, "prod-waf-logging", {"redactedFields": REDACTED[:1]}),
        replaced(
            STACK, "prod-waf-logging", {"resourceArn": "arn:aws:wafv2:eu-west-1:1:regional/webacl/other/2"}
        ),
    ],
    ids=["no-logging", "no-destination", "cookie-logged", "logs-another-acl"],
)
def test_logging_rule_fires_on_a_broken_stack(stack):
    assert "AWS-WAF-002" in stack_fired(stack)
