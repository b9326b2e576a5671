"""An app's identities and its database user on mocks: the ServiceAccount token only with declared
rules, exactly those rules, an IRSA role pinned to the app's ServiceAccount with exactly the
statements its bindings need, and the idempotent bootstrap Job that creates its PostgreSQL role."""

from __future__ import annotations

import json

import pytest

from components.app_database import BOOTSTRAP_IMAGE, bootstrap_sql
from stacks.preflight.capture import Capture
from tests.app_support import (
    ACCOUNT,
    DBI,
    ISSUER,
    KMS_ARN,
    MSK_ARN,
    OIDC_ARN,
    bare_app,
    controller_app,
    full_app,
    one,
    pod_spec,
)

ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"
JOB = "kubernetes:batch/v1:Job"
TOPICS = "arn:aws:kafka:eu-west-1:123456789012:topic/dev-kafka/0b1c2d3e-1111-2222-3333-444455556666-1"
GROUPS = "arn:aws:kafka:eu-west-1:123456789012:group/dev-kafka/0b1c2d3e-1111-2222-3333-444455556666-1"
SECRETS = f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:groundwork/dev/apps/api"


@pytest.fixture(scope="module")
def full() -> Capture:
    return full_app()


@pytest.fixture(scope="module")
def bare() -> Capture:
    return bare_app()


@pytest.fixture(scope="module")
def controller() -> Capture:
    return controller_app()


def test_no_token_is_mounted_without_declared_api_access(bare):
    assert one(bare, SERVICE_ACCOUNT).props["automountServiceAccountToken"] is False
    assert pod_spec(bare)["automountServiceAccountToken"] is False
    assert not [r for r in bare.resources if r.type.startswith("kubernetes:rbac.authorization.k8s.io/")]


def test_declared_rules_mount_the_token_and_a_role_grants_exactly_them(full):
    assert pod_spec(full)["automountServiceAccountToken"] is True
    role = one(full, "kubernetes:rbac.authorization.k8s.io/v1:Role").props
    assert role["metadata"]["namespace"] == "apps"
    assert role["rules"] == [
        {"apiGroups": ["batch"], "resources": ["jobs"], "verbs": ["create", "get", "watch"]}
    ]
    binding = one(full, "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding").props
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "api", "namespace": "apps"}]
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "api"}


def test_cluster_wide_rules_are_a_cluster_role_named_for_the_namespace(controller):
    assert not controller.of_type("kubernetes:rbac.authorization.k8s.io/v1:Role")
    role = one(controller, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole").props
    assert role["metadata"]["name"] == "apps-controller"
    assert role["rules"] == [
        {
            "apiGroups": ["remediation.example.com"],
            "resources": ["playbooks"],
            "verbs": ["get", "list", "watch"],
        }
    ]
    binding = one(controller, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding").props
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "controller", "namespace": "apps"}]


def test_the_irsa_trust_is_pinned_to_the_apps_service_account_and_sts(full):
    trust = json.loads(one(full, ROLE).props["assumeRolePolicy"])
    assert trust["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"Federated": OIDC_ARN},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {
                    f"{ISSUER}:sub": "system:serviceaccount:apps:api",
                    f"{ISSUER}:aud": "sts.amazonaws.com",
                }
            },
        }
    ]


def test_the_service_account_carries_its_role(full):
    account = one(full, SERVICE_ACCOUNT)
    annotations = account.props["metadata"]["annotations"]
    assert annotations["eks.amazonaws.com/role-arn"] == f"arn:aws:iam::{ACCOUNT}:role/dev-app-api-role"
    assert one(full, ROLE).urn in account.property_dependencies["metadata"]


def _statements(capture: Capture) -> dict[str, dict]:
    policy = json.loads(one(capture, ROLE_POLICY).props["policy"])
    return {s["Sid"]: s for s in policy["Statement"]}


def test_the_role_grants_exactly_what_the_bindings_and_secrets_need(full):
    assert _statements(full) == {
        "ConnectAsOwnDatabaseUser": {
            "Sid": "ConnectAsOwnDatabaseUser",
            "Effect": "Allow",
            "Action": "rds-db:connect",
            "Resource": f"arn:aws:rds-db:eu-west-1:{ACCOUNT}:dbuser:{DBI}/api",
        },
        "KafkaConnect": {
            "Sid": "KafkaConnect",
            "Effect": "Allow",
            "Action": [
                "kafka-cluster:Connect",
                "kafka-cluster:DescribeCluster",
                "kafka-cluster:WriteDataIdempotently",
            ],
            "Resource": MSK_ARN,
        },
        "KafkaOwnTopics": {
            "Sid": "KafkaOwnTopics",
            "Effect": "Allow",
            "Action": [
                "kafka-cluster:CreateTopic",
                "kafka-cluster:DescribeTopic",
                "kafka-cluster:DescribeTopicDynamicConfiguration",
                "kafka-cluster:ReadData",
                "kafka-cluster:WriteData",
            ],
            "Resource": f"{TOPICS}/api.*",
        },
        "KafkaOwnGroups": {
            "Sid": "KafkaOwnGroups",
            "Effect": "Allow",
            "Action": ["kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup"],
            "Resource": [f"{GROUPS}/api", f"{GROUPS}/api.*"],
        },
        "ReadOwnSecrets": {
            "Sid": "ReadOwnSecrets",
            "Effect": "Allow",
            "Action": ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"],
            "Resource": [f"{SECRETS}/OPENAI_API_KEY-??????", f"{SECRETS}/STRIPE_KEY-??????"],
        },
        "DecryptOwnSecretsViaSecretsManager": {
            "Sid": "DecryptOwnSecretsViaSecretsManager",
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": KMS_ARN,
            "Condition": {"StringEquals": {"kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com"}},
        },
    }


