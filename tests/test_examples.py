"""The seeds' systems as examples (examples/<system>/Pulumi.<stack>.yaml): each is the platform's own
dev or prod stack file plus the system's apps, builds on mocks with every app it declares, and
comes out of the policy pack with no mandatory violation under its environment's enforcement."""

import functools
import re
from pathlib import Path

import pytest
import yaml

from stacks.config.loader import PROJECT_DIR, deep_merge

EXAMPLES = PROJECT_DIR / "examples"
SYSTEMS = ("grimos", "iac-dharma", "open-forge", "remediation", "aevon")
STACKS = ("dev", "prod")
CASES = [(system, stack) for system in SYSTEMS for stack in STACKS]
APP_COMPONENT = "groundwork:apps:App"
# What an example may add to the platform's stack file, besides its apps (and buckets): keys of a
# platform section it may set, sections it may declare whole, and new named budget deltas.
ALLOWED_OVERRIDES = {"groundwork:cluster": {"namespaceQuota"}}
OWN = ("groundwork:apps", "groundwork:buckets", "groundwork:dns", "groundwork:vectors")
BUDGET = "groundwork:budget"
# The machine's work tree, the shared folder beside the repository, the plans' own file names.
OUTSIDE = re.compile(r"(?<![\w.])/work/|\.\./shared|\bshared/seeds\b|\b\d{3}_[0-9a-f]{16}\.txt\b")


def example(system: str, stack: str) -> Path:
    return EXAMPLES / system / f"Pulumi.{stack}.yaml"


def config_of(path: Path) -> dict:
    return yaml.safe_load(path.read_text())["config"]


def test_every_system_has_a_dev_and_a_prod_shape_and_a_readme():
    assert sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir()) == sorted(SYSTEMS)
    for system in SYSTEMS:
        assert {p.name for p in (EXAMPLES / system).iterdir()} == {
            "Pulumi.dev.yaml",
            "Pulumi.prod.yaml",
            "README.md",
        }


def as_platform(mine: dict, platform: dict) -> dict:
    """The example's config less what it may add: its own sections, the allowed keys of the
    platform's sections and the budget deltas the platform does not name. Equal to the platform's
    config (less its own sections) exactly when the example added nothing else."""
    platform = {k: v for k, v in platform.items() if k not in OWN}
    left = {k: v for k, v in mine.items() if k not in OWN}
    for key, allowed in ALLOWED_OVERRIDES.items():
        if key in left:
            section = {k: v for k, v in left[key].items() if k not in allowed}
            left[key] = section | {k: v for k, v in platform.get(key, {}).items() if k in allowed}
    deltas = left.get(BUDGET, {}).get("deltas")
    if isinstance(deltas, dict):
        named = platform.get(BUDGET, {}).get("deltas", {})
        left[BUDGET] = {**left[BUDGET], "deltas": {k: v for k, v in deltas.items() if k in named}}
    return left


@pytest.mark.parametrize(("system", "stack"), CASES)
def test_an_example_is_the_platforms_stack_file_plus_its_apps(system, stack):
    """Examples sit on the platform's real shapes: when Pulumi.<stack>.yaml changes, they follow."""
    platform = config_of(PROJECT_DIR / f"Pulumi.{stack}.yaml")
    mine = config_of(example(system, stack))
    assert mine["groundwork:apps"]
    assert as_platform(mine, platform) == {k: v for k, v in platform.items() if k not in OWN}


@pytest.mark.parametrize(
    "change",
    [
        {"groundwork:network": {"extra": 1}},
        {"groundwork:mystery": {"enabled": True}},
        {"groundwork:cluster": {"nodeCount": 99}},
        {BUDGET: {"deltas": {"eksControlPlane": {"monthlyUsd": 1, "reason": "cheaper"}}}},
        {BUDGET: {"ceilingUsd": 1}},
    ],
)
def test_an_example_may_not_change_anything_else(change):
    """An unknown key, a platform section's other key or a changed existing delta is refused; a
    new delta, a quota, dns and vectors are not."""
    platform = config_of(PROJECT_DIR / "Pulumi.dev.yaml")
    fine = deep_merge(
        platform,
        {
            "groundwork:cluster": {"namespaceQuota": {"requestsCpu": "6"}},
            "groundwork:dns": {"zoneName": "dev.x.example.com", "createZone": True},
            "groundwork:vectors": {"enabled": True},
            BUDGET: {"deltas": {"edge": {"monthlyUsd": 30, "reason": "ALB, web ACL, zone"}}},
        },
    )
    expected = {k: v for k, v in platform.items() if k not in OWN}
    assert as_platform(fine, platform) == expected
    assert as_platform(deep_merge(fine, change), platform) != expected


