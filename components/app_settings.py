"""What a stack file says about one app (`AppSettings`) and what the wiring adds (`AppArgs`).

`AppSettings` fields are exactly the keys of `groundwork:apps.<name>`: image, port, replicas,
resources, health, uses, env, secrets, metrics, slo, kubernetes (plus command, args, runAsUser).
Rules about one app's own settings live here (port range, min <= max, credential-looking env keys,
tag or digest); rules that need the whole stack (a `uses` naming a service the stack lacks, a
mutable tag in prod) live in stacks/config/apps.py. The edge issue adds `expose`, `host` and
`paths`; `AppArgs.ingress_peers` is where their load balancer plugs in.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

import pulumi
from pydantic import AfterValidator, Field, InstanceOf, field_validator, model_validator

from components._lib.args import ComponentArgs, SettingError
from components._lib.inputs import StrInput
from components._lib.quantity import cpu_text, memory_bytes, millicores
from components.app_bindings import KafkaBinding, PostgresBinding, RedisBinding
from components.app_buckets import BucketBinding
from components.app_identity import KubernetesAccess
from components.app_vectors import VectorsBinding
from components.namespace import ApiServerEndpoint, Peer
from components.registry import REPOSITORY_NAME

DNS_LABEL = re.compile(r"^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Names that hold a credential (the policy pack's K8S-POD-024 reads them the same way), unless they
# only point at one (`DATABASE_PASSWORD_FILE`).
_CREDENTIAL_NAME = re.compile(
    r"(?i)(password|passwd|secret|token|api[_-]?key|credential|private[_-]?key|access[_-]?key)"
)
_CREDENTIAL_POINTER = re.compile(r"(?i)_(file|path|dir|name|arn|ref|id)$")
_SECRET_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_EXTERNAL_PATH = re.compile(r"^[a-z0-9]+(?:[._/-][a-z0-9]+)*$")
_HOST_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_HTTP_PATH = re.compile(r"^/[A-Za-z0-9._~/-]{0,254}$")


def _is_external(repository: str) -> bool:
    """A reference names its registry host first (`ghcr.io/org/app`, `localhost:5000/x`), as Docker
    reads it; anything else is a repository of this stack."""
    first, _, rest = repository.partition("/")
    return bool(rest) and ("." in first or ":" in first or first == "localhost")


def _env_key(key: str) -> str:
    """One environment variable name; its value is never part of the error (it may be a credential)."""
    if not _ENV_NAME.match(key):
        raise ValueError(
            "is not an environment variable name (letters, digits and _, not starting with a digit)"
        )
    if key.upper().startswith("GROUNDWORK_"):
        raise ValueError("GROUNDWORK_* variables are set by the platform")
    if _CREDENTIAL_NAME.search(key) and not _CREDENTIAL_POINTER.search(key):
        raise ValueError(
            "looks like a credential: env holds plain settings only; store the value in Secrets Manager "
            "and list its name under `secrets` (the app reads it as a file)"
        )
    return key


EnvKey = Annotated[str, AfterValidator(_env_key)]


class ImageSettings(ComponentArgs):
    """`image`: which image runs, pinned by tag or digest."""

    repository: str = Field(
        min_length=1,
        max_length=255,
        description="A name (`api`): the ECR repository this stack creates for it; or a full "
        "reference with its registry host (`ghcr.io/org/api`, `docker.io/library/nginx`).",
    )
    tag: str | None = Field(
        default=None, description='The image tag, e.g. "1.4.2". Set a tag, a digest or both.'
    )
    digest: str | None = Field(default=None, description='The image digest, "sha256:" and 64 hex digits.')

    @field_validator("repository")
    @classmethod
    def _repository(cls, value: str) -> str:
        if _is_external(value):
            path = value.partition("/")[2]
            if not _EXTERNAL_PATH.match(path):
                raise ValueError("an image path after the registry host, lower-case, e.g. ghcr.io/org/api")
        elif not REPOSITORY_NAME.match(value):
            raise ValueError(
                "an ECR repository name (lower-case letters, digits, . _ - and /), or a full reference "
                "with its registry host such as ghcr.io/org/api"
            )
        return value

    @field_validator("tag")
    @classmethod
    def _tag(cls, value: str | None) -> str | None:
        if value is not None and not _TAG.match(value):
            raise ValueError("an image tag: up to 128 letters, digits, _ . -, not starting with . or -")
        return value

    @field_validator("digest")
    @classmethod
    def _digest(cls, value: str | None) -> str | None:
        if value is not None and not _DIGEST.match(value):
            raise ValueError('a digest "sha256:" followed by 64 lower-case hex digits')
        return value

    @model_validator(mode="after")
    def _pinned(self) -> ImageSettings:
        if self.tag is None and self.digest is None:
            raise ValueError("set image.tag or image.digest (an image without either is `latest`)")
        return self

    @property
    def external(self) -> bool:
        return _is_external(self.repository)

    def reference(self, base: str) -> str:
        return base + (f":{self.tag}" if self.tag else "") + (f"@{self.digest}" if self.digest else "")

    @property
    def version(self) -> str:
        """A label value for `app.kubernetes.io/version` (at most 63 characters)."""
        text = self.tag or (self.digest or "")[len("sha256:") :][:12]
        return text[:63].rstrip("._-") or "unknown"


class ReplicaSettings(ComponentArgs):
    """`replicas`: {min, max}; min alone runs a fixed count."""

    min_replicas: int = Field(
        default=2, ge=1, le=100, alias="min", description="Pods at least. Defaults to 2."
    )
    max_replicas: int | None = Field(
        default=None,
        ge=1,
        le=100,
        alias="max",
        description="Pods at most, the HPA's ceiling. Defaults to min.",
    )

    @model_validator(mode="after")
    def _bounds(self) -> ReplicaSettings:
        if self.max_replicas is not None and self.max_replicas < self.min_replicas:
            raise ValueError(f"min {self.min_replicas} is above max {self.max_replicas}; min must be <= max")
        return self

    @property
    def ceiling(self) -> int:
        return self.max_replicas if self.max_replicas is not None else self.min_replicas

    @property
    def autoscaled(self) -> bool:
        return self.ceiling > self.min_replicas


class ResourceSettings(ComponentArgs):
    """`resources`: each pod's requests; limits default from them."""

    cpu: str = Field(default="250m", description="CPU request, e.g. 250m. Defaults to 250m.")
    memory: str = Field(default="256Mi", description="Memory request, e.g. 512Mi. Defaults to 256Mi.")
    cpu_limit: str | None = Field(default=None, description="CPU limit. Defaults to twice the request.")
    memory_limit: str | None = Field(
        default=None, description="Memory limit. Defaults to the request (no overcommit of memory)."
    )

    @field_validator("cpu", "cpu_limit")
    @classmethod
    def _cpu(cls, value: str | None) -> str | None:
        if value is not None:
            millicores(value)  # raises with what is allowed
            if millicores(value) < 10:
                raise ValueError("at least 10m")
        return value

    @field_validator("memory", "memory_limit")
    @classmethod
    def _memory(cls, value: str | None) -> str | None:
        if value is not None and memory_bytes(value) < 16 * 2**20:
            raise ValueError("at least 16Mi")
        return value

    @model_validator(mode="after")
    def _limits_above_requests(self) -> ResourceSettings:
        if millicores(self.effective_cpu_limit) < millicores(self.cpu):
            raise ValueError(f"cpuLimit {self.cpu_limit} is below the cpu request {self.cpu}")
        if memory_bytes(self.effective_memory_limit) < memory_bytes(self.memory):
            raise ValueError(f"memoryLimit {self.memory_limit} is below the memory request {self.memory}")
        return self

    @property
    def effective_cpu_limit(self) -> str:
        return self.cpu_limit or cpu_text(2 * millicores(self.cpu))

    @property
    def effective_memory_limit(self) -> str:
        return self.memory_limit or self.memory


