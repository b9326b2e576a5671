"""What the three data services share: the args base (backend, namespace, protection), the network
args of the managed backend, the client-only security group, the connection Secret apps read, tags
for backups, the restricted pod shape of the in-cluster backend, the NetworkPolicies that let the
app namespace reach them, and the DataService base class that holds their common contract."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
from pydantic import Field, model_validator

from components._lib.args import ComponentArgs, Input, SettingError
from components._lib.fields import LogRetentionDays
from components.namespace import Allowance, Peer, Port, ip_range, network_policy, pods
from components.tagging import BACKUP_TAG, component_tags


class ManagedNetworkArgs(ComponentArgs):
    """Where a managed data service lives and who may reach it."""

    vpc_id: Input[str] = Field(description="The VPC of the stack.")
    subnet_ids: Input[Sequence[str]] = Field(
        description="The database subnets (no route to the internet, one per AZ)."
    )
    client_security_group_id: Input[str] = Field(
        description="The cluster's node security group; the only source admitted."
    )
    kms_key_arn: Input[str] = Field(
        description="The stack's customer-managed key for data, logs and secrets."
    )
    subnet_cidrs: Sequence[Input[str]] = Field(
        default=(),
        description="The database subnets' address ranges. Pods of the app namespace may connect to them "
        "on the service's ports and nowhere else; with none given, no egress is opened at all.",
    )


class DataServiceSettings(ComponentArgs):
    """What the three data services' settings share (each service adds its own)."""

    log_retention_days: LogRetentionDays = Field(
        default=365, description="How long the managed service's CloudWatch logs are kept."
    )


class InClusterWorkload(ComponentArgs):
    """The in-cluster backend's container: its image and its resources (the `local` stack)."""

    image: str = Field(description="The image, pinned to a version.")
    cpu_request: str = Field(description="CPU request of the container.")
    memory_request: str = Field(description="Memory request of the container.")
    memory_limit: str = Field(description="Memory limit of the container (no CPU limit: no throttling).")


class DataServiceArgs(ComponentArgs):
    """What every data service's args share: where it runs, which backend, protection and tags.

    The backend follows from what the wiring hands over: `network` (the stack's VPC) selects the
    managed one (RDS, ElastiCache, MSK), `storage_class_name` (the cluster's) the in-cluster one.
    Exactly one is set.
    """

    namespace: str = Field(
        description="Where the connection Secret (and the in-cluster workload) live: the app namespace."
    )
    network: ManagedNetworkArgs | None = Field(
        default=None, description="The managed backend's network; set on AWS stacks."
    )
    storage_class_name: str | None = Field(
        default=None, description="The in-cluster backend's StorageClass; set on the local stack."
    )
    protect: bool = Field(
        default=True,
        description="Pulumi refuses to delete the stateful resources, and the service's own deletion "
        "protection is on where it has one (RDS); the stack turns it off for disposable environments.",
    )
    tags: Mapping[str, str] = Field(default_factory=dict, description="The stack's tags.")

    @model_validator(mode="after")
    def _one_backend(self) -> DataServiceArgs:
        if (self.network is None) == (self.storage_class_name is None):
            raise SettingError(
                "network",
                "(both)" if self.network is not None else None,
                "set exactly one of `network` (managed backend) and `storage_class_name` (in-cluster)",
            )
        return self

    @property
    def managed(self) -> bool:
        return self.network is not None


def datastore_tags(base: Mapping[str, str], component: str, protect: bool) -> dict[str, str]:
    """Component tags plus `backup=true` (the backup plan's selector) and, when protected, `protect`."""
    key, value = BACKUP_TAG
    extra = {key: value}
    if protect:
        extra["protect"] = "true"
    return component_tags(base, component, **extra)


def client_only_security_group(
    name: str,
    *,
    network: ManagedNetworkArgs,
    ports: Sequence[tuple[int, int, str]],
    description: str,
    tags: Mapping[str, str],
    parent: pulumi.Resource,
) -> aws.ec2.SecurityGroup:
    """A security group that admits the given TCP ports from the cluster's nodes and nothing else.

    It has no egress rule: the provider removes the default allow-all egress on create, and a
    managed data service never opens connections of its own into the VPC.
    """
    group = aws.ec2.SecurityGroup(
        f"{name}-sg",
        vpc_id=network.vpc_id,
        description=description,
        tags={**tags, "Name": f"{name}-sg"},
        opts=pulumi.ResourceOptions(parent=parent),
    )
    for from_port, to_port, purpose in ports:
        suffix = str(from_port) if from_port == to_port else f"{from_port}-{to_port}"
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-from-cluster-{suffix}",
            security_group_id=group.id,
            referenced_security_group_id=network.client_security_group_id,
            ip_protocol="tcp",
            from_port=from_port,
            to_port=to_port,
            description=f"{purpose} from the cluster's nodes",
            tags=dict(tags),
            opts=pulumi.ResourceOptions(parent=group),
        )
    return group


