"""Strict Kubernetes schema validation for the tests: `kubernetes_validate.validate`'s own check, with
each schema read once per session.

The library reads and parses the version's whole `_definitions.json` (several MB) again on every
call, a quarter of a second per object; the suite validates hundreds. `validate` here picks the same
schema files by the same rules (the newest schema not newer than the version asked for, the
`-strict` set), builds the same Draft 2020-12 validator over the same registry, and raises the
library's own errors, but keeps each validator for the session. `tests/test_namespace.py` checks it
agrees with the library on a valid and a malformed object.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import jsonschema
from kubernetes_validate import utils
from referencing import Registry, Resource

ValidationError = utils.ValidationError


@functools.cache
def _schema_version(desired: str) -> str:
    if utils.major_minor(desired) > utils.latest_version():
        raise utils.VersionNotSupportedError(version=utils.major_minor(desired))
    return [v for v in utils.all_versions() if utils.major_minor(v) <= utils.major_minor(desired)][-1]


@functools.cache
def _definitions(schema_dir: str, desired: str) -> Resource:
    return Resource.from_contents(
        utils.schema_contents(f"kubernetes-json-schema/{schema_dir}/_definitions.json", desired)
    )


@functools.cache
def _validator(kind: str, api_version: str, desired: str, strict: bool) -> jsonschema.Validator:
    version = _schema_version(desired)
    schema_dir = f"v{version}-local" + ("-strict" if strict else "")
    group = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    try:
        schema = utils.schema_contents(
            f"kubernetes-json-schema/{schema_dir}/{kind.lower()}-{group}.json", desired
        )
    except FileNotFoundError:
        raise utils.SchemaNotFoundError(
            version=utils.major_minor(desired), kind=kind, api_version=api_version
        ) from None
    registry = _definitions(schema_dir, desired) @ (Resource.from_contents(schema) @ Registry())
    return jsonschema.validators.Draft202012Validator(schema, registry=registry)


def validate(data: dict[str, Any], desired_version: str, strict: bool = False) -> str:
    """`kubernetes_validate.validate(data, desired_version, strict)`: the schema version used, or
    `kubernetes_validate.ValidationError` naming what is wrong."""
    desired = desired_version.removeprefix("v")
    validator = _validator(data["kind"], data["apiVersion"], desired, strict)
    try:
        validator.validate(data)
    except jsonschema.ValidationError as error:
        raise ValidationError(error, version=utils.major_minor(_schema_version(desired))) from None
    return utils.major_minor(_schema_version(desired))
