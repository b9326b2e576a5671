"""EKS rules: the cluster (endpoint, secrets encryption, logs, version, access), its add-ons and
access policies, its node groups and their launch templates, and the node IAM role.

Groundwork's `Cluster` component creates these on AWS stacks; the config keys named in remediations
live under `cluster.*` in `Pulumi.<stack>.yaml`.
"""

from __future__ import annotations

import base64
import binascii
import fnmatch

from policy.framework import Resource, Stack, resource_rule, stack_rule
from policy.helpers import (
    as_list,
    credential_findings,
    each,
    first,
    is_false,
    is_true,
    linked,
    number,
    version_tuple,
)
from policy.rules.aws.ec2 import EC2_INSTANCE, metadata_issues
from policy.rules.aws.iam import ROLE, ROLE_ATTACHMENT, ROLE_POLICY

EKS_CLUSTER = "aws:eks/cluster:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
ADDON = "aws:eks/addon:Addon"
ACCESS_POLICY_ASSOCIATION = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"

CONTROL_PLANE_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
# Add-ons that call AWS APIs and therefore need their own IAM identity (IRSA or Pod Identity)
# instead of borrowing the node role.
ADDONS_NEEDING_AWS_IDENTITY = [
    "vpc-cni",
    "aws-ebs-csi-driver",
    "aws-efs-csi-driver",
    "aws-mountpoint-s3-csi-driver",
    "amazon-cloudwatch-observability",
    "adot",
    "aws-guardduty-agent",
]


