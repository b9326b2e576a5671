"""Reading a `Pulumi.<stack>.yaml` so that what the file says is exactly what the program gets.

PyYAML's safe loader is safe against code execution, not against files that mean something other
than they look: a key written twice keeps the last copy without a word, an alias bomb expands
into billions of nodes when the config is merged, a very deep nesting ends in RecursionError, and
non-UTF-8 bytes or a 5 000-digit integer end in an exception. This loader turns each of those into
one `ConfigIssue` with the line it is on, before anything else reads the file.

The Pulumi CLI hands the running program the same config (as JSON text per key); `bounded_json`
applies the same limits there.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode

from stacks.config.errors import ConfigError, ConfigIssue

# Far above anything a stack file needs (the largest shipped file is under 4 KiB, nests 5 deep and
# uses no alias), far below what makes a merge or a message slow.
MAX_FILE_BYTES = 256 * 1024
MAX_DEPTH = 32
MAX_ALIASES = 64
# AWS and Kubernetes take no integer setting beyond 64 bits; a longer one is a typo or an attack.
MAX_INT = 2**63 - 1


class StackFileIssue(Exception):
    """Raised inside the loader; carries the message and the 1-based line of the offending node."""

    def __init__(self, message: str, line: int | None):
        super().__init__(message)
        self.line = line


def _line(node_or_mark: Any) -> int | None:
    mark = getattr(node_or_mark, "start_mark", node_or_mark)
    return mark.line + 1 if mark is not None and hasattr(mark, "line") else None


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys, non-string keys, deep nesting, many aliases and
    integers beyond 64 bits."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:  # type: ignore[override]
        if self.check_event(AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise StackFileIssue(
                    f"uses more than {MAX_ALIASES} YAML aliases (*name); write the values out instead",
                    _line(self.peek_event()),
                )
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise StackFileIssue(
                    f"nests deeper than {MAX_DEPTH} levels; no Groundwork setting is that deep",
                    _line(self.peek_event()),
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:  # type: ignore[override]
        seen: dict[Any, int | None] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag != "tag:yaml.org,2002:str":
                shown = key_node.value if isinstance(key_node, ScalarNode) else f"a {key_node.id}"
                raise StackFileIssue(
                    f"has the key {escape(str(shown))}, which is not text; quote it", _line(key_node)
                )
            key = key_node.value
            if key in seen:
                raise StackFileIssue(
                    f"has the key {escape(key)} twice (lines {seen[key]} and {_line(key_node)}); "
                    "YAML would keep only the last one",
                    _line(key_node),
                )
            seen[key] = _line(key_node)
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_int(self, node: ScalarNode) -> int:
        digits = node.value.replace("_", "").lstrip("+-")
        if len(digits) > 20:
            raise StackFileIssue(
                f"has an integer of {len(digits)} digits; the largest allowed is {MAX_INT}", _line(node)
            )
        value = super().construct_yaml_int(node)
        if abs(value) > MAX_INT:
            raise StackFileIssue(
                f"has the integer {value}, beyond the largest allowed {MAX_INT}", _line(node)
            )
        return value


_BoundedLoader.add_constructor("tag:yaml.org,2002:int", _BoundedLoader.construct_yaml_int)


def escape(value: str, limit: int = 80) -> str:
    """A user's text as it can be shown safely: quoted, control characters escaped, and truncated
    to `limit` characters with its full length named."""
    shown = repr(value[:limit])
    return shown if len(value) <= limit else f"{shown}… ({len(value)} characters)"


def load_yaml_text(text: str, where: str) -> Any:
    """Parse one YAML document under the limits above; `where` names it in errors."""
    try:
        return yaml.load(text, Loader=_BoundedLoader)  # a SafeLoader subclass
    except StackFileIssue as issue:
        at = f" (line {issue.line})" if issue.line else ""
        raise ConfigError(where, [ConfigIssue(f"{where}{at}", _FILE, str(issue))]) from None
    except yaml.YAMLError as exc:
        raise ConfigError(
            where, [ConfigIssue(where, _FILE, f"is not valid YAML: {_one_line(exc)}")]
        ) from None


def read_config_block(stack: str, path: Path) -> dict[str, Any]:
    """The `config:` mapping of a stack file, read under every limit, with string keys only."""
    data = path.read_bytes()
    if len(data) > MAX_FILE_BYTES:
        raise ConfigError(
            stack,
            [
                ConfigIssue(
                    path.name, _FILE, f"is {len(data)} bytes; a stack file may have at most {MAX_FILE_BYTES}"
                )
            ],
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(
            stack, [ConfigIssue(f"{path.name} (line {line})", _FILE, "is not UTF-8 text; save it as UTF-8")]
        ) from None
    try:
        document = load_yaml_text(text, path.name)
    except ConfigError as error:
        raise ConfigError(stack, error.issues) from None
    document = {} if document is None else document
    if not isinstance(document, Mapping):
        raise ConfigError(stack, [ConfigIssue(path.name, _FILE, "must be a YAML mapping")])
    config = document.get("config")
    config = {} if config is None else config
    if not isinstance(config, Mapping):
        raise ConfigError(stack, [ConfigIssue("config", _FILE, "must be a mapping of key: value")])
    return dict(config)


def bounded_json(key: str, text: str) -> Any:
    """Structured config from the engine arrives as JSON text: the same limits as for the file."""
    if len(text) > MAX_FILE_BYTES:
        raise ValueError(f"is {len(text)} characters of JSON; at most {MAX_FILE_BYTES} are allowed")
    try:
        value = json.loads(text, parse_int=_bounded_int)
    except RecursionError:
        raise ValueError(f"nests deeper than {MAX_DEPTH} levels") from None
    if _depth(value) > MAX_DEPTH:
        raise ValueError(f"nests deeper than {MAX_DEPTH} levels")
    return value


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > 20 or abs(int(text)) > MAX_INT:
        raise ValueError(f"has an integer of {len(text)} digits; the largest allowed is {MAX_INT}")
    return int(text)


def _depth(value: Any) -> int:
    """Nesting depth without recursion (the value may be as deep as JSON allowed)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > MAX_DEPTH:
            return depth
        if isinstance(item, Mapping):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
    return deepest


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())[:300]


class _FileValue:
    """Stands for 'the file itself' where an issue has no single value to show."""

    def __repr__(self) -> str:
        return "(file)"


_FILE = _FileValue()


def unprintable_values(values: Mapping[str, Any]) -> list[ConfigIssue]:
    """Strings holding a newline, tab or other control character. No setting takes one, and a
    trailing newline (`kafka.m7g.large\\n` from a `|` block or a copy-paste) would otherwise pass a
    pattern and reach AWS."""
    found: list[ConfigIssue] = []
    stack: list[tuple[str, Any]] = list(values.items())
    while stack:
        path, value = stack.pop()
        if isinstance(value, Mapping):
            stack.extend((f"{path}.{key}", child) for key, child in value.items())
        elif isinstance(value, list):
            stack.extend((f"{path}[{i}]", child) for i, child in enumerate(value))
        elif isinstance(value, str) and not value.isprintable():
            found.append(
                ConfigIssue(
                    path,
                    value,
                    "holds a newline, tab or other control character; "
                    "write the value on one line without them",
                )
            )
    return sorted(found, key=lambda issue: issue.path)
