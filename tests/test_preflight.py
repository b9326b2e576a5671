"""Preflight: every stack builds on mocks, the CLI reports and exits as documented."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from stacks.config.loader import PROJECT_DIR
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


def test_cli_prints_the_resource_tree(capsys):
    main(["prod"])
    out = capsys.readouterr().out
    assert "groundwork:network:Network prod-network" in out
    assert "aws:ec2/natGateway:NatGateway prod-network-nat-2" in out


def test_cli_json_holds_every_captured_resource(tmp_path, captured):
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
