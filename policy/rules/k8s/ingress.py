"""Ingress rules for the AWS Load Balancer Controller's ALBs: only the declared IngressClasses, and on
an ALB Ingress HTTPS only, a TLS 1.3 policy, access logs, and a web ACL when it is internet-facing.

The annotation names are the controller's (docs/guide/ingress/annotations.md at v3.5.0, the pinned
chart's app version). An ALB Ingress is one of class `alb` or carrying the controller's annotations.
A value that is only known after deploy (a certificate or bucket from another resource) makes the rule
unable to tell at preview, as pulumi_policy reports.
"""

from __future__ import annotations

import json

from pulumi_policy.proxy import UnknownValueError

from policy.framework import Resource, resource_rule

INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
ALB = "alb.ingress.kubernetes.io/"
WAF_ANNOTATION = f"{ALB}wafv2-acl-arn"


def _is_alb(r: Resource) -> bool:
    return r.get("spec.ingressClassName") == "alb" or any(k.startswith(ALB) for k in r.annotations)


def _annotation(r: Resource, name: str) -> str | None:
    value = r.annotations.get(f"{ALB}{name}")
    return None if value is None else str(value)


@resource_rule(
    id="K8S-ING-001",
    title="Ingresses use a declared IngressClass",
    severity="medium",
    resource_types=(INGRESS,),
    description="Checks `spec.ingressClassName` is one of `allowedClasses` (default: alb, the AWS Load "
    "Balancer Controller's class) and the deprecated `kubernetes.io/ingress.class` annotation is unset.",
    rationale="An Ingress without a class, or on an undeclared one, is picked up by whichever controller "
    "claims it (or a default class), outside the TLS, WAF and logging the platform's classes enforce.",
    remediation="Set `spec.ingressClassName` to a declared class; list another reviewed class in the policy "
    "config's allowedClasses.",
    thresholds={"allowedClasses": ["alb"]},
)
def ingress_declared_class(r: Resource):
    allowed = list(r.threshold("allowedClasses", ["alb"]))
    name = r.get("spec.ingressClassName")
    if name not in allowed:
        yield f"spec.ingressClassName is {name!r}; allowed: {', '.join(allowed)}"
    if "kubernetes.io/ingress.class" in r.annotations:
        yield "the deprecated kubernetes.io/ingress.class annotation is set; use spec.ingressClassName"


@resource_rule(
    id="K8S-ING-002",
    title="ALB Ingresses listen on HTTPS only and redirect HTTP",
    severity="high",
    resource_types=(INGRESS,),
    description=f"On an ALB Ingress, `{ALB}listen-ports` lists HTTPS 443 and at most HTTP 80, and HTTP "
    f"80 is there only with `{ALB}ssl-redirect: '443'` (the controller answers it with a redirect).",
    rationale="A plain-HTTP listener that forwards sends credentials and session cookies in clear text "
    "across the internet; the controller listens on HTTP 80 only when listen-ports is unset.",
    remediation='Set listen-ports to [{"HTTP": 80}, {"HTTPS": 443}] with ssl-redirect 443, as '
    "components.edge does.",
    tags=("checkov:CKV_AWS_2", "fsbp:ELB.1"),
)
def alb_https_only(r: Resource):
    if not _is_alb(r):
        return
    raw = _annotation(r, "listen-ports")
    try:
        ports = [(str(k), int(v)) for entry in json.loads(raw or "[]") for k, v in dict(entry).items()]
    except (ValueError, TypeError, AttributeError):
        yield f"listen-ports {raw!r} is not a JSON list of {{protocol: port}}"
        return
    if ("HTTPS", 443) not in ports:
        yield f"listen-ports {raw!r} has no HTTPS 443 listener"
    for protocol, port in ports:
        if (protocol, port) == ("HTTP", 80):
            if _annotation(r, "ssl-redirect") != "443":
                yield "HTTP 80 is open without ssl-redirect: '443': it forwards plain HTTP"
        elif (protocol, port) != ("HTTPS", 443):
            yield f"listen-ports opens {protocol} {port}; only HTTPS 443 and a redirecting HTTP 80 may be"


@resource_rule(
    id="K8S-ING-003",
    title="ALB Ingresses use a TLS 1.3 security policy",
    severity="high",
    resource_types=(INGRESS,),
    description=f"On an ALB Ingress, `{ALB}ssl-policy` is set and is one of the ELBSecurityPolicy-TLS13-* "
    "family (TLS 1.3, and TLS 1.2 with forward-secret ciphers only).",
    rationale="The controller's documented default, ELBSecurityPolicy-2016-08, still accepts TLS 1.0 and "
    "1.1 and CBC ciphers; an Ingress must not depend on a chart default to avoid them.",
    remediation="Set ssl-policy to ELBSecurityPolicy-TLS13-1-2-Res-2021-06, as components.edge does.",
    tags=("checkov:CKV_AWS_103", "fsbp:ELB.17"),
)
def alb_tls13_policy(r: Resource):
    if not _is_alb(r):
        return
    policy = _annotation(r, "ssl-policy")
    if policy is None or not policy.startswith("ELBSecurityPolicy-TLS13-"):
        yield f"ssl-policy is {policy!r}; use an ELBSecurityPolicy-TLS13-* policy"


@resource_rule(
    id="K8S-ING-004",
    title="ALB Ingresses write access logs",
    severity="medium",
    resource_types=(INGRESS,),
    description=f"On an ALB Ingress, `{ALB}load-balancer-attributes` has `access_logs.s3.enabled=true` "
    "and an `access_logs.s3.bucket`.",
    rationale="Access logs are the only record of each request the load balancer served or refused: "
    "client, path, status, TLS version; an incident without them has no timeline.",
    remediation="Pass the stack's ALB access-log bucket to components.edge (`access_log_bucket`).",
    tags=("checkov:CKV_AWS_91", "fsbp:ELB.5"),
)
def alb_access_logs(r: Resource):
    if not _is_alb(r):
        return
    raw = _annotation(r, "load-balancer-attributes") or ""
    attributes = dict(item.split("=", 1) for item in raw.split(",") if "=" in item)
    if attributes.get("access_logs.s3.enabled") != "true" or not attributes.get("access_logs.s3.bucket"):
        yield "load-balancer-attributes do not enable access_logs.s3 with a bucket"


@resource_rule(
    id="K8S-ING-005",
    title="Internet-facing ALB Ingresses carry a WAF web ACL",
    severity="high",
    resource_types=(INGRESS,),
    description=f"An ALB Ingress with `{ALB}scheme: internet-facing` sets `{WAF_ANNOTATION}` to a web "
    "ACL (not empty, not `none`). The annotation is Exclusive across an IngressGroup, so every "
    "Ingress of a public group must carry it.",
    rationale="A public load balancer without a web ACL meets scanners, known exploit payloads and "
    "floods with nothing between them and the apps.",
    remediation="Expose the app `public` on an AWS stack: the stack creates the web ACL (components.waf) "
    "and annotates every public Ingress with it.",
    tags=("checkov:CKV2_AWS_28",),
)
def public_alb_waf(r: Resource):
    if not _is_alb(r) or _annotation(r, "scheme") != "internet-facing":
        return
    if WAF_ANNOTATION not in r.annotations:
        yield f"internet-facing without {WAF_ANNOTATION}: no web ACL filters its traffic"
        return
    try:
        value = str(r.annotations[WAF_ANNOTATION]).strip()
    except UnknownValueError:
        return  # the ACL's ARN, known once it exists
    if value in ("", "none"):
        yield f"{WAF_ANNOTATION} is {value!r}: the web ACL is switched off"
