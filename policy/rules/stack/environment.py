"""The stack rule that the policy config in use is the stack's own environment's (STACK-ENV-002).

The pack's levels come from the config file the operator passes; the stack itself says which
environment it is: every AWS resource carries an `environment` tag (its own or its provider's
default tags) and every Kubernetes Namespace an `environment` label. Without a file the pack loads
the stack's own config (policy/__main__.py); this rule covers the other mistake, a file for another
environment, and is mandatory in every shipped file so that no file can let it through.
"""

from __future__ import annotations

from collections.abc import Iterator

from policy.framework import Resource, Stack, stack_rule
from policy.helpers import provider_default_tags

NAMESPACE = "kubernetes:core/v1:Namespace"


def _named_environment(stack: Stack, r: Resource) -> str | None:
    """The environment `r` says it belongs to, if it says one."""
    if r.type == NAMESPACE:
        labels = r.peek("metadata.labels") or {}
        value = labels.get("environment") if isinstance(labels, dict) else None
    elif r.type.startswith("aws:"):
        own = r.peek("tags") or {}
        tags = {**provider_default_tags(stack, r), **(own if isinstance(own, dict) else {})}
        value = tags.get("environment")
    else:
        return None
    return value if isinstance(value, str) and value else None


def stack_environments(stack: Stack) -> dict[str, Resource]:
    """Each environment the stack's resources name, with the first resource that names it."""
    named: dict[str, Resource] = {}
    for r in stack.resources:
        env = _named_environment(stack, r)
        if env is not None:
            named.setdefault(env, r)
    return named


@stack_rule(
    id="STACK-ENV-002",
    title="The policy config is the stack's own environment's",
    severity="critical",
    description="The environments the stack's resources name (the `environment` tag of every AWS "
    "resource, its own tags over its provider's `defaultTags`, and the `environment` label of every "
    "Kubernetes Namespace) include the environment the policy config is for. A stack whose resources "
    "name no environment passes; a stack that names several is STACK-ENV-001's finding.",
    rationale="Enforcement levels come from the config file passed to the CLI. The dev file on the prod "
    "stack runs prod's deployment at dev's advisory levels: every violation is reported and none blocks. "
    "The stack says which environment it is; this rule makes the mismatch block, whichever file is used.",
    remediation="Pass `--policy-pack-config policy/config/<env>.json` for the stack's own environment (or "
    "no file: the pack then loads the stack's own config by itself).",
)
def config_is_the_stacks(stack: Stack) -> Iterator[tuple[Resource | None, str]]:
    named = stack_environments(stack)
    if named and stack.environment not in named:
        envs = ", ".join(sorted(named))
        first = min(named)
        yield (
            named[first],
            f"the stack's resources belong to {envs}, but the policy config is {stack.environment}'s: run "
            f"with --policy-pack-config policy/config/{first}.json",
        )
