"""Apps built on mocks once per test process (the captures are plain data): one with every binding
(AWS), one with none, one in-cluster controller. The values that stand in for other components'
outputs are named here once."""

from __future__ import annotations

import functools
from typing import Any

import pulumi

from components.app import App
from components.app_bindings import BindingEgress, KafkaBinding, PostgresBinding, RedisBinding
from components.app_settings import AppArgs, AppAws, AppSettings
from components.namespace import ApiServerEndpoint, internet, ip_range, pods
from stacks.preflight.capture import Capture, CapturedResource
from tests.conftest import run_component
from tests.data_support import TAGS

ACCOUNT = "123456789012"
ISSUER = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
OIDC_ARN = f"arn:aws:iam::{ACCOUNT}:oidc-provider/{ISSUER}"
KMS_ARN = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
DBI = "db-ABCDEFGHIJKLMNOPQRSTUVWXY"
MSK_ARN = f"arn:aws:kafka:eu-west-1:{ACCOUNT}:cluster/dev-kafka/0b1c2d3e-1111-2222-3333-444455556666-1"
DB_SUBNETS = ("10.10.20.0/24", "10.10.21.0/24")
PROMETHEUS = pods("monitoring", {"app.kubernetes.io/name": "prometheus"})
LOCAL_POSTGRES = {"app.kubernetes.io/name": "local-postgres", "app.kubernetes.io/component": "postgres"}
DIGEST = "sha256:" + "0123456789abcdef" * 4

FULL = {
    "image": {"repository": "api", "tag": "1.4.2"},
    "port": 8080,
    "replicas": {"min": 2, "max": 6},
    "resources": {"cpu": "250m", "memory": "512Mi"},
    "health": {"path": "/healthz"},
    "uses": ["postgres", "redis", "kafka", "search"],
    "env": {"LOG_LEVEL": "info"},
    "secrets": ["OPENAI_API_KEY", "STRIPE_KEY"],
    "metrics": {"path": "/metrics", "port": 9090},
    "slo": {"availability": 99.9, "latencyP95Ms": 200},
    "kubernetes": {
        "rules": [{"apiGroups": ["batch"], "resources": ["jobs"], "verbs": ["create", "get", "watch"]}]
    },
}
BARE = {"image": {"repository": "ghcr.io/acme/worker", "digest": DIGEST}, "replicas": {"min": 1}}
CONTROLLER = {
    "image": {"repository": "controller", "tag": "0.3.0"},
    "replicas": {"min": 1},
    "uses": ["postgres"],
    "kubernetes": {
        "clusterWide": True,
        "rules": [
            {
                "apiGroups": ["remediation.example.com"],
                "resources": ["playbooks"],
                "verbs": ["get", "list", "watch"],
            }
        ],
    },
}


def _db_egress() -> BindingEgress:
    return BindingEgress(peers=tuple(ip_range(cidr) for cidr in DB_SUBNETS), ports=(5432,))


# dev's AWS side of an app: the cluster's OIDC provider, the region, the stack key, AWS APIs via the NAT.
DEV_AWS = AppAws(
    oidc_provider_arn=OIDC_ARN,
    oidc_issuer=ISSUER,
    region="eu-west-1",
    kms_key_arn=KMS_ARN,
    api_peers=(internet(),),
)


@functools.cache
def full_app() -> Capture:
    """`api` on AWS with postgres (RDS), redis, kafka (MSK), another app, secrets, metrics and rules."""

    def build() -> None:
        App(
            "dev-app-api",
            AppArgs(
                app="api",
                settings=AppSettings.model_validate(FULL),
                namespace="apps",
                repository_url=pulumi.Output.from_input(f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/dev/api"),
                postgres=PostgresBinding(
                    host="dev-postgres.abc.eu-west-1.rds.amazonaws.com",
                    reader_host="dev-postgres.abc.eu-west-1.rds.amazonaws.com",
                    iam_auth=True,
                    region="eu-west-1",
                    dbi_resource_id=DBI,
                    admin_secret_name="dev-postgres-admin",
                    egress=_db_egress(),
                ),
                redis=RedisBinding(
                    connection_secret_name="dev-redis-connection",
                    egress=BindingEgress(peers=tuple(ip_range(c) for c in DB_SUBNETS), ports=(6379,)),
                ),
                kafka=KafkaBinding(
                    bootstrap_servers="b-1.dev-kafka.x.kafka.eu-west-1.amazonaws.com:9098",
                    cluster_arn=MSK_ARN,
                    egress=BindingEgress(peers=tuple(ip_range(c) for c in DB_SUBNETS), ports=(9098,)),
                ),
                uses_apps={"search": 9200},
                callers=("web",),
                scraper=PROMETHEUS,
                aws=DEV_AWS,
                secret_store="aws-secrets-manager",
                secrets_path="groundwork/dev/apps/api/",
                api_server=ApiServerEndpoint(cidrs=("10.10.0.0/19",), port=443),
                tags=TAGS,
            ),
        )

    return run_component(build)


@functools.cache
def bare_app() -> Capture:
    """`worker` on AWS: an external image by digest, one replica, nothing bound."""

    def build() -> None:
        App(
            "dev-app-worker",
            AppArgs(
                app="worker",
                settings=AppSettings.model_validate(BARE),
                namespace="apps",
                aws=DEV_AWS,
                scraper=PROMETHEUS,
                tags=TAGS,
            ),
        )

    return run_component(build)


@functools.cache
def controller_app() -> Capture:
    """`controller` on kind: in-cluster postgres, a ClusterRole, images from the local registry."""

    def build() -> None:
        App(
            "local-app-controller",
            AppArgs(
                app="controller",
                settings=AppSettings.model_validate(CONTROLLER),
                namespace="apps",
                repository_url="localhost:5001/controller",
                postgres=PostgresBinding(
                    host="local-postgres.apps.svc.cluster.local",
                    reader_host="local-postgres.apps.svc.cluster.local",
                    iam_auth=False,
                    admin_secret_name="local-postgres-connection",
                    egress=BindingEgress(peers=(pods(labels=LOCAL_POSTGRES),), ports=(5432,)),
                ),
                api_server=ApiServerEndpoint(port=6443),
            ),
        )

    return run_component(build)


def one(capture: Capture, type_token: str) -> CapturedResource:
    (found,) = capture.of_type(type_token)
    return found


def pod_spec(capture: Capture) -> dict[str, Any]:
    return one(capture, "kubernetes:apps/v1:Deployment").props["spec"]["template"]["spec"]


def policies(capture: Capture) -> dict[str, dict[str, Any]]:
    return {
        p.props["metadata"]["name"]: p.props["spec"]
        for p in capture.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
    }
