"""Each app's own PostgreSQL role and database, created on `pulumi up` by an idempotent Job.

Why a Job: the database is private (RDS in isolated subnets, or a pod in the kind cluster), so the
machine running Pulumi usually cannot reach it, while a pod in the app namespace can. The Job runs
the official postgres image (pinned by digest) with a psql script whose every statement is safe to
repeat: `CREATE ROLE` and `CREATE DATABASE` only when missing (`\\gexec` over a `WHERE NOT EXISTS`
query, since CREATE DATABASE cannot run inside the DO block that CREATE ROLE could), then
re-asserting login, `rds_iam` (RDS) or the generated password (in-cluster), and, acting as the
owner, `REVOKE ALL ... FROM PUBLIC` so no other app's role may connect. The admin gets SET (not
INHERIT) on the app's role, which PostgreSQL 16+ requires for `CREATE DATABASE ... OWNER`. Apps that
use pgvector get `CREATE EXTENSION IF NOT EXISTS vector` in their database through
`AppDatabaseArgs.extensions`, created by the admin (the RDS master, an rds_superuser, or the in-cluster
owner) inside the app's database: RDS PostgreSQL 18 ships pgvector, and the in-cluster server then
runs the pgvector image.

Retries and clean-up: the Job retries its pod `backoffLimit` times within `activeDeadlineSeconds`;
Pulumi waits for it to complete and fails the update if it does not, so the app's Deployment,
which depends on it, is not rolled out against a missing user. `pulumi.com/replaceUnready` makes
the next `pulumi up` replace a Job that failed. The Job's name carries a hash of its spec, so any
change runs it again. `ttlSecondsAfterFinished` lets Kubernetes delete a finished Job after a day
(a later `pulumi refresh` then re-creates it, which is harmless). Deleting an app removes its
Job and binding Secret but never drops its role or database: data is never lost by omission.

How the Job authenticates as the admin: in the kind cluster with the owner's connection Secret; on
RDS with the master user, whose RDS-managed secret (`rds!db-...`) external-secrets copies into
`PostgresAdmin`'s Secret. The controller's IRSA role may read `groundwork/<stack>/*` only, so
`PostgresAdmin` grants it that one master secret ARN as well.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pulumi_random as random
from pydantic import Field, field_validator

from components._lib.args import ComponentArgs
from components._lib.inputs import StrInput
from components.app_bindings import PostgresBinding, binding_secret
from components.datastore import restricted_container_security_context, restricted_pod_security_context

# postgres:18.4 (Debian trixie), the multi-platform index digest from docker-library/repo-info
# repos/postgres/remote/18.4.md; the same major as RDS 18 and the in-cluster server.
BOOTSTRAP_IMAGE = (
    "docker.io/library/postgres:18.4@sha256:3a82e1f56c8f0f5616a11103ac3d47e632c3938698946a7ad26da0df1334744a"
)
POSTGRES_UID = 999  # the image's `postgres` user
ADMIN_DIR = "/var/run/secrets/groundwork/admin"
CREDENTIALS_DIR = "/var/run/secrets/groundwork/credentials"
SQL_DIR = "/etc/groundwork/db-bootstrap"
BACKOFF_LIMIT = 4
ACTIVE_DEADLINE_SECONDS = 600
TTL_SECONDS_AFTER_FINISHED = 86400


def database_identifier(app: str) -> str:
    """The app's role and database name: its DNS-label name with `-` as `_` (no quoting needed)."""
    return app.replace("-", "_")


