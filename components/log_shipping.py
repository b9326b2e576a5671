"""Central logs: Fluent Bit on every node ships container logs to a KMS-encrypted CloudWatch Logs
group with a retention period, through an IRSA role that may write to that one group only.
Without AWS (local) the same DaemonSet prints to stdout, so `kubectl logs` shows the merged stream."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
from pydantic import Field, InstanceOf, model_validator

from components._lib.args import ComponentArgs, Input, SettingError
from components._lib.fields import LogRetentionDays
from components.irsa import irsa_trust_policy
from components.namespace import (
    ApiServerEndpoint,
    AppNamespace,
    Peer,
    aws_api_egress,
    environment_labels,
    kube_api_egress,
    platform_namespace,
    prometheus_scrape,
)
from components.tagging import component_tags

FLUENT_BIT_CHART = "fluent-bit"
# fluent/helm-charts tag fluent-bit-0.47.0 (Fluent Bit 3.1.0).
FLUENT_BIT_CHART_VERSION = "0.47.0"
# The chart's default registry, cr.fluentbit.io, is not on the pack's registry allow-list; Fluent Bit
# publishes the same release images on Docker Hub.
FLUENT_BIT_IMAGE = "docker.io/fluent/fluent-bit"
FLUENT_BIT_REPOSITORY = "https://fluent.github.io/helm-charts"
SERVICE_ACCOUNT = "fluent-bit"
METRICS_PORT = 2020  # Fluent Bit's built-in HTTP server (/api/v2/metrics/prometheus)


class LogShippingSettings(ComponentArgs):
    """Where container logs go: the `logs` and `logRetentionDays` keys of `groundwork:monitoring`."""

    logs: Literal["cloudwatch", "stdout"] = Field(
        default="cloudwatch",
        description="`cloudwatch`: durable, encrypted, searchable, through an IRSA role that may write to "
        "one group; `stdout`: the DaemonSet prints the merged stream (no AWS, the local stack).",
    )
    log_retention_days: LogRetentionDays = Field(
        default=365, description="How long container logs stay in CloudWatch Logs."
    )


class LogShippingArgs(ComponentArgs):
    """The settings plus what the cluster and the stack provide (the AWS inputs for cloudwatch)."""

    settings: LogShippingSettings = Field(default_factory=LogShippingSettings, description="Where, how long.")
    namespace: str = Field(default="logging", description="Fluent Bit's namespace.")
    kms_key_arn: Input[str] | None = Field(default=None, description="Encrypts the log group (cloudwatch).")
    region: str | None = Field(default=None, description="The log group's region (cloudwatch).")
    oidc_provider_arn: Input[str] | None = Field(
        default=None, description="The cluster's IRSA identity provider (cloudwatch)."
    )
    oidc_issuer: Input[str] | None = Field(default=None, description="Its issuer, without https://.")
    tags: Mapping[str, str] = Field(default_factory=dict, description="The stack's tags.")
    protect: bool = Field(
        default=True,
        description="Keep the log group (audit evidence) from deletion: Pulumi's protect and "
        "CloudWatch's own deletion protection (prod).",
    )
    chart_version: str = Field(default=FLUENT_BIT_CHART_VERSION, description="The fluent-bit chart, pinned.")
    api_server: InstanceOf[ApiServerEndpoint] = Field(
        default_factory=ApiServerEndpoint,
        description="Where Fluent Bit's kubernetes filter reads pod metadata (components.namespace).",
    )
    aws_endpoint_cidrs: Sequence[Input[str]] = Field(
        default=(), description="The subnets of the VPC's interface endpoints (CloudWatch Logs, STS), if any."
    )
    scraper: InstanceOf[Peer] | None = Field(
        default=None, description="Prometheus's pods; when set they may scrape Fluent Bit's metrics port."
    )

    @model_validator(mode="after")
    def _cloudwatch_inputs(self) -> LogShippingArgs:
        if self.settings.logs == "cloudwatch":
            missing = [
                k
                for k in ("kms_key_arn", "region", "oidc_provider_arn", "oidc_issuer")
                if getattr(self, k) is None
            ]
            if missing:
                raise SettingError("logs", "cloudwatch", f"needs {', '.join(missing)}")
        return self


class LogShipping(pulumi.ComponentResource):
    log_group_name: pulumi.Output[str] | None
    role_arn: pulumi.Output[str] | None

    def __init__(self, name: str, args: LogShippingArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("groundwork:log_shipping:LogShipping", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.log_group_name = None
        self.role_arn = None
        cloudwatch = args.settings.logs == "cloudwatch"
        allowances = [kube_api_egress(args.api_server)]
        if cloudwatch:
            # CloudWatch Logs and STS through the interface endpoints when the VPC has them, else their
            # public addresses through NAT: HTTPS only, never into the private ranges.
            allowances.append(aws_api_egress(args.aws_endpoint_cidrs, public=True))
        if args.scraper is not None:
            allowances.append(prometheus_scrape(args.scraper, [METRICS_PORT]))
        namespace = AppNamespace(
            name,
            platform_namespace(
                args.namespace,
                pod_security="privileged",
                allowances=allowances,
                reason=(
                    "Fluent Bit reads container logs from the host's /var/log (hostPath): "
                    "only privileged admits it"
                ),
                labels=environment_labels(args.tags.get("environment")),
                moved_children={f"{name}-namespace": f"{name}-ns"},
            ),
            opts=child,
        )
        service_account: dict[str, Any] = {"create": True, "name": SERVICE_ACCOUNT}
        if cloudwatch:
            group = aws.cloudwatch.LogGroup(
                f"{name}-containers",
                name=f"/groundwork/{name}/containers",
                retention_in_days=args.settings.log_retention_days,
                kms_key_id=args.kms_key_arn,
                tags=component_tags(args.tags, name),
                deletion_protection_enabled=True if args.protect else None,
                opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
            )
            role = aws.iam.Role(
                f"{name}-fluent-bit",
                description="Fluent Bit writes container logs to one CloudWatch Logs group",
                assume_role_policy=irsa_trust_policy(
                    args.oidc_provider_arn, args.oidc_issuer, args.namespace, SERVICE_ACCOUNT
                ),
                tags=component_tags(args.tags, name),
                opts=child,
            )
            aws.iam.RolePolicy(
                f"{name}-fluent-bit", role=role.id, policy=group.arn.apply(log_writer_policy), opts=child
            )
            service_account["annotations"] = {
                "eks.amazonaws.com/role-arn": role.arn,
                "eks.amazonaws.com/sts-regional-endpoints": "true",
            }
            outputs = group.name.apply(lambda group_name: cloudwatch_output(group_name, args.region or ""))
            self.log_group_name = group.name
            self.role_arn = role.arn
        else:
            outputs = pulumi.Output.from_input(STDOUT_OUTPUT)

        k8s.helm.v4.Chart(
            f"{name}-fluent-bit",
            chart=FLUENT_BIT_CHART,
            version=args.chart_version,
            namespace=args.namespace,
            repository_opts=k8s.helm.v4.RepositoryOptsArgs(repo=FLUENT_BIT_REPOSITORY),
            values={
                "image": {"repository": FLUENT_BIT_IMAGE},
                "serviceAccount": service_account,
                "config": {"outputs": outputs},
                # Rendered only when monitoring.coreos.com/v1 is served: the chart waits for what this
                # component waits for (the wiring names Monitoring, which installs those CRDs).
                "serviceMonitor": {"enabled": True},
                # Fluent Bit runs as root (the logging namespace is privileged for it): the container
                # log files under /var/log are root's, and with every capability dropped root reads
                # only what it owns. No privilege escalation, a read-only root, the runtime's seccomp.
                "podSecurityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
                "securityContext": {
                    "allowPrivilegeEscalation": False,
                    "readOnlyRootFilesystem": True,
                    "capabilities": {"drop": ["ALL"]},
                    "seccompProfile": {"type": "RuntimeDefault"},
                },
                "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "256Mi"}},
                # The chart's test Pod is a Helm test hook, which Chart v4 never runs.
                "testFramework": {"enabled": False},
            },
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[namespace, *_as_list(opts.depends_on if opts else None)]
            ),
        )
        self.register_outputs({"log_group_name": self.log_group_name, "role_arn": self.role_arn})


def _as_list(depends_on: Any) -> list[Any]:
    """ResourceOptions.depends_on as a list (it may be one resource, a list, or None)."""
    if depends_on is None:
        return []
    return list(depends_on) if isinstance(depends_on, (list, tuple)) else [depends_on]


STDOUT_OUTPUT = """[OUTPUT]
    Name   stdout
    Match  kube.*
    Format json_lines
"""


def cloudwatch_output(log_group_name: str, region: str) -> str:
    """Fluent Bit's cloudwatch_logs output into an existing group (Pulumi owns retention and KMS)."""
    return f"""[OUTPUT]
    Name                cloudwatch_logs
    Match               kube.*
    region              {region}
    log_group_name      {log_group_name}
    log_stream_prefix   node-
    auto_create_group   false
"""


def log_writer_policy(log_group_arn: str) -> str:
    """Create streams and put events in one group; nothing else, no other group."""
    base = log_group_arn.removesuffix(":*")
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                    "Resource": [base, f"{base}:log-stream:*"],
                }
            ],
        }
    )
