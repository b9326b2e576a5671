"""The readers every rule module shares (the only helper module of the pack).

They read values the way the Pulumi engine hands them to an analyzer: numbers arrive as floats,
some provider booleans are strings ("true"), a nested block may be missing, one dict or a list, and
JSON documents (IAM, bucket and key policies) may be a string or an object. Sections: values; the
stack's graph (which resource an input points at); KMS keys; IAM policy documents; credentials in
text; CIDRs and ports; Kubernetes pod specs.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from fnmatch import fnmatchcase
from typing import Any

from pulumi_policy.proxy import UnknownValueError, _is_unknown

# --- values ---------------------------------------------------------------------------------------


def as_list(value: Any) -> list[Any]:
    """A scalar or a list as a list; None as []. Nested blocks reach a policy as nothing, one dict or
    a list of dicts, whichever the program wrote."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def is_true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def is_false(value: Any) -> bool:
    return value is False or (isinstance(value, str) and value.strip().lower() == "false")


def first(value: Any) -> dict:
    """The first (usually only) element of a nested block, or {}."""
    items = as_list(value)
    return items[0] if items and isinstance(items[0], dict) else {}


def number(value: Any, default: float | None = None) -> float | None:
    if value is None or isinstance(value, bool):
        return default
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def version_tuple(version: Any) -> tuple[int, ...]:
    """'16.4' -> (16, 4); '1.32' -> (1, 32); unparsable parts are dropped."""
    return tuple(int(p) for p in re.findall(r"\d+", str(version or "")))


# --- the stack's graph -------------------------------------------------------------------------


def _urn(item: Any) -> str:
    return getattr(item, "urn", None) or str(item)


def linked(res: Any, prop: str, candidates: Iterable[Any], keys: tuple[str, ...] = ()) -> list[Any]:
    """The candidates that `res`'s input `prop` (top-level name) points at.

    In order: the engine's property dependencies for `prop` (exact even when the value is an id
    that is unknown in preview or a mock id in preflight); else the input's value matched against a
    candidate's name or one of its identifying inputs `keys` (e.g. the bucket name); else the
    candidates among `res`'s resource dependencies.
    """
    candidates = list(candidates)
    deps = getattr(res, "property_dependencies", None) or {}
    targets = deps.get(prop) if isinstance(deps, dict) else None
    if targets:
        urns = {_urn(t) for t in targets}
        return [c for c in candidates if c.urn in urns]
    values: set[str] = set()
    try:
        raw = res.props.get(prop)
    except UnknownValueError:  # an id only known after deploy: fall back to the dependency graph
        raw = None
    for value in as_list(raw):
        if isinstance(value, (str, int, float)):
            values.add(str(value))
    matches = []
    for c in candidates:
        ids = {c.name} | {str(c.props.get(k)) for k in keys if c.props.get(k) is not None}
        if ids & values:
            matches.append(c)
    if matches:
        return matches
    depends_on = {_urn(d) for d in getattr(res, "dependencies", ()) or ()}
    return [c for c in candidates if c.urn in depends_on]


def provider_default_tags(stack: Any, r: Any) -> dict:
    """The `defaultTags.tags` of `r`'s AWS provider. Provider inputs reach the engine as strings, so
    the block arrives JSON-encoded from the CLI (and from preflight); a plain dict is accepted too."""
    provider = stack.by_urn(r.provider) if r.provider else None
    block = provider.peek("defaultTags") if provider is not None else None
    if isinstance(block, str):
        try:
            block = json.loads(block)
        except ValueError:
            return {}
    tags = block.get("tags") if isinstance(block, dict) else None
    return tags if isinstance(tags, dict) else {}


def each(resources: Iterable[Any], check: Callable[[Any], Iterable[Any]]) -> Iterator[Any]:
    """Run a stack rule's per-resource `check`, so that a value unknown at preview makes only that
    resource "cannot tell" (its findings are dropped) instead of the whole stack."""
    for r in resources:
        try:
            findings = list(check(r))
        except UnknownValueError:
            continue
        yield from findings


# --- KMS keys ------------------------------------------------------------------------------------


def cmk_issue(r: Any, key_prop: str, what: str) -> Iterator[str]:
    """A customer-managed key is set and, when the policy config lists allowed key ARNs, one of them."""
    key = r.get(key_prop)
    if not key:
        yield f"{what} uses the AWS-managed key: set `{key_prop}` to the stack's customer-managed KMS key"
        return
    allowed = r.threshold("allowedKmsKeyArns", [])
    if allowed and key not in allowed:
        yield f"{what} uses KMS key {key}, which is not in the policy config's allowedKmsKeyArns"


