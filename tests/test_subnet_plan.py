"""Subnet arithmetic: disjoint, inside the VPC, stable when AZs are added."""

from __future__ import annotations

import ipaddress
import itertools

import pytest

from components.subnet_plan import TIERS, plan_subnets


@pytest.mark.parametrize("cidr", ["10.40.0.0/16", "172.16.0.0/18", "192.168.16.0/20", "10.1.0.0/22"])
@pytest.mark.parametrize("azs", [1, 2, 3, 4])
def test_subnets_are_disjoint_and_inside_the_vpc(cidr, azs):
    plan = plan_subnets(cidr, azs)
    vpc = ipaddress.IPv4Network(cidr)
    subnets = [s for tier in TIERS for s in plan.tier(tier)]
    assert len(subnets) == 3 * azs
    assert all(s.subnet_of(vpc) for s in subnets)
    assert not any(a.overlaps(b) for a, b in itertools.combinations(subnets, 2))


def test_adding_an_az_keeps_existing_subnets():
    two, three = plan_subnets("10.40.0.0/16", 2), plan_subnets("10.40.0.0/16", 3)
    for tier in TIERS:
        assert three.tier(tier)[:2] == two.tier(tier)


def test_private_subnets_get_the_largest_share():
    plan = plan_subnets("10.40.0.0/16", 3)
    assert [str(s) for s in plan.private] == ["10.40.0.0/19", "10.40.32.0/19", "10.40.64.0/19"]
    assert plan.public[0].prefixlen == plan.database[0].prefixlen == 21


def test_too_many_azs_is_refused():
    with pytest.raises(ValueError, match="az_count 5"):
        plan_subnets("10.40.0.0/16", 5)


def test_too_small_a_vpc_is_refused():
    with pytest.raises(ValueError, match="too small"):
        plan_subnets("10.40.0.0/24", 2)
