"""Run a stack's program on Pulumi's mock runtime and record what it asked the engine to create.

The record keeps what the Pulumi CLI would hand a policy analyzer: each resource's URN, type,
name, inputs in wire form (secrets stay wrapped in their signature object), parent, dependencies,
property dependencies, provider reference and options; and where in the repository the program
created it (the source position the SDK sends with every registration). Nothing is evaluated here;
policy and reports read the record.

The record is in a stable order, so two runs of the same commit diff clean and captures of two
commits compare: the SDK registers resources from a thread pool, in whatever order the threads
finish, so resources are sorted by URN, and each resource's dependencies and property dependencies
by URN too.
"""

from __future__ import annotations

import asyncio
import json
import linecache
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pulumi
from google.protobuf import json_format
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from stacks.preflight.mocks import GroundworkMocks

SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
SIG_KEY = "4dabf18193072939515e22adb298388d"
PROJECT = "groundwork"
REPO_ROOT = Path(__file__).resolve().parents[2]
"""Source positions are recorded relative to this checkout's root, the way code scanning reads them."""
HARNESS = Path(__file__).resolve().parent
"""Preflight itself: the stack resource is registered from here, not by the program."""
HARNESS_CODE = "(preflight)"


@dataclass(frozen=True)
class CapturedResource:
    """One resource registration, as the engine saw it."""

    urn: str
    type: str
    name: str
    custom: bool
    inputs: dict[str, Any]
    parent: str | None
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    provider: str | None
    options: dict[str, Any] = field(default_factory=dict)
    source: dict[str, Any] | None = None
    """{"uri": path relative to the repository root, "line": n}: the line of the program that
    created the resource; None when that line is outside the repository (the SDK's own code)."""

    @property
    def protect(self) -> bool:
        return bool(self.options.get("protect"))

    @property
    def props(self) -> dict[str, Any]:
        """Inputs with secret wrappers removed: what the resource will actually be given."""
        return unwrap_secrets(self.inputs)

    def is_secret(self, key: str) -> bool:
        """Whether the top-level input `key` travels as a Pulumi secret."""
        value = self.inputs.get(key)
        return isinstance(value, dict) and value.get(SIG_KEY) == SECRET_SIG

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Capture:
    """Everything one stack's program registered, plus its exported outputs."""

    stack: str
    resources: list[CapturedResource]
    outputs: dict[str, Any]

    def of_type(self, type_token: str) -> list[CapturedResource]:
        return [r for r in self.resources if r.type == type_token]

    def named(self, name: str) -> CapturedResource:
        matches = [r for r in self.resources if r.name == name]
        if len(matches) != 1:
            raise KeyError(f"{len(matches)} resources named {name!r} in stack {self.stack}")
        return matches[0]

    def children_of(self, parent: CapturedResource) -> list[CapturedResource]:
        return [r for r in self.resources if r.parent == parent.urn]

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "resources": [r.to_json() for r in self.resources],
            "outputs": self.outputs,
        }


def unwrap_secrets(value: Any) -> Any:
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            return unwrap_secrets(value.get("value"))
        return {k: unwrap_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap_secrets(v) for v in value]
    return value


def source_of(request: Any, root: Path = REPO_ROOT) -> dict[str, Any] | None:
    """Where the program created the resource: the innermost frame of the registration's stack
    trace that is the repository's own code and not a `super().__init__(...)` line.

    The SDK's `sourcePosition` is the caller of the third `__init__` on the stack (Resource,
    Custom/ComponentResource, the resource's class). That is the line wanted for a class that
    derives from those directly, but a provider (`aws.Provider` adds an `__init__` inside the SDK)
    or a component that derives from a shared base class adds a frame, and the position lands in
    the SDK or on the subclass's `super().__init__` line. The stack trace the SDK sends alongside
    (innermost frame first) holds the real caller one frame further out."""
    positions = [frame.pc for frame in request.stackTrace.frames if frame.HasField("pc")]
    if not positions and request.HasField("sourcePosition"):
        positions = [request.sourcePosition]
    found = None
    for position in positions:
        where = _repository_path(position.uri, root) if position.uri and position.line else None
        if where is None:
            continue  # the SDK's own frames
        if where == HARNESS_CODE:
            return found  # preflight registered it (the stack resource), not the program
        found = {"uri": where, "line": int(position.line)}
        if not _calls_super_init(root / where, found["line"]):
            break
    return found


