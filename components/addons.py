"""The platform add-ons every cluster runs, from pinned Helm charts with values built from typed args.

On EKS (`aws` set): metrics-server, cluster-autoscaler, the AWS Load Balancer Controller (internal,
IP targets, TLS 1.3 policy, Gateway API feature gates on), cert-manager with a ClusterIssuer,
external-secrets with a ClusterSecretStore for this stack's Secrets Manager path, and external-dns
when a hosted zone is named. Each controller that calls AWS gets its own IRSA role, trusted only by
its service account and limited to this cluster's resources.

Locally (`aws` None): only what runs on kind without AWS: metrics-server and cert-manager with a
self-signed ClusterIssuer.

ingress-nginx is deliberately absent: it is retired (no releases or security fixes after March 2026).
The IRSA roles' policy documents live in components._lib.addon_policies and the charts' pins and
values in components.addon_charts (both re-exported here); this module creates the resources.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
from pydantic import Field, InstanceOf, field_validator, model_validator

from components._lib.addon_policies import (
    autoscaler_policy,
    cert_manager_dns01_policy,
    external_dns_policy,
    external_secrets_policy,
    load_balancer_controller_policy,
)
from components._lib.args import ComponentArgs, Input, SettingError
from components.addon_charts import (
    CHARTS,
    CLUSTER_AUTOSCALER_IMAGE,
    RESTRICTED_CONTAINER,
    RESTRICTED_POD,
    TLS_POLICY,
    Chart,
    cert_manager_values,
    cluster_autoscaler_values,
    cluster_issuer_spec,
    external_dns_values,
    external_secrets_values,
    load_balancer_controller_values,
    metrics_server_values,
)
from components.irsa import irsa_role
from components.namespace import (
    Allowance,
    AppNamespace,
    Peer,
    environment_labels,
    platform_namespace,
    prometheus_scrape,
    system_namespace_labels,
)

IssuerKind = Literal["letsencrypt-staging", "letsencrypt-production", "self-signed"]
CLUSTER_SECRET_STORE = "aws-secrets-manager"
# Where cert-manager and external-secrets serve their admission webhooks (chart defaults).
WEBHOOK_PORTS = (10250, 9443)

# kube-system runs the cluster's own node agents (EKS: aws-node, kube-proxy, the EBS CSI node
# plugin; kind: kindnet, kube-proxy), which need host networking, host paths and privileged
# containers: only `privileged` admits them. Audit and warn stay at restricted.
KUBE_SYSTEM_POD_SECURITY = "privileged"
KUBE_SYSTEM_REASON = (
    "the cluster's node agents (aws-node, kube-proxy, ebs-csi-node; on kind kindnet and kube-proxy) "
    "run privileged with host networking and host paths; the platform's add-ons here (metrics-server, "
    "cluster-autoscaler, aws-load-balancer-controller) meet restricted"
)

_HOSTED_ZONE_ID = re.compile(r"^Z[A-Z0-9]{1,31}$")


class AddonsSettings(ComponentArgs):
    """Which add-ons run and how: `groundwork:cluster.addons`. Chart versions are pinned in code."""

    cert_manager_issuer: IssuerKind = Field(
        default="letsencrypt-production",
        description="The ClusterIssuer to create; Let's Encrypt staging avoids production rate limits, "
        "self-signed needs neither AWS nor a public name (local).",
    )
    acme_email: str | None = Field(default=None, description="Let's Encrypt mails expiry warnings here.")
    hosted_zone_id: str | None = Field(
        default=None,
        description="A Route 53 zone: external-dns manages its records (upsert-only) and the ACME issuer "
        "solves DNS-01 there; unset, ACME uses HTTP-01 through the ALB ingress class.",
    )
    domain: str | None = Field(default=None, description="The hosted zone's domain; set with hostedZoneId.")
    load_balancer_scheme: Literal["internal", "internet-facing"] = Field(
        default="internal", description="The load balancers' default scheme; internet-facing is asked for."
    )
    high_availability: bool = Field(
        default=True, description="Two replicas and a PodDisruptionBudget for each controller."
    )

    @field_validator("hosted_zone_id")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is not None and not _HOSTED_ZONE_ID.match(value):
            raise ValueError("a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ")
        return value

    @model_validator(mode="after")
    def _zone_and_domain(self) -> AddonsSettings:
        if (self.hosted_zone_id is None) != (self.domain is None):
            raise SettingError(
                "hostedZoneId",
                self.hosted_zone_id,
                "hostedZoneId and domain go together (external-dns manages that zone's domain)",
            )
        return self


class AwsIntegration(ComponentArgs):
    """What the add-ons need to know about the EKS cluster and account they run in."""

    cluster_name: Input[str] = Field(description="The EKS cluster's name.")
    kubernetes_version: str = Field(description="Its minor version (picks the autoscaler image).")
    region: str = Field(description="The cluster's region.")
    vpc_id: Input[str] = Field(description="The cluster's VPC (for the Load Balancer Controller).")
    oidc_provider_arn: Input[str] = Field(description="The cluster's IRSA identity provider.")
    oidc_issuer: Input[str] = Field(description="Its issuer, without https://.")
    kms_key_arn: Input[str] = Field(description="The key Secrets Manager values are encrypted with.")
    secrets_path: str = Field(
        description="external-secrets may read only secrets whose name starts with this prefix."
    )


class HostedZone(ComponentArgs):
    """The stack's Route 53 zone as the Dns component built or found it (`groundwork:dns`)."""

    zone_id: Input[str] = Field(description="The hosted zone's id (an Output when this stack creates it).")
    domain: str = Field(description="The zone's name.")


