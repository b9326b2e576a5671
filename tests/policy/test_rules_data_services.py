"""Data-service rules (RDS, ElastiCache, MSK, S3, AWS Backup): each fires on a broken resource and stays
silent on the compliant baseline it was made from."""

import pytest

from policy.testing import evaluate_stack
from tests.policy._cases import DROP, baseline_fired, fired, patched, replaced, res, stack_fired, without

KEY = "arn:aws:kms:eu-west-1:123456789012:key/0000-platform"
ROLE = "arn:aws:iam::123456789012:role/rds-monitoring"

RDS = "aws:rds/instance:Instance"
RDS_CLUSTER = "aws:rds/cluster:Cluster"
RDS_CLUSTER_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
RDS_SNAPSHOT = "aws:rds/snapshot:Snapshot"
EC_RG = "aws:elasticache/replicationGroup:ReplicationGroup"
EC_CLUSTER = "aws:elasticache/cluster:Cluster"
EC_SERVERLESS = "aws:elasticache/serverlessCache:ServerlessCache"
MSK = "aws:msk/cluster:Cluster"
MSK_CONFIG = "aws:msk/configuration:Configuration"
BUCKET = "aws:s3/bucket:Bucket"
BUCKET_V2 = "aws:s3/bucketV2:BucketV2"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
ACCOUNT_PAB = "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock"
VAULT = "aws:backup/vault:Vault"
PLAN = "aws:backup/plan:Plan"

BASELINES = {
    RDS: {
        "engine": "postgres",
        "engineVersion": "16.4",
        "instanceClass": "db.t3.large",
        "storageEncrypted": True,
        "kmsKeyId": KEY,
        "publiclyAccessible": False,
        "multiAz": True,
        "backupRetentionPeriod": 30.0,
        "deletionProtection": True,
        "iamDatabaseAuthenticationEnabled": True,
        "enabledCloudwatchLogsExports": ["postgresql", "upgrade"],
        "monitoringInterval": 60.0,
        "monitoringRoleArn": ROLE,
        "performanceInsightsEnabled": True,
        "performanceInsightsKmsKeyId": KEY,
        "autoMinorVersionUpgrade": True,
        "copyTagsToSnapshot": True,
        "caCertIdentifier": "rds-ca-rsa2048-g1",
        "dbSubnetGroupName": "prod-postgres",
        "port": 5433.0,
        "username": "gw_admin",
        "skipFinalSnapshot": False,
        "finalSnapshotIdentifier": "prod-postgres-final",
        "manageMasterUserPassword": True,
    },
    RDS_CLUSTER: {
        "engine": "aurora-postgresql",
        "engineVersion": "16.4",
        "storageEncrypted": True,
        "kmsKeyId": KEY,
        "deletionProtection": True,
        "backupRetentionPeriod": 30.0,
        "iamDatabaseAuthenticationEnabled": True,
        "enabledCloudwatchLogsExports": ["postgresql"],
        "copyTagsToSnapshot": True,
        "dbSubnetGroupName": "prod-aurora",
        "port": 5433.0,
        "masterUsername": "gw_admin",
        "skipFinalSnapshot": False,
        "finalSnapshotIdentifier": "prod-aurora-final",
        "manageMasterUserPassword": True,
    },
    RDS_CLUSTER_INSTANCE: {
        "clusterIdentifier": "prod-aurora",
        "instanceClass": "db.r6g.large",
        "engine": "aurora-postgresql",
        "performanceInsightsEnabled": True,
        "performanceInsightsKmsKeyId": KEY,
        "monitoringInterval": 60.0,
        "autoMinorVersionUpgrade": True,
        "publiclyAccessible": False,
    },
    RDS_SNAPSHOT: {
        "dbInstanceIdentifier": "prod-postgres",
        "dbSnapshotIdentifier": "manual-1",
        "sharedAccounts": ["210987654321"],
    },
    EC_RG: {
        "description": "redis",
        "engine": "redis",
        "atRestEncryptionEnabled": True,
        "kmsKeyId": KEY,
        "transitEncryptionEnabled": True,
        "transitEncryptionMode": "required",
        "userGroupIds": ["prod-redis"],
        "automaticFailoverEnabled": True,
        "multiAzEnabled": True,
        "numCacheClusters": 2.0,
        "snapshotRetentionLimit": 7.0,
        "autoMinorVersionUpgrade": True,
        "subnetGroupName": "prod-redis",
        "port": 6380.0,
        "finalSnapshotIdentifier": "prod-redis-final",
    },
    EC_CLUSTER: {
        "engine": "redis",
        "transitEncryptionEnabled": True,
        "snapshotRetentionLimit": 7.0,
        "autoMinorVersionUpgrade": "true",
        "subnetGroupName": "dev-redis",
        "port": 6380.0,
        "finalSnapshotIdentifier": "dev-redis-final",
    },
    EC_SERVERLESS: {
        "engine": "valkey",
        "kmsKeyId": KEY,
        "userGroupId": "dev-cache",
        "snapshotRetentionLimit": 3.0,
        "subnetIds": ["subnet-a", "subnet-b"],
    },
    MSK: {
        "kafkaVersion": "3.8.x",
        "numberOfBrokerNodes": 3.0,
        "enhancedMonitoring": "PER_TOPIC_PER_BROKER",
        "brokerNodeGroupInfo": {
            "instanceType": "kafka.m7g.large",
            "clientSubnets": ["a", "b", "c"],
            "securityGroups": ["sg"],
        },
        "encryptionInfo": {
            "encryptionAtRestKmsKeyArn": KEY,
            "encryptionInTransit": {"clientBroker": "TLS", "inCluster": True},
        },
        "clientAuthentication": {"sasl": {"iam": True}, "unauthenticated": False},
        "loggingInfo": {"brokerLogs": {"cloudwatchLogs": {"enabled": True, "logGroup": "/msk/prod"}}},
    },
    MSK_CONFIG: {
        "serverProperties": "auto.create.topics.enable=false\nmin.insync.replicas=2\n"
        "default.replication.factor=3\n"
    },
    BUCKET_POLICY: {
        "bucket": "data",
        "policy": '{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
        '"Principal":{"AWS":"arn:aws:iam::123456789012:role/app"},"Action":"s3:GetObject",'
        '"Resource":"arn:aws:s3:::data/*"}]}',
    },
    BUCKET: {"bucket": "data", "forceDestroy": False},
    ACCOUNT_PAB: {
        "blockPublicAcls": True,
        "blockPublicPolicy": True,
        "ignorePublicAcls": True,
        "restrictPublicBuckets": True,
    },
    VAULT: {"kmsKeyArn": KEY, "forceDestroy": False},
    PLAN: {
        "rules": [
            {
                "ruleName": "daily",
                "targetVaultName": "prod",
                "schedule": "cron(0 3 * * ? *)",
                "enableContinuousBackup": True,
                "lifecycle": {"deleteAfter": 30.0},
                "copyActions": [
                    {"destinationVaultArn": "arn:aws:backup:eu-central-1:123456789012:backup-vault:dr"}
                ],
            }
        ],
        "region": "eu-west-1",
    },
}

