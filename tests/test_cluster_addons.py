"""Platform add-ons: pinned charts, values from typed args, and IRSA roles scoped to one service account."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from components.addons import (
    CHARTS,
    CLUSTER_AUTOSCALER_IMAGE,
    TLS_POLICY,
    autoscaler_policy,
    load_balancer_controller_policy,
)
from stacks.preflight.runner import capture_stack
from tests.cluster_helpers import AWS_STACKS, charts, one, role_policy_for

ZONE = {
    "groundwork:cluster": {
        "addons": {
            "hostedZoneId": "Z0123456789ABCDEFGHIJ",
            "domain": "prod.example.org",
            "acmeEmail": "platform@example.org",
        }
    }
}
_EXACT_VERSION = re.compile(r"^v?\d+\.\d+\.\d+$")


@pytest.fixture(scope="module")
def with_zone():
    """prod with a Route 53 zone named: external-dns runs and ACME solves DNS-01 there."""
    return capture_stack("prod", overrides=ZONE)


def _issuer_and_irsa_roles(capture, stack):
    """Every IRSA role of the stack: (role, namespace, service account) as the chart/add-on uses it."""
    expected = {
        f"{stack}-cluster-vpc-cni-irsa": ("kube-system", "aws-node"),
        f"{stack}-cluster-ebs-csi-irsa": ("kube-system", "ebs-csi-controller-sa"),
        f"{stack}-addons-cluster-autoscaler-irsa": ("kube-system", "cluster-autoscaler"),
        f"{stack}-addons-lb-controller-irsa": ("kube-system", "aws-load-balancer-controller"),
        f"{stack}-addons-external-secrets-irsa": ("external-secrets", "external-secrets"),
        f"{stack}-addons-external-dns-irsa": ("external-dns", "external-dns"),
        f"{stack}-addons-cert-manager-irsa": ("cert-manager", "cert-manager"),
    }
    return [
        (capture.named(name), ns, sa)
        for name, (ns, sa) in expected.items()
        if any(r.name == name for r in capture.resources)
    ]


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_every_chart_version_is_pinned_exactly(captured, stack):
    for chart in captured(stack).of_type("kubernetes:helm.sh/v4:Chart"):
        assert _EXACT_VERSION.match(chart.props.get("version", "")), f"{chart.name} is not pinned"
        assert chart.props["repositoryOpts"]["repo"].startswith("https://")
        if chart.props["chart"] in CHARTS:  # the cluster's own add-ons use the versions of its table
            assert chart.props["version"] == CHARTS[chart.props["chart"]].version


def test_eks_runs_the_full_set_without_ingress_nginx(captured):
    assert sorted(charts(captured("prod"))) == sorted(
        [
            "metrics-server",
            "cluster-autoscaler",
            "aws-load-balancer-controller",
            "cert-manager",
            "external-secrets",
        ]
    )


def test_external_dns_runs_only_when_a_zone_is_named(with_zone):
    assert "external-dns" in charts(with_zone)


def test_irsa_trust_is_pinned_to_one_service_account_and_the_sts_audience(with_zone):
    roles = _issuer_and_irsa_roles(with_zone, "prod")
    assert len(roles) == 7
    issuer = with_zone.outputs["cluster_oidc_issuer"]
    for role, namespace, service_account in roles:
        (statement,) = json.loads(role.props["assumeRolePolicy"])["Statement"]
        assert statement["Action"] == "sts:AssumeRoleWithWebIdentity", role.name
        assert statement["Principal"] == {"Federated": with_zone.outputs["cluster_oidc_provider_arn"]}, (
            role.name
        )
        assert statement["Condition"] == {
            "StringEquals": {
                f"{issuer}:sub": f"system:serviceaccount:{namespace}:{service_account}",
                f"{issuer}:aud": "sts.amazonaws.com",
            }
        }, role.name


def test_charts_annotate_the_service_account_their_role_trusts(with_zone):
    found = charts(with_zone)
    accounts = {
        "cluster-autoscaler": found["cluster-autoscaler"].props["values"]["rbac"]["serviceAccount"],
        "aws-load-balancer-controller": found["aws-load-balancer-controller"].props["values"][
            "serviceAccount"
        ],
        "external-secrets": found["external-secrets"].props["values"]["serviceAccount"],
        "external-dns": found["external-dns"].props["values"]["serviceAccount"],
        "cert-manager": found["cert-manager"].props["values"]["serviceAccount"],
    }
    for chart, account in accounts.items():
        role_arn = account["annotations"]["eks.amazonaws.com/role-arn"]
        role = with_zone.named(role_arn.rsplit("/", 1)[1])
        trust = json.loads(role.props["assumeRolePolicy"])["Statement"][0]["Condition"]["StringEquals"]
        subject = next(v for k, v in trust.items() if k.endswith(":sub"))
        assert subject.endswith(f":{account['name']}"), chart
        assert subject.split(":")[2] == found[chart].props["namespace"], chart


def test_cluster_autoscaler_may_scale_only_this_clusters_node_groups(captured):
    capture = captured("prod")
    document = role_policy_for(capture, capture.named("prod-addons-cluster-autoscaler-irsa"))
    mutating = [
        s
        for s in document["Statement"]
        if any(
            a in ("autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup")
            for a in s["Action"]
        )
    ]
    assert len(mutating) == 1
    assert mutating[0]["Condition"] == {
        "StringEquals": {"aws:ResourceTag/k8s.io/cluster-autoscaler/groundwork-prod": "owned"}
    }


def test_autoscaler_policy_never_grants_mutations_without_the_tag_condition():
    document = autoscaler_policy("c1", "eu-west-1", "123456789012", "aws")
    for statement in document["Statement"]:
        if statement["Resource"] == "*" and "Condition" not in statement:
            assert all(":Describe" in a or ":Get" in a for a in statement["Action"])


def test_cluster_autoscaler_image_matches_the_cluster_version(captured):
    values = charts(captured("prod"))["cluster-autoscaler"].props["values"]
    assert values["image"]["tag"] == CLUSTER_AUTOSCALER_IMAGE["1.36"]
    assert values["autoDiscovery"]["clusterName"] == "groundwork-prod"


def test_load_balancer_controller_defaults_internal_ip_targets_modern_tls_and_gateway_api(captured):
    values = charts(captured("prod"))["aws-load-balancer-controller"].props["values"]
    assert values["defaultLoadBalancerScheme"] == "internal"
    assert values["defaultTargetType"] == "ip"
    assert values["defaultSSLPolicy"] == TLS_POLICY == "ELBSecurityPolicy-TLS13-1-2-Res-2021-06"
    assert values["controllerConfig"]["featureGates"] == {"ALBGatewayAPI": True, "NLBGatewayAPI": True}
    assert values["clusterName"] == "groundwork-prod"
    assert values["defaultTags"]["environment"] == "prod"


def test_load_balancer_controller_runs_without_shield_advanced_and_waf_classic(captured):
    """Their permissions are not granted (tests/test_lb_controller_policy.py), so the controller must not
    run their addons: it would fail on every reconcile."""
    values = charts(captured("prod"))["aws-load-balancer-controller"].props["values"]
    assert (values["enableShield"], values["enableWaf"]) == (False, False)


def test_load_balancer_controller_mutates_only_its_own_clusters_load_balancers(captured):
    capture = captured("prod")
    document = role_policy_for(capture, capture.named("prod-addons-lb-controller-irsa"))
    for statement in document["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        if any(
            a.startswith("elasticloadbalancing:Delete") or a == "ec2:DeleteSecurityGroup" for a in actions
        ):
            assert statement["Condition"] == {
                "StringEquals": {"aws:ResourceTag/elbv2.k8s.aws/cluster": "groundwork-prod"}
            }


def test_external_dns_is_upsert_only_with_an_owner_id_and_one_zone(with_zone):
    values = charts(with_zone)["external-dns"].props["values"]
    assert values["policy"] == "upsert-only"
    assert values["txtOwnerId"] == "groundwork-prod"
    assert values["domainFilters"] == ["prod.example.org"]
    assert "--zone-id-filter=Z0123456789ABCDEFGHIJ" in values["extraArgs"]
    document = role_policy_for(with_zone, with_zone.named("prod-addons-external-dns-irsa"))
    change = [s for s in document["Statement"] if "route53:ChangeResourceRecordSets" in s["Action"]]
    assert [s["Resource"] for s in change] == ["arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ"]


@pytest.mark.parametrize(
    ("stack", "issuer", "server"),
    [
        ("dev", "letsencrypt-staging", "https://acme-staging-v02.api.letsencrypt.org/directory"),
        ("qa", "letsencrypt-staging", "https://acme-staging-v02.api.letsencrypt.org/directory"),
        ("staging", "letsencrypt-production", "https://acme-v02.api.letsencrypt.org/directory"),
        ("prod", "letsencrypt-production", "https://acme-v02.api.letsencrypt.org/directory"),
    ],
)
def test_cluster_issuer_uses_lets_encrypt_per_environment(captured, stack, issuer, server):
    resource = one(captured(stack), "kubernetes:cert-manager.io/v1:ClusterIssuer").props
    assert resource["metadata"]["name"] == issuer
    assert resource["spec"]["acme"]["server"] == server


def test_issuer_solves_dns01_in_the_named_zone(with_zone):
    acme = one(with_zone, "kubernetes:cert-manager.io/v1:ClusterIssuer").props["spec"]["acme"]
    assert acme["solvers"][0]["dns01"]["route53"]["hostedZoneID"] == "Z0123456789ABCDEFGHIJ"
    assert acme["email"] == "platform@example.org"


def test_cert_manager_installs_and_keeps_its_crds(captured):
    values = charts(captured("prod"))["cert-manager"].props["values"]
    assert values["crds"] == {"enabled": True, "keep": True}


def test_external_secrets_reads_only_this_stacks_path(captured):
    capture = captured("prod")
    document = role_policy_for(capture, capture.named("prod-addons-external-secrets-irsa"))
    resources = [
        s["Resource"] for s in document["Statement"] if "secretsmanager:GetSecretValue" in s["Action"]
    ]
    assert resources == ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:groundwork/prod/*"]
    kms = [s for s in document["Statement"] if "kms:Decrypt" in s["Action"]]
    assert kms[0]["Condition"] == {
        "StringEquals": {"kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com"}
    }


def test_cluster_secret_store_points_at_secrets_manager(captured):
    store = one(captured("prod"), "kubernetes:external-secrets.io/v1:ClusterSecretStore").props
    assert store["spec"]["provider"]["aws"] == {"service": "SecretsManager", "region": "eu-west-1"}
    assert "auth" not in store["spec"]["provider"]["aws"]


@pytest.mark.parametrize(("stack", "replicas"), [("dev", 1), ("prod", 2)])
def test_controllers_are_highly_available_in_prod(captured, stack, replicas):
    found = charts(captured(stack))
    assert found["aws-load-balancer-controller"].props["values"]["replicaCount"] == replicas
    assert found["cert-manager"].props["values"]["replicaCount"] == replicas
    assert found["metrics-server"].props["values"]["replicas"] == replicas


def test_addons_use_the_clusters_provider(captured):
    capture = captured("prod")
    provider = capture.named("prod-cluster-k8s")
    for chart in charts(capture).values():
        assert chart.options["providers"]["kubernetes"].startswith(provider.urn), chart.name


@pytest.mark.parametrize(
    "chart,paths",
    [
        (
            "cert-manager",
            [
                ("securityContext", "containerSecurityContext"),
                ("webhook.securityContext", "webhook.containerSecurityContext"),
                ("cainjector.securityContext", "cainjector.containerSecurityContext"),
            ],
        ),
        (
            "external-secrets",
            [
                ("podSecurityContext", "securityContext"),
                ("webhook.podSecurityContext", "webhook.securityContext"),
                ("certController.podSecurityContext", "certController.securityContext"),
            ],
        ),
    ],
)
def test_controllers_in_restricted_namespaces_ask_for_restricted_pods(captured, chart, paths):
    values = charts(captured("prod"))[chart].props["values"]

    def at(path):
        node = values
        for part in path.split("."):
            node = node[part]
        return node

    for pod_path, container_path in paths:
        assert at(pod_path)["runAsNonRoot"] is True
        assert at(pod_path)["seccompProfile"] == {"type": "RuntimeDefault"}
        container = at(container_path)
        assert container["allowPrivilegeEscalation"] is False and container["capabilities"] == {
            "drop": ["ALL"]
        }


def test_load_balancer_controller_creates_only_security_groups_tagged_for_its_cluster():
    statements = [
        s
        for s in load_balancer_controller_policy("prod-cluster")["Statement"]
        if "ec2:CreateSecurityGroup" in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    ]
    assert all(s["Resource"] != "*" for s in statements)
    on_groups = [s for s in statements if s["Resource"].endswith("security-group/*")]
    assert on_groups[0]["Condition"] == {
        "StringEquals": {"aws:RequestTag/elbv2.k8s.aws/cluster": "prod-cluster"}
    }


def test_the_cluster_docs_name_the_chart_versions_the_program_pins():
    """docs/cluster.md's version table once kept versions that had no release; it must follow CHARTS."""
    text = (Path(__file__).parents[1] / "docs" / "cluster.md").read_text()
    documented = dict(re.findall(r"^\| ([a-z-]+) chart \| (v?[\d.]+)", text, re.MULTILINE))
    assert documented == {name: chart.version for name, chart in CHARTS.items()}
