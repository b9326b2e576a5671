"""Every physical name the program derives from the stack name fits its service, for the longest
and oddest stack name the config accepts (stacks.config.keys.STACK_NAME_MAX)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from stacks.config import ConfigError, parse_stack_config, read_stack_file
from stacks.config.keys import STACK_NAME_MAX
from stacks.preflight.capture import Capture, CapturedResource, run_program
from stacks.program import build

LONGEST = "abcdefghijkl"[:STACK_NAME_MAX]
ODDEST = ("a-1-b-2-c-3z" + "9" * STACK_NAME_MAX)[:STACK_NAME_MAX]
# Pulumi's autonaming appends "-" and seven random characters to the resource name.
AUTONAME_SUFFIX = 8

DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
LOWER_ID = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")  # RDS / ElastiCache: no "--", no trailing "-"

# (type, input holding the name or None for the autonamed resource name) -> (max length, pattern).
# Limits from each service's API reference / quotas page (CreateDBInstance DBInstanceIdentifier 63,
# CreateReplicationGroup ReplicationGroupId 40, CreateCluster ClusterName 64 (MSK) / 100 (EKS),
# CreateNodegroup 63, CreateRole RoleName 64, CreatePolicy 128, CreateBucket 63, CreateVault 50,
# CreateBackupPlan 50, CreateBudget 100, PutMetricAlarm 255, CreateDBProxy 63, CreateSecurityGroup
# 255, CreateLaunchTemplate 128, CreateTopic 256, CreateAlias 256, CreateLogGroup 512; Helm release
# names 53; Kubernetes object names DNS subdomains of 253, Services and Namespaces DNS labels of 63).
LIMITS: dict[tuple[str, str | None], tuple[int, re.Pattern[str] | None]] = {
    ("aws:rds/instance:Instance", "identifier"): (63, LOWER_ID),
    ("aws:rds/subnetGroup:SubnetGroup", "name"): (255, None),
    ("aws:rds/parameterGroup:ParameterGroup", "name"): (255, LOWER_ID),
    ("aws:rds/proxy:Proxy", "name"): (63, LOWER_ID),
    ("aws:elasticache/replicationGroup:ReplicationGroup", "replicationGroupId"): (40, LOWER_ID),
    ("aws:elasticache/subnetGroup:SubnetGroup", "name"): (255, None),
    ("aws:msk/cluster:Cluster", "clusterName"): (64, None),
    ("aws:msk/configuration:Configuration", "name"): (64, None),
    ("aws:eks/cluster:Cluster", "name"): (100, None),
    ("aws:eks/nodeGroup:NodeGroup", None): (63, None),
    ("aws:iam/role:Role", None): (64, None),
    ("aws:iam/policy:Policy", None): (128, None),
    ("aws:iam/rolePolicy:RolePolicy", None): (128, None),
    ("aws:s3/bucket:Bucket", None): (63, DNS_SUBDOMAIN),
    ("aws:backup/vault:Vault", None): (50, None),
    ("aws:backup/plan:Plan", None): (50, None),
    ("aws:backup/selection:Selection", "name"): (50, None),
    ("aws:budgets/budget:Budget", "name"): (100, None),
    ("aws:cloudwatch/metricAlarm:MetricAlarm", None): (255, None),
    ("aws:ec2/securityGroup:SecurityGroup", None): (255, None),
    ("aws:ec2/launchTemplate:LaunchTemplate", None): (128, None),
    ("aws:sns/topic:Topic", None): (256, None),
    ("aws:kms/alias:Alias", "name"): (256, None),
    ("aws:cloudwatch/logGroup:LogGroup", "name"): (512, None),
    ("kubernetes:helm.sh/v4:Chart", None): (53, DNS_LABEL),
}
K8S_LABEL_NAMED = ("kubernetes:core/v1:Service", "kubernetes:core/v1:Namespace")


# The longest bucket name groundwork:buckets accepts; in prod a datalake also gets its replica's names.
LONGEST_BUCKET = {"abcdefghij-klmnopq-9": {"purpose": "datalake"}}


def _capture(environment: str, stack: str) -> Capture:
    raw = {
        **read_stack_file(environment),
        "groundwork:environment": environment,
        "groundwork:buckets": LONGEST_BUCKET,
    }
    config = parse_stack_config(stack, raw)
    return run_program(stack, raw, lambda: build(config), region=config.region)


@pytest.fixture(scope="module")
def captures() -> dict[tuple[str, str], Capture]:
    return {(env, name): _capture(env, name) for env in ("prod", "local") for name in (LONGEST, ODDEST)}


def _names(resource: CapturedResource) -> Iterator[tuple[str, str, int, re.Pattern[str] | None]]:
    for (type_, key), (limit, pattern) in LIMITS.items():
        if resource.type != type_:
            continue
        if key is None:
            explicit = resource.inputs.get("name")
            name = explicit if isinstance(explicit, str) else resource.name
            extra = (
                0 if isinstance(explicit, str) or type_ == "kubernetes:helm.sh/v4:Chart" else AUTONAME_SUFFIX
            )
            yield "name", name, limit - extra, pattern
        elif isinstance(resource.inputs.get(key), str):
            yield key, resource.inputs[key], limit, pattern
    metadata = resource.inputs.get("metadata")
    if resource.type.startswith("kubernetes:") and isinstance(metadata, dict) and "name" in metadata:
        label = resource.type in K8S_LABEL_NAMED
        yield "metadata.name", metadata["name"], 63 if label else 253, DNS_LABEL if label else DNS_SUBDOMAIN


@pytest.mark.parametrize("environment", ["prod", "local"])
@pytest.mark.parametrize("stack", [LONGEST, ODDEST])
def test_every_derived_name_fits_its_service(captures, environment, stack):
    too_long = []
    for resource in captures[(environment, stack)].resources:
        for key, name, limit, pattern in _names(resource):
            if len(name) > limit or (pattern is not None and not pattern.fullmatch(name)):
                too_long.append(f"{resource.type} {key}={name!r} ({len(name)} > {limit} or malformed)")
    assert not too_long, "\n".join(too_long)


def test_the_check_sees_the_names_that_matter(captures):
    """Not vacuous: the names most at risk are among those checked."""
    checked = {r.type for r in captures[("prod", LONGEST)].resources for _ in _names(r)}
    assert {"aws:rds/instance:Instance", "aws:iam/role:Role", "kubernetes:helm.sh/v4:Chart"} <= checked


@pytest.mark.parametrize(
    "stack",
    ["Prod", "prod_1", "prod.eu", "1prod", "prod-", "pr--od", "-prod", "a" * (STACK_NAME_MAX + 1), ""],
)
def test_a_stack_name_no_derived_name_could_carry_is_refused(stack):
    with pytest.raises(ConfigError, match=r"stack = .*: a stack name is 1 to \d+ characters"):
        parse_stack_config(stack, {**read_stack_file("dev"), "groundwork:environment": "dev"})