class PlatformAddonsArgs(ComponentArgs):
    """The settings plus where the add-ons run."""

    settings: AddonsSettings = Field(default_factory=AddonsSettings, description="Which add-ons, how.")
    aws: AwsIntegration | None = Field(
        default=None,
        description="None for a local kind cluster (no AWS controllers, self-signed certificates only).",
    )
    tags: Mapping[str, str] = Field(default_factory=dict, description="Tags for the AWS resources.")
    environment: str | None = Field(
        default=None, description="Labels the add-on namespaces with the stack's environment."
    )
    metrics_scraper: InstanceOf[Peer] | None = Field(
        default=None,
        description="Prometheus's pods; when set, they may reach the controllers' metrics ports.",
    )
    zone: HostedZone | None = Field(
        default=None,
        description="The stack's zone from groundwork:dns; takes the place of settings.hostedZoneId.",
    )

    @property
    def hosted_zone(self) -> HostedZone | None:
        """The zone external-dns and the DNS-01 solver work in: groundwork:dns's, else the settings'."""
        if self.zone is not None:
            return self.zone
        if self.settings.hosted_zone_id is not None and self.settings.domain is not None:
            return HostedZone(zone_id=self.settings.hosted_zone_id, domain=self.settings.domain)
        return None

    @model_validator(mode="after")
    def _issuer_reachable(self) -> PlatformAddonsArgs:
        addons = self.settings
        if addons.cert_manager_issuer != "self-signed" and self.aws is None and self.hosted_zone is None:
            raise SettingError(
                "certManagerIssuer",
                addons.cert_manager_issuer,
                "a Let's Encrypt issuer needs AWS (HTTP-01 via the ALB) or a hosted zone; use "
                "'self-signed' on a local cluster",
            )
        return self


