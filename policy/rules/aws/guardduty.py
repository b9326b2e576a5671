"""GuardDuty rules: every AWS stack's account and region runs a detector, and where the stack runs EKS
or holds S3 buckets the detector watches them.

Where the organisation's GuardDuty delegated administrator enables the member detector instead, the
stack has no detector of its own: AWS-GUARDDUTY-001 then needs a policy-config exemption for resource
`*` that names the administrator account (`docs/runbooks/security.md`).
"""

from __future__ import annotations

from policy.framework import Resource, Stack, stack_rule
from policy.rules.aws.cloudtrail import BUCKETS, on_aws

DETECTOR = "aws:guardduty/detector:Detector"
FEATURE = "aws:guardduty/detectorFeature:DetectorFeature"
EKS_CLUSTER = "aws:eks/cluster:Cluster"
RUNTIME = ("RUNTIME_MONITORING", "EKS_RUNTIME_MONITORING")


@stack_rule(
    id="AWS-GUARDDUTY-001",
    title="Every AWS stack's account runs GuardDuty",
    severity="high",
    description="A stack with AWS resources has an `aws:guardduty/detector:Detector` whose `enable` is "
    "not false. Where the organisation's delegated administrator enables the detector, exempt this rule "
    "(resource `*`) in the stack's policy config and name that account in the reason.",
    rationale="GuardDuty is what notices stolen credentials in use, crypto-mining pods, calls from known "
    "bad addresses and S3 reads by strangers; without it those show up on the bill, or not at all.",
    remediation="Keep `securityBaseline.guarddutyEnabled: true` (the default), or set it false with "
    "`guarddutyAdministratorAccountId` and add the exemption.",
    tags=("fsbp:GuardDuty.1", "awsguard:guardduty-enabled-centralized"),
)
def guardduty_on(stack: Stack):
    if not on_aws(stack):
        return
    if not any(d.peek("enable") is not False for d in stack.of_type(DETECTOR)):
        yield None, "the stack has AWS resources but no enabled GuardDuty detector watches its account"


def _enabled_features(stack: Stack, detector: Resource, detectors: int) -> set[str]:
    """Names of the ENABLED DetectorFeatures of `detector` (by property dependency; with a single
    detector in the stack, every feature is its own)."""
    names = set()
    for feature in stack.of_type(FEATURE):
        mine = detector.urn in feature.depends_on("detectorId") or detectors == 1
        if mine and feature.peek("status") == "ENABLED":
            names.add(str(feature.peek("name")))
    return names


@stack_rule(
    id="AWS-GUARDDUTY-002",
    title="GuardDuty watches the stack's EKS clusters and S3 buckets",
    severity="medium",
    description="When the stack has an `aws:eks/cluster:Cluster`, each enabled detector has ENABLED "
    "`aws:guardduty/detectorFeature` resources EKS_AUDIT_LOGS and RUNTIME_MONITORING (or "
    "EKS_RUNTIME_MONITORING); when it has an S3 bucket, S3_DATA_EVENTS. The detector's `datasources` "
    "block is deprecated and does not count.",
    rationale="A detector without these features sees only VPC flow, DNS and CloudTrail management "
    "events: a compromised pod, a privileged container or an exfiltrating S3 reader goes unnoticed.",
    remediation="Keep the SecurityBaseline component's guarddutyEksAuditLogs, guarddutyRuntimeMonitoring "
    "and guarddutyS3Protection on (the defaults).",
    tags=("awsguard:guardduty-eks-protection-audit-enabled",),
)
def guardduty_coverage(stack: Stack):
    detectors = [d for d in stack.of_type(DETECTOR) if d.peek("enable") is not False]
    wanted: list[tuple[str, tuple[str, ...]]] = []
    if stack.of_type(EKS_CLUSTER):
        wanted += [("EKS audit-log monitoring", ("EKS_AUDIT_LOGS",)), ("Runtime Monitoring", RUNTIME)]
    if stack.of_type(*BUCKETS):
        wanted.append(("S3 protection", ("S3_DATA_EVENTS",)))
    for detector in detectors:
        enabled = _enabled_features(stack, detector, len(detectors))
        for label, names in wanted:
            if not enabled & set(names):
                yield detector, f"GuardDuty detector {detector.name} has no {label} ({' or '.join(names)})"
