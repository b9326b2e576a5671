"""policy/rules/k8s/api_versions.py: K8S-API-001 fires when a stack of compliant objects gains a
pre-release API version, and stays silent on the compliant stack."""

from tests.policy._cases import res, stack_fired
from tests.policy.rules.k8s._baselines import BASELINES, DEPLOYMENT

STACK = [res(DEPLOYMENT, "api", BASELINES[DEPLOYMENT])]


def test_stack_rule_fires_on_a_prerelease_api_version():
    hpa = res("kubernetes:autoscaling/v2beta2:HorizontalPodAutoscaler", "hpa", {})
    assert "K8S-API-001" in stack_fired([hpa, *STACK])


def test_stack_rule_fires_on_a_removed_api_group():
    ingress = res("kubernetes:extensions/v1beta1:Ingress", "old", {})
    assert "K8S-API-001" in stack_fired([ingress, *STACK])


def test_stack_rule_is_silent_on_compliant_stack():
    assert "K8S-API-001" not in stack_fired(STACK)
