"""The app rules (K8S-APP-001..003, AWS-IRSA-001): each fires on one broken copy of a compliant app
stack and stays silent on the stack it was made from."""

import json
from pathlib import Path

import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from policy.framework import REGISTRY, load_rules
from policy.testing import evaluate_stack
from tests.policy._cases import DROP, replaced, res, stack_fired, without

APP_RULES = ("K8S-APP-001", "K8S-APP-002", "K8S-APP-003", "AWS-IRSA-001")
APP = "groundwork:apps:App"
NAMESPACE = "kubernetes:core/v1:Namespace"
REPOSITORY = "aws:ecr/repository:Repository"
OIDC = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"
ROLE = "aws:iam/role:Role"
SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
STATEFUL_SET = "kubernetes:apps/v1:StatefulSet"
JOB = "kubernetes:batch/v1:Job"
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"

ISSUER = "oidc.eks.eu-west-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF"
PROVIDER_ARN = f"arn:aws:iam::123456789012:oidc-provider/{ISSUER}"
REGISTRY_HOST = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
DIGEST = "sha256:" + "a" * 64
IMAGE = f"{REGISTRY_HOST}/api:1.4.2@{DIGEST}"
CONFIG_DIR = Path(__file__).resolve().parents[4] / "policy" / "config"
POD_LABELS = {"app.kubernetes.io/name": "api", "app.kubernetes.io/instance": "api"}


def trust(sub="system:serviceaccount:apps:api", *, operator="StringEquals", aud=True, extra=None) -> str:
    condition = {f"{ISSUER}:sub": sub, **({f"{ISSUER}:aud": "sts.amazonaws.com"} if aud else {})}
    statement = {
        "Effect": "Allow",
        "Principal": {"Federated": PROVIDER_ARN},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {operator: condition},
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement, *(extra or [])]})


def deployment(name, image=IMAGE, *, parent="api", namespace="apps", labels=None, **spec):
    return res(
        DEPLOYMENT,
        name,
        {
            "metadata": {"name": name.removeprefix("api-"), "namespace": namespace},
            "spec": {
                "selector": {"matchLabels": labels or POD_LABELS},
                "template": {
                    "metadata": {"labels": labels or POD_LABELS},
                    "spec": {"containers": [{"name": "app", "image": image}]},
                },
                **spec,
            },
        },
        **({"parent": parent} if parent else {}),
    )


def app_stack():
    """One app (`api`) as the App component makes it, plus platform objects the rules must ignore."""
    return [
        res(APP, "api"),
        res(NAMESPACE, "ns-apps", {"metadata": {"name": "apps", "labels": {"environment": "prod"}}}),
        res(
            NAMESPACE,
            "ns-monitoring",
            {
                "metadata": {
                    "name": "monitoring",
                    "labels": {"app.kubernetes.io/part-of": "groundwork-platform"},
                }
            },
        ),
        res(REPOSITORY, "api-repository", {"name": "api", "imageTagMutability": "IMMUTABLE"}, parent="api"),
        res(OIDC, "cluster-oidc", {"url": f"https://{ISSUER}", "clientIdLists": ["sts.amazonaws.com"]}),
        res(SERVICE_ACCOUNT, "api-sa", {"metadata": {"name": "api", "namespace": "apps"}}, parent="api"),
        res(
            ROLE,
            "api-role",
            {"assumeRolePolicy": trust()},
            parent="api",
            propertyDependencies={"assumeRolePolicy": ["cluster-oidc"]},
        ),
        deployment("api-deployment"),
        res(
            HPA,
            "api-hpa",
            {
                "metadata": {"name": "api", "namespace": "apps"},
                "spec": {
                    "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "deployment"},
                    "minReplicas": 2.0,
                    "maxReplicas": 6.0,
                },
            },
            parent="api",
        ),
        res(
            PDB,
            "api-pdb",
            {
                "metadata": {"name": "api", "namespace": "apps"},
                "spec": {"maxUnavailable": 1.0, "selector": {"matchLabels": POD_LABELS}},
            },
            parent="api",
        ),
        # The platform's own in-cluster data service in the app namespace: not an app workload.
        res(
            STATEFUL_SET,
            "postgres",
            {
                "metadata": {"name": "postgres", "namespace": "apps"},
                "spec": {
                    "replicas": 3.0,
                    "template": {
                        "metadata": {"labels": {"app.kubernetes.io/part-of": "groundwork"}},
                        "spec": {"containers": [{"name": "postgres", "image": "postgres:17"}]},
                    },
                },
            },
        ),
        # A platform namespace's workload: not an app workload either.
        deployment(
            "grafana", "docker.io/grafana/grafana:12.0.0", parent=None, namespace="monitoring", replicas=2.0
        ),
        # A platform IRSA role for a platform namespace: not an app role.
        res(
            ROLE,
            "external-secrets-role",
            {"assumeRolePolicy": trust("system:serviceaccount:external-secrets:external-secrets")},
            propertyDependencies={"assumeRolePolicy": ["cluster-oidc"]},
        ),
    ]


