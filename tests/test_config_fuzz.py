"""Fuzzing the stack files: every mutation builds or is a clear error naming a key path.

Each run tries 300 generated mutations of every shipped stack file (hypothesis, derandomized so a
failure reproduces, within a fixed time budget per example). A mutation replaces a value at a random
path with a value of another shape, deletes a key, renames one to a near miss, or adds an unknown
one. The outcome must be one of:

- a `ConfigError` whose every line names the stack and a key path (never another exception), or
- a config that holds exactly what the file said: a renamed or added key never builds, and a
  replaced value that builds is the value the model reports back (no silent fallback to a default).
"""

from __future__ import annotations

import copy
from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stacks.config import ConfigError, parse_stack_config, read_stack_file
from tests.conftest import STACKS

MUTATIONS_PER_STACK = 300

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.text(alphabet="\n\t\r\x00[]{}$;'\"\\", max_size=8),
    st.sampled_from(
        ["", "latest; rm -rf /", "0.0.0.0/0", "db.t3.mega", "-1", "1e309", "[red]x[/]", "x" * 500]
    ),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*prefix, index))
    return found


def _set(tree: dict, path: tuple, value: Any) -> None:
    node = tree
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value


def _delete(tree: dict, path: tuple) -> None:
    node = tree
    for part in path[:-1]:
        node = node[part]
    del node[path[-1]]


def _near_miss(key: str) -> str:
    if ":" in key:
        namespace, name = key.split(":", 1)
        return (
            f"{namespace[:2]}{namespace[3:2:-1]}{namespace[3:]}:{name}" if len(namespace) > 3 else key + "x"
        )
    return key[:1].upper() + key[1:] if key[:1].islower() else key + "x"


def _assert_clear(error: ConfigError, stack: str) -> None:
    lines = str(error).splitlines()[1:]
    assert lines, str(error)
    for line in lines:
        assert line.strip().startswith(f"{stack}: "), line
        assert " = " in line or "more like it" in line, line
    assert len(str(error)) < 20_000, f"{len(str(error))} characters of error"


@st.composite
def mutation(draw, raw: dict) -> tuple[str, dict, tuple, Any]:
    mutated = copy.deepcopy(raw)
    paths = _paths(mutated)
    kind = draw(st.sampled_from(["replace", "replace", "replace", "delete", "rename", "add"]))
    path = draw(st.sampled_from(paths))
    if kind == "replace":
        value = draw(_values)
        _set(mutated, path, value)
        return kind, mutated, path, value
    if kind == "delete":
        _delete(mutated, path)
        return kind, mutated, path, None
    if kind == "rename" and isinstance(path[-1], str):
        parent_path, key = path[:-1], path[-1]
        renamed = _near_miss(key)
        node = mutated
        for part in parent_path:
            node = node[part]
        if renamed not in node:
            node[renamed] = node.pop(key)
            return kind, mutated, (*parent_path, renamed), None
    extra = draw(
        st.sampled_from(["groundwork:unknownArea", "aws:profile", "groundwrok:network", "Groundwork:tags"])
    )
    mutated[extra] = draw(_values)
    return "add", mutated, (extra,), None


@pytest.mark.parametrize("stack", STACKS)
def test_every_mutation_of_a_stack_file_builds_or_names_a_key(stack):
    raw = read_stack_file(stack)
    outcomes: Counter[str] = Counter()

    @settings(
        max_examples=MUTATIONS_PER_STACK,
        derandomize=True,
        deadline=2000,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(mutation(raw))
    def check(case: tuple[str, dict, tuple, Any]) -> None:
        kind, mutated, path, value = case
        try:
            config = parse_stack_config(stack, mutated)
        except ConfigError as error:
            _assert_clear(error, stack)
            outcomes[f"{kind}: clear error"] += 1
            return
        assert kind not in ("rename", "add") or _renamed_inside_free_map(path), (
            f"{stack}: {kind} of {path} built silently"
        )
        if kind == "replace":
            assert _holds(config, path, value), f"{stack}: {path} = {value!r} built as something else"
        outcomes[f"{kind}: built"] += 1

    check()
    print(f"{stack}: {dict(sorted(outcomes.items()))}")
    # Not degenerate: the mutations reached both outcomes, and every one was tried.
    assert sum(outcomes.values()) >= MUTATIONS_PER_STACK
    assert outcomes["replace: clear error"] and outcomes["delete: built"], dict(outcomes)


def _holds(config: Any, path: tuple, value: Any) -> bool:
    """The built config reports the written value back at the same key path (coercions such as
    1 -> 1.0 or "true" -> True aside, which mean the same to the program)."""
    namespace, _, area = str(path[0]).partition(":")
    dumped: Any = config.model_dump(by_alias=True, mode="json")
    node = dumped.get("region") if path[0] == "aws:region" else dumped.get(area if namespace else path[0])
    for part in path[1:]:
        if (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and part < len(node)
        ):
            node = node[part]
        else:
            return True  # a free-form value the model keeps whole (e.g. extra tags): checked above
    return _same(node, value)


def _same(built: Any, written: Any) -> bool:
    if isinstance(written, dict) and isinstance(built, dict):
        return all(k in built and _same(built[k], v) for k, v in written.items())
    if isinstance(written, list) and isinstance(built, list):
        return len(written) == len(built) and all(_same(b, w) for b, w in zip(built, written, strict=True))
    if isinstance(written, str) and not isinstance(built, str):
        return str(built).lower() == written.strip().lower() or _number(written) == built
    return built == written or str(built).lower() == str(written).lower()


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _renamed_inside_free_map(path: tuple) -> bool:
    """Maps whose keys are the user's own names (extra tags, node groups, receivers, apps and their
    env) accept new keys."""
    free = ("groundwork:tags", "groundwork:cluster", "groundwork:monitoring", "groundwork:apps")
    return len(path) > 1 and path[0] in free
