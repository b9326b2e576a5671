"""Accountable exemptions: honoured when valid, reported as suppressed, never honoured when expired,
unreadable, unexplained, or for a critical rule in prod; written under a rule's id or an old id.
(The rule that flags stale exemption tags, STACK-POL-001, is tested with its module in
tests/policy/rules/stack/test_exemptions.py.)"""

from datetime import date, timedelta

import pytest

from policy.analyzer import PolicyConfigError
from policy.testing import evaluate_resource, evaluate_stack, rule_ids

SUBNET = "aws:ec2/subnet:Subnet"
SG = "aws:ec2/securityGroup:SecurityGroup"
FUTURE = (date.today() + timedelta(days=90)).isoformat()
PAST = (date.today() - timedelta(days=1)).isoformat()
REASON = "Vendor appliance subnet needs public IPs until INC-4711 is closed"
PUBLIC_SUBNET = {"mapPublicIpOnLaunch": True}
OPEN_SG = {
    "description": "lb",
    "ingress": [
        {
            "protocol": "tcp",
            "fromPort": 22.0,
            "toPort": 22.0,
            "cidrBlocks": ["0.0.0.0/0"],
            "description": "ssh",
        }
    ],
}


def tagged(props, rule, value):
    return {**props, "tags": {f"groundwork.io/exempt-{rule}": value}}


def config_exemption(rule, resource="r", reason=REASON, approver="jane.doe@example.com", expires=FUTURE):
    exemption = {"resource": resource, "reason": reason, "approver": approver, "expires": expires}
    return {rule: {"exemptions": [exemption]}}


def only(findings, rule):
    matching = [f for f in findings if f.rule_id == rule]
    assert len(matching) == 1, matching
    return matching[0]


def public_subnet(**kwargs):
    """The one AWS-NET-007 finding on a subnet that maps public IPs."""
    return only(evaluate_resource(SUBNET, PUBLIC_SUBNET, **kwargs), "AWS-NET-007")


def test_a_valid_config_exemption_suppresses_the_violation():
    finding = public_subnet(config=config_exemption("AWS-NET-007"))
    assert finding.suppressed
    assert finding.exemption == {
        "source": "policy config",
        "reason": REASON,
        "approver": "jane.doe@example.com",
        "expires": FUTURE,
    }


def test_a_suppressed_finding_does_not_block_but_keeps_the_rules_level():
    finding = public_subnet(config=config_exemption("AWS-NET-007"))
    assert not finding.blocking
    assert finding.enforcement == "mandatory"


def test_a_config_exemption_matches_by_urn_pattern():
    config = config_exemption("AWS-NET-007", resource="urn:pulumi:*::aws:ec2/subnet:Subnet::vendor-*")
    assert public_subnet(name="vendor-a", config=config).suppressed
    assert not public_subnet(name="app-a", config=config).suppressed


def test_a_valid_tag_exemption_suppresses_the_violation():
    value = f"expires={FUTURE} approver=jane@example.com reason={REASON}"
    props = tagged(PUBLIC_SUBNET, "AWS-NET-007", value)
    finding = only(evaluate_resource(SUBNET, props), "AWS-NET-007")
    assert finding.suppressed
    assert finding.exemption["source"] == "tag groundwork.io/exempt-AWS-NET-007"


def test_a_kubernetes_annotation_exemption_is_read_like_a_tag():
    # Same reader for annotations: exercised on an AWS type by giving it metadata, as K8s objects carry it.
    props = {
        **PUBLIC_SUBNET,
        "metadata": {
            "annotations": {
                "groundwork.io/exempt-AWS-NET-007": f"expires={FUTURE} approver=jane reason={REASON}"
            }
        },
    }
    assert only(evaluate_resource(SUBNET, props), "AWS-NET-007").suppressed


def test_an_expired_exemption_is_a_violation_again():
    finding = public_subnet(config=config_exemption("AWS-NET-007", expires=PAST))
    assert finding.blocking
    assert f"expired on {PAST}" in finding.message


@pytest.mark.parametrize(
    "value,why",
    [
        (f"expires={FUTURE} approver=jane reason=because", "shorter than 20"),
        (f"approver=jane reason={REASON}", "unreadable"),
        (f"expires=someday approver=jane reason={REASON}", "not a YYYY-MM-DD date"),
    ],
)
def test_an_invalid_tag_exemption_is_not_honoured(value, why):
    finding = only(evaluate_resource(SUBNET, tagged(PUBLIC_SUBNET, "AWS-NET-007", value)), "AWS-NET-007")
    assert finding.status == "violation"
    assert why in finding.message


def test_a_critical_rule_cannot_be_exempted_in_prod():
    finding = only(evaluate_resource(SG, OPEN_SG, config=config_exemption("AWS-NET-001")), "AWS-NET-001")
    assert finding.blocking
    assert "critical rules cannot be exempted in prod" in finding.message


def test_a_critical_rule_can_be_exempted_outside_prod():
    config = config_exemption("AWS-NET-001")
    finding = only(evaluate_resource(SG, OPEN_SG, environment="staging", config=config), "AWS-NET-001")
    assert finding.suppressed


