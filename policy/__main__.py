"""The CrossGuard entry point:
`pulumi preview -s <stack> --policy-pack policy --policy-pack-config policy/config/<env>.json`.

The pack fails closed. Its initial config is the shipped config of the stack's own environment
(`policy.envconfig.stack_environment`: the stack's `groundwork:environment`, else its name, else
prod), and the CLI applies a `--policy-pack-config` file over it; so an operator who forgets the
file still gets that environment's gate (prod's mandatory levels for prod), never an all-advisory
pack. A policy no config names at all is mandatory, the pack's own level. A file for another
environment than the stack's is blocked by STACK-ENV-002 (policy/rules/stack/environment.py).

PolicyPack builds pulumi_policy's analyzer servicer itself; the pack swaps in `PackServicer`, the
same servicer plus one step that lets a rule's old id configure the rule (policy.framework). The
PolicyPack constructor starts the analyzer's gRPC server and never returns, so this file only
builds the pack.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pulumi_policy.policy
from pulumi_policy import EnforcementLevel, PolicyPack

from policy.envconfig import initial_config, stack_environment
from policy.framework import PackServicer, build_policies

pulumi_policy.policy._PolicyAnalyzerServicer = PackServicer

PolicyPack(
    name="groundwork",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=build_policies(),
    initial_config=initial_config(stack_environment()),
    description="Groundwork's guardrails: network, data services, EKS, Kubernetes workloads, "
    "IAM/KMS/logging.",
)
