"""Stack-wide rules: each fires on a broken stack and stays silent on the compliant one it was made from."""

import pytest

from tests.policy._cases import DROP, replaced, res, stack_fired, without

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

CASES = [
    ("STACK-ENV-001", lambda s: replaced(s, "db", {"tags.owner": DROP})),
    ("STACK-ENV-001", lambda s: replaced(s, "nodes", {"tags.environment": "dev"})),
    ("STACK-HA-001", lambda s: replaced(s, "private-c", {"availabilityZone": "eu-west-1a"})),
    ("STACK-HA-001", lambda s: replaced(s, "kafka", {"numberOfBrokerNodes": 4.0})),
    ("STACK-HA-001", lambda s: replaced(s, "nodes", {"scalingConfig.minSize": 1.0})),
    ("STACK-HA-001", lambda s: replaced(s, "nodes", {"subnetIds": ["private-a", "private-b"]})),
    ("STACK-PROT-001", lambda s: [{**r, "protect": False} if r["name"] == "db" else r for r in s]),
    ("STACK-BACKUP-001", lambda s: without(s, "backup-selection")),
    ("STACK-BACKUP-001", lambda s: replaced(s, "kafka", {"tags.recovery": DROP})),
    ("STACK-SEC-001", lambda s: replaced(s, "redis", {"values.auth.password": "redis123"})),
    (
        "STACK-SEC-001",
        lambda s: (
            [
                *s,
                res(
                    CONFIG_MAP,
                    "aws-creds",
                    {"data": {"credentials": "[default]\naws_access_key_id = AKIAABCDEFGHIJKLMNOP\n"}},
                ),
            ]
        ),
    ),
    (
        "STACK-SEC-001",
        lambda s: (
            [
                *s,
                res(
                    CONFIG_MAP,
                    "tls",
                    {
                        "data": {
                            "tls.key": "-----BEGIN RSA PRIVATE KEY-----\nMIIE...\n-----END RSA PRIVATE KEY-----\n"
                        }
                    },
                ),
            ]
        ),
    ),
    ("STACK-NET-001", lambda s: replaced(s, "db-sg", {"ingress.0.cidrBlocks": ["10.0.0.0/8"]})),
    ("STACK-NET-001", lambda s: replaced(s, "db", {"vpcSecurityGroupIds": DROP})),
    (
        "STACK-NET-001",
        lambda s: (
            [
                *s,
                res(
                    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
                    "open",
                    {
                        "securityGroupId": "sg-123",
                        "ipProtocol": "tcp",
                        "fromPort": 5433.0,
                        "toPort": 5433.0,
                        "cidrIpv4": "0.0.0.0/0",
                    },
                    deps={"securityGroupId": ["db-sg"]},
                ),
            ]
        ),
    ),
    (
        "STACK-KMS-001",
        lambda s: replaced(s, "db", {"kmsKeyId": "arn:aws:kms:eu-west-1:999999999999:key/other"}),
    ),
    ("STACK-REG-001", lambda s: replaced(s, "nodes", {"region": "us-east-1"})),
    ("STACK-OBS-001", lambda s: without(s, "db-cpu")),
    ("STACK-OBS-001", lambda s: replaced(s, "kafka-offline", {"alarmActions": []})),
    (
        "STACK-OBS-001",
        lambda s: (
            [
                *s,
                res(
                    "aws:elasticache/replicationGroup:ReplicationGroup",
                    "redis-rg",
                    {
                        "replicationGroupId": "prod-redis",
                        "engine": "redis",
                        "logDeliveryConfigurations": [
                            {
                                "logType": "engine-log",
                                "destinationType": "cloudwatch-logs",
                                "logFormat": "json",
                                "destination": "/redis",
                            }
                        ],
                    },
                ),
            ]
        ),
    ),
]