def connection_secret(
    name: str,
    *,
    namespace: str,
    values: Mapping[str, pulumi.Input[str]],
    keys: Sequence[str],
    parent: pulumi.Resource,
) -> k8s.core.v1.Secret:
    """The Secret apps mount or envFrom: host, port, user, password or a reference to it, TLS flag.

    `keys` is the service's contract: both backends write exactly these keys (a key a backend has no
    value for is empty), so an app never notices which backend served it. The whole payload travels
    as a Pulumi secret, so it is encrypted in state and never printed.
    """
    if set(values) != set(keys):
        raise ValueError(
            f"{name}: the connection Secret must have exactly the keys {sorted(keys)}; got {sorted(values)}"
        )
    return k8s.core.v1.Secret(
        f"{name}-connection",
        metadata=k8s.meta.v1.ObjectMetaArgs(
            name=f"{name}-connection",
            namespace=namespace,
            labels={
                "app.kubernetes.io/name": name,
                "app.kubernetes.io/component": "connection",
                "app.kubernetes.io/managed-by": "pulumi",
            },
        ),
        type="Opaque",
        string_data=pulumi.Output.secret(pulumi.Output.from_input(dict(values))),
        opts=pulumi.ResourceOptions(parent=parent),
    )


def restricted_container_security_context() -> k8s.core.v1.SecurityContextArgs:
    """The Pod Security Standards 'restricted' profile, plus a read-only root filesystem."""
    return k8s.core.v1.SecurityContextArgs(
        run_as_non_root=True,
        allow_privilege_escalation=False,
        read_only_root_filesystem=True,
        privileged=False,
        capabilities=k8s.core.v1.CapabilitiesArgs(drop=["ALL"]),
        seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
    )


def restricted_pod_security_context(uid: int) -> k8s.core.v1.PodSecurityContextArgs:
    """Run as the image's own unprivileged user; the volume is group-owned by it on mount."""
    return k8s.core.v1.PodSecurityContextArgs(
        run_as_non_root=True,
        run_as_user=uid,
        run_as_group=uid,
        fs_group=uid,
        fs_group_change_policy="OnRootMismatch",
        seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
    )


def workload_labels(name: str, component: str) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": name,
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/part-of": "groundwork",
        "app.kubernetes.io/managed-by": "pulumi",
    }


def retain_claims() -> k8s.apps.v1.StatefulSetPersistentVolumeClaimRetentionPolicyArgs:
    """Keep the data volumes when the StatefulSet is deleted or scaled down: data outlives pods."""
    return k8s.apps.v1.StatefulSetPersistentVolumeClaimRetentionPolicyArgs(
        when_deleted="Retain", when_scaled="Retain"
    )


def volume_claim(name: str, storage_class_name: str, size_gb: int) -> k8s.core.v1.PersistentVolumeClaimArgs:
    """The StatefulSet's volumeClaimTemplate on the cluster's StorageClass."""
    return k8s.core.v1.PersistentVolumeClaimArgs(
        metadata=k8s.meta.v1.ObjectMetaArgs(name=name),
        spec=k8s.core.v1.PersistentVolumeClaimSpecArgs(
            access_modes=["ReadWriteOnce"],
            storage_class_name=storage_class_name,
            resources=k8s.core.v1.VolumeResourceRequirementsArgs(requests={"storage": f"{size_gb}Gi"}),
        ),
    )


def log_group(
    name: str,
    *,
    log_group_name: pulumi.Input[str],
    retention_days: int,
    kms_key_arn: pulumi.Input[str],
    tags: Mapping[str, str],
    parent: pulumi.Resource,
    protect: bool = False,
) -> aws.cloudwatch.LogGroup:
    """A KMS-encrypted CloudWatch log group with a finite retention."""
    return aws.cloudwatch.LogGroup(
        name,
        name=log_group_name,
        retention_in_days=retention_days,
        kms_key_id=kms_key_arn,
        tags=dict(tags),
        deletion_protection_enabled=True if protect else None,
        opts=pulumi.ResourceOptions(parent=parent, protect=protect),
    )


