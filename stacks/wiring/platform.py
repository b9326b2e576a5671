"""What the areas built so far, handed from one area's wiring to the next."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.kms import KmsKey
from components.network import Network
from stacks.config import StackConfig


@dataclass
class Platform:
    """The growing set of components of one stack. Areas read what earlier areas left here."""

    config: StackConfig
    aws_provider: aws.Provider | None = None
    kms: KmsKey | None = None
    network: Network | None = None
    components: dict[str, pulumi.ComponentResource] = field(default_factory=dict)
    exports: dict[str, Any] = field(default_factory=dict)

    def aws_opts(self, protect: bool = False) -> pulumi.ResourceOptions:
        """Options for an AWS component: the stack's provider (region and default tags)."""
        if self.aws_provider is None:
            raise RuntimeError(f"{self.config.stack}: an AWS component was wired in a stack without AWS")
        return pulumi.ResourceOptions(providers={"aws": self.aws_provider}, protect=protect or None)
