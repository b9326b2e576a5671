"""A team's own service, from image to running pods: the `groundwork:apps:App` component.

One App creates, in the app namespace: a ServiceAccount whose token is mounted only when
`kubernetes` declares API access (then a Role, or with `clusterWide` a ClusterRole, of exactly those
rules); on AWS an IRSA role for what its bindings and secrets need (components.app_identity); its
PostgreSQL role and database (components.app_database); a Deployment under the restricted Pod
Security profile (non-root, read-only root filesystem with an emptyDir at /tmp, no privilege
escalation, every capability dropped, RuntimeDefault seccomp) with startup, readiness and liveness
probes, requests and limits, spread over zones and nodes, and rolled out without ever dropping
below the desired count; a ClusterIP Service; an HPA on CPU and memory when `replicas.max` is above
`min`; a PodDisruptionBudget when `min` is 2 or more; a ServiceMonitor and SLO alerts
(components.app_slo) when it exposes metrics; and NetworkPolicies that admit exactly its declared
flows. Its pods carry `groundwork.dev/app`, which the namespace-wide flows (datastores, AWS APIs)
leave out, so an app reaches only what it declares. Bindings and secrets reach the pod as files
(components.app_bindings), never as environment variables.

The same component runs on kind and on AWS: only the args differ (bindings' backends, the image's
registry, `aws`). Public traffic comes with the edge issue through `AppArgs.ingress_peers`.
"""

from __future__ import annotations

from dataclasses import replace

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.app_bindings import BINDINGS_DIR, binding_secret, binding_volume, kafka_values
from components.app_buckets import bucket_statements, bucket_values
from components.app_database import AppDatabase, AppDatabaseArgs, database_identifier
from components.app_identity import app_policy, app_role, kubernetes_access
from components.app_settings import (
    AppArgs,
    AppAws,
    AppSettings,
    app_labels,
    database_binding,
    needs_aws_role,
    selector_labels,
)
from components.app_slo import slo_rules
from components.app_vectors import PGVECTOR_EXTENSION, VectorsBinding, vectors_values
from components.datastore import restricted_container_security_context
from components.namespace import APP_POD_LABEL, Allowance, kube_api_egress, network_policy, pods
from components.tagging import component_tags

TYPE_TOKEN = "groundwork:apps:App"
IRSA_ANNOTATION = "eks.amazonaws.com/role-arn"

__all__ = ["App", "AppArgs", "AppAws", "AppSettings"]


