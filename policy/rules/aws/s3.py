"""S3 rules: buckets and every resource that configures one (public access block, ownership
controls, encryption, policy, versioning, logging, lifecycle, object lock, replication,
notifications) plus the account-wide public access block.

Groundwork's `Backups` component and the object-storage backend create buckets on AWS stacks.
"""

from __future__ import annotations

import re

from policy.framework import Resource, Stack, resource_rule, stack_rule
from policy.helpers import (
    as_list,
    condition_keys,
    each,
    first,
    is_public_principal,
    is_true,
    linked,
    policy_document,
    statements,
)

# S3: pulumi-aws 7 keeps the side-by-side resources, their deprecated *V2 twins and the inline
# (deprecated) props on the bucket itself. Every S3 rule reads all three shapes.
S3_BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
S3_PAB = ("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",)
S3_ACL = ("aws:s3/bucketAcl:BucketAcl", "aws:s3/bucketAclV2:BucketAclV2")
S3_OWNERSHIP = ("aws:s3/bucketOwnershipControls:BucketOwnershipControls",)
S3_SSE = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
S3_POLICY = ("aws:s3/bucketPolicy:BucketPolicy",)
S3_VERSIONING = ("aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2")
S3_LOGGING = ("aws:s3/bucketLogging:BucketLogging", "aws:s3/bucketLoggingV2:BucketLoggingV2")
S3_LIFECYCLE = (
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
)
S3_OBJECT_LOCK = (
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
    "aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2",
)
S3_REPLICATION = ("aws:s3/bucketReplicationConfig:BucketReplicationConfig",)
S3_NOTIFICATION = ("aws:s3/bucketNotification:BucketNotification",)
OBJECT_LOCK_TAGS = {"data-classification": ["backup", "audit"]}
REPLICATION_TAGS = {"criticality": ["critical"]}
S3_ACCOUNT_PAB = "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock"


def _satellites(stack: Stack, bucket: Resource, types: tuple[str, ...]) -> list[Resource]:
    """The side-by-side resources of `types` that configure `bucket` (by its `bucket` input)."""
    return [s for s in stack.of_type(*types) if bucket in linked(s, "bucket", [bucket], keys=("bucket",))]


def _is_access_log_target(stack: Stack, bucket: Resource) -> bool:
    """Whether another bucket's server access logs are delivered to `bucket` (a BucketLogging, or the
    inline `logging`/`loggings` of a bucket, names it as `targetBucket`), load balancers deliver their
    access logs to it (`_is_elb_log_target`), or it is tagged so."""
    if _exempt_bucket(bucket, "access-log-bucket") or _is_elb_log_target(stack, bucket):
        return True
    loggings = stack.of_type(*S3_LOGGING)
    if any(bucket in linked(lg, "targetBucket", [bucket], keys=("bucket",)) for lg in loggings):
        return True
    names = {bucket.name, str(bucket.props.get("bucket"))}
    for other in stack.of_type(*S3_BUCKETS):
        for entry in as_list(other.props.get("logging")) + as_list(other.props.get("loggings")):
            if isinstance(entry, dict) and str(entry.get("targetBucket")) in names:
                return True
    return False


ELB_LOG_SERVICE = "logdelivery.elasticloadbalancing.amazonaws.com"
_ELB_ACCOUNT_ROOT = re.compile(r"^arn:aws(-[a-z]+)*:iam::\d{12}:root$")


def _is_elb_log_target(stack: Stack, bucket: Resource) -> bool:
    """Whether Elastic Load Balancing delivers ALB access logs to `bucket`: its policy lets ELB log
    delivery (the service principal, or a Region's ELB account root) put objects under `AWSLogs/` and
    do nothing else. ALB log delivery supports SSE-S3 only, like S3 server access logging."""
    docs = [policy_document(bucket.props.get("policy"))]
    docs += [policy_document(p.props.get("policy")) for p in _satellites(stack, bucket, S3_POLICY)]
    for s in (s for d in docs for s in statements(d)):
        principal = s.get("Principal")
        if s.get("Effect") != "Allow" or not isinstance(principal, dict):
            continue
        services = as_list(principal.get("Service"))
        accounts = as_list(principal.get("AWS"))
        by_elb = services == [ELB_LOG_SERVICE] or (
            not services and accounts and all(_ELB_ACCOUNT_ROOT.match(str(a)) for a in accounts)
        )
        resources = [str(r) for r in as_list(s.get("Resource"))]
        if (
            by_elb
            and as_list(s.get("Action")) == ["s3:PutObject"]
            and resources
            and all("/AWSLogs/" in r for r in resources)
        ):
            return True
    return False


