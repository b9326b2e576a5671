"""Postgres component on mocks: what RDS and the in-cluster StatefulSet are really given."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from components.kafka import KafkaArgs
from components.postgres import Postgres, PostgresArgs, PostgresSettings
from components.redis import RedisArgs
from stacks.preflight.capture import Capture
from tests.conftest import run_component
from tests.data_support import TAGS, fed_by, network_for_tests


@pytest.fixture(scope="module")
def managed() -> Capture:
    return run_component(
        lambda: Postgres(
            "db",
            PostgresArgs(
                namespace="apps",
                network=network_for_tests(),
                settings=PostgresSettings(read_replica=True),
                protect=True,
                tags=TAGS,
            ),
        )
    )


@pytest.fixture(scope="module")
def in_cluster() -> Capture:
    return run_component(
        lambda: Postgres(
            "db",
            PostgresArgs(namespace="apps", storage_class_name="standard", tags=TAGS),
        )
    )


def test_storage_encrypted_with_the_stack_key(managed):
    db = managed.named("db-db")
    assert db.props["storageEncrypted"] is True
    assert fed_by(db, "kmsKeyId", managed.named("test-data-key"))


def test_gp3_storage_autoscales_above_the_allocation(managed):
    db = managed.named("db-db").props
    assert db["storageType"] == "gp3"
    assert db["maxAllocatedStorage"] > db["allocatedStorage"]


def test_parameter_group_forces_tls_and_logs_slow_statements_and_connections(managed):
    group = managed.named("db-params")
    params = {p["name"]: p["value"] for p in group.props["parameters"]}
    assert params["rds.force_ssl"] == "1"
    assert int(params["log_min_duration_statement"]) > 0
    assert params["log_connections"] == "1"
    assert fed_by(managed.named("db-db"), "parameterGroupName", group)


def test_master_password_is_managed_by_rds_with_the_stack_key(managed):
    db = managed.named("db-db")
    assert db.props["manageMasterUserPassword"] is True
    assert fed_by(db, "masterUserSecretKmsKeyId", managed.named("test-data-key"))
    assert "password" not in db.inputs and "passwordWo" not in db.inputs


def test_point_in_time_backups_with_windows_and_a_final_snapshot(managed):
    db = managed.named("db-db").props
    assert db["backupRetentionPeriod"] >= 7
    assert db["backupWindow"] and db["maintenanceWindow"]
    assert db["skipFinalSnapshot"] is False and db["finalSnapshotIdentifier"]
    assert db["copyTagsToSnapshot"] is True
    assert db["deleteAutomatedBackups"] is False


def test_production_defaults_are_multi_az_and_deletion_protected(managed):
    db = managed.named("db-db").props
    assert db["multiAz"] is True
    assert db["deletionProtection"] is True


def test_protect_reaches_the_instance_and_its_tags(managed):
    db = managed.named("db-db")
    assert db.protect
    assert db.props["tags"]["backup"] == "true"
    assert db.props["tags"]["protect"] == "true"


def test_private_in_the_database_subnet_group(managed):
    db = managed.named("db-db")
    assert db.props["publiclyAccessible"] is False
    assert fed_by(db, "dbSubnetGroupName", managed.named("db-subnets"))


def test_security_group_admits_5432_from_the_cluster_only(managed):
    group = managed.named("db-sg")
    rules = [
        r
        for r in managed.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if fed_by(r, "securityGroupId", group)
    ]
    assert len(rules) == 1
    rule = rules[0]
    assert (rule.props["fromPort"], rule.props["toPort"], rule.props["ipProtocol"]) == (5432, 5432, "tcp")
    assert fed_by(rule, "referencedSecurityGroupId", managed.named("test-nodes"))
    assert not {"cidrIpv4", "cidrIpv6", "prefixListId"} & set(rule.props)
    assert "ingress" not in group.props and "egress" not in group.props
    assert fed_by(managed.named("db-db"), "vpcSecurityGroupIds", group)


def test_logs_exported_to_encrypted_log_groups_with_retention(managed):
    assert set(managed.named("db-db").props["enabledCloudwatchLogsExports"]) == {"postgresql", "upgrade"}
    for kind in ("postgresql", "upgrade"):
        group = managed.named(f"db-log-{kind}")
        assert group.props["name"] == f"/aws/rds/instance/db/{kind}"
        assert group.props["retentionInDays"] > 0
        assert fed_by(group, "kmsKeyId", managed.named("test-data-key"))


def test_performance_insights_encrypted_and_enhanced_monitoring_with_its_role(managed):
    db = managed.named("db-db")
    assert db.props["performanceInsightsEnabled"] is True
    assert fed_by(db, "performanceInsightsKmsKeyId", managed.named("test-data-key"))
    assert db.props["monitoringInterval"] > 0
    assert fed_by(db, "monitoringRoleArn", managed.named("db-monitoring"))
    trust = managed.named("db-monitoring").props["assumeRolePolicy"]
    assert "monitoring.rds.amazonaws.com" in trust


def test_iam_auth_minor_upgrades_on_and_extended_support_off(managed):
    db = managed.named("db-db").props
    assert db["iamDatabaseAuthenticationEnabled"] is True
    assert db["autoMinorVersionUpgrade"] is True
    assert db["engineLifecycleSupport"] == "open-source-rds-extended-support-disabled"
    assert db["engine"] == "postgres" and db["engineVersion"].count(".") == 1


def test_read_replica_follows_the_primary_privately(managed):
    replica = managed.named("db-replica")
    assert fed_by(replica, "replicateSourceDb", managed.named("db-db"))
    assert replica.props["publiclyAccessible"] is False
    assert replica.props["storageEncrypted"] is True


def test_connection_secret_is_a_secret_in_the_app_namespace(managed):
    secret = managed.named("db-connection")
    assert secret.is_secret("stringData")
    assert secret.props["metadata"]["namespace"] == "apps"
    data = secret.props["stringData"]
    assert data["passwordSecretArn"].startswith("arn:aws:secretsmanager:")
    assert data["tls"] == "true" and data["sslmode"] == "verify-full"
    assert data["password"] == ""  # RDS keeps it in Secrets Manager; it never passes through Pulumi


def test_in_cluster_password_is_generated_and_travels_as_a_secret(in_cluster):
    secret = in_cluster.named("db-connection")
    assert secret.is_secret("stringData")
    password = secret.props["stringData"]["password"]
    assert password and fed_by(secret, "stringData", in_cluster.named("db-password"))
    statefulset = in_cluster.named("db-statefulset").props
    env = statefulset["spec"]["template"]["spec"]["containers"][0]["env"]
    from_secret = next(e for e in env if e["name"] == "POSTGRES_PASSWORD")["valueFrom"]["secretKeyRef"]
    assert from_secret == {"name": "db-connection", "key": "password"}


def test_in_cluster_creates_no_aws_resources(in_cluster):
    assert not [r for r in in_cluster.resources if r.type.startswith("aws:")]


def test_fails_without_a_backend():
    with pytest.raises(ValidationError, match="set exactly one of `network`"):
        PostgresArgs(namespace="apps")


@pytest.fixture(scope="module")
def managed_pooled() -> Capture:
    return run_component(
        lambda: Postgres(
            "db",
            PostgresArgs(
                namespace="apps",
                network=network_for_tests(),
                settings=PostgresSettings(connection_pooling=True),
                tags=TAGS,
            ),
        )
    )


@pytest.fixture(scope="module")
def in_cluster_pooled() -> Capture:
    return run_component(
        lambda: Postgres(
            "db",
            PostgresArgs(
                namespace="apps",
                storage_class_name="standard",
                settings=PostgresSettings(connection_pooling=True),
                tags=TAGS,
            ),
        )
    )


def test_rds_proxy_requires_tls_and_reads_the_rds_managed_secret(managed_pooled):
    proxy = managed_pooled.named("db-proxy")
    assert proxy.props["requireTls"] is True and proxy.props["engineFamily"] == "POSTGRESQL"
    assert fed_by(proxy, "auths", managed_pooled.named("db-db"))
    assert proxy.props["auths"][0]["authScheme"] == "SECRETS"
    policy = managed_pooled.named("db-proxy-secret").props["policy"]
    statements = json.loads(policy)["Statement"]
    assert [s["Action"] for s in statements] == ["secretsmanager:GetSecretValue", "kms:Decrypt"]
    assert statements[0]["Resource"].startswith("arn:aws:secretsmanager:")


def test_rds_proxy_admits_the_cluster_and_is_the_only_other_way_into_the_database(managed_pooled):
    proxy_sg = managed_pooled.named("db-proxy-sg")
    rules = managed_pooled.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    into_proxy = [r for r in rules if fed_by(r, "securityGroupId", proxy_sg)]
    nodes = managed_pooled.named("test-nodes")
    assert len(into_proxy) == 1 and fed_by(into_proxy[0], "referencedSecurityGroupId", nodes)
    into_db = [r for r in rules if fed_by(r, "securityGroupId", managed_pooled.named("db-sg"))]
    sources = sorted(
        "proxy"
        if fed_by(r, "referencedSecurityGroupId", proxy_sg)
        else "nodes"
        if fed_by(r, "referencedSecurityGroupId", nodes)
        else "other"
        for r in into_db
    )
    assert sources == ["nodes", "proxy"]
    secret = managed_pooled.named("db-connection")
    assert secret.props["stringData"]["poolerHost"].startswith("db.proxy-")


def test_pgbouncer_gets_the_password_as_a_secret_and_pools_transactions(in_cluster_pooled):
    config = in_cluster_pooled.named("db-pooler-config")
    assert config.is_secret("stringData")
    assert fed_by(config, "stringData", in_cluster_pooled.named("db-password"))
    ini = config.props["stringData"]["pgbouncer.ini"]
    assert "pool_mode = transaction" in ini and "auth_type = scram-sha-256" in ini
    assert "host=db.apps.svc.cluster.local" in ini
    secret = in_cluster_pooled.named("db-connection").props["stringData"]
    assert secret["poolerHost"] == "db-pooler.apps.svc.cluster.local"


@pytest.mark.parametrize("args_type", [PostgresArgs, RedisArgs, KafkaArgs])
def test_a_data_service_needs_exactly_one_backend(args_type):
    """Both a network and a StorageClass would leave the backend ambiguous; the shared args base
    refuses it before any resource exists."""
    with pytest.raises(ValidationError, match="set exactly one of `network`"):
        args_type(namespace="apps", storage_class_name="standard", network=_network_args())


def _network_args():
    from components.datastore import ManagedNetworkArgs

    return ManagedNetworkArgs(
        vpc_id="vpc-1", subnet_ids=["subnet-1"], client_security_group_id="sg-1", kms_key_arn="arn:key"
    )
