"""Object storage as the program sends it: prod (S3, replication, backup, alarms, an app bound to two
buckets) and local (SeaweedFS, the same binding keys), each built once for this module."""

from __future__ import annotations

import json

import pytest

from components.app_buckets import BUCKET_KEYS, OBJECT_ACTIONS
from components.bucket import tls_only_policy
from components.object_store import replication_policy
from policy.analyzer import evaluate
from stacks.preflight.capture import Capture
from stacks.preflight.runner import capture_stack
from tests.test_monitoring import RUNBOOKS, github_anchors

DIGEST = "sha256:" + "ab" * 32
BUCKETS = {"datalake": {"purpose": "datalake"}, "assets": {"purpose": "assets"}}
LAKE_APP = {
    "image": {"repository": "lake", "tag": "1.0.0", "digest": DIGEST},
    "replicas": {"min": 3, "max": 4},
    "uses": ["datalake", "assets"],
}
LOCAL_APP = {"image": {"repository": "lake", "tag": "1.0.0"}, "uses": ["datalake"]}
BUCKET = "aws:s3/bucket:Bucket"
SECRET = "kubernetes:core/v1:Secret"


@pytest.fixture(scope="module")
def prod() -> Capture:
    return capture_stack(
        "prod", overrides={"groundwork:buckets": BUCKETS, "groundwork:apps": {"lake": LAKE_APP}}
    )


@pytest.fixture(scope="module")
def local() -> Capture:
    return capture_stack(
        "local", overrides={"groundwork:buckets": BUCKETS, "groundwork:apps": {"lake": LOCAL_APP}}
    )


def _one(capture: Capture, type_: str, name: str) -> dict:
    (found,) = [r for r in capture.of_type(type_) if r.name == name]
    return found.props


def _physical(capture: Capture, name: str) -> str:
    """The mock's physical bucket name, as the app's Secret received it."""
    return _one(capture, SECRET, f"{capture.stack}-app-lake-bucket-{name}")["stringData"]["bucket"]


# --- S3: security properties --------------------------------------------------------------------


def test_bucket_blocks_every_kind_of_public_access(prod):
    props = _one(prod, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "prod-objects-datalake")
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    assert {k: props[k] for k in flags} == dict.fromkeys(flags, True)


def test_bucket_owner_owns_every_object(prod):
    props = _one(prod, "aws:s3/bucketOwnershipControls:BucketOwnershipControls", "prod-objects-datalake")
    assert props["rule"] == {"objectOwnership": "BucketOwnerEnforced"}


SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"


def _sse_key(capture: Capture, name: str) -> str:
    return _one(capture, SSE, name)["rules"][0]["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"]


def test_bucket_encrypts_with_the_stack_key_and_a_bucket_key(prod):
    key_arn = _sse_key(prod, "prod-backups-exports")  # Backups encrypts with the stack key
    assert key_arn.startswith("arn:aws:kms:")
    props = _one(prod, SSE, "prod-objects-datalake")
    assert props["rules"] == [
        {
            "bucketKeyEnabled": True,
            "applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key_arn},
        }
    ]


def test_bucket_policy_denies_plain_http_and_tls_below_1_2(prod):
    arn = f"arn:aws:s3:::{_physical(prod, 'datalake')}"
    props = _one(prod, "aws:s3/bucketPolicy:BucketPolicy", "prod-objects-datalake")
    assert json.loads(props["policy"]) == json.loads(tls_only_policy(arn))


def test_bucket_is_versioned_and_protected(prod):
    versioning = _one(prod, "aws:s3/bucketVersioning:BucketVersioning", "prod-objects-datalake")
    assert versioning["versioningConfiguration"] == {"status": "Enabled"}
    assert all(r.protect for r in prod.of_type(BUCKET) if r.name.startswith("prod-objects-"))


def test_bucket_logs_into_the_stacks_access_log_bucket(prod):
    (logs,) = [r for r in prod.of_type(BUCKET) if r.name == "prod-backups-access-logs"]
    (entry,) = [
        r for r in prod.of_type("aws:s3/bucketLogging:BucketLogging") if r.name == "prod-objects-datalake"
    ]
    assert entry.props["targetPrefix"] == "datalake/"
    assert entry.property_dependencies["targetBucket"] == [logs.urn]


