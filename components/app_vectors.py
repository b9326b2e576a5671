"""What an app that `uses: [vectors]` is given, whichever backend the stack chose.

The binding Secret `<app>-vectors` (mounted under `/var/run/secrets/groundwork/vectors/`) has the same
keys on both backends, `VECTORS_KEYS`; a key a backend has no value for is empty:

- `backend`: `pgvector` or `chroma`, so a client library picks its driver.
- `host`, `port`, `url`: where to connect. pgvector: the stack's PostgreSQL and a libpq URL without
  the password; chroma: the ChromaDB Service and its HTTP URL.
- `database`, `username`, `password`, `iamAuth`, `sslmode`: pgvector only. The app's own database
  (components.app_database), where the bootstrap Job has run `CREATE EXTENSION IF NOT EXISTS vector`,
  with the same user and password as the app's postgres binding; on RDS `password` is empty and
  `iamAuth` is "true" (the app signs an IAM token with its role).
- `token`, `tokenHeader`, `tenant`: chroma only. The generated token that the server's proxy
  requires in the `X-Chroma-Token` header (or `Authorization: Bearer`), and Chroma's default tenant.
- `tls`: whether the connection is TLS ("true" on RDS; the in-cluster servers speak plain text
  inside the cluster, where only the apps that use them may connect).
"""

from __future__ import annotations

from typing import Literal

import pulumi
from pydantic import Field

from components._lib.args import ComponentArgs
from components._lib.inputs import StrInput
from components.app_bindings import BindingEgress, PostgresBinding

VECTORS_KEYS = (
    "backend",
    "host",
    "port",
    "url",
    "database",
    "username",
    "password",
    "iamAuth",
    "sslmode",
    "tls",
    "token",
    "tokenHeader",
    "tenant",
)
PGVECTOR_EXTENSION = "vector"
CHROMA_TOKEN_HEADER = "X-Chroma-Token"
CHROMA_TENANT = "default_tenant"
CHROMA_DATABASE = "default_database"


class VectorsBinding(ComponentArgs):
    """The stack's vector search as an app binds to it: pgvector in the app's own PostgreSQL database,
    or the ChromaDB server with its token."""

    backend: Literal["pgvector", "chroma"] = Field(description="Which backend the stack runs.")
    postgres: PostgresBinding | None = Field(
        default=None, description="pgvector: the stack's PostgreSQL (the app's database is bootstrapped)."
    )
    chroma_host: StrInput | None = Field(default=None, exclude=True, description="chroma: the Service host.")
    chroma_port: int = Field(default=8000, ge=1, le=65535, description="chroma: the authenticated port.")
    chroma_token: StrInput | None = Field(
        default=None, exclude=True, description="chroma: the generated token (a Pulumi secret)."
    )
    egress: BindingEgress | None = Field(
        default=None, description="chroma: the server's pods (pgvector uses the postgres binding's)."
    )

    @property
    def flow(self) -> BindingEgress:
        """Where the app's pods connect for vectors."""
        if self.backend == "pgvector":
            assert self.postgres is not None
            return self.postgres.egress
        assert self.egress is not None
        return self.egress


def vectors_values(
    binding: VectorsBinding, *, database: str, username: str, password: pulumi.Input[str]
) -> dict[str, pulumi.Input[str]]:
    """The binding Secret's payload: exactly VECTORS_KEYS on either backend."""
    if binding.backend == "pgvector":
        pg = binding.postgres
        assert pg is not None
        url = pulumi.Output.concat(
            "postgresql://",
            username,
            "@",
            pg.host,
            ":",
            str(pg.port),
            "/",
            database,
            "?sslmode=",
            pg.client_sslmode,
        )
        return {
            "backend": "pgvector",
            "host": pg.host,
            "port": str(pg.port),
            "url": url,
            "database": database,
            "username": username,
            "password": password,  # the app's own generated password in-cluster; empty on RDS (IAM)
            "iamAuth": "true" if pg.iam_auth else "false",
            "sslmode": pg.client_sslmode,
            "tls": "true" if pg.iam_auth else "false",
            "token": "",
            "tokenHeader": "",
            "tenant": "",
        }
    assert binding.chroma_host is not None and binding.chroma_token is not None
    return {
        "backend": "chroma",
        "host": binding.chroma_host,
        "port": str(binding.chroma_port),
        "url": pulumi.Output.concat("http://", binding.chroma_host, ":", str(binding.chroma_port)),
        "database": CHROMA_DATABASE,
        "username": "",
        "password": "",
        "iamAuth": "false",
        "sslmode": "",
        "tls": "false",
        "token": binding.chroma_token,
        "tokenHeader": CHROMA_TOKEN_HEADER,
        "tenant": CHROMA_TENANT,
    }
