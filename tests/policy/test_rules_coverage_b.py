"""Every target-table row of the data, compute, Kubernetes and stack-wide areas is a rule or is left
out with a reason, and every rule of these areas carries its target and enforcement tags."""

from policy.docs import FRAMEWORK_ROWS, coverage, load_targets
from policy.framework import load_rules
from policy.rules._left_out_b import LEFT_OUT

AREA_PREFIXES = ("AWS-RDS-", "AWS-EC-", "AWS-MSK-", "AWS-EKS-", "AWS-S3-", "AWS-BKP-", "K8S-", "STK-")
MODULES = {
    f"policy.rules.{m}"
    for m in ("data_services", "eks_compute", "k8s_workloads", "k8s_namespaces_rbac", "stack_wide")
}
ANCHOR_SCHEMES = {"groundwork", "checkov", "fsbp", "awsguard", "cp", "cdk-nag", "pss"}


def _area_rows():
    targets = load_targets()
    return [r["id"] for r in targets["rows"] + targets["beyond"] if r["id"].startswith(AREA_PREFIXES)]


def test_every_area_row_is_a_rule_or_left_out_with_a_reason():
    covered = coverage(load_rules())
    left_out = dict(LEFT_OUT)
    unaccounted = [
        row
        for row in _area_rows()
        if row not in covered and row not in left_out and row not in FRAMEWORK_ROWS
    ]
    assert unaccounted == []
    assert all(len(reason) >= 40 for reason in left_out.values())


def test_left_out_rows_are_really_not_rules():
    covered = coverage(load_rules())
    assert not set(dict(LEFT_OUT)) & set(covered)


def test_every_rule_of_the_area_states_its_enforcement_per_environment():
    rules = [r for r in load_rules().values() if r.module in MODULES]
    assert len(rules) > 100
    for rule in rules:
        assert any(t.startswith("enforce:dev=") for t in rule.tags), rule.id
        assert any(t.startswith("enforce:prod=") for t in rule.tags), rule.id
        assert rule.targets or {t.split(":")[0] for t in rule.tags} & ANCHOR_SCHEMES, rule.id
