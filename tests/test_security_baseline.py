"""The security baseline as the stacks send it to Pulumi: which resources, and their security properties
exactly (key policy, bucket policy, trail, GuardDuty features, EventBridge patterns and targets)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from stacks.preflight.mocks import ACCOUNT_ID
from tests.test_monitoring import github_anchors

RUNBOOK = Path(__file__).resolve().parents[1] / "docs" / "runbooks" / "security.md"
TRAIL_ARN = f"arn:aws:cloudtrail:eu-west-1:{ACCOUNT_ID}:trail/prod-security-trail"
RULES = (
    "guardduty-findings",
    "root-sign-in",
    "iam-role-policy-change",
    "kms-key-disabled",
    "security-group-change",
    "cloudtrail-change",
    "access-analyzer-finding",
)


def baseline(capture, stack: str = "prod") -> dict[str, object]:
    """The baseline's children by resource name, minus the `<stack>-security-` prefix (name, type)."""
    parent = capture.named(f"{stack}-security")
    prefix = f"{stack}-security-"
    return {(r.name.removeprefix(prefix), r.type): r for r in capture.children_of(parent)}


def child(capture, suffix: str, type_token: str, stack: str = "prod"):
    return baseline(capture, stack)[(suffix, type_token)]


def test_prod_baseline_creates_exactly_these_resources(captured):
    counts: dict[str, int] = {}
    for _name, type_token in baseline(captured("prod")):
        counts[type_token] = counts.get(type_token, 0) + 1
    assert counts == {
        "aws:kms/key:Key": 1,
        "aws:kms/alias:Alias": 1,
        "aws:s3/bucket:Bucket": 2,
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls": 2,
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": 2,
        "aws:s3/bucketVersioning:BucketVersioning": 2,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": 2,
        "aws:s3/bucketPolicy:BucketPolicy": 2,
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": 2,
        "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration": 1,
        "aws:s3/bucketLogging:BucketLogging": 1,
        "aws:cloudwatch/logGroup:LogGroup": 1,
        "aws:iam/role:Role": 2,
        "aws:iam/rolePolicy:RolePolicy": 2,
        "aws:cloudtrail/trail:Trail": 1,
        "aws:guardduty/detector:Detector": 1,
        "aws:guardduty/detectorFeature:DetectorFeature": 3,
        "aws:accessanalyzer/analyzer:Analyzer": 1,
        "aws:cloudwatch/eventRule:EventRule": 9,
        "aws:cloudwatch/eventTarget:EventTarget": 9,
    }


def test_trail_is_multi_region_validated_and_encrypted_with_the_audit_key(captured):
    capture = captured("prod")
    trail = child(capture, "trail", "aws:cloudtrail/trail:Trail")
    key = child(capture, "audit-key", "aws:kms/key:Key")
    props = trail.props
    assert (props["name"], props["isMultiRegionTrail"], props["includeGlobalServiceEvents"]) == (
        "prod-security-trail",
        True,
        True,
    )
    assert (props["enableLogFileValidation"], props["enableLogging"]) == (True, True)
    assert trail.property_dependencies["kmsKeyId"] == [key.urn]
    assert props["eventSelectors"] == [{"readWriteType": "All", "includeManagementEvents": True}]


def test_trail_delivers_to_its_log_group_through_its_role(captured):
    capture = captured("prod")
    trail = child(capture, "trail", "aws:cloudtrail/trail:Trail").props
    log_group = child(capture, "trail-events", "aws:cloudwatch/logGroup:LogGroup").props
    assert trail["cloudWatchLogsGroupArn"] == (
        f"arn:aws:logs:eu-west-1:{ACCOUNT_ID}:log-group:/groundwork/prod-security/cloudtrail:*"
    )
    assert trail["cloudWatchLogsRoleArn"].endswith(":role/prod-security-trail-delivery")
    assert (log_group["name"], log_group["retentionInDays"]) == ("/groundwork/prod-security/cloudtrail", 365)


def test_trail_is_created_after_the_policies_create_trail_checks(captured):
    capture = captured("prod")
    trail = child(capture, "trail", "aws:cloudtrail/trail:Trail")
    policy = child(capture, "trail-logs", "aws:s3/bucketPolicy:BucketPolicy")
    delivery = child(capture, "trail-delivery", "aws:iam/rolePolicy:RolePolicy")
    assert {policy.urn, delivery.urn} <= set(trail.dependencies)