def bootstrap_sql(role: str, database: str, *, iam_auth: bool, extensions: tuple[str, ...] = ()) -> str:
    """The psql script. `role`, `database` (and in-cluster `password`) arrive as psql variables."""
    lines = [
        "-- Idempotent: each statement creates what is missing or re-asserts what exists.",
        *([f"\\set password `cat {CREDENTIALS_DIR}/password`"] if not iam_auth else []),
        "SELECT format('CREATE ROLE %I', :'role')",
        "  WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = :'role') \\gexec",
    ]
    if iam_auth:
        lines += ['ALTER ROLE :"role" WITH LOGIN PASSWORD NULL;', 'GRANT rds_iam TO :"role";']
    else:
        lines += ["ALTER ROLE :\"role\" WITH LOGIN PASSWORD :'password';"]
    lines += [
        # PostgreSQL 16+: the admin that created the role holds only ADMIN on it. CREATE DATABASE ...
        # OWNER needs SET ROLE to the owner; no INHERIT, so the admin never acts with the app's rights.
        'GRANT :"role" TO CURRENT_USER WITH INHERIT FALSE, SET TRUE;',
        "SELECT format('CREATE DATABASE %I OWNER %I', :'database', :'role')",
        "  WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = :'database') \\gexec",
        # Only the owner may change the database's privileges: act as it for the REVOKE.
        'SET ROLE :"role";',
        'REVOKE ALL ON DATABASE :"database" FROM PUBLIC;',
        # The admin is no superuser on RDS: it needs CONNECT and CREATE to add extensions in there.
        *(['GRANT CONNECT, CREATE ON DATABASE :"database" TO SESSION_USER;'] if extensions else []),
        "RESET ROLE;",
    ]
    if extensions:
        lines += ['\\connect :"database"', *(f'CREATE EXTENSION IF NOT EXISTS "{e}";' for e in extensions)]
    return "\n".join(lines) + "\n"