def _calls_super_init(path: Path, line: int) -> bool:
    return linecache.getline(str(path), line).lstrip().startswith("super().__init__(")


@cache
def _repository_path(uri: str, root: Path) -> str | None:
    """`uri` (file://) relative to `root`; None outside it or in its virtualenv; `HARNESS_CODE` in
    preflight's own modules."""
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    path = Path(unquote(parsed.path)).resolve()
    if path.is_relative_to(HARNESS):
        return HARNESS_CODE
    if not path.is_relative_to(root) or ".venv" in path.relative_to(root).parts:
        return None
    return path.relative_to(root).as_posix()


def _options(request: Any) -> dict[str, Any]:
    options: dict[str, Any] = {
        "protect": bool(request.protect) if request.HasField("protect") else False,
        "ignoreChanges": list(request.ignoreChanges),
        "replaceOnChanges": list(request.replaceOnChanges),
        "additionalSecretOutputs": list(request.additionalSecretOutputs),
        "aliases": [json_format.MessageToDict(a) for a in request.aliases] + list(request.aliasURNs),
        "retainOnDelete": bool(request.retainOnDelete) if request.HasField("retainOnDelete") else False,
        "deletedWith": request.deletedWith or None,
        "remote": bool(request.remote),
    }
    if request.deleteBeforeReplaceDefined:
        options["deleteBeforeReplace"] = bool(request.deleteBeforeReplace)
    if request.HasField("customTimeouts"):
        options["customTimeouts"] = json_format.MessageToDict(request.customTimeouts)
    if request.providers:
        options["providers"] = dict(request.providers)
    return options


class CapturingMonitor(pulumi_mocks.MockMonitor):
    """The mock engine, recording every registration before answering it."""

    def __init__(self, mocks: pulumi.runtime.Mocks):
        super().__init__(mocks)
        self.captured: list[CapturedResource] = []

    def RegisterResource(self, request):
        response = super().RegisterResource(request)
        self.captured.append(
            CapturedResource(
                urn=response.urn,
                type=request.type,
                name=request.name,
                custom=bool(request.custom),
                inputs=json_format.MessageToDict(request.object),
                parent=request.parent or None,
                dependencies=sorted(request.dependencies),
                property_dependencies={
                    k: sorted(request.propertyDependencies[k].urns)
                    for k in sorted(request.propertyDependencies)
                },
                provider=request.provider or None,
                options=_options(request),
                source=source_of(request),
            )
        )
        return response


def _plain(value: Any) -> Any:
    """Stack outputs for the record: secrets masked, everything else as JSON."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


async def _resolve_outputs(outputs: Mapping[str, Any]) -> dict[str, Any]:
    resolved = {}
    for key, value in outputs.items():
        output = pulumi.Output.from_input(value)
        is_secret = await output.is_secret()
        plain = await output.future()
        resolved[key] = "[secret]" if is_secret else _plain(plain)
    return resolved


def run_program(
    stack: str, config: Mapping[str, Any], program: Callable[[], None], region: str | None = None
) -> Capture:
    """Run `program` as stack `stack` with Pulumi config `config` on mocks, and return its record.

    `config` maps full keys (`groundwork:network`, `aws:region`) to values; structured values
    are passed to the program as JSON text, exactly as the CLI does.
    """
    pulumi.runtime.set_all_config({k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()})
    mocks = GroundworkMocks(region)
    monitor = CapturingMonitor(mocks)
    asyncio.set_event_loop(asyncio.new_event_loop())
    pulumi.runtime.settings.set_root_resource(None)
    pulumi_mocks.set_mocks(mocks, project=PROJECT, stack=stack, preview=False, monitor=monitor)
    root = pulumi.runtime.settings.get_root_resource()
    _sync_await(run_pulumi_func(program))
    outputs = _sync_await(_resolve_outputs(getattr(root, "outputs", {}) or {}))
    resources = sorted(monitor.captured, key=lambda r: r.urn)
    return Capture(stack=stack, resources=resources, outputs=dict(sorted(outputs.items())))