def test_audit_key_policy_statements_are_exactly_these(captured):
    key = child(captured("prod"), "audit-key", "aws:kms/key:Key")
    statements = {s["Sid"]: s for s in json.loads(key.props["policy"])["Statement"]}
    root = f"arn:aws:iam::{ACCOUNT_ID}:root"
    trail_context = f"arn:aws:cloudtrail:*:{ACCOUNT_ID}:trail/*"
    assert set(statements) == {
        "AccountAdministersKey",
        "CloudTrailEncryptsThisTrail",
        "CloudTrailDescribesKey",
        "AccountReadsLogFiles",
        "AccountUsesKeyThroughS3",
        "CloudWatchLogsUseKeyForTheTrailLogGroup",
    }
    assert statements["CloudTrailEncryptsThisTrail"] == {
        "Sid": "CloudTrailEncryptsThisTrail",
        "Effect": "Allow",
        "Principal": {"Service": "cloudtrail.amazonaws.com"},
        "Action": "kms:GenerateDataKey*",
        "Resource": "*",
        "Condition": {
            "StringEquals": {"aws:SourceArn": TRAIL_ARN},
            "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": trail_context},
        },
    }
    assert statements["CloudTrailDescribesKey"]["Condition"] == {"StringEquals": {"aws:SourceArn": TRAIL_ARN}}
    assert statements["AccountReadsLogFiles"]["Principal"] == {"AWS": root}
    assert statements["AccountReadsLogFiles"]["Condition"]["StringLike"] == {
        "kms:EncryptionContext:aws:cloudtrail:arn": trail_context
    }
    assert statements["AccountUsesKeyThroughS3"]["Condition"]["StringEquals"]["kms:ViaService"] == (
        "s3.eu-west-1.amazonaws.com"
    )
    assert statements["CloudWatchLogsUseKeyForTheTrailLogGroup"]["Condition"] == {
        "ArnEquals": {
            "kms:EncryptionContext:aws:logs:arn": (
                f"arn:aws:logs:eu-west-1:{ACCOUNT_ID}:log-group:/groundwork/prod-security/cloudtrail"
            )
        }
    }


def test_audit_key_grants_nobody_everything(captured):
    key = child(captured("prod"), "audit-key", "aws:kms/key:Key")
    statements = json.loads(key.props["policy"])["Statement"]
    assert all(s["Action"] not in ("kms:*", ["kms:*"]) for s in statements)
    assert all(s["Principal"] not in ("*", {"AWS": "*"}) for s in statements)


def test_audit_key_rotates_and_is_protected_in_prod(captured):
    key = child(captured("prod"), "audit-key", "aws:kms/key:Key")
    assert (key.props["enableKeyRotation"], key.props["deletionWindowInDays"], key.protect) == (
        True,
        30,
        True,
    )