class App(pulumi.ComponentResource):
    """One app's workload, identity, bindings, alerts and traffic rules."""

    service_name: pulumi.Output[str]
    service_host: pulumi.Output[str]
    image: pulumi.Output[str]
    role_arn: pulumi.Output[str] | None
    database_secret_name: pulumi.Output[str] | None

    def __init__(self, name: str, args: AppArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(TYPE_TOKEN, name, None, opts)
        self._name, self._args = name, args
        settings = args.settings
        self._labels = app_labels(args.app, settings.image.version, args.part_of)
        self._pod_labels = {**self._labels, APP_POD_LABEL: args.app}
        self._child = pulumi.ResourceOptions(parent=self)

        self.image = pulumi.Output.from_input(self._image_reference())
        self.role_arn = self._aws_role().arn if needs_aws_role(args) else None
        account = self._service_account()
        if settings.kubernetes.enabled:
            kubernetes_access(
                name,
                app=args.app,
                namespace=args.namespace,
                service_account=account.metadata.name,
                access=settings.kubernetes,
                labels=self._labels,
                parent=self,
            )
        volumes, mounts, ready = self._bindings()
        deployment = self._deployment(account, volumes, mounts, ready)
        service = self._service()
        self._scaling(deployment)
        self._observability(service)
        self._network_policies()

        self.service_name = service.metadata.name
        self.service_host = pulumi.Output.concat(
            service.metadata.name, ".", args.namespace, ".svc.cluster.local"
        )
        self.register_outputs(
            {
                "service_name": self.service_name,
                "service_host": self.service_host,
                "image": self.image,
                "role_arn": self.role_arn,
                "database_secret_name": self.database_secret_name,
            }
        )

    # -- identity -------------------------------------------------------------------------------
    def _image_reference(self) -> pulumi.Input[str]:
        image = self._args.settings.image
        if image.external:
            return image.reference(image.repository)
        if self._args.repository_url is None:
            raise ValueError(
                f"App {self._name}: image.repository {image.repository!r} names a repository of this "
                "stack, but no repository_url was wired for it"
            )
        return pulumi.Output.from_input(self._args.repository_url).apply(image.reference)

    def _aws_role(self) -> aws.iam.Role:
        args = self._args
        aws_args = args.aws
        assert aws_args is not None
        database = database_binding(args)
        iam_database = database is not None and database.iam_auth
        identity = pulumi.Output.all(
            _caller_account(self),
            _partition(self),
            database.dbi_resource_id if database is not None and iam_database else None,
            args.kafka.cluster_arn if args.kafka else None,
            aws_args.kms_key_arn,
            self._bucket_statements(),
        )
        postgres_user = database_identifier(args.app) if iam_database else None
        policy = identity.apply(
            lambda parts: app_policy(
                app=args.app,
                partition=parts[1],
                region=aws_args.region,
                account=parts[0],
                database_user=postgres_user,
                dbi_resource_id=parts[2],
                kafka_cluster_arn=parts[3],
                secret_arn_prefix=(
                    f"arn:{parts[1]}:secretsmanager:{aws_args.region}:{parts[0]}:secret:{args.secrets_path}"
                ),
                secret_names=args.settings.secrets,
                kms_key_arn=parts[4],
                bucket_statements=parts[5],
            )
        )
        return app_role(
            self._name,
            parent=self,
            oidc_provider_arn=aws_args.oidc_provider_arn,
            oidc_issuer=aws_args.oidc_issuer,
            namespace=args.namespace,
            service_account=args.app,
            tags=component_tags(args.tags, self._name),
            policy=policy,
        )

    def _bucket_statements(self) -> pulumi.Output[list]:
        """The role's S3 and KMS statements for the S3 buckets the app uses (components.app_buckets)."""
        args = self._args
        assert args.aws is not None
        region = args.aws.region
        per_bucket = [
            pulumi.Output.all(binding.bucket_arn, binding.kms_key_arn).apply(
                lambda p, bucket=bucket: bucket_statements(
                    app=args.app, bucket=bucket, bucket_arn=p[0], kms_key_arn=p[1], region=region
                )
            )
            for bucket, binding in sorted(args.buckets.items())
            if binding.bucket_arn is not None
        ]
        return pulumi.Output.all(*per_bucket).apply(lambda lists: [s for part in lists for s in part])

    def _service_account(self) -> k8s.core.v1.ServiceAccount:
        annotations = None
        if self.role_arn is not None:
            annotations = {IRSA_ANNOTATION: self.role_arn, "eks.amazonaws.com/sts-regional-endpoints": "true"}
        return k8s.core.v1.ServiceAccount(
            f"{self._name}-sa",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=self._args.app,
                namespace=self._args.namespace,
                labels=self._labels,
                annotations=annotations,
            ),
            automount_service_account_token=self._args.settings.kubernetes.enabled,
            opts=self._child,
        )

    # -- bindings ---------------------------------------------------------------------------------
    def _bindings(self) -> tuple[list, list, list[pulumi.Resource]]:
        """Volumes and mounts for each binding and the app's secrets, and what must exist first."""
        args = self._args
        volumes, mounts, ready = [], [], []
        self.database_secret_name = None
        server = database_binding(args)
        pgvector = args.vectors is not None and args.vectors.backend == "pgvector"
        database = None
        if server is not None:
            database = AppDatabase(
                f"{self._name}-db",
                AppDatabaseArgs(
                    app=args.app,
                    namespace=args.namespace,
                    binding=server,
                    extensions=(PGVECTOR_EXTENSION,) if pgvector else (),
                    labels=self._labels,
                ),
                opts=self._child,
            )
            self.database_secret_name = database.secret_name
            ready.append(database.job)
        if args.postgres is not None and database is not None:
            self._mount("postgres", database.secret_name, volumes, mounts)
        if args.vectors is not None:
            self._mount("vectors", self._vectors_secret(args.vectors, database), volumes, mounts)
        if args.redis is not None:
            self._mount("redis", args.redis.connection_secret_name, volumes, mounts)
        if args.kafka is not None:
            secret = binding_secret(
                f"{self._name}-kafka",
                secret_name=f"{args.app}-kafka",
                namespace=args.namespace,
                values=kafka_values(args.app, args.kafka),
                labels=self._labels,
                parent=self,
            )
            self._mount("kafka", secret.metadata.name, volumes, mounts)
        for bucket, binding in sorted(args.buckets.items()):
            secret = binding_secret(
                f"{self._name}-bucket-{bucket}",
                secret_name=f"{args.app}-bucket-{bucket}",
                namespace=args.namespace,
                values=bucket_values(args.app, binding),
                labels=self._labels,
                parent=self,
            )
            self._mount(bucket, secret.metadata.name, volumes, mounts)
        if args.settings.secrets:
            secret_name = f"{args.app}-secrets"
            if args.secret_store is not None:
                ready.append(self._external_secrets(secret_name))
            # Without a secret store (local) the Secret is made by hand (docs/apps.md).
            volume, mount = binding_volume("app", secret_name, optional=args.secret_store is None)
            volumes.append(volume)
            mounts.append(mount)
        return volumes, mounts, ready

    def _vectors_secret(self, binding: VectorsBinding, database: AppDatabase | None) -> pulumi.Output[str]:
        """`<app>-vectors`: the same keys whichever backend (components.app_vectors)."""
        secret = binding_secret(
            f"{self._name}-vectors",
            secret_name=f"{self._args.app}-vectors",
            namespace=self._args.namespace,
            values=vectors_values(
                binding,
                database=database.database if database is not None else "",
                username=database.username if database is not None else "",
                password=database.password if database is not None else "",
            ),
            labels=self._labels,
            parent=self,
        )
        return secret.metadata.name

    @staticmethod
    def _mount(binding: str, secret_name: pulumi.Input[str], volumes: list, mounts: list) -> None:
        volume, mount = binding_volume(binding, secret_name)
        volumes.append(volume)
        mounts.append(mount)

    def _external_secrets(self, secret_name: str) -> k8s.apiextensions.CustomResource:
        """Copies each named value from Secrets Manager (`<secrets_path><NAME>`) into one Secret."""
        args = self._args
        return k8s.apiextensions.CustomResource(
            f"{self._name}-secrets",
            api_version="external-secrets.io/v1",
            kind="ExternalSecret",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=secret_name,
                namespace=args.namespace,
                labels=self._labels,
                annotations={"pulumi.com/waitFor": "condition=Ready"},
            ),
            spec={
                "refreshInterval": "1h",
                "secretStoreRef": {"kind": "ClusterSecretStore", "name": args.secret_store},
                "target": {"name": secret_name, "creationPolicy": "Owner"},
                "data": [
                    {"secretKey": secret, "remoteRef": {"key": f"{args.secrets_path}{secret}"}}
                    for secret in args.settings.secrets
                ],
            },
            opts=self._child,
        )

    # -- workload ---------------------------------------------------------------------------------
    def _container(self, mounts: list) -> k8s.core.v1.ContainerArgs:
        settings = self._args.settings
        ports = [k8s.core.v1.ContainerPortArgs(name="http", container_port=settings.port)]
        if settings.metrics_port is not None and settings.metrics_port != settings.port:
            ports.append(k8s.core.v1.ContainerPortArgs(name="metrics", container_port=settings.metrics_port))
        env = {**settings.env, "GROUNDWORK_BINDINGS_DIR": BINDINGS_DIR}
        resources = settings.resources
        return k8s.core.v1.ContainerArgs(
            name=self._args.app,
            image=self.image,
            image_pull_policy="IfNotPresent" if settings.image.digest else "Always",
            command=list(settings.command) if settings.command else None,
            args=list(settings.args) if settings.args else None,
            ports=ports,
            env=[k8s.core.v1.EnvVarArgs(name=key, value=value) for key, value in sorted(env.items())],
            resources=k8s.core.v1.ResourceRequirementsArgs(
                requests={"cpu": resources.cpu, "memory": resources.memory},
                limits={"cpu": resources.effective_cpu_limit, "memory": resources.effective_memory_limit},
            ),
            security_context=restricted_container_security_context(),
            volume_mounts=[k8s.core.v1.VolumeMountArgs(name="tmp", mount_path="/tmp"), *mounts],
            **_probes(settings),
        )

    def _deployment(self, account, volumes: list, mounts: list, ready: list) -> k8s.apps.v1.Deployment:
        args, settings = self._args, self._args.settings
        uid = settings.run_as_user
        spread = [
            k8s.core.v1.TopologySpreadConstraintArgs(
                topology_key=key,
                max_skew=1,
                when_unsatisfiable=when,
                label_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=selector_labels(args.app)),
                match_label_keys=["pod-template-hash"],
            )
            # Zones: best effort (kind has none, and a full zone must not stop a rollout); nodes: strict.
            for key, when in (
                ("topology.kubernetes.io/zone", "ScheduleAnyway"),
                ("kubernetes.io/hostname", "DoNotSchedule"),
            )
        ]
        return k8s.apps.v1.Deployment(
            f"{self._name}-deployment",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=args.app, namespace=args.namespace, labels=self._labels),
            spec=k8s.apps.v1.DeploymentSpecArgs(
                # With an HPA the replica count is its to set (server-side apply leaves the field to it).
                replicas=None if settings.replicas.autoscaled else settings.replicas.min_replicas,
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=selector_labels(args.app)),
                strategy=k8s.apps.v1.DeploymentStrategyArgs(
                    type="RollingUpdate",
                    rolling_update=k8s.apps.v1.RollingUpdateDeploymentArgs(max_unavailable=0, max_surge=1),
                ),
                revision_history_limit=5,
                template=k8s.core.v1.PodTemplateSpecArgs(
                    metadata=k8s.meta.v1.ObjectMetaArgs(labels=self._pod_labels),
                    spec=k8s.core.v1.PodSpecArgs(
                        service_account_name=account.metadata.name,
                        automount_service_account_token=settings.kubernetes.enabled,
                        enable_service_links=False,
                        security_context=k8s.core.v1.PodSecurityContextArgs(
                            run_as_non_root=True,
                            run_as_user=uid,
                            run_as_group=uid,
                            fs_group=uid,
                            fs_group_change_policy="OnRootMismatch",
                            seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
                        ),
                        termination_grace_period_seconds=30,
                        topology_spread_constraints=spread,
                        containers=[self._container(mounts)],
                        volumes=[
                            k8s.core.v1.VolumeArgs(
                                name="tmp", empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs(size_limit="256Mi")
                            ),
                            *volumes,
                        ],
                    ),
                ),
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=ready or None),
        )

    def _service(self) -> k8s.core.v1.Service:
        args, settings = self._args, self._args.settings
        ports = [k8s.core.v1.ServicePortArgs(name="http", port=settings.port, target_port="http")]
        if settings.metrics_port is not None and settings.metrics_port != settings.port:
            ports.append(
                k8s.core.v1.ServicePortArgs(name="metrics", port=settings.metrics_port, target_port="metrics")
            )
        return k8s.core.v1.Service(
            f"{self._name}-service",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=args.app, namespace=args.namespace, labels=self._labels),
            spec=k8s.core.v1.ServiceSpecArgs(
                type="ClusterIP", selector=selector_labels(args.app), ports=ports
            ),
            opts=self._child,
        )

    def _scaling(self, deployment: k8s.apps.v1.Deployment) -> None:
        args, replicas = self._args, self._args.settings.replicas
        meta = k8s.meta.v1.ObjectMetaArgs(name=args.app, namespace=args.namespace, labels=self._labels)
        if replicas.autoscaled:
            k8s.autoscaling.v2.HorizontalPodAutoscaler(
                f"{self._name}-hpa",
                metadata=meta,
                spec=k8s.autoscaling.v2.HorizontalPodAutoscalerSpecArgs(
                    scale_target_ref=k8s.autoscaling.v2.CrossVersionObjectReferenceArgs(
                        api_version="apps/v1", kind="Deployment", name=deployment.metadata.name
                    ),
                    min_replicas=replicas.min_replicas,
                    max_replicas=replicas.ceiling,
                    metrics=[_utilization("cpu", 70), _utilization("memory", 80)],
                    behavior=k8s.autoscaling.v2.HorizontalPodAutoscalerBehaviorArgs(
                        scale_down=k8s.autoscaling.v2.HPAScalingRulesArgs(stabilization_window_seconds=300)
                    ),
                ),
                opts=self._child,
            )
        if replicas.min_replicas >= 2:
            k8s.policy.v1.PodDisruptionBudget(
                f"{self._name}-pdb",
                metadata=meta,
                spec=k8s.policy.v1.PodDisruptionBudgetSpecArgs(
                    max_unavailable=1,
                    selector=k8s.meta.v1.LabelSelectorArgs(match_labels=selector_labels(args.app)),
                ),
                opts=self._child,
            )

    def _observability(self, service: k8s.core.v1.Service) -> None:
        args, settings = self._args, self._args.settings
        if settings.metrics is None:
            return
        after_crds = pulumi.ResourceOptions(parent=self, depends_on=list(args.monitoring) or None)
        port_name = "metrics" if settings.metrics_port != settings.port else "http"
        k8s.apiextensions.CustomResource(
            f"{self._name}-servicemonitor",
            api_version="monitoring.coreos.com/v1",
            kind="ServiceMonitor",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=args.app, namespace=args.namespace, labels=self._labels),
            spec={
                "selector": {"matchLabels": selector_labels(args.app)},
                "endpoints": [{"port": port_name, "path": settings.metrics.path, "interval": "30s"}],
            },
            opts=after_crds,
        )
        if settings.slo is not None:
            k8s.apiextensions.CustomResource(
                f"{self._name}-slo",
                api_version="monitoring.coreos.com/v1",
                kind="PrometheusRule",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=f"{args.app}-slo", namespace=args.namespace, labels=self._labels
                ),
                spec=slo_rules(
                    app=args.app,
                    namespace=args.namespace,
                    service=args.app,
                    availability=settings.slo.availability,
                    latency_p95_ms=settings.slo.latency_p95_ms,
                    runbook_base_url=args.runbook_base_url,
                ),
                opts=after_crds,
            )

    # -- traffic ----------------------------------------------------------------------------------
    def _network_policies(self) -> None:
        for allowance in app_allowances(self._args, needs_aws=self.role_arn is not None):
            # Policy `<app>-to-postgres` of `<stack>-app-<app>` is resource `<stack>-app-<app>-to-postgres`.
            suffix = allowance.name.removeprefix(f"{self._args.app}-")
            network_policy(f"{self._name}-{suffix}", self._args.namespace, allowance, opts=self._child)


