"""From Pulumi config (a stack file or the running engine's config) to a validated StackConfig.

Defaults come from the environment profile, the stack file overrides them key by key, and every
problem comes back as one ConfigError listing stack, key path, value and what is allowed.
"""

from __future__ import annotations

import copy
import ipaddress
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from stacks.config import backups, cluster, cost, data, monitoring, network
from stacks.config.base import ENVIRONMENTS
from stacks.config.errors import HIDDEN, ConfigError, ConfigIssue, issues_from_validation
from stacks.config.model import StackConfig, cross_field_issues

NAMESPACE = "groundwork"


def _project_dir() -> Path:
    """The Pulumi project: the CLI runs programs from it; otherwise this checkout's root."""
    cwd = Path.cwd()
    return cwd if (cwd / "Pulumi.yaml").exists() else Path(__file__).resolve().parents[2]


PROJECT_DIR = _project_dir()

# Per-area profiles, merged under the stack file's values. An area adds itself here.
AREA_PROFILES: dict[str, dict[str, dict]] = {
    "network": network.PROFILES,
    "cluster": cluster.PROFILES,
    "postgres": data.POSTGRES_PROFILES,
    "redis": data.REDIS_PROFILES,
    "kafka": data.KAFKA_PROFILES,
    "monitoring": monitoring.PROFILES,
    "backups": backups.PROFILES,
    "budget": cost.BUDGET_PROFILES,
    "cost": cost.COST_PROFILES,
}
ROOT_PROFILES: dict[str, dict[str, Any]] = {
    "local": {},
    "dev": {},
    "qa": {},
    "staging": {},
    "prod": {"protectStatefulResources": True},
}
# Config keys outside the groundwork namespace that the model reads.
FOREIGN_KEYS = {"aws:region": "region"}
# Placeholder that stands in for a `secure:` value when a stack file is read without the
# stack's secrets provider (preflight, tests). It is never a real credential.
SECRET_PLACEHOLDER = "preflight-placeholder-secret"


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(dict(base))
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _decode(value: Any) -> Any:
    """Structured config arrives from the engine as JSON text; from YAML it is already parsed."""
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    if isinstance(value, str) and value in ("true", "false"):
        return value == "true"
    return value


def _strip_secure(value: Any, path: str, secret_paths: list[str]) -> Any:
    if isinstance(value, Mapping):
        if set(value) == {"secure"}:
            secret_paths.append(path)
            return SECRET_PLACEHOLDER
        return {k: _strip_secure(v, f"{path}.{k}", secret_paths) for k, v in value.items()}
    if isinstance(value, list):
        return [_strip_secure(v, f"{path}[{i}]", secret_paths) for i, v in enumerate(value)]
    return value


# Key names that hold credentials. Their values must arrive as Pulumi secrets (`secure:` in the stack
# file), never as plain text that lands in git and in every `pulumi config` listing.
_CREDENTIAL_KEY = re.compile(
    r"password|passwd|secret|token|webhook|routingkey|apikey|credential|privatekey", re.IGNORECASE
)


def plaintext_credentials(
    values: Mapping[str, Any], secret_paths: Sequence[str], secret_keys: Iterable[str] = ()
) -> list[ConfigIssue]:
    """Credential-named keys whose value is plain text. A key under a top-level key the engine
    marks secret counts as secret (the engine decrypts structured values whole)."""
    secret_roots = {key.partition(":")[2] for key in secret_keys}
    found: list[ConfigIssue] = []

    def walk(value: Any, path: str, leaf: str) -> None:
        if isinstance(value, Mapping):
            for key, child in value.items():
                walk(child, f"{path}.{key}", str(key))
        elif (
            isinstance(value, str)
            and value
            and _CREDENTIAL_KEY.search(leaf)
            and path not in secret_paths
            and path.split(".")[0] not in secret_roots
        ):
            found.append(
                ConfigIssue(
                    path,
                    HIDDEN,
                    "is a credential: store it encrypted with `pulumi config set --secret "
                    f"--path '{NAMESPACE}:{path}' <value>`",
                )
            )

    for key, value in values.items():
        walk(value, key, key)
    return found