def test_trail_bucket_policy_is_tls_only_and_lets_only_this_trail_write(captured):
    policy = json.loads(
        child(captured("prod"), "trail-logs", "aws:s3/bucketPolicy:BucketPolicy").props["policy"]
    )
    statements = {s["Sid"]: s for s in policy["Statement"]}
    assert set(statements) == {
        "DenyInsecureTransport",
        "DenyOutdatedTls",
        "CloudTrailChecksAcl",
        "CloudTrailWritesLogFiles",
    }
    bucket_arn = statements["CloudTrailChecksAcl"]["Resource"]
    assert bucket_arn.startswith("arn:aws:s3:::prod-security-trail-logs-")
    assert statements["CloudTrailChecksAcl"]["Action"] == "s3:GetBucketAcl"
    assert statements["CloudTrailChecksAcl"]["Condition"] == {"StringEquals": {"aws:SourceArn": TRAIL_ARN}}
    write = statements["CloudTrailWritesLogFiles"]
    assert (write["Action"], write["Resource"]) == ("s3:PutObject", f"{bucket_arn}/AWSLogs/{ACCOUNT_ID}/*")
    assert write["Condition"] == {
        "StringEquals": {"aws:SourceArn": TRAIL_ARN, "s3:x-amz-acl": "bucket-owner-full-control"}
    }
    assert statements["DenyInsecureTransport"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert statements["DenyInsecureTransport"]["Resource"] == [bucket_arn, f"{bucket_arn}/*"]


@pytest.mark.parametrize("bucket", ["trail-logs", "trail-access-logs"])
def test_both_buckets_block_every_kind_of_public_access(captured, bucket):
    block = child(captured("prod"), bucket, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").props
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    assert {flag: block[flag] for flag in flags} == dict.fromkeys(flags, True)


def test_trail_bucket_encrypts_with_the_audit_key_and_logs_access(captured):
    capture = captured("prod")
    key = child(capture, "audit-key", "aws:kms/key:Key")
    sse = child(
        capture,
        "trail-logs",
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    )
    rule = sse.props["rules"][0]
    assert (rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"], rule["bucketKeyEnabled"]) == (
        "aws:kms",
        True,
    )
    assert sse.property_dependencies["rules"] == [key.urn]
    logging = child(capture, "trail-logs", "aws:s3/bucketLogging:BucketLogging")
    access_logs = child(capture, "trail-access-logs", "aws:s3/bucket:Bucket")
    assert logging.property_dependencies["targetBucket"] == [access_logs.urn]


def test_prod_trail_bucket_is_under_compliance_object_lock_for_a_year(captured):
    capture = captured("prod")
    bucket = child(capture, "trail-logs", "aws:s3/bucket:Bucket")
    lock = child(capture, "trail-logs", "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")
    assert (bucket.props["objectLockEnabled"], bucket.protect) == (True, True)
    assert lock.props["rule"] == {"defaultRetention": {"mode": "COMPLIANCE", "days": 365}}


def test_dev_trail_bucket_has_no_object_lock(captured):
    capture = captured("dev")
    assert "objectLockEnabled" not in child(capture, "trail-logs", "aws:s3/bucket:Bucket", "dev").props
    kinds = {type_token for _, type_token in baseline(capture, "dev")}
    assert "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration" not in kinds


def test_trail_bucket_lifecycle_tiers_and_expires(captured):
    lifecycle = child(
        captured("prod"), "trail-logs", "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
    )
    rule = lifecycle.props["rules"][0]
    assert rule["expiration"] == {"days": 400}
    assert rule["transitions"] == [{"days": 90, "storageClass": "GLACIER_IR"}]
    assert rule["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 7}


def test_log_delivery_role_writes_only_the_trails_log_streams(captured):
    capture = captured("prod")
    role = child(capture, "trail-delivery", "aws:iam/role:Role").props
    policy = json.loads(child(capture, "trail-delivery", "aws:iam/rolePolicy:RolePolicy").props["policy"])
    assert json.loads(role["assumeRolePolicy"])["Statement"] == [
        {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ]
    assert policy["Statement"] == [
        {
            "Sid": "WriteTrailEvents",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": f"arn:aws:logs:eu-west-1:{ACCOUNT_ID}:log-group:/groundwork/prod-security/cloudtrail"
            f":log-stream:{ACCOUNT_ID}_CloudTrail_*",
        }
    ]


def test_guardduty_watches_eks_audit_logs_runtime_and_s3(captured):
    capture = captured("prod")
    detector = child(capture, "guardduty", "aws:guardduty/detector:Detector")
    features = {
        r.props["name"]: r
        for (_, type_token), r in baseline(capture).items()
        if type_token == "aws:guardduty/detectorFeature:DetectorFeature"
    }
    assert set(features) == {"EKS_AUDIT_LOGS", "RUNTIME_MONITORING", "S3_DATA_EVENTS"}
    assert {f.props["status"] for f in features.values()} == {"ENABLED"}
    assert all(f.property_dependencies["detectorId"] == [detector.urn] for f in features.values())
    assert features["RUNTIME_MONITORING"].props["additionalConfigurations"] == [
        {"name": "EKS_ADDON_MANAGEMENT", "status": "ENABLED"}
    ]
    assert "datasources" not in detector.props and detector.props["enable"] is True


def test_access_analyzer_covers_the_account(captured):
    analyzer = child(captured("prod"), "access-analyzer", "aws:accessanalyzer/analyzer:Analyzer").props
    assert (analyzer["type"], analyzer["analyzerName"]) == ("ACCOUNT", "prod-security-account")


def patterns(capture, stack: str = "prod") -> dict[str, dict]:
    return {
        name: json.loads(r.props["eventPattern"])
        for (name, type_token), r in baseline(capture, stack).items()
        if type_token == "aws:cloudwatch/eventRule:EventRule" and not name.endswith("-forward")
    }


def test_every_documented_rule_exists(captured):
    assert set(patterns(captured("prod"))) == set(RULES)


def test_guardduty_findings_alert_from_the_configured_severity(captured):
    assert patterns(captured("prod"))["guardduty-findings"] == {
        "source": ["aws.guardduty"],
        "detail-type": ["GuardDuty Finding"],
        "detail": {"severity": [{"numeric": [">=", 4.0]}]},
    }
    assert patterns(captured("dev"), "dev")["guardduty-findings"]["detail"] == {
        "severity": [{"numeric": [">=", 7.0]}]
    }


def test_role_policy_changes_are_watched_on_the_stacks_roles_and_the_deploy_role(captured):
    detail = patterns(captured("prod"))["iam-role-policy-change"]["detail"]
    assert detail["requestParameters"] == {"roleName": [{"prefix": "prod-"}, {"prefix": "groundwork-deploy"}]}


def _section(name: str) -> str:
    """The runbook section whose anchor `name` is, up to the next heading."""
    text = RUNBOOK.read_text()
    for block in re.split(r"\n(?=## )", text):
        heading = block.splitlines()[0]
        if github_anchors(heading) == {name}:
            return block
    raise KeyError(name)


@pytest.mark.parametrize("rule", RULES)
def test_each_rule_matches_the_event_names_its_runbook_section_documents(captured, rule):
    pattern = patterns(captured("prod"))[rule]
    target = child(captured("prod"), rule, "aws:cloudwatch/eventTarget:EventTarget")
    anchor = json.loads(
        target.props["inputTransformer"]["inputTemplate"].replace("<aws.events.event.json>", "{}")
    )["runbook"].split("#", 1)[1]
    section = _section(anchor)
    matches = section.split("Matches:", 1)[1].split("\n\n", 1)[0]
    documented = set(re.findall(r"`([^`]+)`", matches))
    assert set(pattern["source"]) <= documented and set(pattern["detail-type"]) <= documented
    assert set(pattern["detail"].get("eventName", [])) <= documented
    assert set(pattern["detail"].get("eventSource", [])) <= documented


@pytest.mark.parametrize("rule", RULES)
def test_each_target_sends_a_json_alert_with_its_runbook_to_the_alarms_topic(captured, rule):
    capture = captured("prod")
    target = child(capture, rule, "aws:cloudwatch/eventTarget:EventTarget")
    topic = capture.named("prod-alarms-alerts")
    assert target.property_dependencies["arn"] == [topic.urn]
    message = json.loads(
        target.props["inputTransformer"]["inputTemplate"].replace("<aws.events.event.json>", "{}")
    )
    assert message["rule"] == rule and message["source"] == "prod-security" and message["event"] == {}
    assert message["runbook"].startswith("docs/runbooks/security.md#")


def test_alarms_topic_lets_only_this_accounts_event_rules_publish(captured):
    policy = json.loads(captured("prod").named("prod-alarms-alerts-policy").props["policy"])
    events = next(s for s in policy["Statement"] if s["Sid"] == "EventBridgeRulesPublish")
    assert events["Principal"] == {"Service": "events.amazonaws.com"} and events["Action"] == "sns:Publish"
    assert events["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT_ID},
        "ArnLike": {"aws:SourceArn": f"arn:aws:events:eu-west-1:{ACCOUNT_ID}:rule/*"},
    }


@pytest.mark.parametrize("rule", ["root-sign-in", "iam-role-policy-change"])
def test_global_service_events_are_forwarded_from_us_east_1(captured, rule):
    capture = captured("prod")
    forwarder = child(capture, f"{rule}-forward", "aws:cloudwatch/eventRule:EventRule")
    target = child(capture, f"{rule}-forward", "aws:cloudwatch/eventTarget:EventTarget")
    provider = capture.named("prod-aws-us-east-1")
    assert provider.props["region"] == "us-east-1"
    assert forwarder.provider.startswith(provider.urn) and target.provider.startswith(provider.urn)
    assert json.loads(forwarder.props["eventPattern"]) == patterns(capture)[rule]
    assert target.props["arn"] == f"arn:aws:events:eu-west-1:{ACCOUNT_ID}:event-bus/default"


def test_forwarding_role_may_only_put_events_on_the_stack_region_bus(captured):
    policy = child(captured("prod"), "forward-global-events", "aws:iam/rolePolicy:RolePolicy").props["policy"]
    assert json.loads(policy)["Statement"] == [
        {
            "Sid": "PutOnStackBus",
            "Effect": "Allow",
            "Action": "events:PutEvents",
            "Resource": f"arn:aws:events:eu-west-1:{ACCOUNT_ID}:event-bus/default",
        }
    ]


def test_regional_rules_stay_in_the_stack_region(captured):
    capture = captured("prod")
    regional = child(capture, "kms-key-disabled", "aws:cloudwatch/eventRule:EventRule")
    assert regional.provider.startswith(capture.named("prod-aws").urn)


def test_local_has_no_baseline(captured):
    assert not [r for r in captured("local").resources if r.type.startswith("groundwork:security_baseline")]


def test_prod_exports_the_trail_and_detector(captured):
    outputs = captured("prod").outputs
    assert outputs["audit_trail_arn"] == TRAIL_ARN
    assert outputs["audit_log_bucket"].startswith("prod-security-trail-logs")
    assert outputs["security_alert_rules"] == [f"prod-security-{rule}" for rule in RULES]
