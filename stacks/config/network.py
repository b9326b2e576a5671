"""Network config: the VPC's settings (components.network.NetworkSettings) and whether to build it."""

from __future__ import annotations

from pydantic import Field

from components.network import NetworkSettings


class NetworkConfig(NetworkSettings):
    """`groundwork:network`: the VPC of one environment."""

    enabled: bool = Field(
        default=True,
        description="Build the VPC. Must be false in `local` (no AWS) and true everywhere else.",
    )
