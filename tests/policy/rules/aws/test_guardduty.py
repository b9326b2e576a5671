"""GuardDuty rules: each fires on a compliant baseline with one change and stays silent on the baseline
(a detector with the features the SecurityBaseline component enables, beside an EKS cluster and a bucket)."""

import pytest

from tests.policy._cases import replaced, res, stack_fired, without

DETECTOR = "aws:guardduty/detector:Detector"
FEATURE = "aws:guardduty/detectorFeature:DetectorFeature"


def feature(name, status="ENABLED"):
    return res(
        FEATURE,
        f"gd-{name.lower()}",
        {"detectorId": "id-detector", "name": name, "status": status},
        deps={"detectorId": ["gd"]},
    )


STACK = [
    res("aws:eks/cluster:Cluster", "cluster", {"name": "groundwork-prod"}),
    res("aws:s3/bucket:Bucket", "exports", {"bucket": "exports"}),
    res(DETECTOR, "gd", {"enable": True, "findingPublishingFrequency": "FIFTEEN_MINUTES"}),
    feature("EKS_AUDIT_LOGS"),
    feature("RUNTIME_MONITORING"),
    feature("S3_DATA_EVENTS"),
]


def test_the_compliant_stack_passes_every_guardduty_rule():
    assert not {r for r in stack_fired(STACK) if r.startswith("AWS-GUARDDUTY")}


def test_an_aws_stack_without_a_detector_fires():
    no_detector = [r for r in STACK if r["type"] not in (DETECTOR, FEATURE)]
    assert "AWS-GUARDDUTY-001" in stack_fired(no_detector)


def test_a_suspended_detector_does_not_count():
    assert "AWS-GUARDDUTY-001" in stack_fired(replaced(STACK, "gd", {"enable": False}))


def test_a_stack_without_aws_resources_needs_no_detector():
    namespace = res("kubernetes:core/v1:Namespace", "apps", {"metadata": {"name": "apps"}})
    assert "AWS-GUARDDUTY-001" not in stack_fired([namespace], environment="local")


@pytest.mark.parametrize("missing", ["gd-eks_audit_logs", "gd-runtime_monitoring", "gd-s3_data_events"])
def test_a_missing_feature_fires(missing):
    assert "AWS-GUARDDUTY-002" in stack_fired(without(STACK, missing))


def test_a_disabled_feature_fires():
    assert "AWS-GUARDDUTY-002" in stack_fired(
        replaced(STACK, "gd-runtime_monitoring", {"status": "DISABLED"})
    )


def test_the_legacy_eks_runtime_feature_counts_as_runtime_monitoring():
    stack = [*without(STACK, "gd-runtime_monitoring"), feature("EKS_RUNTIME_MONITORING")]
    assert "AWS-GUARDDUTY-002" not in stack_fired(stack)


def test_without_a_cluster_eks_features_are_not_required():
    stack = without(without(without(STACK, "cluster"), "gd-eks_audit_logs"), "gd-runtime_monitoring")
    assert "AWS-GUARDDUTY-002" not in stack_fired(stack)