def test_no_statement_has_a_wildcard_resource(full):
    for statement in _statements(full).values():
        resources = (
            statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        )
        assert "*" not in resources, statement["Sid"]


def test_an_app_with_nothing_of_aws_bound_gets_no_role(bare):
    assert bare.of_type(ROLE) == [] and bare.of_type(ROLE_POLICY) == []
    assert one(bare, SERVICE_ACCOUNT).props["metadata"].get("annotations") is None


def test_on_rds_the_apps_user_logs_in_with_iam_and_its_secret_holds_no_password(full):
    secret = full.named("dev-app-api-db-secret")
    assert secret.is_secret("stringData")
    data = secret.props["stringData"]
    assert (data["username"], data["database"], data["password"], data["iamAuth"]) == (
        "api",
        "api",
        "",
        "true",
    )
    assert data["sslmode"] == "verify-full" and data["region"] == "eu-west-1"
    sql = full.named("dev-app-api-db-sql").props["data"]["bootstrap.sql"]
    assert 'GRANT rds_iam TO :"role";' in sql and "PASSWORD NULL" in sql


def test_in_cluster_the_apps_user_gets_a_generated_password_as_a_pulumi_secret(controller):
    secret = controller.named("local-app-controller-db-secret")
    assert secret.is_secret("stringData")
    assert secret.props["stringData"]["password"].startswith("mock-password-")
    assert secret.props["stringData"]["iamAuth"] == "false"
    sql = controller.named("local-app-controller-db-sql").props["data"]["bootstrap.sql"]
    assert "rds_iam" not in sql and "PASSWORD :'password'" in sql


def test_the_bootstrap_script_only_creates_what_is_missing():
    sql = bootstrap_sql("api", "api", iam_auth=True)
    assert "WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = :'role') \\gexec" in sql
    assert "WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = :'database') \\gexec" in sql
    assert 'REVOKE ALL ON DATABASE :"database" FROM PUBLIC;' in sql
    assert "CREATE ROLE" not in sql.replace("format('CREATE ROLE", "")


def test_extensions_hook_in_after_connecting_to_the_apps_database():
    sql = bootstrap_sql("api", "api", iam_auth=True, extensions=("vector",))
    assert sql.rstrip().endswith('\\connect :"database"\nCREATE EXTENSION IF NOT EXISTS "vector";')
    assert 'GRANT CONNECT, CREATE ON DATABASE :"database" TO SESSION_USER;' in sql
    assert "\\connect" not in bootstrap_sql("api", "api", iam_auth=True)


def test_the_job_retries_a_bounded_number_of_times_and_cleans_up_after_a_day(full):
    job = one(full, JOB).props
    assert (job["spec"]["backoffLimit"], job["spec"]["activeDeadlineSeconds"]) == (4, 600)
    assert job["spec"]["ttlSecondsAfterFinished"] == 86400
    assert job["metadata"]["annotations"] == {"pulumi.com/replaceUnready": "true"}
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"


def test_the_jobs_name_changes_when_what_it_runs_changes(full, controller):
    names = {one(capture, JOB).props["metadata"]["name"] for capture in (full, controller)}
    assert {name.rsplit("-", 1)[0] for name in names} == {"api-db", "controller-db"}
    assert all(len(name.rsplit("-", 1)[1]) == 10 for name in names)


def test_the_job_runs_the_pinned_image_restricted_with_the_admin_credentials_as_files(full):
    pod = one(full, JOB).props["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["image"] == BOOTSTRAP_IMAGE and "@sha256:" in BOOTSTRAP_IMAGE
    assert pod["automountServiceAccountToken"] is False and pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert not any("valueFrom" in e for e in container["env"])
    admin = [v for v in pod["volumes"] if v["name"] == "admin"]
    assert admin == [{"name": "admin", "secret": {"secretName": "dev-postgres-admin", "defaultMode": 288}}]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["PGSSLMODE"] == "require" and env["APP_ROLE"] == "api"