class AppDatabaseArgs(ComponentArgs):
    """One app's database user and database on the stack's PostgreSQL."""

    app: str = Field(min_length=1, max_length=40, description="The app's name (a DNS label).")
    namespace: str = Field(description="The app namespace: the Job, its ConfigMap and the Secret live there.")
    binding: PostgresBinding = Field(
        description="The server, its admin Secret and whether RDS IAM auth is on."
    )
    extensions: tuple[str, ...] = Field(
        default=(),
        description="Extensions to create in the app's database (`vector` when the app uses pgvector). "
        "Defaults to none.",
    )
    image: str = Field(default=BOOTSTRAP_IMAGE, description="The psql image, pinned by digest.")
    labels: Mapping[str, str] = Field(default_factory=dict, description="The app's recommended labels.")

    @field_validator("extensions")
    @classmethod
    def _extensions(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [name for name in value if not name.replace("_", "").isalnum()]
        if bad:
            raise ValueError(f"extension names such as vector or pg_trgm, not {bad}")
        return value


class AppDatabase(pulumi.ComponentResource):
    """The app's binding Secret (`<app>-postgres`) and the Job that makes its role and database exist."""

    secret_name: pulumi.Output[str]
    database: str
    username: str
    password: pulumi.Output[str]
    job: k8s.batch.v1.Job

    def __init__(self, name: str, args: AppDatabaseArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("groundwork:app_database:AppDatabase", name, None, opts)
        binding = args.binding
        identifier = database_identifier(args.app)
        labels = {**args.labels, "app.kubernetes.io/component": "database"}
        password: pulumi.Input[str] = ""
        if not binding.iam_auth:
            password = random.RandomPassword(
                f"{name}-password", length=32, special=False, opts=pulumi.ResourceOptions(parent=self)
            ).result
        secret = binding_secret(
            f"{name}-secret",
            secret_name=f"{args.app}-postgres",
            namespace=args.namespace,
            values={
                "host": binding.host,
                "readerHost": binding.reader_host,
                "port": str(binding.port),
                "database": identifier,
                "username": identifier,
                "password": password,
                "iamAuth": "true" if binding.iam_auth else "false",
                "region": binding.region,
                "sslmode": binding.client_sslmode,
                "tls": "true" if binding.iam_auth else "false",
            },
            labels=labels,
            parent=self,
        )
        sql = bootstrap_sql(identifier, identifier, iam_auth=binding.iam_auth, extensions=args.extensions)
        script = k8s.core.v1.ConfigMap(
            f"{name}-sql",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=f"{args.app}-db-bootstrap", namespace=args.namespace, labels=labels
            ),
            data={"bootstrap.sql": sql},
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.job = self._job(name, args, identifier, sql, script, secret)
        self.secret_name = secret.metadata.name
        self.database = identifier
        self.username = identifier
        # The vectors binding (components.app_vectors) hands the same user's password to pgvector clients.
        self.password = pulumi.Output.secret(pulumi.Output.from_input(password))
        self.register_outputs(
            {
                "secret_name": self.secret_name,
                "database": self.database,
                "username": self.username,
                "password": self.password,
            }
        )

    def _job(
        self,
        name: str,
        args: AppDatabaseArgs,
        identifier: str,
        sql: str,
        script: k8s.core.v1.ConfigMap,
        secret: k8s.core.v1.Secret,
    ) -> k8s.batch.v1.Job:
        binding = args.binding
        labels = {
            **args.labels,
            "app.kubernetes.io/instance": f"{args.app}-db-bootstrap",
            "app.kubernetes.io/component": "db-bootstrap",
            "app.kubernetes.io/version": args.image.split("@")[0].rsplit(":", 1)[-1],
        }
        # The Job's name changes with anything that changes what it does, so `pulumi up` runs it again.
        job_name = pulumi.Output.all(binding.host, binding.admin_secret_name).apply(
            lambda parts: f"{args.app}-db-{_digest([sql, args.image, binding.port, *parts])}"
        )
        env = _psql_env(binding, identifier)
        volumes, mounts = _job_volumes(binding, script, secret)
        return k8s.batch.v1.Job(
            f"{name}-bootstrap",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=job_name,
                namespace=args.namespace,
                labels=labels,
                annotations={"pulumi.com/replaceUnready": "true"},
            ),
            spec=k8s.batch.v1.JobSpecArgs(
                backoff_limit=BACKOFF_LIMIT,
                active_deadline_seconds=ACTIVE_DEADLINE_SECONDS,
                ttl_seconds_after_finished=TTL_SECONDS_AFTER_FINISHED,
                template=k8s.core.v1.PodTemplateSpecArgs(
                    metadata=k8s.meta.v1.ObjectMetaArgs(labels=labels),
                    spec=k8s.core.v1.PodSpecArgs(
                        restart_policy="Never",
                        automount_service_account_token=False,
                        enable_service_links=False,
                        security_context=restricted_pod_security_context(POSTGRES_UID),
                        containers=[
                            k8s.core.v1.ContainerArgs(
                                name="psql",
                                image=args.image,
                                image_pull_policy="IfNotPresent",
                                command=["/bin/sh", "-c", PSQL_COMMAND],
                                env=[k8s.core.v1.EnvVarArgs(name=k, value=v) for k, v in env.items()],
                                resources=k8s.core.v1.ResourceRequirementsArgs(
                                    requests={"cpu": "50m", "memory": "64Mi"},
                                    limits={"cpu": "250m", "memory": "128Mi"},
                                ),
                                security_context=restricted_container_security_context(),
                                volume_mounts=mounts,
                            )
                        ],
                        volumes=volumes,
                    ),
                ),
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[script, secret]),
        )


# The admin's credentials are read from files into psql's environment inside the container only.
PSQL_COMMAND = (
    "set -eu; "
    f'PGUSER="$(cat {ADMIN_DIR}/username)"; PGPASSWORD="$(cat {ADMIN_DIR}/password)"; '
    "export PGUSER PGPASSWORD; "
    'exec psql --no-psqlrc -v ON_ERROR_STOP=1 -v role="$APP_ROLE" -v database="$APP_DATABASE" '
    f"-f {SQL_DIR}/bootstrap.sql"
)


def _digest(parts: list) -> str:
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:10]


def _psql_env(binding: PostgresBinding, identifier: str) -> dict[str, pulumi.Input[str]]:
    """Where psql connects (libpq's PG* variables) and which role and database it creates."""
    return {
        "PGHOST": binding.host,
        "PGPORT": str(binding.port),
        "PGDATABASE": "postgres",
        "PGSSLMODE": binding.bootstrap_sslmode,
        "PGCONNECT_TIMEOUT": "10",
        "PGAPPNAME": "groundwork-db-bootstrap",
        "APP_ROLE": identifier,
        "APP_DATABASE": identifier,
        "HOME": "/tmp",
    }