def managed_service_egress(
    name: str,
    *,
    namespace: str,
    network: ManagedNetworkArgs,
    ports: Sequence[int],
    purpose: str,
    parent: pulumi.Resource,
) -> k8s.networking.v1.NetworkPolicy | None:
    """Egress from every pod of the app namespace to the database subnets, on the service's ports only.

    NetworkPolicy cannot name an RDS or MSK endpoint, whose addresses change on failover, so the
    peer is the database subnets' ranges: nothing but data services lives there (the subnets have
    no route out), and the service's security group still admits only the cluster's nodes.
    """
    if not network.subnet_cidrs:
        return None
    return network_policy(
        f"{name}-allow-egress",
        namespace,
        Allowance(
            f"allow-egress-to-{name}",
            "egress",
            peers=[ip_range(cidr) for cidr in network.subnet_cidrs],
            ports=list(ports),
            reason=f"exporters and bootstrap jobs connect to {purpose} in the database subnets",
            except_apps=True,  # each App opens its own egress to the bindings it declares
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )


def in_cluster_service_access(
    name: str,
    *,
    namespace: str,
    pod_labels: Mapping[str, str],
    ports: Sequence[int],
    purpose: str,
    parent: pulumi.Resource,
) -> None:
    """The in-cluster backend's two policies: its pods admit the service's ports from pods of the
    same namespace only, and every pod of the namespace may connect to them there (both ends are
    default-deny, so a flow needs both)."""
    same_namespace: Peer = pods(labels={})
    network_policy(
        f"{name}-allow-ingress",
        namespace,
        Allowance(
            f"allow-same-namespace-to-{name}",
            "ingress",
            pod_labels=dict(pod_labels),
            peers=[same_namespace],
            ports=list(ports),
            reason=f"pods of {namespace} connect to {purpose}; no other namespace may",
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    network_policy(
        f"{name}-allow-egress",
        namespace,
        Allowance(
            f"allow-egress-to-{name}",
            "egress",
            peers=[pods(labels=pod_labels)],
            ports=list(ports),
            reason=f"pods of {namespace} connect to {purpose}",
            except_apps=True,  # each App opens its own egress to the bindings it declares
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )


def peer_traffic(
    name: str,
    *,
    namespace: str,
    pod_labels: Mapping[str, str],
    ports: Sequence[int | Port],
    purpose: str,
    parent: pulumi.Resource,
) -> None:
    """Traffic among the pods of one workload (both directions), e.g. a KRaft quorum."""
    for direction, resource in (("ingress", "allow-peers-in"), ("egress", "allow-peers-out")):
        network_policy(
            f"{name}-{resource}",
            namespace,
            Allowance(
                f"allow-{name}-peers" + ("-egress" if direction == "egress" else ""),
                direction,
                pod_labels=dict(pod_labels),
                peers=[pods(labels=pod_labels)],
                ports=list(ports),
                reason=purpose,
            ),
            opts=pulumi.ResourceOptions(parent=parent),
        )


class DataService(pulumi.ComponentResource):
    """The contract Postgres, Redis and Kafka keep whichever backend serves them: an endpoint, a
    port and a connection Secret in the app namespace; the managed backend adds the ARN, the
    service's own identifier (for alarms and backups) and its security group."""

    endpoint: pulumi.Output[str]
    port: pulumi.Output[int]
    connection_secret_name: pulumi.Output[str]
    arn: pulumi.Output[str] | None
    resource_id: pulumi.Output[str] | None
    security_group_id: pulumi.Output[str] | None

    def __init__(
        self, type_token: str, name: str, args: DataServiceArgs, opts: pulumi.ResourceOptions | None
    ):
        super().__init__(type_token, name, None, opts)
        self.arn = self.resource_id = self.security_group_id = None


def data_statefulset(
    name: str,
    *,
    namespace: str,
    labels: Mapping[str, str],
    service: k8s.core.v1.Service,
    uid: int,
    containers: Sequence[k8s.core.v1.ContainerArgs],
    scratch_volumes: Sequence[str],
    storage_class_name: str,
    volume_size_gb: int,
    parent: pulumi.Resource,
    replicas: int = 1,
    init_containers: Sequence[k8s.core.v1.ContainerArgs] = (),
    termination_grace_period_seconds: int | None = None,
    pod_management_policy: str | None = None,
    volumes: Sequence[k8s.core.v1.VolumeArgs] = (),
) -> k8s.apps.v1.StatefulSet:
    """The in-cluster backend's StatefulSet, one shape for all three services: restricted pods as
    `uid`, no service-account token and no service links, emptyDir for `scratch_volumes` (the root
    filesystem is read-only), `volumes` as given (a config Secret), and a `data` claim that outlives
    the StatefulSet."""
    return k8s.apps.v1.StatefulSet(
        f"{name}-statefulset",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=name, namespace=namespace, labels=dict(labels)),
        spec=k8s.apps.v1.StatefulSetSpecArgs(
            service_name=service.metadata.name,
            replicas=replicas,
            pod_management_policy=pod_management_policy,
            selector=k8s.meta.v1.LabelSelectorArgs(match_labels=dict(labels)),
            persistent_volume_claim_retention_policy=retain_claims(),
            template=k8s.core.v1.PodTemplateSpecArgs(
                metadata=k8s.meta.v1.ObjectMetaArgs(labels=dict(labels)),
                spec=k8s.core.v1.PodSpecArgs(
                    automount_service_account_token=False,
                    enable_service_links=False,
                    security_context=restricted_pod_security_context(uid),
                    termination_grace_period_seconds=termination_grace_period_seconds,
                    init_containers=list(init_containers) or None,
                    containers=list(containers),
                    volumes=[k8s.core.v1.VolumeArgs(name=v, empty_dir={}) for v in scratch_volumes]
                    + list(volumes),
                ),
            ),
            volume_claim_templates=[volume_claim("data", storage_class_name, volume_size_gb)],
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )
