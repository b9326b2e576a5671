"""policy/rules/aws/eks.py: each rule fires on a broken copy of a compliant EKS cluster, add-on, access
policy association, node group, launch template, instance user data or node role, and stays silent on
the compliant original."""

import base64

import pytest

from tests.policy._cases import DROP, baseline_fired, fired, patched, res, stack_fired
from tests.policy.rules.aws._baselines import BASELINES as SHARED
from tests.policy.rules.aws._baselines import EC2_INSTANCE, KEY

ADMIN = "arn:aws:iam::123456789012:role/platform-admin"

EKS = "aws:eks/cluster:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
ADDON = "aws:eks/addon:Addon"
ASSOCIATION = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
LT = "aws:ec2/launchTemplate:LaunchTemplate"

BOOT_SCRIPT = base64.b64encode(
    b"#!/bin/bash\n/etc/eks/bootstrap.sh prod --kubelet-extra-args '--max-pods=58'\n"
).decode()

BASELINES = {
    EKS: {
        "roleArn": "arn:aws:iam::123456789012:role/eks",
        "version": "1.33",
        "vpcConfig": {
            "subnetIds": ["a", "b", "c"],
            "endpointPrivateAccess": True,
            "endpointPublicAccess": False,
        },
        "encryptionConfig": {"resources": ["secrets"], "provider": {"keyArn": KEY}},
        "enabledClusterLogTypes": ["api", "audit", "authenticator", "controllerManager", "scheduler"],
        "upgradePolicy": {"supportType": "STANDARD"},
        "deletionProtection": True,
        "accessConfig": {"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": False},
    },
    NODE_GROUP: {
        "clusterName": "prod",
        "nodeRoleArn": "arn:role",
        "subnetIds": ["a", "b", "c"],
        "scalingConfig": {"minSize": 3.0, "maxSize": 10.0, "desiredSize": 3.0},
    },
    ADDON: {
        "clusterName": "prod",
        "addonName": "aws-ebs-csi-driver",
        "addonVersion": "v1.37.0-eksbuild.1",
        "serviceAccountRoleArn": "arn:aws:iam::123456789012:role/ebs-csi",
    },
    ASSOCIATION: {
        "clusterName": "prod",
        "principalArn": ADMIN,
        "accessScope": {"type": "cluster"},
        "policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
    },
    LT: {
        "metadataOptions": {
            "httpEndpoint": "enabled",
            "httpTokens": "required",
            "httpPutResponseHopLimit": 1.0,
        },
        "blockDeviceMappings": [
            {"deviceName": "/dev/xvda", "ebs": {"encrypted": "true", "kmsKeyId": KEY, "volumeSize": 50.0}}
        ],
        "networkInterfaces": [{"associatePublicIpAddress": "false"}],
        "userData": BOOT_SCRIPT,
    },
    EC2_INSTANCE: SHARED[EC2_INSTANCE],
}

CONFIG = {"AWS-EKS-011": {"clusterAdminPrincipals": [ADMIN]}}

RESOURCE_CASES = [
    ("AWS-EKS-001", EKS, {"vpcConfig.endpointPublicAccess": DROP}),
    ("AWS-EKS-001", EKS, {"vpcConfig.endpointPrivateAccess": False}),
    ("AWS-EKS-002", EKS, {"encryptionConfig": DROP}),
    ("AWS-EKS-002", EKS, {"encryptionConfig.provider": {}}),
    ("AWS-EKS-003", EKS, {"enabledClusterLogTypes": ["api"]}),
    ("AWS-EKS-004", EKS, {"version": "1.29"}),
    ("AWS-EKS-004", EKS, {"upgradePolicy": DROP}),
    ("AWS-EKS-005", NODE_GROUP, {"remoteAccess": {"ec2SshKey": "ops"}}),
    ("AWS-EKS-006", LT, {"metadataOptions.httpTokens": "optional"}),
    ("AWS-EKS-006", LT, {"metadataOptions.httpPutResponseHopLimit": 2.0}),
    ("AWS-EKS-007", LT, {"blockDeviceMappings.0.ebs.encrypted": "false"}),
    ("AWS-EKS-007", LT, {"blockDeviceMappings.0.ebs.kmsKeyId": DROP}),
    ("AWS-EKS-008", LT, {"networkInterfaces.0.associatePublicIpAddress": "true"}),
    (
        "AWS-EKS-009",
        LT,
        {"userData": base64.b64encode(b"export AWS_ACCESS_KEY_ID=AKIAABCDEFGHIJKLMNOP\n").decode()},
    ),
    ("AWS-EKS-009", EC2_INSTANCE, {"userData": "#!/bin/bash\nDB_PASSWORD='s3cr3t-pa55word'\n"}),
    ("AWS-EKS-010", EKS, {"accessConfig.authenticationMode": "API_AND_CONFIG_MAP"}),
    ("AWS-EKS-010", EKS, {"accessConfig.bootstrapClusterCreatorAdminPermissions": DROP}),
    ("AWS-EKS-011", ASSOCIATION, {"principalArn": "arn:aws:iam::123456789012:role/ci"}),
    ("AWS-EKS-012", ADDON, {"addonVersion": DROP}),
    ("AWS-EKS-012", ADDON, {"serviceAccountRoleArn": DROP}),
    ("AWS-EKS-013", EKS, {"deletionProtection": False}),
]


