"""Pulumi mocks that stand in for the AWS and Kubernetes providers in preflight and tests.

A mock returns a resource's inputs as its state plus the outputs real providers compute (ids,
ARNs, endpoints), so program code that reads them (`vpc.id`, `cluster.endpoint`) runs the same way
it does in a real deployment. Unknown invokes fail loudly instead of returning nothing.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from typing import Any

import pulumi

ACCOUNT_ID = "123456789012"
MOCK_REGION = "eu-west-1"
# Preflight runs as CI's deploy role would (docs/ci.md): an assumed-role session of `groundwork-deploy`.
DEPLOYER_ROLE_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/groundwork-deploy"
DEPLOYER_SESSION_ARN = f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/groundwork-deploy/preflight"


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
    return {
        "name": name,
        "arn": f"arn:aws:iam::{ACCOUNT_ID}:role/{name}",
        "uniqueId": f"AROA{_digest(name, 16)}",
    }


def _vpc(args: pulumi.runtime.MockResourceArgs, region: str) -> dict[str, Any]:
    return {
        "defaultSecurityGroupId": f"sg-{_digest(args.name + 'default')}",
        "mainRouteTableId": f"rtb-{_digest(args.name + 'main')}",
    }


def _eks_cluster(args: pulumi.runtime.MockResourceArgs, region: str) -> dict[str, Any]:
    name = args.inputs.get("name", args.name)
    oidc_id = _digest(name + "oidc", 32).upper()
    vpc = dict(args.inputs.get("vpcConfig", {}))
    vpc.update(
        clusterSecurityGroupId=f"sg-{_digest(name + 'cluster-sg')}", vpcId=f"vpc-{_digest(name + 'vpc')}"
    )
    return {
        "name": name,
        "arn": _arn("eks", region, f"cluster/{name}"),
        "status": "ACTIVE",
        "platformVersion": "eks.1",
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
    return {
        "nodeGroupName": group,
        "status": "ACTIVE",
        "arn": _arn("eks", region, f"nodegroup/{cluster}/{group}/{_digest(args.name, 8)}"),
        "resources": [{"autoscalingGroups": [{"name": f"eks-{group}-{_digest(args.name, 8)}"}]}],
    }


def _launch_template(args: pulumi.runtime.MockResourceArgs, region: str) -> dict[str, Any]:
    return {"latestVersion": 1, "defaultVersion": 1}


def _eks_access_entry(args: pulumi.runtime.MockResourceArgs, region: str) -> dict[str, Any]:
    return {
        "accessEntryArn": _arn(
            "eks", region, f"access-entry/{args.inputs.get('clusterName')}/{_digest(args.name)}"
        )
    }


def _rds_instance(args: pulumi.runtime.MockResourceArgs, region: str) -> dict[str, Any]:
    identifier = args.inputs.get("identifier", args.name)
    address = f"{identifier}.c{_digest(identifier, 12)}.{region}.rds.amazonaws.com"
    outputs: dict[str, Any] = {
        "identifier": identifier,
        "address": address,
        "endpoint": f"{address}:{int(args.inputs.get('port', 5432))}",
        "arn": _arn("rds", region, f"db:{identifier}"),
        "resourceId": f"db-{_digest(identifier, 26).upper()}",
        "engineVersionActual": args.inputs.get("engineVersion", ""),
    }
    if args.inputs.get("manageMasterUserPassword"):
        outputs["masterUserSecrets"] = [
            {
                "secretArn": _arn(
                    "secretsmanager", region, f"secret:rds!db-{_digest(identifier, 36)}-AbCdEf"
                ),
                "kmsKeyId": args.inputs.get("masterUserSecretKmsKeyId", ""),
                "secretStatus": "active",
            }
        ]
    return outputs


def _replication_group(args: pulumi.runtime.MockResourceArgs, region: str) -> dict[str, Any]:
    group_id = args.inputs.get("replicationGroupId", args.name)
    suffix = f"{_digest(group_id, 6)}.{region[:2]}{region.split('-')[1][0]}{region[-1]}.cache.amazonaws.com"
    return {
        "replicationGroupId": group_id,
        "arn": _arn("elasticache", region, f"replicationgroup:{group_id}"),
        "primaryEndpointAddress": f"master.{group_id}.{suffix}",
        "readerEndpointAddress": f"replica.{group_id}.{suffix}",
    }


def _msk_cluster(args: pulumi.runtime.MockResourceArgs, region: str) -> dict[str, Any]:
    name = args.inputs.get("clusterName", args.name)
    count = int(args.inputs.get("numberOfBrokerNodes", 3))
    digest = _digest(name, 6)

    def brokers(port: int) -> str:
        return ",".join(
            f"b-{i}.{name}.{digest}.c2.kafka.{region}.amazonaws.com:{port}" for i in range(1, count + 1)
        )

    return {
        "clusterName": name,
        "arn": _arn("kafka", region, f"cluster/{name}/{_digest(name, 8)}-1"),
        "bootstrapBrokersTls": brokers(9094),
        "bootstrapBrokersSaslScram": brokers(9096),
        "bootstrapBrokersSaslIam": brokers(9098),
        "currentVersion": "K3AEGXETSR30VB",
    }


def _msk_configuration(args: pulumi.runtime.MockResourceArgs, region: str) -> dict[str, Any]:
    name = args.inputs.get("name", args.name)
    return {"arn": _arn("kafka", region, f"configuration/{name}/{_digest(name, 8)}-1"), "latestRevision": 1}


def _rds_proxy(args: pulumi.runtime.MockResourceArgs, region: str) -> dict[str, Any]:
    name = args.inputs.get("name", args.name)
    return {
        "name": name,
        "arn": _arn("rds", region, f"db-proxy:prx-{_digest(name, 17)}"),
        "endpoint": f"{name}.proxy-c{_digest(name, 12)}.{region}.rds.amazonaws.com",
    }


def _secret(args: pulumi.runtime.MockResourceArgs, region: str) -> dict[str, Any]:
    name = args.inputs.get("name", args.name)
    return {"arn": _arn("secretsmanager", region, f"secret:{name}-{_digest(name, 6)}")}


def _ecr_repository(args: pulumi.runtime.MockResourceArgs, region: str) -> dict[str, Any]:
    name = args.inputs.get("name", args.name)
    return {
        "name": name,
        "arn": _arn("ecr", region, f"repository/{name}"),
        "registryId": ACCOUNT_ID,
        "repositoryUrl": f"{ACCOUNT_ID}.dkr.ecr.{region}.amazonaws.com/{name}",
    }


def _named(args: pulumi.runtime.MockResourceArgs, region: str) -> dict[str, Any]:
    """Resources whose name the provider fills in when the program leaves it to autonaming."""
    return {"name": args.inputs.get("name", args.name)}


def _s3_bucket(args: pulumi.runtime.MockResourceArgs, region: str) -> dict[str, Any]:
    bucket = args.inputs.get("bucket", f"{args.name}-{_digest(args.name)}")
    return {"bucket": bucket, "arn": f"arn:aws:s3:::{bucket}", "region": region}


def _cloudtrail(args: pulumi.runtime.MockResourceArgs, region: str) -> dict[str, Any]:
    name = args.inputs.get("name", args.name)
    return {"name": name, "arn": _arn("cloudtrail", region, f"trail/{name}"), "homeRegion": region}


def _event_rule(args: pulumi.runtime.MockResourceArgs, region: str) -> dict[str, Any]:
    name = args.inputs.get("name", args.name)
    return {"name": name, "arn": _arn("events", region, f"rule/{name}")}


def _hosted_zone(args: pulumi.runtime.MockResourceArgs, region: str) -> dict[str, Any]:
    zone_id = "Z" + _digest(args.name, 20).upper()
    return {
        "zoneId": zone_id,
        "arn": f"arn:aws:route53:::hostedzone/{zone_id}",
        "nameServers": [
            f"ns-{i}.awsdns-{i:02d}.{tld}" for i, tld in enumerate(("com", "net", "org", "co.uk"))
        ],
    }


def _certificate(args: pulumi.runtime.MockResourceArgs, region: str) -> dict[str, Any]:
    """ACM gives apex and wildcard of one name the same validation CNAME."""
    domain = args.inputs.get("domainName", args.name)
    names = [domain, *args.inputs.get("subjectAlternativeNames", [])]
    token = _digest(domain, 32)
    record = {
        "resourceRecordName": f"_{token}.{domain.removeprefix('*.')}.",
        "resourceRecordType": "CNAME",
        "resourceRecordValue": f"_{_digest(token, 32)}.acm-validations.aws.",
    }
    return {"domainValidationOptions": [{"domainName": name, **record} for name in names]}


def _record(args: pulumi.runtime.MockResourceArgs, region: str) -> dict[str, Any]:
    return {"fqdn": str(args.inputs.get("name", args.name)).rstrip(".")}


def _web_acl(args: pulumi.runtime.MockResourceArgs, region: str) -> dict[str, Any]:
    """WAFv2 ARNs carry the scope, the name and an id: `regional/webacl/<name>/<id>`."""
    name = args.inputs.get("name", args.name)
    web_acl_id = str(uuid.UUID(_digest(name, 32)))
    return {"arn": _arn("wafv2", region, f"regional/webacl/{name}/{web_acl_id}"), "id": web_acl_id}


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
    "aws:rds/instance:Instance": _rds_instance,
    "aws:elasticache/replicationGroup:ReplicationGroup": _replication_group,
    "aws:msk/cluster:Cluster": _msk_cluster,
    "aws:msk/configuration:Configuration": _msk_configuration,
    "aws:secretsmanager/secret:Secret": _secret,
    "aws:rds/proxy:Proxy": _rds_proxy,
    "aws:backup/vault:Vault": _named,
    "aws:sns/topic:Topic": _named,
    "aws:s3/bucket:Bucket": _s3_bucket,
    "aws:ecr/repository:Repository": _ecr_repository,
    "aws:cloudtrail/trail:Trail": _cloudtrail,
    "aws:cloudwatch/eventRule:EventRule": _event_rule,
    "aws:route53/zone:Zone": _hosted_zone,
    "aws:acm/certificate:Certificate": _certificate,
    "aws:route53/record:Record": _record,
    "aws:wafv2/webAcl:WebAcl": _web_acl,
    "aws:guardduty/detector:Detector": lambda args, region: {"accountId": ACCOUNT_ID},
    # Deterministic and obviously fake; the program must still treat it as a secret.
    "random:index/randomPassword:RandomPassword": lambda args, region: {
        "result": f"mock-password-{_digest(args.name, 16)}"
    },
}

_ID_PREFIX = {
    "aws:ec2/vpc:Vpc": "vpc",
    "aws:ec2/subnet:Subnet": "subnet",
    "aws:ec2/routeTable:RouteTable": "rtb",
    "aws:ec2/internetGateway:InternetGateway": "igw",
    "aws:ec2/natGateway:NatGateway": "nat",
    "aws:ec2/securityGroup:SecurityGroup": "sg",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce",
    "aws:ec2/eip:Eip": "eipalloc",
    "aws:ec2/flowLog:FlowLog": "fl",
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
            state.setdefault(
                "arn", _arn(service, self.region, f"{args.typ.rsplit(':', 1)[1].lower()}/{args.name}")
            )
            state.setdefault("tagsAll", state.get("tags", {}))
        extra = COMPUTED_OUTPUTS.get(args.typ)
        if extra is not None:
            state.update(extra(args, self.region))
        return resource_id, state

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict, list]:
        handler = CALLS.get(args.token)
        if handler is None:
            raise NotImplementedError(
                f"preflight has no mock for invoke '{args.token}'; add one to stacks/preflight/mocks.py CALLS"
            )
        return handler(self, args.args), []


CALLS: dict[str, Callable[[GroundworkMocks, dict], dict]] = {
    "aws:index/getCallerIdentity:getCallerIdentity": lambda m, a: {
        "accountId": ACCOUNT_ID,
        "arn": DEPLOYER_SESSION_ARN,
        "userId": "AIDAPREFLIGHT",
        "id": ACCOUNT_ID,
    },
    "aws:index/getPartition:getPartition": lambda m, a: {
        "partition": "aws",
        "dnsSuffix": "amazonaws.com",
        "reverseDnsPrefix": "com.amazonaws",
        "id": "aws",
    },
    # The ALB the Load Balancer Controller made under a fixed name: its ARN suffix keys its metrics.
    "aws:lb/getLoadBalancer:getLoadBalancer": lambda m, a: {
        "name": a["name"],
        "arn": _arn(
            "elasticloadbalancing", m.region, f"loadbalancer/app/{a['name']}/{_digest(a['name'], 16)}"
        ),
        "arnSuffix": f"app/{a['name']}/{_digest(a['name'], 16)}",
        "id": a["name"],
    },
    "aws:index/getRegion:getRegion": lambda m, a: {
        "name": m.region,
        "region": m.region,
        "id": m.region,
        "endpoint": f"ec2.{m.region}.amazonaws.com",
        "description": m.region,
    },
    # The preflight caller is an IAM user, so its session's issuer is the user itself.
    "aws:iam/getSessionContext:getSessionContext": lambda m, a: {
        "arn": a.get("arn"),
        "issuerArn": DEPLOYER_ROLE_ARN if a.get("arn") == DEPLOYER_SESSION_ARN else a.get("arn"),
        "issuerId": "AROAPREFLIGHT",
        "issuerName": "groundwork-deploy",
        "sessionName": "preflight",
        "id": a.get("arn"),
    },
}
