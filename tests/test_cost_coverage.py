"""The price table and the free list cover every resource type the stacks create, and every row is
dated and sourced: a new paid resource type without a price fails here, not on the first bill."""

from __future__ import annotations

import pytest

from policy.cost.estimate import PRICERS
from policy.cost.free import FREE_TYPES, free_reason
from policy.cost.prices import BASES, PRICES_DIR, load_price_book
from stacks.config import load_stack
from stacks.preflight.cost import estimate_capture
from tests.conftest import STACKS

AWS_STACKS = [s for s in STACKS if s != "local"]


@pytest.mark.parametrize("stack", STACKS)
def test_every_resource_type_is_priced_or_on_the_free_list(captured, stack):
    types = {r.type for r in captured(stack).resources}
    unaccounted = sorted(t for t in types if t not in PRICERS and free_reason(t) is None)
    assert unaccounted == []


@pytest.mark.parametrize("stack", STACKS)
def test_every_resource_of_the_stack_finds_its_prices(captured, stack):
    result = estimate_capture(captured(stack), load_stack(stack))
    assert result.unpriced == {}


def test_the_public_edge_of_dev_finds_its_prices_too(dev_exposed):
    """No stack file exposes an app, so the edge's own types (web ACL, its log policy) are checked
    on dev with `api` public."""
    assert estimate_capture(dev_exposed, load_stack("dev")).unpriced == {}


def test_no_type_is_both_priced_and_free():
    assert set(PRICERS) & set(FREE_TYPES) == set()


def test_every_row_is_dated_sourced_and_says_how_it_was_obtained():
    for table in load_price_book().tables.values():
        for item, price in table.rows.items():
            assert price.read == "2026-12-01", item
            assert price.source.startswith("https://aws.amazon.com/"), item
            assert price.basis in BASES, item
            assert price.usd > 0, item
            if price.basis != "estimate":
                assert price.evidence and price.evidence.startswith("https://"), item


def test_rows_marked_estimate_rest_on_a_stated_basis():
    for table in load_price_book().tables.values():
        assert "refresh procedure" in table.estimate_basis


def test_both_regions_of_the_stack_files_price_the_same_items():
    tables = load_price_book().tables
    assert set(tables) == {"eu-west-1", "eu-central-1"}
    assert set(tables["eu-west-1"].rows) == set(tables["eu-central-1"].rows)
    assert sorted(p.stem for p in PRICES_DIR.glob("*.yaml")) == ["eu-central-1", "eu-west-1"]


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_the_stacks_regions_have_price_tables(stack):
    config = load_stack(stack)
    regions = {config.region} | ({config.backups.dr_region} if config.backups.dr_region else set())
    assert regions <= set(load_price_book().tables)


def test_local_costs_nothing_in_aws(captured):
    result = estimate_capture(captured("local"), load_stack("local"))
    assert (result.total, result.region) == (0, None)