def _exempt_bucket(bucket: Resource, tag_key: str) -> bool:
    return str(bucket.tags.get(tag_key, "")).lower() in ("true", "yes", "1")


@stack_rule(
    id="AWS-S3-001",
    title="Every S3 bucket blocks public access",
    severity="critical",
    description="Every `aws:s3/bucket:Bucket` / `BucketV2` has an `aws:s3/bucketPublicAccessBlock` with "
    "`blockPublicAcls`, `blockPublicPolicy`, `ignorePublicAcls` and `restrictPublicBuckets` all "
    "true.",
    rationale="Public buckets are the most common AWS data leak; the block overrides any ACL or policy that "
    "would make objects public, including future mistakes.",
    remediation="The `Backups` component creates the public access block with all four flags for its "
    "buckets; for another bucket add `aws.s3.BucketPublicAccessBlock(bucket=b.id, "
    "block_public_acls=True, ...)`.",
    tags=(
        "checkov:CKV_AWS_53",
        "checkov:CKV_AWS_54",
        "checkov:CKV_AWS_55",
        "checkov:CKV_AWS_56",
        "checkov:CKV2_AWS_6",
        "fsbp:S3.8",
        "cdk-nag:AwsSolutions-S2",
        "cdk-nag:NIST.800.53.R5-S3BucketLevelPublicAccessProhibited",
    ),
)
def s3_public_access_block(stack: Stack):
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")

    def check(bucket: Resource):
        blocks = _satellites(stack, bucket, S3_PAB)
        if not blocks:
            yield bucket, "no BucketPublicAccessBlock: nothing stops an ACL or policy from making it public"
        for block in blocks:
            off = [f for f in flags if not is_true(block.props.get(f))]
            if off:
                yield bucket, f"public access block {block.name} leaves {', '.join(off)} off"

    yield from each(stack.of_type(*S3_BUCKETS), check)


PUBLIC_ACLS = ("public-read", "public-read-write", "authenticated-read")
PUBLIC_GRANTEES = (
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
)


@resource_rule(
    id="AWS-S3-002",
    title="S3 ACLs do not grant public access",
    severity="critical",
    resource_types=S3_BUCKETS + S3_ACL,
    description="Checks `acl` is not public-read, public-read-write or authenticated-read and no grant "
    "(`grants[]` inline, `accessControlPolicy.grants[].grantee.uri`) names AllUsers or "
    "AuthenticatedUsers.",
    rationale="A public ACL lets anyone (or any AWS account) list or read the objects.",
    remediation="Remove the ACL; Groundwork buckets use BucketOwnerEnforced ownership, which disables ACLs.",
    tags=(
        "compliance-policies:s3-bucket-disallow-public-read",
        "checkov:CKV_AWS_20",
        "checkov:CKV_AWS_57",
        "checkov:CKV_AWS_375",
        "checkov:CKV2_AWS_43",
        "fsbp:S3.2",
        "fsbp:S3.3",
    ),
)
def s3_no_public_acl(r: Resource):
    acl = r.get("acl")
    if acl in PUBLIC_ACLS:
        yield f"acl is {acl}: objects are readable outside the account"
    grants = as_list(r.get("grants")) + as_list(r.get("accessControlPolicy.grants"))
    for grant in grants:
        uri = grant.get("uri") or first(grant.get("grantee")).get("uri")
        if uri in PUBLIC_GRANTEES:
            yield f"a grant gives {uri.rsplit('/', 1)[-1]} access"


@stack_rule(
    id="AWS-S3-003",
    title="S3 buckets disable ACLs (BucketOwnerEnforced)",
    severity="medium",
    description="Every bucket has an `aws:s3/bucketOwnershipControls` with `rule.objectOwnership == "
    '"BucketOwnerEnforced"`.',
    rationale="With ACLs disabled, access is decided by policies alone and objects uploaded by other "
    "accounts still belong to the bucket owner.",
    remediation='Add `aws.s3.BucketOwnershipControls(bucket=b.id, rule={"object_ownership": '
    '"BucketOwnerEnforced"})`.',
    tags=("checkov:CKV2_AWS_65", "fsbp:S3.12"),
)
def s3_ownership_controls(stack: Stack):
    def check(bucket: Resource):
        controls = _satellites(stack, bucket, S3_OWNERSHIP)
        owners = [first(c.props.get("rule")).get("objectOwnership") for c in controls]
        if "BucketOwnerEnforced" not in owners:
            yield bucket, "no BucketOwnershipControls with BucketOwnerEnforced: ACLs stay active"

    yield from each(stack.of_type(*S3_BUCKETS), check)


