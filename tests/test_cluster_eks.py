"""The EKS cluster each AWS stack sends to Pulumi: control plane, access, nodes and add-ons."""

from __future__ import annotations

import json

import pytest

from components.cluster import ADDON_VERSIONS
from stacks.config import load_stack
from stacks.preflight.runner import capture_stack
from tests.cluster_helpers import AWS_STACKS, managed_policies_for, one

EKS = "aws:eks/cluster:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"


@pytest.fixture(scope="module")
def public_endpoint_prod():
    """prod with the public endpoint opened to one office range, as a stack file would ask for it."""
    return capture_stack(
        "prod", overrides={"groundwork:cluster": {"endpointPublicAccessCidrs": ["198.51.100.0/24"]}}
    )


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_secrets_are_envelope_encrypted_with_the_platform_key(captured, stack):
    capture = captured(stack)
    encryption = one(capture, EKS).props["encryptionConfig"]
    assert encryption["resources"] == ["secrets"]
    assert encryption["provider"]["keyArn"] == capture.outputs["kms_key_arn"]


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_all_five_control_plane_log_types_are_on(captured, stack):
    assert sorted(one(captured(stack), EKS).props["enabledClusterLogTypes"]) == sorted(
        ["api", "audit", "authenticator", "controllerManager", "scheduler"]
    )


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_control_plane_log_group_is_ours_encrypted_and_expires(captured, stack):
    capture = captured(stack)
    name = one(capture, EKS).props["name"]
    group = capture.named(f"{stack}-cluster-control-plane-logs")
    assert group.props["name"] == f"/aws/eks/{name}/cluster"
    assert group.props["kmsKeyId"] == capture.outputs["kms_key_arn"]
    assert group.props["retentionInDays"] == load_stack(stack).cluster.log_retention_days
    assert group.urn in one(capture, EKS).dependencies, "the cluster must not create the group itself first"


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_cluster_runs_in_the_private_subnets(captured, stack):
    capture = captured(stack)
    assert one(capture, EKS).props["vpcConfig"]["subnetIds"] == capture.outputs["private_subnet_ids"]


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_api_endpoint_is_private_only_by_default(captured, stack):
    vpc = one(captured(stack), EKS).props["vpcConfig"]
    assert vpc["endpointPrivateAccess"] is True
    assert vpc["endpointPublicAccess"] is False
    assert "publicAccessCidrs" not in vpc


def test_public_endpoint_opens_only_to_the_listed_cidrs(public_endpoint_prod):
    vpc = one(public_endpoint_prod, EKS).props["vpcConfig"]
    assert vpc["endpointPublicAccess"] is True
    assert vpc["publicAccessCidrs"] == ["198.51.100.0/24"]


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_authentication_is_access_entries_without_creator_admin(captured, stack):
    access = one(captured(stack), EKS).props["accessConfig"]
    assert access == {"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": False}


