"""Rules about `groundwork:dns` and the apps' `expose`/`host`/`paths` that need the whole stack.

On local there is no zone: an exposed app answers on `<host>.localhost` through the in-cluster
ingress controller (components.local_edge), so `dns` stays unset there and a host is one label.

One model's own rules live on it (components.dns.DnsSettings: a DNS name, createZone or zoneId;
components.app_settings.AppSettings: a host of DNS labels, paths starting with /). Here: an exposed
app needs the stack's zone on AWS, its host must be the zone or one label under it (the one wildcard
certificate covers no deeper name), no two apps answer the same host and path, and the cluster
add-ons' zone (external-dns, the ACME DNS-01 solver) is the same zone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from components.alb_logs import AlbAccessLogSettings
from components.local_edge import local_host
from components.waf import WafSettings
from stacks.config.base import ConfigModel
from stacks.config.errors import ConfigIssue

if TYPE_CHECKING:
    from components.app_settings import AppSettings
    from stacks.config.model import StackConfig


class EdgeConfig(ConfigModel):
    """`groundwork:edge`: how the load balancers of the exposed apps are protected and logged. Their
    shape (HTTPS only, TLS 1.3 policy, target type ip) is fixed; what a stack tunes is here."""

    waf: WafSettings = Field(
        default_factory=WafSettings,
        description="The public ALB's web ACL: rate limit, rule groups in count mode, log retention.",
    )
    access_logs: AlbAccessLogSettings = Field(
        default_factory=AlbAccessLogSettings, description="The ALBs' access-log bucket."
    )


def app_host(name: str, app: AppSettings, zone: str) -> str | None:
    """The full name an exposed app answers on, or None when its host is not the zone or one label
    under it. `host` defaults to the app's name; `@` is the zone itself."""
    host = app.host or name
    if host == "@" or host == zone:
        return zone
    if host.endswith(f".{zone}"):
        host = host[: -len(zone) - 1]
    return f"{host}.{zone}" if "." not in host else None


def edge_issues(config: StackConfig) -> list[ConfigIssue]:
    exposed = {name: app for name, app in sorted(config.apps.items()) if app.exposed}
    if not config.on_aws:
        if config.dns is not None:
            return [
                ConfigIssue(
                    "dns",
                    config.dns.zone_name,
                    "must be unset in local: local creates no Route 53 zone or ACM certificate; exposed "
                    "apps answer on <host>.localhost there",
                )
            ]
        return _local_host_issues(exposed)
    if config.dns is None:
        return [
            ConfigIssue(
                f"apps.{name}.expose",
                app.expose,
                "needs groundwork:dns (zoneName, and createZone: true or zoneId): the app's name and "
                "its certificate live in the stack's zone",
            )
            for name, app in exposed.items()
        ]
    return [*_host_issues(config, exposed), *_addon_zone_issues(config), *_prod_waf_issues(config)]


def _prod_waf_issues(config: StackConfig) -> list[ConfigIssue]:
    """Prod's web ACL blocks: a rule group in count mode lets through what it matches, so the rollout
    of a group is counted on staging (same traffic shape, same ACL) and only then enforced in prod."""
    counting = config.edge.waf.count_rule_groups
    if config.environment != "prod" or not counting:
        return []
    return [
        ConfigIssue(
            "edge.waf.countRuleGroups",
            list(counting),
            "must be empty in prod, whose web ACL blocks: count a rule group on staging first",
        )
    ]


def _local_host_issues(exposed: dict[str, AppSettings]) -> list[ConfigIssue]:
    """On local an exposed app answers on `<host>.localhost` (components.local_edge): its host is one
    label or @, and no two apps serve the same name and path."""
    issues: list[ConfigIssue] = []
    routes: dict[tuple[str, str], str] = {}
    for name, app in exposed.items():
        if app.host is not None and app.host != "@" and "." in app.host:
            issues.append(
                ConfigIssue(
                    f"apps.{name}.host",
                    app.host,
                    "must be one DNS label or @ in local, where apps answer on <host>.localhost "
                    f"(e.g. host: {app.host.split('.')[0]} -> {app.host.split('.')[0]}.localhost)",
                )
            )
            continue
        host = local_host(name, app.host)
        issues.extend(_path_clashes(name, app, host, routes))
    return issues


def _path_clashes(
    name: str, app: AppSettings, host: str, routes: dict[tuple[str, str], str]
) -> list[ConfigIssue]:
    """Each (host, path) belongs to one app; `routes` remembers the ones taken so far."""
    issues = []
    for path in app.paths:
        other = routes.setdefault((host, path), name)
        if other != name:
            issues.append(
                ConfigIssue(
                    f"apps.{name}.paths",
                    path,
                    f"apps.{other} already serves {host}{path}; give one of them another host or path",
                )
            )
    return issues


def _host_issues(config: StackConfig, exposed: dict[str, AppSettings]) -> list[ConfigIssue]:
    zone = config.dns.zone_name if config.dns else ""
    issues: list[ConfigIssue] = []
    routes: dict[tuple[str, str], str] = {}
    for name, app in exposed.items():
        host = app_host(name, app, zone)
        if host is None:
            issues.append(
                ConfigIssue(
                    f"apps.{name}.host",
                    app.host or name,
                    f"must be {zone}, @, or one label under it (api or api.{zone}): the stack's "
                    f"certificate covers {zone} and *.{zone} only",
                )
            )
            continue
        if len(host) > 253:
            issues.append(ConfigIssue(f"apps.{name}.host", app.host, "the full name exceeds 253 characters"))
            continue
        issues.extend(_path_clashes(name, app, host, routes))
    return issues


def _addon_zone_issues(config: StackConfig) -> list[ConfigIssue]:
    """external-dns and the ACME solver must work in the zone the apps' names live in."""
    dns, addons = config.dns, config.cluster.addons
    if dns is None or addons.hosted_zone_id is None:
        return []
    if dns.create_zone or addons.hosted_zone_id != dns.zone_id:
        return [
            ConfigIssue(
                "cluster.addons.hostedZoneId",
                addons.hosted_zone_id,
                f"names another zone than groundwork:dns ({dns.zone_id or 'created by this stack'}); "
                "drop it: the add-ons follow groundwork:dns",
            )
        ]
    if addons.domain != dns.zone_name:
        return [
            ConfigIssue(
                "cluster.addons.domain",
                addons.domain,
                f"must equal groundwork:dns.zoneName ({dns.zone_name}), or drop it",
            )
        ]
    return []
