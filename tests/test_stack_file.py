"""`preflight <stack> --stack-file PATH`: a stack file kept elsewhere (an example) stands in for
Pulumi.<stack>.yaml. The stack name still picks the environment and the policy config, and the
CIDR check compares the file with the other stacks, never with the file it replaces."""

from pathlib import Path

import pytest
import yaml

from stacks.config import ConfigError
from stacks.config.loader import PROJECT_DIR
from stacks.preflight import cli
from stacks.preflight.runner import capture_stack


def _stack_file(tmp_path: Path, stack: str, **changes) -> Path:
    """A copy of the project's own file for `stack`, with top-level `groundwork:` keys replaced."""
    document = yaml.safe_load((PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text())
    for key, value in changes.items():
        document["config"][f"groundwork:{key}"] = value
    path = tmp_path / f"Pulumi.{stack}.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def test_the_stack_file_replaces_the_projects_file(tmp_path):
    path = _stack_file(tmp_path, "dev", tags={"owner": "example-team", "costCenter": "examples"})
    capture = capture_stack("dev", stack_file=path)
    vpc = next(r for r in capture.resources if r.type == "aws:ec2/vpc:Vpc")
    assert vpc.props["tags"]["owner"] == "example-team"


def test_a_file_with_the_cidr_of_the_stack_it_replaces_is_not_an_overlap(tmp_path):
    """Examples reuse the platform's own shape, CIDR included: they replace that stack, not join it."""
    path = _stack_file(tmp_path, "dev")
    capture = capture_stack("dev", stack_file=path)
    assert capture.stack == "dev"


def test_a_file_that_overlaps_another_stack_is_refused(tmp_path):
    network = yaml.safe_load((PROJECT_DIR / "Pulumi.dev.yaml").read_text())["config"]["groundwork:network"]
    path = _stack_file(tmp_path, "dev", network={**network, "cidr": "10.40.0.0/16"})
    with pytest.raises(ConfigError, match=r"network.cidr = '10.40.0.0/16': overlaps stack 'prod'"):
        capture_stack("dev", stack_file=path)


def test_a_missing_file_is_a_config_error_naming_the_path(tmp_path, capsys):
    missing = tmp_path / "Pulumi.dev.yaml"
    assert cli.main(["dev", "--stack-file", str(missing), "--no-tree", "--no-policy"]) == cli.EXIT_FAILED
    out = " ".join(capsys.readouterr().out.split())
    assert f"--stack-file = '{str(missing)[:40]}" in out and ": is not a file" in out


@pytest.mark.parametrize("stacks", [["dev", "prod"], ["--all"]])
def test_the_option_stands_in_for_exactly_one_stack(tmp_path, capsys, stacks):
    path = _stack_file(tmp_path, "dev")
    assert cli.main([*stacks, "--stack-file", str(path)]) == cli.EXIT_USAGE
    assert "name exactly one stack" in capsys.readouterr().out


def test_a_file_named_for_another_stack_is_refused(tmp_path, capsys):
    path = _stack_file(tmp_path, "prod")
    assert cli.main(["dev", "--stack-file", str(path)]) == cli.EXIT_USAGE
    assert "is named for stack 'prod', not 'dev'" in capsys.readouterr().out


def test_preflight_builds_and_judges_the_file_as_its_stack(tmp_path, capsys):
    path = _stack_file(tmp_path, "dev", tags={"owner": "example-team", "costCenter": "examples"})
    status = cli.main(["dev", "--stack-file", str(path), "--no-tree"])
    out = capsys.readouterr().out
    assert status == cli.EXIT_OK
    assert "dev: built on mocks" in out


def test_the_estimate_is_held_to_the_budget_of_the_file_preflight_read(
    tmp_path, monkeypatch, captured, capsys
):
    """The cost table prices the stack against the `groundwork:budget` of `--stack-file`, not of
    Pulumi.<stack>.yaml ($315 for dev: the plan's $70 and four deltas)."""
    one_delta = {"eksControlPlane": {"monthlyUsd": 75, "reason": "the EKS control plane, whatever the nodes"}}
    path = _stack_file(tmp_path, "dev", budget={"deltas": one_delta})
    monkeypatch.setattr(cli, "capture_stack", lambda stack, project_dir, stack_file: captured(stack))
    assert cli.main(["dev", "--stack-file", str(path), "--no-tree", "--no-policy"]) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert "budget: $145 (plan $70; eksControlPlane +$75) (groundwork:budget)" in out
    assert "$315" not in out
