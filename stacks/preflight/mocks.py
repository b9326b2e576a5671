"""Pulumi mocks that stand in for the AWS and Kubernetes providers in preflight and tests.

A mock returns a resource's inputs as its state plus the outputs real providers compute (ids,
ARNs, endpoints), so program code that reads them (`vpc.id`, `cluster.endpoint`) runs the same way
it does in a real deployment. Unknown invokes fail loudly instead of returning nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pulumi

ACCOUNT_ID = "123456789012"
MOCK_REGION = "eu-west-1"


def _digest(name: str, length: int = 8) -> str:
    return hashlib.sha256(name.encode()).hexdigest()[:length]


def _arn(service: str, region: str, resource: str) -> str:
    return f"arn:aws:{service}:{region}:{ACCOUNT_ID}:{resource}"


def _eip(args: pulumi.runtime.MockResourceArgs, region: str) -> dict[str, Any]:
    octet = int(_digest(args.name, 2), 16) % 250 + 1
    return {"publicIp": f"203.0.113.{octet}", "allocationId": f"eipalloc-{_digest(args.name)}"}


def _kms_key(args: pulumi.runtime.MockResourceArgs, region: str) -> dict[str, Any]:
    key_id = f"{_digest(args.name, 8)}-0000-4000-8000-{_digest(args.name + 'k', 12)}"
    return {"keyId": key_id, "arn": _arn("kms", region, f"key/{key_id}")}


def _log_group(args: pulumi.runtime.MockResourceArgs, region: str) -> dict[str, Any]:
    name = args.inputs.get("name", args.name)
    return {"name": name, "arn": _arn("logs", region, f"log-group:{name}")}


def _iam_role(args: pulumi.runtime.MockResourceArgs, region: str) -> dict[str, Any]:
    name = args.inputs.get("name", args.name)
    return {"name": name, "arn": f"arn:aws:iam::{ACCOUNT_ID}:role/{name}", "uniqueId": f"AROA{_digest(name, 16)}"}


def _vpc(args: pulumi.runtime.MockResourceArgs, region: str) -> dict[str, Any]:
    return {"defaultSecurityGroupId": f"sg-{_digest(args.name + 'default')}",
            "mainRouteTableId": f"rtb-{_digest(args.name + 'main')}"}


def _eks_cluster(args: pulumi.runtime.MockResourceArgs, region: str) -> dict[str, Any]:
    name = args.inputs.get("name", args.name)
    oidc_id = _digest(name + "oidc", 32).upper()
    vpc = dict(args.inputs.get("vpcConfig", {}))
    vpc.update(clusterSecurityGroupId=f"sg-{_digest(name + 'cluster-sg')}", vpcId=f"vpc-{_digest(name + 'vpc')}")
    return {
        "name": name, "arn": _arn("eks", region, f"cluster/{name}"), "status": "ACTIVE", "platformVersion": "eks.1",
        "endpoint": f"https://{_digest(name + 'endpoint', 32).upper()}.gr7.{region}.eks.amazonaws.com",
        "certificateAuthority": {"data": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCnByZWZsaWdodAo="},
        "identities": [{"oidcs": [{"issuer": f"https://oidc.eks.{region}.amazonaws.com/id/{oidc_id}"}]}],
        "vpcConfig": vpc,
    }


def _oidc_provider(args: pulumi.runtime.MockResourceArgs, region: str) -> dict[str, Any]:
    host = str(args.inputs.get("url", "")).removeprefix("https://")
    return {"arn": f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{host}"}


def _eks_node_group(args: pulumi.runtime.MockResourceArgs, region: str) -> dict[str, Any]:
    cluster = args.inputs.get("clusterName", "cluster")
    group = args.inputs.get("nodeGroupName", args.name)
    return {"nodeGroupName": group, "status": "ACTIVE",
            "arn": _arn("eks", region, f"nodegroup/{cluster}/{group}/{_digest(args.name, 8)}"),
            "resources": [{"autoscalingGroups": [{"name": f"eks-{group}-{_digest(args.name, 8)}"}]}]}


def _launch_template(args: pulumi.runtime.MockResourceArgs, region: str) -> dict[str, Any]:
    return {"latestVersion": 1, "defaultVersion": 1}


def _eks_access_entry(args: pulumi.runtime.MockResourceArgs, region: str) -> dict[str, Any]:
    return {"accessEntryArn": _arn("eks", region, f"access-entry/{args.inputs.get('clusterName')}/{_digest(args.name)}")}


# Outputs that a real provider computes, by resource type. An area adds the types it creates.
COMPUTED_OUTPUTS: dict[str, Callable[[pulumi.runtime.MockResourceArgs, str], dict[str, Any]]] = {
    "aws:ec2/eip:Eip": _eip,
    "aws:kms/key:Key": _kms_key,
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:iam/role:Role": _iam_role,
    "aws:ec2/vpc:Vpc": _vpc,
    "aws:eks/cluster:Cluster": _eks_cluster,
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": _oidc_provider,
    "aws:eks/nodeGroup:NodeGroup": _eks_node_group,
    "aws:ec2/launchTemplate:LaunchTemplate": _launch_template,
    "aws:eks/accessEntry:AccessEntry": _eks_access_entry,
}

_ID_PREFIX = {
    "aws:ec2/vpc:Vpc": "vpc", "aws:ec2/subnet:Subnet": "subnet", "aws:ec2/routeTable:RouteTable": "rtb",
    "aws:ec2/internetGateway:InternetGateway": "igw", "aws:ec2/natGateway:NatGateway": "nat",
    "aws:ec2/securityGroup:SecurityGroup": "sg", "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce",
    "aws:ec2/eip:Eip": "eipalloc", "aws:ec2/flowLog:FlowLog": "fl",
    "aws:ec2/launchTemplate:LaunchTemplate": "lt",
}


class GroundworkMocks(pulumi.runtime.Mocks):
    """Deterministic stand-ins: the same program gives the same ids and ARNs on every run."""

    def __init__(self, region: str | None = None):
        self.region = region or MOCK_REGION

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
        state = dict(args.inputs)
        prefix = _ID_PREFIX.get(args.typ, "id")
        resource_id = args.resource_id or f"{prefix}-{_digest(args.typ + args.name, 12)}"
        if args.typ.startswith("aws:"):
            service = args.typ.split(":")[1].split("/")[0]
            state.setdefault("arn", _arn(service, self.region, f"{args.typ.rsplit(':', 1)[1].lower()}/{args.name}"))
            state.setdefault("tagsAll", state.get("tags", {}))
        extra = COMPUTED_OUTPUTS.get(args.typ)
        if extra is not None:
            state.update(extra(args, self.region))
        return resource_id, state

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict, list]:
        handler = CALLS.get(args.token)
        if handler is None:
            raise NotImplementedError(f"preflight has no mock for invoke '{args.token}'; add one to "
                                      "stacks/preflight/mocks.py CALLS")
        return handler(self, args.args), []


CALLS: dict[str, Callable[[GroundworkMocks, dict], dict]] = {
    "aws:index/getCallerIdentity:getCallerIdentity": lambda m, a: {
        "accountId": ACCOUNT_ID, "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/preflight",
        "userId": "AIDAPREFLIGHT", "id": ACCOUNT_ID},
    "aws:index/getPartition:getPartition": lambda m, a: {
        "partition": "aws", "dnsSuffix": "amazonaws.com", "reverseDnsPrefix": "com.amazonaws", "id": "aws"},
    "aws:index/getRegion:getRegion": lambda m, a: {
        "name": m.region, "region": m.region, "id": m.region, "endpoint": f"ec2.{m.region}.amazonaws.com",
        "description": m.region},
    # The preflight caller is an IAM user, so its session's issuer is the user itself.
    "aws:iam/getSessionContext:getSessionContext": lambda m, a: {
        "arn": a.get("arn"), "issuerArn": a.get("arn"), "issuerId": "AIDAPREFLIGHT",
        "issuerName": "preflight", "sessionName": "", "id": a.get("arn")},
}
