"""The apps' HTTPS entry: one Ingress per exposed app, joining the stack's shared ALB for its exposure.

Every app exposed `public` joins the IngressGroup `<prefix>-public` (one internet-facing ALB), every
`internal` one `<prefix>-internal` (one ALB inside the VPC), rather than one ALB per app: the ALB is
billed per hour, and one certificate (components.dns) covers every host. The AWS Load Balancer
Controller (v3.5.0, the pinned chart's app version) reads the annotations below; their names are
those of its docs/guide/ingress/annotations.md at that tag. The load balancer settings (`scheme`,
`ssl-redirect`, `ssl-policy`, `load-balancer-attributes`) are "Exclusive" there: every Ingress of a
group must carry the same value or the controller refuses the whole group, so each Ingress carries
all of them, built from the one exposure they share, never from the app.

The public group's web ACL (components.waf) is attached with the `wafv2-acl-arn` annotation, not
IngressClassParams `spec.wafv2AclArn`: both exposures share the chart's one IngressClass `alb`, so
class params would put the public ACL on the internal ALB too, and IngressClassParams is still
elbv2.k8s.aws/v1beta1 at v3.5.0 (K8S-API-001). The annotation is Exclusive, so every public Ingress
carries the same ARN; the controller's docs warn that anyone who may create Ingresses in a group's
namespace can change it, which here is the platform's program alone (app teams declare apps, not
Ingresses). A class per exposure with its own params is the stricter follow-up.

`load-balancer-name` (Exclusive too) fixes each ALB's name, `<prefix>-<exposure>`, which is how the
edge alarms find its metrics (components.edge_alarms).

Both ALBs are placed in the public subnets (`subnets`), the internal one too: its scheme gives it
private addresses only, and the public subnets hold no pods (the VPC CNI gives pods addresses in the
private subnets), so an app's NetworkPolicy admits its ALB by the public subnets' ranges without
admitting every pod of the VPC, which the private subnets' ranges would.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Literal

import pulumi
import pulumi_kubernetes as k8s
from pydantic import Field, field_validator

from components._lib.args import ComponentArgs, Input
from components.addons import TLS_POLICY

PREFIX = "alb.ingress.kubernetes.io"
SCHEMES = {"public": "internet-facing", "internal": "internal"}
_GROUP = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,50}[a-z0-9])?$")


class IngressRoute(ComponentArgs):
    """One exposed app: where the ALB sends which host and paths."""

    app: str = Field(min_length=1, max_length=40, description="The app; its Service has the same name.")
    exposure: Literal["public", "internal"] = Field(description="Which shared load balancer it joins.")
    host: str = Field(min_length=3, max_length=253, description="The full name it answers on.")
    paths: tuple[str, ...] = Field(min_length=1, max_length=10, description="Path prefixes.")
    port: int = Field(ge=1024, le=65535, description="The Service port (the container's port).")
    health_path: str | None = Field(
        default="/healthz",
        description="The target group's health check path (the app's health.path); None (the app's "
        "probes are TCP connects) checks the first of `paths` and counts any answer below 500 as healthy.",
    )


class AppIngressesArgs(ComponentArgs):
    """The exposed apps, the certificate and what the load balancers must keep on."""

    group_prefix: str = Field(description="Prefix of the IngressGroup names (the stack's name).")
    namespace: str = Field(description="The app namespace.")
    routes: tuple[IngressRoute, ...] = Field(min_length=1, description="One per exposed app.")
    certificate_arn: Input[str] = Field(
        exclude=True,
        description="The validated ACM certificate (components.dns), used by the HTTPS listener.",
    )
    subnet_ids: Input[list[str]] = Field(
        exclude=True,
        description="Where both ALBs live: the public subnets, which hold no pods, so the apps' "
        "NetworkPolicies can admit the ALBs by those subnets' ranges alone.",
    )
    ingress_class: str = Field(default="alb", description="The Load Balancer Controller's IngressClass.")
    ssl_policy: str = Field(default=TLS_POLICY, description="The HTTPS listener's TLS policy.")
    deletion_protection: bool = Field(
        default=True, description="The ALBs refuse deletion (the stack's stateful protection)."
    )
    web_acl_arn: Input[str] | None = Field(
        default=None,
        exclude=True,
        description="The WAFv2 web ACL of the public ALB (components.waf); None only where no app is public.",
    )
    access_log_bucket: Input[str] | None = Field(
        default=None,
        exclude=True,
        description="The bucket (name) both ALBs write access logs into, under their exposure's prefix "
        "(components.alb_logs); None turns access logs off.",
    )

    @field_validator("group_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        if not _GROUP.match(value):
            raise ValueError("lower-case letters, digits, - and ., at most 52 characters (group.name <= 63)")
        return value


def load_balancer_name(group_prefix: str, exposure: str) -> str:
    """The ALB's fixed name, so the edge alarms can find it (components.edge_alarms): `<prefix>-<exposure>`
    with `.` as `-` (ELB names take letters, digits and -), and past ELB's 32 characters the prefix cut
    and an 8-character digest of the whole group name added, so two long prefixes never collide."""
    name = f"{group_prefix}-{exposure}".replace(".", "-")
    if len(name) <= 32:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: 32 - len(exposure) - 10].rstrip('-')}-{digest}-{exposure}"


def load_balancer_attributes(args: AppIngressesArgs, exposure: str) -> pulumi.Output[str]:
    """The ALB attributes (docs/guide/ingress/annotations.md#load-balancer-attributes): deletion
    protection from the stack, invalid header fields dropped, access logs under the exposure's prefix."""
    attributes: dict[str, pulumi.Input[str]] = {
        "deletion_protection.enabled": str(args.deletion_protection).lower(),
        "routing.http.drop_invalid_header_fields.enabled": "true",
    }
    if args.access_log_bucket is not None:
        attributes.update(
            {
                "access_logs.s3.enabled": "true",
                "access_logs.s3.bucket": args.access_log_bucket,
                "access_logs.s3.prefix": exposure,
            }
        )
    return pulumi.Output.all(*attributes.values()).apply(
        lambda values: ",".join(f"{k}={v}" for k, v in zip(attributes, values, strict=True))
    )


def group_annotations(args: AppIngressesArgs, exposure: str) -> dict[str, pulumi.Input[str]]:
    """What every Ingress of one exposure carries: the same value for each Exclusive annotation."""
    annotations: dict[str, pulumi.Input[str]] = {
        f"{PREFIX}/group.name": f"{args.group_prefix}-{exposure}",
        f"{PREFIX}/load-balancer-name": load_balancer_name(args.group_prefix, exposure),
        f"{PREFIX}/scheme": SCHEMES[exposure],
        f"{PREFIX}/target-type": "ip",
        f"{PREFIX}/listen-ports": json.dumps([{"HTTP": 80}, {"HTTPS": 443}]),
        f"{PREFIX}/ssl-redirect": "443",
        f"{PREFIX}/certificate-arn": args.certificate_arn,
        f"{PREFIX}/subnets": pulumi.Output.from_input(args.subnet_ids).apply(",".join),
        f"{PREFIX}/ssl-policy": args.ssl_policy,
        f"{PREFIX}/load-balancer-attributes": load_balancer_attributes(args, exposure),
    }
    if exposure == "public" and args.web_acl_arn is not None:
        # Exclusive too: every Ingress of the public group names the same ACL.
        annotations[f"{PREFIX}/wafv2-acl-arn"] = args.web_acl_arn
    return annotations


def health_annotations(route: IngressRoute) -> dict[str, str]:
    """The target group's health check. An app without an HTTP health path (TCP probes) is checked on
    the first path it is exposed on, which it serves, and any answer below 500 counts: the server is up,
    which is all a TCP probe proves. Without this the controller would check `/`, which the app may
    not serve, and mark every target unhealthy."""
    if route.health_path is not None:
        return {f"{PREFIX}/healthcheck-path": route.health_path}
    return {f"{PREFIX}/healthcheck-path": route.paths[0], f"{PREFIX}/success-codes": "200-499"}


class AppIngresses(pulumi.ComponentResource):
    """One Ingress per exposed app, in the app namespace, joined to its exposure's IngressGroup."""

    hosts: dict[str, str]

    def __init__(self, name: str, args: AppIngressesArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("groundwork:edge:AppIngresses", name, None, opts)
        self.hosts = {}
        for route in args.routes:
            annotations = {**group_annotations(args, route.exposure), **health_annotations(route)}
            backend = k8s.networking.v1.IngressBackendArgs(
                service=k8s.networking.v1.IngressServiceBackendArgs(
                    name=route.app, port=k8s.networking.v1.ServiceBackendPortArgs(number=route.port)
                )
            )
            k8s.networking.v1.Ingress(
                f"{name}-{route.app}",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=route.app,
                    namespace=args.namespace,
                    annotations=annotations,
                    labels={"app.kubernetes.io/name": route.app, "app.kubernetes.io/managed-by": "pulumi"},
                ),
                spec=k8s.networking.v1.IngressSpecArgs(
                    ingress_class_name=args.ingress_class,
                    rules=[
                        k8s.networking.v1.IngressRuleArgs(
                            host=route.host,
                            http=k8s.networking.v1.HTTPIngressRuleValueArgs(
                                paths=[
                                    k8s.networking.v1.HTTPIngressPathArgs(
                                        path=path, path_type="Prefix", backend=backend
                                    )
                                    for path in route.paths
                                ]
                            ),
                        )
                    ],
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.hosts[route.app] = route.host
        self.register_outputs({"hosts": self.hosts})