def _decoded(user_data: str) -> str:
    """Launch-template user data is base64 (often a MIME multipart); read it as text either way."""
    try:
        return base64.b64decode(user_data, validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return user_data


# --- cluster --------------------------------------------------------------------------------------


@resource_rule(
    id="AWS-EKS-001",
    title="EKS API endpoint is private",
    severity="critical",
    resource_types=(EKS_CLUSTER,),
    description="Checks `vpcConfig.endpointPrivateAccess == true` and `vpcConfig.endpointPublicAccess == "
    "false` (AWS defaults the public endpoint to on). Where the policy config sets "
    "`allowPublicEndpoint` (dev), a public endpoint passes only with `publicAccessCidrs` set and "
    "none of them 0.0.0.0/0.",
    rationale="A public Kubernetes API endpoint is probed by the whole internet; any leaked kubeconfig, "
    "token or API-server vulnerability is then exploitable from anywhere.",
    remediation="Leave `cluster.endpointPublicAccessCidrs` empty in Pulumi.<stack>.yaml (private endpoint "
    "only) and reach the API through the VPN or SSM; for dev, list the office/VPN CIDRs in "
    "`cluster.endpointPublicAccessCidrs`.",
    thresholds={"allowPublicEndpoint": False},
    tags=(
        "compliance-policies:eks-cluster-disallow-api-endpoint-public-access",
        "checkov:CKV_AWS_38",
        "checkov:CKV_AWS_39",
        "fsbp:EKS.1",
        "cdk-nag:AwsSolutions-EKS1",
    ),
)
def eks_private_endpoint(r: Resource):
    vpc = first(r.get("vpcConfig"))
    if not is_true(vpc.get("endpointPrivateAccess")):
        yield "endpointPrivateAccess is not true: nodes and pods reach the API over the public endpoint"
    if is_false(vpc.get("endpointPublicAccess")):
        return
    if not r.threshold("allowPublicEndpoint", False):
        yield "endpointPublicAccess is not false: the Kubernetes API is reachable from the internet"
        return
    cidrs = [str(c) for c in as_list(vpc.get("publicAccessCidrs"))]
    if not cidrs or "0.0.0.0/0" in cidrs:
        yield "the public endpoint is open to 0.0.0.0/0: restrict publicAccessCidrs to known networks"


@resource_rule(
    id="AWS-EKS-002",
    title="EKS encrypts Kubernetes secrets with a customer-managed key",
    severity="high",
    resource_types=(EKS_CLUSTER,),
    description="Checks `encryptionConfig.resources` contains `secrets` and "
    "`encryptionConfig.provider.keyArn` is set.",
    rationale="Envelope encryption keeps Secrets unreadable in etcd backups and snapshots, and the key "
    "policy controls who can decrypt them.",
    remediation="The `Cluster` component sets `encryption_config` with the platform KMS key.",
    tags=(
        "compliance-policies:eks-cluster-enable-cluster-encryption-config",
        "checkov:CKV_AWS_58",
        "fsbp:EKS.3",
    ),
)
def eks_secrets_encryption(r: Resource):
    config = first(r.get("encryptionConfig"))
    if "secrets" not in [str(x) for x in as_list(config.get("resources"))]:
        yield (
            "encryptionConfig does not cover 'secrets': Kubernetes Secrets are stored with etcd's default "
            "encryption only"
        )
    elif not first(config.get("provider")).get("keyArn"):
        yield "encryptionConfig.provider.keyArn is unset"


@resource_rule(
    id="AWS-EKS-003",
    title="EKS control-plane logs are enabled",
    severity="medium",
    resource_types=(EKS_CLUSTER,),
    description="Checks `enabledClusterLogTypes` contains every type in the policy config's "
    "`requiredLogTypes` (default all five: api, audit, authenticator, controllerManager, "
    "scheduler; dev may require only audit).",
    rationale="The audit log is the only record of who did what in the cluster (kubectl exec, secret reads, "
    "RBAC changes); authenticator logs tie Kubernetes users to IAM principals.",
    remediation="The `Cluster` component enables all five log types; on a raw cluster set "
    "`enabled_cluster_log_types`. Dev may require fewer through the policy config.",
    thresholds={"requiredLogTypes": CONTROL_PLANE_LOG_TYPES},
    tags=("checkov:CKV_AWS_37", "fsbp:EKS.8", "cdk-nag:AwsSolutions-EKS2"),
)
def eks_control_plane_logs(r: Resource):
    enabled = {str(x) for x in as_list(r.get("enabledClusterLogTypes"))}
    missing = [t for t in r.threshold("requiredLogTypes", CONTROL_PLANE_LOG_TYPES) if t not in enabled]
    if missing:
        yield f"enabledClusterLogTypes lacks {', '.join(missing)}"


@resource_rule(
    id="AWS-EKS-004",
    title="EKS runs a supported Kubernetes version under standard support",
    severity="high",
    resource_types=(EKS_CLUSTER,),
    description="Checks `version` (when pinned) is at least the policy config's `minVersion` (default 1.32) "
    "and `upgradePolicy.supportType` is in `allowedSupportTypes` (default STANDARD; unset means "
    "AWS's default EXTENDED and fails).",
    rationale="Versions past standard support stop getting upstream security patches and, under extended "
    "support, cost six times as much per hour; STANDARD forces the upgrade to be planned.",
    remediation='Raise `cluster.kubernetesVersion` and set `upgrade_policy={"support_type": "STANDARD"}` '
    "(the `Cluster` component default).",
    thresholds={"minVersion": "1.32", "allowedSupportTypes": ["STANDARD"]},
    tags=("checkov:CKV_AWS_339", "fsbp:EKS.2"),
)
def eks_version(r: Resource):
    version = r.get("version")
    minimum = r.threshold("minVersion", "1.32")
    if version and version_tuple(version) < version_tuple(minimum):
        yield f"version {version} is older than the supported minimum {minimum}"
    support = r.get("upgradePolicy.supportType") or "EXTENDED"
    allowed = r.threshold("allowedSupportTypes", ["STANDARD"])
    if support not in allowed:
        yield f"upgradePolicy.supportType is {support}; allowed: {', '.join(allowed)}"


@resource_rule(
    id="AWS-EKS-010",
    title="EKS uses access entries without implicit creator admin",
    severity="high",
    resource_types=(EKS_CLUSTER,),
    description='Checks `accessConfig.authenticationMode == "API"` and '
    "`accessConfig.bootstrapClusterCreatorAdminPermissions == false`.",
    rationale="The aws-auth ConfigMap is an unaudited, easily broken mapping that any cluster admin can "
    "edit; access entries are AWS API objects governed by IAM and CloudTrail. The bootstrap flag "
    "silently makes whoever ran `pulumi up` a permanent cluster-admin (on by default).",
    remediation='The `Cluster` component sets `access_config={"authentication_mode": "API", '
    '"bootstrap_cluster_creator_admin_permissions": False}` and grants admins through '
    "`cluster.adminRoleArns` access entries.",
)
def eks_access_config(r: Resource):
    access = first(r.get("accessConfig"))
    mode = access.get("authenticationMode") or "CONFIG_MAP"
    if mode != "API":
        yield f"authenticationMode is {mode}: the aws-auth ConfigMap still grants access"
    if not is_false(access.get("bootstrapClusterCreatorAdminPermissions")):
        yield (
            "bootstrapClusterCreatorAdminPermissions is not false: the deploying identity becomes "
            "cluster-admin"
        )


@resource_rule(
    id="AWS-EKS-011",
    title="Cluster-admin access goes only to approved principals",
    severity="high",
    resource_types=(ACCESS_POLICY_ASSOCIATION,),
    description="Checks that an association of AmazonEKSClusterAdminPolicy (or AmazonEKSAdminPolicy at "
    "cluster scope) names a principal matching the policy config's `clusterAdminPrincipals` "
    "(ARNs or shell patterns such as `arn:aws:iam::*:role/groundwork-deploy*`).",
    rationale="Cluster-admin can read every Secret and run anything on every node; the list of who holds it "
    "must be short, reviewed and in one place.",
    remediation="Add the role to `cluster.adminRoleArns` in Pulumi.<stack>.yaml and to the policy config's "
    "clusterAdminPrincipals, or associate a narrower policy (AmazonEKSEditPolicy, namespace "
    "scope).",
    thresholds={"clusterAdminPrincipals": []},
)
def eks_cluster_admin_principals(r: Resource):
    policy = str(r.get("policyArn") or "")
    scope = r.get("accessScope.type") or "cluster"
    is_admin = policy.endswith("/AmazonEKSClusterAdminPolicy") or (
        policy.endswith("/AmazonEKSAdminPolicy") and scope == "cluster"
    )
    principal = str(r.get("principalArn") or "")
    allowed = r.threshold("clusterAdminPrincipals", [])
    if is_admin and not any(fnmatch.fnmatchcase(principal, pattern) for pattern in allowed):
        yield f"{principal} gets {policy.rsplit('/', 1)[-1]} but is not in clusterAdminPrincipals"


@resource_rule(
    id="AWS-EKS-012",
    title="EKS add-ons are pinned and use their own IAM identity",
    severity="medium",
    resource_types=(ADDON,),
    description="Checks `addonVersion` is set, and that add-ons which call AWS APIs (vpc-cni, EBS/EFS/S3 CSI "
    "drivers, CloudWatch observability, ADOT, GuardDuty agent) have `serviceAccountRoleArn` or "
    "`podIdentityAssociations`.",
    rationale="An unpinned add-on changes under the cluster at AWS's pace; an add-on without its own "
    "identity runs with the node role, so every pod on the node inherits its AWS permissions.",
    remediation="Pin `addon_version` and give the add-on an IRSA role (`service_account_role_arn`) or a Pod "
    "Identity association, as the `Cluster` component does.",
)
def eks_addon_pinned(r: Resource):
    name = r.get("addonName")
    if not r.get("addonVersion"):
        yield f"add-on {name} has no addonVersion: it follows AWS's default version"
    if name in ADDONS_NEEDING_AWS_IDENTITY and not (
        r.get("serviceAccountRoleArn") or as_list(r.get("podIdentityAssociations"))
    ):
        yield f"add-on {name} has no serviceAccountRoleArn or podIdentityAssociations: it uses the node role"


@resource_rule(
    id="AWS-EKS-013",
    title="EKS cluster has deletion protection",
    severity="medium",
    resource_types=(EKS_CLUSTER,),
    description="Checks `deletionProtection == true`.",
    rationale="Deleting the cluster deletes every workload and its in-cluster state; the flag makes the EKS "
    "API refuse.",
    remediation="Set `cluster.deletionProtection: true` (prod profile).",
)
def eks_deletion_protection(r: Resource):
    if not is_true(r.get("deletionProtection")):
        yield "deletionProtection is not true: a destroy or replacement deletes the cluster"


# --- node groups and launch templates -------------------------------------------------------------


@resource_rule(
    id="AWS-EKS-005",
    title="Node groups allow no SSH from anywhere",
    severity="high",
    resource_types=(NODE_GROUP,),
    description="Checks `remoteAccess` is absent, or that its `ec2SshKey` comes with "
    "`sourceSecurityGroupIds`.",
    rationale="remoteAccess with a key and no source security groups opens port 22 on every node to "
    "0.0.0.0/0; nodes are reached through SSM instead.",
    remediation="Remove `remote_access`; use SSM Session Manager (the node role carries "
    "AmazonSSMManagedInstanceCore).",
    tags=("checkov:CKV_AWS_100",),
)
def node_group_no_ssh(r: Resource):
    access = first(r.get("remoteAccess"))
    if access.get("ec2SshKey") and not as_list(access.get("sourceSecurityGroupIds")):
        yield "remoteAccess has an SSH key and no sourceSecurityGroupIds: port 22 is open to the world"


@resource_rule(
    id="AWS-EKS-006",
    title="Node launch templates require IMDSv2 with a hop limit of 1",
    severity="high",
    resource_types=(LAUNCH_TEMPLATE,),
    description='Checks `metadataOptions.httpTokens == "required"` and `httpPutResponseHopLimit <= '
    "maxHopLimit` (policy config; default 1, 2 only when a workload needs the node role).",
    rationale="IMDSv1 answers any SSRF with the node role's credentials; a hop limit above 1 lets every pod "
    "read them, bypassing IRSA.",
    remediation="The `Cluster` component's launch template sets httpTokens=required and hop limit 1.",
    thresholds={"maxHopLimit": 1},
    tags=(
        "checkov:CKV_AWS_79",
        "checkov:CKV_AWS_341",
        "fsbp:EC2.8",
        "fsbp:EC2.170",
        "cdk-nag:NIST.800.53.R5-EC2IMDSv2Enabled",
    ),
)
def launch_template_imdsv2(r: Resource):
    yield from metadata_issues(first(r.get("metadataOptions")), number(r.threshold("maxHopLimit", 1), 1))


@resource_rule(
    id="AWS-EKS-007",
    title="Node launch templates encrypt their volumes with a CMK",
    severity="high",
    resource_types=(LAUNCH_TEMPLATE,),
    description='Checks every `blockDeviceMappings[].ebs` has `encrypted == "true"` (a string in this '
    "resource) and a `kmsKeyId`.",
    rationale="Node volumes hold container images, emptyDir data and logs; unencrypted they leak through "
    "snapshots and detached volumes.",
    remediation='The `Cluster` component\'s launch template sets encrypted="true" and the platform KMS key.',
    tags=(
        "compliance-policies:ec2-launchtemplate-disallow-unencrypted-block-device",
        "compliance-policies:ec2-launchtemplate-configure-customer-managed-key",
        "fsbp:EC2.181",
        "cdk-nag:AwsSolutions-EC26",
    ),
)
def launch_template_encrypted_volumes(r: Resource):
    for mapping in as_list(r.get("blockDeviceMappings")):
        ebs = first(mapping.get("ebs"))
        device = mapping.get("deviceName", "?")
        if not ebs:
            continue
        if not is_true(ebs.get("encrypted")):
            yield f"volume {device} is not encrypted"
        elif not ebs.get("kmsKeyId"):
            yield f"volume {device} uses the AWS-managed EBS key"


@resource_rule(
    id="AWS-EKS-008",
    title="Node launch templates assign no public IPs",
    severity="high",
    resource_types=(LAUNCH_TEMPLATE,),
    description='Checks `networkInterfaces[].associatePublicIpAddress` is not "true".',
    rationale="Nodes with public IPs are directly reachable from the internet; they belong in private "
    "subnets behind NAT.",
    remediation="Remove `associate_public_ip_address` from the launch template's network interfaces.",
    tags=("compliance-policies:ec2-launchtemplate-disallow-public-ip", "checkov:CKV_AWS_88", "fsbp:EC2.25"),
)
def launch_template_no_public_ip(r: Resource):
    for nic in as_list(r.get("networkInterfaces")):
        if is_true(nic.get("associatePublicIpAddress")):
            yield "a network interface sets associatePublicIpAddress: nodes get public IPs"


@resource_rule(
    id="AWS-EKS-009",
    title="Launch template and instance user data carry no credentials",
    severity="high",
    resource_types=(LAUNCH_TEMPLATE, EC2_INSTANCE),
    description="Decodes `userData` (base64 or text) and looks for AWS access key ids, private key blocks "
    "and literal password/secret/token assignments.",
    rationale="User data is readable by anyone with ec2:DescribeInstanceAttribute and from inside the "
    "instance via IMDS; credentials in it are effectively published.",
    remediation="Fetch secrets at boot from Secrets Manager with the node role, or pass them to pods via "
    "External Secrets; never bake them into user data.",
    tags=("checkov:CKV_AWS_46",),
)
def user_data_without_credentials(r: Resource):
    data = r.get("userData") or r.get("userDataBase64")
    if isinstance(data, str) and data:
        for finding in credential_findings(_decoded(data)):
            yield f"userData contains {finding}"


NODE_ROLE_POLICIES = [
    "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    "arn:aws:iam::aws:policy/AmazonEKSWorkerNodeMinimalPolicy",
    "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
    "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly",
    "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
    "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
]


@stack_rule(
    id="AWS-EKS-014",
    title="The node role carries node permissions only",
    severity="high",
    description="For every EKS node group, the IAM role named by `nodeRoleArn` (found through the engine's "
    "dependencies) has only the managed policies in the policy config's `nodeRolePolicies` "
    "(worker node, ECR pull, SSM core, and the CNI policy when the vpc-cni add-on has no IRSA "
    "role) and no inline policy: as `managedPolicyArns`, `inlinePolicies`, RolePolicyAttachment "
    "or RolePolicy. Together with AWS-IAM-006 (IRSA trusts need `aud` and an exact `sub`) this "
    "covers IRSA trust scoping.",
    rationale="Every pod on a node can reach the node role's credentials whenever IMDS is reachable (hop "
    "limit, hostNetwork); application permissions on the node role bypass IRSA and hand S3, KMS or "
    "Secrets Manager access to every workload in the cluster.",
    remediation="Grant application permissions through an IRSA role per service account (Groundwork's "
    "`irsa_role`), never on the node role.",
    thresholds={"nodeRolePolicies": NODE_ROLE_POLICIES},
    aliases=("STK-EKS-002",),
)
def node_role_minimal(stack: Stack):
    allowed = set(stack.threshold("nodeRolePolicies", NODE_ROLE_POLICIES))
    roles = stack.of_type(ROLE)
    attachments = stack.of_type(ROLE_ATTACHMENT)
    inline = stack.of_type(ROLE_POLICY)
    seen: set[str] = set()

    def check(group: Resource):
        for role in linked(group, "nodeRoleArn", roles, keys=("arn", "name")):
            if role.urn in seen:
                continue
            seen.add(role.urn)
            arns = [str(a) for a in as_list(role.get("managedPolicyArns"))]
            arns += [
                str(a.get("policyArn"))
                for a in attachments
                if role in linked(a, "role", [role], keys=("name",))
            ]
            extra = sorted({a for a in arns if a not in allowed})
            if extra:
                yield role, f"node role {role.name} carries {', '.join(a.rsplit('/', 1)[-1] for a in extra)}"
            if as_list(role.get("inlinePolicies")) or any(
                role in linked(p, "role", [role], keys=("name",)) for p in inline
            ):
                yield role, f"node role {role.name} has an inline policy"

    yield from each(stack.of_type(NODE_GROUP), check)
