"""WAFv2 rules: a web ACL carries the AWS managed groups and a rate rule, and logs its verdicts."""

from __future__ import annotations

from policy.framework import Resource, Stack, resource_rule, stack_rule
from policy.helpers import as_list, each, linked

WEB_ACL = "aws:wafv2/webAcl:WebAcl"
LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
REQUIRED_GROUPS = [
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesAmazonIpReputationList",
]


@resource_rule(
    id="AWS-WAF-001",
    title="Web ACLs carry the AWS managed rule groups and a rate-based rule",
    severity="high",
    resource_types=(WEB_ACL,),
    description="`rules` reference every AWS managed group of `requiredManagedGroups` (default: "
    "Common, KnownBadInputs, AmazonIpReputationList; vendor AWS) through "
    "`statement.managedRuleGroupStatement`, and one rule has a `statement.rateBasedStatement` "
    "whose action blocks. A group in count mode still counts as present (a rollout in progress).",
    rationale="The managed groups block the OWASP-style payloads, known exploit inputs (Log4Shell among "
    "them) and addresses Amazon's threat intelligence flags; without a rate rule one client can "
    "flood every app behind the load balancer.",
    remediation="Build the ACL with components.waf, which adds them all; tune count mode per group with "
    "`edge.waf.countRuleGroups`.",
    thresholds={"requiredManagedGroups": REQUIRED_GROUPS},
    tags=("fsbp:WAF.10",),
)
def web_acl_rules(r: Resource):
    rules = [rule for rule in as_list(r.get("rules")) if isinstance(rule, dict)]
    groups = {
        str((rule.get("statement") or {}).get("managedRuleGroupStatement", {}).get("name"))
        for rule in rules
        if ((rule.get("statement") or {}).get("managedRuleGroupStatement") or {}).get("vendorName") == "AWS"
    }
    for group in r.threshold("requiredManagedGroups", REQUIRED_GROUPS):
        if group not in groups:
            yield f"web ACL {r.name} lacks the AWS managed group {group}"
    rate_blocks = [
        rule
        for rule in rules
        if (rule.get("statement") or {}).get("rateBasedStatement") and "block" in (rule.get("action") or {})
    ]
    if not rate_blocks:
        yield f"web ACL {r.name} has no rate-based rule that blocks"


@stack_rule(
    id="AWS-WAF-002",
    title="Web ACLs log their requests, without credentials",
    severity="medium",
    description="Every `aws:wafv2/webAcl` has an `aws:wafv2/webAclLoggingConfiguration` (its "
    "`resourceArn` is the ACL) with a log destination, redacting the `authorization` and `cookie` "
    "headers (`redactedFields.singleHeader`).",
    rationale="Without logs nobody can tell a false positive from an attack or see what a rule in count "
    "mode would block; logging the Authorization and Cookie headers would copy every caller's "
    "credentials into the log group.",
    remediation="Build the ACL with components.waf, which logs to `aws-waf-logs-<name>` with both "
    "headers redacted.",
    tags=("fsbp:WAF.11", "checkov:CKV2_AWS_31"),
)
def web_acl_logging(stack: Stack):
    acls = stack.of_type(WEB_ACL)
    configs = stack.of_type(LOGGING)

    def check(acl: Resource):
        mine = [c for c in configs if acl in linked(c, "resourceArn", acls, keys=("arn",))]
        if not mine or not any(as_list(c.peek("logDestinationConfigs")) for c in mine):
            yield acl, f"web ACL {acl.name} has no logging configuration with a destination"
            return
        redacted = {
            str((field.get("singleHeader") or {}).get("name", "")).lower()
            for c in mine
            for field in as_list(c.peek("redactedFields"))
            if isinstance(field, dict)
        }
        missing = sorted({"authorization", "cookie"} - redacted)
        if missing:
            yield acl, f"web ACL {acl.name} logs the {', '.join(missing)} header(s) unredacted"

    yield from each(acls, check)
