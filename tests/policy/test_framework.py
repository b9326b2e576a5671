"""The rule API: registration, the Resource view, unknowns, and the pack built from the registry."""

import pytest
from pulumi_policy.proxy import UNKNOWN_BOOLEAN_VALUE, UnknownValueError

from policy.framework import REGISTRY, Resource, build_policies, resource_rule
from policy.testing import evaluate_resource, rule_ids

SUBNET = "aws:ec2/subnet:Subnet"


def test_every_registered_rule_becomes_a_policy_named_by_its_id():
    names = [p.name for p in build_policies()]
    assert set(REGISTRY) <= set(names)
    assert len(names) == len(set(names))


def test_a_duplicate_rule_id_is_refused():
    rule_id = next(iter(REGISTRY))
    with pytest.raises(ValueError, match="already used"):
        resource_rule(
            id=rule_id,
            title="t",
            severity="low",
            resource_types=(SUBNET,),
            description="d",
            rationale="r",
            remediation="f",
        )(lambda r: iter(()))


def test_a_malformed_rule_id_is_refused():
    with pytest.raises(ValueError, match="AREA-SERVICE-NNN"):
        resource_rule(
            id="vpc1",
            title="t",
            severity="low",
            resource_types=(SUBNET,),
            description="d",
            rationale="r",
            remediation="f",
        )(lambda r: iter(()))


def test_resource_get_walks_dotted_paths_and_list_indices():
    r = Resource(
        type=SUBNET, name="n", urn="u", props={"a": {"b": [{"c": 35.0}]}}, protect=False, environment="prod"
    )
    assert r.get("a.b.0.c") == 35.0
    assert r.get("a.b.1.c", "missing") == "missing"


def test_reading_an_unknown_value_raises_instead_of_guessing():
    r = Resource(
        type=SUBNET,
        name="n",
        urn="u",
        props={"mapPublicIpOnLaunch": UNKNOWN_BOOLEAN_VALUE},
        protect=False,
        environment="prod",
    )
    with pytest.raises(UnknownValueError):
        r.get("mapPublicIpOnLaunch")
    assert r.has("mapPublicIpOnLaunch")


def test_an_unknown_value_makes_the_finding_indeterminate_not_a_violation():
    findings = evaluate_resource(SUBNET, {"mapPublicIpOnLaunch": UNKNOWN_BOOLEAN_VALUE})
    assert rule_ids(findings, status="indeterminate") == {"AWS-NET-007"}
    assert rule_ids(findings) == set()


def test_secret_wrapped_inputs_reach_rules_unwrapped():
    from stacks.preflight.capture import SECRET_SIG, SIG_KEY

    secret = {SIG_KEY: SECRET_SIG, "value": "encrypts the prod databases"}
    assert "AWS-KMS-005" not in rule_ids(evaluate_resource("aws:kms/key:Key", {"description": secret}))
    empty = {**secret, "value": ""}
    assert "AWS-KMS-005" in rule_ids(evaluate_resource("aws:kms/key:Key", {"description": empty}))


def test_the_wire_request_carries_protect_and_parent(captured):
    from policy.analyzer import Analyzer, WireResource

    analyzer = Analyzer("prod")
    key = next(r for r in captured("prod").resources if r.type == "aws:kms/key:Key")
    request = analyzer.request(WireResource.from_captured(key))
    assert request.options.protect is key.protect and request.options.parent == key.parent
    assert request.provider.type == "pulumi:providers:aws"