# (rule id, resource type, overrides that break exactly this rule)
RESOURCE_CASES = [
    ("AWS-RDS-001", RDS, {"storageEncrypted": False}),
    ("AWS-RDS-002", RDS, {"kmsKeyId": DROP}),
    ("AWS-RDS-003", RDS, {"publiclyAccessible": True}),
    ("AWS-RDS-003", RDS_CLUSTER_INSTANCE, {"publiclyAccessible": True}),
    ("AWS-RDS-004", RDS, {"multiAz": False}),
    ("AWS-RDS-005", RDS, {"backupRetentionPeriod": 1.0}),
    ("AWS-RDS-005", RDS, {"backupRetentionPeriod": DROP}),
    ("AWS-RDS-006", RDS, {"deletionProtection": DROP}),
    ("AWS-RDS-007", RDS, {"iamDatabaseAuthenticationEnabled": False}),
    ("AWS-RDS-008", RDS, {"enabledCloudwatchLogsExports": ["postgresql"]}),
    ("AWS-RDS-009", RDS, {"monitoringInterval": 0.0}),
    ("AWS-RDS-010", RDS, {"performanceInsightsKmsKeyId": DROP}),
    ("AWS-RDS-011", RDS, {"autoMinorVersionUpgrade": False}),
    ("AWS-RDS-012", RDS, {"copyTagsToSnapshot": DROP}),
    ("AWS-RDS-013", RDS, {"caCertIdentifier": "rds-ca-2019"}),
    ("AWS-RDS-016", RDS, {"dbSubnetGroupName": DROP}),
    ("AWS-RDS-017", RDS, {"port": 5432.0}),
    ("AWS-RDS-018", RDS, {"username": "postgres"}),
    ("AWS-RDS-018", RDS_CLUSTER, {"masterUsername": "admin"}),
    ("AWS-RDS-019", RDS, {"engineVersion": "13.7"}),
    ("AWS-RDS-020", RDS_CLUSTER, {"storageEncrypted": False}),
    ("AWS-RDS-020", RDS_CLUSTER, {"kmsKeyId": DROP}),
    ("AWS-RDS-021", RDS_CLUSTER, {"deletionProtection": False}),
    ("AWS-RDS-022", RDS_CLUSTER, {"backupRetentionPeriod": 0.0}),
    ("AWS-RDS-023", RDS_CLUSTER, {"iamDatabaseAuthenticationEnabled": DROP}),
    ("AWS-RDS-024", RDS_CLUSTER, {"enabledCloudwatchLogsExports": []}),
    ("AWS-RDS-026", RDS_CLUSTER, {"copyTagsToSnapshot": False}),
    ("AWS-RDS-027", RDS_CLUSTER_INSTANCE, {"performanceInsightsEnabled": False}),
    ("AWS-RDS-027", RDS_CLUSTER_INSTANCE, {"monitoringInterval": DROP}),
    ("AWS-RDS-029", RDS_SNAPSHOT, {"sharedAccounts": ["all"]}),
    ("AWS-RDS-030", RDS, {"skipFinalSnapshot": True}),
    ("AWS-RDS-030", RDS_CLUSTER, {"finalSnapshotIdentifier": DROP}),
    ("AWS-RDS-031", RDS, {"manageMasterUserPassword": DROP, "password": "hunter2-but-longer"}),
    ("AWS-RDS-031", RDS_CLUSTER, {"manageMasterUserPassword": False}),
    ("AWS-ELASTICACHE-001", EC_RG, {"atRestEncryptionEnabled": False}),
    ("AWS-ELASTICACHE-002", EC_RG, {"kmsKeyId": DROP}),
    ("AWS-ELASTICACHE-002", EC_SERVERLESS, {"kmsKeyId": DROP}),
    ("AWS-ELASTICACHE-003", EC_RG, {"transitEncryptionMode": "preferred"}),
    ("AWS-ELASTICACHE-003", EC_CLUSTER, {"transitEncryptionEnabled": DROP}),
    ("AWS-ELASTICACHE-004", EC_RG, {"userGroupIds": DROP}),
    ("AWS-ELASTICACHE-004", EC_SERVERLESS, {"userGroupId": DROP}),
    ("AWS-ELASTICACHE-005", EC_RG, {"multiAzEnabled": False}),
    ("AWS-ELASTICACHE-005", EC_RG, {"numCacheClusters": 1.0}),
    ("AWS-ELASTICACHE-006", EC_RG, {"snapshotRetentionLimit": 0.0}),
    ("AWS-ELASTICACHE-006", EC_SERVERLESS, {"snapshotRetentionLimit": DROP}),
    ("AWS-ELASTICACHE-007", EC_RG, {"autoMinorVersionUpgrade": False}),
    ("AWS-ELASTICACHE-007", EC_CLUSTER, {"autoMinorVersionUpgrade": "false"}),
    ("AWS-ELASTICACHE-008", EC_RG, {"subnetGroupName": "default"}),
    ("AWS-ELASTICACHE-008", EC_SERVERLESS, {"subnetIds": DROP}),
    ("AWS-ELASTICACHE-009", EC_CLUSTER, {"port": 6379.0}),
    ("AWS-ELASTICACHE-010", EC_RG, {"finalSnapshotIdentifier": DROP}),
    ("AWS-ELASTICACHE-011", EC_RG, {"authToken": "a-long-generated-token-0123456789"}),
    ("AWS-MSK-001", MSK, {"encryptionInfo.encryptionInTransit.clientBroker": "TLS_PLAINTEXT"}),
    ("AWS-MSK-002", MSK, {"encryptionInfo.encryptionInTransit.inCluster": False}),
    ("AWS-MSK-003", MSK, {"encryptionInfo.encryptionAtRestKmsKeyArn": DROP}),
    (
        "AWS-MSK-004",
        MSK,
        {"brokerNodeGroupInfo.connectivityInfo": {"publicAccess": {"type": "SERVICE_PROVIDED_EIPS"}}},
    ),
    ("AWS-MSK-005", MSK, {"clientAuthentication.unauthenticated": True}),
    ("AWS-MSK-005", MSK, {"clientAuthentication": {"sasl": {"iam": False}}}),
    ("AWS-MSK-006", MSK, {"loggingInfo.brokerLogs.cloudwatchLogs.enabled": False}),
    ("AWS-MSK-007", MSK, {"enhancedMonitoring": DROP}),
    (
        "AWS-MSK-008",
        MSK_CONFIG,
        {
            "serverProperties": "auto.create.topics.enable=true\nmin.insync.replicas=2\n"
            "default.replication.factor=3\n"
        },
    ),
    (
        "AWS-MSK-008",
        MSK_CONFIG,
        {"serverProperties": "min.insync.replicas=1\ndefault.replication.factor=3\n"},
    ),
    ("AWS-S3-002", BUCKET, {"acl": "public-read"}),
    (
        "AWS-S3-002",
        "aws:s3/bucketAclV2:BucketAclV2",
        {
            "bucket": "data",
            "accessControlPolicy": {
                "grants": [
                    {
                        "permission": "READ",
                        "grantee": {
                            "type": "Group",
                            "uri": "http://acs.amazonaws.com/groups/global/AllUsers",
                        },
                    }
                ]
            },
        },
    ),
    (
        "AWS-S3-006",
        BUCKET_POLICY,
        {
            "policy": '{"Statement":[{"Sid":"Open","Effect":"Allow","Principal":"*",'
            '"Action":"s3:GetObject","Resource":"*"}]}'
        },
    ),
    ("AWS-S3-013", ACCOUNT_PAB, {"restrictPublicBuckets": False}),
    ("AWS-S3-014", BUCKET_V2, {"forceDestroy": True}),
    ("AWS-BACKUP-001", VAULT, {"kmsKeyArn": DROP}),
    ("AWS-BACKUP-002", PLAN, {"rules.0.lifecycle": {"deleteAfter": 1.0}}),
    ("AWS-BACKUP-002", PLAN, {"rules.0.copyActions": []}),
    ("AWS-BACKUP-002", PLAN, {"rules.0.schedule": DROP}),
    ("AWS-BACKUP-005", VAULT, {"forceDestroy": True}),
]


