"""policy/rules/aws/iam.py: each rule fires on a broken copy of a compliant IAM policy, role policy,
role, attachment or OIDC provider, and stays silent on the compliant original."""

import pytest

from tests.policy._cases import baseline_fired, fired, patched, res, stack_fired
from tests.policy.rules.aws._documents import allow, doc

POLICY = "aws:iam/policy:Policy"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ROLE = "aws:iam/role:Role"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
OIDC_PROVIDER = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"

SERVICE_TRUST = doc(
    {"Effect": "Allow", "Principal": {"Service": "vpc-flow-logs.amazonaws.com"}, "Action": "sts:AssumeRole"}
)
ACCOUNT_ROOT = {"AWS": "arn:aws:iam::123456789012:root"}
IRSA = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC"
AUDIENCE = {"oidc.eks/id/ABC:aud": "sts.amazonaws.com"}


def irsa_trust(condition):
    return doc(
        {
            "Effect": "Allow",
            "Principal": {"Federated": IRSA},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": condition,
        }
    )


BASELINES = {
    POLICY: {"policy": doc(allow("logs:PutLogEvents", "arn:logs"))},
    ROLE_POLICY: {"policy": doc(allow(["s3:GetObject", "s3:PutObject"], "arn:aws:s3:::b/*"))},
    ROLE: {
        "assumeRolePolicy": SERVICE_TRUST,
        "inlinePolicies": [{"name": "x", "policy": doc(allow("s3:GetObject", "arn:b/*"))}],
        "managedPolicyArns": ["arn:aws:iam::123456789012:policy/app"],
    },
    ATTACHMENT: {"policyArn": "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"},
    OIDC_PROVIDER: {
        "url": "https://oidc.eks.eu-west-1.amazonaws.com/id/ABC",
        "clientIdLists": ["sts.amazonaws.com"],
    },
}

RESOURCE_CASES = [
    ("AWS-IAM-001", POLICY, {"policy": doc(allow("*"))}),
    ("AWS-IAM-001", ROLE, {"inlinePolicies.0.policy": doc(allow(["*"]))}),
    ("AWS-IAM-002", ROLE_POLICY, {"policy": doc(allow("s3:*", "arn:aws:s3:::b"))}),
    ("AWS-IAM-003", POLICY, {"policy": doc(allow("logs:PutLogEvents"))}),
    ("AWS-IAM-003", POLICY, {"policy": doc(allow("kms:Decrypt"))}),
    ("AWS-IAM-004", POLICY, {"policy": doc(allow("iam:PassRole"))}),
    ("AWS-IAM-004", ROLE_POLICY, {"policy": doc(allow("iam:Put*"))}),
    ("AWS-IAM-005", ATTACHMENT, {"policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
    ("AWS-IAM-005", ROLE, {"managedPolicyArns": ["arn:aws:iam::aws:policy/AmazonS3FullAccess"]}),
    (
        "AWS-IAM-006",
        ROLE,
        {"assumeRolePolicy": doc({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"})},
    ),
    (
        "AWS-IAM-006",
        ROLE,
        {"assumeRolePolicy": doc({"Effect": "Allow", "Principal": ACCOUNT_ROOT, "Action": "sts:AssumeRole"})},
    ),
    ("AWS-IAM-006", ROLE, {"assumeRolePolicy": irsa_trust({"StringEquals": AUDIENCE})}),
    ("AWS-IAM-009", OIDC_PROVIDER, {"clientIdLists": ["sts.amazonaws.com", "my-app"]}),
]


def _case_id(case):
    return f"{case[0]}-{case[1].rsplit(':', 1)[1]}-{'+'.join(case[2])}"


@pytest.mark.parametrize("rule_id, type_, overrides", RESOURCE_CASES, ids=map(_case_id, RESOURCE_CASES))
def test_rule_fires_on_broken_resource(rule_id, type_, overrides):
    assert rule_id in fired(type_, patched(BASELINES[type_], overrides))


@pytest.mark.parametrize("rule_id, type_", sorted({(c[0], c[1]) for c in RESOURCE_CASES}))
def test_rule_is_silent_on_compliant_resource(rule_id, type_):
    assert rule_id not in baseline_fired(type_, BASELINES[type_])


def test_read_only_calls_on_every_resource_pass():
    read_only = doc(allow(["ec2:DescribeInstances", "sts:GetCallerIdentity"]))
    assert "AWS-IAM-003" not in fired(POLICY, patched(BASELINES[POLICY], {"policy": read_only}))


def test_a_decrypt_limited_to_one_service_passes():
    via_s3 = allow(
        "kms:Decrypt", Condition={"StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}}
    )
    assert "AWS-IAM-003" not in fired(POLICY, patched(BASELINES[POLICY], {"policy": doc(via_s3)}))


@pytest.mark.parametrize(
    "trust",
    [
        doc(
            {
                "Effect": "Allow",
                "Principal": ACCOUNT_ROOT,
                "Action": "sts:AssumeRole",
                "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
            }
        ),
        irsa_trust(
            {"StringEquals": {**AUDIENCE, "oidc.eks/id/ABC:sub": "system:serviceaccount:kube-system:ebs-csi"}}
        ),
    ],
    ids=["account-with-mfa", "irsa-audience-and-subject"],
)
def test_a_trust_that_names_who_may_assume_passes(trust):
    assert "AWS-IAM-006" not in fired(ROLE, patched(BASELINES[ROLE], {"assumeRolePolicy": trust}))


@pytest.mark.parametrize(
    "type_, props",
    [("aws:iam/user:User", {"name": "deployer"}), ("aws:iam/accessKey:AccessKey", {"user": "deployer"})],
    ids=["user", "access-key"],
)
def test_any_iam_user_or_access_key_fires(type_, props):
    """AWS-IAM-007 has no compliant user: people and CI assume roles."""
    assert "AWS-IAM-007" in fired(type_, props)


def test_the_user_rule_is_silent_on_roles():
    assert "AWS-IAM-007" not in baseline_fired(ROLE, BASELINES[ROLE])


def role_stack(role_props, *extra):
    return [res(ROLE, "role", {"assumeRolePolicy": SERVICE_TRUST, **role_props}), *extra]


def test_role_policies_managed_in_one_place_passes_attachments_alone():
    attachment = res(ATTACHMENT, "att", {"policyArn": "arn:aws:iam::1:policy/p"}, deps={"role": ["role"]})
    assert "AWS-IAM-008" not in stack_fired(role_stack({}, attachment))


def test_role_with_exclusive_list_and_an_attachment_fires():
    inline = res(
        ROLE_POLICY, "inline", {"policy": doc(allow("s3:GetObject", "arn:b"))}, deps={"role": ["role"]}
    )
    assert "AWS-IAM-008" in stack_fired(role_stack({"managedPolicyArns": []}, inline))
