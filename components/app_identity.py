"""An app's own identities: Kubernetes API access from its declared rules, and an AWS role for
exactly what its bindings and secrets need.

Kubernetes: an app gets a ServiceAccount whose token is mounted only when `kubernetes.rules` is
declared; then a Role (or, with `clusterWide`, a ClusterRole) grants exactly those rules and
nothing else. Rules that would let an app escape its own scope are refused at config time:
wildcards, privilege verbs (bind, escalate, impersonate), exec/attach/port-forward into pods, the
kubelet proxy, minting tokens, admission webhooks, certificate approval, changing RBAC, and
Secrets other than named ones (every app's bindings are Secrets in the same namespace).

AWS: an IRSA role trusted by the app's ServiceAccount only (`sub` and `aud` pinned, see
components.irsa) whose one inline policy grants, per binding: `rds-db:connect` as the app's own
database user on the stack's instance; MSK connect plus data rights on topics and consumer groups
named after the app; `secretsmanager:GetSecretValue` on the app's own secrets; `kms:Decrypt` on the
stack key only through Secrets Manager. No statement has a `*` resource.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
from pydantic import Field, model_validator

from components._lib.args import ComponentArgs
from components.irsa import irsa_role

KUBERNETES_VERBS = ("get", "list", "watch", "create", "update", "patch", "delete", "deletecollection")
READ_VERBS = {"get", "list", "watch"}
# Sub-resources and resources no app may touch, with the reason the error gives.
FORBIDDEN_RESOURCES = {
    "pods/exec": "runs commands in other pods",
    "pods/attach": "attaches to other pods' processes",
    "pods/portforward": "tunnels into other pods",
    "nodes/proxy": "reaches the kubelet API (runs commands in any pod on the node)",
    "serviceaccounts/token": "mints tokens for other service accounts",
    "services/status": "can hijack traffic through status.loadBalancer",
    "certificatesigningrequests/approval": "approves cluster credentials",
    "mutatingwebhookconfigurations": "intercepts or disables admission control",
    "validatingwebhookconfigurations": "intercepts or disables admission control",
}
RBAC_RESOURCES = {"roles", "rolebindings", "clusterroles", "clusterrolebindings"}


class RbacRule(ComponentArgs):
    """One Kubernetes RBAC rule, as in a Role's `rules` (keys apiGroups, resources, verbs, resourceNames)."""

    api_groups: tuple[str, ...] = Field(
        default=("",),
        max_length=10,
        description='API groups of the resources ("" is the core group, e.g. batch for Jobs). '
        'Defaults to [""].',
    )
    resources: tuple[str, ...] = Field(
        min_length=1, max_length=20, description="Resource types, e.g. jobs or widgets (a CRD's plural)."
    )
    verbs: tuple[str, ...] = Field(
        min_length=1, max_length=8, description=f"Verbs, among {', '.join(KUBERNETES_VERBS)}."
    )
    resource_names: tuple[str, ...] = Field(
        default=(),
        max_length=20,
        description="Restrict the rule to these object names (required for Secrets). Defaults to any name.",
    )

    @model_validator(mode="after")
    def _least_privilege(self) -> RbacRule:
        if "*" in (*self.api_groups, *self.resources, *self.verbs, *self.resource_names):
            raise ValueError("'*' is not allowed in a rule: list the API groups, resources and verbs")
        unknown = [verb for verb in self.verbs if verb not in KUBERNETES_VERBS]
        if unknown:
            raise ValueError(
                f"verbs {unknown} are not allowed; use {', '.join(KUBERNETES_VERBS)} "
                "(bind, escalate and impersonate grant privilege)"
            )
        for resource in self.resources:
            if resource in FORBIDDEN_RESOURCES:
                raise ValueError(f"{resource} is not allowed: it {FORBIDDEN_RESOURCES[resource]}")
            if resource in RBAC_RESOURCES and set(self.verbs) - READ_VERBS:
                raise ValueError(f"changing {resource} is not allowed: an app may not grant permissions")
            if resource == "secrets" and not self.resource_names:
                raise ValueError(
                    "secrets need resourceNames: the namespace holds every app's connection Secrets"
                )
        return self

    def k8s(self) -> k8s.rbac.v1.PolicyRuleArgs:
        return k8s.rbac.v1.PolicyRuleArgs(
            api_groups=list(self.api_groups),
            resources=list(self.resources),
            verbs=list(self.verbs),
            resource_names=list(self.resource_names) or None,
        )


class KubernetesAccess(ComponentArgs):
    """`kubernetes`: the Kubernetes API rights an app (a controller) needs. None by default."""

    rules: tuple[RbacRule, ...] = Field(
        default=(),
        max_length=20,
        description="The RBAC rules the app's ServiceAccount is granted. Defaults to none (and then "
        "no token is mounted).",
    )
    cluster_wide: bool = Field(
        default=False,
        description="Grant the rules in every namespace (a ClusterRole) instead of the app's own "
        "(a Role). Defaults to false.",
    )

    @model_validator(mode="after")
    def _needs_rules(self) -> KubernetesAccess:
        if self.cluster_wide and not self.rules:
            raise ValueError("clusterWide needs rules to grant")
        return self

    @property
    def enabled(self) -> bool:
        return bool(self.rules)


