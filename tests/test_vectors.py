"""Vector search (`groundwork:vectors`): both backends on dev bound to an app with one key set, the
pgvector bootstrap and image, ChromaDB's security properties exactly, Velero's snapshots of the
in-cluster volumes, and the refusals with clear errors."""

from __future__ import annotations

import json

import pytest
import yaml

from components.app_database import bootstrap_sql
from components.app_vectors import VECTORS_KEYS
from components.postgres import PGVECTOR_IMAGE, POSTGRES_IMAGE, Postgres, PostgresArgs
from components.vector_store import CHROMA_IMAGE, ENVOY_IMAGE, proxy_config
from policy.analyzer import evaluate
from stacks.config import ConfigError
from stacks.preflight.capture import Capture
from stacks.preflight.runner import capture_stack
from tests.conftest import run_component
from tests.test_data_config import _error

APP = {"image": {"repository": "ghcr.io/org/search", "tag": "1.0.0"}, "uses": ["vectors"]}
SECRET = "kubernetes:core/v1:Secret"
STATEFUL_SET = "kubernetes:apps/v1:StatefulSet"
POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"


def _overrides(backend: str, **extra: dict) -> dict:
    return {
        "groundwork:vectors": {"enabled": True, "backend": backend},
        "groundwork:apps": {"search": APP},
        **{f"groundwork:{key}": value for key, value in extra.items()},
    }


BACKENDS = {
    "pgvector": _overrides("pgvector"),
    "chroma": _overrides("chroma", postgres={"backend": "inCluster"}),
}


class _Dev(dict):
    """Each backend's capture is built on first use only (a worker may run the tests of one)."""

    def __missing__(self, backend: str) -> Capture:
        self[backend] = capture_stack("dev", overrides=BACKENDS[backend])
        return self[backend]

    def both(self) -> dict[str, Capture]:
        return {backend: self[backend] for backend in BACKENDS}


@pytest.fixture(scope="module")
def dev() -> _Dev:
    """dev with an app bound to vectors: pgvector on RDS, and ChromaDB beside in-cluster PostgreSQL."""
    return _Dev()


def _vectors_secret(capture: Capture) -> dict:
    secret = capture.named("dev-app-search-vectors")
    assert secret.is_secret("stringData")
    return secret.props["stringData"]


def _chroma_pod(capture: Capture) -> dict:
    return capture.named("dev-vectors-statefulset").props["spec"]["template"]["spec"]


def test_the_app_gets_the_same_keys_from_both_backends(dev):
    keys = {backend: set(_vectors_secret(capture)) for backend, capture in dev.both().items()}
    assert keys["pgvector"] == keys["chroma"] == set(VECTORS_KEYS)


def test_pgvector_on_rds_points_at_the_apps_own_database_with_iam_auth(dev):
    values = _vectors_secret(dev["pgvector"])
    assert (values["backend"], values["database"], values["username"]) == ("pgvector", "search", "search")
    assert (values["iamAuth"], values["password"], values["sslmode"], values["token"]) == (
        "true",
        "",
        "verify-full",
        "",
    )


def test_pgvector_bootstrap_creates_the_extension_in_the_apps_database(dev):
    sql = dev["pgvector"].named("dev-app-search-db-sql").props["data"]["bootstrap.sql"]
    assert sql.endswith('\\connect :"database"\nCREATE EXTENSION IF NOT EXISTS "vector";\n')


