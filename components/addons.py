"""The platform add-ons every cluster runs, from pinned Helm charts with values built from typed args.

On EKS (`aws` set): metrics-server, cluster-autoscaler, the AWS Load Balancer Controller (internal,
IP targets, TLS 1.3 policy, Gateway API feature gates on), cert-manager with a ClusterIssuer,
external-secrets with a ClusterSecretStore for this stack's Secrets Manager path, and external-dns
when a hosted zone is named. Each controller that calls AWS gets its own IRSA role, trusted only by
its service account and limited to this cluster's resources.

Locally (`aws` None): only what runs on kind without AWS: metrics-server and cert-manager with a
self-signed ClusterIssuer.

ingress-nginx is deliberately absent: it is retired (no releases or security fixes after March 2026).
The IRSA roles' policy documents live in components._lib.addon_policies (re-exported here).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
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

# What Pod Security `restricted` requires of a pod and its containers. Not every controller chart
# defaults to it (the Load Balancer Controller's adds no seccomp profile and keeps its capabilities);
# the values set it on every add-on, so a chart upgrade cannot loosen the add-on namespaces, which
# enforce restricted, and the add-ons in kube-system (enforced privileged for EKS's own node agents,
# see KUBE_SYSTEM_POD_SECURITY) meet restricted too. `groundwork preflight --charts` checks both.
RESTRICTED_POD = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
RESTRICTED_CONTAINER = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
    "seccompProfile": {"type": "RuntimeDefault"},
}

IssuerKind = Literal["letsencrypt-staging", "letsencrypt-production", "self-signed"]
ACME_SERVERS = {
    "letsencrypt-staging": "https://acme-staging-v02.api.letsencrypt.org/directory",
    "letsencrypt-production": "https://acme-v02.api.letsencrypt.org/directory",
}
# TLS 1.3 plus a restricted set of TLS 1.2 AEAD ciphers (ELB's recommended "Res" policy).
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-Res-2021-06"
CLUSTER_SECRET_STORE = "aws-secrets-manager"
# Where cert-manager and external-secrets serve their admission webhooks (chart defaults).
WEBHOOK_PORTS = (10250, 9443)


@dataclass(frozen=True)
class Chart:
    """A pinned chart: name, exact version and the repository it comes from."""

    chart: str
    version: str
    repo: str


# Each version confirmed at its release tag in the chart's own repository (docs/charts.md lists the tag).
CHARTS: dict[str, Chart] = {
    "metrics-server": Chart("metrics-server", "3.13.1", "https://kubernetes-sigs.github.io/metrics-server/"),
    "cluster-autoscaler": Chart("cluster-autoscaler", "9.59.0", "https://kubernetes.github.io/autoscaler"),
    "aws-load-balancer-controller": Chart(
        "aws-load-balancer-controller", "3.5.0", "https://aws.github.io/eks-charts"
    ),
    "external-dns": Chart("external-dns", "1.21.1", "https://kubernetes-sigs.github.io/external-dns/"),
    "cert-manager": Chart("cert-manager", "v1.21.1", "https://charts.jetstack.io"),
    "external-secrets": Chart("external-secrets", "2.9.0", "https://charts.external-secrets.io"),
}
# The autoscaler must match the cluster's minor version; chart 9.59.0 still ships v1.35.0 as default.
CLUSTER_AUTOSCALER_IMAGE = {"1.36": "v1.36.1", "1.35": "v1.35.1", "1.34": "v1.34.4"}

# kube-system runs the cluster's own node agents (EKS: aws-node, kube-proxy, the EBS CSI node
# plugin; kind: kindnet, kube-proxy), which need host networking, host paths and privileged
# containers: only `privileged` admits them. Audit and warn stay at restricted.
KUBE_SYSTEM_POD_SECURITY = "privileged"
KUBE_SYSTEM_REASON = (
    "the cluster's node agents (aws-node, kube-proxy, ebs-csi-node; on kind kindnet and kube-proxy) "
    "run privileged with host networking and host paths; the platform's add-ons here (metrics-server, "
    "cluster-autoscaler, aws-load-balancer-controller) meet restricted"
)


def _resources(cpu: str, memory: str, memory_limit: str) -> dict[str, Any]:
    """Requests the scheduler reserves and the memory ceiling that stops a leak (K8S-POD-012)."""
    return {"requests": {"cpu": cpu, "memory": memory}, "limits": {"memory": memory_limit}}


# Hardened container settings shared by the charts that expose them.
_CONTAINER_SECURITY = {
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}


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

    def _pdb(self) -> dict[str, Any]:
        return {"enabled": self._settings.high_availability, "maxUnavailable": 1}

    # -- the add-ons ---------------------------------------------------------------------------

    def _metrics_server(self) -> None:
        # The chart's defaultArgs already carry --metric-resolution=15s; `args` only adds to them.
        args: list[str] = []
        if self._args.aws is None:
            # kind's kubelets serve self-signed certificates that metrics-server cannot verify.
            args.append("--kubelet-insecure-tls")
        self._chart(
            "metrics-server",
            "kube-system",
            {
                "replicas": self._replicas,
                "podDisruptionBudget": self._pdb(),
                "args": args,
                "priorityClassName": "system-cluster-critical",
                "podSecurityContext": RESTRICTED_POD,
                "securityContext": _CONTAINER_SECURITY,
                "resources": _resources("100m", "200Mi", "400Mi"),
            },
        )

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
        self._chart(
            "cluster-autoscaler",
            "kube-system",
            {
                "cloudProvider": "aws",
                "awsRegion": aws_args.region,
                "autoDiscovery": {"clusterName": aws_args.cluster_name},
                "image": {"tag": CLUSTER_AUTOSCALER_IMAGE[aws_args.kubernetes_version]},
                "rbac": {
                    "serviceAccount": {
                        "create": True,
                        "name": sa,
                        "annotations": {"eks.amazonaws.com/role-arn": role.arn},
                    }
                },
                "extraArgs": {
                    "balance-similar-node-groups": True,
                    "skip-nodes-with-system-pods": False,
                    "expander": "least-waste",
                },
                "replicaCount": 1,
                "priorityClassName": "system-cluster-critical",
                "securityContext": {
                    "runAsNonRoot": True,
                    "runAsUser": 65534,
                    "fsGroup": 65534,
                    "seccompProfile": {"type": "RuntimeDefault"},
                },
                "containerSecurityContext": {
                    k: v for k, v in _CONTAINER_SECURITY.items() if k != "seccompProfile"
                },
                "resources": _resources("100m", "300Mi", "600Mi"),
            },
            depends_on=[role],
        )

    def _load_balancer_controller(self, aws_args: AwsIntegration) -> None:
        sa = "aws-load-balancer-controller"
        role = self._irsa(
            "lb-controller",
            aws_args,
            "kube-system",
            sa,
            pulumi.Output.from_input(aws_args.cluster_name).apply(load_balancer_controller_policy),
        )
        self._chart(
            "aws-load-balancer-controller",
            "kube-system",
            {
                "clusterName": aws_args.cluster_name,
                "region": aws_args.region,
                "vpcId": aws_args.vpc_id,
                "replicaCount": self._replicas,
                "serviceAccount": {
                    "create": True,
                    "name": sa,
                    "annotations": {"eks.amazonaws.com/role-arn": role.arn},
                },
                "defaultTargetType": "ip",
                "defaultSSLPolicy": TLS_POLICY,
                "defaultLoadBalancerScheme": self._settings.load_balancer_scheme,
                "defaultTags": dict(self._args.tags),
                "createIngressClassResource": True,
                "ingressClass": "alb",
                # Gateway API: the controller serves ALB/NLB Gateways once the Gateway API CRDs exist.
                "controllerConfig": {"featureGates": {"ALBGatewayAPI": True, "NLBGatewayAPI": True}},
                # Groundwork attaches WAFv2 web ACLs only: without Shield Advanced and WAF Classic the
                # controller needs none of their permissions (components._lib.addon_policies).
                "enableShield": False,
                "enableWaf": False,
                "podDisruptionBudget": {"maxUnavailable": 1},
                "priorityClassName": "system-cluster-critical",
                # The chart's defaults keep the runtime's capabilities and no seccomp profile.
                "podSecurityContext": {"fsGroup": 65534, **RESTRICTED_POD},
                "securityContext": RESTRICTED_CONTAINER,
                "resources": _resources("100m", "128Mi", "256Mi"),
                # The chart's IngressClassParams is elbv2.k8s.aws/v1beta1 (K8S-API-001) and would carry
                # nothing here: scheme, target type and TLS policy are the controller defaults above.
                "ingressClassParams": {"create": False},
            },
            depends_on=[role],
        )

    def _external_dns(self, aws_args: AwsIntegration, zone: HostedZone) -> None:
        namespace = sa = "external-dns"
        zone_id = zone.zone_id
        ns = self._namespace(namespace, metrics_ports=(7979,))
        role = self._irsa(
            sa,
            aws_args,
            namespace,
            sa,
            pulumi.Output.all(zone_id, _partition(self)).apply(lambda z: external_dns_policy(z[0], z[1])),
        )
        self._chart(
            "external-dns",
            namespace,
            {
                "provider": {"name": "aws"},
                "policy": "upsert-only",
                "registry": "txt",
                "txtOwnerId": aws_args.cluster_name,
                "domainFilters": [zone.domain],
                "extraArgs": [pulumi.Output.concat("--zone-id-filter=", zone_id)],
                "sources": ["service", "ingress"],
                "podSecurityContext": RESTRICTED_POD,
                "securityContext": RESTRICTED_CONTAINER,
                "env": [{"name": "AWS_DEFAULT_REGION", "value": aws_args.region}],
                "resources": _resources("50m", "64Mi", "128Mi"),
                "serviceAccount": {
                    "create": True,
                    "name": sa,
                    "annotations": {"eks.amazonaws.com/role-arn": role.arn},
                },
                "priorityClassName": "system-cluster-critical",
            },
            depends_on=[ns, role],
        )

    def _cert_manager(self) -> k8s.helm.v4.Chart:
        namespace = sa = "cert-manager"
        ns = self._namespace(namespace, metrics_ports=(9402,))
        values: dict[str, Any] = {
            "crds": {"enabled": True, "keep": True},
            "replicaCount": self._replicas,
            "podDisruptionBudget": self._pdb(),
            "securityContext": RESTRICTED_POD,
            "containerSecurityContext": RESTRICTED_CONTAINER,
            "resources": _resources("50m", "64Mi", "256Mi"),
            "webhook": {
                "replicaCount": self._replicas,
                "podDisruptionBudget": self._pdb(),
                "securityContext": RESTRICTED_POD,
                "containerSecurityContext": RESTRICTED_CONTAINER,
                "resources": _resources("50m", "64Mi", "128Mi"),
            },
            "cainjector": {
                "replicaCount": self._replicas,
                "podDisruptionBudget": self._pdb(),
                "securityContext": RESTRICTED_POD,
                "containerSecurityContext": RESTRICTED_CONTAINER,
                "resources": _resources("50m", "128Mi", "512Mi"),
            },
            # A post-install hook Job, which Chart v4 never runs: off, so nothing pretends to check.
            # Readiness comes from Chart v4 waiting for the webhook Deployment to become available.
            "startupapicheck": {"enabled": False},
            "serviceAccount": {"create": True, "name": sa},
            "global": {"priorityClassName": "system-cluster-critical"},
        }
        depends: list[pulumi.Resource] = [ns]
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
            values["serviceAccount"]["annotations"] = {"eks.amazonaws.com/role-arn": role.arn}
            depends.append(role)
        return self._chart("cert-manager", namespace, values, depends_on=depends)

    def _cluster_issuer(self, cert_manager: k8s.helm.v4.Chart) -> str:
        issuer = self._settings.cert_manager_issuer
        if issuer == "self-signed":
            spec: dict[str, Any] = {"selfSigned": {}}
        else:
            zone = self._args.hosted_zone
            if zone is not None and self._args.aws is not None:
                solver: dict[str, Any] = {
                    "selector": {"dnsZones": [zone.domain]},
                    "dns01": {
                        "route53": {
                            "region": self._args.aws.region,
                            "hostedZoneID": zone.zone_id,
                        }
                    },
                }
            else:
                solver = {"http01": {"ingress": {"ingressClassName": "alb"}}}
            acme: dict[str, Any] = {
                "server": ACME_SERVERS[issuer],
                "privateKeySecretRef": {"name": f"{issuer}-account-key"},
                "solvers": [solver],
            }
            if self._settings.acme_email:
                acme["email"] = self._settings.acme_email
            spec = {"acme": acme}
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
        chart = self._chart(
            "external-secrets",
            namespace,
            {
                "installCRDs": True,
                "replicaCount": self._replicas,
                "leaderElect": self._settings.high_availability,
                "podDisruptionBudget": self._pdb(),
                "serviceAccount": {
                    "create": True,
                    "name": sa,
                    "annotations": {"eks.amazonaws.com/role-arn": role.arn},
                },
                "priorityClassName": "system-cluster-critical",
                "podSecurityContext": RESTRICTED_POD,
                "securityContext": RESTRICTED_CONTAINER,
                "resources": _resources("50m", "64Mi", "256Mi"),
                "webhook": {
                    "podSecurityContext": RESTRICTED_POD,
                    "securityContext": RESTRICTED_CONTAINER,
                    "resources": _resources("50m", "64Mi", "128Mi"),
                    # The webhook only validates the objects it is sent; it has no role to call the API.
                    "serviceAccount": {"automount": False},
                },
                "certController": {
                    "podSecurityContext": RESTRICTED_POD,
                    "securityContext": RESTRICTED_CONTAINER,
                    "resources": _resources("50m", "64Mi", "256Mi"),
                },
            },
            depends_on=[ns, role],
        )
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
    return aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=parent)).account_id


def _partition(parent: pulumi.Resource) -> pulumi.Output[str]:
    return aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=parent)).partition


__all__ = [
    "AddonsSettings",
    "AwsIntegration",
    "PlatformAddons",
    "PlatformAddonsArgs",
    "autoscaler_policy",
    "cert_manager_dns01_policy",
    "external_dns_policy",
    "external_secrets_policy",
    "load_balancer_controller_policy",
]