def _sse_rules(res: Resource) -> list[dict]:
    """SSE rules from a side-by-side resource (`rules`) or a bucket's inline config (v7 `rule`,
    V2 `rules`)."""
    rules = []
    for holder in [
        res.props,
        *as_list(res.props.get("serverSideEncryptionConfiguration")),
        *as_list(res.props.get("serverSideEncryptionConfigurations")),
    ]:
        if isinstance(holder, dict):
            found = as_list(holder.get("rules")) + as_list(holder.get("rule"))
            rules += [x for x in found if isinstance(x, dict)]
    return rules


@stack_rule(
    id="AWS-S3-004",
    title="S3 buckets encrypt with a customer-managed KMS key by default",
    severity="high",
    description="Every bucket has default encryption (`aws:s3/bucketServerSideEncryptionConfiguration` or "
    "the inline config) with `sseAlgorithm` aws:kms or aws:kms:dsse, a `kmsMasterKeyId`, and "
    "`bucketKeyEnabled == true`. A bucket that receives server access logs (the `targetBucket` "
    "of a BucketLogging in the stack), or ALB access logs (its policy lets Elastic Load Balancing "
    "log delivery put objects under AWSLogs/ only), only needs SSE-S3 (AES256): neither S3 nor ELB "
    "delivers access logs to an SSE-KMS bucket.",
    rationale="SSE-S3 encrypts, but anyone with s3:GetObject reads the data; SSE-KMS adds the key policy as "
    "a second gate and a CloudTrail record per decrypt. Bucket keys cut KMS cost and throttling.",
    remediation="Configure aws:kms with the platform key and bucket keys on, as the `Backups` component "
    "does.",
    tags=(
        "compliance-policies:s3-bucket-enable-server-side-encryption",
        "compliance-policies:s3-bucket-configure-server-side-encryption-kms",
        "compliance-policies:s3-bucket-configure-bucket-key",
        "checkov:CKV_AWS_19",
        "checkov:CKV_AWS_145",
        "fsbp:S3.17",
        "cdk-nag:NIST.800.53.R5-S3DefaultEncryptionKMS",
    ),
)
def s3_kms_encryption(stack: Stack):
    def check(bucket: Resource):
        rules = _sse_rules(bucket)
        for sat in _satellites(stack, bucket, S3_SSE):
            rules += _sse_rules(sat)
        if not rules:
            yield bucket, "no default encryption configuration: objects get SSE-S3 only"
            return
        if _is_access_log_target(stack, bucket):
            return  # access-log destinations must use SSE-S3; any default encryption is the best possible
        for rule in rules:
            default = first(
                rule.get("applyServerSideEncryptionByDefault")
                or rule.get("applyServerSideEncryptionByDefaults")
            )
            if default.get("sseAlgorithm") not in ("aws:kms", "aws:kms:dsse"):
                yield bucket, f"sseAlgorithm is {default.get('sseAlgorithm')}; use aws:kms"
            elif not default.get("kmsMasterKeyId"):
                yield bucket, "kmsMasterKeyId is unset: the AWS-managed aws/s3 key is used"
            if not is_true(rule.get("bucketKeyEnabled")):
                yield bucket, "bucketKeyEnabled is not true"

    yield from each(stack.of_type(*S3_BUCKETS), check)


def _denies_insecure_transport(doc: dict) -> bool:
    for s in statements(doc):
        cond = s.get("Condition") or {}
        secure = {**(cond.get("Bool") or {}), **(cond.get("BoolIfExists") or {})}
        if s.get("Effect") == "Deny" and str(secure.get("aws:SecureTransport", "")).lower() == "false":
            return True
    return False


