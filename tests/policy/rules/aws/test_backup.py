"""policy/rules/aws/backup.py: each rule fires on a broken copy of a compliant vault, plan, vault stack
or the compliant prod stack (recovery coverage), and stays silent on the compliant original."""

import pytest

from tests.policy._cases import DROP, baseline_fired, fired, patched, replaced, res, stack_fired, without
from tests.policy.rules._stack import ALLOW_EU, RDS, STACK, compliant_findings
from tests.policy.rules.aws._baselines import KEY

VAULT = "aws:backup/vault:Vault"
PLAN = "aws:backup/plan:Plan"

BASELINES = {
    VAULT: {"kmsKeyArn": KEY, "forceDestroy": False},
    PLAN: {
        "rules": [
            {
                "ruleName": "daily",
                "targetVaultName": "prod",
                "schedule": "cron(0 3 * * ? *)",
                "enableContinuousBackup": True,
                "lifecycle": {"deleteAfter": 30.0},
                "copyActions": [
                    {"destinationVaultArn": "arn:aws:backup:eu-central-1:123456789012:backup-vault:dr"}
                ],
            }
        ],
        "region": "eu-west-1",
    },
}

RESOURCE_CASES = [
    ("AWS-BACKUP-001", VAULT, {"kmsKeyArn": DROP}),
    ("AWS-BACKUP-002", PLAN, {"rules.0.lifecycle": {"deleteAfter": 1.0}}),
    ("AWS-BACKUP-002", PLAN, {"rules.0.copyActions": []}),
    ("AWS-BACKUP-002", PLAN, {"rules.0.schedule": DROP}),
    ("AWS-BACKUP-005", VAULT, {"forceDestroy": True}),
]


def _case_id(case):
    return f"{case[0]}-{case[1].rsplit(':', 1)[1]}-{'+'.join(case[2])}"


@pytest.mark.parametrize("rule_id, type_, overrides", RESOURCE_CASES, ids=map(_case_id, RESOURCE_CASES))
def test_rule_fires_on_broken_resource(rule_id, type_, overrides):
    assert rule_id in fired(type_, patched(BASELINES[type_], overrides))


@pytest.mark.parametrize("rule_id, type_", sorted({(c[0], c[1]) for c in RESOURCE_CASES}))
def test_rule_is_silent_on_compliant_resource(rule_id, type_):
    assert rule_id not in baseline_fired(type_, BASELINES[type_])


def test_backup_copy_action_is_required_only_where_configured():
    props = patched(BASELINES[PLAN], {"rules.0.copyActions": [], "rules.0.enableContinuousBackup": False})
    assert "AWS-BACKUP-002" not in fired(PLAN, props, environment="dev")


VAULT_STACK = [
    res(VAULT, "vault", {**BASELINES[VAULT], "name": "prod-vault"}),
    res(
        "aws:backup/vaultLockConfiguration:VaultLockConfiguration",
        "vault-lock",
        {"backupVaultName": "prod-vault", "minRetentionDays": 30.0},
    ),
    res(
        "aws:backup/vaultPolicy:VaultPolicy",
        "vault-policy",
        {
            "backupVaultName": "prod-vault",
            "policy": (
                '{"Statement":[{"Effect":"Deny","Principal":"*","Action":["backup:DeleteRecoveryPoint"],'
                '"Resource":"*"}]}'
            ),
        },
    ),
]

VAULT_CASES = [
    ("AWS-BACKUP-003", lambda s: without(s, "vault-lock")),
    ("AWS-BACKUP-004", lambda s: without(s, "vault-policy")),
]


@pytest.mark.parametrize("rule_id, breaks", VAULT_CASES, ids=[c[0] for c in VAULT_CASES])
def test_vault_rule_fires_on_broken_vault_stack(rule_id, breaks):
    assert rule_id in stack_fired(breaks(VAULT_STACK))


@pytest.mark.parametrize("rule_id", [c[0] for c in VAULT_CASES])
def test_vault_rule_is_silent_on_compliant_vault_stack(rule_id):
    assert rule_id not in stack_fired(VAULT_STACK)


COVERAGE_CASES = [
    lambda s: without(s, "backup-selection"),
    lambda s: replaced(s, "kafka", {"tags.recovery": DROP}),
]


@pytest.mark.parametrize("breaks", COVERAGE_CASES, ids=["database-not-selected", "kafka-without-recovery"])
def test_recovery_coverage_fires_on_broken_stack(breaks):
    assert "STACK-BACKUP-001" in stack_fired(breaks(STACK), config=ALLOW_EU)


def test_recovery_coverage_is_silent_on_compliant_stack():
    assert "STACK-BACKUP-001" not in compliant_findings()


def test_a_read_replica_needs_no_backup_selection():
    replica = res(RDS, "replica", {"replicateSourceDb": "db", "instanceClass": "db.t3.large"})
    assert "STACK-BACKUP-001" not in stack_fired([replica])


# --- STACK-BACKUP-002: data buckets in prod are replicated or backed up ---------------------------

BUCKET = "aws:s3/bucket:Bucket"
SELECTION = res(
    "aws:backup/selection:Selection",
    "backup-selection",
    {"iamRoleArn": "arn:role", "selectionTags": [{"type": "STRINGEQUALS", "key": "backup", "value": "true"}]},
)
BUCKET_STACK = [
    SELECTION,
    res(BUCKET, "assets", {"bucket": "assets", "tags": {"backup": "true"}}),
    res(BUCKET, "lake", {"bucket": "lake", "tags": {}}),
    res(BUCKET, "lake-replica", {"bucket": "lake-replica", "tags": {}}),
    res(
        "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
        "lake-replication",
        {
            "bucket": "lake",
            "role": "arn:role",
            "rules": [{"status": "Enabled", "destination": {"bucket": "arn:aws:s3:::lake-replica"}}],
        },
    ),
    res(BUCKET, "trail", {"bucket": "trail", "tags": {}}),
    res(
        "aws:s3/bucketPolicy:BucketPolicy",
        "trail-policy",
        {
            "bucket": "trail",
            "policy": '{"Statement":[{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},'
            '"Action":"s3:PutObject","Resource":"arn:aws:s3:::trail/*"}]}',
        },
    ),
    res(BUCKET, "cache", {"bucket": "cache", "tags": {"recovery": "rebuilt-from-source"}}),
]
BUCKET_CASES = [
    ("backup-tag-removed", lambda s: replaced(s, "assets", {"tags.backup": DROP})),
    ("replication-disabled", lambda s: replaced(s, "lake-replication", {"rules.0.status": "Disabled"})),
    ("replication-removed", lambda s: without(s, "lake-replication")),
    ("selection-removed", lambda s: without(s, "backup-selection")),
    ("recovery-tag-removed", lambda s: replaced(s, "cache", {"tags.recovery": DROP})),
    ("log-policy-removed", lambda s: without(s, "trail-policy")),
]


@pytest.mark.parametrize("breaks", [c[1] for c in BUCKET_CASES], ids=[c[0] for c in BUCKET_CASES])
def test_bucket_recovery_fires_on_a_data_bucket_without_a_copy(breaks):
    assert "STACK-BACKUP-002" in stack_fired(breaks(BUCKET_STACK))


def test_bucket_recovery_is_silent_on_replicated_backed_up_log_and_rebuildable_buckets():
    assert "STACK-BACKUP-002" not in stack_fired(BUCKET_STACK)


def test_bucket_recovery_applies_in_prod_only_by_default():
    assert "STACK-BACKUP-002" not in stack_fired(without(BUCKET_STACK, "backup-selection"), environment="dev")