def _case_id(case):
    return f"{case[0]}-{case[1].rsplit(':', 1)[1]}-{'+'.join(case[2])}"


@pytest.mark.parametrize("rule_id, type_, overrides", RESOURCE_CASES, ids=map(_case_id, RESOURCE_CASES))
def test_rule_fires_on_broken_resource(rule_id, type_, overrides):
    base = BASELINES.get(type_, {})
    assert rule_id in fired(type_, patched(base, overrides))


@pytest.mark.parametrize("rule_id, type_", sorted({(c[0], c[1]) for c in RESOURCE_CASES}))
def test_rule_is_silent_on_compliant_resource(rule_id, type_):
    assert rule_id not in baseline_fired(type_, BASELINES.get(type_, {}))


def test_replicas_inherit_encryption_backups_and_subnets_from_their_source():
    replica = {"replicateSourceDb": "prod-postgres", "instanceClass": "db.t3.large", "kmsKeyId": KEY}
    assert not {"AWS-RDS-001", "AWS-RDS-004", "AWS-RDS-005", "AWS-RDS-016", "AWS-RDS-031"} & fired(
        RDS, replica
    )


def test_dev_policy_config_can_lower_a_threshold():
    props = patched(BASELINES[RDS], {"backupRetentionPeriod": 3.0})
    assert "AWS-RDS-005" not in fired(RDS, props, config={"AWS-RDS-005": {"minRetentionDays": 3}})


