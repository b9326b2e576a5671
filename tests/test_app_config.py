"""`groundwork:apps` config: the shipped blocks validate, and bad input names the stack, the key
path, the value and what is allowed (credentials excepted: their values are never echoed)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from stacks.config import ConfigError, parse_stack_config, read_stack_file

APP = {"image": {"repository": "worker", "tag": "1.0.0"}}


def _dev() -> dict[str, Any]:
    return copy.deepcopy(read_stack_file("dev"))


def _prod_with(app: dict[str, Any]) -> dict[str, Any]:
    raw = copy.deepcopy(read_stack_file("prod"))
    raw["groundwork:apps"] = {"api": app}
    return raw


def _api(raw: dict[str, Any]) -> dict[str, Any]:
    return raw["groundwork:apps"]["api"]


def _add(name: str, app: dict[str, Any] | None = None) -> Callable[[dict], None]:
    def change(raw: dict) -> None:
        raw["groundwork:apps"][name] = copy.deepcopy(app or APP)

    return change


def _set(*path: str, value: Any) -> Callable[[dict], None]:
    def change(raw: dict) -> None:
        node = _api(raw)
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = value

    return change


def _no_kafka(raw: dict) -> None:
    raw["groundwork:kafka"] = {**raw["groundwork:kafka"], "enabled": False}


def _scram_only(raw: dict) -> None:
    raw["groundwork:kafka"] = {**raw["groundwork:kafka"], "clientAuthentication": ["scram"]}


def _no_monitoring(raw: dict) -> None:
    raw["groundwork:monitoring"] = {"enabled": False}
    raw["groundwork:backups"] = {"enabled": False}
    raw["groundwork:apps"]["api"].pop("slo")


def _without_tag(raw: dict) -> None:
    _api(raw)["image"].pop("tag")


def _web_uses_itself(raw: dict) -> None:
    raw["groundwork:apps"]["web"]["uses"] = ["web"]


# (case, stack, change to the stack file, key path in the message, value as shown, what is allowed)
BAD_INPUTS = [
    ("name-not-a-dns-label", "dev", _add("Bad_Name"), "apps.Bad_Name", "'Bad_Name'", "DNS label"),
    ("name-too-long", "dev", _add("a" * 41), f"apps.{'a' * 41}", f"'{'a' * 41}'", "at most 40"),
    ("name-reserved", "dev", _add("postgres"), "apps.postgres", "'postgres'", "is reserved"),
    (
        "name-duplicates-platform",
        "dev",
        _add("dev-postgres"),
        "apps.dev-postgres",
        "'dev-postgres'",
        "duplicates",
    ),
    ("port-privileged", "dev", _set("port", value=80), "apps.api.port", "80", "1024-65535"),
    ("port-out-of-range", "dev", _set("port", value=70000), "apps.api.port", "70000", "1024-65535"),
    (
        "min-above-max",
        "dev",
        _set("replicas", value={"min": 5, "max": 3}),
        "apps.api.replicas",
        "",
        "min 5 is above max 3",
    ),
    (
        "unknown-binding",
        "dev",
        _set("uses", value=["mongodb"]),
        "apps.api.uses",
        "'mongodb'",
        "postgres, redis, kafka, web",
    ),
    (
        "binding-not-a-label",
        "dev",
        _set("uses", value=["Postgres"]),
        "apps.api.uses",
        "['Postgres']",
        "binding names",
    ),
    (
        "binding-twice",
        "dev",
        _set("uses", value=["redis", "redis"]),
        "apps.api.uses",
        "['redis', 'redis']",
        "more than once",
    ),
    (
        "service-the-stack-lacks",
        "dev",
        lambda raw: _no_kafka(raw),
        "apps.api.uses",
        "'kafka'",
        "has no kafka",
    ),
    ("uses-itself", "dev", _web_uses_itself, "apps.web.uses", "'web'", "cannot use itself"),
    ("kafka-without-iam", "dev", _scram_only, "kafka.clientAuthentication", "['scram']", "must include iam"),
    ("mutable-tag-in-prod", "prod", None, "apps.api.image.tag", "'latest'", "cannot change under it"),
    ("external-tag-in-prod", "prod", None, "apps.api.image.digest", "None", "needs a digest"),
    ("no-tag-no-digest", "dev", _without_tag, "apps.api.image", "", "set image.tag or image.digest"),
    (
        "bad-digest",
        "dev",
        _set("image", "digest", value="sha256:xyz"),
        "apps.api.image.digest",
        "'sha256:xyz'",
        "64",
    ),
    (
        "bad-repository",
        "dev",
        _set("image", "repository", value="API"),
        "apps.api.image.repository",
        "'API'",
        "ECR repository name",
    ),
    (
        "credential-env-key",
        "dev",
        _set("env", "OPENAI_API_KEY", value="sk-live-123"),
        "apps.api.env.OPENAI_API_KEY",
        "'OPENAI_API_KEY'",
        "looks like a credential",
    ),
    (
        "platform-env-key",
        "dev",
        _set("env", "GROUNDWORK_MODE", value="x"),
        "apps.api.env.GROUNDWORK_MODE",
        "'GROUNDWORK_MODE'",
        "set by the platform",
    ),
    (
        "secret-twice",
        "dev",
        _set("secrets", value=["A_KEY", "A_KEY"]),
        "apps.api.secrets",
        "['A_KEY', 'A_KEY']",
        "more than once",
    ),
    (
        "rbac-wildcard",
        "dev",
        _set("kubernetes", value={"rules": [{"resources": ["pods"], "verbs": ["*"]}]}),
        "apps.api.kubernetes.rules.0",
        "",
        "'*' is not allowed",
    ),
    (
        "rbac-all-secrets",
        "dev",
        _set("kubernetes", value={"rules": [{"resources": ["secrets"], "verbs": ["get"]}]}),
        "apps.api.kubernetes.rules.0",
        "",
        "secrets need resourceNames",
    ),
    (
        "rbac-exec",
        "dev",
        _set("kubernetes", value={"rules": [{"resources": ["pods/exec"], "verbs": ["create"]}]}),
        "apps.api.kubernetes.rules.0",
        "",
        "runs commands in other pods",
    ),
    ("slo-without-metrics", "dev", _set("metrics", value=None), "apps.api", "", "slo needs metrics"),
    (
        "metrics-without-monitoring",
        "dev",
        _no_monitoring,
        "apps.api.metrics",
        "{'path': '/metrics', 'port': None}",
        "needs monitoring.enabled",
    ),
    (
        "cpu-above-container-max",
        "dev",
        _set("resources", "cpu", value="1500m"),
        "apps.api.resources.cpu",
        "'1500m'",
        "per-container maximum of 2",
    ),
    (
        "cpu-not-a-quantity",
        "dev",
        _set("resources", "cpu", value="lots"),
        "apps.api.resources.cpu",
        "'lots'",
        "such as 250m",
    ),
    (
        "limit-below-request",
        "dev",
        _set("resources", "memoryLimit", value="128Mi"),
        "apps.api.resources",
        "",
        "below the memory request 512Mi",
    ),
    (
        "quota-exceeded",
        "dev",
        _set("replicas", value={"min": 2, "max": 40}),
        "cluster.namespaceQuota.requestsCpu",
        "'4'",
        "at their max replicas",
    ),
    ("unknown-key", "dev", _set("replica", value={"min": 2}), "apps.api.replica", "", "not a known key"),
]
PROD_APPS = {
    "mutable-tag-in-prod": {"image": {"repository": "api", "tag": "latest"}},
    "external-tag-in-prod": {"image": {"repository": "ghcr.io/acme/api", "tag": "1.4.2"}},
}


def test_the_table_covers_at_least_fifteen_bad_inputs():
    assert len(BAD_INPUTS) >= 15


@pytest.mark.parametrize(
    ("case", "stack", "change", "path", "shown", "allowed"), BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS]
)
def test_bad_app_input_names_the_stack_key_value_and_what_is_allowed(
    case, stack, change, path, shown, allowed
):
    raw = _prod_with(PROD_APPS[case]) if stack == "prod" else _dev()
    if change is not None:
        change(raw)
    with pytest.raises(ConfigError) as raised:
        parse_stack_config(stack, raw)
    lines = [line for line in str(raised.value).splitlines() if f"{stack}: {path} = " in line]
    assert lines, str(raised.value)
    assert any(shown in line and allowed in line for line in lines), lines


def test_a_credential_in_env_is_refused_without_echoing_its_value():
    raw = _dev()
    _api(raw)["env"]["OPENAI_API_KEY"] = "sk-live-123"
    with pytest.raises(ConfigError) as raised:
        parse_stack_config("dev", raw)
    assert "sk-live-123" not in str(raised.value)


def test_the_shipped_apps_validate_with_their_secure_defaults():
    api = parse_stack_config("dev", _dev()).apps["api"]
    assert api.run_as_user == 10001 and api.kubernetes.rules == ()
    assert api.resources.effective_cpu_limit == "500m" and api.resources.effective_memory_limit == "512Mi"
    assert (api.replicas.min_replicas, api.replicas.ceiling) == (2, 6)


def test_prod_takes_a_release_tag_of_its_own_registry_or_a_digest():
    own = parse_stack_config("prod", _prod_with({"image": {"repository": "api", "tag": "1.4.2"}}))
    digest = "sha256:" + "a" * 64
    external = parse_stack_config(
        "prod", _prod_with({"image": {"repository": "ghcr.io/acme/api", "tag": "1.4.2", "digest": digest}})
    )
    assert own.apps["api"].image.tag == "1.4.2" and external.apps["api"].image.digest == digest


def test_env_values_from_yaml_numbers_and_booleans_become_strings():
    raw = _dev()
    _api(raw)["env"].update({"WORKERS": 4, "DEBUG": False})
    env = parse_stack_config("dev", raw).apps["api"].env
    assert env["WORKERS"] == "4" and env["DEBUG"] == "false"


def test_a_pointer_to_a_credential_is_a_plain_setting():
    raw = _dev()
    _api(raw)["env"]["DATABASE_PASSWORD_FILE"] = "/var/run/secrets/groundwork/postgres/password"
    assert "DATABASE_PASSWORD_FILE" in parse_stack_config("dev", raw).apps["api"].env
