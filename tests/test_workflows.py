"""The GitHub workflows parse, trigger on the right events, keep pull requests free of secrets and
write access, pin every action by commit SHA, and carry the release graph: dev, qa then staging, prod,
each in its environment, verified after `pulumi up`, with a rollback command on failure; nightly drift.
Also the decisions of `.github/scripts/release.py`, which the workflows run."""

import importlib.util
import json
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$")
AWS_STACKS = ["dev", "qa", "staging", "prod"]
PIP_AUDIT = re.compile(r"bin/pip\" install --quiet pip-audit==(\d+\.\d+\.\d+)\n")

_spec = importlib.util.spec_from_file_location("release", ROOT / ".github" / "scripts" / "release.py")
release = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(release)


def load(name):
    data = yaml.safe_load((WORKFLOWS / name).read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as True
    return data


def steps(job):
    return job.get("steps", [])


def step(job, step_id):
    return next(s for s in steps(job) if s.get("id") == step_id)


def uses_lines():
    for path in sorted(WORKFLOWS.glob("*.yml")):
        for line in path.read_text().splitlines():
            match = re.match(r"^\s*(?:- )?uses: (.+)$", line)
            if match:
                yield path.name, match.group(1).strip()


# --- shape and pull requests ----------------------------------------------------------------------


def test_every_workflow_parses_and_has_jobs():
    files = sorted(p.name for p in WORKFLOWS.glob("*.yml"))
    assert files == ["app-image.yml", "deploy-stack.yml", "deploy.yml", "drift.yml", "pull-request.yml"]
    for name in files:
        assert load(name)["jobs"]


def test_pull_requests_use_pull_request_never_pull_request_target():
    pr = load("pull-request.yml")
    assert set(pr["on"]) == {"pull_request"}
    assert all("pull_request_target" not in load(p.name)["on"] for p in WORKFLOWS.glob("*.yml"))


@pytest.mark.parametrize("name", ["pull-request.yml", "deploy.yml", "deploy-stack.yml", "drift.yml"])
def test_default_permissions_are_read_only(name):
    assert load(name)["permissions"] == {"contents": "read"}


@pytest.mark.parametrize("job", ["test", "audit", "preflight"])
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
    run = step(preflight, "preflight")["run"]
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


# --- supply chain ---------------------------------------------------------------------------------


def test_every_action_is_pinned_by_commit_sha_with_its_version_in_a_comment():
    external = [(name, uses) for name, uses in uses_lines() if not uses.startswith("./")]
    assert external
    assert [(name, uses) for name, uses in external if not PINNED.match(uses)] == []


def test_each_action_is_pinned_to_one_sha_everywhere():
    pins: dict[str, set[str]] = {}
    for _, uses in uses_lines():
        if not uses.startswith("./"):
            action, sha = uses.split(" ")[0].split("@")
            pins.setdefault(action, set()).add(sha)
    assert {action: shas for action, shas in pins.items() if len(shas) > 1} == {}


@pytest.mark.parametrize("workflow,job", [("pull-request.yml", "audit"), ("deploy-stack.yml", "gate")])
def test_pip_audit_fails_on_a_known_vulnerability_in_the_pinned_dependencies(workflow, job):
    run = next(s["run"] for s in steps(load(workflow)["jobs"][job]) if "pip-audit" in s.get("run", ""))
    assert PIP_AUDIT.search(run)
    assert "pip freeze --exclude-editable" in run
    assert "--strict" in run and "-r " in run


def test_both_audits_pin_the_same_pip_audit():
    versions = {
        PIP_AUDIT.search(p.read_text()).group(1)
        for p in WORKFLOWS.glob("*.yml")
        if "pip-audit" in p.read_text()
    }
    assert len(versions) == 1


def test_the_local_ci_entry_point_needs_no_advisory_database():
    assert "pip-audit" not in (ROOT / ".ci" / "run").read_text()


def test_dependabot_updates_pip_and_the_actions():
    config = yaml.safe_load((ROOT / ".github" / "dependabot.yml").read_text())
    assert config["version"] == 2
    assert {(u["package-ecosystem"], u["directory"]) for u in config["updates"]} == {
        ("pip", "/"),
        ("github-actions", "/"),
    }


# --- the release graph ----------------------------------------------------------------------------


def test_deploy_triggers_and_targets():
    deploy = load("deploy.yml")
    assert deploy["on"]["push"] == {"branches": ["main"], "tags": ["v*"]}
    assert deploy["on"]["workflow_dispatch"]["inputs"]["stack"]["options"] == AWS_STACKS
    jobs = deploy["jobs"]
    assert {name: job["with"]["stack"] for name, job in jobs.items()} == {s: s for s in AWS_STACKS}
    assert all(job["uses"] == "./.github/workflows/deploy-stack.yml" for job in jobs.values())


def test_the_release_graph_runs_qa_before_staging():
    jobs = load("deploy.yml")["jobs"]
    assert {name: job.get("needs") for name, job in jobs.items()} == {
        "dev": None,
        "qa": None,
        "staging": "qa",
        "prod": None,
    }
    assert "needs.qa.result == 'success'" in jobs["staging"]["if"]


@pytest.mark.parametrize(
    "job,trigger",
    [
        ("dev", "github.ref == 'refs/heads/main'"),
        ("qa", "contains(github.ref_name, '-rc')"),
        ("staging", "contains(github.ref_name, '-rc')"),
        ("prod", "!contains(github.ref_name, '-rc')"),
    ],
)
def test_each_stack_deploys_on_its_push_or_a_dispatch_for_it(job, trigger):
    condition = load("deploy.yml")["jobs"][job]["if"]
    assert trigger in condition
    assert f"inputs.stack == '{job}'" in condition


def test_only_prod_demands_an_approver_other_than_the_author():
    jobs = load("deploy.yml")["jobs"]
    assert {name: job["with"].get("independent-approval", False) for name, job in jobs.items()} == {
        "dev": False,
        "qa": False,
        "staging": False,
        "prod": True,
    }


def test_each_deploy_runs_in_its_github_environment_after_the_gate():
    jobs = load("deploy-stack.yml")["jobs"]
    assert set(jobs) == {"gate", "deploy"}
    assert jobs["deploy"]["environment"] == "${{ inputs.stack }}"
    assert jobs["deploy"]["needs"] == "gate" and "needs" not in jobs["gate"]
    assert "environment" not in jobs["gate"]
    assert jobs["deploy"]["concurrency"] == {
        "group": "pulumi-${{ inputs.stack }}",
        "cancel-in-progress": False,
    }


def test_callers_grant_what_the_deploy_job_needs():
    needed = load("deploy-stack.yml")["jobs"]["deploy"]["permissions"]
    for job in load("deploy.yml")["jobs"].values():
        assert job["permissions"] == needed and job["secrets"] == "inherit"


def test_the_approval_check_reads_the_runs_review_history_before_any_credential():
    deploy = load("deploy-stack.yml")["jobs"]["deploy"]
    names = [s.get("name", s.get("uses", "")) for s in steps(deploy)]
    check = next(i for i, s in enumerate(steps(deploy)) if "check-approval" in s.get("run", ""))
    credentials = next(i for i, s in enumerate(steps(deploy)) if s.get("id") == "credentials")
    assert check < credentials, names
    assert steps(deploy)[check]["if"] == "inputs.independent-approval"
    assert '--author "$GITHUB_ACTOR" --author "$GITHUB_TRIGGERING_ACTOR"' in steps(deploy)[check]["run"]
    assert deploy["permissions"]["actions"] == "read"


def test_up_runs_with_the_policy_pack_then_every_verification():
    deploy = load("deploy-stack.yml")["jobs"]["deploy"]
    ids = [s.get("id") for s in steps(deploy)]
    assert ids.index("up") < ids.index("converged") < ids.index("cluster") < ids.index("probes")
    assert (
        deploy["env"]["POLICY"]
        == "--policy-pack policy --policy-pack-config policy/config/${{ inputs.stack }}.json"
    )
    assert "pulumi up --yes" in step(deploy, "up")["run"] and "$POLICY" in step(deploy, "up")["run"]
    converged = step(deploy, "converged")["run"]
    assert "pulumi preview --expect-no-changes" in converged and "$POLICY" in converged


@pytest.mark.parametrize("step_id", ["converged", "kubeconfig"])
def test_verification_runs_whenever_up_succeeded_even_after_another_check_failed(step_id):
    deploy = load("deploy-stack.yml")["jobs"]["deploy"]
    assert step(deploy, step_id)["if"] == "${{ !cancelled() && steps.up.outcome == 'success' }}"


@pytest.mark.parametrize("step_id,command", [("cluster", "verify-cluster"), ("probes", "probe-hosts")])
def test_cluster_checks_and_probes_go_through_the_private_api(step_id, command):
    deploy = load("deploy-stack.yml")["jobs"]["deploy"]
    assert command in step(deploy, step_id)["run"]
    assert step(deploy, step_id)["if"] == "${{ !cancelled() && steps.kubeconfig.outcome == 'success' }}"
    assert deploy["runs-on"] == "${{ vars.CLUSTER_RUNNER || 'ubuntu-24.04' }}"


def test_a_failed_deploy_posts_the_rollback_command_to_the_job_summary():
    deploy = load("deploy-stack.yml")["jobs"]["deploy"]
    summary = next(s for s in steps(deploy) if "rollback-summary" in s.get("run", ""))
    assert summary["if"] == "${{ failure() && steps.up.outcome != 'skipped' }}"
    assert summary["run"].endswith('>> "$GITHUB_STEP_SUMMARY"')
    assert summary["env"]["PREVIOUS"] == "${{ steps.previous.outputs.ref }}"


def test_every_deploy_notifies_the_alert_receivers_whatever_its_outcome():
    deploy = load("deploy-stack.yml")["jobs"]["deploy"]
    notify = next(s for s in steps(deploy) if "release.py notify" in s.get("run", ""))
    assert notify["if"] == "${{ always() && steps.credentials.outcome == 'success' }}"
    assert notify["env"]["STATUS"] == "${{ job.status }}" and notify["continue-on-error"] is True


def test_aws_access_is_oidc_only():
    for name in ("pull-request.yml", "deploy-stack.yml", "drift.yml"):
        text = (WORKFLOWS / name).read_text()
        assert "aws-access-key-id" not in text and "aws-secret-access-key" not in text
        assert "role-to-assume" in text


# --- drift ----------------------------------------------------------------------------------------


def test_drift_runs_nightly_for_every_aws_stack_with_the_read_only_role():
    drift = load("drift.yml")
    assert [s["cron"] for s in drift["on"]["schedule"]] == ["23 3 * * *"]
    job = drift["jobs"]["drift"]
    assert job["strategy"]["matrix"]["stack"] == AWS_STACKS
    assert sorted(p.name for p in ROOT.glob("Pulumi.*.yaml")) == sorted(
        f"Pulumi.{s}.yaml" for s in [*AWS_STACKS, "local"]
    )
    credentials = next(s for s in steps(job) if "configure-aws-credentials" in s.get("uses", ""))
    assert credentials["with"]["role-to-assume"] == "${{ vars.AWS_PREVIEW_ROLE_ARN }}"
    assert job["permissions"] == {"contents": "read", "id-token": "write", "issues": "write"}
    assert "environment" not in job


def test_drift_compares_cloud_with_state_and_code_with_state():
    run = step(load("drift.yml")["jobs"]["drift"], "compare")["run"]
    assert 'pulumi refresh --preview-only --expect-no-changes --json --stack "$STACK"' in run
    assert 'pulumi preview --expect-no-changes --json --stack "$STACK"' in run
    assert "release.py drift-report" in run


def test_drift_opens_or_updates_one_issue_per_stack_and_closes_it_once_converged():
    job = load("drift.yml")["jobs"]["drift"]
    by_condition = {s.get("if"): s.get("run", "") for s in steps(job)}
    upsert = by_condition["steps.compare.outputs.status == '2'"]
    assert 'title="Drift: $STACK"' in upsert
    assert "gh issue edit" in upsert and "gh issue create" in upsert
    assert "gh issue close" in by_condition["steps.compare.outputs.status == '0'"]
    assert "exit 1" in by_condition["steps.compare.outputs.status == '1'"]


# --- .github/scripts/release.py -------------------------------------------------------------------

TAGS = ["v1.2.0", "v1.3.0-rc1", "v1.3.0-rc2", "v1.3.0", "v1.10.0-rc1", "v1.10.0", "v1.4.0-rc1", "junk"]


@pytest.mark.parametrize(
    "stack,current,previous",
    [
        ("prod", "v1.10.0", "v1.3.0"),  # versions compare as numbers, not text
        ("prod", "v1.3.0", "v1.2.0"),
        ("prod", "v1.2.0", None),
        ("staging", "v1.10.0-rc1", "v1.4.0-rc1"),
        ("qa", "v1.4.0-rc1", "v1.3.0-rc2"),
        ("qa", "v1.3.0-rc1", None),
    ],
)
def test_the_rollback_target_is_the_stacks_previous_release(stack, current, previous):
    assert release.previous_release(stack, current, TAGS) == previous


def test_dev_rolls_back_to_where_main_was_before_the_push():
    assert release.rollback_ref("dev", "refs/heads/main", "a" * 40, TAGS) == "a" * 40
    assert release.rollback_ref("dev", "refs/heads/main", "0" * 40, TAGS) is None
    assert release.rollback_ref("prod", "refs/tags/v1.3.0", "", TAGS) == "v1.2.0"


def test_the_rollback_summary_is_the_previous_releases_pulumi_up_through_the_deploy_workflow():
    text = release.rollback_markdown("prod", "v1.3.0", "v1.2.0")
    assert "gh workflow run deploy.yml --ref v1.2.0 -f stack=prod" in text
    assert "pulumi up --yes --stack prod --policy-pack policy" in text
    assert "--policy-pack-config policy/config/prod.json" in text


def test_the_rollback_runbook_gives_the_same_commands():
    runbook = (ROOT / "docs" / "runbooks" / "rollback.md").read_text()
    assert "gh workflow run deploy.yml --ref <previous tag> -f stack=<stack>" in runbook
    assert "pulumi up --yes --stack <stack> --policy-pack policy" in runbook
    assert "git revert --no-edit <before>..<sha>" in runbook


def test_without_an_earlier_release_the_summary_says_fix_forward():
    assert "fix forward" in release.rollback_markdown("prod", "v1.0.0", None)


APPROVALS = [
    {"state": "approved", "environments": [{"name": "prod"}], "user": {"login": "alice"}},
    {"state": "rejected", "environments": [{"name": "prod"}], "user": {"login": "carol"}},
    {"state": "approved", "environments": [{"name": "staging"}], "user": {"login": "bob"}},
]


def test_an_approval_by_the_author_alone_is_not_independent():
    assert release.independent_approvers(APPROVALS, "prod", {"alice"}) == []


def test_another_approver_of_that_environment_is_independent():
    assert release.independent_approvers(APPROVALS, "prod", {"dave"}) == ["alice"]
    assert release.independent_approvers(APPROVALS, "staging", {"alice"}) == ["bob"]


def test_the_default_storage_class_is_read_from_its_annotation():
    classes = {
        "items": [
            {"metadata": {"name": "gp2", "annotations": {release.DEFAULT_CLASS: "false"}}},
            {"metadata": {"name": "gp3-encrypted", "annotations": {release.DEFAULT_CLASS: "true"}}},
            {"metadata": {"name": "io2"}},
        ]
    }
    assert release.default_storage_classes(classes) == ["gp3-encrypted"]


def test_prometheus_targets_down_or_not_yet_scraped_are_reported():
    targets = {
        "data": {
            "activeTargets": [
                {"labels": {"job": "node", "instance": "10.0.0.1:9100"}, "health": "up"},
                {
                    "labels": {"job": "kafka", "instance": "10.0.0.2:9308"},
                    "health": "down",
                    "lastError": "EOF",
                },
                {"labels": {"job": "redis", "instance": "10.0.0.3:9121"}, "health": "unknown"},
            ]
        }
    }
    assert release.target_health(targets) == (["kafka 10.0.0.2:9308: EOF"], ["redis 10.0.0.3:9121"])


def test_only_hosts_behind_an_internet_facing_load_balancer_are_probed():
    def ingress(hosts, lb):
        return {
            "spec": {"rules": [{"host": h} for h in hosts]},
            "status": {"loadBalancer": {"ingress": [{"hostname": lb}]}},
        }

    ingresses = {
        "items": [
            ingress(["api.example.com", "*.example.com"], "k8s-apps-1234.eu-west-1.elb.amazonaws.com"),
            ingress(["admin.internal.example.com"], "internal-k8s-apps-5678.eu-west-1.elb.amazonaws.com"),
            {"spec": {"rules": [{"host": "pending.example.com"}]}, "status": {}},
        ]
    }
    assert release.public_hosts(ingresses) == ["api.example.com"]


PREVIEW = {
    "steps": [
        {"op": "same", "urn": "urn:pulumi:prod::groundwork::aws:s3/bucket:Bucket::exports"},
        {
            "op": "update",
            "urn": "urn:pulumi:prod::groundwork::aws:ec2/securityGroup:SecurityGroup::db-sg",
            "diffReasons": ["ingress"],
        },
    ],
    "changeSummary": {"same": 1, "update": 1},
}
REFRESH = {
    "steps": [
        {"op": "refresh", "urn": "urn:pulumi:prod::groundwork::aws:kms/key:Key::platform-key"},
        {
            "op": "refresh",
            "urn": "urn:pulumi:prod::groundwork::aws:rds/instance:Instance::db",
            "detailedDiff": {"backupRetentionPeriod": {"kind": "update"}},
        },
    ]
}


def test_drift_is_summarised_per_resource_and_property():
    assert release.changes(PREVIEW) == [
        ("update", "db-sg (aws:ec2/securityGroup:SecurityGroup)", ["ingress"])
    ]
    assert release.changes(REFRESH) == [
        ("refresh", "db (aws:rds/instance:Instance)", ["backupRetentionPeriod"])
    ]
    text = release.drift_markdown("prod", REFRESH, PREVIEW)
    assert "| refresh | `db (aws:rds/instance:Instance)` | `backupRetentionPeriod` |" in text


def test_drift_report_exit_codes(tmp_path):
    def run(refresh, refresh_exit, preview, preview_exit):
        files = []
        for name, doc in (("refresh", refresh), ("preview", preview)):
            path = tmp_path / f"{name}.json"
            path.write_text(json.dumps(doc) if doc is not None else "")
            files.append(str(path))
        out = str(tmp_path / "drift.md")
        return release.drift_report("prod", files[0], refresh_exit, files[1], preview_exit, out)

    assert run({"steps": []}, 0, {"steps": []}, 0) == 0
    assert run(REFRESH, 255, PREVIEW, 255) == 2
    assert run(None, 255, {"steps": []}, 0) == 1


def test_pull_requests_lint_before_they_test():
    """The linter configured is the linter run: the PR job runs `make lint` (ruff) before the suite."""
    runs = [step.get("run") for step in load("pull-request.yml")["jobs"]["test"]["steps"]]
    assert runs.index("make lint") < runs.index("make test")
