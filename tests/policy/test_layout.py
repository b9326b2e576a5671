"""The pack is laid out by service: one rule module per service or concern under policy/rules/aws,
k8s and stack, each small enough to read, each with its own test module naming every one of its
rules; one helper module; nothing in the pack points outside the repository."""

import ast
import re
from pathlib import Path

import pytest

from policy.framework import REGISTRY, load_rules

ROOT = Path(__file__).resolve().parents[2]
RULES_DIR = ROOT / "policy" / "rules"
load_rules()
RULE_MODULES = sorted(p for p in RULES_DIR.glob("*/*.py") if p.name != "__init__.py")


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def test_rules_live_only_in_the_service_packages():
    assert {p.parent.name for p in RULE_MODULES} == {"aws", "k8s", "stack"}
    assert [p.name for p in RULES_DIR.glob("*.py")] == ["__init__.py"]


def test_every_module_under_policy_rules_is_imported_and_holds_rules():
    modules = {r.module for r in REGISTRY.values()}
    assert modules == {module_name(p) for p in RULE_MODULES}


@pytest.mark.parametrize("path", RULE_MODULES, ids=module_name)
def test_a_rule_module_stays_readable(path):
    assert len(path.read_text().splitlines()) <= 600


@pytest.mark.parametrize("path", RULE_MODULES, ids=module_name)
def test_every_rule_module_has_a_test_module_that_names_each_of_its_rules(path):
    test_module = ROOT / "tests" / "policy" / "rules" / path.parent.name / f"test_{path.name}"
    assert test_module.exists()
    text = test_module.read_text()
    missing = [r.id for r in REGISTRY.values() if r.module == module_name(path) and f'"{r.id}"' not in text]
    assert missing == []


def test_the_helper_module_is_the_only_one_defining_shared_readers():
    helpers = {
        n.name
        for n in ast.parse((ROOT / "policy" / "helpers.py").read_text()).body
        if isinstance(n, ast.FunctionDef)
    }
    redefined = {
        (module_name(p), n.name)
        for p in RULE_MODULES
        for n in ast.parse(p.read_text()).body
        if isinstance(n, ast.FunctionDef) and n.name in helpers
    }
    assert redefined == set()


def test_no_rule_module_imports_another_modules_private_names():
    private = re.compile(r"^from policy\.rules\.\S+ import .*\b_\w+", re.MULTILINE)
    assert [module_name(p) for p in RULE_MODULES if private.search(p.read_text())] == []


@pytest.mark.parametrize(
    "path",
    sorted(p for p in (ROOT / "policy").rglob("*") if p.suffix in (".py", ".json", ".yaml")),
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_nothing_in_the_pack_points_outside_the_repository(path):
    assert not re.search(r"/work/|\.\./shared|shared/|seeds/", path.read_text())
