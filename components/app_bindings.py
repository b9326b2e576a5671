"""What an app is given for each service it `uses`, whichever backend serves it.

Each binding reaches the pod as a Secret mounted read-only under
`/var/run/secrets/groundwork/<binding>/` (one file per key, never environment variables), with the
same keys on every backend:

- postgres: host, readerHost, port, database, username, password, iamAuth, region, sslmode, tls.
  The app's own role and database (components.app_database); on RDS `password` is empty and
  `iamAuth` is "true": the app signs an IAM token as `username` with its own role.
- redis: host, readerHost, port, username, password, tls (the data service's own Secret; Valkey
  has one shared user here).
- kafka: bootstrapServers, securityProtocol, saslMechanism, tls, topicPrefix, groupId. On MSK
  the app authenticates with IAM (`AWS_MSK_IAM`) and may use only topics starting with
  `topicPrefix` and the consumer groups `groupId` and `topicPrefix*`.

Each binding also names where the service listens (`peers`, `ports`) so the app's egress policy
opens exactly that flow.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_kubernetes as k8s
from pydantic import Field, InstanceOf

from components._lib.args import ComponentArgs
from components._lib.inputs import StrInput
from components.app_identity import topic_prefix
from components.namespace import Peer

BINDINGS_DIR = "/var/run/secrets/groundwork"


class BindingEgress(ComponentArgs):
    """Where a bound service listens, as the app's egress NetworkPolicy names it."""

    peers: tuple[InstanceOf[Peer], ...] = Field(
        min_length=1,
        exclude=True,
        description="The service's pods (in-cluster) or the database subnets (managed).",
    )
    ports: tuple[int, ...] = Field(min_length=1, description="The service's client ports.")


class PostgresBinding(ComponentArgs):
    """The stack's PostgreSQL, as an app's database bootstrap and binding Secret need it."""

    host: StrInput = Field(exclude=True, description="The primary's address.")
    reader_host: StrInput = Field(exclude=True, description="The reader's address (the primary without one).")
    port: int = Field(default=5432, ge=1, le=65535, description="The server port. Defaults to 5432.")
    iam_auth: bool = Field(
        default=True,
        description="RDS IAM database authentication: app users log in with IAM tokens, no password. "
        "False only for the in-cluster backend, where each app gets a generated password.",
    )
    region: str = Field(default="", description="The AWS region apps sign IAM tokens for (empty in-cluster).")
    dbi_resource_id: StrInput | None = Field(
        default=None, exclude=True, description="The RDS instance's DbiResourceId, for `rds-db:connect`."
    )
    admin_secret_name: StrInput = Field(
        exclude=True,
        description="A Secret with `username` and `password` of a role that may create roles and "
        "databases (the RDS master, or the in-cluster owner); only the bootstrap Job mounts it.",
    )
    egress: BindingEgress = Field(description="Where the server (and its pooler) listens.")

    @property
    def client_sslmode(self) -> str:
        """What apps use: the RDS certificate verified, or plain text inside the kind cluster."""
        return "verify-full" if self.iam_auth else "disable"

    @property
    def bootstrap_sslmode(self) -> str:
        """The bootstrap's psql has no RDS CA bundle: TLS (RDS refuses anything else), unverified."""
        return "require" if self.iam_auth else "disable"


class RedisBinding(ComponentArgs):
    """The stack's Valkey/Redis: its connection Secret already has the same keys on both backends."""

    connection_secret_name: StrInput = Field(exclude=True, description="The data service's Secret.")
    egress: BindingEgress = Field(description="Where the cache listens.")


class KafkaBinding(ComponentArgs):
    """The stack's Kafka: brokers, how clients authenticate, and (on MSK) the cluster for IAM rights."""

    bootstrap_servers: StrInput = Field(exclude=True, description="Comma-separated host:port list.")
    security_protocol: str = Field(
        default="SASL_SSL", description="SASL_SSL on MSK, PLAINTEXT in the kind cluster."
    )
    sasl_mechanism: str = Field(
        default="AWS_MSK_IAM", description="AWS_MSK_IAM on MSK; empty in the kind cluster."
    )
    tls: bool = Field(default=True, description="Whether the brokers speak TLS. Defaults to true.")
    cluster_arn: StrInput | None = Field(
        default=None, exclude=True, description="The MSK cluster, for the app role's kafka-cluster rights."
    )
    egress: BindingEgress = Field(description="Where the brokers listen.")


def binding_volume(
    binding: str, secret_name: pulumi.Input[str], optional: bool = False
) -> tuple[k8s.core.v1.VolumeArgs, k8s.core.v1.VolumeMountArgs]:
    """A Secret as read-only files under BINDINGS_DIR/<binding>, readable by the pod's group only.
    `optional`: for a Secret someone creates by hand (local's app secrets); the kubelet projects it
    once it exists instead of holding the pod back."""
    volume = k8s.core.v1.VolumeArgs(
        name=f"binding-{binding}",
        secret=k8s.core.v1.SecretVolumeSourceArgs(
            secret_name=secret_name, default_mode=0o440, optional=True if optional else None
        ),
    )
    mount = k8s.core.v1.VolumeMountArgs(
        name=f"binding-{binding}", mount_path=f"{BINDINGS_DIR}/{binding}", read_only=True
    )
    return volume, mount


def binding_secret(
    name: str,
    *,
    secret_name: str,
    namespace: str,
    values: Mapping[str, pulumi.Input[str]],
    labels: Mapping[str, str],
    parent: pulumi.Resource,
) -> k8s.core.v1.Secret:
    """A binding Secret whose whole payload is a Pulumi secret (encrypted in state, never printed)."""
    return k8s.core.v1.Secret(
        name,
        metadata=k8s.meta.v1.ObjectMetaArgs(name=secret_name, namespace=namespace, labels=dict(labels)),
        type="Opaque",
        string_data=pulumi.Output.secret(pulumi.Output.from_input(dict(values))),
        opts=pulumi.ResourceOptions(parent=parent),
    )


def kafka_values(app: str, binding: KafkaBinding) -> dict[str, pulumi.Input[str]]:
    return {
        "bootstrapServers": binding.bootstrap_servers,
        "securityProtocol": binding.security_protocol,
        "saslMechanism": binding.sasl_mechanism,
        "tls": "true" if binding.tls else "false",
        "topicPrefix": topic_prefix(app),
        "groupId": app,
    }
