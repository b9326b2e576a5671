"""The image pipeline an app repository calls (.github/workflows/app-image.yml): its contract, the
order build → scan → push → preflight → deploy → record, OIDC only, the policy pack on `pulumi up`,
every action pinned by commit, and the shell steps' decisions run for real."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "app-image.yml"
DOC = ROOT / "docs" / "app-pipeline.md"
PIN = re.compile(r"^\s*(?:-\s+)?uses:\s*([\w./-]+)@(\S+)\s*(#.*)?$")


def load(text: str) -> dict:
    data = yaml.safe_load(text)
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as True
    return data


@pytest.fixture(scope="module")
def workflow() -> dict:
    return load(WORKFLOW.read_text())


def steps(workflow, job):
    return workflow["jobs"][job]["steps"]


def step(workflow, job, name=None, uses=None, id_=None):
    for s in steps(workflow, job):
        if (
            (name and s.get("name") == name)
            or (uses and s.get("uses", "").startswith(uses))
            or (id_ and s.get("id") == id_)
        ):
            return s
    raise KeyError(f"{job}: no step {name or uses or id_}")


def index(workflow, job, **match):
    return steps(workflow, job).index(step(workflow, job, **match))


# --- the contract ---------------------------------------------------------------------------------


def test_it_is_a_reusable_workflow_only(workflow):
    assert set(workflow["on"]) == {"workflow_call"}


def test_it_takes_the_app_the_stack_the_context_and_the_dockerfile(workflow):
    inputs = workflow["on"]["workflow_call"]["inputs"]
    assert {"app", "stack", "context", "dockerfile"} <= set(inputs)
    assert inputs["app"]["required"] and inputs["stack"]["required"]
    assert inputs["context"]["default"] == "." and inputs["dockerfile"]["default"] == "Dockerfile"


def test_it_returns_the_deployed_digest(workflow):
    outputs = workflow["on"]["workflow_call"]["outputs"]
    assert outputs["digest"]["value"] == "${{ jobs.image.outputs.digest }}"


def test_default_permissions_are_read_only(workflow):
    assert workflow["permissions"] == {"contents": "read"}


def test_only_the_jobs_that_assume_a_role_may_mint_an_oidc_token(workflow):
    minting = {name for name, job in workflow["jobs"].items() if job.get("permissions", {}).get("id-token")}
    assert minting == {"image", "deploy"}


def test_aws_access_is_oidc_only():
    text = WORKFLOW.read_text()
    assert "aws-access-key-id" not in text and "aws-secret-access-key" not in text
    assert "AWS_SECRET_ACCESS_KEY" not in text


@pytest.mark.parametrize(("job", "role"), [("image", "push-role-arn"), ("deploy", "deploy-role-arn")])
def test_each_job_assumes_its_own_role(workflow, job, role):
    creds = step(workflow, job, uses="aws-actions/configure-aws-credentials")
    assert creds["with"]["role-to-assume"] == "${{ inputs." + role + " }}"


def test_the_jobs_run_in_order(workflow):
    jobs = workflow["jobs"]
    assert jobs["image"]["needs"] == "plan"
    assert set(jobs["gate"]["needs"]) == {"plan", "image"}
    assert set(jobs["deploy"]["needs"]) == {"plan", "image", "gate"}
    assert set(jobs["record"]["needs"]) == {"plan", "image", "deploy"}


# --- build, scan, push ----------------------------------------------------------------------------


def test_the_build_loads_the_image_locally_and_never_pushes(workflow):
    build = step(workflow, "image", uses="docker/build-push-action")
    assert build["with"]["load"] is True and build["with"]["push"] is False
    assert build["with"]["context"] == "${{ inputs.context }}"
    assert build["with"]["file"] == "${{ inputs.dockerfile }}"


def test_the_scan_fails_the_run_on_a_critical_finding(workflow):
    scan = step(workflow, "image", uses="anchore/scan-action")
    assert scan["with"]["severity-cutoff"] == "critical"
    assert scan["with"]["fail-build"] is True
    assert scan["with"]["image"] == step(workflow, "image", uses="docker/build-push-action")["with"]["tags"]


def test_the_scan_comes_before_the_only_push(workflow):
    pushes = [i for i, s in enumerate(steps(workflow, "image")) if "docker push" in s.get("run", "")]
    assert pushes == [index(workflow, "image", name="Push")]
    assert index(workflow, "image", uses="anchore/scan-action") < pushes[0]


def test_findings_reach_code_scanning_even_when_the_scan_fails(workflow):
    upload = step(workflow, "image", uses="github/codeql-action/upload-sarif")
    assert "!cancelled()" in upload["if"]
    assert workflow["jobs"]["image"]["permissions"]["security-events"] == "write"


def test_the_digest_comes_from_ecr(workflow):
    run = step(workflow, "image", id_="digest")["run"]
    assert "aws ecr describe-images" in run and "imageDigest" in run


# --- preflight, deploy, record --------------------------------------------------------------------

PIN_EXPRESSION = re.compile(r"yq -i '(.*?)' ", re.S)


def _pin(run: str) -> str:
    return " ".join(PIN_EXPRESSION.search(run).group(1).split())


def test_the_gate_preflights_the_stack_file_with_the_new_image(workflow):
    pin = step(workflow, "gate", name="The stack file with the new image")["run"]
    preflight = step(
        workflow, "gate", name="Preflight with the policy pack (exits non-zero on a mandatory violation)"
    )
    assert '--stack-file "$RUNNER_TEMP/Pulumi.$STACK.yaml"' in preflight["run"]
    assert "stacks.preflight" in preflight["run"]
    assert '"$RUNNER_TEMP/Pulumi.$STACK.yaml"' in pin


def test_the_gate_and_the_record_pin_the_same_keys_pulumi_config_sets(workflow):
    gate = _pin(step(workflow, "gate", name="The stack file with the new image")["run"])
    record = _pin(step(workflow, "record", name="Commit Pulumi.<stack>.yaml with the deployed image")["run"])
    assert gate == record
    config = step(workflow, "deploy", name="Pin the image in the stack")["run"]
    for key, value in (("tag", "TAG"), ("digest", "DIGEST")):
        assert f'.config."groundwork:apps"[strenv(APP)].image.{key} = strenv({value})' in gate
        assert f'--path "groundwork:apps.$APP.image.{key}" "${value}"' in config


def test_the_deploy_runs_in_the_stacks_environment(workflow):
    assert workflow["jobs"]["deploy"]["environment"] == "${{ inputs.stack }}"


def test_pulumi_up_runs_the_policy_pack_with_the_environments_config(workflow):
    up = step(workflow, "deploy", name="pulumi up with the policy pack")["run"]
    assert up.startswith('pulumi up --stack "$STACK" --yes')
    assert '--policy-pack policy --policy-pack-config "policy/config/$STACK.json"' in up


def test_deploys_of_one_stack_queue_instead_of_cancelling(workflow):
    concurrency = workflow["jobs"]["deploy"]["concurrency"]
    assert concurrency == {"group": "app-image-${{ inputs.stack }}", "cancel-in-progress": False}


def test_the_record_commit_skips_the_platforms_own_ci(workflow):
    run = step(workflow, "record", name="Commit Pulumi.<stack>.yaml with the deployed image")["run"]
    assert "[skip ci]" in run and 'git push --quiet origin "HEAD:$branch"' in run


def test_only_the_record_job_keeps_git_credentials(workflow):
    for name, job in workflow["jobs"].items():
        for s in job["steps"]:
            if s.get("uses", "").startswith("actions/checkout"):
                assert s["with"]["persist-credentials"] is (name == "record"), name


def test_no_run_step_interpolates_an_expression(workflow):
    """Inputs and refs reach shell scripts through env only, never as text pasted into the script."""
    for name, job in workflow["jobs"].items():
        for s in job["steps"]:
            assert "${{" not in s.get("run", ""), f"{name}: {s.get('name')}"


# --- pins -----------------------------------------------------------------------------------------


def test_every_action_is_pinned_by_commit_with_its_version_beside_it():
    seen: dict[str, str] = {}
    lines = [line for line in WORKFLOW.read_text().splitlines() if re.match(r"^\s*(-\s+)?uses:", line)]
    assert len(lines) >= 9
    for line in lines:
        match = PIN.match(line)
        assert match, line
        action, ref, comment = match.groups()
        assert re.fullmatch(r"[0-9a-f]{40}", ref), line
        assert comment and re.fullmatch(r"# v\d+\.\d+\.\d+", comment.strip()), line
        assert seen.setdefault(action, ref) == ref, f"{action} pinned to two commits"


# --- the shell steps, run ---------------------------------------------------------------------------


def _run(script: str, env: dict, cwd: Path | None = None) -> subprocess.CompletedProcess:
    summary = (cwd or Path.cwd()) / "summary"
    output = (cwd or Path.cwd()) / "output"
    full_env = {
        "PATH": "/usr/bin:/bin",
        "GITHUB_OUTPUT": str(output),
        "GITHUB_STEP_SUMMARY": str(summary),
        **env,
    }
    return subprocess.run(["bash", "-e", "-c", script], env=full_env, cwd=cwd, capture_output=True, text=True)


def _outputs(cwd: Path) -> dict:
    path = cwd / "output"
    return dict(line.split("=", 1) for line in path.read_text().splitlines()) if path.exists() else {}


@pytest.mark.parametrize(
    ("ref_type", "ref_name", "expected"),
    [
        ("tag", "v1.4.2", "1.4.2"),
        ("tag", "v1.4.2-rc1", "1.4.2-rc1"),
        ("branch", "main", "sha-0123456789ab"),
        ("tag", "nightly", "sha-0123456789ab"),
    ],
)
def test_the_image_tag_is_the_release_or_the_commit(workflow, tmp_path, ref_type, ref_name, expected):
    script = step(workflow, "plan", id_="tag")["run"]
    env = {"REF_TYPE": ref_type, "REF_NAME": ref_name, "SHA": "0123456789abcdef" * 2 + "01234567"}
    assert _run(script, env, tmp_path).returncode == 0
    assert _outputs(tmp_path)["tag"] == expected


@pytest.mark.parametrize(
    ("app", "stack", "error"),
    [
        ("Api", "dev", "is not an app name"),
        ("api;rm", "dev", "is not an app name"),
        ("api", "local", "is not one of dev, qa, staging, prod"),
        ("api", "prod; echo", "is not one of dev, qa, staging, prod"),
    ],
)
def test_bad_inputs_stop_the_run_with_the_reason(workflow, tmp_path, app, stack, error):
    result = _run(
        step(workflow, "plan", name="Check the inputs")["run"], {"APP": app, "STACK": stack}, tmp_path
    )
    assert result.returncode == 1
    assert error in result.stdout


def test_good_inputs_pass(workflow, tmp_path):
    result = _run(
        step(workflow, "plan", name="Check the inputs")["run"], {"APP": "api", "STACK": "prod"}, tmp_path
    )
    assert result.returncode == 0


@pytest.fixture(scope="module")
def platform_repo(tmp_path_factory):
    """A platform history: main has moved past the newest release candidate, which is past the
    newest release."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path_factory.mktemp("platform")

    def git(*args):
        subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    git("config", "user.email", "t@example.com")
    git("config", "user.name", "t")
    shas = {}
    for tag in ("v1.0.0", "v1.1.0-rc1", "v1.1.0", "v1.2.0-rc1", "main"):
        git("commit", "-q", "--allow-empty", "-m", tag)
        if tag != "main":
            git("tag", tag)
        shas[tag] = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    return repo, shas