class PlatformAddons(pulumi.ComponentResource):
    """Cluster-wide controllers. `cluster_issuer` and `cluster_secret_store` name what apps reference."""

    cluster_issuer: str
    cluster_secret_store: str | None
    # The store's IRSA role: it reads `secrets_path` only; a component that needs one more secret
    # through the store (the RDS-managed master secret, components.app_database) grants that ARN here.
    external_secrets_role_name: pulumi.Output[str] | None
    charts: dict[str, k8s.helm.v4.Chart]

    def __init__(self, name: str, args: PlatformAddonsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("groundwork:addons:PlatformAddons", name, None, opts)
        self._name = name
        self._args = args
        self._settings = args.settings
        self.charts = {}
        replicas = 2 if args.settings.high_availability else 1
        self._replicas = replicas

        system_namespace_labels(
            f"{name}-kube-system-pod-security",
            "kube-system",
            KUBE_SYSTEM_POD_SECURITY,
            KUBE_SYSTEM_REASON,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self._metrics_server()
        cert_manager = self._cert_manager()
        self.cluster_issuer = self._cluster_issuer(cert_manager)
        self.cluster_secret_store = None
        self.external_secrets_role_name = None
        if args.aws is not None:
            self._cluster_autoscaler(args.aws)
            self._load_balancer_controller(args.aws)
            self.cluster_secret_store = self._external_secrets(args.aws)
            if args.hosted_zone is not None:
                self._external_dns(args.aws, args.hosted_zone)
        self.register_outputs(
            {
                "cluster_issuer": self.cluster_issuer,
                "cluster_secret_store": self.cluster_secret_store,
                "external_secrets_role_name": self.external_secrets_role_name,
                "charts": sorted(self.charts),
            }
        )

    # -- helpers -------------------------------------------------------------------------------

    def _namespace(self, namespace: str, metrics_ports: tuple[int, ...] = ()) -> AppNamespace:
        """A namespace for one controller, on the shared baseline (components.namespace): Pod Security
        `restricted` enforced (the values below make every pod of these charts restricted-clean;
        `groundwork preflight --charts` checks it); all ingress denied except the admission-webhook
        ports the API server calls and, when a scraper is named, Prometheus on the metrics ports.
        Egress stays open because controllers call the Kubernetes API, AWS APIs and ACME servers,
        whose addresses change."""
        allowances = [
            Allowance(
                "allow-egress",
                "egress",
                reason="controllers call the Kubernetes API, AWS APIs and ACME servers",
            ),
            Allowance(
                "allow-webhooks",
                "ingress",
                ports=list(WEBHOOK_PORTS),
                reason="the API server calls the admission webhooks; its address is not a pod",
            ),
        ]
        if self._args.metrics_scraper is not None and metrics_ports:
            allowances.append(prometheus_scrape(self._args.metrics_scraper, metrics_ports))
        component = f"{self._name}-{namespace}"
        # Before the shared baseline these objects were created directly under PlatformAddons.
        moved = {
            f"{component}-namespace": f"{component}-ns",
            f"{component}-default-deny": f"{component}-default-deny-all",
            f"{component}-allow-egress": f"{component}-allow-egress",
            f"{component}-allow-webhooks": f"{component}-allow-webhooks",
        }
        return AppNamespace(
            component,
            platform_namespace(
                namespace,
                pod_security="restricted",
                allowances=allowances,
                moved_children=moved,
                reason="the controllers run as non-root with no host access (their chart defaults and "
                "the security contexts set in the values below meet restricted)",
                labels=environment_labels(self._args.environment),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _chart(
        self,
        key: str,
        namespace: str,
        values: Mapping[str, Any],
        depends_on: list[pulumi.Resource] | None = None,
    ) -> k8s.helm.v4.Chart:
        """One add-on's Chart at its pin (addon_charts.CHARTS), recorded in `charts` for the stack."""
        pin = CHARTS[key]
        chart = k8s.helm.v4.Chart(
            f"{self._name}-{key}",
            chart=pin.chart,
            version=pin.version,
            namespace=namespace,
            repository_opts=k8s.helm.v4.RepositoryOptsArgs(repo=pin.repo),
            values=dict(values),
            opts=pulumi.ResourceOptions(parent=self, depends_on=depends_on or []),
        )
        self.charts[key] = chart
        return chart

    def _irsa(
        self,
        key: str,
        aws_args: AwsIntegration,
        namespace: str,
        service_account: str,
        policy: pulumi.Input[dict],
    ) -> aws.iam.Role:
        """The controller's own role, trusted only by `service_account` in `namespace`."""
        return irsa_role(
            f"{self._name}-{key}-irsa",
            parent=self,
            oidc_provider_arn=aws_args.oidc_provider_arn,
            oidc_issuer=aws_args.oidc_issuer,
            namespace=namespace,
            service_account=service_account,
            tags={**self._args.tags, "component": self._name},
            policy=policy,
        )

    # -- the add-ons ---------------------------------------------------------------------------

    def _metrics_server(self) -> None:
        values = metrics_server_values(
            self._replicas, self._settings.high_availability, kubelet_insecure_tls=self._args.aws is None
        )
        self._chart("metrics-server", "kube-system", values)

    def _cluster_autoscaler(self, aws_args: AwsIntegration) -> None:
        sa = "cluster-autoscaler"
        role = self._irsa(
            sa,
            aws_args,
            "kube-system",
            sa,
            pulumi.Output.all(aws_args.cluster_name, _account_id(self), _partition(self)).apply(
                lambda parts: autoscaler_policy(parts[0], aws_args.region, parts[1], parts[2])
            ),
        )
        values = cluster_autoscaler_values(aws_args, sa, role.arn)
        self._chart("cluster-autoscaler", "kube-system", values, depends_on=[role])

    def _load_balancer_controller(self, aws_args: AwsIntegration) -> None:
        sa = "aws-load-balancer-controller"
        role = self._irsa(
            "lb-controller",
            aws_args,
            "kube-system",
            sa,
            pulumi.Output.from_input(aws_args.cluster_name).apply(load_balancer_controller_policy),
        )
        values = load_balancer_controller_values(
            aws_args, self._settings, self._replicas, self._args.tags, sa, role.arn
        )
        self._chart("aws-load-balancer-controller", "kube-system", values, depends_on=[role])

    def _external_dns(self, aws_args: AwsIntegration, zone: HostedZone) -> None:
        namespace = sa = "external-dns"
        ns = self._namespace(namespace, metrics_ports=(7979,))
        role = self._irsa(
            sa,
            aws_args,
            namespace,
            sa,
            pulumi.Output.all(zone.zone_id, _partition(self)).apply(
                lambda z: external_dns_policy(z[0], z[1])
            ),
        )
        values = external_dns_values(aws_args, zone, sa, role.arn)
        self._chart("external-dns", namespace, values, depends_on=[ns, role])

    def _cert_manager(self) -> k8s.helm.v4.Chart:
        """cert-manager; with AWS and a zone, an IRSA role lets its DNS-01 solver write that zone."""
        namespace = sa = "cert-manager"
        ns = self._namespace(namespace, metrics_ports=(9402,))
        depends: list[pulumi.Resource] = [ns]
        role_arn = None
        zone = self._args.hosted_zone
        if self._args.aws is not None and zone is not None:
            zone_id = zone.zone_id
            role = self._irsa(
                sa,
                self._args.aws,
                namespace,
                sa,
                pulumi.Output.all(zone_id, _partition(self)).apply(
                    lambda z: cert_manager_dns01_policy(z[0], z[1])
                ),
            )
            role_arn = role.arn
            depends.append(role)
        values = cert_manager_values(self._replicas, self._settings.high_availability, sa, role_arn)
        return self._chart("cert-manager", namespace, values, depends_on=depends)

    def _cluster_issuer(self, cert_manager: k8s.helm.v4.Chart) -> str:
        issuer = self._settings.cert_manager_issuer
        region = self._args.aws.region if self._args.aws is not None else None
        spec = cluster_issuer_spec(self._settings, region, self._args.hosted_zone)
        k8s.apiextensions.CustomResource(
            f"{self._name}-cluster-issuer",
            api_version="cert-manager.io/v1",
            kind="ClusterIssuer",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=issuer),
            spec=spec,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[cert_manager]),
        )
        return issuer

    def _external_secrets(self, aws_args: AwsIntegration) -> str:
        namespace = sa = "external-secrets"
        ns = self._namespace(namespace, metrics_ports=(8080,))
        role = self._irsa(
            sa,
            aws_args,
            namespace,
            sa,
            pulumi.Output.all(aws_args.kms_key_arn, _account_id(self), _partition(self)).apply(
                lambda parts: external_secrets_policy(
                    aws_args.secrets_path, aws_args.region, parts[1], parts[2], parts[0]
                )
            ),
        )
        self.external_secrets_role_name = role.name
        values = external_secrets_values(self._replicas, self._settings.high_availability, sa, role.arn)
        chart = self._chart("external-secrets", namespace, values, depends_on=[ns, role])
        # No `auth` block: the store uses the controller's own IRSA role, so no static key exists anywhere.
        k8s.apiextensions.CustomResource(
            f"{self._name}-cluster-secret-store",
            api_version="external-secrets.io/v1",
            kind="ClusterSecretStore",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=CLUSTER_SECRET_STORE),
            spec={"provider": {"aws": {"service": "SecretsManager", "region": aws_args.region}}},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[chart]),
        )
        return CLUSTER_SECRET_STORE


def _account_id(parent: pulumi.Resource) -> pulumi.Output[str]:
    """The account the policies' ARNs name (looked up, so no stack config carries it)."""
    return aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=parent)).account_id


def _partition(parent: pulumi.Resource) -> pulumi.Output[str]:
    """aws, aws-cn or aws-us-gov: the policies' ARNs hold in every partition."""
    return aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=parent)).partition


__all__ = [
    "CHARTS",
    "CLUSTER_AUTOSCALER_IMAGE",
    "RESTRICTED_CONTAINER",
    "RESTRICTED_POD",
    "TLS_POLICY",
    "AddonsSettings",
    "AwsIntegration",
    "Chart",
    "HostedZone",
    "PlatformAddons",
    "PlatformAddonsArgs",
    "autoscaler_policy",
    "cert_manager_dns01_policy",
    "external_dns_policy",
    "external_secrets_policy",
    "load_balancer_controller_policy",
]