@pytest.mark.parametrize("rule_id, breaks", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_stack_rule_fires_on_broken_stack(rule_id, breaks):
    broken = breaks(STACK)
    if rule_id == "STACK-KMS-001":  # a literal ARN has no dependency on the stack's key
        broken = [
            {**r, "deps": {k: v for k, v in r.get("deps", {}).items() if k != "kmsKeyId"}} for r in broken
        ]
    assert rule_id in stack_fired(broken, config=ALLOW_EU)


@pytest.fixture(scope="module")
def compliant_findings():
    return stack_fired(STACK, config=ALLOW_EU)


@pytest.mark.parametrize("rule_id", sorted({c[0] for c in CASES}))
def test_stack_rule_is_silent_on_compliant_stack(rule_id, compliant_findings):
    assert rule_id not in compliant_findings


@pytest.mark.parametrize(
    "rule_id, breaks",
    [c for c in CASES if c[0] in ("STACK-HA-001", "STACK-PROT-001")],
    ids=lambda c: getattr(c, "__name__", c),
)
def test_prod_only_rules_are_silent_in_dev(rule_id, breaks):
    dev = [
        replaced([r], r["name"], {"tags.environment": "dev"})[0] if "tags" in r["props"] else r
        for r in breaks(STACK)
    ]
    enabled = {rule_id: "advisory"}  # dev's shipped config disables them; judge the rule's own env gate
    assert rule_id not in stack_fired(dev, environment="dev", config=enabled)


def test_generated_secrets_and_references_pass_the_credential_check():
    stack = [
        res(
            CHART,
            "app",
            {
                "chart": "app",
                "version": "1.0.0",
                "values": {
                    "db": {
                        "password": "tY7$kq2#Lm9@wX4!zR8^",
                        "passwordSecret": "arn:aws:secretsmanager:eu-west-1:1:secret:db",
                        "existingSecret": "db",
                    },
                    "apiKey": "$(API_KEY)",
                },
            },
        )
    ]
    assert "STACK-SEC-001" not in stack_fired(stack)


def test_kubernetes_secrets_are_left_to_their_own_rules():
    stack = [
        res(
            "kubernetes:core/v1:Secret",
            "s",
            {"metadata": {"namespace": "apps"}, "stringData": {"password": "short"}},
        )
    ]
    assert "STACK-SEC-001" not in stack_fired(stack)


def test_a_read_replica_needs_no_backup_selection():
    replica = res(RDS, "replica", {"replicateSourceDb": "db", "instanceClass": "db.t3.large"})
    assert "STACK-BACKUP-001" not in stack_fired([replica])


def test_region_rule_is_inert_without_an_allow_list():
    assert "STACK-REG-001" not in stack_fired(replaced(STACK, "nodes", {"region": "us-east-1"}))


def test_a_metrics_insights_alarm_watches_the_cluster_it_queries():
    insights = res(
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        "kafka-disk",
        {
            "alarmActions": ["arn:aws:sns:1:alerts"],
            "tags": TAGS,
            "metricQueries": [
                {
                    "id": "q1",
                    "expression": 'SELECT MAX(KafkaDataLogsDiskUsed) FROM SCHEMA("AWS/Kafka", "Cluster Name") '
                    "WHERE \"Cluster Name\" = 'prod-kafka'",
                }
            ],
        },
    )
    assert "STACK-OBS-001" not in stack_fired([*without(STACK, "kafka-offline"), insights])


def test_provider_default_tags_count_towards_the_required_tags():
    from policy.analyzer import WireResource
    from policy.testing import analyzer_for, rule_ids, urn_for

    provider_urn = urn_for("pulumi:providers:aws", "prod-aws")
    provider = WireResource(
        urn=provider_urn,
        type="pulumi:providers:aws",
        name="prod-aws",
        inputs={
            "region": "eu-west-1",  # provider inputs travel as strings: the tag block is JSON
            "defaultTags": '{"tags": {"environment": "prod", "project": "groundwork", "managed-by": "pulumi", '
            '"owner": "platform", "cost-center": "cc-1"}}',
        },
    )
    key = WireResource(
        urn=urn_for(KMS_KEY, "key"),
        type=KMS_KEY,
        name="key",
        protect=True,
        inputs={"tags": {"component": "prod-platform"}},
        provider=f"{provider_urn}::id-1",
    )
    analyzer = analyzer_for("prod")
    findings = [analyzer.finding(d, {}) for d in analyzer.analyze_stack([provider, key])]
    assert "STACK-ENV-001" not in rule_ids(findings)
    bare = WireResource(
        urn=key.urn,
        type=KMS_KEY,
        name="key",
        protect=True,
        inputs={"tags": {}},
        provider=f"{provider_urn}::id-1",
    )
    findings = [analyzer.finding(d, {}) for d in analyzer.analyze_stack([provider, bare])]
    assert "STACK-ENV-001" in rule_ids(findings)


def test_three_nat_gateways_in_one_zone_are_not_one_per_zone():
    same_zone = [
        replaced([r], r["name"], {"subnetId": "private-a"})[0] if r["type"] == NAT else r for r in STACK
    ]
    assert "STACK-HA-001" in stack_fired(same_zone)


def test_the_tag_lookup_leaves_the_aws_sdk_usable_for_programs_run_later():
    """Regression: looking up `DefaultSecurityGroupArgs` by importing its submodule directly left
    `pulumi_aws.ec2.DefaultSecurityGroup` missing for the rest of the process. Needs a fresh interpreter."""
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "from policy.rules.stack_wide import taggable\n"
        "assert taggable('aws:ec2/defaultSecurityGroup:DefaultSecurityGroup')\n"
        "import pulumi_aws\n"
        "assert pulumi_aws.ec2.DefaultSecurityGroup\n"
    )
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
