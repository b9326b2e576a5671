"""docs/config.md is generated from the config models and is never stale, and every setting a stack or
a caller can give a component carries a description (the component contract)."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import components
from components._lib.args import ComponentArgs
from stacks.config import docs
from stacks.config.model import StackConfig


def test_config_reference_is_not_stale():
    assert docs.main(["--check"]) == 0, "run: python -m stacks.config.docs (or make docs)"


def _args_models() -> list[type[ComponentArgs]]:
    for module in pkgutil.walk_packages(components.__path__, "components."):
        importlib.import_module(module.name)
    found, pending = set(), list(ComponentArgs.__subclasses__())
    while pending:
        model = pending.pop()
        if model not in found:
            found.add(model)
            pending.extend(model.__subclasses__())
    return sorted((m for m in found if m.__module__.startswith("components.")), key=lambda m: m.__qualname__)


@pytest.mark.parametrize("model", _args_models(), ids=lambda m: m.__qualname__)
def test_every_component_args_field_is_described(model):
    undocumented = [name for name, field in model.model_fields.items() if not field.description]
    assert undocumented == [], f"{model.__qualname__}: Field(description=...) missing for {undocumented}"


def test_every_config_key_is_described():
    rows = [row for section in docs.sections(StackConfig) for row in section[2]]
    assert rows and [row.key for row in rows if not row.description] == []


def test_a_prod_only_value_shows_in_the_prod_column_only():
    """The environment columns come from loading the profiles: prod's DR region is set in prod's
    profile alone, and it is the only column that shows it."""
    (row,) = [r for s in docs.sections(StackConfig) for r in s[2] if r.key == "groundwork:backups.drRegion"]
    assert row.values == (docs.MISSING,) * 4 + ('`"eu-central-1"`',)


def _leaves(tree: dict, path: tuple[str, ...] = ()):
    for key, value in tree.items():
        if isinstance(value, dict) and value:
            yield from _leaves(value, (*path, key))
        else:
            yield (*path, key), value


@pytest.mark.parametrize("environment", ["local", "dev", "qa", "staging", "prod"])
def test_a_profile_lists_only_what_differs_from_the_secure_default(environment):
    """Defaults are the production shape, declared once on the models; a profile entry equal to the
    default is a second declaration that drifts the day the default changes."""
    from stacks.config.profiles import PROFILES

    defaults = StackConfig.model_validate(
        {**docs.PLACEHOLDERS, "stack": "x", "environment": environment}
    ).model_dump(mode="json", by_alias=True)
    repeated = []
    for path, value in _leaves(PROFILES[environment]):
        node = defaults
        for part in path:
            node = node[part]
        if node == value:
            repeated.append(".".join(path))
    assert repeated == []
