"""The add-ons' pinned charts and the values each chart gets, as plain data.

components.addons creates the resources (namespaces, IRSA roles, the Charts, the ClusterIssuer and the
ClusterSecretStore); this module only says what goes into them, so a chart upgrade or a values
change is read and reviewed here, against the chart's own values.yaml at the pinned version, without
the resource wiring around it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi

if TYPE_CHECKING:
    from components.addons import AddonsSettings, AwsIntegration, HostedZone

# What Pod Security `restricted` requires of a pod and its containers. Not every controller chart
# defaults to it (the Load Balancer Controller's adds no seccomp profile and keeps its capabilities);
# the values set it on every add-on, so a chart upgrade cannot loosen the add-on namespaces, which
# enforce restricted, and the add-ons in kube-system (enforced privileged for EKS's own node agents,
# see components.addons.KUBE_SYSTEM_POD_SECURITY) meet restricted too. `groundwork preflight --charts`
# checks both.
RESTRICTED_POD = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
RESTRICTED_CONTAINER = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
    "seccompProfile": {"type": "RuntimeDefault"},
}

ACME_SERVERS = {
    "letsencrypt-staging": "https://acme-staging-v02.api.letsencrypt.org/directory",
    "letsencrypt-production": "https://acme-v02.api.letsencrypt.org/directory",
}
# TLS 1.3 plus a restricted set of TLS 1.2 AEAD ciphers (ELB's recommended "Res" policy).
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-Res-2021-06"


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

# Hardened container settings shared by the charts that expose them.
_CONTAINER_SECURITY = {
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}


def _resources(cpu: str, memory: str, memory_limit: str) -> dict[str, Any]:
    """Requests the scheduler reserves and the memory ceiling that stops a leak (K8S-POD-012)."""
    return {"requests": {"cpu": cpu, "memory": memory}, "limits": {"memory": memory_limit}}


def _pdb(high_availability: bool) -> dict[str, Any]:
    """A PodDisruptionBudget when the controllers run highly available: drains evict one at a time."""
    return {"enabled": high_availability, "maxUnavailable": 1}


def _irsa_account(name: str, role_arn: pulumi.Input[str]) -> dict[str, Any]:
    """The chart-created service account, annotated with the IRSA role its pods assume."""
    return {"create": True, "name": name, "annotations": {"eks.amazonaws.com/role-arn": role_arn}}


def metrics_server_values(
    replicas: int, high_availability: bool, kubelet_insecure_tls: bool
) -> dict[str, Any]:
    """metrics-server; `kubelet_insecure_tls` for kind, whose kubelets serve self-signed certificates
    that metrics-server cannot verify."""
    # The chart's defaultArgs already carry --metric-resolution=15s; `args` only adds to them.
    args = ["--kubelet-insecure-tls"] if kubelet_insecure_tls else []
    return {
        "replicas": replicas,
        "podDisruptionBudget": _pdb(high_availability),
        "args": args,
        "priorityClassName": "system-cluster-critical",
        "podSecurityContext": RESTRICTED_POD,
        "securityContext": _CONTAINER_SECURITY,
        "resources": _resources("100m", "200Mi", "400Mi"),
    }


def cluster_autoscaler_values(
    aws_args: AwsIntegration, service_account: str, role_arn: pulumi.Input[str]
) -> dict[str, Any]:
    """cluster-autoscaler, one replica, its image matched to the cluster's minor version."""
    return {
        "cloudProvider": "aws",
        "awsRegion": aws_args.region,
        "autoDiscovery": {"clusterName": aws_args.cluster_name},
        "image": {"tag": CLUSTER_AUTOSCALER_IMAGE[aws_args.kubernetes_version]},
        "rbac": {"serviceAccount": _irsa_account(service_account, role_arn)},
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
        "containerSecurityContext": {k: v for k, v in _CONTAINER_SECURITY.items() if k != "seccompProfile"},
        "resources": _resources("100m", "300Mi", "600Mi"),
    }


def load_balancer_controller_values(
    aws_args: AwsIntegration,
    settings: AddonsSettings,
    replicas: int,
    tags: Mapping[str, str],
    service_account: str,
    role_arn: pulumi.Input[str],
) -> dict[str, Any]:
    """The AWS Load Balancer Controller: IP targets, the TLS 1.3 policy, the settings' scheme (internal
    unless asked), this stack's tags on every load balancer, Gateway API on."""
    return {
        "clusterName": aws_args.cluster_name,
        "region": aws_args.region,
        "vpcId": aws_args.vpc_id,
        "replicaCount": replicas,
        "serviceAccount": _irsa_account(service_account, role_arn),
        "defaultTargetType": "ip",
        "defaultSSLPolicy": TLS_POLICY,
        "defaultLoadBalancerScheme": settings.load_balancer_scheme,
        "defaultTags": dict(tags),
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
    }