@stack_rule(
    id="AWS-S3-005",
    title="S3 buckets refuse plain HTTP",
    severity="high",
    description="Every bucket's policy (`aws:s3/bucketPolicy` or inline `policy`) has a Deny statement with "
    "`Bool: {aws:SecureTransport: false}`.",
    rationale="Without the deny, a misconfigured client can read or write objects over HTTP, exposing data "
    "and signed requests on the wire.",
    remediation="Attach a DenyInsecureTransport statement to the bucket policy, as the `Backups` component "
    "does.",
    tags=(
        "checkov:CKV_AWS_379",
        "fsbp:S3.5",
        "cdk-nag:AwsSolutions-S10",
        "cdk-nag:NIST.800.53.R5-S3BucketSSLRequestsOnly",
    ),
)
def s3_secure_transport(stack: Stack):
    def check(bucket: Resource):
        docs = [policy_document(bucket.props.get("policy"))]
        docs += [policy_document(p.props.get("policy")) for p in _satellites(stack, bucket, S3_POLICY)]
        if not any(_denies_insecure_transport(d) for d in docs):
            yield bucket, "no bucket policy denies requests with aws:SecureTransport = false"

    yield from each(stack.of_type(*S3_BUCKETS), check)


@resource_rule(
    id="AWS-S3-006",
    title="S3 bucket policies do not allow the public or unknown accounts",
    severity="critical",
    resource_types=S3_BUCKETS + S3_POLICY,
    description='Checks every Allow statement of the bucket policy: no `Principal "*"` unless restricted '
    "by a Condition on aws:SourceVpce, aws:SourceVpc, aws:PrincipalOrgID, aws:PrincipalAccount "
    "or aws:SourceArn/Account; AWS account principals are in `allowedAccounts` when the policy "
    "config sets it.",
    rationale="An Allow to `*` makes objects readable or writable by anyone on the internet.",
    remediation="Grant access to specific roles (IRSA) instead of `*`, or add a VPC-endpoint condition.",
    thresholds={"allowedAccounts": []},
    tags=("checkov:CKV_AWS_70", "checkov:CKV_AWS_93", "checkov:CKV_AWS_283", "fsbp:S3.6"),
)
def s3_policy_not_public(r: Resource):
    restricting = (
        "aws:sourcevpce",
        "aws:sourcevpc",
        "aws:principalorgid",
        "aws:principalaccount",
        "aws:sourcearn",
        "aws:sourceaccount",
    )
    allowed = r.threshold("allowedAccounts", [])
    for s in statements(policy_document(r.get("policy"))):
        if s.get("Effect") != "Allow":
            continue
        principal = s.get("Principal")
        if is_public_principal(s):
            keys = set(condition_keys(s))
            if not keys & set(restricting):
                yield f"statement {s.get('Sid', '')!r} allows Principal '*' without a restricting condition"
        elif allowed and isinstance(principal, dict):
            for arn in as_list(principal.get("AWS")):
                account = str(arn).split(":")[4] if str(arn).startswith("arn:") else str(arn)
                if account not in allowed:
                    yield f"statement {s.get('Sid', '')!r} grants account {account}, not in allowedAccounts"


@stack_rule(
    id="AWS-S3-007",
    title="S3 buckets are versioned",
    severity="medium",
    description="Every bucket has versioning enabled: `aws:s3/bucketVersioning` with "
    '`versioningConfiguration.status == "Enabled"`, or the inline `versioning.enabled`.',
    rationale="Versioning is what recovers an object after an overwrite, a delete or ransomware encryption.",
    remediation="Add `aws.s3.BucketVersioning` with status Enabled, as the `Backups` component does.",
    tags=("checkov:CKV_AWS_21", "fsbp:S3.14", "cdk-nag:NIST.800.53.R5-S3BucketVersioningEnabled"),
)
def s3_versioning(stack: Stack):
    def check(bucket: Resource):
        if not _is_versioned(stack, bucket):
            yield bucket, "versioning is not enabled: overwritten or deleted objects cannot be recovered"

    yield from each(stack.of_type(*S3_BUCKETS), check)


def _is_versioned(stack: Stack, bucket: Resource) -> bool:
    inline = as_list(bucket.props.get("versioning")) + as_list(bucket.props.get("versionings"))
    if any(is_true(v.get("enabled")) for v in inline if isinstance(v, dict)):
        return True
    return any(
        first(s.props.get("versioningConfiguration")).get("status") == "Enabled"
        for s in _satellites(stack, bucket, S3_VERSIONING)
    )


