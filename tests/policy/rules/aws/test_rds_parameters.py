"""policy/rules/aws/rds_parameters.py: each rule fires on a broken copy of a database and its
parameter group, and stays silent on the compliant pair."""

import pytest

from tests.policy._cases import DROP, replaced, res, stack_fired, without
from tests.policy.rules.aws._baselines import BASELINES, RDS

PG = "aws:rds/parameterGroup:ParameterGroup"

DATABASE_STACK = [
    res(RDS, "db", {**BASELINES[RDS], "parameterGroupName": "pg16"}),
    res(
        PG,
        "pg",
        {
            "name": "pg16",
            "family": "postgres16",
            "parameters": [
                {"name": "rds.force_ssl", "value": "1"},
                {"name": "log_statement", "value": "ddl"},
                {"name": "log_min_duration_statement", "value": "1000"},
            ],
        },
    ),
]

# (rule id, transformation of the stack that breaks exactly this rule)
STACK_CASES = [
    ("AWS-RDS-014", lambda s: replaced(s, "pg", {"parameters.0.value": "0"})),
    (
        "AWS-RDS-014",
        lambda s: replaced(without(s, "pg"), "db", {"parameterGroupName": DROP, "engineVersion": "14.9"}),
    ),
    ("AWS-RDS-015", lambda s: replaced(s, "pg", {"parameters.1.value": "none"})),
]


@pytest.mark.parametrize(
    "rule_id, breaks", STACK_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(STACK_CASES)]
)
def test_stack_rule_fires_on_broken_stack(rule_id, breaks):
    assert rule_id in stack_fired(breaks(DATABASE_STACK))


@pytest.mark.parametrize("rule_id", sorted({c[0] for c in STACK_CASES}))
def test_stack_rule_is_silent_on_compliant_stack(rule_id):
    assert rule_id not in stack_fired(DATABASE_STACK)
