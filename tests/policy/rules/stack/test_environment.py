"""policy/rules/stack/environment.py: STACK-ENV-002 fires when the policy config is another
environment's than the one the stack's resources name, blocks even under a dev or local config, and
stays silent when they agree or the stack names no environment."""

from policy.analyzer import evaluate
from tests.policy._cases import res, stack_fired
from tests.policy.rules._stack import STACK, compliant_findings

NAMESPACE = "kubernetes:core/v1:Namespace"


def test_the_prod_stack_under_the_dev_config_fires():
    assert "STACK-ENV-002" in stack_fired(STACK, environment="dev")


def test_the_prod_stack_under_its_own_config_is_silent():
    assert "STACK-ENV-002" not in compliant_findings()


def test_a_namespace_label_names_the_clusters_environment():
    apps = res(NAMESPACE, "apps", {"metadata": {"name": "apps", "labels": {"environment": "staging"}}})
    assert "STACK-ENV-002" in stack_fired([apps], environment="local")
    assert "STACK-ENV-002" not in stack_fired([apps], environment="staging")


def test_a_stack_that_names_no_environment_passes():
    assert "STACK-ENV-002" not in stack_fired([res(NAMESPACE, "apps", {"metadata": {"name": "apps"}})])


def test_the_dev_config_on_the_prod_capture_blocks(captured):
    report = evaluate(captured("prod"), "dev")
    assert [f.rule_id for f in report.blocking] == ["STACK-ENV-002"]
    assert "policy/config/prod.json" in report.blocking[0].message