def app_allowances(args: AppArgs, *, needs_aws: bool) -> list[Allowance]:
    """Every flow of one app, one NetworkPolicy each, all selecting the app's pods only."""
    return [*_ingress(args), *_egress(args, needs_aws=needs_aws)]


def _ingress(args: AppArgs) -> list[Allowance]:
    """Who may connect: the apps that use this one, the edge's load balancer, Prometheus."""
    app, settings = args.app, args.settings
    mine = selector_labels(app)
    flows: list[Allowance] = []
    for caller in args.callers:
        flows.append(
            Allowance(
                f"{app}-from-{caller}",
                "ingress",
                pod_labels=mine,
                peers=[pods(labels=selector_labels(caller))],
                ports=[settings.port],
                reason=f"{caller} declares {app} in its uses",
            )
        )
    if args.ingress_peers:
        flows.append(
            Allowance(
                f"{app}-from-load-balancer",
                "ingress",
                pod_labels=mine,
                peers=list(args.ingress_peers),
                ports=[settings.port],
                reason=f"the edge's load balancer forwards public traffic to {app}",
            )
        )
    if settings.metrics_port is not None and args.scraper is not None:
        flows.append(
            Allowance(
                f"{app}-from-prometheus",
                "ingress",
                pod_labels=mine,
                peers=[args.scraper],
                ports=[settings.metrics_port],
                reason=f"Prometheus scrapes {app}'s metrics",
            )
        )
    return flows


