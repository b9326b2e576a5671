"""Build a stack's data services on mocks with a stand-in for the cluster area.

The real cluster step lives on another branch; these helpers build the foundation from the stack
file, put a ClusterHandle of the same shape on the Platform (a Kubernetes provider, a StorageClass
name, the app namespace and, on AWS, a node security group created here) and run `wire_data`.
The tests stay valid once the real cluster step is merged: they only depend on the handle.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from stacks.config import load_stack, read_stack_file
from stacks.config.loader import deep_merge
from stacks.preflight.capture import Capture, CapturedResource, run_program
from stacks.wiring.data import wire_data
from stacks.wiring.foundation import wire_kms, wire_network, wire_provider
from stacks.wiring.platform import ClusterHandle, Platform

APP_NAMESPACE = "apps"
NODE_SG_NAME = "stand-in-node-sg"


def stand_in_cluster(platform: Platform) -> ClusterHandle:
    config = platform.config
    provider = k8s.Provider(f"{config.stack}-k8s", kubeconfig="stand-in", context="stand-in")
    node_sg_id = None
    if config.on_aws:
        assert platform.network is not None
        node_sg = aws.ec2.SecurityGroup(
            NODE_SG_NAME,
            vpc_id=platform.network.vpc_id,
            description="stand-in for the EKS node security group",
            opts=platform.aws_opts(),
        )
        node_sg_id = node_sg.id
    return ClusterHandle(
        k8s_provider=provider,
        storage_class_name="gp3" if config.on_aws else "standard",
        app_namespace=APP_NAMESPACE,
        node_security_group_id=node_sg_id,
    )


def capture_data(stack: str, overrides: Mapping[str, Any] | None = None) -> tuple[Capture, dict[str, Any]]:
    """The stack's foundation plus its data services on mocks; also returns the Platform's handles."""
    raw = read_stack_file(stack)
    if overrides:
        raw = deep_merge(raw, overrides)
    config = load_stack(stack, raw=raw)
    seen: dict[str, Any] = {}

    def program() -> None:
        platform = Platform(config=config)
        for step in (wire_provider, wire_kms, wire_network):
            step(platform)
        platform.cluster = stand_in_cluster(platform)
        wire_data(platform)
        for key, value in platform.exports.items():
            pulumi.export(key, value)
        seen["datastores"] = platform.datastores

    return run_program(stack, raw, program, region=config.region), seen


def manifest(resource: CapturedResource) -> dict[str, Any]:
    """A captured Kubernetes resource as the API server would receive it (wire numbers are floats)."""
    return _ints(resource.props)


def _ints(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _ints(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_ints(v) for v in value]
    return value


def network_for_tests() -> Any:
    """Inside a program: a KMS key and a node security group, wrapped as a component's network args."""
    from components.datastore import ManagedNetworkArgs

    key = aws.kms.Key("test-data-key", description="stand-in for the stack key")
    nodes = aws.ec2.SecurityGroup(
        "test-nodes", vpc_id="vpc-test", description="stand-in for the EKS node group"
    )
    return ManagedNetworkArgs(
        vpc_id="vpc-test",
        subnet_ids=["subnet-a", "subnet-b", "subnet-c"],
        client_security_group_id=nodes.id,
        kms_key_arn=key.arn,
    )


def fed_by(resource: CapturedResource, key: str, source: CapturedResource) -> bool:
    """Whether input `key` of `resource` was computed from an output of `source`."""
    return source.urn in resource.property_dependencies.get(key, [])


TAGS = {
    "environment": "test",
    "project": "groundwork",
    "managed-by": "pulumi",
    "owner": "tests",
    "cost-center": "tests",
}
