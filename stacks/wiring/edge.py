"""The edge area: the stack's zone and certificate (`groundwork:dns`), before the cluster's add-ons,
which manage records in that zone (external-dns) and solve ACME DNS-01 challenges there."""

from __future__ import annotations

from components.addons import HostedZone
from components.dns import Dns, DnsArgs
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