class HealthSettings(ComponentArgs):
    """`health`: the probes. An HTTP GET on `path` (or a TCP connect when path is null)."""

    path: str | None = Field(default="/healthz", description="HTTP path answering 200 when healthy.")
    startup_seconds: int = Field(
        default=120, ge=10, le=1800, description="How long the app may take to start. Defaults to 120."
    )

    @field_validator("path")
    @classmethod
    def _path(cls, value: str | None) -> str | None:
        if value is not None and (not value.startswith("/") or " " in value):
            raise ValueError("an HTTP path starting with /, e.g. /healthz")
        return value


class MetricsSettings(ComponentArgs):
    """`metrics`: where Prometheus scrapes the app; a ServiceMonitor is created for it."""

    path: str = Field(default="/metrics", description="The metrics path. Defaults to /metrics.")
    port: int | None = Field(
        default=None, ge=1024, le=65535, description="The metrics port. Defaults to `port`."
    )


class SloSettings(ComponentArgs):
    """`slo`: the objectives the alerts defend."""

    availability: float = Field(
        default=99.9,
        ge=90,
        le=99.99,
        description="Percent of requests that succeed (not 5xx). Defaults to 99.9.",
    )
    latency_p95_ms: int | None = Field(
        default=None, ge=1, le=60000, description="The p95 latency objective in ms. Defaults to none."
    )


