"""Rules about `groundwork:apps` that need the whole stack, each naming the key a user must change.

One app's own settings are checked by its model (components.app_settings.AppSettings: port range,
min <= max, env keys, tag or digest). Here: app names (DNS labels that do not clash with the
platform's objects or the PostgreSQL names derived from them), `uses` naming a service or app the
stack has, prod's pinned images, containers that fit the namespace's LimitRange, totals that fit
its ResourceQuota, metrics only where monitoring runs, and Kafka bindings only over IAM on MSK.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from components._lib.quantity import cpu_text, memory_bytes, millicores
from components.app_settings import DNS_LABEL, AppSettings
from components.namespace import ContainerDefaultsArgs
from stacks.config.errors import ConfigIssue

if TYPE_CHECKING:
    from stacks.config.model import StackConfig

DATA_SERVICES = ("postgres", "redis", "kafka", "vectors")
# Names that would collide with PostgreSQL's own roles and databases (an app's role and database
# are its name with `-` as `_`) or read as a binding.
RESERVED_NAMES = {*DATA_SERVICES, "app", "app-owner", "postgres", "template0", "template1", "rdsadmin"}
RESERVED_PREFIXES = ("pg-", "rds-", "prometheus-")
# The namespace's LimitRange caps every container (components.namespace defaults).
CONTAINER_MAX = ContainerDefaultsArgs()
# The bootstrap Job's pod (components.app_database) counts against the quota while it runs.
BOOTSTRAP_CPU, BOOTSTRAP_MEMORY = 50, 64 * 2**20


def apps_issues(config: StackConfig) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []
    for name, app in sorted(config.apps.items()):
        issues += _name_issues(config, name)
        issues += _uses_issues(config, name, app)
        issues += _image_issues(config, name, app)
        issues += _container_issues(name, app)
        if not config.monitoring.enabled and app.metrics is not None:
            issues.append(
                ConfigIssue(
                    f"apps.{name}.metrics",
                    app.metrics.model_dump(by_alias=True),
                    "needs monitoring.enabled: the ServiceMonitor and the SLO rules are Prometheus objects",
                )
            )
    issues += _quota_issues(config)
    return issues


def _name_issues(config: StackConfig, name: str) -> list[ConfigIssue]:
    path = f"apps.{name}"
    if not DNS_LABEL.match(name):
        return [
            ConfigIssue(
                path,
                name,
                "an app name is a DNS label: lower-case letters, digits and -, starting with a letter, "
                "at most 40 characters",
            )
        ]
    if name in RESERVED_NAMES or name.startswith(RESERVED_PREFIXES):
        return [
            ConfigIssue(
                path,
                name,
                f"is reserved (binding and PostgreSQL names: {', '.join(sorted(RESERVED_NAMES))}; "
                f"prefixes {', '.join(RESERVED_PREFIXES)}); choose another name",
            )
        ]
    if name.startswith(f"{config.stack}-"):
        return [
            ConfigIssue(
                path,
                name,
                f"duplicates the platform's own names in the app namespace (`{config.stack}-postgres`, "
                f"`{config.stack}-redis-connection`, ...): app names may not start with '{config.stack}-'",
            )
        ]
    return []


def _uses_issues(config: StackConfig, name: str, app: AppSettings) -> list[ConfigIssue]:
    path = f"apps.{name}.uses"
    present = {
        "postgres": config.postgres.enabled,
        "redis": config.redis.enabled,
        "kafka": config.kafka.enabled,
        "vectors": config.vectors.enabled,
    }
    issues: list[ConfigIssue] = []
    for used in app.uses:
        if used == name:
            issues.append(ConfigIssue(path, used, "an app cannot use itself"))
        elif used in DATA_SERVICES and not present[used]:
            issues.append(
                ConfigIssue(
                    path, used, f"this stack has no {used} ({used}.enabled is false); enable it or drop it"
                )
            )
        elif used not in DATA_SERVICES and used not in config.apps and used not in config.buckets:
            offered = [service for service in DATA_SERVICES if present[service]]
            others = sorted(a for a in config.apps if a != name)
            known = ", ".join([*offered, *sorted(config.buckets), *others])
            issues.append(ConfigIssue(path, used, f"is not a binding of this stack; one of: {known}"))
    managed_kafka = config.on_aws and config.kafka.backend == "managed"
    if "kafka" in app.uses and managed_kafka and "iam" not in config.kafka.client_authentication:
        issues.append(
            ConfigIssue(
                "kafka.clientAuthentication",
                list(config.kafka.client_authentication),
                f"apps.{name} uses kafka: apps authenticate to MSK with their own IAM role, scoped to "
                "their topics, so it must include iam",
            )
        )
    return issues


def _image_issues(config: StackConfig, name: str, app: AppSettings) -> list[ConfigIssue]:
    if config.environment != "prod":
        return []
    image = app.image
    if image.tag == "latest" and image.digest is None:
        return [
            ConfigIssue(
                f"apps.{name}.image.tag",
                image.tag,
                "prod needs an image that cannot change under it: a release tag of this stack's "
                "immutable ECR repository (e.g. 1.4.2) or a digest",
            )
        ]
    if image.external and image.digest is None:
        return [
            ConfigIssue(
                f"apps.{name}.image.digest",
                None,
                f"prod needs a digest for an image from another registry ({image.repository}): only this "
                "stack's ECR tags are known to be immutable",
            )
        ]
    return []


def _container_issues(name: str, app: AppSettings) -> list[ConfigIssue]:
    """Every container must fit the app namespace's LimitRange maximum, or the pod is refused."""
    resources = app.resources
    issues = []
    if CONTAINER_MAX.max_cpu and millicores(resources.effective_cpu_limit) > millicores(
        CONTAINER_MAX.max_cpu
    ):
        key = "cpuLimit" if resources.cpu_limit else "cpu"
        issues.append(
            ConfigIssue(
                f"apps.{name}.resources.{key}",
                getattr(resources, "cpu_limit" if resources.cpu_limit else "cpu"),
                f"the CPU limit ({resources.effective_cpu_limit}; twice the request unless cpuLimit is set) "
                f"is above the namespace's per-container maximum of {CONTAINER_MAX.max_cpu}",
            )
        )
    if CONTAINER_MAX.max_memory and memory_bytes(resources.effective_memory_limit) > memory_bytes(
        CONTAINER_MAX.max_memory
    ):
        key = "memoryLimit" if resources.memory_limit else "memory"
        issues.append(
            ConfigIssue(
                f"apps.{name}.resources.{key}",
                resources.memory_limit or resources.memory,
                f"is above the namespace's per-container maximum of {CONTAINER_MAX.max_memory}",
            )
        )
    return issues


