"""The Groundwork program: config in, the whole platform of one stack out.

`pulumi up` runs `main()` through `__main__.py`; preflight and the tests run `build()` on mocks.
Areas are wired in dependency order; a later area plugs in by adding its wiring step here.
"""

from __future__ import annotations

from collections.abc import Callable

import pulumi

from stacks.config import ConfigError, StackConfig, load_stack
from stacks.config.loader import runtime_config, runtime_secret_keys
from stacks.wiring.apps import wire_apps
from stacks.wiring.cluster import wire_cluster
from stacks.wiring.data import wire_data
from stacks.wiring.edge import wire_dns, wire_edge_alarms, wire_ingress, wire_probes
from stacks.wiring.foundation import wire_kms, wire_network, wire_provider
from stacks.wiring.objects import wire_objects
from stacks.wiring.observability import wire_alarms, wire_backups, wire_cluster_backup, wire_monitoring
from stacks.wiring.platform import Platform
from stacks.wiring.security import wire_security_baseline
from stacks.wiring.vectors import wire_vectors

# In order: each step may use what the steps before it put on the Platform.
WIRING: list[Callable[[Platform], None]] = [
    wire_provider,
    wire_kms,
    wire_network,
    wire_dns,  # the zone external-dns and cert-manager's DNS-01 solver use: before the cluster
    wire_cluster,
    wire_data,  # needs platform.cluster: the cluster step goes before it
    wire_monitoring,
    wire_vectors,  # ChromaDB (vectors.backend chroma): after monitoring's scraper, before the apps
    # Alarms and backups read the data services only; the buckets need both (topic, log bucket).
    wire_alarms,
    wire_backups,
    wire_objects,  # the buckets, before the apps that bind to them
    wire_apps,  # binds to the data services; its ServiceMonitors wait for monitoring's CRDs
    wire_ingress,  # the exposed apps' Ingresses, after their Services
    wire_probes,  # blackbox HTTPS probes of the exposed names: after the Ingresses and monitoring
    wire_edge_alarms,  # the certificate's and ALBs' alarms, to the alarm topic: after wire_alarms
    wire_security_baseline,  # alerts through the alarms topic: after wire_alarms
    wire_cluster_backup,
]


def build(config: StackConfig) -> Platform:
    platform = Platform(config=config)
    for step in WIRING:
        step(platform)
    pulumi.export("environment", config.environment)
    for key, value in platform.exports.items():
        pulumi.export(key, value)
    return platform


def main() -> None:
    stack = pulumi.get_stack()
    try:
        config = load_stack(stack, raw=runtime_config(), secret_keys=runtime_secret_keys())
    except ConfigError as error:
        # RunError prints the message alone: the user sees what to fix, not a traceback.
        raise pulumi.RunError(str(error)) from None
    build(config)
