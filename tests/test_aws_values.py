"""What AWS would refuse is refused first, by the catalog generated from botocore's models."""

from __future__ import annotations

import json

import pytest

from components._lib import aws_values as v


def test_the_catalog_matches_the_pinned_botocore():
    """A botocore bump without regenerating the catalog fails here: run
    `.venv/bin/python scripts/generate_aws_catalog.py`."""
    pytest.importorskip("botocore")
    from scripts.generate_aws_catalog import build

    assert json.loads(v.CATALOG_PATH.read_text()) == json.loads(json.dumps(build()))


@pytest.mark.parametrize(
    ("check", "good", "bad"),
    [
        (v.region, "eu-west-1", "eu-west-9"),
        (v.region, "us-gov-west-1", "EU-WEST-1"),
        (v.ec2_instance_type, "t3.medium", "t3.mega"),
        (v.ec2_instance_type, "m7g.large", "m7g.large\n"),
        (v.rds_instance_class, "db.t3.large", "db.t3.mega"),
        (v.rds_instance_class, "db.m7g.xlarge", "t3.large"),
        (v.cache_node_type, "cache.t4g.micro", "cache.t9.micro"),
        (v.msk_broker_type, "kafka.m7g.large", "kafka.t9.small"),
        (v.msk_broker_type, "express.kafka.m7g.large", "express.kafka.t9.small"),
        (v.tag_key, "cost-center", "aws:owner"),
        (v.tag_key, "team/name", "k" * 129),
        (v.tag_value, "platform-team", "v" * 257),
        (v.tag_value, "a b_c.d:e/f=g+h-i@j", "semi;colon"),
        (v.node_label_key, "workload/tier", "-bad"),
        (v.node_label_key, "tier", "k" * 64),
        (v.node_label_value, "general", ""),
        (v.node_label_value, "a.b-c_d", "v" * 64),
        (v.backup_cron, "cron(0 5 ? * * *)", "cron(0 5 * * * *)"),
        (v.backup_cron, "cron(30 2 1 * ? *)", "0 5 * * *"),
        (v.backup_cron, "cron(0 23 ? * MON-FRI *)", "cron(0 25 ? * * *)"),
        (v.window_at_least(30, weekly=False), "03:00-03:30", "03:00-03:29"),
        (v.window_at_least(30, weekly=False), "23:45-00:15", "24:00-01:00"),
        (v.window_at_least(60, weekly=True), "sun:23:00-mon:00:00", "sun:04:30-sun:05:00"),
        (v.window_at_least(60, weekly=True), "sat:23:30-sun:00:30", "sun:4:30-sun:05:30"),
    ],
)
def test_a_value_aws_accepts_passes_and_one_it_refuses_is_named(check, good, bad):
    assert check(good) == good
    with pytest.raises(ValueError):
        check(bad)


@pytest.mark.parametrize(
    ("daily", "weekly", "overlap"),
    [
        ("03:00-04:00", "sun:04:30-sun:05:30", False),
        ("03:00-04:00", "sun:03:30-sun:04:30", True),
        ("23:30-00:30", "mon:00:00-mon:01:00", True),
        ("23:30-00:30", "sun:23:45-mon:00:15", True),
        ("02:00-03:00", "sat:23:00-sun:01:00", False),
    ],
)
def test_backup_and_maintenance_windows_overlap_is_found_across_midnight(daily, weekly, overlap):
    assert v.windows_overlap(daily, weekly) is overlap
