"""The AWS provider, the stack's KMS key and the network."""

from __future__ import annotations

import pulumi_aws as aws

from components.kms import KmsKey, KmsKeyArgs
from components.network import Network, NetworkArgs
from stacks.wiring.platform import Platform

# Services that use the platform key as themselves, not through a caller's IAM identity: CloudWatch
# alarms, EventBridge rules and AWS Budgets publishing to the encrypted alarm topic. (AWS Backup,
# RDS, EKS and the rest act through the caller's or their service role's IAM grants.)
KEY_SERVICE_PRINCIPALS = ("cloudwatch.amazonaws.com", "events.amazonaws.com", "budgets.amazonaws.com")


def wire_provider(platform: Platform) -> None:
    """One explicit provider per stack, so region and default tags never come from a laptop's env."""
    config = platform.config
    if not config.on_aws:
        return
    platform.aws_provider = aws.Provider(
        f"{config.stack}-aws",
        region=config.region,
        default_tags=aws.ProviderDefaultTagsArgs(tags=config.standard_tags),
    )


def wire_kms(platform: Platform) -> None:
    config = platform.config
    if not config.on_aws:
        return
    platform.kms = KmsKey(
        f"{config.stack}-platform",
        KmsKeyArgs(
            description=f"Groundwork {config.stack}: encrypts logs, data stores and backups",
            tags=config.standard_tags,
            service_principals=KEY_SERVICE_PRINCIPALS,
            logs_region=config.region,
            protect=config.protect_stateful_resources,
            autoscaling_volumes=config.cluster.mode == "eks" and config.cluster.node_volume_key == "platform",
        ),
        opts=platform.aws_opts(),
    )
    platform.exports["kms_key_arn"] = platform.kms.key_arn


def wire_network(platform: Platform) -> None:
    config = platform.config
    if not config.network.enabled or platform.kms is None:
        return
    platform.network = Network(
        f"{config.stack}-network",
        NetworkArgs(
            settings=config.network,
            region=config.region or "",
            kms_key_arn=platform.kms.key_arn,
            tags=config.standard_tags,
            protect=config.protect_stateful_resources,
        ),
        opts=platform.aws_opts(),
    )
    network = platform.network
    platform.exports.update(
        {
            "vpc_id": network.vpc_id,
            "vpc_cidr": network.vpc_cidr,
            "public_subnet_ids": network.public_subnet_ids,
            "private_subnet_ids": network.private_subnet_ids,
            "database_subnet_ids": network.database_subnet_ids,
            "availability_zones": network.availability_zones,
            "nat_public_ips": network.nat_public_ips,
            "flow_log_group": network.flow_log_group_name,
        }
    )