def _egress(args: AppArgs, *, needs_aws: bool) -> list[Allowance]:
    """Where it may connect: its bindings, the apps it uses, AWS APIs for its role, the API server."""
    app, settings = args.app, args.settings
    mine = selector_labels(app)
    flows: list[Allowance] = []
    bindings = [("postgres", args.postgres), ("redis", args.redis), ("kafka", args.kafka)]
    egresses = [(binding, spec.egress) for binding, spec in bindings if spec is not None]
    if args.vectors is not None and not (args.vectors.backend == "pgvector" and args.postgres is not None):
        egresses.append(("vectors", args.vectors.flow))  # pgvector with postgres: the same flow, once
    for binding, egress in egresses:
        flows.append(
            Allowance(
                f"{app}-to-{binding}",
                "egress",
                pod_labels=mine,
                peers=list(egress.peers),
                ports=list(egress.ports),
                reason=f"{app} uses {binding}",
            )
        )
    for bucket, spec in sorted(args.buckets.items()):
        flows.append(
            Allowance(
                f"{app}-to-bucket-{bucket}",
                "egress",
                pod_labels=mine,
                peers=list(spec.egress.peers),
                ports=list(spec.egress.ports),
                reason=f"{app} uses bucket {bucket}",
            )
        )
    for callee, port in sorted(args.uses_apps.items()):
        flows.append(
            Allowance(
                f"{app}-to-{callee}",
                "egress",
                pod_labels=mine,
                peers=[pods(labels=selector_labels(callee))],
                ports=[port],
                reason=f"{app} uses {callee}",
            )
        )
    if needs_aws and args.aws is not None:
        flows.append(
            Allowance(
                f"{app}-to-aws-apis",
                "egress",
                pod_labels=mine,
                peers=list(args.aws.api_peers),
                ports=[443],
                reason=f"{app}'s IRSA role: STS, and the AWS APIs of its bindings and secrets",
            )
        )
    if settings.kubernetes.enabled and args.api_server is not None:
        flows.append(
            replace(
                kube_api_egress(args.api_server, pod_labels=mine),
                name=f"{app}-to-kube-api",
                reason=f"{app} calls the Kubernetes API with its declared rules",
            )
        )
    return flows


