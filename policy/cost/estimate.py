"""The monthly estimate of one stack: every resource priced or known free, by resource and component.

`estimate()` takes the resources as registered (preflight's capture, or the pack's view of the
stack), the usage assumptions and the price table, and returns an `Estimate`: the lines with their
formulas, the total, the totals per component (the top-level Groundwork component a resource sits
under), the top cost drivers with the config key that lowers each, and the types it could not price.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from policy.cost import pricers_data  # noqa: F401 - registers the data-service pricers
from policy.cost.assumptions import UsageAssumptions
from policy.cost.free import free_reason
from policy.cost.model import Context, CostResource, Line, with_component
from policy.cost.pricers import PRICERS
from policy.cost.prices import MissingPrice, PriceBook, load_price_book

STACK_TYPE = "pulumi:pulumi:Stack"


@dataclass(frozen=True)
class Driver:
    """A cost driver: lines of the same kind in one component, with the key that lowers them."""

    component: str
    what: str
    monthly_usd: float
    lever: str
    count: int

    def describe(self) -> str:
        many = f"{self.count} × " if self.count > 1 else ""
        return f"{many}{self.what} in {self.component} ${self.monthly_usd:,.2f} (lever: {self.lever})"


@dataclass
class Estimate:
    stack: str
    region: str | None
    lines: list[Line]
    assumptions: UsageAssumptions
    unpriced: dict[str, list[str]] = field(default_factory=dict)
    free: dict[str, int] = field(default_factory=dict)
    unknown: list[Exception] = field(default_factory=list)
    """Inputs only known after deploy that a pricer needed (the pack at preview); their lines are
    missing from the total, so a total under budget proves nothing while this is not empty."""

    @property
    def total(self) -> float:
        return sum(line.monthly_usd for line in self.lines)

    @property
    def complete(self) -> bool:
        return not self.unpriced

    @property
    def estimated_share(self) -> float:
        """Share of the total resting on a price row marked estimate (not read for the region)."""
        total = self.total
        return sum(line.monthly_usd for line in self.lines if line.estimate) / total if total else 0.0

    @property
    def price_dates(self) -> list[str]:
        return sorted({p.read for line in self.lines for p in line.prices})

    def by_component(self) -> list[tuple[str, float]]:
        totals: dict[str, float] = defaultdict(float)
        for line in self.lines:
            totals[line.component] += line.monthly_usd
        return sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))

    def drivers(self, count: int = 3) -> list[Driver]:
        grouped: dict[tuple[str, str, str], list[Line]] = defaultdict(list)
        for line in self.lines:
            grouped[(line.component, _kind(line), line.lever)].append(line)
        drivers = [
            Driver(component, what, sum(x.monthly_usd for x in lines), lever, len(lines))
            for (component, what, lever), lines in grouped.items()
        ]
        drivers.sort(key=lambda d: (-d.monthly_usd, d.component, d.what))
        return drivers[:count]

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "region": self.region,
            "monthlyUsd": round(self.total, 2),
            "components": {name: round(total, 2) for name, total in self.by_component()},
            "drivers": [
                {
                    "what": d.what,
                    "component": d.component,
                    "monthlyUsd": round(d.monthly_usd, 2),
                    "lever": d.lever,
                }
                for d in self.drivers()
            ],
            "lines": [line.to_json() for line in self.lines],
            "unpriced": self.unpriced,
            "assumptions": self.assumptions.model_dump(by_alias=True),
            "priceDates": self.price_dates,
            "estimatedPriceShare": round(self.estimated_share, 3),
        }


# How a driver names the service a line belongs to.
SERVICE_LABELS = {
    "aws:eks/cluster:Cluster": "EKS",
    "aws:eks/nodeGroup:NodeGroup": "EKS node group",
    "aws:msk/cluster:Cluster": "MSK",
    "aws:rds/instance:Instance": "RDS",
    "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication": "RDS DR replication",
    "aws:elasticache/replicationGroup:ReplicationGroup": "ElastiCache",
    "aws:ec2/natGateway:NatGateway": "NAT gateway",
    "aws:ec2/eip:Eip": "Elastic IP",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "VPC endpoint",
    "aws:backup/vault:Vault": "backup vault",
    "aws:cloudwatch/logGroup:LogGroup": "CloudWatch Logs",
    "aws:cloudwatch/metricAlarm:MetricAlarm": "CloudWatch alarm",
    "aws:s3/bucket:Bucket": "S3",
    "aws:kms/key:Key": "KMS key",
    "kubernetes:helm.sh/v4:Chart": "chart",
}


def _kind(line: Line) -> str:
    return f"{SERVICE_LABELS.get(line.type, line.type.rsplit(':', 1)[-1])} {line.item}"


def components_of(resources: Sequence[CostResource]) -> dict[str, str]:
    """URN -> the name of the top-level Groundwork component the resource belongs to."""
    by_urn = {r.urn: r for r in resources}
    result: dict[str, str] = {}
    for r in resources:
        top, node, seen = "(stack)", r, set()
        while node is not None and node.urn not in seen:
            seen.add(node.urn)
            if node.type.startswith("groundwork:"):
                top = node.name
            node = by_urn.get(node.parent or "")
        result[r.urn] = top
    return result


def estimate(
    resources: Iterable[CostResource],
    assumptions: UsageAssumptions,
    *,
    stack: str = "",
    book: PriceBook | None = None,
    default_region: str | None = None,
    unknown: tuple[type[Exception], ...] = (),
) -> Estimate:
    """Price every resource. `unknown`: the exception a caller's props raise for a value only known
    after deploy (pulumi_policy's UnknownValueError in the pack); such resources are listed in
    `Estimate.unknown` instead of failing the whole estimate."""
    items = list(resources)
    ctx = Context(items, assumptions, book or load_price_book(), default_region)
    components = components_of(items)
    result = Estimate(stack=stack, region=ctx.default_region, lines=[], assumptions=assumptions)
    for r in items:
        pricer = PRICERS.get(r.type)
        if pricer is None:
            if free_reason(r.type) is None:
                result.unpriced.setdefault(r.type, []).append(f"{r.name}: no pricer and not on the free list")
            else:
                result.free[r.type] = result.free.get(r.type, 0) + 1
            continue
        try:
            lines = pricer(r, ctx)
        except MissingPrice as missing:
            result.unpriced.setdefault(r.type, []).append(f"{r.name}: {missing}")
            continue
        except unknown as error:
            result.unknown.append(error)
            continue
        if not lines:
            result.free[r.type] = result.free.get(r.type, 0) + 1
        result.lines.extend(with_component(lines, components[r.urn], ctx.region_of(r) or ""))
    return result


def compare(current: Estimate, base: Estimate) -> list[tuple[str, float, float]]:
    """(component, base, current) for every component either estimate has, biggest change first."""
    now, before = dict(current.by_component()), dict(base.by_component())
    rows = [(name, before.get(name, 0.0), now.get(name, 0.0)) for name in set(now) | set(before)]
    rows.sort(key=lambda row: (-abs(row[2] - row[1]), row[0]))
    return rows
