"""MSK rules: Kafka clusters (encryption, authentication, logging, monitoring) and the durability
settings of their configurations.

Groundwork's `Kafka` component creates these on AWS stacks; the config keys named in remediations
live under `kafka.*` in `Pulumi.<stack>.yaml`.
"""

from __future__ import annotations

from policy.framework import Resource, resource_rule
from policy.helpers import cmk_issue, first, is_false, is_true, number

MSK_CLUSTER = "aws:msk/cluster:Cluster"
MSK_CONFIGURATION = "aws:msk/configuration:Configuration"
MSK_MONITORING_LEVELS = ["PER_BROKER", "PER_TOPIC_PER_BROKER", "PER_TOPIC_PER_PARTITION"]


@resource_rule(
    id="AWS-MSK-001",
    title="MSK clients must use TLS",
    severity="high",
    resource_types=(MSK_CLUSTER,),
    description='Checks `encryptionInfo.encryptionInTransit.clientBroker == "TLS"`; unset means AWS\'s '
    "default TLS and passes, PLAINTEXT and TLS_PLAINTEXT fail.",
    rationale="With PLAINTEXT listeners, messages and SASL credentials cross the VPC in clear text.",
    remediation='The `Kafka` component sets `client_broker="TLS"`.',
    tags=("checkov:CKV_AWS_81", "cdk-nag:AwsSolutions-MSK2"),
)
def msk_client_tls(r: Resource):
    mode = r.get("encryptionInfo.encryptionInTransit.clientBroker")
    if mode not in (None, "TLS"):
        yield f"clientBroker is {mode}: clients can connect without TLS"


@resource_rule(
    id="AWS-MSK-002",
    title="MSK encrypts traffic between brokers",
    severity="high",
    resource_types=(MSK_CLUSTER,),
    description="Checks `encryptionInfo.encryptionInTransit.inCluster` is not false.",
    rationale="Replication traffic carries every message; in clear text it is readable on the network.",
    remediation="Leave `in_cluster` at its default (true).",
    tags=("checkov:CKV_AWS_81", "fsbp:MSK.1", "cdk-nag:AwsSolutions-MSK3"),
)
def msk_in_cluster_tls(r: Resource):
    if is_false(r.get("encryptionInfo.encryptionInTransit.inCluster")):
        yield "inCluster is false: broker-to-broker replication is unencrypted"


@resource_rule(
    id="AWS-MSK-003",
    title="MSK storage is encrypted with a customer-managed key",
    severity="medium",
    resource_types=(MSK_CLUSTER,),
    description="Checks `encryptionInfo.encryptionAtRestKmsKeyArn` is set (in `allowedKmsKeyArns` when "
    "configured).",
    rationale="Broker volumes hold the whole retained log; a customer-managed key keeps decrypt rights in "
    "the platform's key policy.",
    remediation="Pass the platform KMS key to the `Kafka` component.",
    thresholds={"allowedKmsKeyArns": []},
)
def msk_cmk(r: Resource):
    yield from cmk_issue(r, "encryptionInfo.encryptionAtRestKmsKeyArn", "the broker storage")


@resource_rule(
    id="AWS-MSK-004",
    title="MSK brokers have no public access",
    severity="critical",
    resource_types=(MSK_CLUSTER,),
    description="Checks `brokerNodeGroupInfo.connectivityInfo.publicAccess.type` is not "
    "SERVICE_PROVIDED_EIPS.",
    rationale="Public brokers expose the Kafka listener, and every topic behind its authentication, to the "
    "internet.",
    remediation="Remove `connectivity_info.public_access`; reach Kafka from the cluster's private subnets.",
    tags=("checkov:CKV_AWS_291", "fsbp:MSK.4"),
)
def msk_no_public_access(r: Resource):
    if r.get("brokerNodeGroupInfo.connectivityInfo.publicAccess.type") == "SERVICE_PROVIDED_EIPS":
        yield "publicAccess.type is SERVICE_PROVIDED_EIPS: brokers have public IPs"