def test_pgvector_on_rds_gives_the_app_role_rds_db_connect(dev):
    policy = json.loads(dev["pgvector"].named("dev-app-search-role-policy").props["policy"])
    actions = {
        a
        for s in policy["Statement"]
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert "rds-db:connect" in actions


def test_pgvector_runs_no_vector_server(dev):
    assert not [r for r in dev["pgvector"].resources if r.type == "groundwork:vector_store:Chroma"]


def test_in_cluster_postgres_runs_the_pgvector_image_only_when_pgvector_is_used():
    def image(pgvector: bool) -> str:
        capture = run_component(
            lambda: Postgres(
                "t-postgres",
                PostgresArgs(namespace="apps", storage_class_name="gp3", pgvector=pgvector),
            )
        )
        return capture.named("t-postgres-statefulset").props["spec"]["template"]["spec"]["containers"][0][
            "image"
        ]

    assert (image(True), image(False)) == (PGVECTOR_IMAGE, POSTGRES_IMAGE)


def test_chroma_binding_carries_the_generated_token_and_service(dev):
    values = _vectors_secret(dev["chroma"])
    token = dev["chroma"].named("dev-vectors-token")
    assert token.type == "random:index/randomPassword:RandomPassword" and token.props["special"] is False
    assert values["backend"] == "chroma" and values["token"].startswith("mock-password-")
    assert (values["host"], values["port"], values["tokenHeader"], values["tenant"]) == (
        "dev-vectors.apps.svc.cluster.local",
        "8000",
        "X-Chroma-Token",
        "default_tenant",
    )


def test_chroma_pods_are_restricted_exactly(dev):
    pod = _chroma_pod(dev["chroma"])
    assert pod["securityContext"] == {
        "runAsNonRoot": True,
        "runAsUser": 1000,
        "runAsGroup": 1000,
        "fsGroup": 1000,
        "fsGroupChangePolicy": "OnRootMismatch",
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert pod["automountServiceAccountToken"] is False
    for container in pod["containers"]:
        context = container["securityContext"]
        assert context["readOnlyRootFilesystem"] is True and context["allowPrivilegeEscalation"] is False
        assert context["capabilities"] == {"drop": ["ALL"]} and context["privileged"] is False
    assert [(c["name"], c["image"]) for c in pod["containers"]] == [
        ("chroma", CHROMA_IMAGE),
        ("auth-proxy", ENVOY_IMAGE),
    ]


def test_chroma_listens_on_loopback_and_only_the_proxy_has_ports(dev):
    capture = dev["chroma"]
    config = yaml.safe_load(capture.named("dev-vectors-config").props["data"]["config.yaml"])
    assert config == {
        "listen_address": "127.0.0.1",
        "port": 8001,
        "persist_path": "/data",
        "allow_reset": False,
    }
    chroma, proxy = _chroma_pod(capture)["containers"]
    assert "ports" not in chroma or not chroma["ports"]
    assert [p["containerPort"] for p in proxy["ports"]] == [8000, 9102]


def test_chroma_probes_hit_the_heartbeat(dev):
    for container in _chroma_pod(dev["chroma"])["containers"]:
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            assert container[probe]["httpGet"] == {"path": "/api/v2/heartbeat", "port": 8000}


def test_chroma_volume_is_on_the_encrypted_class_and_outlives_the_statefulset(dev):
    spec = dev["chroma"].named("dev-vectors-statefulset").props["spec"]
    (claim,) = spec["volumeClaimTemplates"]
    assert claim["spec"]["storageClassName"] == "gp3-encrypted"
    assert claim["spec"]["resources"]["requests"] == {"storage": "10Gi"}
    assert spec["persistentVolumeClaimRetentionPolicy"] == {"whenDeleted": "Retain", "whenScaled": "Retain"}


def test_chroma_admits_exactly_the_apps_that_use_it_and_prometheus(dev):
    policies = {
        r.name: r.props["spec"] for r in dev["chroma"].of_type(POLICY) if r.name.startswith("dev-vectors-")
    }
    assert set(policies) == {"dev-vectors-from-search", "dev-vectors-from-prometheus"}
    rule = policies["dev-vectors-from-search"]["ingress"][0]
    assert rule["from"] == [
        {
            "podSelector": {
                "matchLabels": {"app.kubernetes.io/name": "search", "app.kubernetes.io/instance": "search"}
            }
        }
    ]
    assert [p["port"] for p in rule["ports"]] == [8000]
    assert [p["port"] for p in policies["dev-vectors-from-prometheus"]["ingress"][0]["ports"]] == [9102]


def test_prometheus_scrapes_the_proxys_statistics(dev):
    monitor = dev["chroma"].named("dev-vectors-servicemonitor")
    assert monitor.props["spec"]["endpoints"] == [
        {"port": "metrics", "path": "/stats/prometheus", "interval": "30s"}
    ]
    assert any("Monitoring" in urn for urn in monitor.dependencies)


def test_the_proxy_admits_only_the_token_and_the_heartbeat():
    config = yaml.safe_load(proxy_config("t0ken"))
    api = config["static_resources"]["listeners"][0]
    manager = api["filter_chains"][0]["filters"][0]["typed_config"]
    rbac = manager["http_filters"][0]["typed_config"]["rules"]
    assert rbac["action"] == "ALLOW" and set(rbac["policies"]) == {"token", "heartbeat"}
    ids = rbac["policies"]["token"]["principals"][0]["or_ids"]["ids"]
    assert [i["header"]["string_match"]["exact"] for i in ids] == ["t0ken", "Bearer t0ken"]
    assert config["admin"]["address"]["socket_address"]["address"] == "127.0.0.1"


def test_the_proxy_config_is_a_secret(dev):
    proxy = dev["chroma"].named("dev-vectors-proxy")
    assert proxy.type == SECRET and proxy.is_secret("stringData")


def test_velero_snapshots_the_app_namespace_when_a_datastore_runs_in_the_cluster(dev):
    (chart,) = [
        r for r in dev["chroma"].of_type("kubernetes:helm.sh/v4:Chart") if r.props["chart"] == "velero"
    ]
    values = chart.props["values"]
    assert values["snapshotsEnabled"] is True
    assert values["configuration"]["volumeSnapshotLocation"] == [
        {"name": "ebs", "provider": "aws", "config": {"region": "eu-west-1"}}
    ]
    assert values["schedules"]["volumes"] == {
        "schedule": "0 */6 * * *",
        "template": {
            "ttl": "168h",
            "includedNamespaces": ["apps"],
            "snapshotVolumes": True,
            "volumeSnapshotLocations": ["ebs"],
        },
    }
    assert values["deployNodeAgent"] is False


def test_velero_takes_no_snapshots_without_an_in_cluster_datastore(dev):
    (chart,) = [
        r for r in dev["pgvector"].of_type("kubernetes:helm.sh/v4:Chart") if r.props["chart"] == "velero"
    ]
    assert (
        chart.props["values"]["snapshotsEnabled"] is False
        and "volumes" not in chart.props["values"]["schedules"]
    )


def test_velero_role_may_snapshot_volumes_in_the_stacks_region_only(dev):
    (role_policy,) = [
        r
        for r in dev["chroma"].of_type("aws:iam/rolePolicy:RolePolicy")
        if r.name == "dev-cluster-backup-velero"
    ]
    policy = json.loads(role_policy.props["policy"])
    (snapshots,) = [s for s in policy["Statement"] if s["Sid"] == "VolumeSnapshots"]
    assert snapshots["Resource"] == ["arn:aws:ec2:eu-west-1:*:volume/*", "arn:aws:ec2:eu-west-1::snapshot/*"]


def test_dev_with_both_backends_passes_the_pack(dev):
    for capture in dev.both().values():
        report = evaluate(capture, "dev")
        serious = [f for f in report.violations if f.severity in ("high", "critical")]
        assert serious == [], [(f.rule_id, f.resource_name, f.message) for f in serious]


def test_bootstrap_sql_without_extensions_never_connects_to_the_apps_database():
    assert "\\connect" not in bootstrap_sql("a", "a", iam_auth=True)


def test_prod_refuses_chroma_naming_the_key():
    message = _error("prod", vectors={"enabled": True, "backend": "chroma"})
    assert "prod: vectors.backend = 'chroma': prod must run 'pgvector'" in message


def test_prod_refuses_in_cluster_postgres_for_the_full_program_with_vectors():
    with pytest.raises(ConfigError, match=r"prod: postgres\.backend = 'inCluster'"):
        capture_stack("prod", overrides=_overrides("pgvector", postgres={"backend": "inCluster"}))


@pytest.mark.parametrize(
    "sections, shown",
    [
        ({"vectors": {"enabled": True, "backend": "qdrant"}}, "vectors.backend = 'qdrant'"),
        ({"vectors": {"chromaVolumeGb": 0}}, "vectors.chromaVolumeGb = 0"),
        ({"vectors": {"chromaVolumeGb": 5000}}, "vectors.chromaVolumeGb = 5000"),
        ({"vectors": {"chromaMemoryLimit": "2GB"}}, "vectors.chromaMemoryLimit = '2GB'"),
        ({"vectors": {"chromaCpuRequest": "half"}}, "vectors.chromaCpuRequest = 'half'"),
        ({"vectors": {"enabled": "sometimes"}}, "vectors.enabled = 'sometimes'"),
        (
            {"vectors": {"enabled": True}, "postgres": {"enabled": False}},
            "vectors.backend = 'pgvector': pgvector lives in the stack's PostgreSQL",
        ),
        ({"apps": {"search": APP}}, "apps.search.uses = 'vectors': this stack has no vectors"),
        (
            {"vectors": {"enabled": True, "backend": "chroma"}, "backups": {"clusterBackup": False}},
            "backups.clusterBackup = False: must be true while vectors.backend run in the cluster",
        ),
    ],
)
def test_bad_vectors_input_names_the_key_and_the_value(sections, shown):
    assert shown in _error("dev", **sections)