def parse_stack_config(stack: str, raw: Mapping[str, Any], secret_keys: Iterable[str] = ()) -> StackConfig:
    """Validate one stack's raw Pulumi config (keys like `groundwork:network`, `aws:region`).
    `secret_keys`: full keys the engine marks secret (values already decrypted)."""
    issues: list[ConfigIssue] = []
    user: dict[str, Any] = {}
    secret_paths: list[str] = []
    for key, value in raw.items():
        namespace, _, name = key.partition(":")
        if key in FOREIGN_KEYS:
            user[FOREIGN_KEYS[key]] = _decode(value)
        elif namespace == NAMESPACE:
            user[name] = _strip_secure(_decode(value), name, secret_paths)
    credential_issues = plaintext_credentials(user, secret_paths, secret_keys)
    if credential_issues:
        raise ConfigError(stack, credential_issues)
    environment = user.pop("environment", stack)
    if environment not in ENVIRONMENTS:
        raise ConfigError(
            stack,
            [
                ConfigIssue(
                    "environment",
                    environment,
                    f"must be one of {', '.join(ENVIRONMENTS)} (defaults to the stack name)",
                )
            ],
        )
    profile = deep_merge(
        ROOT_PROFILES[environment],
        {area: profiles.get(environment, {}) for area, profiles in AREA_PROFILES.items()},
    )
    data = deep_merge(profile, user)
    data.update(stack=stack, environment=environment)
    try:
        config = StackConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(stack, issues_from_validation(exc)) from None
    issues.extend(cross_field_issues(config))
    if issues:
        raise ConfigError(stack, issues)
    return config


def read_stack_file(stack: str, project_dir: Path = PROJECT_DIR) -> dict[str, Any]:
    """The `config:` block of Pulumi.<stack>.yaml, as the CLI would hand it to the program."""
    path = project_dir / f"Pulumi.{stack}.yaml"
    if not path.exists():
        known = ", ".join(sorted(stack_names(project_dir))) or "none"
        raise ConfigError(
            stack, [ConfigIssue("stack", stack, f"has no file {path.name}; stacks here: {known}")]
        )
    try:
        document = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(stack, [ConfigIssue(path.name, "(file)", f"is not valid YAML: {exc}")]) from None
    if not isinstance(document, Mapping):
        raise ConfigError(stack, [ConfigIssue(path.name, "(file)", "must be a YAML mapping")])
    config = document.get("config") or {}
    if not isinstance(config, Mapping):
        raise ConfigError(stack, [ConfigIssue("config", config, "must be a mapping of key: value")])
    return dict(config)


def stack_names(project_dir: Path = PROJECT_DIR) -> list[str]:
    """Stacks that have a Pulumi.<stack>.yaml, in environment order."""
    names = [p.name[len("Pulumi.") : -len(".yaml")] for p in project_dir.glob("Pulumi.*.yaml")]
    order = {env: i for i, env in enumerate(ENVIRONMENTS)}
    return sorted(names, key=lambda n: (order.get(n, len(order)), n))


def overlapping_cidrs(configs: Mapping[str, StackConfig]) -> list[tuple[str, str]]:
    """Pairs of stacks whose VPC CIDRs overlap; they must be disjoint so the VPCs can be peered."""
    with_network = [
        (s, ipaddress.IPv4Network(c.network.cidr)) for s, c in configs.items() if c.network.enabled
    ]
    return [
        (stack, other)
        for i, (stack, cidr) in enumerate(with_network)
        for other, other_cidr in with_network[i + 1 :]
        if cidr.overlaps(other_cidr)
    ]


def load_stack(
    stack: str,
    project_dir: Path = PROJECT_DIR,
    raw: Mapping[str, Any] | None = None,
    secret_keys: Iterable[str] = (),
) -> StackConfig:
    """Parse one stack and check its CIDR against every other stack file in the project."""
    config = parse_stack_config(
        stack, raw if raw is not None else read_stack_file(stack, project_dir), secret_keys
    )
    configs: dict[str, StackConfig] = {stack: config}
    for other in stack_names(project_dir):
        if other != stack:
            try:
                configs[other] = parse_stack_config(other, read_stack_file(other, project_dir))
            except ConfigError:
                continue  # that stack reports its own errors when it runs
    issues = [
        ConfigIssue(
            "network.cidr",
            config.network.cidr,
            f"overlaps stack '{other}' ({configs[other].network.cidr}); every stack needs "
            "its own range so the VPCs can be peered later",
        )
        for pair in overlapping_cidrs(configs)
        if stack in pair
        for other in pair
        if other != stack
    ]
    if issues:
        raise ConfigError(stack, issues)
    return config


def runtime_config() -> dict[str, Any]:
    """All config the Pulumi engine passed to this program (also what preflight sets on mocks)."""
    from pulumi.runtime import config as runtime

    values = dict(runtime.get_config_env())
    values.update(runtime.CONFIG.get())
    return values


def runtime_secret_keys() -> list[str]:
    """The config keys the engine marks secret (set with `pulumi config set --secret`)."""
    from pulumi.runtime import config as runtime

    return [key for key in runtime_config() if runtime.is_config_secret(key)] + list(
        runtime.get_config_secret_keys_env()
    )
