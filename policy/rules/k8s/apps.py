"""Rules for the teams' own services: where app images come from, how prod pins them, and that an app
running more than one replica survives a node drain.

An *app workload* is a Deployment, StatefulSet, DaemonSet, Job or CronJob created under a
`groundwork:apps:App` component: what a team declared under `groundwork:apps`. The application
namespace also hosts what the platform runs for the apps (the in-cluster data services, the
data-service exporters' charts); their images are the platform's own, pinned in its components and
judged by K8S-POD-014 and K8S-POD-025, so a rule here never mistakes them for an app.

"This stack's registries" are the `aws:ecr/repository:Repository` resources of the stack. An image
belongs to one when its host is an ECR private registry (`<account>.dkr.ecr.<region>.amazonaws.com`)
and its path is the repository's `name`, or, while the image is only known after deploy (the
repository's URL at preview), when the engine records that the workload's `spec` came from that
repository.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator
from dataclasses import dataclass

from pulumi_policy.proxy import UnknownValueError

from policy.framework import UNKNOWN, Resource, Stack, stack_rule
from policy.helpers import (
    CRON_JOB,
    DAEMON_SET,
    DEPLOYMENT,
    JOB,
    STATEFUL_SET,
    as_list,
    containers,
    each,
    number,
    pod_labels,
    pod_spec,
)

APP_COMPONENT = "groundwork:apps:App"
ECR_REPOSITORY = "aws:ecr/repository:Repository"
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"
APP_WORKLOADS = (DEPLOYMENT, STATEFUL_SET, DAEMON_SET, JOB, CRON_JOB)
ECR_PRIVATE_HOST = re.compile(r"^\d{12}\.dkr\.ecr(-fips)?\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$")
IMMUTABLE_MODES = ("IMMUTABLE", "IMMUTABLE_WITH_EXCLUSION")


# --- what an app is -------------------------------------------------------------------------------


def app_component(r: Resource) -> Resource | None:
    """The `groundwork:apps:App` component `r` was created under, if any."""
    node = r.parent
    while node is not None:
        if node.type == APP_COMPONENT:
            return node
        node = node.parent
    return None


def app_workloads(stack: Stack) -> list[Resource]:
    return [w for w in stack.of_type(*APP_WORKLOADS) if app_component(w) is not None]


# --- images and the stack's registries ------------------------------------------------------------


@dataclass(frozen=True)
class Image:
    """An image reference split into its parts; `host` is docker.io when the reference names none."""

    reference: str
    host: str
    path: str
    tag: str | None
    digest: str | None

    @classmethod
    def parse(cls, reference: str) -> Image:
        name, _, digest = reference.partition("@")
        first, _, rest = name.partition("/")
        if rest and ("." in first or ":" in first or first == "localhost"):
            host, path = first, rest
        else:
            host, path = "docker.io", name
            if "/" not in path:
                path = f"library/{path}"
        path, _, tag = path.partition(":")
        return cls(reference, host, path, tag or None, digest or None)

    @property
    def name(self) -> str:
        """host/path, without tag or digest."""
        return f"{self.host}/{self.path}"

    @property
    def full(self) -> str:
        """host/path[:tag][@digest], with docker.io spelled out."""
        return self.name + (f":{self.tag}" if self.tag else "") + (f"@{self.digest}" if self.digest else "")

    def matches(self, pattern: str) -> bool:
        """Whether an allow-list pattern names this image (any tag) or exactly this reference."""
        return fnmatch.fnmatchcase(self.name, pattern) or fnmatch.fnmatchcase(self.full, pattern)


def _workload_images(workload: Resource, *, strict: bool) -> Iterator[tuple[str, Image | None]]:
    """(container, image) for every container. An image only known after deploy is None, or, when
    `strict`, raises UnknownValueError: the rule cannot tell for this workload."""
    for name, container in containers(pod_spec(workload)):
        try:
            value = container.get("image")
        except UnknownValueError:
            if strict:
                raise
            value = None
        yield name, Image.parse(value) if isinstance(value, str) and value else None


def _source_repositories(workload: Resource, repositories: list[Resource]) -> list[Resource]:
    """The stack's repositories the engine says the workload's `spec` was built from."""
    urns = set(workload.depends_on("spec"))
    return [repo for repo in repositories if repo.urn in urns]


def repository_of(image: Image, workload: Resource, repositories: list[Resource]) -> Resource | None:
    """The stack repository an image is pulled from, or None when it comes from elsewhere."""
    if not ECR_PRIVATE_HOST.match(image.host):
        return None
    by_name = [repo for repo in repositories if repo.peek("name") == image.path]
    if by_name:
        return by_name[0]
    # A repository named by the engine (auto-naming) has no `name` input in the program's request;
    # the image is then its URL, and the engine records where the workload's spec came from.
    unnamed = [r for r in _source_repositories(workload, repositories) if r.peek("name") in (None, UNKNOWN)]
    return unnamed[0] if len(unnamed) == 1 else None


def tag_is_immutable(repository: Resource, tag: str) -> bool:
    """Whether ECR refuses to move `tag` in `repository`, exclusion filters included."""
    mode = repository.get("imageTagMutability") or "MUTABLE"
    filters = [
        str(f.get("filter"))
        for f in as_list(repository.get("imageTagMutabilityExclusionFilters"))
        if isinstance(f, dict) and f.get("filter")
    ]
    excluded = any(fnmatch.fnmatchcase(tag, pattern) for pattern in filters)
    if mode == "IMMUTABLE":
        return True
    if mode == "IMMUTABLE_WITH_EXCLUSION":
        return not excluded
    if mode == "MUTABLE_WITH_EXCLUSION":
        return excluded
    return False


def _label(workload: Resource) -> str:
    namespace = workload.peek("metadata.namespace")
    name = workload.peek("metadata.name")
    if isinstance(namespace, str) and isinstance(name, str):
        return f"{workload.type.rsplit(':', 1)[-1]} {namespace}/{name}"
    return workload.name


# --- rules ----------------------------------------------------------------------------------------


@stack_rule(
    id="K8S-APP-001",
    title="App images come from this stack's registries",
    severity="high",
    description="In the environments of the policy config's `environments` (default staging and prod), "
    "every container of every app workload pulls from one of the stack's own ECR repositories "
    "(`<account>.dkr.ecr.<region>.amazonaws.com/<repository name>`), or from an image matched by "
    "`allowedImages` (fnmatch patterns over `host/path` for any tag, or over the whole reference, "
    "e.g. `docker.io/library/postgres:18.4@sha256:…` for exactly that image). An "
    "image only known after deploy passes when the engine records that the workload's spec came "
    "from one of the stack's repositories.",
    rationale="The stack's repositories are the ones that scan on push, keep tags immutable and admit only "
    "the CI push role; an image from anywhere else has skipped the path that vets what prod "
    "runs, and a public registry can change or vanish under a running service.",
    remediation="Set `apps.<app>.image.repository` to a name (the stack creates the repository and the "
    "image pipeline pushes there), or, after review, list the external image in "
    "`allowedImages` in policy/config/<env>.json.",
    thresholds={"environments": ["staging", "prod"], "allowedImages": []},
)
def app_images_from_stack_registries(stack: Stack):
    if stack.environment not in stack.threshold("environments", ["staging", "prod"]):
        return
    allowed = [str(p) for p in stack.threshold("allowedImages", [])]
    repositories = stack.of_type(ECR_REPOSITORY)

    def check(workload: Resource):
        for container, image in _workload_images(workload, strict=False):
            if image is None:
                if not _source_repositories(workload, repositories):
                    workload.get("spec.template")  # not from this stack: cannot tell until it is known
                continue
            if repository_of(image, workload, repositories) is not None:
                continue
            if any(image.matches(pattern) for pattern in allowed):
                continue
            yield (
                workload,
                (
                    f"{_label(workload)} {container} pulls {image.reference}, which is neither one of "
                    "this stack's ECR repositories nor in allowedImages"
                ),
            )

    yield from each(app_workloads(stack), check)


@stack_rule(
    id="K8S-APP-002",
    title="Prod app images are pinned by digest or an immutable tag",
    severity="high",
    description="In the environments of the policy config's `environments` (default prod), every container "
    "image of every app workload carries an `@sha256:` digest, or a tag other than `latest` in one "
    "of the stack's ECR repositories whose `imageTagMutability` keeps that tag immutable "
    "(IMMUTABLE, or IMMUTABLE_WITH_EXCLUSION with no exclusion filter matching the tag).",
    rationale="A mutable tag can be pushed again under a running Deployment: the next reschedule runs code "
    "that was never scanned or reviewed, and two pods of one ReplicaSet can differ. A digest, or "
    "a tag the registry refuses to move, makes what prod runs exactly what the pipeline shipped.",
    remediation="Deploy through the image pipeline (it sets `apps.<app>.image.digest`), or set "
    "`image.digest: sha256:…`; keep the stack's repositories at `imageTagMutability: IMMUTABLE`.",
    thresholds={"environments": ["prod"]},
)
def app_images_pinned(stack: Stack):
    if stack.environment not in stack.threshold("environments", ["prod"]):
        return
    repositories = stack.of_type(ECR_REPOSITORY)

    def check(workload: Resource):
        for container, image in _workload_images(workload, strict=True):
            if image is None or image.digest:
                continue
            where = f"{_label(workload)} {container} uses {image.reference}"
            if image.tag in (None, "latest"):
                yield workload, f"{where}: no digest and no release tag"
                continue
            repository = repository_of(image, workload, repositories)
            if repository is None:
                yield workload, f"{where}: a tag outside this stack's repositories can be moved; pin a digest"
            elif not tag_is_immutable(repository, image.tag):
                mode = repository.get("imageTagMutability") or "MUTABLE"
                yield (
                    workload,
                    f"{where}: repository {repository.name} is {mode}, so the tag can be pushed again",
                )

    yield from each(app_workloads(stack), check)


def _selects(selector: dict | None, labels: dict) -> bool:
    """Whether a PodDisruptionBudget's selector matches `labels`. In policy/v1 a null selector
    matches no pods and an empty one every pod of the namespace."""
    if not isinstance(selector, dict):
        return False
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expression in as_list(selector.get("matchExpressions")):
        key, operator, values = (
            expression.get("key"),
            expression.get("operator"),
            as_list(expression.get("values")),
        )
        present = key in labels
        if (
            (operator == "In" and labels.get(key) not in values)
            or (operator == "NotIn" and present and labels.get(key) in values)
            or (operator == "Exists" and not present)
            or (operator == "DoesNotExist" and present)
        ):
            return False
    return True


def _minimum_replicas(workload: Resource, autoscalers: list[Resource]) -> float:
    """The fewest pods the workload runs: its HPA's minReplicas (1 when unset), else spec.replicas."""
    namespace, name = workload.get("metadata.namespace"), workload.get("metadata.name")
    kind = workload.type.rsplit(":", 1)[-1]
    for hpa in autoscalers:
        target = hpa.get("spec.scaleTargetRef") or {}
        if (
            hpa.get("metadata.namespace") == namespace
            and target.get("kind") == kind
            and target.get("name") == name
        ) or workload.urn in hpa.depends_on("spec"):
            return number(hpa.get("spec.minReplicas"), 1.0) or 1.0
    return number(workload.get("spec.replicas"), 1.0) or 1.0


