"""policy/rules/stack/protection.py: STACK-PROT-001 fires when a stateful resource of the compliant
prod stack loses `protect`, stays silent on the compliant stack, and does not apply in dev."""

from tests.policy._cases import res, stack_fired
from tests.policy.rules._stack import ALLOW_EU, STACK, compliant_findings, in_dev


def unprotected(resources: list[dict]) -> list[dict]:
    return [{**r, "protect": False} if r["name"] == "db" else r for r in resources]


def test_stack_rule_fires_on_broken_stack():
    assert "STACK-PROT-001" in stack_fired(unprotected(STACK), config=ALLOW_EU)


def test_stack_rule_is_silent_on_compliant_stack():
    assert "STACK-PROT-001" not in compliant_findings()


def test_the_rule_is_silent_in_dev():
    enabled = {"STACK-PROT-001": "advisory"}  # dev's shipped config disables it; judge the rule's own gate
    assert "STACK-PROT-001" not in stack_fired(in_dev(unprotected(STACK)), environment="dev", config=enabled)


LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


def with_log_group(protect: bool = True, deletion_protection: bool | None = True) -> list[dict]:
    props = {"name": "/groundwork/prod-network/vpc-flow-logs", "retentionInDays": 365.0}
    if deletion_protection is not None:
        props["deletionProtectionEnabled"] = deletion_protection
    return [*STACK, {**res(LOG_GROUP, "flow-logs", props), "protect": protect}]


def test_an_unprotected_log_group_fires_in_prod():
    assert "STACK-PROT-002" in stack_fired(with_log_group(protect=False), config=ALLOW_EU)


def test_a_log_group_without_deletion_protection_fires_in_prod():
    assert "STACK-PROT-002" in stack_fired(with_log_group(deletion_protection=None), config=ALLOW_EU)


def test_a_protected_log_group_is_silent():
    assert "STACK-PROT-002" not in stack_fired(with_log_group(), config=ALLOW_EU)


def test_log_groups_are_not_judged_in_dev():
    enabled = {"STACK-PROT-002": "advisory"}
    broken = in_dev(with_log_group(protect=False, deletion_protection=None))
    assert "STACK-PROT-002" not in stack_fired(broken, environment="dev", config=enabled)


ZONE = "aws:route53/zone:Zone"


def with_zone(protect: bool) -> list[dict]:
    return [
        *STACK,
        {**res(ZONE, "prod-dns-zone", {"name": "example.com", "forceDestroy": False}), "protect": protect},
    ]


def test_an_unprotected_route53_zone_fires_in_prod():
    """Deleting a delegated zone breaks every name under it until the parent's NS records change."""
    assert "STACK-PROT-001" in stack_fired(with_zone(protect=False), config=ALLOW_EU)


def test_a_protected_route53_zone_is_silent():
    assert "STACK-PROT-001" not in stack_fired(with_zone(protect=True), config=ALLOW_EU)
