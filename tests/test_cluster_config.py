"""Bad cluster config fails before anything runs, naming the stack, the key and the value."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from components.cluster import EksClusterSettings, NodeGroupSettings
from stacks.config import ConfigError, load_stack, read_stack_file
from stacks.config.loader import deep_merge


def _load(stack: str, cluster: dict):
    return load_stack(stack, raw=deep_merge(read_stack_file(stack), {"groundwork:cluster": cluster}))


def _error(stack: str, cluster: dict) -> str:
    with pytest.raises(ConfigError) as info:
        _load(stack, cluster)
    return str(info.value)


def test_min_above_max_names_the_key_and_value():
    text = _error("dev", {"nodeGroups": {"general": {"minSize": 5, "maxSize": 3, "desiredSize": 4}}})
    assert "dev: cluster.nodeGroups.general.minSize = 5" in text
    assert "maxSize (3)" in text


def test_desired_outside_bounds_is_rejected():
    text = _error("staging", {"nodeGroups": {"general": {"desiredSize": 9}}})
    assert "cluster.nodeGroups.general.desiredSize = 9" in text


def test_unknown_capacity_type_names_the_key_and_value():
    text = _error("qa", {"nodeGroups": {"general": {"capacityType": "RESERVED"}}})
    assert "cluster.nodeGroups.general.capacityType = 'RESERVED'" in text
    assert "ON_DEMAND" in text and "SPOT" in text


def test_unsupported_kubernetes_version_is_rejected():
    text = _error("prod", {"kubernetesVersion": "1.29"})
    assert "cluster.kubernetesVersion = '1.29'" in text
    assert "1.36" in text


def test_public_endpoint_for_the_whole_internet_is_rejected():
    text = _error("dev", {"endpointPublicAccessCidrs": ["0.0.0.0/0"]})
    assert "cluster.endpointPublicAccessCidrs" in text and "whole internet" in text


def test_admin_roles_must_be_role_arns():
    text = _error("dev", {"adminRoleArns": ["arn:aws:iam::123456789012:user/alice"]})
    assert "cluster.adminRoleArns" in text and "user/alice" in text


def test_prod_keeps_deletion_protection():
    text = _error("prod", {"deletionProtection": False})
    assert "prod: cluster.deletionProtection = False" in text


def test_prod_needs_an_on_demand_node_group():
    text = _error("prod", {"nodeGroups": {"general": {"capacityType": "SPOT"}}})
    assert "cluster.nodeGroups = 'SPOT only'" in text


def test_local_stack_cannot_ask_for_eks():
    text = _error("local", {"mode": "eks"})
    assert "local: cluster.mode = 'eks'" in text


def test_hosted_zone_needs_a_domain():
    text = _error("dev", {"addons": {"hostedZoneId": "Z0123456789ABCDEFGHIJ"}})
    assert "cluster.addons.hostedZoneId" in text and "domain" in text


def test_unknown_key_is_reported_with_its_path():
    text = _error("dev", {"nodeGroup": {}})
    assert "cluster.nodeGroup" in text and "not a known key" in text


def test_defaults_per_environment_load_cleanly():
    for stack in ("local", "dev", "qa", "staging", "prod"):
        assert _load(stack, {}).cluster.mode == ("local" if stack == "local" else "eks")


def test_fails_when_node_group_bounds_are_inverted_without_config():
    """The node group's own model guards it, for callers that do not come through the stack config."""
    with pytest.raises(ValidationError, match=r"minSize = 4: must not exceed maxSize \(2\)"):
        NodeGroupSettings(min_size=4, max_size=2)


def test_fails_when_a_kubernetes_version_has_no_pinned_add_ons_without_config():
    with pytest.raises(ValidationError, match=r"standard-support versions 1\.34, 1\.35, 1\.36"):
        EksClusterSettings(kubernetes_version="1.29")