@stack_rule(
    id="AWS-S3-008",
    title="S3 buckets log access",
    severity="medium",
    description="Every bucket has server access logging (`aws:s3/bucketLogging` with `targetBucket`, or "
    "inline `logging`/`loggings`), except the buckets that receive access logs (a logging target "
    "in the stack, a bucket ALB access logs are delivered to, or tagged `access-log-bucket=true`): "
    "logging them into themselves would loop.",
    rationale="Access logs are the only record of who read which object when CloudTrail data events are off.",
    remediation="Add `aws.s3.BucketLogging` to the stack's access-log bucket, as the `Backups` component "
    "does.",
    tags=("awsguard:s3-bucket-logging-enabled", "checkov:CKV_AWS_18", "fsbp:S3.9", "cdk-nag:AwsSolutions-S1"),
)
def s3_access_logging(stack: Stack):
    def check(bucket: Resource):
        if _is_access_log_target(stack, bucket):
            return
        inline = as_list(bucket.props.get("logging")) + as_list(bucket.props.get("loggings"))
        if any(isinstance(x, dict) and x.get("targetBucket") for x in inline):
            return
        if not any(s.props.get("targetBucket") for s in _satellites(stack, bucket, S3_LOGGING)):
            yield bucket, "no server access logging"

    yield from each(stack.of_type(*S3_BUCKETS), check)


@stack_rule(
    id="AWS-S3-009",
    title="S3 buckets have a lifecycle that cleans up",
    severity="low",
    description="Every bucket has a lifecycle configuration with an enabled rule that aborts incomplete "
    "multipart uploads and, when the bucket is versioned, one that expires noncurrent versions.",
    rationale="Without lifecycle rules, abandoned uploads and old versions accumulate cost forever and keep "
    "data longer than its retention allows.",
    remediation="Add `aws.s3.BucketLifecycleConfiguration` with abort_incomplete_multipart_upload (7 days) "
    "and noncurrent_version_expiration.",
    tags=("checkov:CKV2_AWS_61", "checkov:CKV_AWS_300", "fsbp:S3.10", "fsbp:S3.13"),
)
def s3_lifecycle(stack: Stack):
    def check(bucket: Resource):
        rules = [x for s in _satellites(stack, bucket, S3_LIFECYCLE) for x in as_list(s.props.get("rules"))]
        rules += as_list(bucket.props.get("lifecycleRules"))
        enabled = [
            x
            for x in rules
            if isinstance(x, dict) and (x.get("status") == "Enabled" or is_true(x.get("enabled")))
        ]
        if not enabled:
            yield bucket, "no enabled lifecycle rule"
            return
        if not any(
            x.get("abortIncompleteMultipartUpload") or x.get("abortIncompleteMultipartUploadDays")
            for x in enabled
        ):
            yield bucket, "no lifecycle rule aborts incomplete multipart uploads"
        if _is_versioned(stack, bucket) and not any(x.get("noncurrentVersionExpiration") for x in enabled):
            yield bucket, "versioned, but no lifecycle rule expires noncurrent versions"

    yield from each(stack.of_type(*S3_BUCKETS), check)


@stack_rule(
    id="AWS-S3-010",
    title="Backup and audit buckets use Object Lock",
    severity="medium",
    description="Buckets tagged with one of the policy config's `objectLockTags` (default "
    "data-classification=backup or audit) have `objectLockEnabled == true` and an "
    "`aws:s3/bucketObjectLockConfiguration` with a default retention.",
    rationale="Object Lock (WORM) keeps backups and audit logs immutable even for an attacker with admin "
    "credentials, which is what makes them trustworthy after a compromise.",
    remediation="Create the bucket with `object_lock_enabled=True` and add a BucketObjectLockConfiguration "
    "(COMPLIANCE mode in prod).",
    thresholds={"objectLockTags": OBJECT_LOCK_TAGS},
    tags=("checkov:CKV_AWS_143", "fsbp:S3.15"),
)
def s3_object_lock(stack: Stack):
    wanted = stack.threshold("objectLockTags", OBJECT_LOCK_TAGS)

    def check(bucket: Resource):
        if not any(bucket.tags.get(k) in as_list(v) for k, v in wanted.items()):
            return
        configs = _satellites(stack, bucket, S3_OBJECT_LOCK)
        inline = first(bucket.props.get("objectLockConfiguration"))
        locked = (
            is_true(bucket.props.get("objectLockEnabled")) or inline.get("objectLockEnabled") == "Enabled"
        )
        if not locked:
            yield bucket, "objectLockEnabled is not true"
        elif not (
            any(first(c.props.get("rule")).get("defaultRetention") for c in configs)
            or first(inline.get("rule")).get("defaultRetention")
        ):
            yield bucket, "no Object Lock default retention"

    yield from each(stack.of_type(*S3_BUCKETS), check)