class AppSettings(ComponentArgs):
    """One app as a stack file declares it under `groundwork:apps.<name>`."""

    image: ImageSettings = Field(description="The image and its pin.")
    port: int = Field(default=8080, description="The HTTP port the container listens on. Defaults to 8080.")
    replicas: ReplicaSettings = Field(
        default_factory=ReplicaSettings, description="HPA bounds; min alone = fixed."
    )
    resources: ResourceSettings = Field(default_factory=ResourceSettings, description="Requests and limits.")
    health: HealthSettings = Field(
        default_factory=HealthSettings, description="Startup, readiness, liveness."
    )
    uses: tuple[str, ...] = Field(
        default=(),
        max_length=20,
        description="Bindings: postgres, redis, kafka, vectors, a bucket of groundwork:buckets, or another "
        "app's name.",
    )
    env: dict[EnvKey, str] = Field(
        default_factory=dict, description="Plain settings as environment variables; never credentials."
    )
    secrets: tuple[str, ...] = Field(
        default=(), max_length=50, description="Names of values the app reads from Secrets Manager, as files."
    )
    metrics: MetricsSettings | None = Field(default=None, description="Scrape the app. Defaults to off.")
    slo: SloSettings | None = Field(default=None, description="SLO alerts (needs metrics). Defaults to none.")
    kubernetes: KubernetesAccess = Field(
        default_factory=KubernetesAccess, description="Kubernetes API access. Defaults to none."
    )
    command: tuple[str, ...] | None = Field(default=None, description="Override the image's entrypoint.")
    args: tuple[str, ...] | None = Field(default=None, description="Override the image's arguments.")
    run_as_user: int = Field(
        default=10001, ge=1, le=2**31 - 1, description="The non-root UID (and GID) the container runs as."
    )
    expose: Literal["public", "internal", "none"] = Field(
        default="none",
        description="Serve the app over HTTPS on the stack's shared internet-facing (public) or "
        "VPC-only (internal) load balancer, at `host` under groundwork:dns.zoneName; on local both go "
        "through the in-cluster Traefik at <host>.localhost:8443. Defaults to none.",
    )
    host: str | None = Field(
        default=None,
        description="The app's name under the zone: one label (api → api.<zoneName>), the full name, "
        "or the zone itself (@); on local one label (api → api.localhost) or @. Defaults to the app's "
        "name when exposed.",
    )
    paths: tuple[str, ...] = Field(
        default=("/",), min_length=1, max_length=10, description="Path prefixes routed to the app."
    )

    @field_validator("port")
    @classmethod
    def _port(cls, value: int) -> int:
        if not 1024 <= value <= 65535:
            raise ValueError(
                "a TCP port 1024-65535 (the container runs as non-root and cannot bind below 1024)"
            )
        return value

    @field_validator("host")
    @classmethod
    def _host(cls, value: str | None) -> str | None:
        if value is not None and value != "@" and not all(_HOST_LABEL.match(x) for x in value.split(".")):
            raise ValueError(
                "a DNS name under the zone: lower-case labels of letters, digits and -, e.g. api, "
                "or @ for the zone itself"
            )
        return value

    @field_validator("paths")
    @classmethod
    def _paths(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [path for path in value if not _HTTP_PATH.match(path)]
        if bad:
            raise ValueError(f"HTTP path prefixes starting with / (letters, digits, - . _ ~ /), not {bad}")
        duplicates = sorted({path for path in value if value.count(path) > 1})
        if duplicates:
            raise ValueError(f"{duplicates} listed more than once")
        return value

    @model_validator(mode="after")
    def _host_needs_expose(self) -> AppSettings:
        if self.expose == "none" and (self.host is not None or self.paths != ("/",)):
            raise SettingError(
                "host" if self.host is not None else "paths",
                self.host if self.host is not None else list(self.paths),
                "has no effect while expose is none; set expose: public or internal, or drop it",
            )
        return self

    @property
    def exposed(self) -> bool:
        return self.expose != "none"

    @field_validator("uses")
    @classmethod
    def _uses(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [name for name in value if not DNS_LABEL.match(name)]
        if bad:
            raise ValueError(f"binding names are postgres, redis, kafka, vectors or an app's name, not {bad}")
        duplicates = sorted({name for name in value if value.count(name) > 1})
        if duplicates:
            raise ValueError(f"{duplicates} listed more than once")
        return value

    @field_validator("env", mode="before")
    @classmethod
    def _env_values(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        plain = {}
        for key, item in value.items():
            if isinstance(item, bool):
                plain[key] = "true" if item else "false"
            elif isinstance(item, (int, float)):
                plain[key] = str(item)
            else:
                plain[key] = item
        return plain

    @field_validator("secrets")
    @classmethod
    def _secrets(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [name for name in value if not _SECRET_NAME.match(name)]
        if bad:
            raise ValueError(f"secret names such as OPENAI_API_KEY (letters, digits, _), not {bad}")
        duplicates = sorted({name for name in value if value.count(name) > 1})
        if duplicates:
            raise ValueError(f"{duplicates} listed more than once")
        return value

    @model_validator(mode="after")
    def _slo_needs_metrics(self) -> AppSettings:
        if self.slo is not None and self.metrics is None:
            raise ValueError("slo needs metrics: the alerts read the app's http_requests_total")
        return self

    @property
    def metrics_port(self) -> int | None:
        if self.metrics is None:
            return None
        return self.metrics.port or self.port


class AppAws(ComponentArgs):
    """AWS facts an app's IRSA role needs."""

    oidc_provider_arn: StrInput = Field(exclude=True, description="The cluster's OIDC provider.")
    oidc_issuer: StrInput = Field(exclude=True, description="The issuer, without https://.")
    region: str = Field(description="The stack's region.")
    kms_key_arn: StrInput = Field(exclude=True, description="The stack key that encrypts the app's secrets.")
    api_peers: tuple[InstanceOf[Peer], ...] = Field(
        min_length=1,
        exclude=True,
        description="Where pods reach AWS APIs on 443 (interface endpoints or the NAT).",
    )


class AppArgs(ComponentArgs):
    """One app: its settings plus what the stack wires in."""

    app: str = Field(description="The app's name (a DNS label); Kubernetes objects are named after it.")
    settings: AppSettings = Field(description="What the stack file declares.")
    namespace: str = Field(description="The app namespace.")
    repository_url: StrInput | None = Field(
        default=None,
        exclude=True,
        description="Where a named repository lives: the ECR URL, or the local registry.",
    )
    postgres: PostgresBinding | None = Field(default=None, description="Set when `uses` names postgres.")
    redis: RedisBinding | None = Field(default=None, description="Set when `uses` names redis.")
    kafka: KafkaBinding | None = Field(default=None, description="Set when `uses` names kafka.")
    vectors: VectorsBinding | None = Field(default=None, description="Set when `uses` names vectors.")
    buckets: dict[str, BucketBinding] = Field(
        default_factory=dict, description="The stack's buckets `uses` names (components.app_buckets)."
    )
    uses_apps: dict[str, int] = Field(
        default_factory=dict, description="Apps this one calls, with their ports."
    )
    callers: tuple[str, ...] = Field(default=(), description="Apps whose `uses` names this one.")
    ingress_peers: tuple[InstanceOf[Peer], ...] = Field(
        default=(), exclude=True, description="Other sources admitted on `port` (the edge's load balancer)."
    )
    scraper: InstanceOf[Peer] | None = Field(
        default=None, exclude=True, description="Prometheus's pods, admitted on the metrics port."
    )
    aws: AppAws | None = Field(
        default=None, description="Set on AWS: the app gets an IRSA role when it needs one."
    )
    secret_store: str | None = Field(
        default=None,
        description="The ClusterSecretStore that copies `secrets` from Secrets Manager; None on local, "
        "where the `<app>-secrets` Secret is created by hand.",
    )
    secrets_path: str = Field(
        default="", description="The Secrets Manager name prefix of this app's secrets."
    )
    api_server: InstanceOf[ApiServerEndpoint] | None = Field(
        default=None,
        exclude=True,
        description="Where pods reach the Kubernetes API (apps with `kubernetes` rules).",
    )
    runbook_base_url: str = Field(default="docs/runbooks", description="Prefix of the alerts' runbook links.")
    monitoring: tuple[InstanceOf[pulumi.Resource], ...] = Field(
        default=(), exclude=True, description="What installs the ServiceMonitor and PrometheusRule CRDs."
    )
    part_of: str = Field(
        default="groundwork", description="`app.kubernetes.io/part-of` of the app's objects."
    )
    tags: dict[str, str] = Field(default_factory=dict, description="The stack's tags (AWS resources).")

    @field_validator("app")
    @classmethod
    def _app(cls, value: str) -> str:
        if not DNS_LABEL.match(value):
            raise ValueError("a DNS label of at most 40 characters")
        return value


def selector_labels(app: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": app, "app.kubernetes.io/instance": app}


def app_labels(app: str, version: str, part_of: str) -> dict[str, str]:
    return {
        **selector_labels(app),
        "app.kubernetes.io/version": version,
        "app.kubernetes.io/component": "server",
        "app.kubernetes.io/part-of": part_of,
        "app.kubernetes.io/managed-by": "pulumi",
    }


def database_binding(args: AppArgs) -> PostgresBinding | None:
    """The PostgreSQL the app gets its own database on: its postgres binding, or pgvector's server."""
    if args.postgres is not None:
        return args.postgres
    if args.vectors is not None and args.vectors.backend == "pgvector":
        return args.vectors.postgres
    return None


def needs_aws_role(args: AppArgs) -> bool:
    """An IRSA role only when something of AWS is bound: RDS, MSK, S3 or Secrets Manager."""
    database = database_binding(args)
    return args.aws is not None and bool(
        (database is not None and database.iam_auth)
        or (args.kafka is not None and args.kafka.cluster_arn is not None)
        or any(bucket.bucket_arn is not None for bucket in args.buckets.values())
        or args.settings.secrets
    )