@resource_rule(
    id="AWS-MSK-005",
    title="MSK requires client authentication",
    severity="high",
    resource_types=(MSK_CLUSTER,),
    description="Checks `clientAuthentication.unauthenticated` is not true and one of `sasl.iam`, "
    "`sasl.scram` or `tls` is configured.",
    rationale="Without authentication any pod that reaches the brokers can read and write every topic.",
    remediation="The `Kafka` component enables SASL/IAM (`client_authentication.sasl.iam=True`).",
    tags=("fsbp:MSK.6",),
)
def msk_authentication(r: Resource):
    auth = first(r.get("clientAuthentication"))
    if is_true(auth.get("unauthenticated")):
        yield "clientAuthentication.unauthenticated is true: anonymous clients are accepted"
    sasl = first(auth.get("sasl"))
    if not (is_true(sasl.get("iam")) or is_true(sasl.get("scram")) or first(auth.get("tls"))):
        yield "no SASL/IAM, SASL/SCRAM or mTLS client authentication is configured"


@resource_rule(
    id="AWS-MSK-006",
    title="MSK broker logs are delivered",
    severity="medium",
    resource_types=(MSK_CLUSTER,),
    description="Checks `loggingInfo.brokerLogs` enables at least one of cloudwatchLogs, firehose, s3.",
    rationale="Broker logs record authentication failures and ACL denials; without them there is no trail.",
    remediation="The `Kafka` component ships broker logs to a CloudWatch log group encrypted with the "
    "platform key.",
    tags=("checkov:CKV_AWS_80", "cdk-nag:AwsSolutions-MSK6"),
)
def msk_broker_logs(r: Resource):
    logs = first(r.get("loggingInfo.brokerLogs"))
    if not any(is_true(first(logs.get(k)).get("enabled")) for k in ("cloudwatchLogs", "firehose", "s3")):
        yield "no broker log destination is enabled"


@resource_rule(
    id="AWS-MSK-007",
    title="MSK has enhanced monitoring",
    severity="low",
    resource_types=(MSK_CLUSTER,),
    description="Checks `enhancedMonitoring` is in the policy config's `allowedMonitoringLevels` (default "
    "PER_BROKER, PER_TOPIC_PER_BROKER, PER_TOPIC_PER_PARTITION); unset means DEFAULT and fails.",
    rationale="DEFAULT monitoring lacks per-broker disk and under-replicated partition metrics that alarms "
    "need.",
    remediation="Set `kafka.enhancedMonitoring` (the component default is PER_TOPIC_PER_BROKER).",
    thresholds={"allowedMonitoringLevels": MSK_MONITORING_LEVELS},
    tags=("fsbp:MSK.2",),
)
def msk_enhanced_monitoring(r: Resource):
    allowed = r.threshold("allowedMonitoringLevels", MSK_MONITORING_LEVELS)
    level = r.get("enhancedMonitoring") or "DEFAULT"
    if level not in allowed:
        yield f"enhancedMonitoring is {level}; allowed: {', '.join(allowed)}"


def _server_properties(text: str) -> dict[str, str]:
    props = {}
    for line in str(text or "").splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            props[key.strip()] = value.strip()
    return props


@resource_rule(
    id="AWS-MSK-008",
    title="MSK configuration keeps data durable",
    severity="medium",
    resource_types=(MSK_CONFIGURATION,),
    description="Parses `serverProperties`: `auto.create.topics.enable` is not true, `min.insync.replicas >= "
    "minInsyncReplicas` and `default.replication.factor >= minReplicationFactor` (policy config; "
    "default 2 and 3).",
    rationale="Auto-created topics bypass review and get single-replica defaults; with min.insync.replicas 1 "
    "an acknowledged write lives on one broker and is lost with it.",
    remediation="The `Kafka` component's configuration sets these values from `kafka.*` in "
    "Pulumi.<stack>.yaml; dev may lower the thresholds in its policy config.",
    thresholds={"minInsyncReplicas": 2, "minReplicationFactor": 3},
)
def msk_configuration_durability(r: Resource):
    props = _server_properties(r.get("serverProperties"))
    if props.get("auto.create.topics.enable", "false").lower() == "true":
        yield "auto.create.topics.enable=true: topics appear without review, with default replication"
    min_isr = number(r.threshold("minInsyncReplicas", 2), 2)
    if number(props.get("min.insync.replicas"), 1) < min_isr:
        shown = props.get("min.insync.replicas", "unset (1)")
        yield f"min.insync.replicas is {shown}; at least {min_isr:g} required"
    min_rf = number(r.threshold("minReplicationFactor", 3), 3)
    if number(props.get("default.replication.factor"), 1) < min_rf:
        yield (
            f"default.replication.factor is {props.get('default.replication.factor', 'unset')}; "
            f"at least {min_rf:g} required"
        )