@pytest.mark.parametrize(
    ("stack", "ref", "expected"),
    [
        ("dev", "", "main"),
        ("prod", "", "v1.1.0"),
        ("staging", "", "v1.2.0-rc1"),
        ("qa", "", "v1.2.0-rc1"),
        ("prod", "v1.0.0", "v1.0.0"),
    ],
)
def test_each_stack_deploys_with_the_platform_release_it_runs(workflow, platform_repo, stack, ref, expected):
    """Prod never picks up unreleased platform changes because an app shipped."""
    repo, shas = platform_repo
    subprocess.run(["git", "-C", str(repo), "checkout", "-q", "main"], check=True)
    (repo / "output").unlink(missing_ok=True)
    result = _run(step(workflow, "plan", id_="platform")["run"], {"STACK": stack, "REF": ref}, repo)
    assert result.returncode == 0, result.stderr
    assert _outputs(repo)["sha"] == shas[expected]


# --- the documented caller ------------------------------------------------------------------------


def _caller() -> dict:
    block = re.search(
        r"```yaml\n(# \.github/workflows/deploy\.yml in the app repository.*?)```", DOC.read_text(), re.S
    )
    assert block, "docs/app-pipeline.md has the caller example"
    return load(block.group(1))


def test_the_documented_caller_passes_every_required_input_and_only_known_ones(workflow):
    inputs = workflow["on"]["workflow_call"]["inputs"]
    required = {name for name, spec in inputs.items() if spec.get("required")}
    secrets = workflow["on"]["workflow_call"]["secrets"]
    for name, job in _caller()["jobs"].items():
        assert job["uses"].endswith("/.github/workflows/app-image.yml@v1.0.0"), name
        assert required <= set(job["with"]) <= set(inputs), name
        assert set(job.get("secrets", {})) <= set(secrets), name
        assert {"PLATFORM_REPO_TOKEN"} <= set(job["secrets"]), name


def test_the_documented_caller_grants_what_the_jobs_need(workflow):
    for job in _caller()["jobs"].values():
        assert job["permissions"] == {"contents": "read", "id-token": "write", "security-events": "write"}


def test_the_documented_caller_deploys_like_the_platform(workflow):
    caller = _caller()
    assert caller["on"]["push"] == {"branches": ["main"], "tags": ["v*"]}
    jobs = caller["jobs"]
    assert {name: job["with"]["stack"] for name, job in jobs.items()} == {
        "dev": "dev",
        "staging": "staging",
        "prod": "prod",
    }
    assert jobs["dev"]["if"] == "github.ref == 'refs/heads/main'"
    assert "contains(github.ref_name, '-rc')" in jobs["staging"]["if"]
    assert "!contains(github.ref_name, '-rc')" in jobs["prod"]["if"]
