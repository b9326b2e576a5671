"""Kubernetes Service and Ingress rules: no unintended exposure (NodePort, public load
balancers, externalIPs) and no raw NGINX configuration snippets.
"""

from __future__ import annotations

from policy.framework import Resource, resource_rule
from policy.helpers import as_list

SERVICE = "kubernetes:core/v1:Service"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"


INTERNAL_LB_ANNOTATIONS = {
    "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal",
    "service.beta.kubernetes.io/aws-load-balancer-internal": "true",
}


@resource_rule(
    id="K8S-SVC-001",
    title="Services are not exposed through NodePorts or public load balancers",
    severity="high",
    resource_types=(SERVICE,),
    description="Checks `spec.type` is not NodePort, and is LoadBalancer only when annotated internal "
    "(`service.beta.kubernetes.io/aws-load-balancer-scheme: internal`) or named in the policy "
    "config's `publicLoadBalancers` (e.g. the ingress controller).",
    rationale="Every public load balancer is a new internet entry point that bypasses the ingress "
    "controller's TLS, WAF and authentication; NodePorts open a port on every node.",
    remediation="Use ClusterIP behind the platform's Ingress; for a reviewed exception list the Service's "
    "namespace/name in publicLoadBalancers.",
    thresholds={"publicLoadBalancers": []},
    tags=("compliance-policies:core-v1-service-disallow-load-balancer", "pulumi-examples:no-public-services"),
    aliases=("K8S-NET-001",),
)
def service_exposure(r: Resource):
    kind = r.get("spec.type") or "ClusterIP"
    if kind == "NodePort":
        yield "spec.type is NodePort: the port opens on every node"
    elif kind == "LoadBalancer":
        annotations = r.annotations
        internal = any(str(annotations.get(k, "")).lower() == v for k, v in INTERNAL_LB_ANNOTATIONS.items())
        ident = f"{r.get('metadata.namespace') or 'default'}/{r.get('metadata.name') or r.name}"
        if not internal and ident not in r.threshold("publicLoadBalancers", []):
            yield f"{ident} is a public LoadBalancer (not internal and not in publicLoadBalancers)"


@resource_rule(
    id="K8S-SVC-002",
    title="Ingresses carry no NGINX snippet annotations",
    severity="high",
    resource_types=(INGRESS,),
    description="Checks no annotation named `nginx.ingress.kubernetes.io/*-snippet` (configuration-snippet, "
    "server-snippet, auth-snippet...).",
    rationale="Snippets inject raw NGINX config; CVE-2021-25742 and IngressNightmare (CVE-2025-1974) turned "
    "them into reading the controller's service-account token and every Secret.",
    remediation="Remove the snippet; use the controller's first-class annotations or a ConfigMap reviewed by "
    "the platform team.",
    tags=("checkov:CKV_K8S_152", "checkov:CKV_K8S_153", "checkov:CKV_K8S_154"),
    aliases=("K8S-NET-003",),
)
def ingress_no_snippets(r: Resource):
    for key in r.annotations:
        if key.startswith("nginx.ingress.kubernetes.io/") and key.endswith("-snippet"):
            yield f"annotation {key} injects raw NGINX configuration"


@resource_rule(
    id="K8S-SVC-003",
    title="Services set no externalIPs",
    severity="medium",
    resource_types=(SERVICE,),
    description="Checks `spec.externalIPs` is empty.",
    rationale="externalIPs let whoever can create a Service intercept traffic to any IP (CVE-2020-8554).",
    remediation="Remove externalIPs; use a LoadBalancer or Ingress.",
)
def service_no_external_ips(r: Resource):
    if as_list(r.get("spec.externalIPs")):
        yield "spec.externalIPs is set: traffic to those IPs can be intercepted"
