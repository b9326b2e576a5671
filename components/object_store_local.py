"""The local stack's object storage: SeaweedFS in the kind cluster, speaking the S3 API.

Why SeaweedFS: MinIO, the usual local choice, stopped publishing community binaries and images in
2025 (source only) and then put its open-source repository into maintenance; SeaweedFS is
Apache-2.0, releases about weekly, and publishes `chrislusf/seaweedfs` images by version tag.
(Garage is AGPL-3.0; RustFS was still pre-1.0.)

One `weed server` (master, volume, filer and the S3 gateway in one pod) on a PersistentVolumeClaim,
as a restricted pod with a read-only root filesystem. S3 identities come from a generated config
(`-s3.config`): an admin for the bucket Job, and one identity per app that uses buckets, allowed only
on those buckets. A Job creates the buckets through `weed shell` once the server is up. NetworkPolicies
admit the S3 port from the apps that use buckets only, and the shell ports from the Job only.
Lifecycle rules, versioning, object lock and replication are S3 features this local server does not
mirror: local data is disposable.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random
from pydantic import Field

from components._lib.args import ComponentArgs
from components.app_settings import selector_labels
from components.datastore import (
    data_statefulset,
    restricted_container_security_context,
    restricted_pod_security_context,
    workload_labels,
)
from components.namespace import Allowance, network_policy, pods
from components.object_store import BucketSettings

S3_PORT = 8333
# What `weed shell` talks to: the master (HTTP and gRPC) and the filer (HTTP and gRPC).
SHELL_PORTS = (9333, 19333, 8888, 18888)
SEAWEEDFS_UID = 1000
# Not /etc/seaweedfs: the image keeps its filer.toml there (the filer's store under /data).
CONFIG_DIR = "/etc/groundwork-s3"
# The region S3 SDKs sign for; SeaweedFS accepts any.
LOCAL_REGION = "us-east-1"


class LocalObjectStoreArgs(ComponentArgs):
    """The buckets, where the server runs, and which apps use which buckets."""

    buckets: Mapping[str, BucketSettings] = Field(description="The buckets by name.")
    prefix: str = Field(description="Starts every bucket's physical name (the stack's name).")
    namespace: str = Field(description="The app namespace: the server and its Secrets live there.")
    storage_class_name: str = Field(description="The cluster's StorageClass for the data volume.")
    clients: Mapping[str, Sequence[str]] = Field(
        default_factory=dict, description="App name -> the buckets its `uses` names."
    )
    image: str = Field(
        default="chrislusf/seaweedfs:4.47",
        pattern=r"^[^:@\s]+:[A-Za-z0-9][A-Za-z0-9._-]*$",
        description="The SeaweedFS image, pinned by version tag.",
    )
    volume_size_gb: int = Field(default=10, ge=1, le=1000, description="The data volume's size.")
    memory: str = Field(default="512Mi", description="Memory request and limit of the server.")


class LocalObjectStore(pulumi.ComponentResource):
    """SeaweedFS with generated S3 credentials, a data volume and the buckets created at start."""

    bucket_names: dict[str, str]
    endpoint: str
    server_labels: dict[str, str]
    credentials: dict[str, tuple[pulumi.Output[str], pulumi.Output[str]]]

    def __init__(self, name: str, args: LocalObjectStoreArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("groundwork:object_store:LocalObjectStore", name, None, opts)
        self._name, self._args = name, args
        self._child = pulumi.ResourceOptions(parent=self)
        self.server_labels = workload_labels(name, "object-store")
        self.bucket_names = {bucket: f"{args.prefix}-{bucket}" for bucket in sorted(args.buckets)}
        self.credentials = {app: self._keypair(f"app-{app}") for app in sorted(args.clients)}
        self._operator = self._keypair("operator")
        config = self._config()
        service = self._service()
        self.endpoint = f"http://{name}.{args.namespace}.svc.cluster.local:{S3_PORT}"
        server = self._server(service, config)
        self._bucket_job(server, service)
        self._network_policies()
        self.register_outputs(
            {
                "bucket_names": self.bucket_names,
                "endpoint": self.endpoint,
                "server_labels": self.server_labels,
            }
        )

    def _keypair(self, who: str) -> tuple[pulumi.Output[str], pulumi.Output[str]]:
        key = random.RandomString(
            f"{self._name}-{who}-access-key", length=20, special=False, lower=False, opts=self._child
        )
        secret = random.RandomPassword(
            f"{self._name}-{who}-secret-key", length=40, special=False, opts=self._child
        )
        return pulumi.Output.secret(key.result), secret.result

    def _identities(self, operator: tuple[str, str], apps: Mapping[str, tuple[str, str]]) -> str:
        """SeaweedFS's S3 identities: an operator (for a person with kubectl port-forward; it also keeps
        the list non-empty, since SeaweedFS without identities admits anonymous requests) and each
        app, limited to the buckets it uses."""
        identities = [
            {
                "name": "groundwork-operator",
                "credentials": [{"accessKey": operator[0], "secretKey": operator[1]}],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"],
            }
        ]
        for app, (key, secret) in sorted(apps.items()):
            physical = [self.bucket_names[b] for b in self._args.clients[app]]
            identities.append(
                {
                    "name": app,
                    "credentials": [{"accessKey": key, "secretKey": secret}],
                    "actions": [
                        f"{action}:{b}" for b in physical for action in ("Read", "Write", "List", "Tagging")
                    ],
                }
            )
        return json.dumps({"identities": identities}, indent=2)

    def _config(self) -> k8s.core.v1.Secret:
        apps = sorted(self.credentials)
        parts = [*self._operator, *[v for app in apps for v in self.credentials[app]]]
        text = pulumi.Output.all(*parts).apply(
            lambda p: self._identities(
                (p[0], p[1]), {app: (p[2 + 2 * i], p[3 + 2 * i]) for i, app in enumerate(apps)}
            )
        )
        operator = pulumi.Output.all(*self._operator).apply(
            lambda p: {"accessKeyId": p[0], "secretAccessKey": p[1]}
        )
        return k8s.core.v1.Secret(
            f"{self._name}-config",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=f"{self._name}-config", namespace=self._args.namespace, labels=self.server_labels
            ),
            type="Opaque",
            string_data=pulumi.Output.secret(
                pulumi.Output.all(text, operator).apply(lambda p: {"s3.json": p[0], **p[1]})
            ),
            opts=self._child,
        )

    def _service(self) -> k8s.core.v1.Service:
        ports = [("s3", S3_PORT)] + [(f"shell-{p}", p) for p in SHELL_PORTS]
        return k8s.core.v1.Service(
            f"{self._name}-service",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=self._name, namespace=self._args.namespace, labels=self.server_labels
            ),
            spec=k8s.core.v1.ServiceSpecArgs(
                selector=self.server_labels,
                ports=[k8s.core.v1.ServicePortArgs(name=n, port=p, target_port=p) for n, p in ports],
            ),
            opts=self._child,
        )

    def _server(self, service: k8s.core.v1.Service, config: k8s.core.v1.Secret) -> k8s.apps.v1.StatefulSet:
        args = self._args
        container = k8s.core.v1.ContainerArgs(
            name="seaweedfs",
            image=args.image,
            image_pull_policy="IfNotPresent",
            command=["weed"],
            # The image's filer.toml puts the filer's store in /data/filerldb2; anything else relative
            # lands on the data volume too, since the root filesystem is read-only.
            working_dir="/data",
            args=[
                "server",
                "-dir=/data",
                "-s3",
                f"-s3.port={S3_PORT}",
                f"-s3.config={CONFIG_DIR}/s3.json",
                "-master.volumeSizeLimitMB=256",
            ],
            ports=[k8s.core.v1.ContainerPortArgs(name="s3", container_port=S3_PORT)],
            readiness_probe=k8s.core.v1.ProbeArgs(
                tcp_socket=k8s.core.v1.TCPSocketActionArgs(port=S3_PORT), period_seconds=10
            ),
            liveness_probe=k8s.core.v1.ProbeArgs(
                tcp_socket=k8s.core.v1.TCPSocketActionArgs(port=S3_PORT),
                initial_delay_seconds=30,
                period_seconds=20,
            ),
            resources=k8s.core.v1.ResourceRequirementsArgs(
                requests={"cpu": "100m", "memory": args.memory}, limits={"memory": args.memory}
            ),
            security_context=restricted_container_security_context(),
            volume_mounts=[
                k8s.core.v1.VolumeMountArgs(name="data", mount_path="/data"),
                k8s.core.v1.VolumeMountArgs(name="tmp", mount_path="/tmp"),
                k8s.core.v1.VolumeMountArgs(name="config", mount_path=CONFIG_DIR, read_only=True),
            ],
        )
        return data_statefulset(
            self._name,
            namespace=args.namespace,
            labels=self.server_labels,
            service=service,
            uid=SEAWEEDFS_UID,
            containers=[container],
            scratch_volumes=["tmp"],
            storage_class_name=args.storage_class_name,
            volume_size_gb=args.volume_size_gb,
            parent=self,
            datastore="objects",
            extra_volumes=[
                k8s.core.v1.VolumeArgs(
                    name="config",
                    secret=k8s.core.v1.SecretVolumeSourceArgs(
                        secret_name=config.metadata.name,
                        default_mode=0o440,
                        items=[k8s.core.v1.KeyToPathArgs(key="s3.json", path="s3.json")],
                    ),
                )
            ],
        )

    def _bucket_job(
        self,
        server: k8s.apps.v1.StatefulSet,
        service: k8s.core.v1.Service,
    ) -> k8s.batch.v1.Job:
        """Create the buckets once the server is ready; `s3.bucket.create` of an existing bucket only
        reports it, so a re-run is harmless. The name carries the bucket list, so adding one runs it."""
        names = sorted(self.bucket_names.values())
        host = f"{self._name}.{self._args.namespace}.svc.cluster.local"
        script = "; ".join(
            f'echo "s3.bucket.create -name {b}" | weed shell -master={host}:9333 -filer={host}:8888'
            for b in names
        )
        digest = hashlib.sha256(json.dumps([names, self._args.image]).encode()).hexdigest()[:10]
        labels = {**workload_labels(f"{self._name}-buckets", "bucket-bootstrap")}
        return k8s.batch.v1.Job(
            f"{self._name}-buckets",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=f"{self._name}-buckets-{digest}",
                namespace=self._args.namespace,
                labels=labels,
                annotations={"pulumi.com/replaceUnready": "true"},
            ),
            spec=k8s.batch.v1.JobSpecArgs(
                backoff_limit=6,
                active_deadline_seconds=600,
                template=k8s.core.v1.PodTemplateSpecArgs(
                    metadata=k8s.meta.v1.ObjectMetaArgs(labels=labels),
                    spec=k8s.core.v1.PodSpecArgs(
                        restart_policy="Never",
                        automount_service_account_token=False,
                        enable_service_links=False,
                        security_context=restricted_pod_security_context(SEAWEEDFS_UID),
                        containers=[
                            k8s.core.v1.ContainerArgs(
                                name="create-buckets",
                                image=self._args.image,
                                image_pull_policy="IfNotPresent",
                                command=["/bin/sh", "-c", f"set -eu; {script}"],
                                env=[k8s.core.v1.EnvVarArgs(name="HOME", value="/tmp")],
                                resources=k8s.core.v1.ResourceRequirementsArgs(
                                    requests={"cpu": "50m", "memory": "64Mi"},
                                    limits={"cpu": "250m", "memory": "128Mi"},
                                ),
                                security_context=restricted_container_security_context(),
                                volume_mounts=[k8s.core.v1.VolumeMountArgs(name="tmp", mount_path="/tmp")],
                            )
                        ],
                        volumes=[k8s.core.v1.VolumeArgs(name="tmp", empty_dir={})],
                    ),
                ),
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[server, service]),
        )

    def _network_policies(self) -> None:
        """S3 from the apps that use buckets; the shell ports from the bucket Job. Both ends are
        default-deny, so the Job's egress is opened here too (each App opens its own)."""
        args = self._args
        job = workload_labels(f"{self._name}-buckets", "bucket-bootstrap")
        if args.clients:
            network_policy(
                f"{self._name}-allow-apps",
                args.namespace,
                Allowance(
                    f"allow-apps-to-{self._name}",
                    "ingress",
                    pod_labels=self.server_labels,
                    peers=[pods(labels=selector_labels(app)) for app in sorted(args.clients)],
                    ports=[S3_PORT],
                    reason="apps that list a bucket in `uses` call the S3 API",
                ),
                opts=self._child,
            )
        network_policy(
            f"{self._name}-allow-bucket-job",
            args.namespace,
            Allowance(
                f"allow-bucket-job-to-{self._name}",
                "ingress",
                pod_labels=self.server_labels,
                peers=[pods(labels=job)],
                ports=list(SHELL_PORTS),
                reason="the bucket Job creates the buckets through weed shell",
            ),
            opts=self._child,
        )
        network_policy(
            f"{self._name}-bucket-job-egress",
            args.namespace,
            Allowance(
                f"allow-bucket-job-egress-{self._name}",
                "egress",
                pod_labels=job,
                peers=[pods(labels=self.server_labels)],
                ports=list(SHELL_PORTS),
                reason="the bucket Job creates the buckets through weed shell",
            ),
            opts=self._child,
        )
