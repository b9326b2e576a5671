"""The price table: AWS on-demand prices per region, one YAML file per region under `prices/`.

Each row carries its price, its unit, the date it was read, the AWS page it is published on and
how it was obtained (`basis`: published, third-party or estimate). A lookup that has no row fails
loudly: a wrong or missing price must never turn into a silent zero.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

PRICES_DIR = Path(__file__).resolve().parent / "prices"
BASES = ("published", "third-party", "estimate")


class MissingPrice(LookupError):
    """A resource needs a price the table does not have: add the row, never guess."""

    def __init__(self, region: str, item: str):
        super().__init__(f"no price for {item!r} in {region}; add it to policy/cost/prices/{region}.yaml")
        self.region = region
        self.item = item


@dataclass(frozen=True)
class Price:
    item: str
    region: str
    usd: float
    per: str
    read: str
    source: str
    basis: str
    evidence: str | None = None
    note: str | None = None

    @property
    def estimate(self) -> bool:
        return self.basis == "estimate"


@dataclass(frozen=True)
class PriceTable:
    """One region's prices."""

    region: str
    location: str
    hours_per_month: float
    estimate_basis: str
    rows: Mapping[str, Price]

    def get(self, item: str) -> Price:
        try:
            return self.rows[item]
        except KeyError:
            raise MissingPrice(self.region, item) from None

    def has(self, item: str) -> bool:
        return item in self.rows


@dataclass(frozen=True)
class PriceBook:
    """Every region the table covers."""

    tables: Mapping[str, PriceTable]

    def region(self, region: str) -> PriceTable:
        if region not in self.tables:
            known = ", ".join(sorted(self.tables))
            raise MissingPrice(region, f"(the whole region; the table covers {known})")
        return self.tables[region]

    def get(self, region: str, item: str) -> Price:
        return self.region(region).get(item)


def _row(region: str, item: str, raw: Mapping[str, Any]) -> Price:
    missing = [k for k in ("usd", "per", "read", "source", "basis") if raw.get(k) in (None, "")]
    if missing:
        raise ValueError(f"prices/{region}.yaml: {item} lacks {', '.join(missing)}")
    if raw["basis"] not in BASES:
        raise ValueError(f"prices/{region}.yaml: {item} basis {raw['basis']!r} is not one of {BASES}")
    return Price(
        item=item,
        region=region,
        usd=float(raw["usd"]),
        per=str(raw["per"]),
        read=str(raw["read"]),
        source=str(raw["source"]),
        basis=str(raw["basis"]),
        evidence=raw.get("evidence"),
        note=raw.get("note"),
    )


def load_table(path: Path) -> PriceTable:
    document = yaml.safe_load(path.read_text())
    region = document["region"]
    if path.stem != region:
        raise ValueError(f"{path.name} declares region {region}; the file must be named {region}.yaml")
    return PriceTable(
        region=region,
        location=document["location"],
        hours_per_month=float(document["hoursPerMonth"]),
        estimate_basis=document["estimateBasis"],
        rows={item: _row(region, item, raw) for item, raw in document["prices"].items()},
    )


@lru_cache(maxsize=4)
def load_price_book(directory: Path = PRICES_DIR) -> PriceBook:
    tables = [load_table(path) for path in sorted(directory.glob("*.yaml"))]
    return PriceBook({t.region: t for t in tables})
