"""The stack rule that AWS resources stay in the allowed regions (STACK-REG-001)."""

from __future__ import annotations

from policy.framework import Resource, Stack, stack_rule
from policy.helpers import each

AWS_PROVIDER = "pulumi:providers:aws"


@stack_rule(
    id="STACK-REG-001",
    title="Resources stay in the allowed regions",
    severity="high",
    description="When the policy config sets `allowedRegions`, every AWS provider's `region` and every AWS "
    "resource's per-resource `region` input (pulumi-aws 7) is in it.",
    rationale="Data residency: a per-resource region override or a second provider can place a copy of the "
    "data in a region the organisation has not approved.",
    remediation="Set `aws:region` in Pulumi.<stack>.yaml to an allowed region and drop per-resource "
    "overrides (cross-region backup copies go to `backups.drRegion`, which must be allowed too).",
    thresholds={"allowedRegions": []},
    aliases=("STK-REG-001",),
)
def allowed_regions(stack: Stack):
    allowed = stack.threshold("allowedRegions", [])
    if not allowed:
        return

    def check(r: Resource):
        if r.type == AWS_PROVIDER or r.type.startswith("aws:"):
            region = r.peek("region")
            if isinstance(region, str) and region and region not in allowed:
                yield r, f"region {region} is not in allowedRegions"

    yield from each(stack.resources, check)
