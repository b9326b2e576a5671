"""IAM roles that an AWS service assumes (VPC flow logs, RDS, EKS, AWS Backup), with one trust policy.

A service role trusts one service principal. Left at that, the service would assume the role on behalf
of *any* account's resource that names it (the cross-service confused deputy), so the trust is
limited to this account with `aws:SourceAccount`, and to one resource with `aws:SourceArn` where the
resource's ARN is known. A few services do not send those keys when they assume a role (EC2 for an
instance profile, AWS Backup for its service role): for them a condition would lock the service
out, so the caller must say why the trust stays unconditioned; `iam:PassRole`, which only this
account's identities hold, is then what limits who can hand the role to the service.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws


def service_trust_policy(
    service: str,
    account: str | None,
    *,
    source_arn: str | None = None,
    actions: Sequence[str] = ("sts:AssumeRole",),
) -> dict[str, Any]:
    """The trust policy: `service` may assume the role for resources of `account` (and, with
    `source_arn`, only for the resource or resources that ARN pattern matches). `account` None leaves
    the statement unconditioned (see the module docstring for when that is right)."""
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": actions[0] if len(actions) == 1 else list(actions),
    }
    if account is not None:
        condition: dict[str, Any] = {"StringEquals": {"aws:SourceAccount": account}}
        if source_arn is not None:
            condition["ArnLike"] = {"aws:SourceArn": source_arn}
        statement["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [statement]}


def service_role(
    name: str,
    *,
    service: str,
    parent: pulumi.Resource,
    tags: Mapping[str, str],
    description: str | None = None,
    source_arn: Callable[[str, str], str] | None = None,
    actions: Sequence[str] = ("sts:AssumeRole",),
    unconditioned_because: str | None = None,
) -> aws.iam.Role:
    """A role `service` assumes for this account's resources only.

    source_arn: given the account id and partition, the ARN (pattern) of the resource that uses the
        role, as `aws:SourceArn`; for services that document the key in their trust policies.
    unconditioned_because: for a service that sends no `aws:SourceAccount` when it assumes a role, why
        the trust carries no condition. Required to leave it out, so that is never an accident.
    """
    if unconditioned_because is not None:
        if not unconditioned_because.strip() or source_arn is not None:
            raise ValueError(f"{name}: an unconditioned trust needs a reason and takes no source_arn")
        trust: pulumi.Input[str] = json.dumps(service_trust_policy(service, None, actions=actions))
    else:
        invoke = pulumi.InvokeOutputOptions(parent=parent)
        account = aws.get_caller_identity_output(opts=invoke).account_id
        if source_arn is None:
            trust = account.apply(lambda a: json.dumps(service_trust_policy(service, a, actions=actions)))
        else:
            partition = aws.get_partition_output(opts=invoke).partition
            trust = pulumi.Output.all(account, partition).apply(
                lambda parts: json.dumps(
                    service_trust_policy(service, parts[0], source_arn=source_arn(*parts), actions=actions)
                )
            )
    return aws.iam.Role(
        name,
        assume_role_policy=trust,
        description=description,
        tags=dict(tags),
        opts=pulumi.ResourceOptions(parent=parent),
    )
