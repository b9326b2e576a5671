"""policy/rules/k8s/helm.py: each rule fires on a broken copy of a compliant Helm Chart or Release and
stays silent on the compliant original."""

import pytest

from tests.policy._cases import DROP, fired, patched
from tests.policy.rules.k8s._baselines import case_id

CHART = "kubernetes:helm.sh/v4:Chart"
RELEASE = "kubernetes:helm.sh/v3:Release"
INGRESS_NGINX = {
    "chart": "ingress-nginx",
    "version": "4.12.1",
    "repositoryOpts": {"repo": "https://kubernetes.github.io/ingress-nginx"},
}
BASELINES = {CHART: INGRESS_NGINX, RELEASE: INGRESS_NGINX}
CONFIG = {"K8S-HELM-002": {"allowedChartRepositories": ["https://kubernetes.github.io/"]}}

RESOURCE_CASES = [
    ("K8S-HELM-001", CHART, {"version": DROP}),
    ("K8S-HELM-001", RELEASE, {"version": "^4.0.0"}),
    ("K8S-HELM-002", CHART, {"repositoryOpts.repo": "http://charts.example.com"}),
    ("K8S-HELM-002", CHART, {"repositoryOpts.repo": "https://charts.unknown.example"}),
]


@pytest.mark.parametrize("rule_id, type_, overrides", RESOURCE_CASES, ids=map(case_id, RESOURCE_CASES))
def test_rule_fires_on_broken_object(rule_id, type_, overrides):
    assert rule_id in fired(type_, patched(BASELINES[type_], overrides), config=CONFIG)


@pytest.mark.parametrize("rule_id, type_", sorted({(c[0], c[1]) for c in RESOURCE_CASES}))
def test_rule_is_silent_on_compliant_object(rule_id, type_):
    assert rule_id not in fired(type_, BASELINES[type_], config=CONFIG)


def test_a_release_is_flagged_in_prod_and_a_chart_is_not():
    assert "K8S-HELM-003" in fired(RELEASE, BASELINES[RELEASE], config=CONFIG)
    assert "K8S-HELM-003" not in fired(CHART, BASELINES[CHART], config=CONFIG)


def test_helm_release_is_flagged_only_where_charts_are_preferred():
    assert "K8S-HELM-003" not in fired(RELEASE, BASELINES[RELEASE], environment="dev")
