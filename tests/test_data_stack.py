"""The data services as each stack file builds them (foundation + a stand-in cluster handle)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from stacks.config import load_stack
from stacks.preflight.capture import Capture
from stacks.wiring.data import wire_data
from stacks.wiring.platform import Platform
from tests.data_support import APP_NAMESPACE, NODE_SG_NAME, capture_data, fed_by

RDS = "aws:rds/instance:Instance"
CACHE = "aws:elasticache/replicationGroup:ReplicationGroup"
MSK = "aws:msk/cluster:Cluster"
MANAGED = (RDS, CACHE, MSK)


@pytest.fixture(scope="session")
def data_stack() -> Callable[[str], tuple[Capture, dict]]:
    cache: dict[str, tuple[Capture, dict]] = {}

    def get(stack: str) -> tuple[Capture, dict]:
        if stack not in cache:
            cache[stack] = capture_data(stack)
        return cache[stack]

    return get


def _one(capture: Capture, type_token: str):
    resources = capture.of_type(type_token)
    assert len(resources) == 1, f"{capture.stack}: {len(resources)} x {type_token}"
    return resources[0]


def test_wire_data_refuses_to_run_before_the_cluster():
    with pytest.raises(RuntimeError, match="wire the cluster step before wire_data"):
        wire_data(Platform(config=load_stack("local")))


def test_local_runs_all_three_in_the_cluster_without_aws(data_stack):
    capture, seen = data_stack("local")
    assert not [r for r in capture.resources if r.type.startswith("aws:")]
    names = {r.name for r in capture.of_type("kubernetes:apps/v1:StatefulSet")}
    assert names == {"local-postgres-statefulset", "local-redis-statefulset", "local-kafka-statefulset"}
    assert {kind: handle.managed for kind, handle in seen["datastores"].items()} == {
        "postgres": False,
        "redis": False,
        "kafka": False,
    }


@pytest.mark.parametrize("stack", ["local", "dev", "prod"])
def test_connection_secrets_land_in_the_app_namespace_through_the_cluster_provider(data_stack, stack):
    capture, _ = data_stack(stack)
    secrets = capture.of_type("kubernetes:core/v1:Secret")
    assert len(secrets) == 3
    for secret in secrets:
        assert secret.props["metadata"]["namespace"] == APP_NAMESPACE
        assert secret.is_secret("stringData")
        assert secret.provider and f"::{stack}-k8s::" in secret.provider


@pytest.mark.parametrize("stack", ["dev", "qa", "staging", "prod"])
def test_aws_stacks_run_all_three_managed(data_stack, stack):
    capture, seen = data_stack(stack)
    for type_token in MANAGED:
        _one(capture, type_token)
    assert all(handle.managed for handle in seen["datastores"].values())


def test_prod_is_multi_az_everywhere(data_stack):
    capture, _ = data_stack("prod")
    assert _one(capture, RDS).props["multiAz"] is True
    cache = _one(capture, CACHE).props
    assert cache["multiAzEnabled"] is True and cache["automaticFailoverEnabled"] is True
    assert cache["numCacheClusters"] >= 2
    msk = _one(capture, MSK).props
    assert msk["numberOfBrokerNodes"] == 3 and len(msk["brokerNodeGroupInfo"]["clientSubnets"]) == 3


def test_prod_keeps_30_days_of_backups(data_stack):
    capture, _ = data_stack("prod")
    assert _one(capture, RDS).props["backupRetentionPeriod"] == 30
    assert _one(capture, CACHE).props["snapshotRetentionLimit"] == 30


@pytest.mark.parametrize("type_token", MANAGED)
def test_prod_datastores_are_protected(data_stack, type_token):
    capture, _ = data_stack("prod")
    resource = _one(capture, type_token)
    assert resource.protect
    assert resource.props["tags"]["protect"] == "true"
    if type_token == RDS:
        assert resource.props["deletionProtection"] is True


@pytest.mark.parametrize("type_token", MANAGED)
def test_dev_datastores_are_not_protected_but_still_backed_up(data_stack, type_token):
    capture, _ = data_stack("dev")
    resource = _one(capture, type_token)
    assert not resource.protect and "protect" not in resource.props["tags"]
    assert resource.props["tags"]["backup"] == "true"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_database_security_groups_admit_only_the_cluster_nodes(data_stack, stack):
    capture, _ = data_stack(stack)
    nodes = capture.named(NODE_SG_NAME)
    groups = [capture.named(f"{stack}-{kind}-sg") for kind in ("postgres", "redis", "kafka")]
    for group in groups:
        rules = [
            r
            for r in capture.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
            if fed_by(r, "securityGroupId", group)
        ]
        assert rules, group.name
        for rule in rules:
            assert fed_by(rule, "referencedSecurityGroupId", nodes)
            assert not {"cidrIpv4", "cidrIpv6", "prefixListId"} & set(rule.props)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_datastores_use_the_database_subnets_and_the_stack_key(data_stack, stack):
    capture, _ = data_stack(stack)
    key = capture.named(f"{stack}-platform-key")
    assert fed_by(_one(capture, RDS), "kmsKeyId", key)
    assert fed_by(_one(capture, CACHE), "kmsKeyId", key)
    assert fed_by(_one(capture, MSK), "encryptionInfo", key)
    database_subnets = {r.urn for r in capture.of_type("aws:ec2/subnet:Subnet") if "-database-" in r.name}
    subnet_group = capture.named(f"{stack}-postgres-subnets")
    assert database_subnets and set(subnet_group.property_dependencies["subnetIds"]) == database_subnets


def test_staging_sizes_follow_the_environment_table(data_stack):
    capture, _ = data_stack("staging")
    db = _one(capture, RDS).props
    assert (db["instanceClass"], db["allocatedStorage"]) == ("db.t3.medium", 100)
    assert _one(capture, CACHE).props["numCacheClusters"] == 2
    assert _one(capture, MSK).props["numberOfBrokerNodes"] == 3


def test_handles_name_the_resources_alarms_watch(data_stack):
    capture, seen = data_stack("prod")
    handles = seen["datastores"]
    assert set(handles) == {"postgres", "redis", "kafka"}
    assert all(
        h.arn is not None and h.resource_id is not None and h.security_group_id is not None
        for h in handles.values()
    )
    assert _one(capture, RDS).props["identifier"] == "prod-postgres"


def test_exports_carry_endpoints_and_no_secret(data_stack):
    capture, _ = data_stack("prod")
    outputs = capture.outputs
    for key in (
        "postgres_endpoint",
        "redis_endpoint",
        "kafka_bootstrap_servers",
        "postgres_connection_secret",
    ):
        assert outputs[key] and outputs[key] != "[secret]"
    secrets = [capture.named(f"prod-{kind}-connection").props["stringData"] for kind in ("redis", "kafka")]
    passwords = {data["password"] for data in secrets if "password" in data}
    assert passwords
    assert not passwords & {str(v) for v in outputs.values()}
    assert not any("password" in key for key in outputs)


def _taggable(type_token: str) -> bool:
    """Whether the installed pulumi_aws resource class of `type_token` takes `tags`."""
    import importlib
    import inspect

    module, _, cls = type_token.split(":", 1)[1].partition(":")
    package = importlib.import_module(f"pulumi_aws.{module.split('/')[0]}")
    return "tags" in inspect.signature(getattr(package, cls)._internal_init).parameters


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_taggable_data_resource_carries_the_standard_and_component_tags(data_stack, stack):
    capture, _ = data_stack(stack)
    prefixes = tuple(f"{stack}-{kind}" for kind in ("postgres", "redis", "kafka"))
    resources = [r for r in capture.resources if r.type.startswith("aws:") and r.name.startswith(prefixes)]
    assert len(resources) > 20
    required = {"environment", "project", "managed-by", "owner", "cost-center", "component"}
    untagged = [
        r.name for r in resources if _taggable(r.type) and not required <= set(r.props.get("tags", {}))
    ]
    assert untagged == []


def test_scram_is_an_explicit_opt_in_of_the_stack_file():
    capture, _ = capture_data(
        "dev", overrides={"groundwork:kafka": {"clientAuthentication": ["iam", "scram"]}}
    )
    assert _one(capture, MSK).props["clientAuthentication"]["sasl"] == {"iam": True, "scram": True}
    secret = _one(capture, "aws:secretsmanager/secret:Secret")
    assert secret.props["name"].startswith("AmazonMSK_dev-kafka")
    assert capture.named("dev-kafka-connection").props["stringData"]["saslMechanism"] == "SCRAM-SHA-512"


def test_prod_kafka_holds_no_static_credential(data_stack):
    capture, _ = data_stack("prod")
    assert _one(capture, MSK).props["clientAuthentication"]["sasl"] == {"iam": True, "scram": False}
    assert not capture.of_type("aws:secretsmanager/secret:Secret")