@pytest.mark.parametrize(("system", "stack"), CASES)
def test_an_example_builds_its_images_in_the_stacks_own_registry(system, stack):
    """A prod image from outside the stack's ECR would need review (K8S-APP-001); every example's
    images are the team's own, pushed by the image pipeline."""
    for name, app in config_of(example(system, stack))["groundwork:apps"].items():
        first = app["image"]["repository"].split("/")[0]
        assert "." not in first and ":" not in first, f"{system}/{name}"
        assert app["image"].get("tag") not in (None, "latest"), f"{system}/{name}"
        if stack == "prod":
            assert re.fullmatch(r"sha256:[0-9a-f]{64}", app["image"]["digest"]), f"{system}/{name}"


@pytest.mark.parametrize("system", SYSTEMS)
def test_a_readme_says_what_was_assumed_and_what_is_missing(system):
    text = (EXAMPLES / system / "README.md").read_text()
    assert "## Assumed where the plan is silent" in text
    assert re.search(r"^## What .* cannot give yet$", text, re.M)
    for name in config_of(example(system, "prod"))["groundwork:apps"]:
        assert f"| {name} |" in text, f"{system}: {name} is not in the README's table"


def test_nothing_in_the_examples_points_outside_the_repository():
    for path in EXAMPLES.rglob("*"):
        if path.is_file():
            text = path.read_text()
            assert not OUTSIDE.search(text), f"{path}: {OUTSIDE.search(text).group(0)}"


@functools.cache
def judged_example(system: str, stack: str):
    """(capture, the pack's report under the stack's environment) of one example, built once per
    session: the gate test and the ECR test read the same build (never change them)."""
    from policy.analyzer import evaluate
    from stacks.preflight.runner import capture_stack

    capture = capture_stack(stack, stack_file=example(system, stack))
    return capture, evaluate(capture, stack)


@pytest.mark.parametrize(("system", "stack"), CASES)
def test_an_example_builds_with_every_app_and_passes_its_gate(system, stack):
    capture, report = judged_example(system, stack)
    apps = {r.name for r in capture.resources if r.type == APP_COMPONENT}
    assert len(apps) == len(config_of(example(system, stack))["groundwork:apps"])
    assert [f"{f.rule_id} {f.resource_name}: {f.message}" for f in report.blocking] == []


def test_an_image_from_outside_the_stacks_registries_fails_prods_gate():
    """The gate is real: the same example with one public image does not pass prod."""
    from policy.analyzer import evaluate
    from stacks.preflight.runner import capture_stack

    outside = {"repository": "docker.io/library/nginx", "tag": "1.29", "digest": "sha256:" + "b" * 64}
    capture = capture_stack(
        "prod",
        stack_file=example("iac-dharma", "prod"),
        overrides={"groundwork:apps": {"ui": {"image": outside}}},
    )
    blocking = {(f.rule_id, f.resource_name) for f in evaluate(capture, "prod").blocking}
    assert {rule for rule, _ in blocking} == {"K8S-APP-001"}


def test_the_ecr_rules_judge_the_stacks_real_repositories():
    """The ECR rules were written before any stack had a repository: they must see the ones the
    registry creates (a mutable, unscanned, AES256 repository without its lifecycle fires them)."""
    import dataclasses

    from policy.analyzer import evaluate
    from stacks.preflight.capture import Capture

    capture, report = judged_example("iac-dharma", "dev")
    repositories = [r for r in capture.resources if r.type == "aws:ecr/repository:Repository"]
    assert sorted(r.inputs["name"] for r in repositories) == [
        "dev/iac-dharma/api-gateway",
        "dev/iac-dharma/ui",
    ]
    assert not {f.rule_id for f in report.findings} & {
        "AWS-ECR-001",
        "AWS-ECR-002",
        "AWS-ECR-004",
    }
    broken = {"imageTagMutability": "MUTABLE", "imageScanningConfiguration": {"scanOnPush": False}}
    target = repositories[0]
    capture = Capture(
        capture.stack,
        [
            dataclasses.replace(r, inputs={**r.inputs, **broken}) if r is target else r
            for r in capture.resources
            if not (r.type == "aws:ecr/lifecyclePolicy:LifecyclePolicy" and target.urn in r.dependencies)
        ],
        capture.outputs,
    )
    fired = {
        (f.rule_id, f.resource_name) for f in evaluate(capture, "dev").findings if f.status == "violation"
    }
    assert {rule for rule, name in fired if name == target.name} >= {
        "AWS-ECR-001",
        "AWS-ECR-002",
        "AWS-ECR-004",
    }
