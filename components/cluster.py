"""The EKS cluster the AWS environments run on (the local stack's kind cluster is
components.local_cluster).

Both give downstream code the same things: a `pulumi_kubernetes` Provider, the name of a default
StorageClass, and (EKS only) the OIDC provider for IRSA roles.

`EksCluster` creates: a KMS-encrypted control-plane log group with a retention, the cluster (private
subnets, secrets envelope-encrypted with the platform key, all five log types, private endpoint,
API authentication with explicit access entries, STANDARD support, optional deletion protection),
its IAM role, the IAM OIDC provider, managed node groups with an IMDSv2-only launch template and an
encrypted gp3 root volume, the vpc-cni / kube-proxy / coredns / aws-ebs-csi-driver managed add-ons
at pinned versions, and an encrypted gp3 default StorageClass. It does not create security groups:
nodes use the EKS cluster security group (`cluster_security_group_id`), which is therefore the group
data services must admit.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
from pydantic import Field

from components._lib.args import ComponentArgs, Input
from components._lib.eks import (
    ADDON_VERSIONS,
    DEFAULT_KUBERNETES_VERSION,
    cluster_kms_policy,
    ebs_kms_policy,
    kubeconfig_for,
)
from components.cluster_settings import EksClusterSettings, NodeGroupSettings
from components.irsa import irsa_role
from components.service_role import service_role
from components.tagging import component_tags

LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
CLUSTER_ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
_MANAGED = "arn:aws:iam::aws:policy/"
CLUSTER_ROLE_POLICIES = (f"{_MANAGED}AmazonEKSClusterPolicy",)
# The VPC CNI gets its own IRSA role below, so the node role needs no AmazonEKS_CNI_Policy.
NODE_ROLE_POLICIES = (f"{_MANAGED}AmazonEKSWorkerNodePolicy", f"{_MANAGED}AmazonEC2ContainerRegistryPullOnly")
TRUST_ACTIONS = ("sts:AssumeRole", "sts:TagSession")
# The settings live in components.cluster_settings; these names stay importable from here.
__all__ = [
    "ADDON_VERSIONS",
    "DEFAULT_KUBERNETES_VERSION",
    "EksCluster",
    "EksClusterArgs",
    "EksClusterSettings",
    "NodeGroupSettings",
]


class EksClusterArgs(ComponentArgs):
    """The settings plus what the stack provides: names, the network, the key, tags."""

    settings: EksClusterSettings = Field(
        default_factory=EksClusterSettings, description="The cluster's shape."
    )
    cluster_name: str = Field(description="The EKS name (also names the log group and autoscaler tags).")
    region: str = Field(description="The cluster's region, for the kubeconfig's `aws eks get-token`.")
    vpc_id: Input[str] = Field(description="The VPC of the stack.")
    private_subnet_ids: Input[Sequence[str]] = Field(
        description="Control-plane ENIs and nodes go here, never in public subnets."
    )
    kms_key_arn: Input[str] = Field(
        description="Envelope-encrypts Kubernetes Secrets, the log group, the StorageClass volumes and, "
        "with nodeVolumeKey `platform`, the nodes' root volumes."
    )
    protect: bool = Field(default=False, description="Keep Pulumi from deleting the cluster (prod).")
    storage_class_name: str = Field(
        default="gp3-encrypted", description="The default StorageClass the component creates."
    )
    tags: Mapping[str, str] = Field(default_factory=dict, description="The stack's tags.")

    @property
    def node_volume_kms_key_arn(self) -> Input[str] | None:
        """None encrypts root volumes with the account's aws/ebs key."""
        return self.kms_key_arn if self.settings.node_volume_key == "platform" else None


