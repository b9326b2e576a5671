"""policy/rules/k8s/services.py: each rule fires on a broken copy of a compliant Service or Ingress and
stays silent on the compliant original."""

import pytest

from tests.policy._cases import baseline_fired, fired, patched
from tests.policy.rules.k8s._baselines import BASELINES as SHARED
from tests.policy.rules.k8s._baselines import METADATA, SERVICE, case_id

INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"

BASELINES = {
    SERVICE: SHARED[SERVICE],
    INGRESS: {
        "metadata": {**METADATA, "annotations": {"nginx.ingress.kubernetes.io/ssl-redirect": "true"}},
        "spec": {"rules": []},
    },
}

RESOURCE_CASES = [
    ("K8S-SVC-001", SERVICE, {"spec.type": "NodePort"}),
    ("K8S-SVC-001", SERVICE, {"spec.type": "LoadBalancer"}),
    (
        "K8S-SVC-002",
        INGRESS,
        {
            "metadata.annotations": {
                "nginx.ingress.kubernetes.io/configuration-snippet": "more_set_headers 'X: y';"
            }
        },
    ),
    ("K8S-SVC-003", SERVICE, {"spec.externalIPs": ["203.0.113.10"]}),
]


@pytest.mark.parametrize("rule_id, type_, overrides", RESOURCE_CASES, ids=map(case_id, RESOURCE_CASES))
def test_rule_fires_on_broken_object(rule_id, type_, overrides):
    assert rule_id in fired(type_, patched(BASELINES[type_], overrides))


@pytest.mark.parametrize("rule_id, type_", sorted({(c[0], c[1]) for c in RESOURCE_CASES}))
def test_rule_is_silent_on_compliant_object(rule_id, type_):
    assert rule_id not in baseline_fired(type_, BASELINES[type_])


def test_internal_load_balancer_is_allowed():
    internal = patched(
        BASELINES[SERVICE],
        {
            "spec.type": "LoadBalancer",
            "metadata.annotations": {"service.beta.kubernetes.io/aws-load-balancer-scheme": "internal"},
        },
    )
    assert "K8S-SVC-001" not in fired(SERVICE, internal)