def external_dns_values(
    aws_args: AwsIntegration, zone: HostedZone, service_account: str, role_arn: pulumi.Input[str]
) -> dict[str, Any]:
    """external-dns, upsert-only in the one zone: it never deletes a record it did not create."""
    return {
        "provider": {"name": "aws"},
        "policy": "upsert-only",
        "registry": "txt",
        "txtOwnerId": aws_args.cluster_name,
        "domainFilters": [zone.domain],
        "extraArgs": [pulumi.Output.concat("--zone-id-filter=", zone.zone_id)],
        "sources": ["service", "ingress"],
        "podSecurityContext": RESTRICTED_POD,
        "securityContext": RESTRICTED_CONTAINER,
        "env": [{"name": "AWS_DEFAULT_REGION", "value": aws_args.region}],
        "resources": _resources("50m", "64Mi", "128Mi"),
        "serviceAccount": _irsa_account(service_account, role_arn),
        "priorityClassName": "system-cluster-critical",
    }


def _cert_manager_part(
    replicas: int, high_availability: bool, memory: str, memory_limit: str
) -> dict[str, Any]:
    """One of cert-manager's three deployments (controller settings sit at the top level)."""
    return {
        "replicaCount": replicas,
        "podDisruptionBudget": _pdb(high_availability),
        "securityContext": RESTRICTED_POD,
        "containerSecurityContext": RESTRICTED_CONTAINER,
        "resources": _resources("50m", memory, memory_limit),
    }


def cert_manager_values(
    replicas: int, high_availability: bool, service_account: str, role_arn: pulumi.Input[str] | None
) -> dict[str, Any]:
    """cert-manager with its CRDs kept on uninstall; `role_arn` is the DNS-01 solver's IRSA role, None
    when ACME solves HTTP-01 or the issuer is self-signed."""
    account: dict[str, Any] = {"create": True, "name": service_account}
    if role_arn is not None:
        account["annotations"] = {"eks.amazonaws.com/role-arn": role_arn}
    return {
        "crds": {"enabled": True, "keep": True},
        **_cert_manager_part(replicas, high_availability, "64Mi", "256Mi"),
        "webhook": _cert_manager_part(replicas, high_availability, "64Mi", "128Mi"),
        "cainjector": _cert_manager_part(replicas, high_availability, "128Mi", "512Mi"),
        # A post-install hook Job, which Chart v4 never runs: off, so nothing pretends to check.
        # Readiness comes from Chart v4 waiting for the webhook Deployment to become available.
        "startupapicheck": {"enabled": False},
        "serviceAccount": account,
        "global": {"priorityClassName": "system-cluster-critical"},
    }


def external_secrets_values(
    replicas: int, high_availability: bool, service_account: str, role_arn: pulumi.Input[str]
) -> dict[str, Any]:
    """external-secrets with its CRDs; only the controller holds the IRSA role that reads secrets."""
    return {
        "installCRDs": True,
        "replicaCount": replicas,
        "leaderElect": high_availability,
        "podDisruptionBudget": _pdb(high_availability),
        "serviceAccount": _irsa_account(service_account, role_arn),
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
    }


def cluster_issuer_spec(
    settings: AddonsSettings, region: str | None, zone: HostedZone | None
) -> dict[str, Any]:
    """The ClusterIssuer's spec: self-signed, or ACME solving DNS-01 in the zone when AWS and a zone are
    given (`region` set), else HTTP-01 through the ALB ingress class."""
    issuer = settings.cert_manager_issuer
    if issuer == "self-signed":
        return {"selfSigned": {}}
    if zone is not None and region is not None:
        solver: dict[str, Any] = {
            "selector": {"dnsZones": [zone.domain]},
            "dns01": {"route53": {"region": region, "hostedZoneID": zone.zone_id}},
        }
    else:
        solver = {"http01": {"ingress": {"ingressClassName": "alb"}}}
    acme: dict[str, Any] = {
        "server": ACME_SERVERS[issuer],
        "privateKeySecretRef": {"name": f"{issuer}-account-key"},
        "solvers": [solver],
    }
    if settings.acme_email:
        acme["email"] = settings.acme_email
    return {"acme": acme}
