"""The in-cluster Kafka's nodes (the `local` backend of components.kafka): the KRaft container, broker
and controller in one, with its settings, probes and mounts, and the init container that seeds its
config directory. No resources are created here; components.kafka puts these containers in its
StatefulSet.
"""

from __future__ import annotations

import base64
import uuid

import pulumi_kubernetes as k8s

from components.datastore import InClusterWorkload, restricted_container_security_context

LOCAL_PORT = 9092
CONTROLLER_PORT = 9093


def replication_settings(broker_count: int) -> dict[str, int]:
    """Replication factor 3 (or every broker when fewer) and min.insync.replicas 2 (one fewer
    than the factor when it is smaller), so a write survives losing one broker."""
    factor = min(3, broker_count)
    min_isr = max(1, min(2, factor - 1))
    return {"replication_factor": factor, "min_insync_replicas": min_isr}


def kraft_containers(
    name: str, local: InClusterWorkload, nodes: int, service_host: str, voters: str
) -> tuple[k8s.core.v1.ContainerArgs, k8s.core.v1.ContainerArgs]:
    """The KRaft node (broker and controller in one, its id from the pod's ordinal) and the init
    container that seeds its config directory (the root filesystem is read-only), for `nodes` nodes
    behind the headless Service `service_host`."""
    rep = replication_settings(nodes)
    settings = {
        "KAFKA_PROCESS_ROLES": "broker,controller",
        "KAFKA_LISTENERS": f"PLAINTEXT://:{LOCAL_PORT},CONTROLLER://:{CONTROLLER_PORT}",
        "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
        "KAFKA_INTER_BROKER_LISTENER_NAME": "PLAINTEXT",
        "KAFKA_CONTROLLER_QUORUM_VOTERS": voters,
        "KAFKA_LOG_DIRS": "/var/lib/kafka/data/logs",
        "CLUSTER_ID": cluster_id(name),
        "KAFKA_AUTO_CREATE_TOPICS_ENABLE": "false",
        "KAFKA_DEFAULT_REPLICATION_FACTOR": str(rep["replication_factor"]),
        "KAFKA_MIN_INSYNC_REPLICAS": str(rep["min_insync_replicas"]),
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": str(rep["replication_factor"]),
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": str(rep["replication_factor"]),
        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": str(rep["min_insync_replicas"]),
        "KAFKA_HEAP_OPTS": "-Xms256m -Xmx512m",
        "LOG_DIR": "/opt/kafka/logs",
    }
    # The node id and advertised name come from the pod's ordinal, known only at start.
    start = (
        f'export KAFKA_NODE_ID="${{HOSTNAME##*-}}"; '
        f'export KAFKA_ADVERTISED_LISTENERS="PLAINTEXT://${{HOSTNAME}}.{service_host}:{LOCAL_PORT}"; '
        "exec /etc/kafka/docker/run"
    )
    port_probe = k8s.core.v1.TCPSocketActionArgs(port="kafka")
    config_mount = k8s.core.v1.VolumeMountArgs(name="config", mount_path="/opt/kafka/config")
    container = k8s.core.v1.ContainerArgs(
        name="kafka",
        image=local.image,
        command=["/bin/bash", "-c", start],
        env=[k8s.core.v1.EnvVarArgs(name=key, value=value) for key, value in settings.items()],
        ports=[
            k8s.core.v1.ContainerPortArgs(name="kafka", container_port=LOCAL_PORT),
            k8s.core.v1.ContainerPortArgs(name="controller", container_port=CONTROLLER_PORT),
        ],
        startup_probe=k8s.core.v1.ProbeArgs(tcp_socket=port_probe, period_seconds=5, failure_threshold=60),
        readiness_probe=k8s.core.v1.ProbeArgs(tcp_socket=port_probe, period_seconds=10),
        liveness_probe=k8s.core.v1.ProbeArgs(tcp_socket=port_probe, period_seconds=20, failure_threshold=6),
        resources=k8s.core.v1.ResourceRequirementsArgs(
            requests={"cpu": local.cpu_request, "memory": local.memory_request},
            limits={"memory": local.memory_limit},
        ),
        security_context=restricted_container_security_context(),
        volume_mounts=[
            k8s.core.v1.VolumeMountArgs(name="data", mount_path="/var/lib/kafka/data"),
            config_mount,
            k8s.core.v1.VolumeMountArgs(name="logs", mount_path="/opt/kafka/logs"),
            k8s.core.v1.VolumeMountArgs(name="tmp", mount_path="/tmp"),
        ],
    )
    # The image writes server.properties into /opt/kafka/config at start; with a read-only root
    # filesystem that directory is an emptyDir, seeded with the image's own files first.
    seed_config = k8s.core.v1.ContainerArgs(
        name="seed-config",
        image=local.image,
        command=["/bin/sh", "-c", "cp -a /opt/kafka/config/. /seed/"],
        resources=k8s.core.v1.ResourceRequirementsArgs(
            requests={"cpu": "10m", "memory": "16Mi"}, limits={"memory": "64Mi"}
        ),
        security_context=restricted_container_security_context(),
        volume_mounts=[k8s.core.v1.VolumeMountArgs(name="config", mount_path="/seed")],
    )
    return container, seed_config


def cluster_id(name: str) -> str:
    """A KRaft cluster id (base64url of 16 bytes) that is stable for a given component name."""
    raw = uuid.uuid5(uuid.NAMESPACE_DNS, f"{name}.kafka.groundwork").bytes
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")
