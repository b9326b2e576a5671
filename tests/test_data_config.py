"""Data-service config: environment profiles and the rules that reject a bad stack file."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from stacks.config import ConfigError, load_stack, read_stack_file
from stacks.config.loader import PROJECT_DIR, deep_merge, parse_stack_config


def _parse(stack: str, **sections: dict) -> object:
    raw = deep_merge(read_stack_file(stack), {f"groundwork:{key}": value for key, value in sections.items()})
    return parse_stack_config(stack, raw)


def _error(stack: str, **sections: dict) -> str:
    with pytest.raises(ConfigError) as caught:
        _parse(stack, **sections)
    return str(caught.value)


def test_broker_count_rule_rejects_a_bad_stack_file(tmp_path: Path):
    for stack in ("dev", "staging"):
        (tmp_path / f"Pulumi.{stack}.yaml").write_text((PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text())
    document = yaml.safe_load((tmp_path / "Pulumi.staging.yaml").read_text())
    document["config"]["groundwork:kafka"] = {"brokerCount": 4}
    (tmp_path / "Pulumi.staging.yaml").write_text(yaml.safe_dump(document))
    with pytest.raises(ConfigError) as caught:
        load_stack("staging", project_dir=tmp_path)
    message = str(caught.value)
    assert "staging: kafka.brokerCount = 4" in message
    assert "multiple of the AZ count (3)" in message


def test_unknown_rds_class_names_the_key_the_value_and_an_example():
    message = _error("prod", postgres={"instanceClass": "db.x9"})
    assert "prod: postgres.instanceClass = 'db.x9': is not a known RDS class; e.g. db.t3.large" in message


@pytest.mark.parametrize("section, key", [("postgres", "multiAz"), ("redis", "multiAz")])
def test_prod_must_be_multi_az(section: str, key: str):
    message = _error("prod", **{section: {key: False}})
    assert f"prod: {section}.{key} = False" in message


def test_multi_az_cache_needs_a_replica():
    message = _error("staging", redis={"replicas": 0})
    assert "staging: redis.replicas = 0: multiAz needs at least 1 replica" in message


def test_kafka_4_is_not_offered_on_t3_small():
    message = _error("dev", kafka={"kafkaVersion": "4.1.x.kraft"})
    assert "dev: kafka.instanceType = 'kafka.t3.small'" in message


def test_storage_ceiling_below_the_allocation_is_refused():
    message = _error("dev", postgres={"allocatedStorageGb": 100, "maxAllocatedStorageGb": 50})
    assert "dev: postgres.maxAllocatedStorageGb = 50" in message


def test_local_ignores_managed_sizes():
    config = _parse("local", kafka={"brokerCount": 5})
    assert config.kafka.broker_count == 5


def test_every_stack_file_is_valid():
    for stack in ("local", "dev", "qa", "staging", "prod"):
        load_stack(stack)


def test_prod_profile_matches_the_environment_table():
    config = load_stack("prod")
    assert (config.postgres.instance_class, config.postgres.allocated_storage_gb) == ("db.t3.large", 500)
    assert config.postgres.backup_retention_days == 30 and config.postgres.multi_az
    assert config.redis.replicas == 1 and config.redis.multi_az
    assert config.kafka.broker_count == 3 and config.network.az_count == 3


def test_staging_mirrors_prod_at_smaller_size():
    config = load_stack("staging")
    assert (config.postgres.instance_class, config.postgres.allocated_storage_gb) == ("db.t3.medium", 100)
    assert config.redis.replicas == 1
    assert config.kafka.broker_count == 3


def test_dev_is_small_and_single_az():
    config = load_stack("dev")
    assert not config.postgres.multi_az and not config.redis.multi_az and config.redis.replicas == 0
    assert config.kafka.broker_count == 2
