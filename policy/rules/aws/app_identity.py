"""The app's AWS identity: each app's IAM role can be assumed by that app's own pods and nothing else.

An *app role* is an `aws:iam/role:Role` created under a `groundwork:apps:App` component (the
platform's own IRSA roles, such as the Kafka exporter's in the application namespace, are judged by
AWS-IAM-006 alone). Its trust must be IRSA in the narrowest form AWS offers: one statement,
`sts:AssumeRoleWithWebIdentity` only, federated to the stack's own EKS OIDC provider, with
`StringEquals` on exactly one `<issuer>:sub` = `system:serviceaccount:<namespace>:<name>` and
`<issuer>:aud` = `sts.amazonaws.com`; and that service account is one the same app creates.

AWS-IAM-006 already refuses web-identity trusts without `aud` or `sub` on every role; this rule adds
what only the whole stack shows (whose provider, whose service account) and the exact shape.
"""

from __future__ import annotations

import re

from policy.framework import Resource, Stack, stack_rule
from policy.helpers import as_list, each, policy_document, statements
from policy.rules.k8s.apps import app_component

ROLE = "aws:iam/role:Role"
OIDC_PROVIDER = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"
SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"
WEB_IDENTITY = "sts:AssumeRoleWithWebIdentity"
STS_AUDIENCE = "sts.amazonaws.com"
SUBJECT = re.compile(
    r"^system:serviceaccount:([a-z0-9]([-a-z0-9]*[a-z0-9])?):([a-z0-9]([-.a-z0-9]*[a-z0-9])?)$"
)


def _issuer(provider: Resource) -> str | None:
    """The provider's issuer as IAM condition keys spell it (its URL without the scheme)."""
    url = provider.peek("url")
    return url.removeprefix("https://") if isinstance(url, str) else None


def _trusted_provider(role: Resource, federated: str, providers: list[Resource]) -> Resource | None:
    """The stack's OIDC provider the trust federates to: through the engine's record of where the
    policy came from (exact even while the ARN is unknown), else by the ARN's provider path."""
    urns = set(role.depends_on("assumeRolePolicy"))
    for provider in providers:
        if provider.urn in urns:
            return provider
    for provider in providers:
        issuer = _issuer(provider)
        if issuer and federated.endswith(f":oidc-provider/{issuer}"):
            return provider
    return None


def _service_accounts(stack: Stack) -> dict[tuple[str, str], Resource]:
    found = {}
    for account in stack.of_type(SERVICE_ACCOUNT):
        namespace, name = account.peek("metadata.namespace"), account.peek("metadata.name")
        if isinstance(namespace, str) and isinstance(name, str):
            found[(namespace, name)] = account
    return found


def _app_roles(stack: Stack) -> list[Resource]:
    return [role for role in stack.of_type(ROLE) if app_component(role) is not None]


def _subject_problems(statement: dict, issuer: str | None) -> tuple[list[str], tuple[str, str] | None]:
    """What is wrong with the statement's conditions, and the (namespace, name) it pins."""
    condition = statement.get("Condition") or {}
    problems: list[str] = []
    equals = condition.get("StringEquals") if isinstance(condition.get("StringEquals"), dict) else {}
    others = sorted(op for op in condition if op != "StringEquals")
    if others:
        problems.append(f"uses condition operators {', '.join(others)}; only StringEquals pins one subject")
    subs = {k: v for k, v in equals.items() if k.endswith(":sub")}
    auds = {k: v for k, v in equals.items() if k.endswith(":aud")}
    if len(subs) != 1:
        problems.append(f"has {len(subs)} `…:sub` conditions; exactly one is needed")
    if len(auds) != 1 or [str(v) for v in as_list(next(iter(auds.values()), None))] != [STS_AUDIENCE]:
        problems.append(f"must pin `…:aud` to exactly {STS_AUDIENCE}")
    for key in (*subs, *auds):
        if issuer and key.rsplit(":", 1)[0] != issuer:
            problems.append(f"conditions on {key.rsplit(':', 1)[0]}, not this stack's issuer {issuer}")
            break
    pinned = None
    if len(subs) == 1:
        values = [str(v) for v in as_list(next(iter(subs.values())))]
        match = SUBJECT.match(values[0]) if len(values) == 1 else None
        if match is None:
            problems.append(f"`…:sub` is {values}; it must be one system:serviceaccount:<namespace>:<name>")
        else:
            pinned = (match.group(1), match.group(3))
    return problems, pinned


@stack_rule(
    id="AWS-IRSA-001",
    title="App roles trust exactly their own ServiceAccount",
    severity="high",
    description="Every app IAM role's `assumeRolePolicy` has one Allow statement, action "
    "`sts:AssumeRoleWithWebIdentity` only, Principal `Federated` = the stack's own "
    "`aws:iam/openIdConnectProvider`, and `StringEquals` conditions on exactly one "
    "`<issuer>:sub` = `system:serviceaccount:<namespace>:<name>` and `<issuer>:aud` = "
    "`sts.amazonaws.com` (no other operator); the service account it names is a "
    "`kubernetes:core/v1:ServiceAccount` of the stack, created by the same app.",
    rationale="An app role carries the app's own database login, topics and secrets. A second statement, a "
    "wildcard or StringLike subject, another cluster's provider, or a service account that some "
    "other workload can use lets a different pod assume the role and read that app's data.",
    remediation="Build app roles with the App component (its role trusts the app's ServiceAccount only), or "
    "with `components.irsa.irsa_role` for the app's own namespace and service account.",
)
def app_roles_trust_own_service_account(stack: Stack):
    providers = stack.of_type(OIDC_PROVIDER)
    accounts = _service_accounts(stack)

    def check(role: Resource):
        allows = [
            s for s in statements(policy_document(role.get("assumeRolePolicy"))) if s.get("Effect") == "Allow"
        ]
        if len(allows) != 1:
            yield (
                role,
                f"role {role.name} has {len(allows)} Allow statements in its trust; an app role has one",
            )
            return
        statement = allows[0]
        actions = [str(a) for a in as_list(statement.get("Action"))]
        if actions != [WEB_IDENTITY]:
            yield role, f"role {role.name} trusts actions {actions}; only {WEB_IDENTITY}"
        principal = statement.get("Principal")
        federated = (
            [str(p) for p in as_list(principal.get("Federated"))] if isinstance(principal, dict) else []
        )
        provider = None
        if len(federated) != 1 or set(principal) != {"Federated"}:
            yield role, f"role {role.name} trusts {principal!r}; it must federate to one OIDC provider"
        else:
            provider = _trusted_provider(role, federated[0], providers)
            if provider is None:
                yield (
                    role,
                    f"role {role.name} federates to {federated[0]}, not this stack's EKS OIDC provider",
                )
        issuer = _issuer(provider) if provider is not None else None
        problems, pinned = _subject_problems(statement, issuer)
        for problem in problems:
            yield role, f"role {role.name} {problem}"
        if pinned is None:
            return
        account = accounts.get(pinned)
        subject = f"{pinned[0]}/{pinned[1]}"
        app, owner = app_component(role), app_component(account) if account is not None else None
        if account is None:
            yield role, f"role {role.name} trusts {subject}, a service account this stack does not create"
        elif app is not None and owner is not app:
            yield (
                role,
                (
                    f"role {role.name} trusts {subject}, which belongs to "
                    f"{owner.name if owner else 'no app'}, not to {app.name}"
                ),
            )

    yield from each(_app_roles(stack), check)
