"""The GitHub workflows parse, trigger on the right events, keep pull requests free of secrets and
write access, pin their actions, and gate prod behind its environment."""

import json
import re
from pathlib import Path

import pytest
import yaml

WORKFLOWS = Path(__file__).resolve().parents[1] / ".github" / "workflows"


def load(name):
    data = yaml.safe_load((WORKFLOWS / name).read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as True
    return data


def steps(job):
    return job.get("steps", [])


def test_every_workflow_parses_and_has_jobs():
    files = sorted(p.name for p in WORKFLOWS.glob("*.yml"))
    assert files == ["app-image.yml", "deploy-stack.yml", "deploy.yml", "pull-request.yml"]
    for name in files:
        assert load(name)["jobs"]


def test_pull_requests_use_pull_request_never_pull_request_target():
    pr = load("pull-request.yml")
    assert set(pr["on"]) == {"pull_request"}
    assert all("pull_request_target" not in load(p.name)["on"] for p in WORKFLOWS.glob("*.yml"))


def test_pull_request_default_permissions_are_read_only():
    assert load("pull-request.yml")["permissions"] == {"contents": "read"}


@pytest.mark.parametrize("job", ["test", "preflight"])
def test_the_fork_safe_jobs_use_no_secrets_and_no_extra_permissions(job):
    body = load("pull-request.yml")["jobs"][job]
    assert "secrets." not in json.dumps(body)
    assert "permissions" not in body
    assert all(
        s.get("with", {}).get("persist-credentials") is False
        for s in steps(body)
        if s.get("uses", "").startswith("actions/checkout")
    )


def test_preflight_runs_every_stack_with_all_report_formats():
    preflight = load("pull-request.yml")["jobs"]["preflight"]
    run = next(s["run"] for s in steps(preflight) if s.get("id") == "preflight")
    assert "stacks.preflight --all" in run
    assert all(f"--report {fmt}" in run for fmt in ("md", "json", "sarif"))


@pytest.mark.parametrize("job", ["publish", "preview"])
def test_jobs_that_write_or_use_credentials_skip_forks(job):
    condition = load("pull-request.yml")["jobs"][job]["if"]
    assert "github.event.pull_request.head.repo.full_name == github.repository" in condition


def test_sarif_goes_to_code_scanning_and_the_report_to_the_summary():
    pr = load("pull-request.yml")
    publish = steps(pr["jobs"]["publish"])
    assert any(s.get("uses", "").startswith("github/codeql-action/upload-sarif") for s in publish)
    assert any("GITHUB_STEP_SUMMARY" in s.get("run", "") for s in steps(pr["jobs"]["preflight"]))


def test_preview_runs_the_pack_with_each_environments_config():
    preview = load("pull-request.yml")["jobs"]["preview"]
    pulumi = next(s for s in steps(preview) if s.get("uses", "").startswith("pulumi/actions"))
    assert pulumi["with"]["command"] == "preview"
    assert pulumi["with"]["policyPacks"] == "policy"
    assert pulumi["with"]["policyPackConfigs"] == "policy/config/${{ matrix.stack }}.json"
    assert preview["permissions"]["id-token"] == "write"


def test_deploy_triggers_and_targets():
    deploy = load("deploy.yml")
    assert deploy["on"]["push"] == {"branches": ["main"], "tags": ["v*"]}
    jobs = deploy["jobs"]
    assert jobs["dev"]["if"] == "github.ref == 'refs/heads/main'"
    assert "contains(github.ref_name, '-rc')" in jobs["staging"]["if"]
    assert "!contains(github.ref_name, '-rc')" in jobs["prod"]["if"]
    assert {name: job["with"]["stack"] for name, job in jobs.items()} == {
        "dev": "dev",
        "staging": "staging",
        "prod": "prod",
    }


def test_each_deploy_runs_in_its_github_environment_after_the_gate():
    up = load("deploy-stack.yml")["jobs"]["up"]
    assert up["environment"] == "${{ inputs.stack }}"
    assert up["needs"] == "gate"


def test_aws_access_is_oidc_only():
    for name in ("pull-request.yml", "deploy-stack.yml"):
        text = (WORKFLOWS / name).read_text()
        assert "aws-access-key-id" not in text and "aws-secret-access-key" not in text
        assert "role-to-assume" in text


def test_every_action_is_pinned_to_a_version():
    for path in WORKFLOWS.glob("*.yml"):
        for uses in re.findall(r"uses:\s*(\S+)", path.read_text()):
            if uses.startswith("./"):
                continue
            assert re.search(r"@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$", uses), f"{path.name}: {uses}"
