"""The estimate's data: the resources it prices, the lines it produces, and the context pricers read."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from policy.cost.assumptions import UsageAssumptions
from policy.cost.prices import Price, PriceBook

AWS_PROVIDER = "pulumi:providers:aws"
# Types a pricer reads besides its own resource (regions, root volumes, backup plans, protected
# databases); with the priced types themselves, the only resources whose inputs the estimate needs.
READ_TYPES = frozenset(
    {
        AWS_PROVIDER,
        "aws:ec2/launchTemplate:LaunchTemplate",
        "aws:backup/plan:Plan",
        "aws:backup/selection:Selection",
        "aws:backup/restoreTestingPlan:RestoreTestingPlan",
        "aws:rds/instance:Instance",
    }
)


def provider_urn(ref: str | None) -> str | None:
    """A provider reference is `<urn>::<id>` on the wire and the bare URN in the pack's view; a URN
    has exactly four `::`-separated parts, so the first four are the URN either way."""
    if not ref:
        return None
    return "::".join(ref.split("::")[:4])


@dataclass(frozen=True)
class CostResource:
    """One registered resource, as much of it as pricing needs: plain inputs (secrets unwrapped)."""

    urn: str
    type: str
    name: str
    props: Mapping[str, Any]
    parent: str | None = None
    provider: str | None = None
    property_dependencies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def get(self, dotted: str, default: Any = None) -> Any:
        """Input by dotted path (`scalingConfig.desiredSize`); missing or null gives `default`."""
        value: Any = self.props
        for part in dotted.split("."):
            if isinstance(value, Mapping) and part in value:
                value = value[part]
            elif isinstance(value, Sequence) and not isinstance(value, str) and part.isdigit():
                index = int(part)
                value = value[index] if index < len(value) else None
            else:
                return default
            if value is None:
                return default
        return value

    @property
    def tags(self) -> Mapping[str, Any]:
        return self.get("tags") or {}


@dataclass(frozen=True)
class Line:
    """One priced part of one resource: what it is, what it costs a month and why."""

    resource: str
    type: str
    urn: str
    item: str
    monthly_usd: float
    formula: str
    lever: str
    prices: tuple[Price, ...] = ()
    assumption: str | None = None
    component: str = "(stack)"
    region: str = ""

    @property
    def estimate(self) -> bool:
        """Whether any price behind the line is an estimate row (not read for this region)."""
        return any(p.estimate for p in self.prices)

    def to_json(self) -> dict[str, Any]:
        return {
            "resource": self.resource,
            "type": self.type,
            "component": self.component,
            "item": self.item,
            "monthlyUsd": round(self.monthly_usd, 2),
            "formula": self.formula,
            "assumption": self.assumption,
            "lever": self.lever,
            "region": self.region,
            "prices": [p.item for p in self.prices],
            "estimatedPrice": self.estimate,
        }


class Context:
    """What a pricer may look at besides its own resource: the other resources, the prices of the
    resource's region, the usage assumptions."""

    def __init__(
        self,
        resources: Iterable[CostResource],
        assumptions: UsageAssumptions,
        book: PriceBook,
        default_region: str | None = None,
    ):
        self.resources = list(resources)
        self.by_urn = {r.urn: r for r in self.resources}
        self.assumptions = assumptions
        self.book = book
        regions = {
            r.urn: r.get("region") for r in self.resources if r.type == AWS_PROVIDER and r.get("region")
        }
        self._provider_regions: dict[str, str] = regions
        distinct = sorted(set(regions.values()))
        self.default_region = default_region or (distinct[0] if len(distinct) == 1 else None)
        if self.default_region is None and regions:
            # Several explicit providers: the stack's own is the one most resources use.
            counts: dict[str, int] = {}
            for r in self.resources:
                urn = provider_urn(r.provider)
                if urn in regions:
                    counts[regions[urn]] = counts.get(regions[urn], 0) + 1
            self.default_region = max(counts, key=counts.get) if counts else distinct[0]

    @property
    def on_aws(self) -> bool:
        return self.default_region is not None

    def region_of(self, resource: CostResource) -> str | None:
        urn = provider_urn(resource.provider)
        return self._provider_regions.get(urn or "", self.default_region)

    def hours(self, region: str) -> float:
        return self.book.region(region).hours_per_month

    def price(self, region: str, item: str) -> Price:
        return self.book.get(region, item)

    def of_type(self, *types: str) -> list[CostResource]:
        return [r for r in self.resources if r.type in types]

    def dependency(self, resource: CostResource, prop: str) -> CostResource | None:
        """The resource an input's value came from (the engine records it even when the value
        itself is a mock id or unknown at preview)."""
        for urn in resource.property_dependencies.get(prop, ()):
            if urn in self.by_urn:
                return self.by_urn[urn]
        return None


def with_component(lines: Iterable[Line], component: str, region: str) -> list[Line]:
    return [replace(line, component=component, region=region) for line in lines]
