"""No stateful resource changes identity unnoticed: every URN in tests/golden/urns/<stack>.json is
still created, or an alias on the resource that replaced it maps the old URN to it."""

from __future__ import annotations

import json

import pytest

from stacks.preflight.capture import Capture, CapturedResource
from tests.conftest import STACKS
from tests.urn_golden import UrnIndex, golden_path

UPDATE = "python -m tests.urn_golden --update"


@pytest.mark.parametrize("stack", STACKS)
def test_every_pinned_stateful_urn_survives_or_is_aliased(captured, stack):
    index = UrnIndex(captured(stack))
    current = {index.urn(r) for r in index.capture.resources}
    aliased = {urn for r in index.capture.resources for urn in index.alias_urns(r)}
    golden = json.loads(golden_path(stack).read_text())
    lost = [row["urn"] for row in golden if row["urn"] not in current and row["urn"] not in aliased]
    assert not lost, (
        f"{stack}: these stateful resources would be replaced (deleted and created anew) on `pulumi up`; "
        "add `aliases=[pulumi.Alias(...)]` naming the old name/parent/type, or, if the replacement is "
        f"intended, update the snapshot with `{UPDATE}`:\n  " + "\n  ".join(lost)
    )


@pytest.mark.parametrize("stack", STACKS)
def test_every_stateful_resource_is_in_the_snapshot(captured, stack):
    """A new stateful resource joins the snapshot on purpose, so its identity is pinned from then on."""
    golden = {row["urn"] for row in json.loads(golden_path(stack).read_text())}
    index = UrnIndex(captured(stack))
    new = [row["urn"] for row in index.stateful() if row["urn"] not in golden]
    assert not new, f"{stack}: stateful resources not in the URN snapshot; run `{UPDATE}`:\n  " + "\n  ".join(
        new
    )


def _resource(name: str, type_: str, parent: str | None, aliases: list | None = None) -> CapturedResource:
    return CapturedResource(
        urn=f"mock::{name}",
        type=type_,
        name=name,
        custom=True,
        inputs={},
        parent=parent,
        dependencies=[],
        property_dependencies={},
        provider=None,
        options={"aliases": aliases or []},
    )


def test_engine_urns_chain_every_ancestor_type_but_the_stack():
    stack = _resource("groundwork-prod", "pulumi:pulumi:Stack", None)
    component = _resource("prod-postgres", "groundwork:postgres:Postgres", "mock::groundwork-prod")
    db = _resource("prod-postgres-db", "aws:rds/instance:Instance", "mock::prod-postgres")
    index = UrnIndex(Capture(stack="prod", resources=[stack, component, db], outputs={}))
    assert index.urn(db) == (
        "urn:pulumi:prod::groundwork::groundwork:postgres:Postgres$aws:rds/instance:Instance::prod-postgres-db"
    )


def test_an_alias_to_the_old_parent_claims_the_old_urn():
    """The proof an alias keeps: a database moved from the stack root into a component."""
    stack = _resource("groundwork-prod", "pulumi:pulumi:Stack", None)
    component = _resource("prod-postgres", "groundwork:postgres:Postgres", "mock::groundwork-prod")
    moved = _resource(
        "prod-db",
        "aws:rds/instance:Instance",
        "mock::prod-postgres",
        aliases=[{"spec": {"parentUrn": "mock::groundwork-prod"}}],
    )
    index = UrnIndex(Capture(stack="prod", resources=[stack, component, moved], outputs={}))
    assert index.alias_urns(moved) == ["urn:pulumi:prod::groundwork::aws:rds/instance:Instance::prod-db"]
