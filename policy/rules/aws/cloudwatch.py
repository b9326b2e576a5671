"""CloudWatch rules: log groups (retention, encryption), alarms (actions), and the stack rule
that every datastore is watched by an alarm that notifies someone (STACK-OBS-001).
"""

from __future__ import annotations

from policy.framework import Resource, Stack, resource_rule, stack_rule
from policy.helpers import as_list, each
from policy.rules.aws.elasticache import EC_REPLICATION_GROUP
from policy.rules.aws.msk import MSK_CLUSTER
from policy.rules.aws.rds import RDS_CLUSTER, RDS_INSTANCE

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


@resource_rule(
    id="AWS-CW-001",
    title="Log groups keep logs for the required time, and not forever by accident",
    severity="medium",
    resource_types=(LOG_GROUP,),
    description="`retentionInDays` is set and at least `minRetentionDays` (365 by default; 30 in dev and qa "
    "policy config). 0 (never expire) passes only when `allowNeverExpire` is true.",
    rationale="Logs are evidence: too short a retention loses them before an incident is found; an unset "
    "retention keeps them forever and the bill grows without anyone deciding it should.",
    remediation="Set the retention in the stack config (e.g. `network.flowLogRetentionDays`); the component "
    "passes it to `retention_in_days`.",
    tags=(
        "checkov:CKV_AWS_66",
        "checkov:CKV_AWS_338",
        "cdk-nag:NIST.800.53.R5-CloudWatchLogGroupRetentionPeriod",
    ),
    thresholds={"minRetentionDays": 365, "allowNeverExpire": False},
)
def log_retention(r: Resource):
    retention = r.get("retentionInDays")
    minimum = int(r.threshold("minRetentionDays", 365))
    if retention is None or (float(retention) == 0 and not r.threshold("allowNeverExpire", False)):
        yield f"log group {r.name} sets no retention (events are kept forever)"
    elif 0 < float(retention) < minimum:
        yield f"log group {r.name} keeps events {int(retention)} days, less than {minimum}"


@resource_rule(
    id="AWS-CW-002",
    title="Log groups are encrypted with a customer-managed key",
    severity="medium",
    resource_types=(LOG_GROUP,),
    description="`kmsKeyId` is set.",
    rationale="Logs carry hostnames, addresses, query text and sometimes data; a customer-managed key puts "
    "reading them under the key policy and makes every decrypt auditable.",
    remediation="Pass the platform KMS key (`platform.kms.key_arn`) to the component creating the log group.",
    tags=("checkov:CKV_AWS_158", "cdk-nag:NIST.800.53.R5-CloudWatchLogGroupEncrypted"),
)
def log_group_kms(r: Resource):
    if not r.has("kmsKeyId"):
        yield f"log group {r.name} is not encrypted with a KMS key"


@resource_rule(
    id="AWS-CW-003",
    title="Alarms notify someone",
    severity="low",
    resource_types=(ALARM,),
    description="`actionsEnabled` is not false and `alarmActions` is non-empty.",
    rationale="An alarm without actions changes colour on a console nobody watches; the outage is found by "
    "customers instead.",
    remediation="Point `alarm_actions` at the environment's alerts SNS topic (monitoring component).",
    tags=("checkov:CKV_AWS_319", "cdk-nag:NIST.800.53.R5-CloudWatchAlarmAction"),
)
def alarm_actions(r: Resource):
    if r.get("actionsEnabled") is False:
        yield f"alarm {r.name} has its actions disabled"
    if not as_list(r.get("alarmActions")):
        yield f"alarm {r.name} notifies nobody (no alarmActions)"


# --- datastores watched by an alarm ---------------------------------------------------------------

# How a CloudWatch alarm names each datastore: (identifier input, alarm dimension names).
ALARM_DIMENSIONS = {
    RDS_INSTANCE: ("identifier", ("DBInstanceIdentifier",)),
    RDS_CLUSTER: ("clusterIdentifier", ("DBClusterIdentifier",)),
    EC_REPLICATION_GROUP: ("replicationGroupId", ("ReplicationGroupId", "CacheClusterId")),
    MSK_CLUSTER: ("clusterName", ("Cluster Name",)),
}


def _alarms_for(ds: Resource, alarms: list[Resource]) -> list[Resource]:
    ident_prop, dimension_names = ALARM_DIMENSIONS[ds.type]
    ident = ds.peek(ident_prop)
    found = []
    for alarm in alarms:
        if ds.urn in alarm.depends_on("dimensions") + alarm.depends_on("metricQueries"):
            found.append(alarm)
            continue
        dims = [alarm.peek("dimensions") or {}]
        queries = [q for q in as_list(alarm.peek("metricQueries") or []) if isinstance(q, dict)]
        dims += [(q.get("metric") or {}).get("dimensions") or {} for q in queries]
        values = [str(d.get(n)) for d in dims if isinstance(d, dict) for n in dimension_names if d.get(n)]
        expressions = [
            str(q.get("expression") or "")
            for q in as_list(alarm.peek("metricQueries") or [])
            if isinstance(q, dict)
        ]
        if isinstance(ident, str) and (
            any(v == ident or v.startswith(f"{ident}-") for v in values)
            or any(f"'{ident}'" in e for e in expressions)
        ):
            found.append(alarm)
    return found


@stack_rule(
    id="STACK-OBS-001",
    title="Every datastore is watched by an alarm that notifies someone",
    severity="medium",
    description="Every RDS instance/cluster, ElastiCache replication group and MSK cluster has at least one "
    "`aws:cloudwatch/metricAlarm` on it (its dimensions or metric queries depend on the "
    "datastore, or name its identifier) with `alarmActions` and `actionsEnabled` not false; "
    "every Redis/Valkey replication group delivers its slow log (`logDeliveryConfigurations` "
    "with logType slow-log). RDS log exports and MSK broker logs are AWS-RDS-008/024 and "
    "AWS-MSK-006; the log groups themselves are judged by AWS-CW-001/002.",
    rationale="A datastore nobody is alerted about fails silently: storage fills, replicas lag, brokers go "
    "offline, and the first signal is an outage report. Other rule sets check that logging is on, "
    "never that a human hears about it.",
    remediation="The `Monitoring` component creates CPU, storage, memory and replication alarms per "
    "datastore with the stack's SNS topic as action; the `Redis` component ships slow and engine "
    "logs to CloudWatch.",
    aliases=("STK-OBS-001",),
)
def datastores_observed(stack: Stack):
    alarms = [
        a
        for a in stack.of_type(ALARM)
        if as_list(a.peek("alarmActions") or []) and a.peek("actionsEnabled") is not False
    ]

    def check(ds: Resource):
        if not _alarms_for(ds, alarms):
            yield ds, f"{ds.name} has no CloudWatch alarm with actions"
        if ds.type == EC_REPLICATION_GROUP and str(ds.peek("engine") or "redis") in ("redis", "valkey"):
            logs = [c for c in as_list(ds.get("logDeliveryConfigurations")) if isinstance(c, dict)]
            if not any(c.get("logType") == "slow-log" for c in logs):
                yield ds, f"{ds.name} does not deliver its slow log"

    yield from each(stack.of_type(*ALARM_DIMENSIONS), check)
