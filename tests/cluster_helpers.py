"""Small readers over a Capture for the cluster tests."""

from __future__ import annotations

import json
from typing import Any

from stacks.preflight.capture import Capture, CapturedResource

AWS_STACKS = ("dev", "qa", "staging", "prod")


def one(capture: Capture, type_token: str) -> CapturedResource:
    found = capture.of_type(type_token)
    assert len(found) == 1, f"{len(found)} resources of {type_token} in {capture.stack}"
    return found[0]


def policy(resource: CapturedResource, key: str = "policy") -> dict[str, Any]:
    value = resource.props[key]
    return json.loads(value) if isinstance(value, str) else value


PLATFORM_COMPONENTS = ("groundwork:addons:PlatformAddons", "groundwork:cluster:")


def platform_owned(resource: CapturedResource) -> bool:
    """Whether the cluster area (cluster or its add-ons) created `resource`, not a later area. A URN
    names only the immediate parent's type, so the add-on namespaces (AppNamespace components under
    PlatformAddons) are recognised through their parent's URN."""
    paths = [resource.urn.split("::")[2]] + ([resource.parent.split("::")[2]] if resource.parent else [])
    return any(marker in path for path in paths for marker in PLATFORM_COMPONENTS)


def charts(capture: Capture) -> dict[str, CapturedResource]:
    """The platform add-ons' charts by chart name (monitoring and backups add charts of their own)."""
    return {r.props["chart"]: r for r in capture.of_type("kubernetes:helm.sh/v4:Chart") if platform_owned(r)}


def role_policy_for(capture: Capture, role: CapturedResource) -> dict[str, Any]:
    """The inline policy attached to `role` (RolePolicy named after the role)."""
    matches = [r for r in capture.of_type("aws:iam/rolePolicy:RolePolicy") if r.name == f"{role.name}-policy"]
    assert len(matches) == 1, f"no inline policy for {role.name}"
    return policy(matches[0])


def managed_policies_for(capture: Capture, role: CapturedResource) -> list[str]:
    return [
        r.props["policyArn"]
        for r in capture.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if r.name.startswith(f"{role.name}-")
    ]
