"""policy/rules/stack/in_cluster_data.py: STACK-DATA-001 fires for an in-cluster datastore on an AWS
stack whose namespace no Velero snapshot schedule covers, and is silent when one does, on local, and
for unlabelled StatefulSets; STACK-DATA-002 fires for any datastore StatefulSet in prod only. Both
are silent on the compliant prod stack (the real prod capture's gate, mandatory STACK-DATA-002
included: tests/policy/test_preflight_policy.py, which finds no violation at all)."""

from __future__ import annotations

import pytest

from tests.policy._cases import replaced, res, stack_fired
from tests.policy.rules._stack import CHART, compliant_findings

STATEFUL_SET = "kubernetes:apps/v1:StatefulSet"
VPC = "aws:ec2/vpc:Vpc"


def datastore(namespace: str = "apps", label: str | None = "postgres") -> dict:
    labels = {"app.kubernetes.io/name": "dev-postgres"}
    if label:
        labels["groundwork.io/datastore"] = label
    return res(
        STATEFUL_SET,
        "dev-postgres-statefulset",
        {
            "metadata": {"name": "dev-postgres", "namespace": namespace, "labels": labels},
            "spec": {"volumeClaimTemplates": [{"metadata": {"name": "data"}}]},
        },
    )


def velero(namespaces: list[str] | None = None) -> dict:
    return res(
        CHART,
        "dev-cluster-backup-velero",
        {
            "chart": "velero",
            "version": "12.1.0",
            "values": {
                "snapshotsEnabled": True,
                "configuration": {"volumeSnapshotLocation": [{"name": "ebs", "provider": "aws"}]},
                "schedules": {
                    "daily": {"schedule": "0 2 * * *", "template": {"ttl": "168h", "snapshotVolumes": False}},
                    "volumes": {
                        "schedule": "0 */6 * * *",
                        "template": {
                            "ttl": "168h",
                            "includedNamespaces": namespaces or ["apps"],
                            "snapshotVolumes": True,
                        },
                    },
                },
            },
        },
    )


AWS = res(VPC, "dev-vpc", {"cidrBlock": "10.1.0.0/16"})


def test_a_datastore_whose_namespace_velero_snapshots_passes():
    assert "STACK-DATA-001" not in stack_fired([AWS, datastore(), velero()], environment="dev")


def test_a_schedule_over_every_namespace_covers_it():
    assert "STACK-DATA-001" not in stack_fired([AWS, datastore(), velero(["*"])], environment="dev")


def test_no_velero_chart_fires():
    assert "STACK-DATA-001" in stack_fired([AWS, datastore()], environment="dev")


def test_a_schedule_over_another_namespace_fires():
    assert "STACK-DATA-001" in stack_fired([AWS, datastore(), velero(["monitoring"])], environment="dev")


@pytest.mark.parametrize(
    "broken",
    [
        {"values.snapshotsEnabled": False},
        {"values.configuration.volumeSnapshotLocation": []},
        {"values.schedules.volumes.template.snapshotVolumes": False},
        {"values.schedules.volumes.template.ttl": ""},
    ],
)
def test_a_schedule_that_takes_no_snapshots_fires(broken):
    chart = replaced([velero()], "dev-cluster-backup-velero", broken)
    assert "STACK-DATA-001" in stack_fired([AWS, datastore(), *chart], environment="dev")


def test_local_without_aws_needs_no_velero():
    assert "STACK-DATA-001" not in stack_fired([datastore()], environment="local")


def test_an_unlabelled_statefulset_is_not_a_datastore():
    assert "STACK-DATA-001" not in stack_fired([AWS, datastore(label=None)], environment="dev")


def test_a_datastore_in_prod_fires():
    assert "STACK-DATA-002" in stack_fired([AWS, datastore(), velero()], environment="prod")


def test_a_datastore_in_dev_is_allowed():
    assert "STACK-DATA-002" not in stack_fired([AWS, datastore(), velero()], environment="dev")


def test_an_unlabelled_statefulset_in_prod_passes():
    assert "STACK-DATA-002" not in stack_fired([AWS, datastore(label=None)], environment="prod")


def test_both_are_silent_on_the_compliant_prod_stack():
    assert not {"STACK-DATA-001", "STACK-DATA-002"} & compliant_findings()


def test_the_program_labels_each_in_cluster_datastore_with_its_service(captured):
    labels = {
        r.name: r.props["metadata"]["labels"].get("groundwork.io/datastore")
        for r in captured("local").of_type(STATEFUL_SET)
    }
    assert labels == {
        "local-postgres-statefulset": "postgres",
        "local-redis-statefulset": "redis",
        "local-kafka-statefulset": "kafka",
    }


def test_the_label_stays_off_the_immutable_selector(captured):
    for r in captured("local").of_type(STATEFUL_SET):
        assert "groundwork.io/datastore" not in r.props["spec"]["selector"]["matchLabels"], r.name
        assert "groundwork.io/datastore" not in r.props["spec"]["template"]["metadata"]["labels"], r.name
