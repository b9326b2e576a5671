"""Who may write ALB access logs (components._lib.elb_logs) and the bucket's one encryption choice."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from components._lib.elb_logs import ElbLogDelivery, delivery_principal, delivery_statement
from components.bucket import HardenedBucketArgs


@pytest.mark.parametrize(
    "region, principal",
    [
        ("eu-west-1", {"AWS": "arn:aws:iam::156460612806:root"}),
        ("us-east-1", {"AWS": "arn:aws:iam::127311923021:root"}),
        ("us-gov-west-1", {"AWS": "arn:aws-us-gov:iam::048591011584:root"}),
        # Opened after August 2022: ELB delivers as its log-delivery service principal.
        ("ap-southeast-4", {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}),
    ],
)
def test_elb_delivers_as_the_regions_account_or_the_service_principal(region, principal):
    assert delivery_principal(region) == principal


def test_one_prefix_grants_one_path_under_awslogs_of_this_account():
    statement = delivery_statement(
        ElbLogDelivery(region="eu-west-1", prefixes=("public",)), "arn:aws:s3:::b", "1"
    )
    assert statement["Resource"] == "arn:aws:s3:::b/public/AWSLogs/1/*"
    assert statement["Action"] == "s3:PutObject"


def test_an_alb_log_bucket_refuses_a_kms_key():
    with pytest.raises(ValidationError, match="ALB access logs support SSE-S3 only"):
        HardenedBucketArgs(
            purpose="alb-access-logs",
            kms_key_arn="arn:key",
            access_log_bucket=None,
            elb_log_delivery=ElbLogDelivery(region="eu-west-1", prefixes=("public",)),
            expiry_days=30,
        )
