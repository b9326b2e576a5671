"""How each environment differs from the secure production shape: the only per-environment override.

Every setting's default lives on its model (the components' settings, `stacks/config/*.py` for the
stack's own switches) and is what prod runs. A profile lists, per environment and per top-level
key of the stack config, only the values that differ; a stack file's `groundwork:<area>` keys are
merged over the profile key by key. `docs/config.md` shows the result for every environment.
"""

from __future__ import annotations

import copy
from typing import Any

# Budgets are the seed plans' monthly estimates (design.md environment table); qa sits with dev.
PROFILES: dict[str, dict[str, Any]] = {
    "local": {
        "protectStatefulResources": False,
        "network": {"enabled": False},
        "cluster": {
            "mode": "local",
            "deletionProtection": False,
            "storageReclaimPolicy": "Delete",
            "addons": {"certManagerIssuer": "self-signed", "highAvailability": False},
        },
        "monitoring": {
            "prometheusRetentionDays": 3,
            "prometheusStorageGi": 5,
            "prometheusReplicas": 1,
            "alertmanagerReplicas": 1,
            "grafanaStorageGi": 1,
            "logs": "stdout",
            "alarms": {"enabled": False},
        },
        "postgres": {"backend": "inCluster"},
        "redis": {"backend": "inCluster"},
        "kafka": {"backend": "inCluster"},
        "backups": {"enabled": False},
        "securityBaseline": {"enabled": False},
    },
    "dev": {
        "protectStatefulResources": False,
        "network": {
            "cidr": "10.10.0.0/16",
            "azCount": 2,
            "natGateways": "single",
            "interfaceEndpoints": False,
            "flowLogRetentionDays": 30,
        },
        "cluster": {
            "deletionProtection": False,
            "logRetentionDays": 30,
            "storageReclaimPolicy": "Delete",
            "nodeGroups": {
                "general": {
                    "instanceTypes": ["t3.medium"],
                    "minSize": 2,
                    "maxSize": 3,
                    "desiredSize": 2,
                    "diskSizeGib": 50,
                }
            },
            "addons": {"certManagerIssuer": "letsencrypt-staging", "highAvailability": False},
        },
        # The managed groups most prone to false positives on API bodies count in dev (their matches are
        # logged, not blocked) so a team sees what prod would block; IP reputation and known bad inputs
        # block everywhere.
        "edge": {
            "waf": {"countRuleGroups": ["common", "sqlInjection"], "logRetentionDays": 30},
            "accessLogs": {"expiryDays": 30},
        },
        "postgres": {
            "instanceClass": "db.t3.micro",
            "allocatedStorageGb": 20,
            "maxAllocatedStorageGb": 50,
            "multiAz": False,
            "backupRetentionDays": 7,
            "logRetentionDays": 30,
        },
        "redis": {
            "nodeType": "cache.t4g.micro",
            "replicas": 0,
            "multiAz": False,
            "snapshotRetentionDays": 7,
            "logRetentionDays": 30,
        },
        # MSK rejects kafka.t3.small for Kafka 4.x (KRaft); dev and qa keep the seed budget on 3.9.x.
        "kafka": {
            "kafkaVersion": "3.9.x",
            "brokerCount": 2,
            "instanceType": "kafka.t3.small",
            "volumeSizeGb": 20,
            "maxVolumeSizeGb": 100,
            "logRetentionDays": 30,
        },
        "monitoring": {
            "prometheusRetentionDays": 7,
            "prometheusStorageGi": 20,
            "prometheusReplicas": 1,
            "alertmanagerReplicas": 1,
            "logRetentionDays": 30,
        },
        "backups": {
            "retentionDays": 7,
            "vaultLock": False,
            "exportsExpiryDays": 90,
            "exportsObjectLockDays": None,
            "restoreTestSchedule": None,
        },
        "securityBaseline": {
            "trailLogRetentionDays": 30,
            "trailBucketExpiryDays": 90,
            "trailObjectLockDays": None,
            "findingMinSeverity": 7.0,
        },
    },
    "staging": {
        "protectStatefulResources": False,
        "network": {
            "cidr": "10.30.0.0/16",
            "natGateways": "single",
            "interfaceEndpoints": False,
            "flowLogRetentionDays": 90,
        },
        "cluster": {
            "deletionProtection": False,
            "logRetentionDays": 90,
            "nodeGroups": {
                "general": {"instanceTypes": ["t3.medium"], "maxSize": 5, "desiredSize": 3, "diskSizeGib": 50}
            },
            "addons": {"highAvailability": False},
        },
        "edge": {"waf": {"logRetentionDays": 90}, "accessLogs": {"expiryDays": 90}},
        "postgres": {
            "instanceClass": "db.t3.medium",
            "allocatedStorageGb": 100,
            "maxAllocatedStorageGb": 200,
            "multiAz": False,
            "backupRetentionDays": 14,
            "logRetentionDays": 90,
        },
        "redis": {"nodeType": "cache.t4g.small", "snapshotRetentionDays": 14, "logRetentionDays": 90},
        "kafka": {"volumeSizeGb": 100, "maxVolumeSizeGb": 500, "logRetentionDays": 90},
        "monitoring": {
            "prometheusRetentionDays": 15,
            "prometheusStorageGi": 50,
            "prometheusReplicas": 1,
            "alertmanagerReplicas": 1,
            "logRetentionDays": 90,
        },
        "backups": {
            "retentionDays": 14,
            "vaultLock": False,
            "exportsExpiryDays": 180,
            "exportsObjectLockDays": None,
        },
        "securityBaseline": {
            "trailLogRetentionDays": 90,
            "trailBucketExpiryDays": 180,
            "trailObjectLockDays": 30,
            "trailObjectLockMode": "GOVERNANCE",
            "findingMinSeverity": 7.0,
        },
    },
    "prod": {
        "backups": {"drRegion": "eu-central-1"},
    },
}


def _derived(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """`base` with `changes` merged in key by key (a new dict; `base` is untouched)."""
    merged = copy.deepcopy(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _derived(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


# qa is dev's shape ("small") in its own address range, on Spot across two interchangeable types: qa
# tolerates an interruption, and Spot costs a fraction of On-Demand.
PROFILES["qa"] = _derived(
    PROFILES["dev"],
    {
        "network": {"cidr": "10.20.0.0/16"},
        "cluster": {
            "nodeGroups": {"general": {"instanceTypes": ["t3.medium", "t3a.medium"], "capacityType": "SPOT"}}
        },
    },
)


def profile(environment: str) -> dict[str, Any]:
    """The profile of one environment (a copy: callers merge stack files into it): the areas above,
    the seed plan's budget and the usage assumptions behind the cost estimate."""
    from stacks.config.cost import BUDGET_PROFILES, COST_PROFILES

    merged = copy.deepcopy(PROFILES[environment])
    for area, profiles in (("budget", BUDGET_PROFILES), ("cost", COST_PROFILES)):
        if profiles.get(environment):
            merged[area] = copy.deepcopy(profiles[environment])
    return merged