def test_the_cli_would_reject_an_exemption_without_approver():
    with pytest.raises(PolicyConfigError, match="approver"):
        evaluate_resource(
            SUBNET,
            PUBLIC_SUBNET,
            config={"AWS-NET-007": {"exemptions": [{"resource": "r", "reason": REASON, "expires": FUTURE}]}},
        )


def test_a_stack_rule_finding_can_be_exempted_on_its_resource():
    vpc = {"type": "aws:ec2/vpc:Vpc", "name": "legacy-vpc", "props": {}}
    config = config_exemption("AWS-NET-006", resource="legacy-vpc")
    findings = [f for f in evaluate_stack([vpc], config=config) if f.rule_id == "AWS-NET-006"]
    assert findings and all(f.suppressed for f in findings)
    assert "AWS-NET-006" not in rule_ids(findings)


def test_fail_closed_turns_an_unknown_value_into_a_violation():
    from pulumi_policy.proxy import UNKNOWN_BOOLEAN_VALUE

    props = {"mapPublicIpOnLaunch": UNKNOWN_BOOLEAN_VALUE}
    assert "AWS-NET-007" in rule_ids(evaluate_resource(SUBNET, props), status="indeterminate")
    closed = only(
        evaluate_resource(SUBNET, props, config={"AWS-NET-007": {"failClosedOnUnknown": True}}), "AWS-NET-007"
    )
    assert closed.blocking and "cannot verify at preview" in closed.message


# --- old ids (aliases): accepted wherever a rule id is, for one more release -----------------------

REDIS = "aws:elasticache/cluster:Cluster"
REDIS_ON_DEFAULT_PORT = {
    "engine": "redis",
    "transitEncryptionEnabled": True,
    "snapshotRetentionLimit": 7.0,
    "autoMinorVersionUpgrade": "true",
    "subnetGroupName": "prod-redis",
    "port": 6379.0,
    "finalSnapshotIdentifier": "prod-redis-final",
}
"""Violates AWS-ELASTICACHE-009 (old id AWS-EC-009) and nothing else."""


def default_port_finding(props=REDIS_ON_DEFAULT_PORT, **kwargs):
    return only(evaluate_resource(REDIS, props, **kwargs), "AWS-ELASTICACHE-009")


def test_the_redis_baseline_breaks_only_the_port_rule():
    assert rule_ids(evaluate_resource(REDIS, REDIS_ON_DEFAULT_PORT)) == {"AWS-ELASTICACHE-009"}


def test_an_old_id_configures_the_rules_enforcement_level():
    assert not default_port_finding().blocking  # advisory in prod's shipped file
    mandatory = default_port_finding(config={"AWS-EC-009": {"enforcementLevel": "mandatory"}})
    assert mandatory.blocking and mandatory.rule_id == "AWS-ELASTICACHE-009"


def test_an_old_id_can_disable_the_rule():
    findings = evaluate_resource(
        REDIS, REDIS_ON_DEFAULT_PORT, config={"AWS-EC-009": {"enforcementLevel": "disabled"}}
    )
    assert "AWS-ELASTICACHE-009" not in rule_ids(findings)


def test_an_old_id_configures_the_rules_thresholds():
    group = "aws:elasticache/replicationGroup:ReplicationGroup"
    props = {
        "engine": "redis",
        "atRestEncryptionEnabled": True,
        "kmsKeyId": "arn:aws:kms:eu-west-1:1:key/other",
    }
    assert "AWS-ELASTICACHE-002" not in rule_ids(evaluate_resource(group, props))
    allow_list = {
        "enforcementLevel": "mandatory",
        "allowedKmsKeyArns": ["arn:aws:kms:eu-west-1:1:key/platform"],
    }
    assert "AWS-ELASTICACHE-002" in rule_ids(
        evaluate_resource(group, props, config={"AWS-EC-002": allow_list})
    )


def test_a_config_exemption_listed_under_an_old_id_exempts_the_rule():
    config = config_exemption("AWS-EC-009")
    config["AWS-EC-009"]["enforcementLevel"] = "mandatory"
    finding = default_port_finding(config=config)
    assert finding.suppressed and finding.rule_id == "AWS-ELASTICACHE-009"


def test_an_exemption_tag_naming_an_old_id_exempts_the_rule():
    value = f"expires={FUTURE} approver=jane@example.com reason={REASON}"
    finding = default_port_finding(props=tagged(REDIS_ON_DEFAULT_PORT, "AWS-EC-009", value))
    assert finding.suppressed
    assert finding.exemption["source"] == "tag groundwork.io/exempt-AWS-EC-009"


def test_an_old_id_entry_is_checked_against_the_rules_config_schema():
    with pytest.raises(ValueError, match=r"AWS-EC-009 \(the old id of AWS-ELASTICACHE-009\) is invalid"):
        evaluate_resource(
            REDIS,
            REDIS_ON_DEFAULT_PORT,
            config={"AWS-EC-009": {"enforcementLevel": "mandatory", "exemptions": [{"resource": "r"}]}},
        )