def test_deployer_gets_an_explicit_cluster_admin_entry(captured):
    capture = captured("dev")
    entry = one(capture, "aws:eks/accessEntry:AccessEntry")
    association = one(capture, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
    assert entry.props["principalArn"].startswith("arn:aws:iam::")
    assert association.props["principalArn"] == entry.props["principalArn"]
    assert association.props["policyArn"].endswith("/AmazonEKSClusterAdminPolicy")
    assert association.props["accessScope"] == {"type": "cluster"}


def test_admin_roles_from_config_get_access_entries():
    role = "arn:aws:iam::123456789012:role/platform-admin"
    capture = capture_stack("staging", overrides={"groundwork:cluster": {"adminRoleArns": [role]}})
    principals = {r.props["principalArn"] for r in capture.of_type("aws:eks/accessEntry:AccessEntry")}
    assert role in principals
    assert len(principals) == 2  # the configured role and the deployer


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_standard_support_unless_chosen(captured, stack):
    assert one(captured(stack), EKS).props["upgradePolicy"] == {"supportType": "STANDARD"}


@pytest.mark.parametrize(
    ("stack", "protected"), [("dev", False), ("qa", False), ("staging", False), ("prod", True)]
)
def test_deletion_protection_and_pulumi_protect_in_prod_only(captured, stack, protected):
    cluster = one(captured(stack), EKS)
    assert cluster.props["deletionProtection"] is protected
    assert cluster.protect is protected


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_kubernetes_version_is_pinned_and_has_pinned_addons(captured, stack):
    version = one(captured(stack), EKS).props["version"]
    assert version == "1.36"
    assert version in ADDON_VERSIONS


def test_cluster_role_has_only_the_eks_cluster_policy(captured):
    capture = captured("prod")
    role = capture.named("prod-cluster-cluster-role")
    assert managed_policies_for(capture, role) == ["arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"]
    trust = json.loads(role.props["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "eks.amazonaws.com"}


def test_node_role_has_no_cni_policy_because_the_cni_has_its_own_role(captured):
    capture = captured("prod")
    policies = managed_policies_for(capture, capture.named("prod-cluster-node-role"))
    assert sorted(p.rsplit("/", 1)[1] for p in policies) == [
        "AmazonEC2ContainerRegistryPullOnly",
        "AmazonEKSWorkerNodePolicy",
    ]


# -- nodes ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_nodes_require_imdsv2_with_hop_limit_one(captured, stack):
    for template in captured(stack).of_type(LAUNCH_TEMPLATE):
        metadata = template.props["metadataOptions"]
        assert metadata["httpTokens"] == "required"
        assert metadata["httpPutResponseHopLimit"] == 1
        assert metadata["httpEndpoint"] == "enabled"


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_node_root_volume_is_encrypted_gp3(captured, stack):
    for template in captured(stack).of_type(LAUNCH_TEMPLATE):
        (mapping,) = template.props["blockDeviceMappings"]
        assert mapping["deviceName"] == "/dev/xvda"
        assert mapping["ebs"]["volumeType"] == "gp3"
        assert mapping["ebs"]["encrypted"] == "true"


@pytest.mark.parametrize(
    ("stack", "bounds", "types", "capacity"),
    [
        ("dev", (2, 2, 3), ["t3.medium", "t3a.medium"], "SPOT"),  # Spot: a cost lever (docs/cost.md)
        ("qa", (2, 2, 3), ["t3.medium", "t3a.medium"], "SPOT"),
        ("staging", (3, 3, 5), ["t3.medium"], "ON_DEMAND"),
        ("prod", (3, 5, 10), ["t3.large"], "ON_DEMAND"),
    ],
)
def test_node_group_size_per_environment(captured, stack, bounds, types, capacity):
    group = one(captured(stack), NODE_GROUP).props
    scaling = group["scalingConfig"]
    assert (scaling["minSize"], scaling["desiredSize"], scaling["maxSize"]) == bounds
    assert group["instanceTypes"] == types
    assert group["capacityType"] == capacity


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_nodes_span_every_private_subnet(captured, stack):
    capture = captured(stack)
    subnets = one(capture, NODE_GROUP).props["subnetIds"]
    assert subnets == capture.outputs["private_subnet_ids"]
    assert len(subnets) == len(capture.outputs["availability_zones"])


def test_prod_nodes_span_three_azs(captured):
    assert len(one(captured("prod"), NODE_GROUP).props["subnetIds"]) == 3


def test_node_group_uses_the_launch_template_and_keeps_autoscaler_size(captured):
    capture = captured("prod")
    group = one(capture, NODE_GROUP)
    assert group.props["launchTemplate"]["id"].startswith("lt-")
    assert group.options["ignoreChanges"] == ["scalingConfig.desiredSize"]


def test_node_size_overrides_from_the_stack_file_apply():
    capture = capture_stack(
        "dev", overrides={"groundwork:cluster": {"nodeGroups": {"general": {"maxSize": 6}}}}
    )
    assert one(capture, NODE_GROUP).props["scalingConfig"]["maxSize"] == 6


# -- managed add-ons -----------------------------------------------------------------------------


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_managed_addons_are_pinned_to_the_versions_for_the_cluster_version(captured, stack):
    capture = captured(stack)
    pins = ADDON_VERSIONS[one(capture, EKS).props["version"]]
    versions = {a.props["addonName"]: a.props["addonVersion"] for a in capture.of_type("aws:eks/addon:Addon")}
    assert versions == {
        "vpc-cni": pins.vpc_cni,
        "kube-proxy": pins.kube_proxy,
        "coredns": pins.coredns,
        "aws-ebs-csi-driver": pins.ebs_csi_driver,
    }


def test_vpc_cni_enforces_network_policies(captured):
    cni = next(
        a for a in captured("prod").of_type("aws:eks/addon:Addon") if a.props["addonName"] == "vpc-cni"
    )
    assert json.loads(cni.props["configurationValues"]) == {"enableNetworkPolicy": "true"}


def test_nodes_wait_for_the_cni_and_kube_proxy(captured):
    capture = captured("prod")
    addons = {a.props["addonName"]: a.urn for a in capture.of_type("aws:eks/addon:Addon")}
    deps = one(capture, NODE_GROUP).dependencies
    assert addons["vpc-cni"] in deps and addons["kube-proxy"] in deps


def test_ebs_csi_driver_and_cni_use_their_irsa_roles(captured):
    capture = captured("prod")
    by_name = {a.props["addonName"]: a for a in capture.of_type("aws:eks/addon:Addon")}
    assert (
        by_name["aws-ebs-csi-driver"]
        .props["serviceAccountRoleArn"]
        .endswith("role/prod-cluster-ebs-csi-irsa")
    )
    assert by_name["vpc-cni"].props["serviceAccountRoleArn"].endswith("role/prod-cluster-vpc-cni-irsa")


@pytest.mark.parametrize(("stack", "reclaim"), [("dev", "Delete"), ("staging", "Retain"), ("prod", "Retain")])
def test_default_storage_class_is_encrypted_gp3(captured, stack, reclaim):
    capture = captured(stack)
    storage = one(capture, "kubernetes:storage.k8s.io/v1:StorageClass").props
    assert storage["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"] == "true"
    assert storage["provisioner"] == "ebs.csi.aws.com"
    assert storage["parameters"]["type"] == "gp3"
    assert storage["parameters"]["encrypted"] == "true"
    assert storage["parameters"]["kmsKeyId"] == capture.outputs["kms_key_arn"]
    assert storage["reclaimPolicy"] == reclaim
    assert capture.outputs["storage_class"] == storage["metadata"]["name"]


# -- outputs -------------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_kubeconfig_leaves_the_stack_only_as_a_secret(captured, stack):
    capture = captured(stack)
    assert capture.outputs["kubeconfig"] == "[secret]"
    provider = capture.named(f"{stack}-cluster-k8s")
    assert provider.is_secret("kubeconfig")


def test_kubeconfig_authenticates_with_aws_eks_get_token(captured):
    provider = captured("prod").named("prod-cluster-k8s")
    kubeconfig = json.loads(provider.props["kubeconfig"])
    (user,) = kubeconfig["users"]
    assert user["user"]["exec"]["command"] == "aws"
    assert user["user"]["exec"]["args"][2:4] == ["eks", "get-token"]
    assert "token" not in user["user"]


def test_cluster_outputs_are_exported(captured):
    outputs = captured("prod").outputs
    assert outputs["cluster_name"] == "groundwork-prod"
    assert outputs["cluster_endpoint"].startswith("https://")
    assert outputs["cluster_oidc_provider_arn"].endswith(outputs["cluster_oidc_issuer"])
    assert not outputs["cluster_oidc_issuer"].startswith("https://")
    assert outputs["cluster_security_group_id"].startswith("sg-")


def test_deployer_entry_can_be_turned_off_when_the_deployer_is_a_listed_admin():
    role = "arn:aws:iam::123456789012:role/ci-deployer"
    capture = capture_stack(
        "qa", overrides={"groundwork:cluster": {"adminRoleArns": [role], "grantDeployerAdmin": False}}
    )
    assert [r.props["principalArn"] for r in capture.of_type("aws:eks/accessEntry:AccessEntry")] == [role]
