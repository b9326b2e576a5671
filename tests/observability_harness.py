"""Builds a stack's platform on mocks the way stacks/program.py will after the merge: the foundation
wiring, stand-ins for the cluster and data-service areas (other branches), then the observability
wiring. Captures are cached per (stack, variant) for the whole test session."""

from __future__ import annotations

import functools
import json

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from stacks.config import load_stack, read_stack_file
from stacks.config.loader import deep_merge
from stacks.preflight.capture import Capture, run_program
from stacks.preflight.mocks import ACCOUNT_ID
from stacks.wiring.foundation import wire_kms, wire_network, wire_provider
from stacks.wiring.observability import wire_alarms, wire_backups, wire_cluster_backup, wire_monitoring
from stacks.wiring.platform import ClusterHandle, DatastoreHandle, Platform

OIDC_ISSUER = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
# Credentials as a stack file holds them: `secure:` values, read by preflight as SECRET_PLACEHOLDER.
SECURE_ALERTING = {
    "groundwork:monitoring": {
        "alerting": {
            "slackWebhookUrl": {"secure": "v1:slack-ciphertext"},
            "pagerdutyRoutingKey": {"secure": "v1:pagerduty-ciphertext"},
            "smtpAuthUsername": "AKIAEXAMPLESMTPUSER",
            "smtpAuthPassword": {"secure": "v1:smtp-ciphertext"},
            "emailTo": ["oncall@example.com"],
            "emailFrom": "alertmanager@example.com",
            "smtpSmarthost": "email-smtp.eu-west-1.amazonaws.com:587",
        }
    }
}
VARIANTS = {"plain": {}, "secure-alerting": SECURE_ALERTING}


def _out(value: str) -> pulumi.Output[str]:
    return pulumi.Output.from_input(value)


def stand_in_cluster(platform: Platform) -> ClusterHandle:
    on_aws = platform.config.on_aws
    return ClusterHandle(
        k8s_provider=k8s.Provider(f"{platform.config.stack}-k8s", kubeconfig="stand-in"),
        storage_class_name="gp3" if on_aws else "standard",
        app_namespace="apps",
        cluster_name=_out(f"{platform.config.stack}-eks") if on_aws else None,
        oidc_provider_arn=_out(f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{OIDC_ISSUER}") if on_aws else None,
        oidc_issuer=_out(OIDC_ISSUER) if on_aws else None,
    )


def stand_in_datastores(platform: Platform) -> dict[str, DatastoreHandle]:
    """What the data-service areas hand over; on AWS also the tagged RDS and ElastiCache resources
    they create, so the backup coverage check has real registrations to inspect."""
    stack, managed = platform.config.stack, platform.config.on_aws
    if managed:
        tags = {**platform.config.standard_tags, "backup": "true"}
        aws.rds.Instance(
            f"{stack}-postgres-standin",
            identifier=f"{stack}-postgres",
            instance_class="db.t3.medium",
            engine="postgres",
            tags=tags,
            opts=platform.aws_opts(),
        )
        aws.elasticache.ReplicationGroup(
            f"{stack}-redis-standin",
            replication_group_id=f"{stack}-redis",
            description="stand-in",
            snapshot_retention_limit=7,
            tags=tags,
            opts=platform.aws_opts(),
        )
    region = platform.config.region or "local"

    def handle(kind, endpoint, port, resource_id, arn=None) -> DatastoreHandle:
        return DatastoreHandle(
            kind=kind,
            managed=managed,
            endpoint=_out(endpoint),
            port=port,
            connection_secret_name=_out(f"{kind}-connection"),
            arn=_out(arn) if managed and arn else None,
            resource_id=_out(resource_id) if managed else None,
        )

    return {
        "postgres": handle(
            "postgres",
            f"{stack}-postgres.abc.{region}.rds.amazonaws.com",
            5432,
            f"{stack}-postgres",
            f"arn:aws:rds:{region}:{ACCOUNT_ID}:db:{stack}-postgres",
        ),
        "redis": handle("redis", f"master.{stack}-redis.abc.cache.amazonaws.com", 6379, f"{stack}-redis"),
        "kafka": handle(
            "kafka",
            "b-1.kafka:9098,b-2.kafka:9098",
            9098,
            f"{stack}-kafka",
            f"arn:aws:kafka:{region}:{ACCOUNT_ID}:cluster/{stack}-kafka/0f1e2d3c-aaaa",
        ),
    }


@functools.cache
def observe(stack: str, variant: str = "plain") -> Capture:
    raw = deep_merge(read_stack_file(stack), VARIANTS[variant])
    config = load_stack(stack, raw=raw)

    def program() -> None:
        platform = Platform(config=config)
        for step in (wire_provider, wire_kms, wire_network):
            step(platform)
        platform.cluster = stand_in_cluster(platform)
        platform.datastores = stand_in_datastores(platform)
        for step in (wire_monitoring, wire_alarms, wire_backups, wire_cluster_backup):
            step(platform)
        for key, value in platform.exports.items():
            pulumi.export(key, value)

    return run_program(
        stack,
        {k: v if isinstance(v, str) else json.dumps(v) for k, v in raw.items()},
        program,
        region=config.region,
    )
