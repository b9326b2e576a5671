"""What the deploy and drift workflows run after `pulumi`: the rollback target, the independent-approval
check, the post-deploy verification of the cluster and the public hosts, deploy notifications, and the
drift report. Standard library only; every decision is a pure function the tests call directly.

    python .github/scripts/release.py previous-ref --stack prod --ref refs/tags/v1.4.0
    python .github/scripts/release.py check-approval --environment prod --author alice
    python .github/scripts/release.py verify-cluster --storage-class gp3-encrypted \
        --cluster-issuer letsencrypt-production
    python .github/scripts/release.py probe-hosts
    python .github/scripts/release.py rollback-summary --stack prod --ref v1.4.0 --previous v1.3.0
    python .github/scripts/release.py notify --stack prod --status failure --ref v1.4.0 --run-url <url>
    python .github/scripts/release.py drift-report --stack prod --refresh refresh.json --refresh-exit 255 \
        --preview preview.json --preview-exit 0 --out drift.md
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

TAG = re.compile(r"^v(\d+)\.(\d+)\.(\d+)(?:-rc(\d+))?$")
PLATFORM_NAMESPACES = "app.kubernetes.io/part-of=groundwork-platform"
DEFAULT_CLASS = "storageclass.kubernetes.io/is-default-class"
NO_CHANGE_OPS = {"same", "read"}


# --- rollback target ------------------------------------------------------------------------------


def _version(tag: str) -> tuple[int, int, int, float] | None:
    match = TAG.match(tag)
    if not match:
        return None
    major, minor, patch, rc = match.groups()
    return int(major), int(minor), int(patch), float(rc) if rc else float("inf")


def previous_release(stack: str, current: str, tags: Iterable[str]) -> str | None:
    """The tag the stack ran before `current`: for prod the newest release tag (vX.Y.Z) below it, for qa
    and staging the newest release candidate (vX.Y.Z-rcN) below it, which is what those stacks deploy."""
    now = _version(current)
    if now is None:
        return None
    wanted_rc = stack != "prod"
    older = [
        (v, t)
        for t in tags
        if (v := _version(t)) is not None and v < now and (v[3] != float("inf")) == wanted_rc
    ]
    return max(older)[1] if older else None


def rollback_ref(stack: str, ref: str, before: str, tags: Iterable[str]) -> str | None:
    """What a rollback redeploys: the previous tag for a tag deploy, the commit main was at before this
    push for dev (an all-zero `before` means a new branch: nothing to go back to)."""
    if ref.startswith("refs/tags/"):
        return previous_release(stack, ref.removeprefix("refs/tags/"), tags)
    if before and set(before) != {"0"}:
        return before
    return None


def rollback_markdown(stack: str, ref: str, previous: str | None) -> str:
    """The job summary of a deploy that failed: what to run. docs/runbooks/rollback.md has the same."""
    lines = [f"## Deploy of `{ref}` to `{stack}` failed", ""]
    if previous is None:
        lines += ["There is no earlier release of this stack to roll back to: fix forward."]
        return "\n".join(lines) + "\n"
    if stack == "dev":
        lines += [
            "dev deploys main: revert the pushed commits on main and the push redeploys the previous state:",
            "",
            "```sh",
            f"git revert --no-edit {previous}..{ref}",
            "git push origin main",
            "```",
        ]
        return "\n".join(lines) + "\n"
    lines += [
        f"Roll back: `pulumi up` of the previous release `{previous}`, through the same gates and approvals:",
        "",
        "```sh",
        f"gh workflow run deploy.yml --ref {previous} -f stack={stack}",
        "```",
        "",
        "It runs, from that tag's code:",
        "",
        "```sh",
        f"pulumi up --yes --stack {stack} --policy-pack policy \\",
        f"  --policy-pack-config policy/config/{stack}.json",
        "```",
        "",
        "Stateful resources are protected in prod: if the older code would replace one, the update "
        "fails instead of deleting data; then follow docs/runbooks/rollback.md.",
    ]
    return "\n".join(lines) + "\n"


# --- approvals ------------------------------------------------------------------------------------


def independent_approvers(
    approvals: Sequence[Mapping[str, Any]], environment: str, authors: set[str]
) -> list[str]:
    """Who approved `environment` in this run, other than the release's authors (the GitHub
    `/actions/runs/{id}/approvals` review history)."""
    found = []
    for review in approvals:
        names = {env.get("name") for env in review.get("environments", [])}
        login = (review.get("user") or {}).get("login")
        if review.get("state") == "approved" and environment in names and login and login not in authors:
            found.append(login)
    return sorted(set(found))


def _github(path: str) -> Any:
    request = urllib.request.Request(
        f"{os.environ.get('GITHUB_API_URL', 'https://api.github.com')}{path}",
        headers={
            "Authorization": f"Bearer {os.environ['GH_TOKEN']}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
        },
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


# --- cluster verification -------------------------------------------------------------------------


def default_storage_classes(storage_classes: Mapping[str, Any]) -> list[str]:
    return sorted(
        item["metadata"]["name"]
        for item in storage_classes.get("items", [])
        if (item["metadata"].get("annotations") or {}).get(DEFAULT_CLASS) == "true"
    )


def target_health(targets: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """(down, not yet scraped) active Prometheus targets, each as `job instance: error`."""
    down, pending = [], []
    for target in targets.get("data", {}).get("activeTargets", []):
        labels = target.get("labels", {})
        where = f"{labels.get('job', '?')} {labels.get('instance', target.get('scrapeUrl', '?'))}"
        if target.get("health") == "down":
            down.append(f"{where}: {target.get('lastError', '')}".rstrip(": "))
        elif target.get("health") != "up":
            pending.append(where)
    return down, pending


def public_hosts(ingresses: Mapping[str, Any]) -> list[str]:
    """Hosts of Ingresses behind an internet-facing load balancer (an internal ALB's DNS name starts
    with `internal-`); wildcard hosts cannot be probed."""
    hosts = set()
    for item in ingresses.get("items", []):
        balancers = (item.get("status", {}).get("loadBalancer") or {}).get("ingress") or []
        if not any(not str(lb.get("hostname", "")).startswith("internal-") for lb in balancers):
            continue
        for rule in item.get("spec", {}).get("rules", []):
            host = rule.get("host")
            if host and not host.startswith("*"):
                hosts.add(host)
    return sorted(hosts)


def _kubectl(*args: str) -> str:
    return subprocess.run(["kubectl", *args], check=True, capture_output=True, text=True).stdout


def _check(name: str, ok: bool, detail: str, failures: list[str]) -> None:
    print(f"{'ok  ' if ok else 'FAIL'} {name}: {detail}")
    if not ok:
        failures.append(f"{name}: {detail}")


def verify_cluster(storage_class: str, cluster_issuer: str, monitoring_ns: str, attempts: int) -> int:
    failures: list[str] = []
    namespaces = ["kube-system", *_kubectl("get", "ns", "-l", PLATFORM_NAMESPACES, "-o", "name").split()]
    for namespace in (n.removeprefix("namespace/") for n in namespaces):
        for deployment in _kubectl("-n", namespace, "get", "deployments", "-o", "name").split():
            status = subprocess.run(
                ["kubectl", "-n", namespace, "rollout", "status", deployment, "--timeout=300s"],
                capture_output=True,
                text=True,
            )
            _check(f"{namespace}/{deployment}", status.returncode == 0, "rolled out", failures)
    defaults = default_storage_classes(json.loads(_kubectl("get", "storageclass", "-o", "json")))
    _check(
        "default StorageClass",
        defaults == [storage_class],
        f"want [{storage_class}], have {defaults}",
        failures,
    )
    ready = subprocess.run(
        ["kubectl", "wait", "--for=condition=Ready", f"clusterissuer/{cluster_issuer}", "--timeout=120s"],
        capture_output=True,
        text=True,
    )
    _check(f"ClusterIssuer {cluster_issuer}", ready.returncode == 0, "Ready", failures)
    down, pending = _prometheus_targets(monitoring_ns, attempts)
    _check(
        "Prometheus targets", not down and not pending, f"down {down}, not yet scraped {pending}", failures
    )
    return 1 if failures else 0


def _prometheus_targets(namespace: str, attempts: int) -> tuple[list[str], list[str]]:
    """Ask Prometheus itself (inside its pod: no port-forward, no NetworkPolicy in the way), waiting
    for targets discovered by this deploy to be scraped once."""
    pod = _kubectl("-n", namespace, "get", "pod", "-l", "app.kubernetes.io/name=prometheus", "-o", "name")
    pod = pod.split()[0]
    down: list[str] = []
    pending: list[str] = []
    for attempt in range(attempts):
        raw = _kubectl(
            "-n",
            namespace,
            "exec",
            pod,
            "-c",
            "prometheus",
            "--",
            "wget",
            "-qO-",
            "http://localhost:9090/api/v1/targets?state=active",
        )
        down, pending = target_health(json.loads(raw))
        if not down and not pending:
            break
        if attempt + 1 < attempts:
            time.sleep(30)
    return down, pending


def probe(host: str, attempts: int = 5) -> tuple[bool, str]:
    """HTTPS with certificate verification; any answer below 500 means the host, its certificate, the
    load balancer and a backend are there."""
    detail = ""
    for attempt in range(attempts):
        try:
            with urllib.request.urlopen(f"https://{host}/", timeout=10) as response:
                return True, f"HTTP {response.status}"
        except urllib.error.HTTPError as error:
            if error.code < 500:
                return True, f"HTTP {error.code}"
            detail = f"HTTP {error.code}"
        except (urllib.error.URLError, OSError) as error:
            detail = str(getattr(error, "reason", error))
        if attempt + 1 < attempts:
            time.sleep(15)
    return False, detail


def probe_hosts() -> int:
    failures: list[str] = []
    hosts = public_hosts(json.loads(_kubectl("get", "ingress", "--all-namespaces", "-o", "json")))
    if not hosts:
        print("no public app hosts: nothing to probe")
    for host in hosts:
        ok, detail = probe(host)
        _check(f"https://{host}/", ok, detail, failures)
    return 1 if failures else 0


# --- notifications --------------------------------------------------------------------------------


def _pulumi(*args: str) -> str:
    result = subprocess.run(["pulumi", *args], capture_output=True, text=True)
    return result.stdout.strip() if result.returncode == 0 else ""


def notification_text(stack: str, status: str, ref: str, run_url: str) -> str:
    verdict = {"success": "deployed and verified", "failure": "FAILED (deploy or verification)"}.get(
        status, status
    )
    return f"Groundwork {stack}: {ref} {verdict}. {run_url}"


def notify(stack: str, status: str, ref: str, run_url: str) -> int:
    """To the stack's alert receivers from its own config: the Slack webhook of
    `monitoring.alerting.slackWebhookUrl`, and the alarms SNS topic (its email subscribers are
    `monitoring.alarms.emails`)."""
    text = notification_text(stack, status, ref, run_url)
    webhook = _pulumi(
        "config", "get", "--path", "groundwork:monitoring.alerting.slackWebhookUrl", "--stack", stack
    )
    if webhook:
        print(f"::add-mask::{webhook}")
        request = urllib.request.Request(
            webhook, data=json.dumps({"text": text}).encode(), headers={"Content-Type": "application/json"}
        )
        urllib.request.urlopen(request, timeout=15).close()
        print("notified Slack")
    topic = _pulumi("stack", "output", "alarm_topic_arn", "--stack", stack)
    if topic:
        subject = f"Groundwork {stack} deploy: {status}"
        subprocess.run(
            ["aws", "sns", "publish", "--topic-arn", topic, "--subject", subject, "--message", text],
            check=True,
        )
        print("notified the alarms topic")
    return 0


# --- drift ----------------------------------------------------------------------------------------


def changes(digest: Mapping[str, Any]) -> list[tuple[str, str, list[str]]]:
    """(operation, resource, changed properties) for every step of a `pulumi preview --json` or
    `pulumi refresh --preview-only --json` document that changes something."""
    found = []
    for step in digest.get("steps", []):
        op = step.get("op", "")
        props = sorted(set(step.get("diffReasons") or []) | set(step.get("detailedDiff") or {}))
        if op in NO_CHANGE_OPS or (op == "refresh" and not props):
            continue
        parts = step.get("urn", "").split("::")
        kind = parts[-2] if len(parts) > 1 else "?"
        found.append((op, f"{parts[-1]} ({kind})", props))
    return found


def drift_markdown(stack: str, refresh: Mapping[str, Any], preview: Mapping[str, Any]) -> str:
    lines = [f"Nightly drift check of `{stack}`.", ""]
    for title, digest, meaning in (
        ("Cloud differs from the state (`pulumi refresh --preview-only`)", refresh, "changed outside Pulumi"),
        ("Code differs from the state (`pulumi preview`)", preview, "not yet deployed, or reverted by hand"),
    ):
        rows = changes(digest)
        lines += [f"### {title}", ""]
        if not rows:
            lines += ["No differences.", ""]
            continue
        lines += [
            f"{len(rows)} resource(s) {meaning}:",
            "",
            "| operation | resource | properties |",
            "|---|---|---|",
        ]
        lines += [
            f"| {op} | `{name}` | {', '.join(f'`{p}`' for p in props) or '-'} |" for op, name, props in rows
        ]
        lines.append("")
    lines += [
        "Bring the stack back with `pulumi up` of the current release (it reverts hand-made changes), or "
        "put the change in code. See docs/ci.md (drift).",
    ]
    return "\n".join(lines) + "\n"


def _load(path: str) -> dict[str, Any]:
    try:
        with open(path) as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return {}


def drift_report(
    stack: str, refresh: str, refresh_exit: int, preview: str, preview_exit: int, out: str
) -> int:
    """0 converged, 2 drift (the workflow opens or updates the stack's issue), 1 the check itself broke."""
    refresh_doc, preview_doc = _load(refresh), _load(preview)
    if (refresh_exit and not refresh_doc) or (preview_exit and not preview_doc):
        print(
            f"{stack}: pulumi failed before writing its report "
            f"(refresh exited {refresh_exit}, preview exited {preview_exit})"
        )
        return 1
    drifted = bool(changes(refresh_doc) or changes(preview_doc))
    with open(out, "w") as handle:
        handle.write(drift_markdown(stack, refresh_doc, preview_doc))
    return 2 if drifted else 0


# --- command line ---------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("previous-ref")
    p.add_argument("--stack", required=True)
    p.add_argument("--ref", required=True)
    p.add_argument("--before", default="")
    p = sub.add_parser("check-approval")
    p.add_argument("--environment", required=True)
    p.add_argument("--author", action="append", required=True)
    p = sub.add_parser("verify-cluster")
    p.add_argument("--storage-class", required=True)
    p.add_argument("--cluster-issuer", required=True)
    p.add_argument("--monitoring-namespace", default="monitoring")
    p.add_argument("--attempts", type=int, default=10)
    sub.add_parser("probe-hosts")
    p = sub.add_parser("rollback-summary")
    for flag in ("--stack", "--ref"):
        p.add_argument(flag, required=True)
    p.add_argument("--previous", default="")
    p = sub.add_parser("notify")
    for flag in ("--stack", "--status", "--ref", "--run-url"):
        p.add_argument(flag, required=True)
    p = sub.add_parser("drift-report")
    for flag in ("--stack", "--refresh", "--preview", "--out"):
        p.add_argument(flag, required=True)
    p.add_argument("--refresh-exit", type=int, required=True)
    p.add_argument("--preview-exit", type=int, required=True)
    args = parser.parse_args(argv)

    if args.command == "previous-ref":
        tags = subprocess.run(
            ["git", "tag", "--list", "v*"], check=True, capture_output=True, text=True
        ).stdout
        print(rollback_ref(args.stack, args.ref, args.before, tags.split()) or "")
        return 0
    if args.command == "check-approval":
        repo, run = os.environ["GITHUB_REPOSITORY"], os.environ["GITHUB_RUN_ID"]
        approvers = independent_approvers(
            _github(f"/repos/{repo}/actions/runs/{run}/approvals"), args.environment, set(args.author)
        )
        if not approvers:
            print(
                f"::error::{args.environment} needs an approval from someone other than "
                f"{', '.join(args.author)}"
            )
            return 1
        print(f"{args.environment} approved by {', '.join(approvers)}")
        return 0
    if args.command == "verify-cluster":
        return verify_cluster(
            args.storage_class, args.cluster_issuer, args.monitoring_namespace, args.attempts
        )
    if args.command == "probe-hosts":
        return probe_hosts()
    if args.command == "rollback-summary":
        sys.stdout.write(rollback_markdown(args.stack, args.ref, args.previous or None))
        return 0
    if args.command == "notify":
        return notify(args.stack, args.status, args.ref, args.run_url)
    return drift_report(
        args.stack, args.refresh, args.refresh_exit, args.preview, args.preview_exit, args.out
    )


if __name__ == "__main__":
    raise SystemExit(main())
