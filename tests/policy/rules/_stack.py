"""A compliant prod stack for the stack-wide rules (tagging, availability, protection, backup
coverage, credentials, datastore reachability, key ownership, regions, observability): each test
module breaks a copy of it in one place and asserts its rule fires, and that the rule is silent on
`STACK` itself (`compliant_findings`)."""

from functools import cache

from tests.policy._cases import replaced, res, stack_fired

RDS = "aws:rds/instance:Instance"
SUBNET = "aws:ec2/subnet:Subnet"
NAT = "aws:ec2/natGateway:NatGateway"
MSK = "aws:msk/cluster:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
SG = "aws:ec2/securityGroup:SecurityGroup"
KMS_KEY = "aws:kms/key:Key"
SELECTION = "aws:backup/selection:Selection"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
CHART = "kubernetes:helm.sh/v4:Chart"

KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/0000-platform"
TAGS = {
    "environment": "prod",
    "project": "groundwork",
    "component": "prod-postgres",
    "managed-by": "pulumi",
    "owner": "platform",
    "cost-center": "cc-1",
    "backup": "true",
}

STACK = [
    res(
        KMS_KEY,
        "platform-key",
        {"description": "platform", "enableKeyRotation": True, "tags": TAGS},
        protect=True,
    ),
    *[
        res(
            SUBNET,
            f"private-{z}",
            {
                "vpcId": "vpc",
                "cidrBlock": f"10.0.{i}.0/24",
                "availabilityZone": f"eu-west-1{z}",
                "tags": TAGS,
            },
        )
        for i, z in enumerate("abc")
    ],
    *[res(NAT, f"nat-{z}", {"subnetId": f"private-{z}", "tags": TAGS}) for z in "abc"],
    res(
        SG,
        "db-sg",
        {
            "description": "postgres",
            "vpcId": "vpc",
            "tags": TAGS,
            "ingress": [
                {"protocol": "tcp", "fromPort": 5433.0, "toPort": 5433.0, "securityGroups": ["nodes-sg"]}
            ],
        },
    ),
    res(
        RDS,
        "db",
        {
            "engine": "postgres",
            "instanceClass": "db.t3.large",
            "kmsKeyId": KEY_ARN,
            "vpcSecurityGroupIds": ["db-sg"],
            "manageMasterUserPassword": True,
            "tags": TAGS,
        },
        protect=True,
        deps={"kmsKeyId": ["platform-key"], "vpcSecurityGroupIds": ["db-sg"]},
    ),
    res(
        SELECTION,
        "backup-selection",
        {
            "iamRoleArn": "arn:role",
            "planId": "plan",
            "selectionTags": [{"type": "STRINGEQUALS", "key": "backup", "value": "true"}],
        },
    ),
    res(
        MSK,
        "kafka",
        {
            "clusterName": "prod-kafka",
            "kafkaVersion": "3.8.x",
            "numberOfBrokerNodes": 3.0,
            "tags": {**TAGS, "recovery": "replay"},
            "brokerNodeGroupInfo": {
                "instanceType": "kafka.m7g.large",
                "securityGroups": ["db-sg"],
                "clientSubnets": ["private-a", "private-b", "private-c"],
            },
            "encryptionInfo": {"encryptionAtRestKmsKeyArn": KEY_ARN},
        },
        protect=True,
        deps={
            "brokerNodeGroupInfo": ["private-a", "private-b", "private-c", "db-sg"],
            "encryptionInfo": ["platform-key"],
        },
    ),
    res(
        NODE_GROUP,
        "nodes",
        {
            "clusterName": "prod",
            "subnetIds": ["private-a", "private-b", "private-c"],
            "scalingConfig": {"minSize": 3.0, "maxSize": 10.0, "desiredSize": 3.0},
            "tags": TAGS,
        },
    ),
    res(
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        "db-cpu",
        {
            "namespace": "AWS/RDS",
            "metricName": "CPUUtilization",
            "alarmActions": ["arn:aws:sns:eu-west-1:1:alerts"],
            "dimensions": {"DBInstanceIdentifier": "id-db"},
            "tags": TAGS,
        },
        deps={"dimensions": ["db"]},
    ),
    res(
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        "kafka-offline",
        {
            "namespace": "AWS/Kafka",
            "metricName": "OfflinePartitionsCount",
            "alarmActions": ["arn:aws:sns:1:alerts"],
            "dimensions": {"Cluster Name": "prod-kafka"},
            "tags": TAGS,
        },
    ),
    res(
        CHART,
        "redis",
        {
            "chart": "redis",
            "version": "20.1.0",
            "values": {"auth": {"existingSecret": "redis-auth", "password": "Zq8#vN2$kL9!pW4@xR7^"}},
        },
    ),
]

ALLOW_EU = {"STACK-REG-001": {"allowedRegions": ["eu-west-1"]}}


def in_dev(resources: list[dict]) -> list[dict]:
    """The same resources tagged for the dev environment (for rules that only apply in prod)."""
    return [
        replaced([r], r["name"], {"tags.environment": "dev"})[0] if "tags" in r["props"] else r
        for r in resources
    ]


def broken(resources: list[dict], rule_id: str) -> list[dict]:
    """What a test's transformation produced, made consistent for `rule_id`: a literal KMS ARN has no
    dependency on the stack's key, so STACK-KMS-001 cases drop the recorded one."""
    if rule_id != "STACK-KMS-001":
        return resources
    return [{**r, "deps": {k: v for k, v in r.get("deps", {}).items() if k != "kmsKeyId"}} for r in resources]


@cache
def compliant_findings() -> frozenset[str]:
    """The ids of the rules that fire on the compliant stack (with regions allowed: ALLOW_EU)."""
    return frozenset(stack_fired(STACK, config=ALLOW_EU))