class EksCluster(pulumi.ComponentResource):
    """An EKS cluster with managed node groups, IRSA, pinned managed add-ons and a default gp3 class."""

    cluster_name: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    certificate_authority: pulumi.Output[str]
    oidc_provider_arn: pulumi.Output[str]
    oidc_issuer: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]
    cluster_security_group_id: pulumi.Output[str]
    node_role_arn: pulumi.Output[str]
    storage_class_name: str
    kubernetes_version: str  # the minor version the add-ons must match
    k8s_provider: k8s.Provider

    def __init__(self, name: str, args: EksClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("groundwork:cluster:EksCluster", name, None, opts)
        self._name, self._args = name, args
        self._tags = component_tags(args.tags, name)
        versions = ADDON_VERSIONS[args.settings.kubernetes_version]

        cluster = self._control_plane()
        oidc_arn, oidc_issuer = self._identity_provider(cluster)
        access = self._access_entries(name, args, cluster, self._tags)
        cni_role, ebs_role = self._addon_roles(oidc_arn, oidc_issuer)
        # Networking first: nodes only become Ready once the CNI and kube-proxy run on them. The CNI
        # also enforces NetworkPolicy, which the namespace baseline's default-deny relies on.
        vpc_cni = self._addon(
            cluster,
            "vpc-cni",
            versions.vpc_cni,
            service_account_role_arn=cni_role.arn,
            configuration_values=json.dumps({"enableNetworkPolicy": "true"}),
        )
        kube_proxy = self._addon(cluster, "kube-proxy", versions.kube_proxy)
        node_role, node_groups = self._nodes(cluster, after=[vpc_cni, kube_proxy])
        coredns = self._addon(cluster, "coredns", versions.coredns, after=node_groups)
        ebs_csi = self._addon(
            cluster,
            "aws-ebs-csi-driver",
            versions.ebs_csi_driver,
            after=node_groups,
            service_account_role_arn=ebs_role.arn,
        )
        ca_data = cluster.certificate_authority.apply(
            lambda ca: ca["data"] if isinstance(ca, dict) else ca.data
        )
        kubeconfig = pulumi.Output.secret(
            pulumi.Output.all(cluster.name, cluster.endpoint, ca_data).apply(
                lambda parts: kubeconfig_for(parts[0], parts[1], parts[2], args.region)
            )
        )
        # Every Kubernetes resource that uses this provider waits for nodes, networking, DNS and the
        # access entries, so the first `pulumi up` never talks to a cluster that cannot answer yet.
        self.k8s_provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=kubeconfig,
            enable_server_side_apply=True,
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[*node_groups, vpc_cni, kube_proxy, coredns, *access]
            ),
        )
        self._storage_class(after=ebs_csi)

        self.cluster_name = cluster.name
        self.endpoint = cluster.endpoint
        self.certificate_authority = ca_data
        self.oidc_provider_arn = oidc_arn
        self.oidc_issuer = oidc_issuer
        self.kubeconfig = kubeconfig
        self.cluster_security_group_id = cluster.vpc_config.apply(
            lambda vpc: (
                vpc["cluster_security_group_id"] if isinstance(vpc, dict) else vpc.cluster_security_group_id
            )
        )
        self.node_role_arn = node_role.arn
        self.storage_class_name = args.storage_class_name
        self.kubernetes_version = args.settings.kubernetes_version
        self.register_outputs(
            {
                "cluster_name": self.cluster_name,
                "endpoint": self.endpoint,
                "certificate_authority": self.certificate_authority,
                "oidc_provider_arn": self.oidc_provider_arn,
                "oidc_issuer": self.oidc_issuer,
                "kubeconfig": self.kubeconfig,
                "cluster_security_group_id": self.cluster_security_group_id,
                "node_role_arn": self.node_role_arn,
                "storage_class_name": self.storage_class_name,
                "kubernetes_version": self.kubernetes_version,
            }
        )

    def _control_plane(self) -> aws.eks.Cluster:
        """The cluster in the private subnets with its own encrypted log group and IAM role."""
        name, args, spec, tags = self._name, self._args, self._args.settings, self._tags
        child = pulumi.ResourceOptions(parent=self)
        # EKS would create this group itself, without encryption and with logs kept forever.
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-control-plane-logs",
            name=f"/aws/eks/{args.cluster_name}/cluster",
            retention_in_days=spec.log_retention_days,
            kms_key_id=args.kms_key_arn,
            tags=tags,
            deletion_protection_enabled=True if args.protect else None,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        # EKS documents both keys in the cluster role's trust (user guide, "Cross-service confused
        # deputy prevention in Amazon EKS"): this account, and this one cluster.
        cluster_role = service_role(
            f"{name}-cluster-role",
            service="eks.amazonaws.com",
            parent=self,
            tags=tags,
            description=f"EKS control plane of {args.cluster_name}",
            actions=TRUST_ACTIONS,
            source_arn=lambda account, partition: (
                f"arn:{partition}:eks:{args.region}:{account}:cluster/{args.cluster_name}"
            ),
        )
        role_attachments: list[pulumi.Resource] = [
            aws.iam.RolePolicyAttachment(
                f"{name}-cluster-role-{i}", role=cluster_role.name, policy_arn=arn, opts=child
            )
            for i, arn in enumerate(CLUSTER_ROLE_POLICIES)
        ]
        # Secrets envelope encryption: the control plane uses the platform key through this role.
        role_attachments.append(
            aws.iam.RolePolicy(
                f"{name}-cluster-role-kms",
                role=cluster_role.id,
                policy=pulumi.Output.from_input(args.kms_key_arn).apply(
                    lambda arn: json.dumps(cluster_kms_policy(arn))
                ),
                opts=child,
            )
        )
        public = bool(spec.endpoint_public_access_cidrs)
        return aws.eks.Cluster(
            f"{name}-eks",
            name=args.cluster_name,
            version=spec.kubernetes_version,
            role_arn=cluster_role.arn,
            vpc_config=aws.eks.ClusterVpcConfigArgs(
                subnet_ids=args.private_subnet_ids,
                endpoint_private_access=True,
                endpoint_public_access=public,
                public_access_cidrs=list(spec.endpoint_public_access_cidrs) if public else None,
            ),
            encryption_config=aws.eks.ClusterEncryptionConfigArgs(
                provider=aws.eks.ClusterEncryptionConfigProviderArgs(key_arn=args.kms_key_arn),
                resources=["secrets"],
            ),
            enabled_cluster_log_types=list(LOG_TYPES),
            access_config=aws.eks.ClusterAccessConfigArgs(
                authentication_mode="API", bootstrap_cluster_creator_admin_permissions=False
            ),
            upgrade_policy=aws.eks.ClusterUpgradePolicyArgs(support_type=spec.support_type),
            deletion_protection=spec.deletion_protection,
            # The four add-ons below are managed by EKS at pinned versions, not self-managed copies.
            bootstrap_self_managed_addons=False,
            tags=tags,
            opts=pulumi.ResourceOptions(
                parent=self, protect=args.protect, depends_on=[log_group, *role_attachments]
            ),
        )

    def _identity_provider(self, cluster: aws.eks.Cluster) -> tuple[pulumi.Output[str], pulumi.Output[str]]:
        """The cluster's IAM OIDC provider (for IRSA): its ARN and its issuer without https://."""
        issuer_url = cluster.identities.apply(
            lambda ids: ids[0]["oidcs"][0]["issuer"] if isinstance(ids[0], dict) else ids[0].oidcs[0].issuer
        )
        oidc = aws.iam.OpenIdConnectProvider(
            f"{self._name}-oidc",
            url=issuer_url,
            client_id_lists=["sts.amazonaws.com"],
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        return oidc.arn, issuer_url.apply(lambda url: url.removeprefix("https://"))

    def _addon_roles(
        self, oidc_arn: pulumi.Output[str], oidc_issuer: pulumi.Output[str]
    ) -> tuple[aws.iam.Role, aws.iam.Role]:
        """IRSA roles of the VPC CNI and the EBS CSI driver (the node role needs neither policy)."""

        def irsa(
            role_name: str,
            service_account: str,
            policies: Sequence[str],
            policy: pulumi.Input[dict] | None = None,
        ) -> aws.iam.Role:
            return irsa_role(
                f"{self._name}-{role_name}-irsa",
                parent=self,
                oidc_provider_arn=oidc_arn,
                oidc_issuer=oidc_issuer,
                namespace="kube-system",
                service_account=service_account,
                tags=self._tags,
                managed_policy_arns=policies,
                policy=policy,
            )

        cni_role = irsa("vpc-cni", "aws-node", [f"{_MANAGED}AmazonEKS_CNI_Policy"])
        ebs_role = irsa(
            "ebs-csi",
            "ebs-csi-controller-sa",
            [f"{_MANAGED}service-role/AmazonEBSCSIDriverPolicy"],
            policy=pulumi.Output.from_input(self._args.kms_key_arn).apply(ebs_kms_policy),
        )
        return cni_role, ebs_role

    def _addon(
        self,
        cluster: aws.eks.Cluster,
        addon_name: str,
        version: str,
        after: Sequence[pulumi.Resource] = (),
        **extra,
    ) -> aws.eks.Addon:
        """An EKS managed add-on at its pinned version; EKS's values win over manual edits."""
        return aws.eks.Addon(
            f"{self._name}-{addon_name}",
            cluster_name=cluster.name,
            addon_name=addon_name,
            addon_version=version,
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="OVERWRITE",
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(after)),
            **extra,
        )

    def _nodes(
        self, cluster: aws.eks.Cluster, after: Sequence[pulumi.Resource]
    ) -> tuple[aws.iam.Role, list[aws.eks.NodeGroup]]:
        """The node role and one managed node group per configured group, after the networking add-ons."""
        name, args, tags = self._name, self._args, self._tags
        node_role = service_role(
            f"{name}-node-role",
            service="ec2.amazonaws.com",
            parent=self,
            tags=tags,
            description=f"EC2 nodes of {args.cluster_name}",
            actions=TRUST_ACTIONS,
            unconditioned_because="EC2 sends no aws:SourceAccount when an instance profile's role is "
            "assumed; the managed node groups' iam:PassRole is what limits who can use it",
        )
        node_attachments = [
            aws.iam.RolePolicyAttachment(
                f"{name}-node-role-{i}",
                role=node_role.name,
                policy_arn=arn,
                opts=pulumi.ResourceOptions(parent=self),
            )
            for i, arn in enumerate(NODE_ROLE_POLICIES)
        ]
        node_groups = [
            self._node_group(
                name, group, ng, args, cluster, node_role, tags, after=[*after, *node_attachments]
            )
            for group, ng in args.settings.node_groups.items()
        ]
        return node_role, node_groups

    def _storage_class(self, after: pulumi.Resource) -> None:
        """The default StorageClass: gp3, encrypted with the platform key, bound where the pod lands."""
        args = self._args
        k8s.storage.v1.StorageClass(
            f"{self._name}-gp3",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=args.storage_class_name,
                annotations={"storageclass.kubernetes.io/is-default-class": "true"},
            ),
            provisioner="ebs.csi.aws.com",
            parameters=pulumi.Output.from_input(args.kms_key_arn).apply(
                lambda arn: {
                    "type": "gp3",
                    "encrypted": "true",
                    "kmsKeyId": arn,
                    "csi.storage.k8s.io/fstype": "ext4",
                }
            ),
            reclaim_policy=args.settings.storage_reclaim_policy,
            volume_binding_mode="WaitForFirstConsumer",
            allow_volume_expansion=True,
            opts=pulumi.ResourceOptions(parent=self, provider=self.k8s_provider, depends_on=[after]),
        )

    def _access_entries(
        self, name: str, args: EksClusterArgs, cluster: aws.eks.Cluster, tags: Mapping[str, str]
    ) -> list[pulumi.Resource]:
        """Cluster-admin for the configured roles (and the deployer), each an auditable access entry."""
        principals: list[tuple[str, pulumi.Input[str]]] = [
            (f"admin-{hashlib.sha256(arn.encode()).hexdigest()[:8]}", arn)
            for arn in args.settings.admin_role_arns
        ]
        if args.settings.grant_deployer_admin:
            invoke = pulumi.InvokeOutputOptions(parent=self)
            caller = aws.get_caller_identity_output(opts=invoke)
            # An assumed-role session ARN is not a valid principal; its issuing role is.
            session = aws.iam.get_session_context_output(arn=caller.arn, opts=invoke)
            principals.append(("deployer", session.issuer_arn))
        created: list[pulumi.Resource] = []
        for suffix, principal in principals:
            entry = aws.eks.AccessEntry(
                f"{name}-{suffix}",
                cluster_name=cluster.name,
                principal_arn=principal,
                type="STANDARD",
                tags=tags,
                opts=pulumi.ResourceOptions(parent=self),
            )
            created.append(
                aws.eks.AccessPolicyAssociation(
                    f"{name}-{suffix}-admin",
                    cluster_name=cluster.name,
                    principal_arn=entry.principal_arn,
                    policy_arn=CLUSTER_ADMIN_POLICY,
                    access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
                    opts=pulumi.ResourceOptions(parent=self),
                )
            )
        return created

    def _node_group(
        self,
        name: str,
        group: str,
        ng: NodeGroupSettings,
        args: EksClusterArgs,
        cluster: aws.eks.Cluster,
        node_role: aws.iam.Role,
        tags: Mapping[str, str],
        after: Sequence[pulumi.Resource],
    ) -> aws.eks.NodeGroup:
        child = pulumi.ResourceOptions(parent=self)
        node_tags = {**tags, "Name": f"{args.cluster_name}-{group}"}
        template = aws.ec2.LaunchTemplate(
            f"{name}-{group}-lt",
            description=f"Nodes of {args.cluster_name}/{group}: IMDSv2 only, encrypted gp3 root volume",
            update_default_version=True,
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled",
                http_tokens="required",
                http_put_response_hop_limit=args.settings.node_imds_hop_limit,
                instance_metadata_tags="disabled",
            ),
            block_device_mappings=[
                aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                    device_name="/dev/xvda",
                    ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                        volume_size=ng.disk_size_gib,
                        volume_type="gp3",
                        encrypted="true",
                        kms_key_id=args.node_volume_kms_key_arn,
                        delete_on_termination="true",
                    ),
                )
            ],
            tag_specifications=[
                aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type=kind, tags=node_tags)
                for kind in ("instance", "volume", "network-interface")
            ],
            tags=tags,
            opts=child,
        )
        return aws.eks.NodeGroup(
            f"{name}-{group}",
            cluster_name=cluster.name,
            node_role_arn=node_role.arn,
            subnet_ids=args.private_subnet_ids,
            version=cluster.version,
            ami_type="AL2023_x86_64_STANDARD",
            capacity_type=ng.capacity_type,
            instance_types=list(ng.instance_types),
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                min_size=ng.min_size, max_size=ng.max_size, desired_size=ng.desired_size
            ),
            update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable_percentage=33),
            launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                id=template.id, version=template.latest_version.apply(str)
            ),
            labels={"groundwork.dev/node-group": group, **ng.labels},
            tags=node_tags,
            # The cluster autoscaler owns the live size; a later `pulumi up` must not undo its work.
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=list(after), ignore_changes=["scalingConfig.desiredSize"]
            ),
        )
