"""The read-only views a rule sees: `Resource` (one resource, as pulumi_policy hands it over) and
`Stack` (every resource, for stack rules). Rule modules import them from policy.framework.

Reading a property whose value is unknown at preview raises pulumi_policy's `UnknownValueError`, as
pulumi_policy's own property proxies do; `Resource.peek` returns `UNKNOWN` instead, for stack rules
that must not give up on the whole stack over one unknown id.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from pulumi_policy.proxy import UnknownValueError, _DictProxy, _is_unknown, _ListProxy


class _Known(dict):
    """A dict of resource properties that raises UnknownValueError when a rule reads a value that
    is unknown at preview (pulumi_policy's own semantics), while still being a real dict."""

    def __init__(self, raw: Mapping[str, Any], path: tuple[str, ...]):
        super().__init__({k: _known(v, (*path, str(k))) for k, v in raw.items()})
        self._path = path

    def __getitem__(self, key: str) -> Any:
        return _check(super().__getitem__(key), (*self._path, str(key)))

    def get(self, key: str, default: Any = None) -> Any:
        # Not dict.get: reading through __getitem__ is what raises on unknown values.
        return self[key] if key in self else default  # noqa: SIM401

    def values(self):  # type: ignore[override]
        return [self[k] for k in self]

    def items(self):  # type: ignore[override]
        return [(k, self[k]) for k in self]


class _KnownList(list):
    def __init__(self, raw: Iterable[Any], path: tuple[str, ...]):
        super().__init__(_known(v, (*path, str(i))) for i, v in enumerate(raw))
        self._path = path

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        return _check(super().__getitem__(index), (*self._path, str(index)))

    def __iter__(self) -> Iterator[Any]:
        for i in range(len(self)):
            yield self[i]


def _known(value: Any, path: tuple[str, ...]) -> Any:
    if isinstance(value, Mapping):
        return _Known(value, path)
    if isinstance(value, (list, tuple)):
        return _KnownList(value, path)
    return value


def _check(value: Any, path: tuple[str, ...]) -> Any:
    if _is_unknown(value):
        raise UnknownValueError(value, list(path))
    return value


def _raw(value: Any) -> Any:
    """pulumi_policy's proxies (or a plain mapping) back to plain dicts and lists, reading past the
    proxies' unknown checks: unknowns stay as their sentinels until a rule reads them."""
    if isinstance(value, (_DictProxy, _ListProxy)):
        value = value["__target"]
    if isinstance(value, dict):
        return {k: _raw(v) for k, v in dict.items(value)}
    if isinstance(value, Mapping):
        return {k: _raw(value[k]) for k in value}
    if isinstance(value, (list, tuple)):
        return [_raw(v) for v in value]
    return value


class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()
"""What `Resource.peek` returns for a value only known after deploy."""


class Resource:
    """A read-only view of one resource as pulumi_policy hands it over."""

    def __init__(
        self,
        *,
        type: str,
        name: str,
        urn: str,
        props: Mapping[str, Any],
        protect: bool,
        environment: str,
        config: Mapping[str, Any] | None = None,
        thresholds: Mapping[str, Any] | None = None,
        parent: Resource | None = None,
        parent_urn: str | None = None,
        provider: str | None = None,
    ):
        self.type = type
        self.name = name
        self.urn = urn
        self._source = props
        self._props: dict[str, Any] | None = None
        self.protect = bool(protect)
        self.environment = environment
        self.parent = parent
        self.parent_urn = parent_urn
        self.dependencies: tuple[Resource, ...] = ()
        """Stack rules only: the resources this one depends on."""
        self.provider = provider
        self.property_dependencies: dict[str, tuple[Resource, ...]] = {}
        """Stack rules only: input name -> the resources its value came from. This is how a rule
        joins e.g. a flow log to its VPC: the VPC id is unknown at preview and a mock id in
        preflight, but the engine always records where an input came from."""
        self._config = dict(config or {})
        self._thresholds = dict(thresholds or {})

    @property
    def props(self) -> dict[str, Any]:
        """The inputs, plain Python (secrets unwrapped); missing keys mean unset. Built on first use:
        a stack rule that looks at three resource types never pays for the other two hundred."""
        if self._props is None:
            self._props = _Known(_raw(self._source), ())
        return self._props

    def get(self, dotted: str, default: Any = None) -> Any:
        """`props` lookup by a dotted path ("encryptionInfo.encryptionAtRest.dataVolumeKmsKeyId",
        list indices as numbers: "ingress.0.cidrBlocks"). Missing or null keys give `default`;
        an unknown value raises UnknownValueError (cannot tell)."""
        value: Any = self.props
        for part in dotted.split("."):
            if isinstance(value, list) and part.isdigit():
                index = int(part)
                if index >= len(value):
                    return default
                value = value[index]
            elif isinstance(value, dict) and part in value:
                value = value[part]
            else:
                return default
            if value is None:
                return default
        return value

    def peek(self, dotted: str, default: Any = None) -> Any:
        """Like `get`, but a value unknown at preview comes back as `UNKNOWN` instead of raising,
        for stack rules that must not give up on the whole stack over one unknown id."""
        try:
            return self.get(dotted, default)
        except UnknownValueError:
            return UNKNOWN

    def depends_on(self, prop: str) -> tuple[str, ...]:
        """URNs of the resources the input `prop` came from (stack rules)."""
        return tuple(r.urn for r in self.property_dependencies.get(prop, ()))

    def has(self, dotted: str) -> bool:
        """Whether the property is set (to anything, including a value only known after deploy)."""
        try:
            return self.get(dotted) not in (None, "", [], {})
        except UnknownValueError:
            return True

    def threshold(self, key: str, default: Any) -> Any:
        """The rule's tunable `key` from policy config, else its declared default, else `default`."""
        return self._config.get(key, self._thresholds.get(key, default))

    @property
    def tags(self) -> dict:
        return self.get("tags") or {}

    @property
    def labels(self) -> dict:
        """Kubernetes metadata.labels (empty for other resources)."""
        return self.get("metadata.labels") or {}

    @property
    def annotations(self) -> dict:
        """Kubernetes metadata.annotations (empty for other resources)."""
        return self.get("metadata.annotations") or {}

    def __repr__(self) -> str:
        return f"Resource({self.type} {self.name})"


class Stack:
    """Every resource of the stack, for rules only the whole stack can answer."""

    def __init__(
        self,
        resources: list[Resource],
        environment: str,
        config: Mapping[str, Any] | None = None,
        thresholds: Mapping[str, Any] | None = None,
    ):
        self.resources = resources
        self.environment = environment
        self._config = dict(config or {})
        self._thresholds = dict(thresholds or {})
        self._by_urn = {r.urn: r for r in resources}

    def of_type(self, *types: str) -> list[Resource]:
        return [r for r in self.resources if r.type in types]

    def by_urn(self, urn: str) -> Resource | None:
        return self._by_urn.get(urn)

    def children_of(self, parent: Resource) -> list[Resource]:
        return [r for r in self.resources if r.parent_urn == parent.urn]

    def threshold(self, key: str, default: Any) -> Any:
        return self._config.get(key, self._thresholds.get(key, default))
