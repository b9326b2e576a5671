"""The rule API: registration, the Resource view, unknowns, and the pack built from the registry."""

import re

import pytest
from pulumi_policy.proxy import UNKNOWN_BOOLEAN_VALUE, UnknownValueError

from policy.framework import REGISTRY, Resource, build_policies, load_rules, resource_rule
from policy.testing import evaluate_resource, rule_ids

SUBNET = "aws:ec2/subnet:Subnet"
load_rules()  # the refusals below are about clashing with the pack's own rules: register those first


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


def _register(**overrides):
    args = {
        "id": "AWS-TEST-001",
        "title": "t",
        "severity": "low",
        "resource_types": (SUBNET,),
        "description": "d",
        "rationale": "r",
        "remediation": "f",
    }
    return resource_rule(**{**args, **overrides})(lambda r: iter(()))


@pytest.mark.parametrize(
    "tag, where",
    [("target:AWS-NET-007", "policy/targets.json"), ("enforce:prod=mandatory", "policy/config/<env>.json")],
)
def test_a_retired_tag_is_refused_with_where_its_content_lives_now(tag, where):
    with pytest.raises(ValueError, match=re.escape(where)):
        _register(tags=(tag,))


@pytest.mark.parametrize("alias", ["AWS-NET-007", "AWS-EC-009"], ids=["a-rule-id", "another-rules-old-id"])
def test_an_old_id_that_already_names_a_rule_is_refused(alias):
    with pytest.raises(ValueError, match="already names"):
        _register(aliases=(alias,))


def test_a_new_rule_cannot_take_an_old_id_as_its_id():
    with pytest.raises(ValueError, match="is an old id of AWS-ELASTICACHE-009"):
        _register(id="AWS-EC-009")


def test_an_old_id_resolves_to_the_rule_it_names_now():
    from policy.framework import resolve, rule_for

    assert resolve("STK-POL-001") == "STACK-POL-001"
    assert rule_for("AWS-BKP-001") is REGISTRY["AWS-BACKUP-001"]
    assert resolve("AWS-NET-007") == "AWS-NET-007" and rule_for("AWS-NET-999") is None


def _configure(entries):
    from google.protobuf import json_format, struct_pb2
    from pulumi.runtime.proto import analyzer_pb2

    request = analyzer_pb2.ConfigureAnalyzerRequest()
    for name, (level, props) in entries.items():
        request.policyConfig[name].CopyFrom(
            analyzer_pb2.PolicyConfig(
                enforcementLevel=level, properties=json_format.ParseDict(props, struct_pb2.Struct())
            )
        )
    return request


def test_an_old_id_entry_is_merged_into_the_rules_own_entry():
    from google.protobuf import json_format
    from pulumi.runtime.proto import analyzer_pb2

    from policy.framework import fold_aliases

    folded = fold_aliases(
        _configure(
            {
                "AWS-ELASTICACHE-006": (
                    analyzer_pb2.MANDATORY,
                    {"environment": "prod", "minSnapshotDays": 7},
                ),
                "AWS-EC-006": (analyzer_pb2.ADVISORY, {"minSnapshotDays": 3}),
            }
        )
    ).policyConfig
    assert set(folded) == {"AWS-ELASTICACHE-006"}
    assert folded["AWS-ELASTICACHE-006"].enforcementLevel == analyzer_pb2.ADVISORY
    assert json_format.MessageToDict(folded["AWS-ELASTICACHE-006"].properties) == {
        "environment": "prod",
        "minSnapshotDays": 3,
    }


def test_rule_modules_in_sub_packages_are_imported_wherever_they_sit():
    import sys
    from pathlib import Path

    rules_dir = Path(__file__).resolve().parents[2] / "policy" / "rules"
    on_disk = {
        ".".join(("policy", "rules", *p.relative_to(rules_dir).with_suffix("").parts))
        for p in rules_dir.rglob("*.py")
        if p.name != "__init__.py"
    }
    assert on_disk and on_disk <= set(sys.modules)
