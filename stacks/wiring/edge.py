"""The edge area: the stack's zone and certificate (`groundwork:dns`), before the cluster's add-ons,
which manage records in that zone (external-dns) and solve ACME DNS-01 challenges there."""

from __future__ import annotations

import pulumi

from components.addons import HostedZone
from components.alarms import Alarms
from components.alb_logs import alb_log_bucket
from components.app_settings import AppSettings
from components.dns import Dns, DnsArgs
from components.edge import AppIngresses, AppIngressesArgs, IngressRoute, load_balancer_name
from components.edge_alarms import RUNBOOK_PAGE, EdgeAlarms, EdgeAlarmsArgs
from components.local_edge import (
    HOST_PORT,
    TLS_SECRET,
    TRAEFIK_NAMESPACE,
    TRAEFIK_PODS,
    WEBSECURE_PORT,
    LocalIngress,
    LocalIngressArgs,
    local_host,
)
from components.monitoring import Monitoring
from components.namespace import Peer, internet
from components.probes import BlackboxProbes, BlackboxProbesArgs, ProbeTarget
from components.waf import WebAcl, WebAclArgs
from stacks.config.edge import app_host
from stacks.wiring.platform import Platform


def wire_dns(platform: Platform) -> None:
    config = platform.config
    if config.dns is None or not config.on_aws:
        return
    dns = Dns(
        f"{config.stack}-dns",
        DnsArgs(settings=config.dns, protect=config.protect_stateful_resources, tags=config.standard_tags),
        opts=platform.aws_opts(),
    )
    platform.components["dns"] = dns
    platform.exports.update(
        {
            "dns_zone_id": dns.zone_id,
            "dns_name_servers": dns.name_servers,
            "certificate_arn": dns.certificate_arn,
        }
    )


def hosted_zone(platform: Platform) -> HostedZone | None:
    """The zone `wire_dns` built or found, as the add-ons take it; None without groundwork:dns."""
    dns = platform.components.get("dns")
    if not isinstance(dns, Dns) or platform.config.dns is None:
        return None
    return HostedZone(zone_id=dns.zone_id, domain=platform.config.dns.zone_name)


def load_balancer_peers(platform: Platform, settings: AppSettings) -> tuple[Peer, ...]:
    """Where the ALB of an exposed app connects from: with target type ip it opens connections to the
    pod from its own addresses, in the public subnets for both exposures (components.edge says why).
    An app that is not exposed admits no load balancer. On local the "load balancer" is Traefik's pods.
    """
    if settings.exposed and not platform.config.on_aws:
        return (Peer(namespace=TRAEFIK_NAMESPACE, pod_labels=TRAEFIK_PODS),)
    network = platform.network
    if not settings.exposed or network is None or platform.config.dns is None:
        return ()
    return tuple(Peer(cidr=cidr) for cidr in network.public_subnet_cidrs)


def _routes(platform: Platform) -> tuple[IngressRoute, ...]:
    """The exposed apps, each with the full name it answers on: under the stack's zone on AWS, under
    `localhost` on local (components.local_edge)."""
    config = platform.config
    zone = config.dns.zone_name if config.dns is not None else None
    return tuple(
        IngressRoute(
            app=name,
            exposure=app.expose,
            host=(app_host(name, app, zone) or "") if zone else local_host(name, app.host),
            paths=app.paths,
            port=app.port,
            health_path=app.health.path,
        )
        for name, app in sorted(config.apps.items())
        if app.expose != "none"
    )


def _after_apps(platform: Platform, routes: tuple[IngressRoute, ...]) -> list[pulumi.Resource]:
    names = ("addons", *[f"app-{r.app}" for r in routes])
    return [c for k, c in platform.components.items() if k in names]


def wire_ingress(platform: Platform) -> None:
    """One Ingress per exposed app: joined to its exposure's shared ALB on AWS (components.edge), served
    by Traefik with the local CA's certificate on local (components.local_edge)."""
    config = platform.config
    if platform.cluster is None or not (routes := _routes(platform)):
        return
    if not config.on_aws:
        _wire_local_ingress(platform, routes)
        return
    dns = platform.components.get("dns")
    network = platform.network
    if not isinstance(dns, Dns) or config.dns is None or network is None:
        return
    logs = alb_log_bucket(
        f"{config.stack}-alb-logs",
        config.edge.access_logs,
        region=config.region or "",
        protect=config.protect_stateful_resources,
        tags=config.standard_tags,
        opts=platform.aws_opts(),
    )
    web_acl = _web_acl(platform, routes)
    ingresses = AppIngresses(
        f"{config.stack}-ingress",
        AppIngressesArgs(
            group_prefix=config.stack,
            namespace=platform.cluster.app_namespace,
            routes=routes,
            certificate_arn=dns.certificate_arn,
            subnet_ids=network.public_subnet_ids,
            deletion_protection=config.protect_stateful_resources,
            web_acl_arn=web_acl.web_acl_arn if web_acl is not None else None,
            access_log_bucket=logs.bucket_name,
        ),
        opts=pulumi.ResourceOptions(
            providers={"kubernetes": platform.cluster.k8s_provider},
            # The log bucket with its policy: ELB refuses access logs to a bucket it may not write.
            depends_on=[logs, *_after_apps(platform, routes)],
        ),
    )
    platform.components["ingress"] = ingresses
    platform.exports["app_hosts"] = {name: f"https://{host}" for name, host in ingresses.hosts.items()}
    platform.exports["alb_access_log_bucket"] = logs.bucket_name


