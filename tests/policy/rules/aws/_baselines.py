"""Compliant baselines for the AWS resource types that more than one rule module reads (an RDS
instance is judged by the rds, aurora and rds_parameters modules; an EC2 instance by ec2 and eks).
Each test breaks a copy with `tests.policy._cases.patched`; never edit these in place."""

KEY = "arn:aws:kms:eu-west-1:123456789012:key/0000-platform"
MONITORING_ROLE = "arn:aws:iam::123456789012:role/rds-monitoring"

RDS = "aws:rds/instance:Instance"
RDS_CLUSTER = "aws:rds/cluster:Cluster"
RDS_CLUSTER_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
EC2_INSTANCE = "aws:ec2/instance:Instance"

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
        "monitoringRoleArn": MONITORING_ROLE,
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
    EC2_INSTANCE: {
        "ami": "ami-1",
        "instanceType": "t3.micro",
        "associatePublicIpAddress": False,
        "metadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": 1.0},
        "rootBlockDevice": {"encrypted": True, "kmsKeyId": KEY},
        "userData": "#!/bin/bash\necho ok\n",
    },
}
