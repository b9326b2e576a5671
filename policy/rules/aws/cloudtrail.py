"""CloudTrail rules: every AWS stack's account is recorded by a multi-region, validated, encrypted trail
whose bucket is private and, in prod, immutable.

A stack whose account is recorded by an organization trail instead (run from the management account)
has no trail of its own: AWS-CLOUDTRAIL-001 then needs a policy-config exemption for resource `*` that
names the organization trail, its approver and an expiry (`docs/runbooks/security.md`).
"""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy.proxy import UnknownValueError

from policy.framework import UNKNOWN, Resource, Stack, resource_rule, stack_rule
from policy.helpers import allows, as_list, is_public_principal, policy_document

TRAIL = "aws:cloudtrail/trail:Trail"
BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
OBJECT_LOCK = (
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
    "aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2",
)
BLOCK_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")


def on_aws(stack: Stack) -> bool:
    """Whether the stack manages anything in an AWS account (local stacks manage none)."""
    return any(r.type.startswith("aws:") for r in stack.resources)


@stack_rule(
    id="AWS-CLOUDTRAIL-001",
    title="Every AWS stack's account is recorded by CloudTrail",
    severity="high",
    description="A stack with AWS resources has at least one `aws:cloudtrail/trail:Trail` whose "
    "`enableLogging` is not false. Where an organization trail records the account, exempt this rule "
    "(resource `*`) in the stack's policy config and name that trail in the reason.",
    rationale="Without a trail nobody can answer who changed what after an incident, and EventBridge "
    "receives no CloudTrail events, so the baseline's alerts on IAM, KMS, security-group and trail "
    "changes stay silent.",
    remediation="Keep `securityBaseline.cloudtrailEnabled: true` (the default), or set it false with "
    "`organizationTrailArn` and add the exemption.",
    tags=("fsbp:CloudTrail.1", "awsguard:multi-region-cloudtrail-enabled"),
)
def cloudtrail_on(stack: Stack):
    if not on_aws(stack):
        return
    trails = stack.of_type(TRAIL)
    if not any(t.peek("enableLogging") is not False for t in trails):
        yield None, "the stack has AWS resources but no logging CloudTrail trail records its account"


@resource_rule(
    id="AWS-CLOUDTRAIL-002",
    title="Trails record every region, global services and all management events",
    severity="high",
    resource_types=(TRAIL,),
    description="Checks `isMultiRegionTrail` is true, `includeGlobalServiceEvents` and `enableLogging` "
    "are not false, and no `eventSelectors` entry drops management events or records only reads or "
    "writes.",
    rationale="An attacker works in the region nobody watches; IAM and sign-in are global services; a "
    "write-only or read-only trail misses half of what an investigation needs.",
    remediation="Use the SecurityBaseline component's trail (multi-region, global events, management "
    "events read and write).",
    tags=("fsbp:CloudTrail.1", "checkov:CKV_AWS_67"),
)
def trail_coverage(r: Resource):
    if r.get("isMultiRegionTrail") is not True:
        yield f"trail {r.name} records one region only (isMultiRegionTrail is not true)"
    if r.get("includeGlobalServiceEvents") is False:
        yield f"trail {r.name} leaves out global services such as IAM (includeGlobalServiceEvents false)"
    if r.get("enableLogging") is False:
        yield f"trail {r.name} is not logging (enableLogging false)"
    for selector in as_list(r.get("eventSelectors")):
        if not isinstance(selector, dict):
            continue
        if selector.get("includeManagementEvents") is False:
            yield f"trail {r.name} has an event selector without management events"
        if selector.get("readWriteType") not in (None, "All"):
            yield f"trail {r.name} records {selector.get('readWriteType')} management events only"


@resource_rule(
    id="AWS-CLOUDTRAIL-003",
    title="Trails validate their log files",
    severity="medium",
    resource_types=(TRAIL,),
    description="Checks `enableLogFileValidation` is true.",
    rationale="Digest files signed by CloudTrail are the only proof that a log file was not edited or "
    "deleted after delivery, which is what makes the trail evidence.",
    remediation="Set `enable_log_file_validation=True` (the SecurityBaseline component does).",
    tags=(
        "fsbp:CloudTrail.4",
        "checkov:CKV_AWS_36",
        "awsguard:cloud-trail-log-file-validation-enabled",
    ),
)
def trail_validated(r: Resource):
    if r.get("enableLogFileValidation") is not True:
        yield f"trail {r.name} does not validate its log files (enableLogFileValidation is not true)"


@resource_rule(
    id="AWS-CLOUDTRAIL-004",
    title="Trails encrypt their log files with a customer-managed KMS key",
    severity="high",
    resource_types=(TRAIL,),
    description="Checks `kmsKeyId` is set.",
    rationale="With SSE-KMS, reading the audit log takes a key grant as well as S3 access, every decrypt "
    "is itself recorded, and disabling the key cuts off a leaked copy of the bucket.",
    remediation="Pass the audit key as `kms_key_id` (the SecurityBaseline component does, with a key "
    "policy that lets CloudTrail encrypt for this trail only).",
    tags=(
        "fsbp:CloudTrail.2",
        "checkov:CKV_AWS_35",
        "awsguard:cloud-trail-encryption-enabled",
    ),
)
def trail_encrypted(r: Resource):
    if not r.has("kmsKeyId"):
        yield f"trail {r.name} does not encrypt its log files with a KMS key (kmsKeyId unset)"


