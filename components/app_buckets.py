"""What an app gets for each bucket it `uses`: a binding Secret and, on S3, rights on its own prefix.

The Secret is mounted like every binding, under `/var/run/secrets/groundwork/<bucket>/`, with the same
keys on both backends: endpoint, bucket, region, pathStyle, prefix, accessKeyId, secretAccessKey. On
S3 the credentials are empty (the SDK's default chain finds the app's IRSA web identity); on the local
SeaweedFS they are the app's own generated key pair.

Scope: an app may read, write and delete objects under `<app>/` in the bucket and list that prefix,
nothing else. A bucket shared by several apps (a data lake) then keeps each app's objects apart: one
app's bug or compromise cannot overwrite or delete another's data, and what one app publishes for
another goes through that app. KMS: the app may use the stack key only through S3 in the stack's
region and only for this bucket (`kms:EncryptionContext:aws:s3:arn`); with an S3 bucket key the
encryption context is the bucket's ARN, so KMS cannot narrow further to the prefix, and the S3
statements do that.
"""

from __future__ import annotations

import re
from typing import Any

import pulumi
from pydantic import Field

from components._lib.args import ComponentArgs
from components._lib.inputs import StrInput
from components.app_bindings import BindingEgress

BUCKET_KEYS = ("endpoint", "bucket", "region", "pathStyle", "prefix", "accessKeyId", "secretAccessKey")
OBJECT_ACTIONS = (
    "s3:AbortMultipartUpload",
    "s3:DeleteObject",
    "s3:GetObject",
    "s3:GetObjectTagging",
    "s3:GetObjectVersion",
    "s3:ListMultipartUploadParts",
    "s3:PutObject",
    "s3:PutObjectTagging",
)


class BucketBinding(ComponentArgs):
    """One bucket of the stack, as an app's Secret and role need it."""

    bucket_name: StrInput = Field(exclude=True, description="The bucket's physical name.")
    bucket_arn: StrInput | None = Field(
        default=None, exclude=True, description="The S3 bucket's ARN (None on the local server)."
    )
    endpoint: str = Field(description="The S3 endpoint URL.")
    region: str = Field(description="The region S3 clients sign for.")
    path_style: bool = Field(
        default=False, description="Address buckets in the path (the local server), not the host name."
    )
    kms_key_arn: StrInput | None = Field(
        default=None, exclude=True, description="The key the bucket encrypts with (S3 only)."
    )
    credentials: tuple[StrInput, StrInput] | None = Field(
        default=None, exclude=True, description="The app's access key id and secret (local only)."
    )
    egress: BindingEgress = Field(description="Where the app reaches the S3 API.")


def object_prefix(app: str) -> str:
    """The key prefix an app owns in every bucket it uses."""
    return f"{app}/"


def bucket_values(app: str, binding: BucketBinding) -> dict[str, pulumi.Input[str]]:
    key, secret = binding.credentials if binding.credentials is not None else ("", "")
    return {
        "endpoint": binding.endpoint,
        "bucket": binding.bucket_name,
        "region": binding.region,
        "pathStyle": "true" if binding.path_style else "false",
        "prefix": object_prefix(app),
        "accessKeyId": key,
        "secretAccessKey": secret,
    }


def bucket_statements(
    *, app: str, bucket: str, bucket_arn: str, kms_key_arn: str | None, region: str
) -> list[dict[str, Any]]:
    """The app's rights on one bucket: list its prefix, read/write/delete objects under it, and use
    the key through S3 for this bucket only."""
    sid = re.sub(r"[^A-Za-z0-9]", "", bucket.title())
    prefix = object_prefix(app)
    statements: list[dict[str, Any]] = [
        {
            "Sid": f"List{sid}OwnPrefix",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": bucket_arn,
            "Condition": {"StringLike": {"s3:prefix": [prefix, f"{prefix}*"]}},
        },
        {
            "Sid": f"Objects{sid}OwnPrefix",
            "Effect": "Allow",
            "Action": list(OBJECT_ACTIONS),
            "Resource": f"{bucket_arn}/{prefix}*",
        },
    ]
    if kms_key_arn is not None:
        statements.append(
            {
                "Sid": f"Key{sid}ThroughS3",
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": kms_key_arn,
                "Condition": {
                    "StringEquals": {
                        "kms:ViaService": f"s3.{region}.amazonaws.com",
                        "kms:EncryptionContext:aws:s3:arn": bucket_arn,
                    }
                },
            }
        )
    return statements