# --- IAM policy documents ------------------------------------------------------------------------


def policy_document(value: Any) -> dict[str, Any] | None:
    """An IAM/KMS/SNS policy document from a JSON string or an object; None when absent or unreadable."""
    if value is None or value == "":
        return None
    if isinstance(value, Mapping):
        return dict(value)
    try:
        doc = json.loads(value)
    except (TypeError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def statements(doc: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    if not doc:
        return []
    return [s for s in as_list(doc.get("Statement")) if isinstance(s, Mapping)]


def allows(doc: Mapping[str, Any] | None) -> Iterator[dict[str, Any]]:
    """Allow statements of a policy document."""
    for statement in statements(doc):
        if statement.get("Effect") == "Allow":
            yield statement


def actions(statement: Mapping[str, Any]) -> list[str]:
    return [str(a) for a in as_list(statement.get("Action"))]


def resources(statement: Mapping[str, Any]) -> list[str]:
    return [str(r) for r in as_list(statement.get("Resource"))]


def action_matches(pattern: str, action: str) -> bool:
    """Whether a policy's action pattern (`iam:Put*`, `*`) grants `action` (case-insensitive)."""
    return fnmatchcase(action.lower(), pattern.lower())


def grants_any(statement: Mapping[str, Any], dangerous: Iterable[str]) -> list[str]:
    """The `dangerous` actions a statement's action patterns grant."""
    patterns = actions(statement)
    return [d for d in dangerous if any(action_matches(p, d) for p in patterns)]


def principals(statement: Mapping[str, Any]) -> list[str]:
    """Every principal a statement names, flattened ("*" stays "*")."""
    principal = statement.get("Principal")
    if principal is None:
        return []
    if isinstance(principal, str):
        return [principal]
    if isinstance(principal, Mapping):
        return [str(p) for values in principal.values() for p in as_list(values)]
    return [str(p) for p in as_list(principal)]


def is_public_principal(statement: Mapping[str, Any]) -> bool:
    return "*" in principals(statement)


def condition_keys(statement: Mapping[str, Any]) -> dict[str, list[str]]:
    """Condition key (lower-cased) -> values, across operators."""
    found: dict[str, list[str]] = {}
    condition = statement.get("Condition") or {}
    if isinstance(condition, Mapping):
        for block in condition.values():
            if isinstance(block, Mapping):
                for key, values in block.items():
                    found.setdefault(str(key).lower(), []).extend(str(v) for v in as_list(values))
    return found


def unconditioned(statement: Mapping[str, Any]) -> bool:
    return not statement.get("Condition")


# --- property trees -------------------------------------------------------------------------------


def walk_strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(dotted path, string) for every string in a props tree, stepping over values unknown at preview."""
    if isinstance(value, dict):
        for k, v in dict.items(value):
            yield from walk_strings(v, f"{path}.{k}" if path else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(list.__iter__(value)):
            yield from walk_strings(v, f"{path}[{i}]")
    elif isinstance(value, str) and not _is_unknown(value):
        yield path, value


# --- credentials in text -------------------------------------------------------------------------

AWS_ACCESS_KEY = re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b")
PRIVATE_KEY_BLOCK = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----")
SECRET_ASSIGNMENT = re.compile(
    r"(?i)(?:aws_secret_access_key|password|passwd|secret|token|api[_-]?key)\w*"
    r"\s*[=:]\s*['\"]?([^\s'\"$]{8,})"
)


def credential_findings(text: str) -> list[str]:
    """What in `text` looks like a credential: AWS access keys, private key blocks, and literal
    assignments to password/secret/token/api-key variables (values from `$VAR` expansions pass)."""
    found = []
    if AWS_ACCESS_KEY.search(text):
        found.append("an AWS access key id")
    if PRIVATE_KEY_BLOCK.search(text):
        found.append("a private key block")
    if SECRET_ASSIGNMENT.search(text):
        found.append("a literal password/secret/token assignment")
    return found


# --- CIDRs and ports -----------------------------------------------------------------------------

ANYWHERE = ("0.0.0.0/0", "::/0")
ALL_PROTOCOLS = ("-1", "all")


def is_anywhere(cidr: Any) -> bool:
    return isinstance(cidr, str) and cidr.strip() in ANYWHERE


def is_private_cidr(cidr: str) -> bool:
    """RFC 1918, RFC 6598 (carrier-grade NAT), IPv6 ULA: address space that is not the internet."""
    try:
        net = ipaddress.ip_network(cidr.strip(), strict=False)
    except ValueError:
        return False
    private = [
        ipaddress.ip_network(n)
        for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
    ]
    return any(net.version == p.version and net.subnet_of(p) for p in private)  # type: ignore[arg-type]


def port_range(from_port: Any, to_port: Any, protocol: Any) -> tuple[int, int]:
    """The ports a rule opens; all protocols (-1) means every port."""
    if str(protocol).lower() in ALL_PROTOCOLS:
        return (0, 65535)
    low = int(from_port) if from_port is not None else 0
    high = int(to_port) if to_port is not None else 65535
    if low == -1 or high == -1:
        return (0, 65535)
    return (low, high)


def covers(port_span: tuple[int, int], port: int) -> bool:
    return port_span[0] <= port <= port_span[1]


def describe_ports(span: tuple[int, int]) -> str:
    if span == (0, 65535):
        return "all ports"
    return f"port {span[0]}" if span[0] == span[1] else f"ports {span[0]}-{span[1]}"


# --- Kubernetes pod specs ------------------------------------------------------------------------
#
# pulumi-kubernetes sends an object as its inputs (`metadata`, `spec`), camelCase as in the API.

POD = "kubernetes:core/v1:Pod"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
STATEFUL_SET = "kubernetes:apps/v1:StatefulSet"
DAEMON_SET = "kubernetes:apps/v1:DaemonSet"
REPLICA_SET = "kubernetes:apps/v1:ReplicaSet"
JOB = "kubernetes:batch/v1:Job"
CRON_JOB = "kubernetes:batch/v1:CronJob"

_TEMPLATE_PATH = {
    POD: (),
    DEPLOYMENT: ("spec", "template"),
    STATEFUL_SET: ("spec", "template"),
    DAEMON_SET: ("spec", "template"),
    REPLICA_SET: ("spec", "template"),
    JOB: ("spec", "template"),
    CRON_JOB: ("spec", "jobTemplate", "spec", "template"),
}
WORKLOADS: tuple[str, ...] = tuple(_TEMPLATE_PATH)
LONG_RUNNING: tuple[str, ...] = (DEPLOYMENT, STATEFUL_SET, DAEMON_SET)
CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")


def pod_template(r) -> dict:
    """The pod object (metadata + spec) of a workload; the Pod itself for kind Pod."""
    node = r.props
    for part in _TEMPLATE_PATH.get(r.type, ()):
        node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            return {}
    return node if isinstance(node, dict) else {}


def pod_spec(r) -> dict:
    spec = pod_template(r).get("spec")
    return spec if isinstance(spec, dict) else {}


def pod_labels(r) -> dict:
    metadata = pod_template(r).get("metadata")
    labels = metadata.get("labels") if isinstance(metadata, dict) else None
    return labels if isinstance(labels, dict) else {}


def containers(spec: dict, lists: tuple[str, ...] = CONTAINER_LISTS) -> Iterator[tuple[str, dict]]:
    """(display name, container) for every container of the given lists."""
    for key in lists:
        for c in as_list(spec.get(key)):
            if isinstance(c, dict):
                yield f"{key[:-1]} {c.get('name', '?')}", c


def pod_and_containers(r) -> tuple[dict, list[tuple[str, dict]]]:
    """A workload's pod spec and (display name, container) for every container in it."""
    spec = pod_spec(r)
    return spec, list(containers(spec))


def security_context(obj: dict) -> dict:
    ctx = obj.get("securityContext")
    return ctx if isinstance(ctx, dict) else {}


def is_windows(spec: dict) -> bool:
    os_ = spec.get("os")
    return isinstance(os_, dict) and os_.get("name") == "windows"


def image_registry(image: str) -> str:
    """The registry host of an image reference; Docker Hub when the first part is not a host."""
    first, _, rest = image.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        return first
    return "docker.io"


def image_tag(image: str) -> tuple[str | None, str | None]:
    """(tag, digest) of an image reference; either may be None."""
    name, _, digest = image.partition("@")
    last = name.rsplit("/", 1)[-1]
    tag = last.split(":", 1)[1] if ":" in last else None
    return tag, digest or None