def fired_app_rules(resources, environment="prod", config=None):
    return stack_fired(resources, environment=environment, config=config) & set(APP_RULES)


def with_image(resources, image, name="api-deployment"):
    return replaced(resources, name, {"spec.template.spec.containers": [{"name": "app", "image": image}]})


def with_trust(resources, policy, name="api-role"):
    return replaced(resources, name, {"assumeRolePolicy": policy})


@pytest.mark.parametrize("environment", ["prod", "staging", "dev"])
def test_the_compliant_app_stack_is_silent(environment):
    assert fired_app_rules(app_stack(), environment) == set()


def test_the_rules_are_registered_in_their_modules():
    rules = load_rules()
    assert {rid: rules[rid].module for rid in APP_RULES} == {
        "K8S-APP-001": "policy.rules.k8s.apps",
        "K8S-APP-002": "policy.rules.k8s.apps",
        "K8S-APP-003": "policy.rules.k8s.apps",
        "AWS-IRSA-001": "policy.rules.aws.app_identity",
    }
    assert all(REGISTRY[rid].kind == "stack" for rid in APP_RULES)


# --- K8S-APP-001: images from this stack's registries ---------------------------------------------


@pytest.mark.parametrize(
    "image",
    [
        "docker.io/library/nginx:1.27@" + DIGEST,
        "nginx:1.27@" + DIGEST,
        "ghcr.io/acme/api:1.4.2@" + DIGEST,
        f"{REGISTRY_HOST}/someone-elses-repo:1.0@{DIGEST}",
        f"public.ecr.aws/acme/api:1.4.2@{DIGEST}",
    ],
)
def test_an_image_from_outside_the_stacks_registries_fires_in_prod(image):
    assert fired_app_rules(with_image(app_stack(), image)) == {"K8S-APP-001"}


def test_an_outside_image_fires_in_staging_too():
    resources = with_image(app_stack(), "ghcr.io/acme/api:1.4.2@" + DIGEST)
    assert "K8S-APP-001" in fired_app_rules(resources, "staging")


def test_an_outside_image_is_not_judged_in_dev():
    resources = with_image(app_stack(), "ghcr.io/acme/api:1.4.2@" + DIGEST)
    assert "K8S-APP-001" not in fired_app_rules(resources, "dev")


def test_the_allow_list_admits_an_external_image():
    resources = with_image(app_stack(), "nginx:1.27@" + DIGEST)
    config = {"K8S-APP-001": {"allowedImages": ["docker.io/library/nginx"]}}
    assert "K8S-APP-001" not in fired_app_rules(resources, config=config)


def test_an_allow_list_entry_with_a_digest_admits_exactly_that_image():
    pinned = "docker.io/library/postgres:18.4@" + DIGEST
    config = {"K8S-APP-001": {"allowedImages": [pinned]}}
    assert "K8S-APP-001" not in fired_app_rules(
        with_image(app_stack(), "postgres:18.4@" + DIGEST), config=config
    )
    other = with_image(app_stack(), "postgres:18.4@sha256:" + "b" * 64)
    assert "K8S-APP-001" in fired_app_rules(other, config=config)


@pytest.mark.parametrize("environment", ["staging", "prod"])
def test_the_shipped_config_admits_the_platforms_database_bootstrap_image(environment):
    """Each app's database user is made by a Job running the official postgres image, pinned by
    digest in the component; the shipped configs admit exactly that reference and nothing wider."""
    database = pytest.importorskip("components.app_database", reason="the App component has not landed yet")
    entry = json.loads((CONFIG_DIR / f"{environment}.json").read_text())["K8S-APP-001"]
    assert entry["allowedImages"] == [database.BOOTSTRAP_IMAGE]


def test_an_init_container_from_outside_fires():
    resources = replaced(
        app_stack(),
        "api-deployment",
        {"spec.template.spec.initContainers": [{"name": "migrate", "image": "busybox:1.37@" + DIGEST}]},
    )
    assert "K8S-APP-001" in fired_app_rules(resources)


def test_a_workload_outside_any_app_is_not_an_app_workload():
    """The app namespace also runs the platform's exporters and data services: their images are the
    platform's, judged by K8S-POD-014/025, never by the app rules."""
    exporter = deployment("kafka-exporter", "danielqsj/kafka-exporter:v1.9.0", parent=None, replicas=2.0)
    assert fired_app_rules([*app_stack(), exporter]) == set()


def test_a_job_of_the_app_is_judged():
    job = res(
        JOB,
        "api-db-user",
        {
            "metadata": {"name": "api-db-user", "namespace": "apps"},
            "spec": {"template": {"spec": {"containers": [{"name": "psql", "image": "postgres:17.6"}]}}},
        },
        parent="api",
    )
    assert "K8S-APP-001" in fired_app_rules([*app_stack(), job])


def test_an_image_only_known_after_deploy_passes_when_it_comes_from_the_stacks_repository():
    resources = with_image(app_stack(), UNKNOWN_STRING_VALUE)
    resources = [
        {**r, "propertyDependencies": {"spec": ["api-repository"]}} if r["name"] == "api-deployment" else r
        for r in resources
    ]
    assert "K8S-APP-001" not in fired_app_rules(resources)


