"""Security baseline config: the component's own settings model, with a profile per environment.

The settings are `components.security_baseline.SecurityBaselineSettings`, embedded as they are under
`groundwork:securityBaseline`; this module adds only what differs by environment and the rules that
need the environment or other areas.
"""

from __future__ import annotations

from components.security_baseline import SecurityBaselineSettings
from stacks.config.errors import ConfigIssue

# The security baseline's per-environment values live in stacks/config/profiles.py: retention
# follows each environment's log retention; prod keeps the audit trail immutable for a year
# (COMPLIANCE: not even the root user shortens it), staging for a month in GOVERNANCE mode so a
# rebuilt staging account can still be cleaned up by an administrator who bypasses governance.


def security_baseline_issues(
    environment: str, baseline: SecurityBaselineSettings, alarms_enabled: bool
) -> list[ConfigIssue]:
    """Rules across keys; each names the key to change."""
    issues: list[ConfigIssue] = []
    if environment == "local":
        if baseline.enabled:
            issues.append(
                ConfigIssue(
                    "securityBaseline.enabled",
                    True,
                    "must be false in local: CloudTrail, GuardDuty and Access Analyzer need AWS",
                )
            )
        return issues
    if baseline.enabled and not alarms_enabled:
        issues.append(
            ConfigIssue(
                "securityBaseline.enabled",
                True,
                "sends its alerts to the alarms SNS topic: set monitoring.alarms.enabled true, "
                "or securityBaseline.enabled false",
            )
        )
    trail = baseline.enabled and baseline.cloudtrail_enabled
    if environment == "prod" and trail and baseline.trail_object_lock_days is None:
        issues.append(
            ConfigIssue(
                "securityBaseline.trailObjectLockDays",
                None,
                "prod keeps its audit trail under Object Lock; e.g. 365",
            )
        )
    return issues
