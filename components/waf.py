"""The public load balancer's web firewall: one regional WAFv2 web ACL per stack, and its logs.

The ACL allows by default and blocks what its rules match, in this order (cheapest first, so a flood
is shed before the costlier managed groups inspect it):

0. `rate-limit`: a rate-based rule blocking a client IP above `rateLimit` requests per 5 minutes;
1. AWS managed groups: the Amazon IP reputation list, the core rule set (`Common`), known bad inputs
   and, when a public app uses PostgreSQL, the SQL injection set. Their capacity (25 + 700 + 200 +
   200 WCU, plus 2 for the rate rule) stays under the 1,500 WCU a web ACL includes in its price.

`countRuleGroups` switches a managed group to count mode (`override_action.count`): it labels and logs
what it would block without blocking, for a safe rollout of a new app or group; prod counts nothing.

Every request's verdict goes to a CloudWatch log group named `aws-waf-logs-<name>` (WAF accepts only
destinations with that prefix), encrypted with the stack's KMS key (whose policy lets CloudWatch Logs
of the region use it, components.kms), with a retention. The Authorization and Cookie headers are
redacted: they carry credentials and session tokens, which a log reader must never see.

CloudWatch Logs accepts WAF's records only under a resource policy letting the log delivery service
(`delivery.logs.amazonaws.com`) create streams and put events in the group. Left alone, WAF writes
that policy itself at PutLoggingConfiguration, which needs the deployer to hold
`logs:PutResourcePolicy` and leaves a resource outside the program; here it is declared
(`log_delivery_policy`, the document AWS documents for vended logs sent to CloudWatch Logs, scoped
to this one group and to the account's own delivery) and the logging configuration waits for it.
Such account-level policies are limited to 10 per region for the whole account, so each stack owns
exactly one, named after its ACL (`<name>-log-delivery`).

The ACL is attached by the AWS Load Balancer Controller, not here: the load balancer is the
controller's, so the public Ingresses carry the ACL's ARN (components.edge).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Literal

import pulumi
import pulumi_aws as aws
from pydantic import Field, field_validator

from components._lib.addon_policies import CLUSTER_TAG
from components._lib.args import ComponentArgs, Input
from components._lib.fields import LogRetentionDays
from components.tagging import component_tags

RuleGroup = Literal["ipReputation", "common", "knownBadInputs", "sqlInjection"]
# The AWS managed rule groups by their config key: (priority, the group's name, vendor AWS).
MANAGED_GROUPS: dict[str, tuple[int, str]] = {
    "ipReputation": (1, "AWSManagedRulesAmazonIpReputationList"),
    "common": (2, "AWSManagedRulesCommonRuleSet"),
    "knownBadInputs": (3, "AWSManagedRulesKnownBadInputsRuleSet"),
    "sqlInjection": (4, "AWSManagedRulesSQLiRuleSet"),
}
RATE_RULE = "rate-limit"
REDACTED_HEADERS = ("authorization", "cookie")
LOG_GROUP_PREFIX = "aws-waf-logs-"
LOG_DELIVERY_PRINCIPAL = "delivery.logs.amazonaws.com"


class WafSettings(ComponentArgs):
    """`groundwork:edge.waf`: the public load balancer's web ACL."""

    rate_limit: int = Field(
        default=2000,
        ge=10,
        le=2_000_000_000,
        description="Requests one client IP may send in 5 minutes before the rate rule blocks it "
        "(WAF accepts 10 to 2,000,000,000).",
    )
    count_rule_groups: tuple[RuleGroup, ...] = Field(
        default=(),
        max_length=4,
        description="Managed rule groups that only count (label and log) instead of blocking, for a safe "
        "rollout: ipReputation, common, knownBadInputs, sqlInjection. Defaults to none (all block).",
    )
    log_retention_days: LogRetentionDays = Field(
        default=365, description="How long the web ACL's request log is kept."
    )

    @field_validator("count_rule_groups")
    @classmethod
    def _once(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(value)) != len(value):
            raise ValueError("each rule group at most once")
        return value


class WebAclArgs(ComponentArgs):
    """The settings plus what the stack derives: whether SQL injection rules apply, key and tags."""

    settings: WafSettings = Field(default_factory=WafSettings, description="What the stack decides.")
    sql_injection: bool = Field(
        default=True,
        description="Add the SQL injection group (a public app uses PostgreSQL); on unless the stack knows "
        "no public app talks to a SQL database.",
    )
    kms_key_arn: Input[str] = Field(exclude=True, description="Encrypts the request log.")
    controller_cluster: Input[str] | None = Field(
        default=None,
        exclude=True,
        description="The cluster whose Load Balancer Controller attaches the ACL: its `elbv2.k8s.aws/"
        "cluster` tag, the only web ACLs that controller's policy lets it associate.",
    )
    protect: bool = Field(default=True, description="Pulumi refuses to delete the request log.")
    tags: Mapping[str, str] = Field(default_factory=dict, description="The stack's tags.")


def _visibility(metric: str) -> dict:
    return {"cloudwatch_metrics_enabled": True, "metric_name": metric, "sampled_requests_enabled": True}


