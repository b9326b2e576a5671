"""Where the stack's application load balancers write their access logs (`groundwork:edge.accessLogs`).

One bucket per stack, shared by the public and the internal ALB under their exposure's prefix. It is
a HardenedBucket (private, versioned, TLS-only, lifecycle) with two differences ALB log delivery
forces: SSE-S3 instead of SSE-KMS (ALB access logs support no other encryption), and a bucket policy
statement letting Elastic Load Balancing of the region put objects under `<prefix>/AWSLogs/<account>/`
(components._lib.elb_logs). It receives logs and, like the other log buckets, logs no reads of its own.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
from pydantic import Field

from components._lib.args import ComponentArgs
from components._lib.elb_logs import ElbLogDelivery
from components.bucket import HardenedBucket, HardenedBucketArgs

EXPOSURES = ("public", "internal")


class AlbAccessLogSettings(ComponentArgs):
    """`groundwork:edge.accessLogs`: how long ALB access logs are kept."""

    expiry_days: int = Field(
        default=365, ge=1, le=3650, description="ALB access logs are deleted after this many days."
    )


def alb_log_bucket(
    name: str,
    settings: AlbAccessLogSettings,
    region: str,
    protect: bool,
    tags: Mapping[str, str],
    opts: pulumi.ResourceOptions | None = None,
) -> HardenedBucket:
    """The access-log bucket both exposures' ALBs write into."""
    return HardenedBucket(
        name,
        HardenedBucketArgs(
            purpose="alb-access-logs",
            kms_key_arn=None,
            access_log_bucket=None,
            elb_log_delivery=ElbLogDelivery(region=region, prefixes=EXPOSURES),
            expiry_days=settings.expiry_days,
            transitions=((30, "STANDARD_IA"),),
            protect=protect,
            tags={**tags, "component": "edge"},
        ),
        opts=opts,
    )
