"""The CrossGuard entry point: `pulumi preview --policy-pack policy`. The PolicyPack constructor
starts the analyzer's gRPC server and never returns, so this file only builds the pack."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import EnforcementLevel, PolicyPack

from policy.framework import build_policies

PolicyPack(
    name="groundwork",
    enforcement_level=EnforcementLevel.ADVISORY,
    policies=build_policies(),
    description="Groundwork's guardrails: network, data services, EKS, Kubernetes workloads, "
    "IAM/KMS/logging.",
)