def test_an_auto_named_repository_is_found_through_the_engines_dependencies():
    resources = replaced(app_stack(), "api-repository", {"name": DROP})
    resources = with_image(resources, f"{REGISTRY_HOST}/api-3f2a1b0:1.4.2@{DIGEST}")
    resources = [
        {**r, "propertyDependencies": {"spec": ["api-repository"]}} if r["name"] == "api-deployment" else r
        for r in resources
    ]
    assert fired_app_rules(resources) == set()


# --- K8S-APP-002: digest or immutable tag in prod -------------------------------------------------


def test_an_immutable_tag_of_the_stacks_repository_is_enough():
    assert fired_app_rules(with_image(app_stack(), f"{REGISTRY_HOST}/api:1.4.2")) == set()


@pytest.mark.parametrize(
    ("image", "overrides"),
    [
        (f"{REGISTRY_HOST}/api:1.4.2", {"imageTagMutability": "MUTABLE"}),
        (f"{REGISTRY_HOST}/api:1.4.2", {"imageTagMutability": DROP}),
        (
            f"{REGISTRY_HOST}/api:1.4.2",
            {
                "imageTagMutability": "IMMUTABLE_WITH_EXCLUSION",
                "imageTagMutabilityExclusionFilters": [{"filter": "1.*", "filterType": "WILDCARD"}],
            },
        ),
        (f"{REGISTRY_HOST}/api:latest", {}),
        (f"{REGISTRY_HOST}/api", {}),
    ],
    ids=["mutable", "default-mutable", "excluded-tag", "latest", "untagged"],
)
def test_a_tag_that_can_move_fires_in_prod(image, overrides):
    resources = replaced(with_image(app_stack(), image), "api-repository", overrides)
    assert fired_app_rules(resources) == {"K8S-APP-002"}


def test_an_exclusion_filter_that_misses_the_tag_keeps_it_immutable():
    resources = replaced(
        with_image(app_stack(), f"{REGISTRY_HOST}/api:1.4.2"),
        "api-repository",
        {
            "imageTagMutability": "IMMUTABLE_WITH_EXCLUSION",
            "imageTagMutabilityExclusionFilters": [{"filter": "dev-*", "filterType": "WILDCARD"}],
        },
    )
    assert fired_app_rules(resources) == set()


def test_an_allowed_external_image_still_needs_a_digest_in_prod():
    resources = with_image(app_stack(), "postgres:17.6")
    config = {"K8S-APP-001": {"allowedImages": ["docker.io/library/postgres"]}}
    assert fired_app_rules(resources, config=config) == {"K8S-APP-002"}


def test_a_mutable_tag_is_not_judged_outside_prod():
    resources = replaced(
        with_image(app_stack(), f"{REGISTRY_HOST}/api:1.4.2"),
        "api-repository",
        {"imageTagMutability": "MUTABLE"},
    )
    assert "K8S-APP-002" not in fired_app_rules(resources, "staging")


# --- K8S-APP-003: a PodDisruptionBudget for more than one replica ---------------------------------


def test_an_autoscaled_app_without_a_budget_fires():
    assert fired_app_rules(without(app_stack(), "api-pdb")) == {"K8S-APP-003"}


def test_fixed_replicas_without_a_budget_fire():
    resources = replaced(
        without(without(app_stack(), "api-pdb"), "api-hpa"), "api-deployment", {"spec.replicas": 3.0}
    )
    assert fired_app_rules(resources) == {"K8S-APP-003"}


def test_a_single_replica_needs_no_budget():
    resources = replaced(without(app_stack(), "api-pdb"), "api-hpa", {"spec.minReplicas": 1.0})
    assert fired_app_rules(resources) == set()


@pytest.mark.parametrize(
    "overrides",
    [
        {"spec.selector": {"matchLabels": {"app.kubernetes.io/name": "web"}}},
        {"metadata.namespace": "other"},
        {"spec.selector": DROP},
        {
            "spec.selector": {
                "matchExpressions": [
                    {"key": "app.kubernetes.io/name", "operator": "NotIn", "values": ["api"]}
                ]
            }
        },
    ],
    ids=["other-labels", "other-namespace", "no-selector", "excluding-expression"],
)
def test_a_budget_that_does_not_select_the_pods_fires(overrides):
    assert fired_app_rules(replaced(app_stack(), "api-pdb", overrides)) == {"K8S-APP-003"}


def test_an_empty_selector_covers_every_pod_of_the_namespace():
    assert fired_app_rules(replaced(app_stack(), "api-pdb", {"spec.selector": {}})) == set()


def test_a_finding_names_the_workload_the_image_and_the_way_out():
    resources = with_image(app_stack(), "nginx:1.27@" + DIGEST)
    findings = [f for f in evaluate_stack(resources, environment="prod") if f.rule_id == "K8S-APP-001"]
    assert [f.resource_name for f in findings] == ["api-deployment"]
    assert f"pulls nginx:1.27@{DIGEST}" in findings[0].message
    assert findings[0].message.endswith("nor in allowedImages")