def test_backup_copy_action_is_required_only_where_configured():
    props = patched(BASELINES[PLAN], {"rules.0.copyActions": [], "rules.0.enableContinuousBackup": False})
    assert "AWS-BACKUP-002" not in fired(PLAN, props, environment="dev")


# ----------------------------------------------------------------------------------- stack rules

PG = "aws:rds/parameterGroup:ParameterGroup"
SELECTION = "aws:backup/selection:Selection"

DATABASE_STACK = [
    res(RDS, "db", {**BASELINES[RDS], "parameterGroupName": "pg16"}),
    res(
        PG,
        "pg",
        {
            "name": "pg16",
            "family": "postgres16",
            "parameters": [
                {"name": "rds.force_ssl", "value": "1"},
                {"name": "log_statement", "value": "ddl"},
                {"name": "log_min_duration_statement", "value": "1000"},
            ],
        },
    ),
    res(RDS_CLUSTER, "aurora", {**BASELINES[RDS_CLUSTER], "clusterIdentifier": "prod-aurora"}),
    res(
        RDS_CLUSTER_INSTANCE,
        "aurora-1",
        {**BASELINES[RDS_CLUSTER_INSTANCE], "availabilityZone": "eu-west-1a"},
    ),
    res(
        RDS_CLUSTER_INSTANCE,
        "aurora-2",
        {**BASELINES[RDS_CLUSTER_INSTANCE], "availabilityZone": "eu-west-1b"},
    ),
]

