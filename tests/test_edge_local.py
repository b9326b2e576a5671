"""HTTPS on the local stack (kind) on mocks: local exposes `web` (public) and `api` (internal), so it
gets Traefik (pinned, restricted, a NodePort kind maps), a cert-manager CA chain from the self-signed
ClusterIssuer, one certificate for exactly the exposed `*.localhost` hosts, an Ingress per app of
class `traefik` naming that certificate's Secret, and probes that go through Traefik's Service."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from components.local_edge import HOST_PORT, NODE_PORT, TLS_SECRET, TRAEFIK_PODS, WEBSECURE_PORT
from stacks.config import ConfigError, load_stack, read_stack_file

INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
CHART = "kubernetes:helm.sh/v4:Chart"
CERTIFICATE = "kubernetes:cert-manager.io/v1:Certificate"
ISSUER = "kubernetes:cert-manager.io/v1:ClusterIssuer"
POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
PROBE = "kubernetes:monitoring.coreos.com/v1:Probe"
NAMESPACE = "kubernetes:core/v1:Namespace"
RESTRICTED_CONTAINER = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
    "seccompProfile": {"type": "RuntimeDefault"},
}


@pytest.fixture(scope="module")
def local(captured):
    return captured("local")


def _chart(capture, chart: str) -> dict:
    (found,) = [r.props for r in capture.of_type(CHART) if r.props["chart"] == chart]
    return found


def _ingresses(capture) -> dict[str, dict]:
    return {r.props["metadata"]["name"]: r.props for r in capture.of_type(INGRESS)}


def test_each_exposed_app_gets_a_traefik_ingress_on_its_localhost_name(local):
    ingresses = _ingresses(local)
    assert sorted(ingresses) == ["api", "web"]
    for app, spec in ingresses.items():
        assert spec["spec"]["ingressClassName"] == "traefik"
        assert spec["spec"]["tls"] == [{"hosts": [f"{app}.localhost"], "secretName": TLS_SECRET}]
        assert spec["spec"]["rules"][0]["host"] == f"{app}.localhost"
        assert "annotations" not in spec["metadata"]  # no ALB annotations on kind


def test_app_hosts_export_the_urls_through_kinds_port(local):
    assert local.outputs["app_hosts"] == {
        "api": f"https://api.localhost:{HOST_PORT}",
        "web": f"https://web.localhost:{HOST_PORT}",
    }


def test_the_hosts_certificate_comes_from_the_local_ca_issuer(local):
    certificates = {r.props["metadata"]["name"]: r.props for r in local.of_type(CERTIFICATE)}
    hosts = certificates[TLS_SECRET]
    assert hosts["metadata"]["namespace"] == "apps"
    assert hosts["spec"]["dnsNames"] == ["api.localhost", "web.localhost"]
    assert hosts["spec"]["issuerRef"] == {
        "name": "groundwork-local-ca",
        "kind": "ClusterIssuer",
        "group": "cert-manager.io",
    }
    ca = certificates["groundwork-local-ca"]
    assert ca["spec"]["isCA"] is True and ca["metadata"]["namespace"] == "cert-manager"
    assert ca["spec"]["issuerRef"]["name"] == "self-signed"


def test_the_ca_issuer_signs_with_the_ca_certificates_secret(local):
    issuers = {r.props["metadata"]["name"]: r.props["spec"] for r in local.of_type(ISSUER)}
    assert issuers["groundwork-local-ca"] == {"ca": {"secretName": "groundwork-local-ca"}}
    assert issuers["self-signed"] == {"selfSigned": {}}


def test_traefik_is_pinned_and_serves_https_only_on_the_nodeport(local):
    chart = _chart(local, "traefik")
    assert (chart["version"], chart["repositoryOpts"]["repo"]) == (
        "41.3.0",
        "https://traefik.github.io/charts",
    )
    values = chart["values"]
    assert values["service"] == {"spec": {"type": "NodePort"}}
    assert values["ports"]["web"]["expose"] == {"default": False}
    assert values["ports"]["websecure"] == {
        "port": WEBSECURE_PORT,
        "nodePort": NODE_PORT,
        "expose": {"default": True},
    }
    assert values["ingressClass"] == {"enabled": True, "isDefaultClass": False, "name": "traefik"}
    assert values["gateway"] == {"enabled": False} and values["gatewayClass"] == {"enabled": False}


@pytest.mark.parametrize("chart", ["traefik", "prometheus-blackbox-exporter"])
def test_restricted_pods(local, chart):
    values = _chart(local, chart)["values"]
    pod = values["podSecurityContext"]
    assert pod["runAsNonRoot"] is True and pod["seccompProfile"] == {"type": "RuntimeDefault"}
    assert {k: values["securityContext"][k] for k in RESTRICTED_CONTAINER} == RESTRICTED_CONTAINER


def test_the_traefik_namespace_enforces_restricted(local):
    (namespace,) = [r.props for r in local.of_type(NAMESPACE) if r.props["metadata"]["name"] == "traefik"]
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def test_kind_maps_the_laptops_port_to_traefiks_nodeport():
    config = yaml.safe_load((Path(__file__).parents[1] / "kind" / "groundwork.yaml").read_text())
    (node,) = config["nodes"]
    assert node["extraPortMappings"] == [
        {"containerPort": NODE_PORT, "hostPort": HOST_PORT, "listenAddress": "127.0.0.1", "protocol": "TCP"}
    ]


def test_exposed_apps_admit_traefik_on_their_port(local):
    policies = {r.props["metadata"]["name"]: r.props["spec"] for r in local.of_type(POLICY)}
    (rule,) = policies["web-from-load-balancer"]["ingress"]
    assert rule["from"] == [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "traefik"}},
            "podSelector": {"matchLabels": TRAEFIK_PODS},
        }
    ]
    assert rule["ports"] == [{"protocol": "TCP", "port": 3000}]


def test_local_probes_go_through_traefik_with_each_hosts_name(local):
    probes = {r.props["metadata"]["name"]: r.props["spec"] for r in local.of_type(PROBE)}
    web = probes["https-web"]
    assert web["targets"]["staticConfig"]["static"] == [
        "https://local-ingress-traefik.traefik.svc/api/health"
    ]
    modules = _chart(local, "prometheus-blackbox-exporter")["values"]["config"]["modules"]
    http = modules[web["module"]]["http"]
    assert http["headers"] == {"Host": "web.localhost"}
    assert http["tls_config"] == {
        "insecure_skip_verify": False,
        "min_version": "TLS12",
        "server_name": "web.localhost",
        "ca_file": "/etc/blackbox/ca.crt",
    }


def test_local_probes_verify_with_the_local_ca_mounted_alone(local):
    (mount,) = _chart(local, "prometheus-blackbox-exporter")["values"]["extraSecretMounts"]
    assert (mount["secretName"], mount["subPath"], mount["mountPath"]) == (
        TLS_SECRET,
        "ca.crt",
        "/etc/blackbox/ca.crt",
    )


def _local_with(**web: object) -> None:
    raw = read_stack_file("local")
    raw["groundwork:apps"]["web"].update(web)
    load_stack("local", raw=raw)


@pytest.mark.parametrize(
    "keys, message",
    [
        ({"host": "web.example.com"}, "local: apps.web.host = 'web.example.com': must be one DNS label or @"),
        ({"host": "api"}, "local: apps.web.paths = '/': apps.api already serves api.localhost/"),
    ],
)
def test_local_refuses_hosts_it_cannot_serve(keys, message):
    with pytest.raises(ConfigError) as error:
        _local_with(**keys)
    assert message in str(error.value)
