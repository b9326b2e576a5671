"""The App component on mocks: the workload, its scaling, its bindings as files and its alerts,
for an app with every binding and one with none."""

from __future__ import annotations

import re

import pytest

from components._lib.eks import DEFAULT_KUBERNETES_VERSION
from components.app_slo import ALERTS
from stacks.preflight.capture import Capture
from tests import k8s_schema
from tests.app_support import DIGEST, bare_app, controller_app, full_app, one, pod_spec
from tests.data_support import manifest
from tests.test_monitoring import RUNBOOKS, github_anchors

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"
MONITOR = "kubernetes:monitoring.coreos.com/v1:ServiceMonitor"
RULE = "kubernetes:monitoring.coreos.com/v1:PrometheusRule"
EXTERNAL_SECRET = "kubernetes:external-secrets.io/v1:ExternalSecret"
BUILTIN = ("kubernetes:core/", "kubernetes:apps/", "kubernetes:autoscaling/", "kubernetes:batch/")
BUILTIN += ("kubernetes:policy/", "kubernetes:networking.k8s.io/", "kubernetes:rbac.authorization.k8s.io/")
RECOMMENDED = {f"app.kubernetes.io/{k}" for k in ("name", "instance", "version", "component", "part-of")}


@pytest.fixture(scope="module")
def full() -> Capture:
    return full_app()


@pytest.fixture(scope="module")
def bare() -> Capture:
    return bare_app()


@pytest.fixture(scope="module")
def controller() -> Capture:
    return controller_app()


def _container(capture: Capture) -> dict:
    (container,) = pod_spec(capture)["containers"]
    return container


def test_every_kubernetes_object_passes_the_strict_cluster_schema(full, bare, controller):
    objects = [
        r for c in (full, bare, controller) for r in c.resources if r.custom and r.type.startswith(BUILTIN)
    ]
    assert len(objects) >= 30
    for resource in objects:
        k8s_schema.validate(manifest(resource), DEFAULT_KUBERNETES_VERSION, strict=True)


def test_the_pod_meets_the_restricted_profile_with_a_read_only_root(full):
    pod = pod_spec(full)
    context = _container(full)["securityContext"]
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] == 10001
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert context == {
        "runAsNonRoot": True,
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "privileged": False,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def test_tmp_is_the_one_writable_path(full):
    writable = [m for m in _container(full)["volumeMounts"] if not m.get("readOnly")]
    assert writable == [{"name": "tmp", "mountPath": "/tmp"}]
    (tmp,) = [v for v in pod_spec(full)["volumes"] if v["name"] == "tmp"]
    assert "emptyDir" in tmp


def test_probes_come_from_health_with_a_startup_probe_first(full):
    container = _container(full)
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": "/healthz", "port": "http"}, probe
    assert container["startupProbe"]["periodSeconds"] * container["startupProbe"]["failureThreshold"] == 120


def test_requests_and_limits_come_from_resources(full):
    assert _container(full)["resources"] == {
        "requests": {"cpu": "250m", "memory": "512Mi"},
        "limits": {"cpu": "500m", "memory": "512Mi"},
    }


def test_pods_spread_over_zones_and_nodes(full):
    spread = {c["topologyKey"]: c for c in pod_spec(full)["topologySpreadConstraints"]}
    assert set(spread) == {"topology.kubernetes.io/zone", "kubernetes.io/hostname"}
    assert spread["kubernetes.io/hostname"]["whenUnsatisfiable"] == "DoNotSchedule"
    assert all(c["labelSelector"]["matchLabels"]["app.kubernetes.io/name"] == "api" for c in spread.values())


def test_a_rollout_never_drops_below_the_desired_count(full):
    strategy = one(full, DEPLOYMENT).props["spec"]["strategy"]
    assert strategy == {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}}


def test_the_hpa_scales_on_cpu_and_memory_between_the_bounds_and_owns_the_count(full):
    spec = one(full, HPA).props["spec"]
    assert (spec["minReplicas"], spec["maxReplicas"]) == (2, 6)
    assert {m["resource"]["name"] for m in spec["metrics"]} == {"cpu", "memory"}
    assert "replicas" not in one(full, DEPLOYMENT).props["spec"]


def test_min_alone_is_a_fixed_count_without_hpa_or_pdb(bare):
    assert one(bare, DEPLOYMENT).props["spec"]["replicas"] == 1
    assert bare.of_type(HPA) == [] and bare.of_type(PDB) == []


def test_two_or_more_replicas_get_a_budget_that_allows_one_eviction(full):
    spec = one(full, PDB).props["spec"]
    assert spec["maxUnavailable"] == 1 and spec["selector"]["matchLabels"]["app.kubernetes.io/name"] == "api"


def test_an_image_of_this_stack_is_its_repository_at_the_tag_pulled_always(full):
    container = _container(full)
    assert container["image"] == "123456789012.dkr.ecr.eu-west-1.amazonaws.com/dev/api:1.4.2"
    assert container["imagePullPolicy"] == "Always"


def test_an_external_image_by_digest_is_used_as_written(bare):
    container = _container(bare)
    assert (
        container["image"] == f"ghcr.io/acme/worker@{DIGEST}"
        and container["imagePullPolicy"] == "IfNotPresent"
    )


def test_locally_a_named_repository_comes_from_the_local_registry(controller):
    assert _container(controller)["image"] == "localhost:5001/controller:0.3.0"


