"""Keep the shipped policy config files (`policy/config/<env>.json`) complete and in sync with the pack.

The JSON files are the configuration: edit them by hand to change an enforcement level, a
threshold or to add an exemption. They are in the Pulumi CLI's policy-config format, so each one
works as `pulumi preview --policy-pack policy --policy-pack-config policy/config/<env>.json`.
Because a policy's enforcement level can only be set per policy, and every policy must learn its
environment from its own config (the CLI hands each policy only its own entry), each file lists
every policy of the pack.

`python -m policy.envconfig` adds the policies a file is missing (at the environment's base level
for the rule's severity, below), drops entries for policies that no longer exist, and sets each
entry's `environment`; it keeps every level, threshold and exemption already in the file.

Base levels (the design's policy row): local and dev advisory; qa mandatory for high and critical;
staging and prod mandatory, except low-severity hygiene rules (descriptions, labels), which stay
advisory as in the target table's prod column. A rule's `enforce:dev=disabled` tag disables it in
local, dev and qa (e.g. Multi-AZ, which small environments skip on purpose); its `enforce:prod=` tag
sets staging and prod. The GW-EXEMPT policies that report suppressed
findings are advisory everywhere: an exemption must never block.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from policy.framework import ENVIRONMENTS, FRAMEWORK_POLICIES, Rule, load_rules

CONFIG_DIR = Path(__file__).resolve().parent / "config"
MANDATORY_FROM = {"local": None, "dev": None, "qa": "high", "staging": "medium", "prod": "medium"}
_RANK = {"low": 0, "medium": 1, "high": 2, "critical": 3}


def _severity_level(environment: str, severity: str) -> str:
    threshold = MANDATORY_FROM[environment]
    if threshold is None:
        return "advisory"
    return "mandatory" if _RANK[severity] >= _RANK[threshold] else "advisory"


def base_level(environment: str, rule: Rule) -> str:
    """The level a rule starts at in `environment`: by severity, refined by the rule's
    `enforce:dev=<level>` / `enforce:prod=<level>` tags (the target table's dev/prod column).
    The dev column can only disable a rule in local, dev and qa (those environments stay advisory
    otherwise, as the design says); the prod column sets staging and prod."""
    tags = dict(t.split("=", 1) for t in rule.tags if t.startswith("enforce:") and "=" in t)
    if environment in ("local", "dev", "qa") and tags.get("enforce:dev") == "disabled":
        return "disabled"
    prod_level = tags.get("enforce:prod")
    if environment in ("staging", "prod") and prod_level in ("advisory", "mandatory", "disabled"):
        return prod_level
    return _severity_level(environment, rule.severity)


def pack_default(environment: str) -> str:
    """The "all" entry: what a policy the file forgot would run at."""
    return "mandatory" if environment in ("staging", "prod") else "advisory"


def synced(environment: str, current: dict[str, Any] | None = None) -> dict[str, Any]:
    """The config for `environment`: `current` completed and pruned, never loosened or tightened."""
    current = dict(current or {})
    rules = load_rules()
    result: dict[str, Any] = {"all": current.get("all", pack_default(environment))}
    for name in sorted(rules) + list(FRAMEWORK_POLICIES):
        entry = current.get(name)
        entry = {"enforcementLevel": entry} if isinstance(entry, str) else dict(entry or {})
        if name in FRAMEWORK_POLICIES:
            entry["enforcementLevel"] = "advisory"
        else:
            entry.setdefault("enforcementLevel", base_level(environment, rules[name]))
        entry["environment"] = environment
        ordered = {"enforcementLevel": entry.pop("enforcementLevel"), "environment": entry.pop("environment")}
        result[name] = {**ordered, **dict(sorted(entry.items()))}
    return result


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