@stack_rule(
    id="AWS-S3-011",
    title="Critical buckets replicate to another region",
    severity="low",
    description="Buckets tagged with the policy config's `replicationTags` (default criticality=critical) "
    "have an `aws:s3/bucketReplicationConfig` with an Enabled rule.",
    rationale="A regional outage or an account-level mistake must not take the only copy of critical data.",
    remediation="Add a BucketReplicationConfig to a bucket in the DR region.",
    thresholds={"replicationTags": REPLICATION_TAGS},
    tags=(
        "compliance-policies:s3-bucket-enable-replication-configuration",
        "checkov:CKV_AWS_144",
        "fsbp:S3.7",
        "cdk-nag:NIST.800.53.R5-S3BucketReplicationEnabled",
    ),
)
def s3_replication(stack: Stack):
    wanted = stack.threshold("replicationTags", REPLICATION_TAGS)

    def check(bucket: Resource):
        if not any(bucket.tags.get(k) in as_list(v) for k, v in wanted.items()):
            return
        configs = _satellites(stack, bucket, S3_REPLICATION)
        if not any(x.get("status") == "Enabled" for c in configs for x in as_list(c.props.get("rules"))):
            yield bucket, "no enabled replication rule"

    yield from each(stack.of_type(*S3_BUCKETS), check)


@stack_rule(
    id="AWS-S3-012",
    title="Buckets tagged for notifications send events",
    severity="low",
    description="Buckets tagged `notify=true` have an `aws:s3/bucketNotification` with EventBridge, a queue, "
    "a topic or a Lambda function.",
    rationale="Event notifications drive malware scanning and ingestion pipelines; a bucket that expects "
    "them but has none silently stops processing.",
    remediation="Add `aws.s3.BucketNotification(bucket=b.id, eventbridge=True)`.",
    tags=("checkov:CKV2_AWS_62", "fsbp:S3.11"),
)
def s3_notifications(stack: Stack):
    def check(bucket: Resource):
        if not _exempt_bucket(bucket, "notify"):
            return
        notes = _satellites(stack, bucket, S3_NOTIFICATION)
        if not any(
            is_true(n.props.get("eventbridge"))
            or n.props.get("queues")
            or n.props.get("topics")
            or n.props.get("lambdaFunctions")
            for n in notes
        ):
            yield bucket, "tagged notify=true but no event notification is configured"

    yield from each(stack.of_type(*S3_BUCKETS), check)


@resource_rule(
    id="AWS-S3-013",
    title="The account-level public access block is complete",
    severity="high",
    resource_types=(S3_ACCOUNT_PAB,),
    description="Checks all four flags of `aws:s3/accountPublicAccessBlock` are true when the stack manages "
    "it.",
    rationale="The account block is the backstop for every bucket, including ones created outside Pulumi.",
    remediation="Set block_public_acls, block_public_policy, ignore_public_acls and restrict_public_buckets "
    "to True.",
    tags=("fsbp:S3.1",),
)
def s3_account_public_access_block(r: Resource):
    off = [
        f
        for f in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
        if not is_true(r.get(f))
    ]
    if off:
        yield f"the account public access block leaves {', '.join(off)} off"


@resource_rule(
    id="AWS-S3-014",
    title="S3 buckets cannot be force-destroyed",
    severity="medium",
    resource_types=S3_BUCKETS,
    description="Checks `forceDestroy` is not true.",
    rationale="With force_destroy, deleting the bucket resource deletes every object and version in it; a "
    "destroy or a replacement becomes data loss.",
    remediation="Remove `force_destroy=True` (only ephemeral test buckets may set it, with an exemption).",
)
def s3_no_force_destroy(r: Resource):
    if is_true(r.get("forceDestroy")):
        yield "forceDestroy is true: deleting the bucket deletes all its objects"


# Other rule modules (the backup rules' log-destination check) read this one by its public name.
is_access_log_target = _is_access_log_target
