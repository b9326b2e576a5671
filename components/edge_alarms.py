"""CloudWatch alarms and an EventBridge rule on the edge: the stack's ACM certificate and its shared ALBs.

They publish to the stack's alarm topic (components.alarms) and watch what in-cluster Prometheus cannot
see: the certificate's remaining validity as ACM reports it, ACM's own renewal events, and the load
balancers' 5xx responses and unhealthy targets.

Addressing the ALBs. The Load Balancer Controller creates each ALB, so its ARN is not a value this
program holds. Each exposure's Ingresses carry `alb.ingress.kubernetes.io/load-balancer-name`
(components.edge.load_balancer_name), which fixes the ALB's name. The ALB's metrics are keyed by the
`LoadBalancer` dimension, whose value is the ARN's suffix `app/<name>/<id>` with an id ELB assigns;
Metrics Insights' WHERE clause compares a label with `=` or `!=` only, so a name alone cannot match
it. Instead `aws.lb.get_load_balancer` looks the ALB up by that name, with `depends_on` the Ingresses:
pulumi-kubernetes reports an Ingress created only once its status carries the load balancer's
address, so the lookup runs after the controller has made the ALB, and in a preview that has not
created it yet the suffix stays unknown rather than failing. The suffix then feeds a plain metric
alarm (5xx) and a Metrics Insights alarm (unhealthy targets, aggregated over the ALB's target groups,
one per exposed app, which the controller also names).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
from pydantic import Field, InstanceOf

from components._lib.args import ComponentArgs, Input
from components._lib.security_documents import SecurityEventRule, alert_template
from components.tagging import component_tags

RUNBOOK_PAGE = "edge.md"

# ACM's events to EventBridge (ACM user guide, "Amazon EventBridge support for ACM"): renewal needs a
# person, or it is too late. "Approaching Expiration" is left to the DaysToExpiry alarm, which says
# the same once a day without one mail per day for 45 days.
ACM_EVENT_TYPES = ("ACM Certificate Renewal Action Required", "ACM Certificate Expired")


@dataclass(frozen=True)
class EdgeThreshold:
    """One edge alarm: what it compares, for how long, what missing data means, and its runbook anchor."""

    key: str
    threshold: float
    periods: int
    period_seconds: int
    treat_missing_data: str
    anchor: str
    description: str
    comparison: str = "GreaterThanThreshold"


# ACM starts renewing a DNS-validated certificate 60 days before it expires and normally finishes
# within hours; fewer than 30 days left means renewal has failed for a month. ACM publishes the
# metric once a day, so one daily period decides; a missing day leaves the alarm's state as it was
# (INSUFFICIENT_DATA on a new certificate) rather than paging, the renewal events cover the rest.
CERTIFICATE_EXPIRY = EdgeThreshold(
    "certificate-expiry",
    30,
    1,
    86400,
    "missing",
    "acmcertificateexpiring",
    "The stack's ACM certificate expires in fewer than 30 days: its managed renewal has not happened",
    comparison="LessThanThreshold",
)
# The ALB itself answered 5xx (502 bad gateway, 503 no healthy target, 504 timeout) more than 25
# times in each of two 5-minute periods. ELB publishes HTTPCode_ELB_5XX_Count only for periods that
# had one, so a missing point is a period without any: not breaching.
ALB_5XX = EdgeThreshold(
    "alb-5xx",
    25,
    2,
    300,
    "notBreaching",
    "alb5xxhigh",
    "The shared ALB returned more than 25 of its own 5xx responses in each of 2 consecutive 5-minute periods",
)
# Some target of one of the ALB's target groups failed its health check for 5 consecutive minutes.
# Target groups without registered targets report nothing, which is not breaching; a group with no
# healthy target at all also shows as ELB 503s and as a failing blackbox probe.
ALB_UNHEALTHY = EdgeThreshold(
    "alb-unhealthy-targets",
    0,
    5,
    60,
    "notBreaching",
    "albunhealthytargets",
    "A target of the shared ALB failed its health checks for 5 consecutive minutes",
)


def renewal_rule(certificate_arn: str) -> SecurityEventRule:
    """The EventBridge rule on ACM's renewal events for this stack's certificate only."""
    return SecurityEventRule(
        "certificate-renewal",
        "The stack's ACM certificate needs action to renew, or has expired",
        {"source": ["aws.acm"], "detail-type": list(ACM_EVENT_TYPES), "resources": [certificate_arn]},
        "acmcertificaterenewalfailed",
    )


def unhealthy_query(arn_suffix: str) -> str:
    """The highest UnHealthyHostCount over every target group of one ALB (one series)."""
    return (
        'SELECT MAX(UnHealthyHostCount) FROM SCHEMA("AWS/ApplicationELB", LoadBalancer, TargetGroup) '
        f"WHERE LoadBalancer = '{arn_suffix}'"
    )


class EdgeAlarmsArgs(ComponentArgs):
    """The certificate and the ALBs to watch, the topic to tell, and where the runbook lives."""

    topic_arn: Input[str] = Field(exclude=True, description="The stack's alarm topic (components.alarms).")
    certificate_arn: Input[str] = Field(exclude=True, description="The stack's ACM certificate.")
    load_balancer_names: Sequence[str] = Field(
        default=(),
        max_length=2,
        description="The shared ALBs' fixed names (components.edge.load_balancer_name), one per exposure.",
    )
    ingresses: InstanceOf[pulumi.Resource] | None = Field(
        default=None,
        exclude=True,
        description="The Ingresses that make the ALBs: the ALB lookups wait for them.",
    )
    runbook_url: str = Field(min_length=8, description="The edge runbook page; alarms link its sections.")
    tags: Mapping[str, str] = Field(default_factory=dict, description="The stack's tags.")


class EdgeAlarms(pulumi.ComponentResource):
    """ACM expiry and renewal alerts and ALB 5xx and target-health alarms, to the stack's alarm topic."""

    alarm_names: list[str]

    def __init__(self, name: str, args: EdgeAlarmsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("groundwork:edge:EdgeAlarms", name, None, opts)
        self._name, self._args = name, args
        self._tags = component_tags(args.tags, name)
        self.alarm_names = []
        self._certificate_alarm()
        self._renewal_events()
        for exposure_name in args.load_balancer_names:
            self._load_balancer_alarms(exposure_name)
        self.register_outputs({"alarm_names": self.alarm_names})

    def _description(self, t: EdgeThreshold) -> str:
        return f"{t.description}. Runbook: {self._args.runbook_url}#{t.anchor}"

    def _alarm(self, resource_name: str, t: EdgeThreshold, **metric: object) -> None:
        actions = [self._args.topic_arn]
        aws.cloudwatch.MetricAlarm(
            resource_name,
            alarm_description=self._description(t),
            comparison_operator=t.comparison,
            threshold=t.threshold,
            evaluation_periods=t.periods,
            datapoints_to_alarm=t.periods,
            treat_missing_data=t.treat_missing_data,
            actions_enabled=True,
            alarm_actions=actions,
            ok_actions=actions,
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
            **metric,
        )
        self.alarm_names.append(resource_name)

    def _certificate_alarm(self) -> None:
        t = CERTIFICATE_EXPIRY
        self._alarm(
            f"{self._name}-{t.key}",
            t,
            namespace="AWS/CertificateManager",
            metric_name="DaysToExpiry",
            dimensions={"CertificateArn": self._args.certificate_arn},
            statistic="Minimum",
            period=t.period_seconds,
        )

    def _renewal_events(self) -> None:
        """ACM's renewal events for this certificate, to the alarm topic like the security baseline's."""
        key = renewal_rule("").key
        rule = aws.cloudwatch.EventRule(
            f"{self._name}-{key}",
            name=f"{self._name}-{key}",
            description=renewal_rule("").title,
            event_pattern=pulumi.Output.from_input(self._args.certificate_arn).apply(
                lambda arn: json.dumps(renewal_rule(arn).pattern)
            ),
            state="ENABLED",
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.cloudwatch.EventTarget(
            f"{self._name}-{key}",
            rule=rule.name,
            target_id="alerts-topic",
            arn=self._args.topic_arn,
            input_transformer=aws.cloudwatch.EventTargetInputTransformerArgs(
                input_template=alert_template(renewal_rule(""), self._name, self._args.runbook_url)
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _load_balancer_alarms(self, load_balancer_name: str) -> None:
        depends = [self._args.ingresses] if self._args.ingresses is not None else []
        suffix = aws.lb.get_load_balancer_output(
            name=load_balancer_name,
            opts=pulumi.InvokeOutputOptions(parent=self, depends_on=depends),
        ).arn_suffix
        t = ALB_5XX
        self._alarm(
            f"{self._name}-{load_balancer_name}-{t.key}",
            t,
            namespace="AWS/ApplicationELB",
            metric_name="HTTPCode_ELB_5XX_Count",
            dimensions={"LoadBalancer": suffix},
            statistic="Sum",
            period=t.period_seconds,
        )
        t = ALB_UNHEALTHY
        self._alarm(
            f"{self._name}-{load_balancer_name}-{t.key}",
            t,
            metric_queries=[
                aws.cloudwatch.MetricAlarmMetricQueryArgs(
                    id="q1",
                    expression=suffix.apply(unhealthy_query),
                    period=t.period_seconds,
                    return_data=True,
                    label="UnHealthyHostCount",
                )
            ],
        )
