"""policy/rules/k8s/pod_security.py: each Pod Security Standards rule fires on a broken copy of a
compliant workload and stays silent on the compliant original."""

import pytest

from tests.policy._cases import DROP, baseline_fired, fired, patched
from tests.policy.rules.k8s._baselines import BASELINES, CJ, CRON_JOB, DEPLOYMENT, POD, C, P, case_id

RESOURCE_CASES = [
    ("K8S-POD-001", DEPLOYMENT, {f"{P}.hostNetwork": True}),
    ("K8S-POD-001", POD, {"spec.hostPID": True}),
    ("K8S-POD-002", DEPLOYMENT, {f"{C}.securityContext.privileged": True}),
    ("K8S-POD-002", CRON_JOB, {f"{CJ}.securityContext.privileged": True}),
    ("K8S-POD-003", DEPLOYMENT, {f"{C}.securityContext.capabilities.add": ["SYS_ADMIN"]}),
    ("K8S-POD-003", DEPLOYMENT, {f"{C}.securityContext.capabilities.add": ["NET_RAW"]}),
    ("K8S-POD-004", DEPLOYMENT, {f"{C}.securityContext.capabilities.drop": ["NET_RAW"]}),
    (
        "K8S-POD-005",
        DEPLOYMENT,
        {f"{P}.volumes": [{"name": "sock", "hostPath": {"path": "/var/run/containerd/containerd.sock"}}]},
    ),
    ("K8S-POD-006", DEPLOYMENT, {f"{C}.ports": [{"containerPort": 8080.0, "hostPort": 8080.0}]}),
    ("K8S-POD-007", DEPLOYMENT, {f"{C}.securityContext.allowPrivilegeEscalation": DROP}),
    ("K8S-POD-008", DEPLOYMENT, {f"{P}.securityContext.runAsNonRoot": DROP}),
    ("K8S-POD-008", DEPLOYMENT, {f"{C}.securityContext.runAsUser": 0.0}),
    ("K8S-POD-009", DEPLOYMENT, {f"{P}.securityContext.seccompProfile": DROP}),
    ("K8S-POD-009", DEPLOYMENT, {f"{C}.securityContext.seccompProfile": {"type": "Unconfined"}}),
    ("K8S-POD-010", DEPLOYMENT, {f"{P}.securityContext.sysctls": [{"name": "kernel.msgmax", "value": "1"}]}),
    ("K8S-POD-010", DEPLOYMENT, {f"{C}.securityContext.procMount": "Unmasked"}),
    ("K8S-POD-010", DEPLOYMENT, {f"{C}.livenessProbe.httpGet.host": "169.254.169.254"}),
    ("K8S-POD-011", DEPLOYMENT, {f"{C}.securityContext.readOnlyRootFilesystem": False}),
]


@pytest.mark.parametrize("rule_id, type_, overrides", RESOURCE_CASES, ids=map(case_id, RESOURCE_CASES))
def test_rule_fires_on_broken_object(rule_id, type_, overrides):
    assert rule_id in fired(type_, patched(BASELINES[type_], overrides))


@pytest.mark.parametrize("rule_id, type_", sorted({(c[0], c[1]) for c in RESOURCE_CASES}))
def test_rule_is_silent_on_compliant_object(rule_id, type_):
    assert rule_id not in baseline_fired(type_, BASELINES[type_])
