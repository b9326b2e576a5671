"""Carving a VPC CIDR into public, private and database subnets per AZ.

Pure arithmetic on `ipaddress`, kept apart from resources so it can be tested exhaustively. The
layout gives workloads (EKS pods take one VPC address each with the VPC CNI) the lion's share:

    first half of the VPC          -> private subnets, VPC prefix + 3 each (a /19 of a /16)
    second half, first quarter     -> public subnets,  VPC prefix + 5 each (a /21 of a /16)
    second half, second quarter    -> database subnets, VPC prefix + 5 each
    the rest                       -> left free for later tiers

Adding an AZ never moves an existing subnet: slot i always belongs to the AZ at index i.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

TIERS = ("public", "private", "database")
MAX_AZS = 4


@dataclass(frozen=True)
class SubnetPlan:
    public: tuple[ipaddress.IPv4Network, ...]
    private: tuple[ipaddress.IPv4Network, ...]
    database: tuple[ipaddress.IPv4Network, ...]

    def tier(self, name: str) -> tuple[ipaddress.IPv4Network, ...]:
        return getattr(self, name)


def plan_subnets(vpc_cidr: str, az_count: int) -> SubnetPlan:
    vpc = ipaddress.IPv4Network(vpc_cidr)
    if not 1 <= az_count <= MAX_AZS:
        raise ValueError(f"az_count {az_count} must be between 1 and {MAX_AZS}")
    if vpc.prefixlen > 22:
        raise ValueError(f"VPC {vpc} is too small for three tiers; use /22 or larger")
    first_half, second_half = vpc.subnets(prefixlen_diff=1)
    private = list(first_half.subnets(prefixlen_diff=2))
    public_block, database_block, _, _ = second_half.subnets(prefixlen_diff=2)
    public = list(public_block.subnets(prefixlen_diff=2))
    database = list(database_block.subnets(prefixlen_diff=2))
    return SubnetPlan(
        public=tuple(public[:az_count]),
        private=tuple(private[:az_count]),
        database=tuple(database[:az_count]),
    )