def test_bindings_and_secrets_reach_the_pod_only_as_read_only_files(full):
    container, pod = _container(full), pod_spec(full)
    assert not any("valueFrom" in e for e in container["env"]) and "envFrom" not in container
    secrets = {v["name"]: v["secret"]["secretName"] for v in pod["volumes"] if "secret" in v}
    assert secrets == {
        "binding-postgres": "api-postgres",
        "binding-redis": "dev-redis-connection",
        "binding-kafka": "api-kafka",
        "binding-app": "api-secrets",
    }
    mounts = {m["name"]: m for m in container["volumeMounts"] if m["name"] in secrets}
    assert all(
        m["readOnly"] and m["mountPath"].startswith("/var/run/secrets/groundwork/") for m in mounts.values()
    )


def test_env_holds_the_plain_settings_and_where_bindings_live(full):
    env = {e["name"]: e["value"] for e in _container(full)["env"]}
    assert env == {"LOG_LEVEL": "info", "GROUNDWORK_BINDINGS_DIR": "/var/run/secrets/groundwork"}


def test_secrets_are_copied_from_the_apps_own_secrets_manager_path(full):
    external = one(full, EXTERNAL_SECRET).props
    assert external["spec"]["secretStoreRef"] == {"kind": "ClusterSecretStore", "name": "aws-secrets-manager"}
    assert [d["remoteRef"]["key"] for d in external["spec"]["data"]] == [
        "groundwork/dev/apps/api/OPENAI_API_KEY",
        "groundwork/dev/apps/api/STRIPE_KEY",
    ]
    assert external["metadata"]["annotations"]["pulumi.com/waitFor"] == "condition=Ready"


def test_the_deployment_waits_for_its_secrets_and_its_database_user(full):
    deployment = one(full, DEPLOYMENT)
    waits_for = {r.type for r in full.resources if r.urn in deployment.dependencies}
    assert {EXTERNAL_SECRET, "kubernetes:batch/v1:Job"} <= waits_for


def test_the_kafka_binding_names_the_apps_topics_and_group(full):
    secret = full.named("dev-app-api-kafka")
    assert secret.is_secret("stringData")
    assert secret.props["stringData"] == {
        "bootstrapServers": "b-1.dev-kafka.x.kafka.eu-west-1.amazonaws.com:9098",
        "securityProtocol": "SASL_SSL",
        "saslMechanism": "AWS_MSK_IAM",
        "tls": "true",
        "topicPrefix": "api.",
        "groupId": "api",
    }


def test_metrics_get_a_service_monitor_on_the_metrics_port(full, bare):
    spec = one(full, MONITOR).props["spec"]
    assert spec["endpoints"] == [{"port": "metrics", "path": "/metrics", "interval": "30s"}]
    assert spec["selector"]["matchLabels"] == {
        "app.kubernetes.io/name": "api",
        "app.kubernetes.io/instance": "api",
    }
    ports = {p["name"]: p["port"] for p in one(full, "kubernetes:core/v1:Service").props["spec"]["ports"]}
    assert ports == {"http": 8080, "metrics": 9090}
    assert bare.of_type(MONITOR) == [] and bare.of_type(RULE) == []


def _rules(capture: Capture) -> dict[str, dict]:
    (group,) = one(capture, RULE).props["spec"]["groups"]
    return {r.get("alert") or r["record"] + r["expr"][-5:]: r for r in group["rules"]}


def test_slo_alerts_burn_the_budget_over_two_windows_each(full):
    alerts = {k: v for k, v in _rules(full).items() if k in ALERTS}
    assert set(alerts) == set(ALERTS)
    critical = alerts["AppAvailabilityBurnRateCritical"]["expr"]
    # 99.9% leaves a 0.1% budget: 14.4x over 1h and 5m, 6x over 6h and 30m.
    assert re.findall(r"ratio_rate(\w+)\{[^}]*\} > ([\d.]+)", critical) == [
        ("1h", "0.0144"),
        ("5m", "0.0144"),
        ("6h", "0.006"),
        ("30m", "0.006"),
    ]
    assert alerts["AppAvailabilityBurnRateCritical"]["labels"]["severity"] == "critical"
    assert alerts["AppAvailabilityBurnRateWarning"]["labels"]["severity"] == "warning"


def test_the_latency_alert_fires_above_the_p95_objective(full):
    alert = _rules(full)["AppLatencyP95High"]
    assert alert["expr"].startswith("histogram_quantile(0.95,") and alert["expr"].endswith("> 0.2")
    assert 'namespace="apps", service="api"' in alert["expr"]


def test_every_slo_alert_links_a_runbook_section_that_exists(full):
    for name in ALERTS:
        page, _, anchor = _rules(full)[name]["annotations"]["runbook_url"].partition("#")
        target = RUNBOOKS / page.removeprefix("docs/runbooks/")
        assert target.is_file() and anchor in github_anchors(target.read_text()), name


def test_every_object_carries_the_recommended_labels(full):
    labelled = [r for r in full.resources if r.custom and r.type.startswith("kubernetes:")]
    for resource in labelled:
        labels = resource.props["metadata"].get("labels", {})
        if resource.type != "kubernetes:networking.k8s.io/v1:NetworkPolicy":
            assert set(labels) >= RECOMMENDED, resource.name
            assert labels["app.kubernetes.io/name"] == "api", resource.name