@stack_rule(
    id="K8S-APP-003",
    title="Apps with more than one replica have a PodDisruptionBudget",
    severity="medium",
    description="Every app Deployment or StatefulSet that runs at least two pods (`spec.replicas >= 2`, or "
    "a HorizontalPodAutoscaler targeting it with `minReplicas >= 2`) has a "
    "`policy/v1` PodDisruptionBudget in its namespace whose selector matches its pod template "
    "labels.",
    rationale="Without a budget a node drain (cluster upgrade, node replacement, Karpenter or Cluster "
    "Autoscaler consolidation) may evict every replica at once: the service the replicas were "
    "meant to keep up goes down during routine maintenance.",
    remediation="Give the app `replicas.min >= 2`; the App component then creates a PodDisruptionBudget "
    "with `maxUnavailable: 1` selecting its pods.",
)
def app_disruption_budget(stack: Stack):
    autoscalers = stack.of_type(HPA)
    budgets = stack.of_type(PDB)

    def check(workload: Resource):
        if workload.type not in (DEPLOYMENT, STATEFUL_SET):
            return
        minimum = _minimum_replicas(workload, autoscalers)
        if minimum < 2:
            return
        namespace, labels = workload.get("metadata.namespace"), pod_labels(workload)
        if not any(
            b.get("metadata.namespace") == namespace and _selects(b.get("spec.selector"), labels)
            for b in budgets
        ):
            yield (
                workload,
                f"{_label(workload)} runs at least {minimum:g} pods and no PodDisruptionBudget selects them",
            )

    yield from each(app_workloads(stack), check)