def _probes(settings: AppSettings) -> dict[str, k8s.core.v1.ProbeArgs]:
    """Startup holds the others off for `startupSeconds`; readiness gates traffic; liveness restarts."""
    path = settings.health.path
    action = (
        {"http_get": k8s.core.v1.HTTPGetActionArgs(path=path, port="http")}
        if path is not None
        else {"tcp_socket": k8s.core.v1.TCPSocketActionArgs(port="http")}
    )
    period = 5
    return {
        "startup_probe": k8s.core.v1.ProbeArgs(
            **action,
            period_seconds=period,
            failure_threshold=max(1, settings.health.startup_seconds // period),
        ),
        "readiness_probe": k8s.core.v1.ProbeArgs(
            **action, period_seconds=10, timeout_seconds=2, failure_threshold=3
        ),
        "liveness_probe": k8s.core.v1.ProbeArgs(
            **action, period_seconds=20, timeout_seconds=5, failure_threshold=3
        ),
    }


def _utilization(resource: str, percent: int) -> k8s.autoscaling.v2.MetricSpecArgs:
    return k8s.autoscaling.v2.MetricSpecArgs(
        type="Resource",
        resource=k8s.autoscaling.v2.ResourceMetricSourceArgs(
            name=resource,
            target=k8s.autoscaling.v2.MetricTargetArgs(type="Utilization", average_utilization=percent),
        ),
    )


def _caller_account(parent: pulumi.Resource) -> pulumi.Output[str]:
    return aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=parent)).account_id


def _partition(parent: pulumi.Resource) -> pulumi.Output[str]:
    return aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=parent)).partition
