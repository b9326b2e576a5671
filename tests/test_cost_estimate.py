"""The estimate prices a known set of resources exactly, from a price table written for the test.

Every row of the test table has its own distinctive price, so looking up the wrong row (another
instance type, the wrong region, gp2 for gp3, Redis for Valkey) changes the figure and fails.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from policy.cost.assumptions import UsageAssumptions, for_environment
from policy.cost.estimate import estimate
from policy.cost.model import CostResource
from policy.cost.prices import MissingPrice, load_price_book

STACK = "urn:pulumi:t::groundwork::pulumi:pulumi:Stack::groundwork-t"
HOURS = 730


def _table(region: str, rows: dict[str, float]) -> str:
    body = "\n".join(
        f"  {item}: {{usd: {usd}, per: unit, read: '2026-12-01', source: https://aws.amazon.com/pricing/,"
        " basis: published}"
        for item, usd in rows.items()
    )
    return (
        textwrap.dedent(
            f"""\
        region: {region}
        location: test
        currency: USD
        hoursPerMonth: {HOURS}
        estimateBasis: test
        prices:
        """
        )
        + body
        + "\n"
    )


WEST = {
    "eks.cluster.standard": 0.10,
    "eks.cluster.extended": 0.60,
    "ec2.instance.t3.large": 0.11,
    "ec2.instance.t3.medium": 0.05,
    "ec2.ebs.gp3": 0.08,
    "ec2.ebs.gp2": 0.99,
    "vpc.nat_gateway.hour": 0.045,
    "vpc.nat_gateway.gb": 0.05,
    "vpc.public_ipv4": 0.005,
    "vpc.interface_endpoint.hour": 0.01,
    "vpc.interface_endpoint.gb": 0.02,
    "rds.postgres.db.t3.large": 0.15,
    "rds.multi_az_factor": 2,
    "rds.storage.gp3": 0.12,
    "rds.backup_storage": 0.1,
    "secretsmanager.secret": 0.4,
    "cloudwatch.logs.ingestion": 0.5,
    "cloudwatch.logs.storage": 0.03,
    "elasticache.redis.cache.t4g.medium": 0.07,
    "elasticache.valkey_discount": 0.2,
    "elasticache.snapshot_storage": 0.09,
    "msk.broker.kafka.m7g.large": 0.2,
    "msk.storage": 0.1,
    "cloudwatch.metric.custom": 0.3,
    "kms.key": 1.0,
    "s3.standard": 0.023,
    "data_transfer.inter_region": 0.02,
}
CENTRAL = {"kms.key": 1.5, "rds.backup_storage": 0.2}


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    directory: Path = tmp_path_factory.mktemp("prices")
    (directory / "eu-west-1.yaml").write_text(_table("eu-west-1", WEST))
    (directory / "eu-central-1.yaml").write_text(_table("eu-central-1", CENTRAL))
    return load_price_book(directory)


def provider(name: str, region: str) -> CostResource:
    urn = f"urn:pulumi:t::groundwork::pulumi:providers:aws::{name}"
    return CostResource(
        urn=urn, type="pulumi:providers:aws", name=name, props={"region": region}, parent=STACK
    )


WEST_P, CENTRAL_P = provider("t-aws", "eu-west-1"), provider("t-aws-dr", "eu-central-1")


def res(
    type_: str, name: str, props: dict, *, parent: str = STACK, region: CostResource = WEST_P, **deps
) -> CostResource:
    return CostResource(
        urn=f"urn:pulumi:t::groundwork::{type_}::{name}",
        type=type_,
        name=name,
        props=props,
        parent=parent,
        provider=f"{region.urn}::id-1",
        property_dependencies={k: tuple(v) for k, v in deps.items()},
    )


COMPONENT = CostResource(
    urn="urn:pulumi:t::groundwork::groundwork:cluster:EksCluster::t-cluster",
    type="groundwork:cluster:EksCluster",
    name="t-cluster",
    props={},
    parent=STACK,
)
TEMPLATE = res(
    "aws:ec2/launchTemplate:LaunchTemplate",
    "t-lt",
    {"blockDeviceMappings": [{"ebs": {"volumeSize": 100.0, "volumeType": "gp3"}}]},
    parent=COMPONENT.urn,
)


def node_group(**props) -> CostResource:
    return res(
        "aws:eks/nodeGroup:NodeGroup",
        "t-general",
        {
            "instanceTypes": ["t3.large"],
            "capacityType": "ON_DEMAND",
            "scalingConfig": {"desiredSize": 5.0, "minSize": 3.0, "maxSize": 10.0},
            "labels": {"groundwork.dev/node-group": "general"},
            **props,
        },
        parent=COMPONENT.urn,
        launchTemplate=[TEMPLATE.urn],
    )


def priced(book, *resources: CostResource, assumptions: UsageAssumptions | None = None):
    return estimate(
        [WEST_P, CENTRAL_P, COMPONENT, TEMPLATE, *resources], assumptions or UsageAssumptions(), book=book
    )


def line(result, resource: str, item: str) -> float:
    (match,) = [x for x in result.lines if x.resource == resource and x.item == item]
    return round(match.monthly_usd, 4)


def test_node_group_prices_desired_nodes_and_their_root_volumes(book):
    result = priced(book, node_group())
    assert line(result, "t-general", "nodes") == round(5 * 0.11 * HOURS, 4)
    assert line(result, "t-general", "root volumes") == round(5 * 100 * 0.08, 4)


def test_spot_node_group_is_priced_at_the_stated_discount(book):
    result = priced(
        book, node_group(capacityType="SPOT"), assumptions=UsageAssumptions(spot_discount_percent=70)
    )
    assert line(result, "t-general", "nodes") == round(5 * 0.11 * HOURS * 0.3, 4)
    (nodes,) = [x for x in result.lines if x.item == "nodes"]
    assert "cost.spotDiscountPercent = 70 %" in nodes.assumption


def test_eks_extended_support_uses_the_extended_rate(book):
    cluster = res("aws:eks/cluster:Cluster", "t-eks", {"upgradePolicy": {"supportType": "EXTENDED"}})
    assert line(priced(book, cluster), "t-eks", "control plane") == round(0.60 * HOURS, 4)


def test_multi_az_rds_doubles_compute_and_storage_and_prices_backups_beyond_the_free_copy(book):
    db = res(
        "aws:rds/instance:Instance",
        "t-db",
        {
            "engine": "postgres",
            "instanceClass": "db.t3.large",
            "multiAz": True,
            "allocatedStorage": 500.0,
            "storageType": "gp3",
            "backupRetentionPeriod": 30.0,
            "manageMasterUserPassword": True,
        },
    )
    result = priced(book, db, assumptions=UsageAssumptions(backup_daily_change_percent=2))
    assert line(result, "t-db", "instance") == round(0.15 * HOURS * 2, 4)
    assert line(result, "t-db", "gp3 storage") == round(500 * 0.12 * 2, 4)
    assert line(result, "t-db", "automated backups 30 days") == round(500 * 30 * 0.02 * 0.1, 4)
    assert line(result, "t-db", "master secret (Secrets Manager)") == 0.4


def test_valkey_nodes_are_priced_below_redis(book):
    group = res(
        "aws:elasticache/replicationGroup:ReplicationGroup",
        "t-cache",
        {
            "engine": "valkey",
            "nodeType": "cache.t4g.medium",
            "numCacheClusters": 2.0,
            "snapshotRetentionLimit": 1.0,
        },
    )
    assert line(priced(book, group), "t-cache", "2 valkey node(s)") == round(2 * 0.07 * 0.8 * HOURS, 4)


def test_msk_prices_brokers_storage_and_enhanced_monitoring_metrics(book):
    cluster = res(
        "aws:msk/cluster:Cluster",
        "t-kafka",
        {
            "numberOfBrokerNodes": 3.0,
            "enhancedMonitoring": "PER_BROKER",
            "brokerNodeGroupInfo": {
                "instanceType": "kafka.m7g.large",
                "storageInfo": {"ebsStorageInfo": {"volumeSize": 500.0}},
            },
        },
    )
    result = priced(book, cluster, assumptions=UsageAssumptions(msk_broker_metrics=30))
    assert line(result, "t-kafka", "brokers") == round(3 * 0.2 * HOURS, 4)
    assert line(result, "t-kafka", "broker storage") == round(3 * 500 * 0.1, 4)
    assert line(result, "t-kafka", "enhanced monitoring PER_BROKER") == round(90 * 0.3, 4)


def test_nat_gateway_hours_and_data_come_from_the_named_assumption(book):
    nat = res("aws:ec2/natGateway:NatGateway", "t-nat", {})
    result = priced(book, nat, assumptions=UsageAssumptions(nat_gb_per_month=200))
    assert line(result, "t-nat", "hours") == round(0.045 * HOURS, 4)
    assert line(result, "t-nat", "data processed") == round(200 * 0.05, 4)


def test_interface_endpoints_are_priced_per_az_and_gateway_endpoints_are_free(book):
    interface = res(
        "aws:ec2/vpcEndpoint:VpcEndpoint",
        "t-sts",
        {
            "vpcEndpointType": "Interface",
            "serviceName": "com.amazonaws.eu-west-1.sts",
            "subnetIds": ["a", "b"],
        },
    )
    gateway = res("aws:ec2/vpcEndpoint:VpcEndpoint", "t-s3", {"vpcEndpointType": "Gateway"})
    result = priced(book, interface, gateway)
    assert line(result, "t-sts", "sts endpoint in 2 AZ") == round(2 * 0.01 * HOURS, 4)
    assert not [x for x in result.lines if x.resource == "t-s3"]


def test_log_group_storage_is_the_retention_months_of_ingestion(book):
    logs = res(
        "aws:cloudwatch/logGroup:LogGroup",
        "t-logs",
        {"name": "/groundwork/t-logs/containers", "retentionInDays": 365.0},
    )
    result = priced(book, logs, assumptions=UsageAssumptions(container_logs_gb_per_month=10))
    assert line(result, "t-logs", "ingestion") == 5.0
    assert line(result, "t-logs", "storage 365 days") == round(10 * 12 * 0.03, 4)


def test_a_resource_is_priced_in_its_providers_region(book):
    key = res("aws:kms/key:Key", "t-dr-key", {}, region=CENTRAL_P)
    result = priced(book, key)
    (dr,) = result.lines
    assert (dr.monthly_usd, dr.region) == (1.5, "eu-central-1")


def test_lines_are_grouped_under_their_top_level_component(book):
    result = priced(book, node_group())
    assert dict(result.by_component()) == {"t-cluster": pytest.approx(5 * 0.11 * HOURS + 5 * 100 * 0.08)}


def test_a_missing_price_makes_the_estimate_incomplete_instead_of_free(book):
    result = priced(book, node_group(instanceTypes=["m9x.large"]))
    assert "aws:eks/nodeGroup:NodeGroup" in result.unpriced
    assert not result.complete
    assert "ec2.instance.m9x.large" in result.unpriced["aws:eks/nodeGroup:NodeGroup"][0]


def test_an_unknown_paid_type_is_unpriced_not_zero(book):
    result = priced(book, res("aws:redshift/cluster:Cluster", "t-warehouse", {}))
    assert result.unpriced == {
        "aws:redshift/cluster:Cluster": ["t-warehouse: no pricer and not on the free list"]
    }


def test_a_price_lookup_outside_the_table_raises(book):
    with pytest.raises(MissingPrice, match="eu-west-1"):
        book.get("eu-west-1", "ec2.instance.t9.huge")


def test_top_drivers_aggregate_alike_lines_and_name_their_lever(book):
    nats = [res("aws:ec2/natGateway:NatGateway", f"t-nat-{i}", {}) for i in range(3)]
    result = priced(book, node_group(), *nats, assumptions=UsageAssumptions(nat_gb_per_month=0))
    first, second = result.drivers(2)
    assert (first.what, first.count) == ("EKS node group nodes", 1)
    assert "cluster.nodeGroups.general.capacityType" in first.lever
    assert (second.what, second.count, round(second.monthly_usd, 2)) == (
        "NAT gateway hours",
        3,
        round(3 * 0.045 * HOURS, 2),
    )
    assert "network.natGateways" in second.lever


def test_the_environment_profile_sets_the_assumptions_and_overrides_win():
    assert for_environment("prod").nat_gb_per_month == 100
    assert for_environment("prod", {"natGbPerMonth": 7}).nat_gb_per_month == 7


def test_a_resource_without_a_region_is_unpriced(book):
    key = CostResource(
        urn="urn:pulumi:t::groundwork::aws:kms/key:Key::k", type="aws:kms/key:Key", name="k", props={}
    )
    result = estimate([key], UsageAssumptions(), book=book)
    assert "has no aws provider" in result.unpriced["aws:kms/key:Key"][0]