def _web_acl(platform: Platform, routes: tuple[IngressRoute, ...]) -> WebAcl | None:
    """The public ALB's web ACL, when an app is public; its SQL injection rules when one of the public
    apps uses PostgreSQL (the only SQL database a stack offers)."""
    config = platform.config
    public = [r.app for r in routes if r.exposure == "public"]
    if not public or platform.kms is None:
        return None
    web_acl = WebAcl(
        f"{config.stack}-waf",
        WebAclArgs(
            settings=config.edge.waf,
            sql_injection=any("postgres" in config.apps[app].uses for app in public),
            kms_key_arn=platform.kms.key_arn,
            controller_cluster=platform.cluster.cluster_name if platform.cluster else None,
            protect=config.protect_stateful_resources,
            tags=config.standard_tags,
        ),
        opts=platform.aws_opts(),
    )
    platform.components["waf"] = web_acl
    platform.exports["web_acl_arn"] = web_acl.web_acl_arn
    return web_acl


def _wire_local_ingress(platform: Platform, routes: tuple[IngressRoute, ...]) -> None:
    cluster = platform.cluster
    assert cluster is not None
    local = LocalIngress(
        f"{platform.config.stack}-ingress",
        LocalIngressArgs(
            namespace=cluster.app_namespace,
            routes=routes,
            api_server=cluster.api_server,
            environment=platform.config.environment,
        ),
        opts=pulumi.ResourceOptions(
            providers={"kubernetes": cluster.k8s_provider}, depends_on=_after_apps(platform, routes)
        ),
    )
    platform.components["ingress"] = local
    platform.exports["app_hosts"] = {
        name: f"https://{host}:{HOST_PORT}" for name, host in local.hosts.items()
    }


def wire_edge_alarms(platform: Platform) -> None:
    """The certificate's and the shared ALBs' alarms, to the alarm topic (after wire_alarms)."""
    config = platform.config
    dns, alarms = platform.components.get("dns"), platform.components.get("alarms")
    if not isinstance(dns, Dns) or not isinstance(alarms, Alarms):
        return
    ingresses = platform.components.get("ingress")
    exposures = sorted({app.expose for app in config.apps.values() if app.exposed}, reverse=True)
    platform.components["edge_alarms"] = EdgeAlarms(
        f"{config.stack}-edge-alarms",
        EdgeAlarmsArgs(
            topic_arn=alarms.topic_arn,
            certificate_arn=dns.certificate_arn,
            load_balancer_names=[load_balancer_name(config.stack, e) for e in exposures] if ingresses else [],
            ingresses=ingresses,
            runbook_url=f"{config.monitoring.runbook_base_url.rstrip('/')}/{RUNBOOK_PAGE}",
            tags=config.standard_tags,
        ),
        opts=platform.aws_opts(),
    )


def wire_probes(platform: Platform) -> None:
    """Blackbox HTTPS probes of every exposed app's name from inside the cluster (components.probes),
    after the Ingresses and monitoring (whose CRDs the Probes need)."""
    config, cluster = platform.config, platform.cluster
    monitoring, ingress = platform.components.get("monitoring"), platform.components.get("ingress")
    if cluster is None or not isinstance(monitoring, Monitoring) or ingress is None:
        return
    targets = tuple(
        ProbeTarget(app=r.app, exposure=r.exposure, host=r.host, path=r.health_path or "/")
        for r in _routes(platform)
    )
    if isinstance(ingress, LocalIngress):
        # *.localhost is the pod's own loopback: probes go to Traefik's Service, verified by the local CA.
        reach: dict = {
            "egress_peers": [Peer(namespace=TRAEFIK_NAMESPACE, pod_labels=TRAEFIK_PODS)],
            "egress_port": WEBSECURE_PORT,
            "connect_to": f"{ingress.service_name}.{TRAEFIK_NAMESPACE}.svc",
            "ca_secret": TLS_SECRET,
        }
    else:
        network = platform.network
        assert network is not None
        # The public ALB answers on public addresses (reached through the NAT), the internal one in
        # the public subnets (components.edge).
        reach = {"egress_peers": [internet(), *(Peer(cidr=c) for c in network.public_subnet_cidrs)]}
    platform.components["probes"] = BlackboxProbes(
        f"{config.stack}-probes",
        BlackboxProbesArgs(
            namespace=cluster.app_namespace,
            targets=targets,
            scraper=monitoring.prometheus,
            runbook_base_url=config.monitoring.runbook_base_url,
            **reach,
        ),
        opts=pulumi.ResourceOptions(
            providers={"kubernetes": cluster.k8s_provider}, depends_on=[monitoring, ingress]
        ),
    )
