"""Kafka for the apps: Amazon MSK on AWS, KRaft brokers in the cluster for `local`, same outputs."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Literal

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pulumi_random as random
from pydantic import Field, field_validator, model_validator

from components._lib.args import SettingError
from components._lib.fields import MskBrokerType
from components.datastore import (
    DataService,
    DataServiceArgs,
    DataServiceSettings,
    InClusterWorkload,
    ManagedNetworkArgs,
    client_only_security_group,
    connection_secret,
    data_statefulset,
    datastore_tags,
    in_cluster_service_access,
    log_group,
    managed_service_egress,
    peer_traffic,
    workload_labels,
)
from components.kafka_kraft import CONTROLLER_PORT, LOCAL_PORT, kraft_containers, replication_settings
from components.tagging import component_tags

# 4.1.x is the newest Kafka MSK offers on Standard brokers (MSK supported-versions page and
# endoflife.date/amazon-msk, read 2026-11-25); Kafka 4 runs only in KRaft mode, hence `.kraft`.
MSK_KAFKA_VERSION = "4.1.x.kraft"
# The Apache Kafka project's image, same line as MSK (kafka.apache.org/41 docker docs: 4.1.1).
KAFKA_IMAGE = "docker.io/apache/kafka:4.1.1"
KAFKA_UID = 1000  # `appuser` in apache/kafka
# Client ports MSK opens per authentication mechanism (TLS listeners only).
CLIENT_PORTS = {"scram": 9096, "iam": 9098}
PROMETHEUS_PORTS = (11001, 11002)  # JMX exporter, node exporter
# The connection Secret's keys, the same on both backends (components.datastore.connection_secret):
# a key a backend has no value for is empty (no SASL in the cluster, no SCRAM user with IAM only).
CONNECTION_KEYS = (
    "bootstrapServers",
    "bootstrapServersIam",
    "port",
    "securityProtocol",
    "saslMechanism",
    "username",
    "password",
    "tls",
)
_TargetTracking = aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationArgs
_PredefinedMetric = (
    aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs
)


def server_properties(broker_count: int) -> str:
    """The broker settings of the MSK configuration: no topics by accident, durable defaults."""
    rep = replication_settings(broker_count)
    lines = {
        "auto.create.topics.enable": "false",
        "default.replication.factor": rep["replication_factor"],
        "min.insync.replicas": rep["min_insync_replicas"],
        "offsets.topic.replication.factor": rep["replication_factor"],
        "transaction.state.log.replication.factor": rep["replication_factor"],
        "transaction.state.log.min.isr": rep["min_insync_replicas"],
        "unclean.leader.election.enable": "false",
        "num.partitions": 3,
    }
    return "\n".join(f"{key}={value}" for key, value in lines.items()) + "\n"


_KAFKA_VERSION = re.compile(r"^(?P<major>\d+)\.\d+\.(x|\d+)(\.kraft)?$")


class KafkaSettings(DataServiceSettings):
    """The keys of `groundwork:kafka`. Defaults are prod's shape (3 brokers across 3 AZs). On the
    in-cluster backend only inClusterNodes and inClusterVolumeGb apply."""

    kafka_version: str = Field(
        default=MSK_KAFKA_VERSION,
        description="The MSK Kafka version, pinned; Kafka 4 runs only in KRaft mode (`.kraft`).",
    )
    broker_count: int = Field(
        default=3,
        ge=1,
        le=30,
        description="Brokers; a multiple of the AZ count, since MSK spreads them evenly over the subnets.",
    )
    instance_type: MskBrokerType = Field(default="kafka.m7g.large", description="The size of every broker.")
    volume_size_gb: int = Field(default=500, ge=1, le=16384, description="Each broker's volume at creation.")
    max_volume_size_gb: int = Field(
        default=2000,
        ge=1,
        le=16384,
        description="Storage autoscaling grows the volumes up to this when the disks pass 60% (never down).",
    )
    # IAM by default: no static credential to store or rotate. "scram" adds a username/password in
    # Secrets Manager for clients that cannot sign IAM requests (it needs a rotation of its own).
    client_authentication: list[Literal["iam", "scram"]] = Field(
        default_factory=lambda: ["iam"],
        min_length=1,
        description="SASL/IAM (no secrets; apps use their IAM role) and/or SASL/SCRAM (a username and "
        "password in Secrets Manager, encrypted with the stack's key). Unauthenticated access is off.",
    )
    enhanced_monitoring: Literal[
        "DEFAULT", "PER_BROKER", "PER_TOPIC_PER_BROKER", "PER_TOPIC_PER_PARTITION"
    ] = Field(default="PER_TOPIC_PER_BROKER", description="The CloudWatch metric level.")
    in_cluster_nodes: Literal[1, 3] = Field(
        default=1, description="In-cluster KRaft nodes (each broker and controller); local stack."
    )
    in_cluster_volume_gb: int = Field(default=5, ge=1, description="Each in-cluster node's volume (local).")

    @field_validator("kafka_version")
    @classmethod
    def _version(cls, value: str) -> str:
        if not _KAFKA_VERSION.match(value):
            raise ValueError("an MSK Kafka version such as 4.1.x.kraft or 3.9.x")
        return value

    @field_validator("client_authentication")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("list each mechanism once")
        return value

    @model_validator(mode="after")
    def _sizes(self) -> KafkaSettings:
        if self.max_volume_size_gb < self.volume_size_gb:
            raise SettingError(
                "maxVolumeSizeGb",
                self.max_volume_size_gb,
                f"must be at least volumeSizeGb ({self.volume_size_gb})",
            )
        if self.instance_type == "kafka.t3.small" and self.major_version >= 4:
            raise SettingError(
                "instanceType",
                self.instance_type,
                f"MSK does not offer kafka.t3.small for Kafka {self.kafka_version}; use kafka.m7g.large, "
                "or kafkaVersion 3.9.x for a small dev cluster",
            )
        return self

    @property
    def major_version(self) -> int:
        match = _KAFKA_VERSION.match(self.kafka_version)
        return int(match["major"]) if match else 0


class KafkaArgs(DataServiceArgs):
    """One Kafka cluster for the apps: the settings plus the data-service wiring."""

    settings: KafkaSettings = Field(default_factory=KafkaSettings, description="The cluster's shape.")
    scram_username: str = Field(default="app", description="The SCRAM user apps connect as (with scram).")
    recovery: str = Field(
        default="replay-from-source",
        description="How topics come back if the whole cluster is lost, recorded as the cluster's "
        "`recovery` tag for reviewers and the policy pack. AWS Backup does not support MSK; replication "
        "(factor 3, min.insync 2 across AZs) covers broker and AZ loss, and beyond that the producers' "
        "sources of truth replay. Set `replicator` when an MSK Replicator to a second cluster exists.",
    )
    workload: InClusterWorkload = Field(
        default_factory=lambda: InClusterWorkload(
            image=KAFKA_IMAGE, cpu_request="200m", memory_request="768Mi", memory_limit="1Gi"
        ),
        description="The in-cluster brokers' container.",
    )


class Kafka(DataService):
    """Kafka behind the data-service contract; `endpoint` is the bootstrap broker list."""

    # MSK's SASL/IAM brokers when IAM is enabled (apps authenticate with their own roles there).
    iam_bootstrap_servers: pulumi.Output[str] | None

    def __init__(self, name: str, args: KafkaArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("groundwork:kafka:Kafka", name, args, opts)
        self.iam_bootstrap_servers = None
        if args.network is not None:
            self._managed(name, args, args.network)
        else:
            self._in_cluster(name, args)
        self.register_outputs(
            {
                "endpoint": self.endpoint,
                "port": self.port,
                "connection_secret_name": self.connection_secret_name,
                "iam_bootstrap_servers": self.iam_bootstrap_servers,
                "arn": self.arn,
                "resource_id": self.resource_id,
                "security_group_id": self.security_group_id,
            }
        )

    def _managed(self, name: str, args: KafkaArgs, network: ManagedNetworkArgs) -> None:
        msk = args.settings
        tags = component_tags(args.tags, name)
        auth = list(dict.fromkeys(msk.client_authentication))
        ports = [
            (CLIENT_PORTS[mechanism], CLIENT_PORTS[mechanism], f"Kafka SASL/{mechanism.upper()} over TLS")
            for mechanism in auth
        ]
        ports.append((PROMETHEUS_PORTS[0], PROMETHEUS_PORTS[1], "Prometheus JMX and node exporters"))
        group = client_only_security_group(
            name,
            network=network,
            ports=ports,
            description=f"{name}: Kafka from the cluster's nodes only",
            tags=tags,
            parent=self,
        )
        managed_service_egress(
            name,
            namespace=args.namespace,
            network=network,
            ports=[CLIENT_PORTS[mechanism] for mechanism in auth],
            purpose="the MSK brokers (SASL over TLS)",
            parent=self,
        )
        cluster = self._msk_cluster(name, args, network, group, auth, tags)
        self._storage_autoscaling(name, cluster, msk, tags)

        values = self._connection_values(name, args, network, cluster, auth, tags)
        secret = connection_secret(
            name, namespace=args.namespace, values=values, keys=CONNECTION_KEYS, parent=self
        )
        primary = "scram" if "scram" in auth else "iam"
        self.endpoint = (
            cluster.bootstrap_brokers_sasl_scram if primary == "scram" else cluster.bootstrap_brokers_sasl_iam
        )
        self.port = pulumi.Output.from_input(CLIENT_PORTS[primary])
        if "iam" in auth:
            self.iam_bootstrap_servers = cluster.bootstrap_brokers_sasl_iam
        self.connection_secret_name = secret.metadata.name
        self.arn = cluster.arn
        self.resource_id = cluster.cluster_name
        self.security_group_id = group.id

    def _msk_cluster(
        self,
        name: str,
        args: KafkaArgs,
        network: ManagedNetworkArgs,
        group: aws.ec2.SecurityGroup,
        auth: list[str],
        tags: Mapping[str, str],
    ) -> aws.msk.Cluster:
        """The brokers: private, TLS everywhere, authenticated clients only, encrypted with the stack's
        key, durable topic defaults, both Prometheus exporters and broker logs to an encrypted group."""
        msk = args.settings
        configuration, broker_logs = self._configuration(name, msk, network, tags, protect=args.protect)
        return aws.msk.Cluster(
            f"{name}-cluster",
            cluster_name=name,
            kafka_version=msk.kafka_version,
            number_of_broker_nodes=msk.broker_count,
            broker_node_group_info=aws.msk.ClusterBrokerNodeGroupInfoArgs(
                instance_type=msk.instance_type,
                client_subnets=network.subnet_ids,
                security_groups=[group.id],
                storage_info=aws.msk.ClusterBrokerNodeGroupInfoStorageInfoArgs(
                    ebs_storage_info=aws.msk.ClusterBrokerNodeGroupInfoStorageInfoEbsStorageInfoArgs(
                        volume_size=msk.volume_size_gb
                    )
                ),
                connectivity_info=aws.msk.ClusterBrokerNodeGroupInfoConnectivityInfoArgs(
                    public_access=aws.msk.ClusterBrokerNodeGroupInfoConnectivityInfoPublicAccessArgs(
                        type="DISABLED"
                    )
                ),
            ),
            client_authentication=aws.msk.ClusterClientAuthenticationArgs(
                sasl=aws.msk.ClusterClientAuthenticationSaslArgs(iam="iam" in auth, scram="scram" in auth),
                unauthenticated=False,
            ),
            encryption_info=aws.msk.ClusterEncryptionInfoArgs(
                encryption_at_rest_kms_key_arn=network.kms_key_arn,
                encryption_in_transit=aws.msk.ClusterEncryptionInfoEncryptionInTransitArgs(
                    client_broker="TLS", in_cluster=True
                ),
            ),
            configuration_info=aws.msk.ClusterConfigurationInfoArgs(
                arn=configuration.arn, revision=configuration.latest_revision
            ),
            enhanced_monitoring=msk.enhanced_monitoring,
            open_monitoring=aws.msk.ClusterOpenMonitoringArgs(
                prometheus=aws.msk.ClusterOpenMonitoringPrometheusArgs(
                    jmx_exporter=aws.msk.ClusterOpenMonitoringPrometheusJmxExporterArgs(
                        enabled_in_broker=True
                    ),
                    node_exporter=aws.msk.ClusterOpenMonitoringPrometheusNodeExporterArgs(
                        enabled_in_broker=True
                    ),
                )
            ),
            logging_info=aws.msk.ClusterLoggingInfoArgs(
                broker_logs=aws.msk.ClusterLoggingInfoBrokerLogsArgs(
                    cloudwatch_logs=aws.msk.ClusterLoggingInfoBrokerLogsCloudwatchLogsArgs(
                        enabled=True, log_group=broker_logs.name
                    )
                )
            ),
            tags={**datastore_tags(args.tags, name, args.protect), "recovery": args.recovery},
            # Storage autoscaling grows the volumes; without this, the next `pulumi up` would try
            # to shrink them back to volume_size_gb (which MSK refuses).
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=args.protect,
                ignore_changes=["brokerNodeGroupInfo.storageInfo.ebsStorageInfo.volumeSize"],
            ),
        )

    def _configuration(
        self,
        name: str,
        msk: KafkaSettings,
        network: ManagedNetworkArgs,
        tags: Mapping[str, str],
        protect: bool = False,
    ) -> tuple[aws.msk.Configuration, aws.cloudwatch.LogGroup]:
        """The broker settings (no auto-created topics, durable replication) and the broker log group."""
        child = pulumi.ResourceOptions(parent=self)
        configuration = aws.msk.Configuration(
            f"{name}-config",
            name=name,
            kafka_versions=[msk.kafka_version],
            description=f"{name}: no auto-created topics, replication factor and min ISR for durability",
            server_properties=server_properties(msk.broker_count),
            opts=child,
        )
        broker_logs = log_group(
            f"{name}-log-brokers",
            log_group_name=f"/aws/msk/{name}/brokers",
            retention_days=msk.log_retention_days,
            kms_key_arn=network.kms_key_arn,
            tags=tags,
            parent=self,
            protect=protect,
        )
        return configuration, broker_logs

    def _connection_values(
        self,
        name: str,
        args: KafkaArgs,
        network: ManagedNetworkArgs,
        cluster: aws.msk.Cluster,
        auth: list[str],
        tags: Mapping[str, str],
    ) -> dict[str, pulumi.Input[str]]:
        """What apps read from the connection Secret: the bootstrap brokers of each mechanism, and the
        SCRAM credentials when SCRAM is on (the password only as a Pulumi secret)."""
        values: dict[str, pulumi.Input[str]] = {
            "tls": "true",
            "securityProtocol": "SASL_SSL",
            "username": "",
            "password": "",
            "bootstrapServersIam": "",
        }
        if "scram" in auth:
            password = self._scram_secret(name, args, network, cluster, tags)
            values.update(
                {
                    "bootstrapServers": cluster.bootstrap_brokers_sasl_scram,
                    "port": str(CLIENT_PORTS["scram"]),
                    "saslMechanism": "SCRAM-SHA-512",
                    "username": args.scram_username,
                    "password": password,
                }
            )
        if "iam" in auth:
            values["bootstrapServersIam"] = cluster.bootstrap_brokers_sasl_iam
            if "scram" not in auth:
                values.update(
                    {
                        "bootstrapServers": cluster.bootstrap_brokers_sasl_iam,
                        "port": str(CLIENT_PORTS["iam"]),
                        "saslMechanism": "AWS_MSK_IAM",
                    }
                )
        return values

    def _storage_autoscaling(
        self, name: str, cluster: aws.msk.Cluster, msk: KafkaSettings, tags: Mapping[str, str]
    ) -> None:
        target = aws.appautoscaling.Target(
            f"{name}-storage",
            service_namespace="kafka",
            scalable_dimension="kafka:broker-storage:VolumeSize",
            resource_id=cluster.arn,
            min_capacity=1,
            max_capacity=msk.max_volume_size_gb,
            tags=dict(tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.appautoscaling.Policy(
            f"{name}-storage",
            name=f"{name}-broker-storage",
            policy_type="TargetTrackingScaling",
            service_namespace=target.service_namespace,
            scalable_dimension=target.scalable_dimension,
            resource_id=target.resource_id,
            target_tracking_scaling_policy_configuration=_TargetTracking(
                predefined_metric_specification=_PredefinedMetric(
                    predefined_metric_type="KafkaBrokerStorageUtilization"
                ),
                target_value=60,
                disable_scale_in=True,
            ),
            opts=pulumi.ResourceOptions(parent=target),
        )

    def _scram_secret(
        self,
        name: str,
        args: KafkaArgs,
        network: ManagedNetworkArgs,
        cluster: aws.msk.Cluster,
        tags: Mapping[str, str],
    ) -> pulumi.Output[str]:
        """The SCRAM credentials: MSK reads them from a Secrets Manager secret whose name starts
        with `AmazonMSK_` and that is encrypted with a customer-managed key."""
        password = random.RandomPassword(
            f"{name}-scram-password", length=32, special=False, opts=pulumi.ResourceOptions(parent=self)
        )
        secret = aws.secretsmanager.Secret(
            f"{name}-scram",
            name=f"AmazonMSK_{name}-{args.scram_username}",
            description=f"{name}: SASL/SCRAM credentials of the Kafka user {args.scram_username}",
            kms_key_id=network.kms_key_arn,
            recovery_window_in_days=30,
            tags=dict(tags),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        version = aws.secretsmanager.SecretVersion(
            f"{name}-scram-value",
            secret_id=secret.id,
            secret_string=pulumi.Output.secret(
                password.result.apply(
                    lambda value: json.dumps({"username": args.scram_username, "password": value})
                )
            ),
            opts=pulumi.ResourceOptions(parent=secret),
        )
        aws.msk.ScramSecretAssociation(
            f"{name}-scram-association",
            cluster_arn=cluster.arn,
            secret_arn_lists=[secret.arn],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[version]),
        )
        return password.result

    def _in_cluster(self, name: str, args: KafkaArgs) -> None:
        nodes = args.settings.in_cluster_nodes
        assert args.storage_class_name is not None  # DataServiceArgs: no network means in-cluster
        labels = workload_labels(name, "kafka")
        service_host = f"{name}.{args.namespace}.svc.cluster.local"
        voters = ",".join(f"{i}@{name}-{i}.{service_host}:{CONTROLLER_PORT}" for i in range(nodes))
        bootstrap = ",".join(f"{name}-{i}.{service_host}:{LOCAL_PORT}" for i in range(nodes))
        secret = connection_secret(
            name,
            namespace=args.namespace,
            values={
                "bootstrapServers": bootstrap,
                "bootstrapServersIam": "",
                "port": str(LOCAL_PORT),
                "securityProtocol": "PLAINTEXT",
                "saslMechanism": "",
                "username": "",
                "password": "",
                "tls": "false",
            },
            keys=CONNECTION_KEYS,
            parent=self,
        )
        service = k8s.core.v1.Service(
            f"{name}-service",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=name, namespace=args.namespace, labels=labels),
            spec=k8s.core.v1.ServiceSpecArgs(
                cluster_ip="None",
                selector=labels,
                publish_not_ready_addresses=True,
                ports=[
                    k8s.core.v1.ServicePortArgs(name="kafka", port=LOCAL_PORT, target_port="kafka"),
                    k8s.core.v1.ServicePortArgs(
                        name="controller", port=CONTROLLER_PORT, target_port="controller"
                    ),
                ],
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        container, seed_config = kraft_containers(name, args.workload, nodes, service_host, voters)
        data_statefulset(
            name,
            namespace=args.namespace,
            labels=labels,
            service=service,
            uid=KAFKA_UID,
            containers=[container],
            init_containers=[seed_config],
            scratch_volumes=("config", "logs", "tmp"),
            storage_class_name=args.storage_class_name,
            volume_size_gb=args.settings.in_cluster_volume_gb,
            replicas=nodes,
            pod_management_policy="Parallel",  # the controller quorum needs its peers up to start
            parent=self,
            datastore="kafka",
        )
        in_cluster_service_access(
            name,
            namespace=args.namespace,
            pod_labels=labels,
            ports=[LOCAL_PORT],
            purpose="the Kafka brokers",
            parent=self,
        )
        peer_traffic(
            name,
            namespace=args.namespace,
            pod_labels=labels,
            ports=[LOCAL_PORT, CONTROLLER_PORT],
            purpose="KRaft nodes replicate (broker port) and elect and follow the controller quorum "
            "(controller port) among themselves",
            parent=self,
        )
        self.endpoint = pulumi.Output.from_input(bootstrap)
        self.port = pulumi.Output.from_input(LOCAL_PORT)
        self.connection_secret_name = secret.metadata.name