S3_STACK = [
    res(
        BUCKET,
        "data",
        {
            "bucket": "data",
            "tags": {"data-classification": "backup", "criticality": "critical", "notify": "true"},
            "objectLockEnabled": True,
        },
    ),
    res(
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "data-pab",
        {
            "bucket": "data",
            "blockPublicAcls": True,
            "blockPublicPolicy": True,
            "ignorePublicAcls": True,
            "restrictPublicBuckets": True,
        },
    ),
    res(
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
        "data-owner",
        {"bucket": "data", "rule": {"objectOwnership": "BucketOwnerEnforced"}},
    ),
    res(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "data-sse",
        {
            "bucket": "data",
            "rules": [
                {
                    "applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY},
                    "bucketKeyEnabled": True,
                }
            ],
        },
    ),
    res(
        BUCKET_POLICY,
        "data-policy",
        {
            "bucket": "data",
            "policy": (
                '{"Statement":[{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*",'
                '"Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}'
            ),
        },
    ),
    res(
        "aws:s3/bucketVersioning:BucketVersioning",
        "data-versioning",
        {"bucket": "data", "versioningConfiguration": {"status": "Enabled"}},
    ),
    res(
        "aws:s3/bucketLogging:BucketLogging",
        "data-logging",
        {"bucket": "data", "targetBucket": "access-logs", "targetPrefix": "data/"},
    ),
    res(
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        "data-lifecycle",
        {
            "bucket": "data",
            "rules": [
                {
                    "id": "cleanup",
                    "status": "Enabled",
                    "abortIncompleteMultipartUpload": {"daysAfterInitiation": 7.0},
                    "noncurrentVersionExpiration": {"noncurrentDays": 90.0},
                }
            ],
        },
    ),
    res(
        "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
        "data-lock",
        {"bucket": "data", "rule": {"defaultRetention": {"mode": "COMPLIANCE", "days": 30.0}}},
    ),
    res(
        "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
        "data-replication",
        {
            "bucket": "data",
            "role": ROLE,
            "rules": [{"status": "Enabled", "destination": {"bucket": "arn:dr"}}],
        },
    ),
    res(
        "aws:s3/bucketNotification:BucketNotification", "data-events", {"bucket": "data", "eventbridge": True}
    ),
]

BACKUP_STACK = [
    res(VAULT, "vault", {**BASELINES[VAULT], "name": "prod-vault"}),
    res(
        "aws:backup/vaultLockConfiguration:VaultLockConfiguration",
        "vault-lock",
        {"backupVaultName": "prod-vault", "minRetentionDays": 30.0},
    ),
    res(
        "aws:backup/vaultPolicy:VaultPolicy",
        "vault-policy",
        {
            "backupVaultName": "prod-vault",
            "policy": (
                '{"Statement":[{"Effect":"Deny","Principal":"*","Action":["backup:DeleteRecoveryPoint"],'
                '"Resource":"*"}]}'
            ),
        },
    ),
]

STACKS = {"database": DATABASE_STACK, "s3": S3_STACK, "backup": BACKUP_STACK}

# (rule id, stack name, transformation of that stack that breaks exactly this rule)
STACK_CASES = [
    ("AWS-RDS-014", "database", lambda s: replaced(s, "pg", {"parameters.0.value": "0"})),
    (
        "AWS-RDS-014",
        "database",
        lambda s: replaced(without(s, "pg"), "db", {"parameterGroupName": DROP, "engineVersion": "14.9"}),
    ),
    ("AWS-RDS-015", "database", lambda s: replaced(s, "pg", {"parameters.1.value": "none"})),
    ("AWS-RDS-025", "database", lambda s: without(s, "aurora-2")),
    ("AWS-RDS-025", "database", lambda s: replaced(s, "aurora-2", {"availabilityZone": "eu-west-1a"})),
    ("AWS-S3-001", "s3", lambda s: without(s, "data-pab")),
    ("AWS-S3-001", "s3", lambda s: replaced(s, "data-pab", {"restrictPublicBuckets": False})),
    ("AWS-S3-003", "s3", lambda s: replaced(s, "data-owner", {"rule.objectOwnership": "ObjectWriter"})),
    ("AWS-S3-004", "s3", lambda s: without(s, "data-sse")),
    (
        "AWS-S3-004",
        "s3",
        lambda s: replaced(
            s, "data-sse", {"rules.0.applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}
        ),
    ),
    ("AWS-S3-005", "s3", lambda s: without(s, "data-policy")),
    (
        "AWS-S3-007",
        "s3",
        lambda s: replaced(s, "data-versioning", {"versioningConfiguration.status": "Suspended"}),
    ),
    ("AWS-S3-008", "s3", lambda s: without(s, "data-logging")),
    (
        "AWS-S3-009",
        "s3",
        lambda s: replaced(s, "data-lifecycle", {"rules.0.noncurrentVersionExpiration": DROP}),
    ),
    ("AWS-S3-010", "s3", lambda s: without(s, "data-lock")),
    ("AWS-S3-011", "s3", lambda s: without(s, "data-replication")),
    ("AWS-S3-012", "s3", lambda s: without(s, "data-events")),
    ("AWS-BACKUP-003", "backup", lambda s: without(s, "vault-lock")),
    ("AWS-BACKUP-004", "backup", lambda s: without(s, "vault-policy")),
]


# AWS-S3-012 is disabled in every shipped config (target table D/D); the tests switch it on.
ENABLE_S3_NOTIFICATIONS = {"AWS-S3-012": "advisory"}


@pytest.mark.parametrize(
    "rule_id, stack, breaks", STACK_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(STACK_CASES)]
)
def test_stack_rule_fires_on_broken_stack(rule_id, stack, breaks):
    assert rule_id in stack_fired(breaks(STACKS[stack]), config=ENABLE_S3_NOTIFICATIONS)


@pytest.fixture(scope="module")
def compliant_stack_findings():
    return {
        name: stack_fired(resources, config=ENABLE_S3_NOTIFICATIONS) for name, resources in STACKS.items()
    }


@pytest.mark.parametrize("rule_id, stack", sorted({(c[0], c[1]) for c in STACK_CASES}))
def test_stack_rule_is_silent_on_compliant_stack(rule_id, stack, compliant_stack_findings):
    assert rule_id not in compliant_stack_findings[stack]


def test_s3_rules_read_the_inline_shape_of_bucket_v2():
    inline = res(
        BUCKET_V2,
        "legacy",
        {
            "bucket": "legacy",
            "versionings": [{"enabled": True}],
            "serverSideEncryptionConfigurations": [
                {
                    "rules": [
                        {
                            "applyServerSideEncryptionByDefaults": [
                                {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY}
                            ],
                            "bucketKeyEnabled": True,
                        }
                    ]
                }
            ],
            "loggings": [{"targetBucket": "access-logs"}],
        },
    )
    assert not {"AWS-S3-004", "AWS-S3-007", "AWS-S3-008"} & stack_fired([inline])


def test_satellites_join_their_bucket_through_property_dependencies_when_the_id_is_opaque():
    bucket = res(BUCKET, "data", {})
    versioning = res(
        "aws:s3/bucketVersioning:BucketVersioning",
        "v",
        {"bucket": "id-0123", "versioningConfiguration": {"status": "Enabled"}},
        deps={"bucket": ["data"]},
    )
    assert "AWS-S3-007" not in stack_fired([bucket, versioning])


def test_a_value_unknown_at_preview_spares_only_that_resource():
    from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

    unknown = res(BUCKET, "unknown", {"bucket": "unknown", "policy": UNKNOWN_STRING_VALUE})
    plain = res(BUCKET, "plain", {"bucket": "plain"})
    findings = evaluate_stack([unknown, plain])
    assert {
        (f.rule_id, f.resource_name)
        for f in findings
        if f.status == "violation" and f.rule_id == "AWS-S3-005"
    } == {("AWS-S3-005", "plain")}


def test_the_access_log_bucket_needs_only_sse_s3_and_no_logging_of_its_own():
    logs = res(BUCKET, "access-logs", {"bucket": "access-logs"})
    logs_sse = res(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "access-logs-sse",
        {
            "bucket": "access-logs",
            "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}],
        },
    )
    findings = evaluate_stack([*S3_STACK, logs, logs_sse])
    on_logs = {f.rule_id for f in findings if f.resource_name == "access-logs" and f.status == "violation"}
    assert not {"AWS-S3-004", "AWS-S3-008"} & on_logs
    assert "AWS-S3-001" in on_logs  # still a bucket: it needs its public access block like any other
