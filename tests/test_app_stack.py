"""The shipped stacks' apps: dev gets ECR repositories, the App components and their roles; local
gets the same apps on kind with in-cluster bindings; a prod shape of them passes prod's gate."""

from __future__ import annotations

import json

import pytest

from components.irsa import STS_AUDIENCE
from policy.analyzer import evaluate
from stacks.preflight.capture import Capture
from stacks.preflight.runner import capture_stack

APP = "groundwork:apps:App"
DIGEST = "sha256:" + "4f" * 32


def _apps(capture: Capture) -> dict[str, object]:
    return {r.name: r for r in capture.of_type(APP)}


def test_dev_has_a_repository_per_named_image_and_exports_their_urls(captured):
    capture = captured("dev")
    names = sorted(r.props["name"] for r in capture.of_type("aws:ecr/repository:Repository"))
    assert names == ["dev/api", "dev/web"]
    assert capture.outputs["app_repository_urls"] == {
        "api": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/dev/api",
        "web": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/dev/web",
    }


def test_dev_runs_both_apps_and_only_api_needs_an_aws_role(captured):
    capture = captured("dev")
    assert set(_apps(capture)) == {"dev-app-api", "dev-app-web"}
    roles = {r.name for r in capture.of_type("aws:iam/role:Role") if r.name.startswith("dev-app-")}
    assert roles == {"dev-app-api-role"}
    assert capture.outputs["app_role_arns"] == {"api": "arn:aws:iam::123456789012:role/dev-app-api-role"}


def test_dev_images_come_from_the_stacks_own_registry(captured):
    for deployment in captured("dev").of_type("kubernetes:apps/v1:Deployment"):
        if deployment.props["metadata"]["namespace"] == "apps":
            (container,) = deployment.props["spec"]["template"]["spec"]["containers"]
            assert container["image"].startswith("123456789012.dkr.ecr.eu-west-1.amazonaws.com/dev/"), (
                container
            )


def test_every_app_role_trusts_its_own_service_account_only(captured):
    capture = captured("dev")
    for role in capture.of_type("aws:iam/role:Role"):
        if role.name.startswith("dev-app-"):
            app = role.name.removeprefix("dev-app-").removesuffix("-role")
            (statement,) = json.loads(role.props["assumeRolePolicy"])["Statement"]
            condition = statement["Condition"]["StringEquals"]
            assert sorted(condition.values()) == sorted([f"system:serviceaccount:apps:{app}", STS_AUDIENCE])


def test_external_secrets_may_also_read_the_rds_master_secret_and_nothing_more(captured):
    capture = captured("dev")
    grant = capture.named("dev-postgres-admin-read-master-secret")
    (statement,) = json.loads(grant.props["policy"])["Statement"]
    master = capture.outputs["postgres_master_secret_arn"]
    assert statement["Resource"] == master and ":secret:rds!db-" in master
    assert statement["Action"] == ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"]
    eso_role = capture.named("dev-addons-external-secrets-irsa")
    assert eso_role.urn in grant.property_dependencies["role"]


def test_the_master_credentials_reach_only_the_bootstrap_job(captured):
    capture = captured("dev")
    (external,) = [
        r
        for r in capture.of_type("kubernetes:external-secrets.io/v1:ExternalSecret")
        if r.name == "dev-postgres-admin-external-secret"
    ]
    assert [d["remoteRef"]["property"] for d in external.props["spec"]["data"]] == ["username", "password"]
    mounting = [
        r.name
        for r in capture.resources
        if r.type in ("kubernetes:apps/v1:Deployment", "kubernetes:batch/v1:Job")
        and any(
            v.get("secret", {}).get("secretName") == "dev-postgres-admin"
            for v in r.props["spec"]["template"]["spec"].get("volumes", [])
        )
    ]
    assert mounting == ["dev-app-api-db-bootstrap"]


def test_local_runs_the_same_apps_from_the_local_registry(captured):
    capture = captured("local")
    assert set(_apps(capture)) == {"local-app-api", "local-app-web"}
    assert capture.of_type("aws:ecr/repository:Repository") == []
    images = {
        d.props["metadata"]["name"]: d.props["spec"]["template"]["spec"]["containers"][0]["image"]
        for d in capture.of_type("kubernetes:apps/v1:Deployment")
        if d.props["metadata"]["namespace"] == "apps"
    }
    assert images == {"api": "localhost:5001/api:1.4.2", "web": "localhost:5001/web:2.0.1"}


def test_local_binds_to_the_in_cluster_services(captured):
    capture = captured("local")
    database = capture.named("local-app-api-db-secret")
    assert database.props["stringData"]["host"] == "local-postgres.apps.svc.cluster.local"
    assert database.props["stringData"]["iamAuth"] == "false" and database.is_secret("stringData")
    kafka = capture.named("local-app-api-kafka").props["stringData"]
    assert (kafka["securityProtocol"], kafka["saslMechanism"]) == ("PLAINTEXT", "")
    assert capture.of_type("aws:iam/role:Role") == []


@pytest.fixture(scope="module")
def prod_with_apps() -> Capture:
    """prod with a prod-shaped pair of apps: digests, three replicas at least, SLOs."""
    apps = {
        "api": {
            "image": {"repository": "api", "tag": "1.4.2", "digest": DIGEST},
            "replicas": {"min": 3, "max": 6},
            "uses": ["postgres", "redis", "kafka"],
            "secrets": ["OPENAI_API_KEY"],
            "metrics": {},
            "slo": {"availability": 99.9, "latencyP95Ms": 200},
        },
        "web": {
            "image": {"repository": "web", "digest": DIGEST},
            "port": 3000,
            "replicas": {"min": 3},
            "uses": ["api"],
        },
    }
    return capture_stack("prod", overrides={"groundwork:apps": apps})


def test_a_prod_shape_of_the_apps_passes_prods_gate(prod_with_apps):
    report = evaluate(prod_with_apps, "prod")
    assert [(f.rule_id, f.resource_name, f.message) for f in report.blocking] == []


def test_prod_protects_the_repositories(prod_with_apps):
    repositories = prod_with_apps.of_type("aws:ecr/repository:Repository")
    assert repositories and all(r.protect for r in repositories)
