"""Generate docs/config.md from the config models: every key a stack file can set, with its type, its
value in each environment, its bounds and its description.

`python -m stacks.config.docs` writes the page; `python -m stacks.config.docs --check` fails when it is
stale (a test runs the check; `make docs` regenerates it with the other generated pages). Nothing in
the page is written by hand: the types, bounds and descriptions come from `StackConfig`'s JSON schema
(the components' own settings models), and the values per environment from loading each environment's
profile (`stacks/config/profiles.py`) over the models' defaults.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stacks.config.base import ENVIRONMENTS
from stacks.config.loader import NAMESPACE, deep_merge
from stacks.config.model import StackConfig
from stacks.config.profiles import profile

DOC = Path(__file__).resolve().parents[2] / "docs" / "config.md"
# Keys of StackConfig that a stack file does not set under `groundwork:` as they are named.
NOT_KEYS = {"stack"}
FOREIGN = {"region": "aws:region"}
# Required keys without a default: placeholders so each profile loads on its own.
PLACEHOLDERS = {"tags": {"owner": "your-team", "costCenter": "your-cost-center"}}
MISSING = "—"
REQUIRED = "required"
# A section's own switches come first in its table.
SWITCHES = ("enabled", "mode")


@dataclass(frozen=True)
class Row:
    key: str
    type: str
    values: tuple[str, ...]
    bounds: str
    description: str


def profile_configs() -> dict[str, dict[str, Any]]:
    """Each environment's config from its profile alone (no stack file), as stack files spell keys."""
    configs = {}
    for env in ENVIRONMENTS:
        data = deep_merge(PLACEHOLDERS, profile(env))
        data.update(stack=env, environment=env)
        configs[env] = StackConfig.model_validate(data).model_dump(mode="json", by_alias=True)
    return configs