def web_acl_rules(args: WebAclArgs) -> list[aws.wafv2.WebAclRuleArgs]:
    """The rate rule, then each managed group in count or block (`none` override) mode."""
    rules = [
        aws.wafv2.WebAclRuleArgs(
            name=RATE_RULE,
            priority=0,
            action=aws.wafv2.WebAclRuleActionArgs(block=aws.wafv2.WebAclRuleActionBlockArgs()),
            statement=aws.wafv2.WebAclRuleStatementArgs(
                rate_based_statement=aws.wafv2.WebAclRuleStatementRateBasedStatementArgs(
                    aggregate_key_type="IP", limit=args.settings.rate_limit, evaluation_window_sec=300
                )
            ),
            visibility_config=aws.wafv2.WebAclRuleVisibilityConfigArgs(**_visibility(RATE_RULE)),
        )
    ]
    for key, (priority, group) in MANAGED_GROUPS.items():
        if key == "sqlInjection" and not args.sql_injection:
            continue
        counting = key in args.settings.count_rule_groups
        override = (
            aws.wafv2.WebAclRuleOverrideActionArgs(count=aws.wafv2.WebAclRuleOverrideActionCountArgs())
            if counting
            else aws.wafv2.WebAclRuleOverrideActionArgs(none=aws.wafv2.WebAclRuleOverrideActionNoneArgs())
        )
        rules.append(
            aws.wafv2.WebAclRuleArgs(
                name=group,
                priority=priority,
                override_action=override,
                statement=aws.wafv2.WebAclRuleStatementArgs(
                    managed_rule_group_statement=aws.wafv2.WebAclRuleStatementManagedRuleGroupStatementArgs(
                        name=group, vendor_name="AWS"
                    )
                ),
                visibility_config=aws.wafv2.WebAclRuleVisibilityConfigArgs(**_visibility(group)),
            )
        )
    return rules


def log_delivery_policy(log_group_arn: str, account_id: str, region: str, partition: str = "aws") -> dict:
    """The log group's resource policy as AWS documents it for vended logs (WAF among them) sent to
    CloudWatch Logs: the delivery service may write streams of this group only, on behalf of this
    account's own deliveries (the conditions close the confused-deputy path)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AWSLogDeliveryWrite20150319",
                "Effect": "Allow",
                "Principal": {"Service": [LOG_DELIVERY_PRINCIPAL]},
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": [f"{log_group_arn}:log-stream:*"],
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": [account_id]},
                    "ArnLike": {"aws:SourceArn": [f"arn:{partition}:logs:{region}:{account_id}:*"]},
                },
            }
        ],
    }


class WebAcl(pulumi.ComponentResource):
    """A regional web ACL (rate rule and AWS managed groups) with its encrypted, redacted request log."""

    web_acl_arn: pulumi.Output[str]
    log_group_name: pulumi.Output[str]

    def __init__(self, name: str, args: WebAclArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("groundwork:waf:WebAcl", name, None, opts)
        tags = component_tags(args.tags, "waf")
        child = pulumi.ResourceOptions(parent=self)
        attachable = {CLUSTER_TAG: args.controller_cluster} if args.controller_cluster is not None else {}
        acl = aws.wafv2.WebAcl(
            name,
            name=name,
            description=f"{name}: rate limit and AWS managed rules of the public load balancer",
            scope="REGIONAL",
            default_action=aws.wafv2.WebAclDefaultActionArgs(allow=aws.wafv2.WebAclDefaultActionAllowArgs()),
            rules=web_acl_rules(args),
            visibility_config=aws.wafv2.WebAclVisibilityConfigArgs(**_visibility(name)),
            tags={**tags, **attachable},
            opts=child,
        )
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"{LOG_GROUP_PREFIX}{name}",
            retention_in_days=args.settings.log_retention_days,
            kms_key_id=args.kms_key_arn,
            deletion_protection_enabled=True if args.protect else None,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        delivery = self._log_delivery(name, log_group)
        aws.wafv2.WebAclLoggingConfiguration(
            f"{name}-logging",
            resource_arn=acl.arn,
            log_destination_configs=[log_group.arn],
            redacted_fields=[
                aws.wafv2.WebAclLoggingConfigurationRedactedFieldArgs(
                    single_header=aws.wafv2.WebAclLoggingConfigurationRedactedFieldSingleHeaderArgs(
                        name=header
                    )
                )
                for header in REDACTED_HEADERS
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[delivery]),
        )
        self.web_acl_arn = acl.arn
        self.log_group_name = log_group.name
        self.register_outputs({"web_acl_arn": self.web_acl_arn, "log_group_name": self.log_group_name})

    def _log_delivery(
        self, name: str, log_group: aws.cloudwatch.LogGroup
    ) -> aws.cloudwatch.LogResourcePolicy:
        """The request log's resource policy, so WAF finds it in place and writes none of its own."""
        invoke = pulumi.InvokeOutputOptions(parent=self)
        identity = aws.get_caller_identity_output(opts=invoke)
        region = aws.get_region_output(opts=invoke)
        partition = aws.get_partition_output(opts=invoke)
        document = pulumi.Output.all(
            log_group.arn, identity.account_id, region.region, partition.partition
        ).apply(lambda parts: json.dumps(log_delivery_policy(*parts)))
        return aws.cloudwatch.LogResourcePolicy(
            f"{name}-log-delivery",
            policy_name=f"{name}-log-delivery",
            policy_document=document,
            opts=pulumi.ResourceOptions(parent=self),
        )