def _quota_issues(config: StackConfig) -> list[ConfigIssue]:
    """At their max replicas plus the surge pod of a rollout, the apps must fit the namespace quota,
    or the HPA and rollouts stall with pods the quota refuses."""
    if not config.apps:
        return []
    quota = config.cluster.namespace_quota
    issues = []
    totals = {
        "requestsCpu": (quota.requests_cpu, millicores, lambda a: millicores(a.resources.cpu), BOOTSTRAP_CPU),
        "requestsMemory": (
            quota.requests_memory,
            memory_bytes,
            lambda a: memory_bytes(a.resources.memory),
            BOOTSTRAP_MEMORY,
        ),
        "limitsCpu": (
            quota.limits_cpu,
            millicores,
            lambda a: millicores(a.resources.effective_cpu_limit),
            250,
        ),
        "limitsMemory": (
            quota.limits_memory,
            memory_bytes,
            lambda a: memory_bytes(a.resources.effective_memory_limit),
            128 * 2**20,
        ),
    }
    for key, (limit, parse, per_pod, bootstrap) in totals.items():
        total = sum((app.replicas.ceiling + 1) * per_pod(app) for app in config.apps.values()) + bootstrap
        if total > parse(limit):
            shown = cpu_text(total) if parse is millicores else f"{total / 2**30:.2f}Gi"
            issues.append(
                ConfigIssue(
                    f"cluster.namespaceQuota.{key}",
                    limit,
                    f"the apps need {shown} at their max replicas plus one rollout pod each; raise "
                    "the quota or lower apps' replicas.max or resources",
                )
            )
    return issues