def _case_id(case):
    return f"{case[0]}-{case[1].rsplit(':', 1)[1]}-{'+'.join(case[2])}"


@pytest.mark.parametrize("rule_id, type_, overrides", RESOURCE_CASES, ids=map(_case_id, RESOURCE_CASES))
def test_rule_fires_on_broken_resource(rule_id, type_, overrides):
    assert rule_id in fired(type_, patched(BASELINES[type_], overrides), config=CONFIG)


@pytest.mark.parametrize("rule_id, type_", sorted({(c[0], c[1]) for c in RESOURCE_CASES}))
def test_rule_is_silent_on_compliant_resource(rule_id, type_):
    assert rule_id not in fired(type_, BASELINES[type_], config=CONFIG)


def test_dev_may_open_the_endpoint_to_listed_networks_only():
    dev = {"AWS-EKS-001": {"allowPublicEndpoint": True}}
    listed = patched(
        BASELINES[EKS],
        {"vpcConfig.endpointPublicAccess": True, "vpcConfig.publicAccessCidrs": ["198.51.100.0/24"]},
    )
    open_to_all = patched(listed, {"vpcConfig.publicAccessCidrs": ["0.0.0.0/0"]})
    assert "AWS-EKS-001" not in fired(EKS, listed, environment="dev", config=dev)
    assert "AWS-EKS-001" in fired(EKS, open_to_all, environment="dev", config=dev)


def test_addons_without_aws_calls_need_no_iam_identity():
    coredns = patched(BASELINES[ADDON], {"addonName": "coredns", "serviceAccountRoleArn": DROP})
    assert "AWS-EKS-012" not in baseline_fired(ADDON, coredns)


def test_user_data_reading_secrets_from_variables_passes():
    script = "#!/bin/bash\nDB_PASSWORD=$(aws secretsmanager get-secret-value --secret-id db)\n"
    assert "AWS-EKS-009" not in fired(EC2_INSTANCE, patched(BASELINES[EC2_INSTANCE], {"userData": script}))


def test_cluster_admin_principals_may_be_patterns():
    deploy = patched(
        BASELINES[ASSOCIATION], {"principalArn": "arn:aws:iam::210987654321:role/groundwork-deploy-prod"}
    )
    patterns = {"AWS-EKS-011": {"clusterAdminPrincipals": ["arn:aws:iam::*:role/groundwork-deploy*"]}}
    assert "AWS-EKS-011" not in fired(ASSOCIATION, deploy, config=patterns)
    assert "AWS-EKS-011" in fired(
        ASSOCIATION, patched(deploy, {"principalArn": "arn:aws:iam::1:user/bob"}), config=patterns
    )


NODE_ROLE_STACK = [
    res("aws:iam/role:Role", "node-role", {"assumeRolePolicy": "{}"}),
    res(
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        "node-role-0",
        {"role": "id-1", "policyArn": "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"},
        deps={"role": ["node-role"]},
    ),
    res(
        NODE_GROUP,
        "nodes",
        {**BASELINES[NODE_GROUP], "nodeRoleArn": "arn:role"},
        deps={"nodeRoleArn": ["node-role"]},
    ),
]


def test_node_role_with_node_policies_only_passes():
    assert "AWS-EKS-014" not in stack_fired(NODE_ROLE_STACK)


@pytest.mark.parametrize(
    "extra",
    [
        res(
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
            "node-role-s3",
            {"role": "id-1", "policyArn": "arn:aws:iam::aws:policy/AmazonS3FullAccess"},
            deps={"role": ["node-role"]},
        ),
        res(
            "aws:iam/rolePolicy:RolePolicy",
            "node-role-inline",
            {"role": "id-1", "policy": "{}"},
            deps={"role": ["node-role"]},
        ),
    ],
    ids=["managed", "inline"],
)
def test_application_permissions_on_the_node_role_fire(extra):
    assert "AWS-EKS-014" in stack_fired([*NODE_ROLE_STACK, extra])