def test_datalake_tiers_keeps_and_cleans_up(prod):
    props = _one(
        prod, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "prod-objects-datalake"
    )
    (rule,) = props["rules"]
    assert "expiration" not in rule
    assert rule["transitions"] == [{"days": 0, "storageClass": "INTELLIGENT_TIERING"}]
    assert rule["noncurrentVersionExpiration"] == {"noncurrentDays": 30}
    assert rule["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 7}


def test_request_metrics_cover_each_whole_bucket(prod):
    metrics = {r.name: r.props for r in prod.of_type("aws:s3/bucketMetric:BucketMetric")}
    assert sorted(metrics) == ["prod-objects-assets-metrics", "prod-objects-datalake-metrics"]
    assert {m["name"] for m in metrics.values()} == {"EntireBucket"} and all(
        "filter" not in m for m in metrics.values()
    )


@pytest.mark.parametrize("metric, threshold", [("4xxErrors", 200), ("5xxErrors", 10)])
def test_error_spike_alarms_page_the_alarm_topic(prod, metric, threshold):
    alarm = _one(prod, "aws:cloudwatch/metricAlarm:MetricAlarm", f"prod-objects-datalake-{metric[0]}xx")
    topic = prod.outputs["alarm_topic_arn"]
    assert (alarm["namespace"], alarm["metricName"], alarm["threshold"], alarm["period"]) == (
        "AWS/S3",
        metric,
        threshold,
        300,
    )
    assert alarm["dimensions"] == {"BucketName": _physical(prod, "datalake"), "FilterId": "EntireBucket"}
    assert alarm["alarmActions"] == [topic]
    assert f"object-storage.md#bucket-{metric[0]}xx-errors" in alarm["alarmDescription"]


# --- prod: a second copy of every bucket ----------------------------------------------------------


def test_assets_join_the_backup_selection_and_the_datalake_does_not(prod):
    tags = {r.name: r.props["tags"] for r in prod.of_type(BUCKET)}
    assert tags["prod-objects-assets"]["backup"] == "true"
    assert "backup" not in tags["prod-objects-datalake"]


def test_the_exports_bucket_joins_the_backup_selection(prod):
    assert _one(prod, BUCKET, "prod-backups-exports")["tags"]["backup"] == "true"


def test_the_backup_role_has_the_s3_backup_and_restore_policies(prod):
    arns = {r.props["policyArn"] for r in prod.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")}
    assert {
        "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Backup",
        "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Restore",
    } <= arns


def test_datalake_replicates_to_a_replica_in_the_dr_region_under_its_own_key(prod):
    (replica,) = [r for r in prod.of_type(BUCKET) if r.name == "prod-objects-datalake-replica"]
    dr_key = prod.named("prod-objects-dr-key")
    dr_provider = prod.named("prod-aws-dr")
    assert replica.provider.startswith(dr_provider.urn) and dr_key.provider.startswith(dr_provider.urn)
    (config,) = prod.of_type("aws:s3/bucketReplicationConfig:BucketReplicationConfig")
    (rule,) = config.props["rules"]
    assert rule["status"] == "Enabled" and rule["deleteMarkerReplication"] == {"status": "Enabled"}
    assert rule["sourceSelectionCriteria"] == {"sseKmsEncryptedObjects": {"status": "Enabled"}}
    assert rule["destination"]["bucket"].startswith("arn:aws:s3:::prod-objects-datalake-replica-")
    assert {replica.urn, dr_key.urn} <= set(config.property_dependencies["rules"])


def test_replication_role_may_only_read_this_bucket_and_write_its_replica(prod):
    (config,) = prod.of_type("aws:s3/bucketReplicationConfig:BucketReplicationConfig")
    (rule,) = config.props["rules"]
    policy = json.loads(
        _one(prod, "aws:iam/rolePolicy:RolePolicy", "prod-objects-datalake-replication")["policy"]
    )
    source_key = _sse_key(prod, "prod-objects-datalake")
    assert policy == replication_policy(
        source_arn=f"arn:aws:s3:::{_physical(prod, 'datalake')}",
        replica_arn=rule["destination"]["bucket"],
        source_key_arn=source_key,
        replica_key_arn=rule["destination"]["encryptionConfiguration"]["replicaKmsKeyId"],
        region="eu-west-1",
        dr_region="eu-central-1",
        object_lock=False,
    )


def test_replication_role_is_assumed_by_s3_for_this_account_only(prod):
    trust = json.loads(
        _one(prod, "aws:iam/role:Role", "prod-objects-datalake-replication")["assumeRolePolicy"]
    )
    (statement,) = trust["Statement"]
    assert statement["Principal"] == {"Service": "s3.amazonaws.com"}
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}


def test_prod_with_buckets_passes_prods_gate(prod):
    report = evaluate(prod, "prod")
    assert [(f.rule_id, f.resource_name, f.message) for f in report.blocking] == []


# --- apps: least privilege and one Secret key set -------------------------------------------------


def test_app_role_may_use_its_own_prefix_of_each_bucket_only(prod):
    policy = json.loads(_one(prod, "aws:iam/rolePolicy:RolePolicy", "prod-app-lake-role-policy")["policy"])
    lake = f"arn:aws:s3:::{_physical(prod, 'datalake')}"
    statements = {s["Sid"]: s for s in policy["Statement"]}
    assert statements["ListDatalakeOwnPrefix"] == {
        "Sid": "ListDatalakeOwnPrefix",
        "Effect": "Allow",
        "Action": "s3:ListBucket",
        "Resource": lake,
        "Condition": {"StringLike": {"s3:prefix": ["lake/", "lake/*"]}},
    }
    assert statements["ObjectsDatalakeOwnPrefix"]["Resource"] == f"{lake}/lake/*"
    assert statements["ObjectsDatalakeOwnPrefix"]["Action"] == list(OBJECT_ACTIONS)
    assert statements["KeyDatalakeThroughS3"]["Condition"] == {
        "StringEquals": {
            "kms:ViaService": "s3.eu-west-1.amazonaws.com",
            "kms:EncryptionContext:aws:s3:arn": lake,
        }
    }
    assert all(s["Resource"] != "*" for s in policy["Statement"])


def test_binding_secrets_have_the_same_keys_on_s3_and_on_the_local_server(prod, local):
    on_s3 = _one(prod, SECRET, "prod-app-lake-bucket-datalake")["stringData"]
    on_local = _one(local, SECRET, "local-app-lake-bucket-datalake")["stringData"]
    assert set(on_s3) == set(on_local) == set(BUCKET_KEYS)


def test_s3_binding_carries_no_credentials(prod):
    values = _one(prod, SECRET, "prod-app-lake-bucket-datalake")["stringData"]
    assert (values["accessKeyId"], values["secretAccessKey"], values["pathStyle"]) == ("", "", "false")
    assert values["endpoint"] == "https://s3.eu-west-1.amazonaws.com"


def test_binding_secret_travels_as_a_pulumi_secret(prod, local):
    assert prod.named("prod-app-lake-bucket-datalake").is_secret("stringData")
    assert local.named("local-app-lake-bucket-datalake").is_secret("stringData")


# --- local: SeaweedFS ---------------------------------------------------------------------------


def test_local_binding_uses_path_style_and_the_apps_own_credentials(local):
    values = _one(local, SECRET, "local-app-lake-bucket-datalake")["stringData"]
    assert values["endpoint"] == "http://local-objects.apps.svc.cluster.local:8333"
    assert (values["pathStyle"], values["bucket"], values["prefix"]) == ("true", "local-datalake", "lake/")
    identities = json.loads(_one(local, SECRET, "local-objects-config")["stringData"]["s3.json"])[
        "identities"
    ]
    (mine,) = [i for i in identities if i["name"] == "lake"]
    assert mine["credentials"] == [
        {"accessKey": values["accessKeyId"], "secretKey": values["secretAccessKey"]}
    ]
    assert mine["actions"] == [f"{a}:local-datalake" for a in ("Read", "Write", "List", "Tagging")]


def test_local_server_is_pinned_restricted_and_persistent(local):
    spec = _one(local, "kubernetes:apps/v1:StatefulSet", "local-objects-statefulset")["spec"]
    (container,) = spec["template"]["spec"]["containers"]
    assert container["image"] == "chrislusf/seaweedfs:4.47"
    context = container["securityContext"]
    assert (
        context["runAsNonRoot"],
        context["readOnlyRootFilesystem"],
        context["allowPrivilegeEscalation"],
    ) == (
        True,
        True,
        False,
    )
    assert context["capabilities"] == {"drop": ["ALL"]}
    (claim,) = spec["volumeClaimTemplates"]
    assert claim["spec"]["resources"]["requests"] == {"storage": "10Gi"}


def test_local_server_admits_s3_from_the_apps_that_use_buckets_only(local):
    policy = _one(local, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "local-objects-allow-apps")["spec"]
    (rule,) = policy["ingress"]
    assert rule["from"] == [
        {
            "podSelector": {
                "matchLabels": {"app.kubernetes.io/name": "lake", "app.kubernetes.io/instance": "lake"}
            }
        }
    ]
    assert rule["ports"] == [{"port": 8333, "protocol": "TCP"}]


def test_local_job_creates_every_bucket(local):
    (job,) = [r for r in local.of_type("kubernetes:batch/v1:Job") if r.name == "local-objects-buckets"]
    (container,) = job.props["spec"]["template"]["spec"]["containers"]
    script = container["command"][-1]
    assert (
        "s3.bucket.create -name local-assets" in script and "s3.bucket.create -name local-datalake" in script
    )


@pytest.mark.parametrize("anchor", ["bucket-4xx-errors", "bucket-5xx-errors"])
def test_each_bucket_alarm_has_its_runbook_section(anchor):
    assert anchor in github_anchors((RUNBOOKS / "object-storage.md").read_text())