def kubernetes_access(
    name: str,
    *,
    app: str,
    namespace: str,
    service_account: pulumi.Input[str],
    access: KubernetesAccess,
    labels: Mapping[str, str],
    parent: pulumi.Resource,
) -> None:
    """The Role and RoleBinding (or ClusterRole and ClusterRoleBinding) for `access.rules`."""
    child = pulumi.ResourceOptions(parent=parent)
    rules = [rule.k8s() for rule in access.rules]
    subject = k8s.rbac.v1.SubjectArgs(kind="ServiceAccount", name=service_account, namespace=namespace)
    if access.cluster_wide:
        # Cluster-scoped names are shared by every namespace: prefix the app's namespace.
        role_name = f"{namespace}-{app}"
        role = k8s.rbac.v1.ClusterRole(
            f"{name}-clusterrole",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=role_name, labels=dict(labels)),
            rules=rules,
            opts=child,
        )
        k8s.rbac.v1.ClusterRoleBinding(
            f"{name}-clusterrolebinding",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=role_name, labels=dict(labels)),
            role_ref=k8s.rbac.v1.RoleRefArgs(
                api_group="rbac.authorization.k8s.io", kind="ClusterRole", name=role.metadata.name
            ),
            subjects=[subject],
            opts=child,
        )
        return
    role = k8s.rbac.v1.Role(
        f"{name}-role",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=app, namespace=namespace, labels=dict(labels)),
        rules=rules,
        opts=child,
    )
    k8s.rbac.v1.RoleBinding(
        f"{name}-rolebinding",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=app, namespace=namespace, labels=dict(labels)),
        role_ref=k8s.rbac.v1.RoleRefArgs(
            api_group="rbac.authorization.k8s.io", kind="Role", name=role.metadata.name
        ),
        subjects=[subject],
        opts=child,
    )


def topic_prefix(app: str) -> str:
    """Kafka topics an app may create, read and write start with its name and a dot: `api.orders`."""
    return f"{app}."


def app_policy(
    *,
    app: str,
    partition: str,
    region: str,
    account: str,
    database_user: str | None = None,
    dbi_resource_id: str | None = None,
    kafka_cluster_arn: str | None = None,
    secret_arn_prefix: str | None = None,
    secret_names: Sequence[str] = (),
    kms_key_arn: str | None = None,
    bucket_statements: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """The app role's policy: one statement per binding, each on the app's own resources only
    (`bucket_statements`: components.app_buckets, on the app's prefix of each bucket it uses)."""
    statements: list[dict[str, Any]] = list(bucket_statements)
    if database_user is not None and dbi_resource_id is not None:
        statements.append(
            {
                "Sid": "ConnectAsOwnDatabaseUser",
                "Effect": "Allow",
                "Action": "rds-db:connect",
                "Resource": (
                    f"arn:{partition}:rds-db:{region}:{account}:dbuser:{dbi_resource_id}/{database_user}"
                ),
            }
        )
    if kafka_cluster_arn is not None:
        statements += _kafka_statements(app, kafka_cluster_arn)
    if secret_names and secret_arn_prefix is not None:
        # Secrets Manager appends six random characters to every secret's ARN.
        statements.append(
            {
                "Sid": "ReadOwnSecrets",
                "Effect": "Allow",
                "Action": ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"],
                "Resource": [f"{secret_arn_prefix}{secret}-??????" for secret in secret_names],
            }
        )
        if kms_key_arn is not None:
            statements.append(
                {
                    "Sid": "DecryptOwnSecretsViaSecretsManager",
                    "Effect": "Allow",
                    "Action": "kms:Decrypt",
                    "Resource": kms_key_arn,
                    "Condition": {
                        "StringEquals": {"kms:ViaService": f"secretsmanager.{region}.amazonaws.com"}
                    },
                }
            )
    return {"Version": "2012-10-17", "Statement": statements}


def _kafka_statements(app: str, kafka_cluster_arn: str) -> list[dict[str, Any]]:
    """Connect to the cluster; data rights on the app's own topics (`<app>.*`) and groups only."""
    scoped = kafka_cluster_arn.replace(":cluster/", ":{}/", 1)
    prefix = topic_prefix(app)
    return [
        {
            "Sid": "KafkaConnect",
            "Effect": "Allow",
            "Action": [
                "kafka-cluster:Connect",
                "kafka-cluster:DescribeCluster",
                "kafka-cluster:WriteDataIdempotently",
            ],
            "Resource": kafka_cluster_arn,
        },
        {
            "Sid": "KafkaOwnTopics",
            "Effect": "Allow",
            "Action": [
                "kafka-cluster:CreateTopic",
                "kafka-cluster:DescribeTopic",
                "kafka-cluster:DescribeTopicDynamicConfiguration",
                "kafka-cluster:ReadData",
                "kafka-cluster:WriteData",
            ],
            "Resource": scoped.format("topic") + f"/{prefix}*",
        },
        {
            "Sid": "KafkaOwnGroups",
            "Effect": "Allow",
            "Action": ["kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup"],
            "Resource": [scoped.format("group") + f"/{app}", scoped.format("group") + f"/{prefix}*"],
        },
    ]


def app_role(
    name: str,
    *,
    parent: pulumi.Resource,
    oidc_provider_arn: pulumi.Input[str],
    oidc_issuer: pulumi.Input[str],
    namespace: str,
    service_account: str,
    tags: Mapping[str, str],
    policy: pulumi.Input[dict[str, Any]],
) -> aws.iam.Role:
    """The app's IRSA role with its one inline policy (components.irsa pins the trust)."""
    return irsa_role(
        f"{name}-role",
        parent=parent,
        oidc_provider_arn=oidc_provider_arn,
        oidc_issuer=oidc_issuer,
        namespace=namespace,
        service_account=service_account,
        tags=tags,
        policy=policy,
    )
