"""The stack rule that prod is multi-AZ end to end (STACK-HA-001): subnets, NAT gateways, MSK
brokers and EKS node groups spread over the AZs. The per-datastore Multi-AZ flags are rules of
their own services (AWS-RDS-004, AWS-RDS-025, AWS-ELASTICACHE-005).
"""

from __future__ import annotations

from policy.framework import Resource, Stack, stack_rule
from policy.helpers import as_list, each, linked, number
from policy.rules.aws.eks import NODE_GROUP
from policy.rules.aws.msk import MSK_CLUSTER
from policy.rules.aws.vpc import NAT, SUBNET


def _zone(subnet: Resource) -> str | None:
    return subnet.peek("availabilityZone") or subnet.peek("availabilityZoneId")


def _zones(owner: Resource, prop: str, subnets: list[Resource]) -> set[str]:
    return {z for z in (_zone(s) for s in linked(owner, prop, subnets, keys=("id",))) if isinstance(z, str)}


@stack_rule(
    id="STACK-HA-001",
    title="Prod is multi-AZ end to end",
    severity="high",
    description="In the environments of the policy config's `requireMultiAzIn` (default prod), with `minAzs` "
    "(default 3): the subnets span at least minAzs AZs; NAT gateways sit in at least minAzs AZs; "
    "every MSK cluster's `brokerNodeGroupInfo.clientSubnets` span minAzs AZs and the broker "
    "count is a multiple of them; every EKS node group's `subnetIds` span minAzs AZs with "
    "`scalingConfig.minSize >= minAzs`. The per-datastore flags are AWS-RDS-004 (multiAz), "
    "AWS-RDS-025 and AWS-ELASTICACHE-005 (multiAzEnabled + automaticFailover).",
    rationale="Multi-AZ is only as strong as its weakest layer: a Multi-AZ database behind one NAT gateway, "
    "or Kafka brokers in two AZs, still goes down with one zone. Other rule sets check single flags, "
    "never the spread across AZs.",
    remediation="Keep `network.azCount: 3` and `network.natGateways: perAz` (prod profile), and pass all "
    "three private subnets to the cluster and Kafka (`kafka.brokerCount` a multiple of 3).",
    thresholds={"requireMultiAzIn": ["prod"], "minAzs": 3},
    aliases=("STK-HA-001",),
)
def multi_az_end_to_end(stack: Stack):
    if stack.environment not in stack.threshold("requireMultiAzIn", ["prod"]):
        return
    need = int(number(stack.threshold("minAzs", 3), 3))
    subnets = stack.of_type(SUBNET)
    all_zones = {z for z in (_zone(s) for s in subnets) if isinstance(z, str)}
    if subnets and len(all_zones) < need:
        yield (
            None,
            (f"the subnets span {len(all_zones)} AZ(s): {', '.join(sorted(all_zones))}; {need} required"),
        )
    nats = stack.of_type(NAT)
    if nats:
        nat_zones = set().union(*(_zones(n, "subnetId", subnets) for n in nats))
        if (len(nat_zones) if nat_zones else len(nats)) < need:
            yield (
                nats[0],
                (
                    f"{len(nats)} NAT gateway(s): losing their AZ cuts egress for the others; one "
                    "per AZ needed"
                ),
            )

    def msk(cluster: Resource):
        client_subnets = as_list(cluster.get("brokerNodeGroupInfo.clientSubnets"))
        zones = _zones(cluster, "brokerNodeGroupInfo", subnets) or set()
        spread = len(zones) if zones else len(client_subnets)
        if spread < need:
            yield cluster, f"brokers are spread over {spread} AZ(s); {need} required"
        brokers = number(cluster.get("numberOfBrokerNodes"), 0)
        if spread and brokers % spread:
            yield cluster, f"{brokers:g} brokers do not divide evenly over {spread} AZs"

    def node_group(group: Resource):
        zones = _zones(group, "subnetIds", subnets)
        spread = len(zones) if zones else len(as_list(group.get("subnetIds")))
        if spread < need:
            yield group, f"the node group spans {spread} AZ(s); {need} required"
        min_size = number(group.get("scalingConfig.minSize"), 0)
        if min_size < need:
            yield group, f"scalingConfig.minSize is {min_size:g}: fewer nodes than AZs"

    yield from each(stack.of_type(MSK_CLUSTER), msk)
    yield from each(stack.of_type(NODE_GROUP), node_group)