def _resolve(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        return _resolve(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
    return schema


def _optional(schema: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """(the non-null alternative, whether null is allowed)."""
    options = schema.get("anyOf")
    if options and any(o.get("type") == "null" for o in options):
        rest = [o for o in options if o.get("type") != "null"]
        if len(rest) == 1:
            return rest[0], True
    return schema, False


def _type(schema: dict[str, Any], defs: dict[str, Any]) -> str:
    schema, optional = _optional(schema)
    if "$ref" in schema:
        text = "object"
    elif "enum" in schema and schema.get("type") != "integer":
        text = " or ".join(f"`{json.dumps(v)}`" for v in schema["enum"])
    elif "const" in schema:
        text = f"`{json.dumps(schema['const'])}`"
    elif schema.get("type") == "array":
        text = f"list of {_type(schema.get('items', {}), defs)}"
    elif schema.get("type") == "object":
        values = schema.get("additionalProperties")
        text = f"map of {_type(values, defs)}" if isinstance(values, dict) else "object"
    elif schema.get("format") == "password":
        text = "secret string"
    else:
        text = schema.get("type", "any")
    return f"{text} (optional)" if optional else text


def _bounds(schema: dict[str, Any]) -> str:
    schema, _ = _optional(schema)
    parts = []
    for key, text in (
        ("minimum", ">= {}"),
        ("maximum", "<= {}"),
        ("exclusiveMinimum", "> {}"),
        ("exclusiveMaximum", "< {}"),
        ("minLength", "length >= {}"),
        ("maxLength", "length <= {}"),
        ("minItems", ">= {} items"),
        ("maxItems", "<= {} items"),
    ):
        if key in schema:
            parts.append(text.format(schema[key]))
    if schema.get("type") == "integer" and "enum" in schema:
        values = schema["enum"]
        shown = values if len(values) <= 8 else [*values[:4], "…", *values[-2:]]
        parts.append("one of " + ", ".join(str(v) for v in shown))
    return ", ".join(parts)


def _value(config: dict[str, Any], path: list[str]) -> Any:
    node: Any = config
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _show(value: Any) -> str:
    if value is None:
        return MISSING
    if isinstance(value, dict) and not value:
        return "`{}`"
    return f"`{json.dumps(value, separators=(', ', ': '))}`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _rows(
    schema: dict[str, Any], defs: dict[str, Any], path: list[str], configs: dict[str, dict[str, Any]]
) -> Iterator[Row]:
    """Leaf keys under `path`; nested objects recurse, a map of objects is shown per entry name."""
    required = set(schema.get("required", []))
    for key, prop in schema.get("properties", {}).items():
        inner, _ = _optional(prop)
        target = _resolve(inner, defs)
        here = [*path, key]
        if target.get("properties"):
            yield from _rows(target, defs, here, configs)
            continue
        values_schema = target.get("additionalProperties") if target.get("type") == "object" else None
        if isinstance(values_schema, dict) and _resolve(values_schema, defs).get("properties"):
            yield from _map_rows(key, prop, _resolve(values_schema, defs), defs, here, configs)
            continue
        placeholder = key in required and "default" not in prop and path != []
        yield Row(
            key=_key(here),
            type=_type(prop, defs),
            values=tuple(
                REQUIRED if placeholder else _show(_value(configs[env], here)) for env in ENVIRONMENTS
            ),
            bounds=_bounds(target if "$ref" in inner else prop),
            description=prop.get("description", target.get("description", "")),
        )


def _map_rows(
    key: str,
    prop: dict[str, Any],
    entry: dict[str, Any],
    defs: dict[str, Any],
    path: list[str],
    configs: dict[str, dict[str, Any]],
) -> Iterator[Row]:
    """A map of settings (node groups): one row for the map, one per entry field, values per entry."""
    yield Row(
        key=_key(path),
        type=f"map of {entry.get('title', 'object')}",
        values=tuple(_show(sorted(_value(configs[env], path) or {})) for env in ENVIRONMENTS),
        bounds=_bounds(prop),
        description=prop.get("description", ""),
    )
    for field, field_schema in entry.get("properties", {}).items():

        def per_entry(env: str, field: str = field) -> str:
            entries = _value(configs[env], path) or {}
            return (
                "; ".join(f"{name}: {_show(value.get(field))}" for name, value in entries.items()) or MISSING
            )

        yield Row(
            key=_key([*path, "<name>", field]),
            type=_type(field_schema, defs),
            values=tuple(per_entry(env) for env in ENVIRONMENTS),
            bounds=_bounds(field_schema),
            description=field_schema.get("description", ""),
        )


def _key(path: list[str]) -> str:
    head, *rest = path
    if head in FOREIGN:
        return FOREIGN[head]
    return f"{NAMESPACE}:{'.'.join([head, *rest])}"


def sections(model: type[StackConfig]) -> list[tuple[str, str, list[Row]]]:
    """(section name, what it is, its rows): the stack's own keys first, then one per area."""
    schema = model.model_json_schema(by_alias=True)
    defs = schema.get("$defs", {})
    configs = profile_configs()
    root_rows: list[Row] = []
    found: list[tuple[str, str, list[Row]]] = []
    for key, prop in schema["properties"].items():
        if key in NOT_KEYS:
            continue
        target = _resolve(_optional(prop)[0], defs)
        if target.get("properties") and key != "tags":
            rows = list(_rows(target, defs, [key], configs))
            switches = [f"{NAMESPACE}:{key}.{switch}" for switch in SWITCHES]
            rows.sort(key=lambda row: row.key not in switches)
            found.append((key, " ".join(target.get("description", "").split()), rows))
        else:
            root_rows.extend(
                _rows({"properties": {key: prop}, "required": schema.get("required", [])}, defs, [], configs)
            )
    return [("stack", "The stack itself: its environment, region, tags and protection.", root_rows), *found]


def render() -> str:
    out = [
        "# Stack configuration reference",
        "",
        "<!-- Generated by `python -m stacks.config.docs` (`make docs`) from the config models; "
        "do not edit by hand. -->",
        "",
        "Every key a `Pulumi.<stack>.yaml` can set, by section. A key's **default** is the secure "
        "production shape, declared once on the component's settings model; an environment differs "
        "only where its profile (`stacks/config/profiles.py`) says so, and a stack file overrides "
        "either key by key. The environment columns show the value each environment gets before its "
        "stack file is read (prod's column is the default unless prod's profile says otherwise); "
        f"{MISSING} means unset. In `local` the data services run in the cluster, so only their "
        "`enabled`, `inCluster*` and `connectionPooling` keys apply there. Bad values are refused before "
        "anything runs, with the stack, the key, the value and what is allowed.",
        "",
        "Keys nest: `groundwork:postgres.instanceClass` is `instanceClass` under `groundwork:postgres:` "
        "in the stack file, or `pulumi config set --path 'groundwork:postgres.instanceClass' db.t3.large`.",
        "",
    ]
    header = ["Key", "Type", *ENVIRONMENTS, "Bounds", "Description"]
    for name, description, rows in sections(StackConfig):
        out += [f"## {name}", "", description, ""]
        out.append("| " + " | ".join(header) + " |")
        out.append("|" + "|".join("---" for _ in header) + "|")
        for row in rows:
            cells = [f"`{row.key}`", row.type, *row.values, row.bounds, row.description]
            out.append("| " + " | ".join(_cell(c) for c in cells) + " |")
        out.append("")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    text = render()
    if "--check" in args:
        if not DOC.exists() or DOC.read_text() != text:
            print(f"{DOC} is stale: run python -m stacks.config.docs")
            return 1
        return 0
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(text)
    print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
