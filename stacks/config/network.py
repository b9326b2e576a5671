"""Network config: the VPC CIDR, how many AZs, NAT layout and VPC endpoints."""

from __future__ import annotations

import ipaddress
from typing import Literal

from pydantic import field_validator

from stacks.config.base import ConfigModel
from stacks.config.common import LogRetentionDays

_PRIVATE_RANGES = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")]


class NetworkConfig(ConfigModel):
    """The VPC of one environment. `enabled: false` (local) creates no AWS network at all."""

    enabled: bool = True
    cidr: str = "10.10.0.0/16"
    az_count: Literal[2, 3] = 2
    availability_zones: list[str] | None = None
    nat_gateways: Literal["single", "perAz"] = "single"
    interface_endpoints: bool = False
    flow_log_retention_days: LogRetentionDays = 90

    @field_validator("cidr")
    @classmethod
    def _cidr(cls, value: str) -> str:
        try:
            network = ipaddress.IPv4Network(value, strict=True)
        except ValueError as exc:
            raise ValueError(f"an IPv4 network in CIDR form such as 10.40.0.0/16 ({exc})") from None
        if not 16 <= network.prefixlen <= 20:
            raise ValueError(
                "a VPC prefix between /16 and /20 (AWS allows /16-/28; Groundwork needs room "
                "for three tiers in three AZs)"
            )
        if not any(network.subnet_of(r) for r in _PRIVATE_RANGES):
            raise ValueError("a private RFC 1918 range (10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16)")
        return str(network)

    @property
    def network(self) -> ipaddress.IPv4Network:
        return ipaddress.IPv4Network(self.cidr)


PROFILES: dict[str, dict] = {
    "local": {"enabled": False},
    "dev": {"cidr": "10.10.0.0/16", "azCount": 2, "natGateways": "single", "flowLogRetentionDays": 30},
    "qa": {"cidr": "10.20.0.0/16", "azCount": 2, "natGateways": "single", "flowLogRetentionDays": 30},
    "staging": {"cidr": "10.30.0.0/16", "azCount": 3, "natGateways": "single", "flowLogRetentionDays": 90},
    "prod": {
        "cidr": "10.40.0.0/16",
        "azCount": 3,
        "natGateways": "perAz",
        "interfaceEndpoints": True,
        "flowLogRetentionDays": 365,
    },
}
