"""`groundwork:buckets`: purposes resolve to their defaults, and bad input is refused naming the stack,
the key path, the value and what is allowed."""

from __future__ import annotations

import pytest

from stacks.config import ConfigError
from stacks.config.buckets import resolved_buckets
from stacks.config.loader import deep_merge, parse_stack_config
from stacks.config.loader import read_stack_file as _read

LAKE = {"datalake": {"purpose": "datalake"}}
WEB = {"image": {"repository": "web", "tag": "1.0.0"}}


def _parse(stack: str, buckets: dict, apps: dict | None = None):
    extra: dict = {"groundwork:buckets": buckets}
    if apps is not None:
        extra["groundwork:apps"] = apps
    return parse_stack_config(stack, deep_merge(_read(stack), extra))


BAD = [
    ("dev", {"lake": {"purpose": "warehouse"}}, None, "dev: buckets.lake.purpose = 'warehouse'"),
    (
        "dev",
        {"Data_Lake": {"purpose": "datalake"}},
        None,
        "dev: buckets.Data_Lake = 'Data_Lake': a bucket name",
    ),
    ("dev", {"a-very-long-bucket-name": {"purpose": "assets"}}, None, "buckets.a-very-long-bucket-name = "),
    ("dev", {"postgres": {"purpose": "assets"}}, None, "dev: buckets.postgres = 'postgres': is reserved"),
    (
        "dev",
        {"web": {"purpose": "assets"}},
        {"web": WEB},
        "dev: buckets.web = 'web': is also an app's name",
    ),
    (
        "dev",
        {"lake": {"purpose": "datalake", "recovery": "replicate"}},
        None,
        "dev: buckets.lake.recovery = 'replicate': cross-region replication runs in prod only",
    ),
    (
        "prod",
        {"lake": {"purpose": "datalake", "recovery": "none"}},
        None,
        "prod: buckets.lake.recovery = 'none': prod keeps a second copy of every bucket",
    ),
    (
        "dev",
        {"lake": {"purpose": "datalake", "versioning": False, "objectLockDays": 30}},
        None,
        "dev: buckets.lake.versioning = False: object lock needs versioning",
    ),
    (
        "staging",
        {"lake": {"purpose": "datalake", "versioning": False, "recovery": "backup"}},
        None,
        "staging: buckets.lake.versioning = False: recovery backup needs versioning",
    ),
    (
        "prod",
        {"lake": {"purpose": "assets", "versioning": False}},
        None,
        "prod: buckets.lake.versioning = False",
    ),
    ("dev", {"lake": {"purpose": "assets", "expiryDays": -1}}, None, "dev: buckets.lake.expiryDays = -1"),
    ("dev", {"lake": {"purpose": "assets", "lifecycle": "none"}}, None, "dev: buckets.lake.lifecycle"),
    (
        "local",
        {"lake": {"purpose": "datalake", "recovery": "backup"}},
        None,
        "local: buckets.lake.recovery = 'backup': local has no AWS Backup",
    ),
    (
        "local",
        {"lake": {"purpose": "datalake", "objectLockDays": 7}},
        None,
        "local: buckets.lake.objectLockDays = 7: the local S3 server has no object lock",
    ),
    (
        "dev",
        LAKE,
        {"web": {**WEB, "uses": ["datalake", "assets"]}},
        "dev: apps.web.uses = 'assets': is not a binding of this stack; one of: postgres, redis, kafka, "
        "datalake",
    ),
]


@pytest.mark.parametrize(
    "stack, buckets, apps, expected", BAD, ids=[f"{b[0]}-{i}" for i, b in enumerate(BAD)]
)
def test_fails_on_bad_bucket_input_naming_stack_key_and_value(stack, buckets, apps, expected):
    with pytest.raises(ConfigError) as caught:
        _parse(stack, buckets, apps)
    assert expected in str(caught.value)


@pytest.mark.parametrize(
    "stack, purpose, recovery",
    [
        ("prod", "datalake", "replicate"),
        ("prod", "assets", "backup"),
        ("prod", "artifacts", "backup"),
        ("dev", "datalake", "none"),
        ("staging", "assets", "none"),
    ],
)
def test_recovery_follows_the_purpose_in_prod_and_is_none_elsewhere(stack, purpose, recovery):
    config = _parse(stack, {"b": {"purpose": purpose}})
    assert resolved_buckets(config)["b"].recovery == recovery


def test_artifacts_expire_and_tier_by_default():
    bucket = _parse("dev", {"b": {"purpose": "artifacts"}}).buckets["b"]
    assert (bucket.effective_expiry_days, bucket.transitions) == (180, ((30, "STANDARD_IA"),))


def test_expiry_zero_keeps_artifacts():
    assert (
        _parse("dev", {"b": {"purpose": "artifacts", "expiryDays": 0}}).buckets["b"].effective_expiry_days
        is None
    )
