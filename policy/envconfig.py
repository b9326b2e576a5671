"""The shipped policy config files (`policy/config/<env>.json`): the only place enforcement levels live.

The JSON files are the configuration: edit them by hand to change an enforcement level, a
threshold or to add an exemption. They are in the Pulumi CLI's policy-config format, so each one
works as `pulumi preview --policy-pack policy --policy-pack-config policy/config/<env>.json`.
Because a policy's enforcement level can only be set per policy, and every policy must learn its
environment from its own config (the CLI hands each policy only its own entry), each file lists
every policy of the pack.

`python -m policy.envconfig` adds the policies a file is missing (at the environment's base level
for the rule's severity, below), renames an entry written under a rule's old id to the rule's id,
drops entries for policies that no longer exist, and sets each entry's `environment`; it keeps
every level, threshold and exemption already in the file.

Base levels (the design's policy row), for a rule new to the files: local and dev advisory; qa
mandatory for high and critical; staging and prod mandatory from medium, low-severity hygiene rules
(descriptions, labels) advisory. A rule that should start elsewhere (disabled in small environments,
advisory in prod) gets its level edited in the files, where a reviewer sees it. The GW-EXEMPT
policies that report suppressed findings are advisory everywhere: an exemption must never block.

The pack reads one of these files on its own when the CLI is given none (`initial_config`, for the
environment `stack_environment` finds): forgetting `--policy-pack-config` gets the stack's own gate.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pulumi_policy import EnforcementLevel

from policy.framework import (
    ALIASES,
    DEFAULT_ENVIRONMENT,
    ENVIRONMENTS,
    FRAMEWORK_POLICIES,
    Rule,
    load_rules,
    resolve,
)

CONFIG_DIR = Path(__file__).resolve().parent / "config"
MANDATORY_FROM = {"local": None, "dev": None, "qa": "high", "staging": "medium", "prod": "medium"}
_RANK = {"low": 0, "medium": 1, "high": 2, "critical": 3}


def _severity_level(environment: str, severity: str) -> str:
    threshold = MANDATORY_FROM[environment]
    if threshold is None:
        return "advisory"
    return "mandatory" if _RANK[severity] >= _RANK[threshold] else "advisory"


def base_level(environment: str, rule: Rule) -> str:
    """The level a rule new to the files starts at in `environment`: by its severity alone."""
    return _severity_level(environment, rule.severity)


def pack_default(environment: str) -> str:
    """The "all" entry: what a policy the file forgot would run at."""
    return "mandatory" if environment in ("staging", "prod") else "advisory"


def synced(environment: str, current: dict[str, Any] | None = None) -> dict[str, Any]:
    """The config for `environment`: `current` completed and pruned, never loosened or tightened."""
    current = _renamed(dict(current or {}))
    rules = load_rules()
    result: dict[str, Any] = {"all": current.get("all", pack_default(environment))}
    for name in sorted(rules) + list(FRAMEWORK_POLICIES):
        entry = _entry(current.get(name))
        if name in FRAMEWORK_POLICIES:
            entry["enforcementLevel"] = "advisory"
        else:
            entry.setdefault("enforcementLevel", base_level(environment, rules[name]))
        entry["environment"] = environment
        ordered = {"enforcementLevel": entry.pop("enforcementLevel"), "environment": entry.pop("environment")}
        result[name] = {**ordered, **dict(sorted(entry.items()))}
    return result


def _entry(value: Any) -> dict[str, Any]:
    return {"enforcementLevel": value} if isinstance(value, str) else dict(value or {})


def _renamed(current: dict[str, Any]) -> dict[str, Any]:
    """`current` with every entry written under a rule's old id moved to the rule's id, merged the
    way the pack merges it (policy.framework.fold_aliases): the old entry's keys win."""
    result = {k: v for k, v in current.items() if k not in ALIASES}
    for old in sorted(k for k in current if k in ALIASES):
        new = resolve(old)
        result[new] = {**_entry(result.get(new)), **_entry(current[old])}
    return result


def stack_environment(environ: Mapping[str, str] = os.environ) -> str:
    """The environment of the stack the Pulumi CLI runs the pack for, decided as the program decides
    it (stacks.config.loader): the stack's `groundwork:environment` config, else the stack's name.

    The CLI starts the pack's process with the stack's config as JSON in PULUMI_CONFIG and its name
    in PULUMI_STACK (both launch paths: the language host's policy proxy and the legacy
    `pulumi-analyzer-policy-python` plugin). No stack at all (`pulumi policy publish`), or one whose
    name and config name no environment, is judged as prod: the strictest gate, never the loosest."""
    try:
        config = json.loads(environ.get("PULUMI_CONFIG") or "{}")
    except ValueError:
        config = {}
    named = config.get("groundwork:environment") if isinstance(config, dict) else None
    stack = (environ.get("PULUMI_STACK") or "").rsplit("/", 1)[-1]
    candidate = named if isinstance(named, str) and named else stack
    return candidate if candidate in ENVIRONMENTS else DEFAULT_ENVIRONMENT


def initial_config(environment: str) -> dict[str, Any]:
    """`policy/config/<environment>.json` as pulumi_policy's `initial_config` for the pack.

    The CLI reconciles a pack's config as: each policy's schema defaults and own level, then the
    pack's initial config, then the `--policy-pack-config` file. With no file the pack therefore runs
    at exactly this environment's levels, thresholds and exemptions; a file still overrides every
    entry it names, as before. Every entry carries its level (the CLI reads a missing one as
    advisory)."""
    raw = _renamed(json.loads(path_for(environment).read_text()))
    config: dict[str, Any] = {}
    for name, value in raw.items():
        entry = _entry(value)
        level = entry.get("enforcementLevel") or pack_default(environment)
        config[name] = {**entry, "enforcementLevel": EnforcementLevel(level)}
    return config


def render(config: dict[str, Any]) -> str:
    """One policy per line, so a diff shows exactly which rule changed."""
    lines = [f"  {json.dumps(key)}: {json.dumps(value)}" for key, value in config.items()]
    return "{\n" + ",\n".join(lines) + "\n}\n"


def path_for(environment: str) -> Path:
    return CONFIG_DIR / f"{environment}.json"


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    check = "--check" in args
    stale = []
    for env in ENVIRONMENTS:
        path = path_for(env)
        current = json.loads(path.read_text()) if path.exists() else {}
        text = render(synced(env, current))
        if path.exists() and path.read_text() == text:
            continue
        stale.append(path)
        if not check:
            path.write_text(text)
    if check and stale:
        names = ", ".join(str(p) for p in stale)
        print(f"stale policy config: {names} (run python -m policy.envconfig)")
        return 1
    for path in stale if not check else []:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
