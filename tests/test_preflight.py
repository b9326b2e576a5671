"""Preflight: every stack builds on mocks, the CLI reports and exits as documented."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from stacks.config.loader import PROJECT_DIR
from stacks.preflight import cli
from stacks.preflight.cli import main

STACKS = ("local", "dev", "qa", "staging", "prod")


@pytest.mark.parametrize("stack", ["dev", "qa", "staging", "prod"])
def test_aws_stacks_hold_the_foundation_components(captured, stack):
    types = {r.type for r in captured(stack).resources}
    assert {"pulumi:providers:aws", "groundwork:kms:KmsKey", "groundwork:network:Network"} <= types


def test_components_parent_their_children(captured):
    capture = captured("prod")
    network = capture.of_type("groundwork:network:Network")[0]
    assert len(capture.children_of(network)) > 40


def test_cli_builds_a_stack_and_exits_zero(capsys):
    assert main(["dev", "--no-tree"]) == 0
    assert "dev: built on mocks" in capsys.readouterr().out


@pytest.fixture
def session_builds(monkeypatch, captured):
    """The CLI handed the session's captures instead of building each stack again, for tests of what
    it prints and writes; the tests above and `test_two_captures_of_a_stack_write_the_same_json`
    build through the CLI itself."""
    monkeypatch.setattr(cli, "capture_stack", lambda stack, project_dir=PROJECT_DIR: captured(stack))


def test_cli_prints_the_resource_tree(session_builds, capsys):
    main(["prod"])
    out = capsys.readouterr().out
    assert "groundwork:network:Network prod-network" in out
    assert "aws:ec2/natGateway:NatGateway prod-network-nat-2" in out


def test_cli_json_holds_every_captured_resource(session_builds, tmp_path, captured):
    out = tmp_path / "capture.json"
    assert main(["prod", "--no-tree", "--no-policy", "--json", str(out)]) == 0
    document = json.loads(out.read_text())
    resources = document["stacks"][0]["resources"]
    assert len(resources) == len(captured("prod").resources)
    key = next(r for r in resources if r["type"] == "aws:kms/key:Key")
    assert set(key) >= {"urn", "type", "name", "inputs", "parent", "dependencies", "options"}
    assert key["options"]["protect"] is True


def test_cli_all_runs_every_stack(capsys):
    assert main(["--all", "--no-tree", "--no-policy"]) == 0
    out = capsys.readouterr().out
    assert all(f"{stack}: built on mocks" in out for stack in STACKS)


@pytest.fixture
def broken_project(tmp_path: Path) -> Path:
    for stack in STACKS:
        shutil.copy(PROJECT_DIR / f"Pulumi.{stack}.yaml", tmp_path)
    path = tmp_path / "Pulumi.prod.yaml"
    document = yaml.safe_load(path.read_text())
    document["config"]["groundwork:network"]["azCount"] = 2
    path.write_text(yaml.safe_dump(document))
    return tmp_path


def test_cli_exits_nonzero_with_the_config_error(broken_project, capsys):
    assert main(["prod", "--project-dir", str(broken_project)]) == 1
    out = capsys.readouterr().out
    assert "prod: network.azCount = 2: prod needs 3 availability zones" in out
    assert "Traceback" not in out


def test_cli_rejects_an_unknown_stack(capsys):
    assert main(["perf"]) == 2
    assert "unknown stack(s) perf" in capsys.readouterr().out


def test_cli_reports_a_program_error_in_one_line(monkeypatch, capsys):
    import stacks.program as program

    def broken(platform):
        raise ValueError("subnet plan exploded")

    monkeypatch.setattr(program, "WIRING", [*program.WIRING, broken])
    assert main(["dev", "--no-tree"]) == 1
    out = capsys.readouterr().out
    assert "dev: program error: ValueError: subnet plan exploded (at tests/test_preflight.py:" in out
    assert "Traceback" not in out


def test_the_pulumi_entry_point_reads_the_engine_config():
    from stacks.config import read_stack_file
    from stacks.preflight.capture import run_program
    from stacks.program import main as program_main

    capture = run_program("staging", read_stack_file("staging"), program_main, region="eu-west-1")
    assert capture.outputs["vpc_cidr"] == "10.30.0.0/16"


def test_the_pulumi_entry_point_turns_config_errors_into_a_run_error():
    import pulumi

    from stacks.config import read_stack_file
    from stacks.preflight.capture import run_program
    from stacks.program import main as program_main

    raw = read_stack_file("prod")
    raw["groundwork:network"] = {**raw["groundwork:network"], "azCount": 2}
    with pytest.raises(pulumi.RunError, match=r"prod: network\.azCount = 2: prod needs 3"):
        run_program("prod", raw, program_main)


def _constructors(resource_type: str) -> tuple[str, ...]:
    """The calls a line may make to create a resource of `resource_type`."""
    if resource_type.startswith("pulumi:providers:"):
        return ("Provider(",)
    own = resource_type.rsplit(":", 1)[1] + "("
    if resource_type in ("groundwork:postgres:Postgres", "groundwork:redis:Redis", "groundwork:kafka:Kafka"):
        # Wired from one table (stacks/wiring/data.py SERVICES): the class is called as `component(`.
        return (own, "component(")
    # A custom resource definition's instances (cert-manager.io, monitoring.coreos.com) are created
    # through the generic class.
    return (own, "CustomResource(") if resource_type.startswith("kubernetes:") else (own,)


@pytest.mark.parametrize("stack", STACKS)
def test_every_resource_records_the_program_line_that_created_it(captured, stack):
    """The source position each registration carries names a line in the repository that calls the
    resource's constructor (not the SDK's frames, not a component base class's super() call)."""
    wrong = []
    for resource in captured(stack).resources:
        if resource.type == "pulumi:pulumi:Stack":
            assert resource.source is None  # registered by the runtime, not by the program
            continue
        source = resource.source or {}
        path = PROJECT_DIR / source.get("uri", "(none)")
        lines = path.read_text().splitlines() if path.is_file() else []
        line = lines[source["line"] - 1] if 0 < source.get("line", 0) <= len(lines) else ""
        if not any(call in line for call in _constructors(resource.type)):
            wrong.append((resource.name, source, line.strip()))
    assert wrong == []


