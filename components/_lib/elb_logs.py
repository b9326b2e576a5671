"""Who writes an Application Load Balancer's access logs into S3, by region.

Elastic Load Balancing's user guide ("Enable access logs for your Application Load Balancer", step 2)
gives two bucket policies. In the Regions available before August 2022, ELB delivers as an AWS-owned
account of the Region, granted as `arn:aws:iam::<elb-account-id>:root`; in the Regions opened since,
as the service principal `logdelivery.elasticloadbalancing.amazonaws.com`. The accounts below are
that guide's table. Either way the grant is `s3:PutObject` on `<bucket>/<prefix>/AWSLogs/<account>/*`
only, and the bucket must use SSE-S3: ALB log delivery supports no SSE-KMS.
"""

from __future__ import annotations

from pydantic import Field

from components._lib.args import ComponentArgs

SERVICE_PRINCIPAL = "logdelivery.elasticloadbalancing.amazonaws.com"
# Regions available before August 2022 -> the Region's Elastic Load Balancing account.
ELB_ACCOUNTS = {
    "us-east-1": "127311923021",
    "us-east-2": "033677994240",
    "us-west-1": "027434742980",
    "us-west-2": "797873946194",
    "af-south-1": "098369216593",
    "ap-east-1": "754344448648",
    "ap-southeast-3": "589379963580",
    "ap-south-1": "718504428378",
    "ap-northeast-3": "383597477331",
    "ap-northeast-2": "600734575887",
    "ap-southeast-1": "114774131450",
    "ap-southeast-2": "783225319266",
    "ap-northeast-1": "582318560864",
    "ca-central-1": "985666609251",
    "eu-central-1": "054676820928",
    "eu-west-1": "156460612806",
    "eu-west-2": "652711504416",
    "eu-south-1": "635631232127",
    "eu-west-3": "009996457667",
    "eu-north-1": "897822967062",
    "me-south-1": "076674570225",
    "sa-east-1": "507241528517",
    "us-gov-west-1": "048591011584",
    "us-gov-east-1": "190560391635",
}


class ElbLogDelivery(ComponentArgs):
    """Let Elastic Load Balancing of one region write ALB access logs under the given prefixes."""

    region: str = Field(min_length=9, description="The load balancers' (and the bucket's) region.")
    prefixes: tuple[str, ...] = Field(
        min_length=1, description="The `access_logs.s3.prefix` of each load balancer writing here."
    )


def delivery_principal(region: str) -> dict[str, str]:
    """The bucket-policy principal ELB log delivery uses in `region`."""
    account = ELB_ACCOUNTS.get(region)
    if account is None:
        return {"Service": SERVICE_PRINCIPAL}
    partition = "aws-us-gov" if region.startswith("us-gov-") else "aws"
    return {"AWS": f"arn:{partition}:iam::{account}:root"}


def delivery_statement(delivery: ElbLogDelivery, bucket_arn: str, account: str) -> dict:
    """PutObject under each prefix's AWSLogs/<this account>/ and nowhere else."""
    resources = [f"{bucket_arn}/{prefix}/AWSLogs/{account}/*" for prefix in delivery.prefixes]
    return {
        "Sid": "AlbAccessLogDelivery",
        "Effect": "Allow",
        "Principal": delivery_principal(delivery.region),
        "Action": "s3:PutObject",
        "Resource": resources[0] if len(resources) == 1 else resources,
    }