@resource_rule(
    id="AWS-CLOUDTRAIL-005",
    title="Trails deliver to CloudWatch Logs",
    severity="medium",
    resource_types=(TRAIL,),
    description="Checks `cloudWatchLogsGroupArn` and `cloudWatchLogsRoleArn` are set.",
    rationale="Log files in S3 arrive minutes late and are read by nobody; a log group keeps the events "
    "searchable (Logs Insights) for the investigation that follows an alert.",
    remediation="Give the trail a log group and a delivery role (the SecurityBaseline component does).",
    tags=(
        "fsbp:CloudTrail.5",
        "checkov:CKV2_AWS_10",
        "awsguard:cloud-trail-cloud-watch-logs-enabled",
    ),
)
def trail_to_cloudwatch(r: Resource):
    if not (r.has("cloudWatchLogsGroupArn") and r.has("cloudWatchLogsRoleArn")):
        yield f"trail {r.name} does not deliver to CloudWatch Logs (log group or role unset)"


def _trail_bucket(stack: Stack, trail: Resource) -> Resource | None:
    """The bucket the trail writes to: its `s3BucketName` input's source, else the bucket of that name."""
    buckets = stack.of_type(*BUCKETS)
    by_dependency = [b for b in buckets if b.urn in trail.depends_on("s3BucketName")]
    if by_dependency:
        return by_dependency[0]
    name = trail.peek("s3BucketName")
    named = [b for b in buckets if name not in (None, UNKNOWN) and name in (b.name, b.peek("bucket"))]
    return named[0] if named else None


def _configures(stack: Stack, bucket: Resource, types: tuple[str, ...]) -> list[Resource]:
    """The side resources of `types` whose `bucket` input is `bucket`."""
    found = []
    for s in stack.of_type(*types):
        value = s.peek("bucket")
        if bucket.urn in s.depends_on("bucket") or value in (bucket.name, bucket.peek("bucket")):
            found.append(s)
    return found


def _bucket_problems(stack: Stack, trail: Resource, bucket: Resource) -> Iterator[str]:
    blocks = _configures(stack, bucket, (PUBLIC_ACCESS_BLOCK,))
    complete = [b for b in blocks if all(b.peek(flag) is True for flag in BLOCK_FLAGS)]
    if not complete:
        yield f"{bucket.name}, the bucket of trail {trail.name}, does not block all public access"
    for policy in _configures(stack, bucket, (BUCKET_POLICY,)):
        for statement in allows(policy_document(policy.get("policy"))):
            if is_public_principal(statement) and not statement.get("Condition"):
                sid = statement.get("Sid", "(no Sid)")
                yield f"{bucket.name}, the bucket of trail {trail.name}, allows anyone ({sid})"
    if stack.environment != "prod":
        return
    retention = [
        c
        for c in _configures(stack, bucket, OBJECT_LOCK)
        if any(isinstance(x, dict) and x.get("defaultRetention") for x in as_list(c.get("rule")))
    ]
    if str(bucket.get("objectLockEnabled")).lower() != "true" or not retention:
        yield f"{bucket.name}, the bucket of trail {trail.name}, has no Object Lock default retention in prod"


@stack_rule(
    id="AWS-CLOUDTRAIL-006",
    title="A trail's bucket is private, and immutable in prod",
    severity="high",
    description="For every trail whose bucket is in the stack: an `aws:s3/bucketPublicAccessBlock` on "
    "that bucket sets all four flags, no Allow statement of its bucket policy names Principal `*` "
    "without a Condition, and in prod the bucket has `objectLockEnabled` and an Object Lock "
    "configuration with a default retention. A bucket outside the stack (a central log archive) is "
    "judged where it is managed.",
    rationale="A public audit bucket tells an attacker everything the account does; an audit log that "
    "its own account's administrators can delete is no evidence after a compromise.",
    remediation="Use the SecurityBaseline component's trail bucket (public access blocked, TLS-only "
    "policy, `trailObjectLockDays` in the prod profile).",
    tags=(
        "fsbp:CloudTrail.6",
        "awsguard:cloudtrail-s3-bucket-public-access-prohibited",
    ),
)
def trail_bucket_protected(stack: Stack):
    for trail in stack.of_type(TRAIL):
        try:
            bucket = _trail_bucket(stack, trail)
            problems = list(_bucket_problems(stack, trail, bucket)) if bucket is not None else []
        except UnknownValueError:
            continue  # cannot tell for this trail at preview; the others are still judged
        for problem in problems:
            yield bucket, problem