def test_a_component_deriving_from_a_base_points_at_its_caller_not_its_super_call(captured):
    postgres = captured("prod").named("prod-postgres")
    assert postgres.source is not None and postgres.source["uri"].startswith("stacks/wiring/")


def test_a_provider_points_at_the_wiring_line_not_into_the_sdk(captured):
    provider = captured("prod").named("prod-aws")
    assert provider.source is not None and provider.source["uri"] == "stacks/wiring/foundation.py"


def test_captured_resources_and_their_dependencies_come_out_sorted(captured):
    resources = captured("prod").resources
    assert [r.urn for r in resources] == sorted(r.urn for r in resources)
    assert any(len(r.dependencies) > 1 for r in resources)
    assert all(r.dependencies == sorted(r.dependencies) for r in resources)
    property_deps = [r.property_dependencies for r in resources if r.property_dependencies]
    assert property_deps
    assert all(list(deps) == sorted(deps) for deps in property_deps)
    assert all(urns == sorted(urns) for deps in property_deps for urns in deps.values())


def test_two_captures_of_a_stack_write_the_same_json(tmp_path):
    """The SDK registers resources from a thread pool, in whatever order the threads finish; the
    written capture must not depend on it, so two runs diff clean."""
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    assert main(["staging", "--no-tree", "--no-policy", "--json", str(first)]) == 0
    assert main(["staging", "--no-tree", "--no-policy", "--json", str(second)]) == 0
    assert first.read_bytes() == second.read_bytes()


def test_the_tree_prints_the_same_whatever_order_resources_arrived_in(captured):
    import io
    from dataclasses import replace

    from rich.console import Console

    from stacks.preflight.cli import resource_tree

    capture = captured("dev")
    shuffled = replace(capture, resources=list(reversed(capture.resources)))

    def text(c) -> str:
        console = Console(file=io.StringIO(), width=200, color_system=None)
        console.print(resource_tree(c))
        return console.file.getvalue()

    assert text(capture) == text(shuffled)
    assert "groundwork:network:Network dev-network" in text(capture)


def test_json_into_a_missing_directory_is_one_line_and_creates_nothing(tmp_path, capsys):
    target = tmp_path / "missing" / "capture.json"
    assert main(["dev", "--no-tree", "--json", str(target)]) == 2
    out = capsys.readouterr().out
    assert out.strip() == f"✗ --json {target}: directory {target.parent} does not exist"
    assert not target.parent.exists()


def test_json_naming_a_directory_is_one_line(tmp_path, capsys):
    assert main(["dev", "--no-tree", "--json", str(tmp_path)]) == 2
    assert capsys.readouterr().out.strip() == f"✗ --json {tmp_path}: is a directory; name the file to write"


def test_out_under_a_file_is_one_line_before_anything_is_built(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["dev", "--no-tree", "--report", "md", "--out", str(blocker / "reports")]) == 2
    out = capsys.readouterr().out
    assert out.strip() == f"✗ --out {blocker / 'reports'}: cannot create it: {blocker} is not a directory"


def test_a_report_that_cannot_be_written_is_one_line_and_fails_the_run(session_builds, tmp_path, capsys):
    (tmp_path / "policy-dev.md").mkdir()  # the report's own path is taken by a directory
    assert main(["dev", "--no-tree", "--report", "md", "--out", str(tmp_path)]) == 2
    out = capsys.readouterr().out
    assert f"✗ --out {tmp_path}: cannot write policy-dev.md: Is a directory" in out
    assert "Traceback" not in out


def test_all_ends_with_one_summary_line_per_stack(session_builds, capsys):
    assert main(["--all", "--no-tree"]) == 0
    tail = capsys.readouterr().out.strip().splitlines()[-len(STACKS) :]
    assert [line.split(":")[0] for line in tail] == [f"✓ {stack}" for stack in STACKS]
    assert all("; policy pass: " in line for line in tail)