def _job_volumes(
    binding: PostgresBinding, script: k8s.core.v1.ConfigMap, secret: k8s.core.v1.Secret
) -> tuple[list[k8s.core.v1.VolumeArgs], list[k8s.core.v1.VolumeMountArgs]]:
    """The admin credentials, the script, /tmp and (in-cluster) the app's generated password, as files."""
    mounts = [
        k8s.core.v1.VolumeMountArgs(name="admin", mount_path=ADMIN_DIR, read_only=True),
        k8s.core.v1.VolumeMountArgs(name="sql", mount_path=SQL_DIR, read_only=True),
        k8s.core.v1.VolumeMountArgs(name="tmp", mount_path="/tmp"),
    ]
    volumes = [
        k8s.core.v1.VolumeArgs(
            name="admin",
            secret=k8s.core.v1.SecretVolumeSourceArgs(
                secret_name=binding.admin_secret_name, default_mode=0o440
            ),
        ),
        k8s.core.v1.VolumeArgs(
            name="sql", config_map=k8s.core.v1.ConfigMapVolumeSourceArgs(name=script.metadata.name)
        ),
        k8s.core.v1.VolumeArgs(name="tmp", empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs(size_limit="16Mi")),
    ]
    if not binding.iam_auth:
        mounts.append(
            k8s.core.v1.VolumeMountArgs(name="credentials", mount_path=CREDENTIALS_DIR, read_only=True)
        )
        volumes.append(
            k8s.core.v1.VolumeArgs(
                name="credentials",
                secret=k8s.core.v1.SecretVolumeSourceArgs(
                    secret_name=secret.metadata.name,
                    default_mode=0o440,
                    items=[k8s.core.v1.KeyToPathArgs(key="password", path="password")],
                ),
            )
        )
    return volumes, mounts


class PostgresAdminArgs(ComponentArgs):
    """The RDS master credentials, copied by external-secrets into one Secret for the bootstrap Jobs."""

    namespace: str = Field(description="The app namespace, where the bootstrap Jobs run.")
    secret_name: str = Field(description="The Kubernetes Secret to create (keys username, password).")
    master_secret_arn: StrInput = Field(
        exclude=True, description="The RDS-managed master secret (rds!db-...)."
    )
    external_secrets_role_name: StrInput = Field(
        exclude=True, description="The external-secrets controller's IRSA role, granted this one secret."
    )
    secret_store: str = Field(description="The ClusterSecretStore of the stack's Secrets Manager.")
    refresh_interval: str = Field(
        default="1h", description="How often the copy follows RDS's rotation of the password. Defaults to 1h."
    )


class PostgresAdmin(pulumi.ComponentResource):
    """Lets the bootstrap Jobs log in as the RDS master without the password passing through Pulumi.

    The store's IRSA policy reads `groundwork/<stack>/*`; RDS names its managed secret `rds!db-...`,
    so this adds exactly that ARN to the controller's rights (a second inline policy on its role)
    and an ExternalSecret that keeps `secret_name` in step with RDS's rotation."""

    secret_name: pulumi.Output[str]

    def __init__(self, name: str, args: PostgresAdminArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("groundwork:app_database:PostgresAdmin", name, None, opts)
        grant = aws.iam.RolePolicy(
            f"{name}-read-master-secret",
            role=args.external_secrets_role_name,
            policy=pulumi.Output.from_input(args.master_secret_arn).apply(
                lambda arn: json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Sid": "ReadRdsMasterSecret",
                                "Effect": "Allow",
                                "Action": ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"],
                                "Resource": arn,
                            }
                        ],
                    }
                )
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        external = k8s.apiextensions.CustomResource(
            f"{name}-external-secret",
            api_version="external-secrets.io/v1",
            kind="ExternalSecret",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=args.secret_name,
                namespace=args.namespace,
                labels={
                    "app.kubernetes.io/component": "database-admin",
                    "app.kubernetes.io/managed-by": "pulumi",
                },
                # Pulumi waits until the controller has copied the secret (or reports why it could not).
                annotations={"pulumi.com/waitFor": "condition=Ready"},
            ),
            spec={
                "refreshInterval": args.refresh_interval,
                "secretStoreRef": {"kind": "ClusterSecretStore", "name": args.secret_store},
                "target": {"name": args.secret_name, "creationPolicy": "Owner"},
                "data": [
                    {"secretKey": key, "remoteRef": {"key": args.master_secret_arn, "property": key}}
                    for key in ("username", "password")
                ],
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[grant]),
        )
        self.secret_name = external.metadata.apply(lambda _: args.secret_name)
        self.register_outputs({"secret_name": self.secret_name})
