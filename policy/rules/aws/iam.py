"""IAM rules: roles, inline and managed policies, attachments, users and OIDC providers (no
administrator or wildcard grants, scoped resources, no privilege escalation, trust policies that
name who may assume a role).

Groundwork creates no CloudTrail trail or AWS Config recorder (they are account-level services
owned outside a platform stack), so no rule reads those types.
"""

from __future__ import annotations

from policy.framework import Resource, Stack, resource_rule, stack_rule
from policy.helpers import (
    actions,
    allows,
    as_list,
    condition_keys,
    grants_any,
    policy_document,
    principals,
    resources,
    unconditioned,
)

ROLE = "aws:iam/role:Role"
POLICY = "aws:iam/policy:Policy"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ROLE_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
POLICY_ATTACHMENT = "aws:iam/policyAttachment:PolicyAttachment"
OIDC_PROVIDER = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"
IAM_USER_TYPES = (
    "aws:iam/user:User",
    "aws:iam/userPolicy:UserPolicy",
    "aws:iam/userPolicyAttachment:UserPolicyAttachment",
    "aws:iam/accessKey:AccessKey",
    "aws:iam/userLoginProfile:UserLoginProfile",
)
IAM_POLICY_TYPES = (POLICY, ROLE_POLICY, ROLE)

AWS_MANAGED_PREFIX = "arn:aws:iam::aws:policy/"
FORBIDDEN_MANAGED = ("AdministratorAccess", "IAMFullAccess", "PowerUserAccess")
DEFAULT_MANAGED_ALLOW = [
    "AmazonEKSClusterPolicy",
    "AmazonEKSVPCResourceController",
    "AmazonEKSWorkerNodePolicy",
    "AmazonEKS_CNI_Policy",
    "AmazonEC2ContainerRegistryReadOnly",
    "AmazonEC2ContainerRegistryPullOnly",
    "AmazonSSMManagedInstanceCore",
    "service-role/AmazonEBSCSIDriverPolicyV3",
    "service-role/AmazonEBSCSIDriverPolicy",
    "service-role/AWSBackupServiceRolePolicyForBackup",
    "service-role/AWSBackupServiceRolePolicyForRestores",
    "AWSBackupServiceRolePolicyForS3Backup",
    "AWSBackupServiceRolePolicyForS3Restore",
    "service-role/AmazonRDSEnhancedMonitoringRole",
    "CloudWatchAgentServerPolicy",
    "AmazonEKSBlockStoragePolicy",
    "AmazonEKSComputePolicy",
    "AmazonEKSLoadBalancingPolicy",
    "AmazonEKSNetworkingPolicy",
]
# Actions that, granted on every resource, let a principal raise its own privileges, mint
# credentials, or rewrite permissions (the families of checkov's CKV_AWS_286-290).
PRIVILEGE_ESCALATION = (
    "iam:PassRole",
    "iam:CreatePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    "iam:AttachRolePolicy",
    "iam:AttachUserPolicy",
    "iam:AttachGroupPolicy",
    "iam:PutRolePolicy",
    "iam:PutUserPolicy",
    "iam:PutGroupPolicy",
    "iam:UpdateAssumeRolePolicy",
    "iam:AddUserToGroup",
    "iam:CreateRole",
    "iam:PutRolePermissionsBoundary",
    "iam:DeleteRolePermissionsBoundary",
    "lambda:UpdateFunctionCode",
    "lambda:CreateFunction",
    "sts:AssumeRole",
)
CREDENTIALS_EXPOSURE = (
    "iam:CreateAccessKey",
    "iam:UpdateAccessKey",
    "iam:CreateLoginProfile",
    "iam:UpdateLoginProfile",
    "iam:CreateServiceSpecificCredential",
    "iam:ResetServiceSpecificCredential",
    "sts:GetFederationToken",
    "redshift:GetClusterCredentials",
    "rds-db:connect",
)
DATA_EXFILTRATION = (
    "s3:GetObject",
    "ssm:GetParameter",
    "ssm:GetParameters",
    "ssm:GetParametersByPath",
    "secretsmanager:GetSecretValue",
    "kms:Decrypt",
    "rds:CopyDBSnapshot",
    "rds:ModifyDBSnapshotAttribute",
    "ec2:ModifySnapshotAttribute",
    "ec2:CreateSnapshot",
)
PERMISSIONS_MANAGEMENT = (
    "iam:CreatePolicy",
    "iam:DeletePolicy",
    "iam:DeleteRolePolicy",
    "iam:DetachRolePolicy",
    "kms:PutKeyPolicy",
    "kms:CreateGrant",
    "s3:PutBucketPolicy",
    "s3:PutBucketAcl",
    "secretsmanager:PutResourcePolicy",
    "sns:SetTopicAttributes",
    "ecr:SetRepositoryPolicy",
    "eks:AssociateAccessPolicy",
    "eks:CreateAccessEntry",
)
READ_ONLY_VERBS = ("Describe", "List", "Get")


def policy_documents(r: Resource) -> list[tuple[str, dict]]:
    """(where, document) for every IAM policy document a Policy, RolePolicy or Role carries inline."""
    if r.type in (POLICY, ROLE_POLICY):
        doc = policy_document(r.get("policy"))
        return [("policy", doc)] if doc else []
    if r.type == ROLE:
        found = []
        for i, inline in enumerate(as_list(r.get("inlinePolicies"))):
            doc = policy_document(inline.get("policy")) if isinstance(inline, dict) else None
            if doc:
                found.append((f"inlinePolicies[{i}] {inline.get('name', '')}".strip(), doc))
        return found
    return []


@resource_rule(
    id="AWS-IAM-001",
    title="No IAM policy grants full administrator access",
    severity="critical",
    resource_types=IAM_POLICY_TYPES,
    description='No Allow statement in a Policy, RolePolicy or Role inline policy has Action "*" together '
    'with Resource "*".',
    rationale="`*:*` is the whole account: anyone who obtains the principal's credentials owns every "
    "resource, every key and every log that would show it.",
    remediation="Grant the specific actions on the specific ARNs the workload uses; for people, use SSO "
    "permission sets outside the platform stack.",
    tags=(
        "checkov:CKV_AWS_1",
        "checkov:CKV_AWS_62",
        "fsbp:IAM.1",
        "cdk-nag:AwsSolutions-IAM5",
        "cdk-nag:NIST.800.53.R5-IAMPolicyNoStatementsWithAdminAccess",
    ),
)
def iam_no_admin(r: Resource):
    for where, doc in policy_documents(r):
        for statement in allows(doc):
            if "*" in actions(statement) and "*" in resources(statement):
                yield f"{r.name} {where} allows every action on every resource"


@resource_rule(
    id="AWS-IAM-002",
    title="No IAM policy grants a whole service",
    severity="high",
    resource_types=IAM_POLICY_TYPES,
    description="No Allow statement has an action of the form `<service>:*` (e.g. `s3:*`, `iam:*`, `kms:*`), "
    "unless the service is listed in the `allowedServiceWildcards` threshold.",
    rationale="A service-wide wildcard grants today's actions and every action AWS adds later, including the "
    "destructive and permission-changing ones, which is never what least privilege meant.",
    remediation="List the actions the workload calls (the AWS service authorization reference lists them per "
    "API).",
    tags=(
        "checkov:CKV_AWS_49",
        "checkov:CKV_AWS_63",
        "checkov:CKV2_AWS_40",
        "fsbp:IAM.21",
        "cdk-nag:AwsSolutions-IAM5",
        "cdk-nag:NIST.800.53.R5-IAMPolicyNoStatementsWithFullAccess",
    ),
    thresholds={"allowedServiceWildcards": []},
)
def iam_no_service_wildcard(r: Resource):
    allowed = set(r.threshold("allowedServiceWildcards", []))
    for where, doc in policy_documents(r):
        for statement in allows(doc):
            wild = [a for a in actions(statement) if a.endswith(":*") and a.split(":", 1)[0] not in allowed]
            if wild:
                yield f"{r.name} {where} grants whole services: {', '.join(sorted(wild))}"


def _restrictable(action: str) -> bool:
    _service, _, name = action.partition(":")
    if action in ("*",) or not name:
        return True
    if action.lower() in {a.lower() for a in DATA_EXFILTRATION}:
        return True
    return not name.startswith(READ_ONLY_VERBS)


@resource_rule(
    id="AWS-IAM-003",
    title='Resource "*" only for actions that cannot be scoped',
    severity="medium",
    resource_types=IAM_POLICY_TYPES,
    description='An Allow statement with Resource "*" and no Condition grants only read-only '
    "Describe/List/Get actions (not data reads such as s3:GetObject or "
    "secretsmanager:GetSecretValue) or actions in the `unscopedActions` threshold; "
    '`kms:Decrypt` is never granted on "*" without a Condition.',
    rationale="Most write actions and all data reads can name their resources; `*` turns a role meant for "
    "one bucket or key into a role for all of them, including other environments' in the same "
    "account.",
    remediation="Replace `*` with the ARNs the workload uses (pass them from the component that created "
    "them), or add a Condition such as `kms:ViaService` / `aws:ResourceTag/environment`.",
    tags=(
        "checkov:CKV_AWS_355",
        "checkov:CKV_AWS_356",
        "fsbp:KMS.1",
        "fsbp:KMS.2",
        "cdk-nag:AwsSolutions-IAM5",
    ),
    thresholds={
        "unscopedActions": [
            "sts:GetCallerIdentity",
            "ecr:GetAuthorizationToken",
            "ec2:CreateTags",
            "autoscaling:SetDesiredCapacity",
            "autoscaling:TerminateInstanceInAutoScalingGroup",
            # No resource types in AWS's Service Authorization Reference: `*` is the only form.
            "elasticloadbalancing:SetWebAcl",
            "shield:CreateProtection",
        ]
    },
)
def iam_scoped_resources(r: Resource):
    unscoped = {a.lower() for a in r.threshold("unscopedActions", [])}
    for where, doc in policy_documents(r):
        for statement in allows(doc):
            if "*" not in resources(statement) or not unconditioned(statement):
                continue
            if "*" in actions(statement):
                continue  # AWS-IAM-001 reports full admin
            scoped = [a for a in actions(statement) if _restrictable(a) and a.lower() not in unscoped]
            if scoped:
                yield f"{r.name} {where} grants {', '.join(sorted(scoped))} on every resource"


@resource_rule(
    id="AWS-IAM-004",
    title="No unconstrained privilege escalation, credential or data-exfiltration actions",
    severity="high",
    resource_types=IAM_POLICY_TYPES,
    description='No Allow statement with Resource "*" and no Condition grants (directly or through a '
    "wildcard such as `iam:Put*`) an action from the privilege-escalation, "
    "credentials-exposure, data-exfiltration or permissions-management families.",
    rationale="These are the actions an attacker chains to turn one compromised pod or CI job into account "
    "control: pass an admin role to a new function, mint access keys, read every secret, rewrite a "
    "key policy.",
    remediation="Scope these actions to the exact ARNs (e.g. `iam:PassRole` on the one role a controller "
    "passes, with an `iam:PassedToService` condition) or remove them.",
    tags=(
        "checkov:CKV_AWS_286",
        "checkov:CKV_AWS_287",
        "checkov:CKV_AWS_288",
        "checkov:CKV_AWS_289",
        "checkov:CKV_AWS_290",
        "checkov:CKV_AWS_107",
        "checkov:CKV_AWS_108",
        "checkov:CKV_AWS_109",
        "checkov:CKV_AWS_110",
        "checkov:CKV_AWS_111",
    ),
)
def iam_no_escalation(r: Resource):
    families = {
        "privilege escalation": PRIVILEGE_ESCALATION,
        "credentials exposure": CREDENTIALS_EXPOSURE,
        "data exfiltration": DATA_EXFILTRATION,
        "permissions management": PERMISSIONS_MANAGEMENT,
    }
    for where, doc in policy_documents(r):
        for statement in allows(doc):
            if "*" not in resources(statement) or not unconditioned(statement) or "*" in actions(statement):
                continue
            for family, dangerous in families.items():
                granted = grants_any(statement, dangerous)
                if granted:
                    shown = ", ".join(granted[:4]) + (" …" if len(granted) > 4 else "")
                    yield f"{r.name} {where} allows {family} on every resource ({shown})"


def _managed_name(arn: str) -> str | None:
    return arn[len(AWS_MANAGED_PREFIX) :] if arn.startswith(AWS_MANAGED_PREFIX) else None


@resource_rule(
    id="AWS-IAM-005",
    title="Only approved AWS-managed policies are attached",
    severity="high",
    resource_types=(ROLE_ATTACHMENT, POLICY_ATTACHMENT, ROLE),
    description="`policyArn` of a RolePolicyAttachment/PolicyAttachment and each of a Role's "
    "`managedPolicyArns` is never AdministratorAccess, IAMFullAccess or PowerUserAccess, and "
    "an AWS-managed policy (`arn:aws:iam::aws:policy/...`) is in the `allowedManagedPolicies` "
    "threshold (the EKS, ECR, SSM, EBS CSI, Backup and RDS monitoring policies by default).",
    rationale="AWS-managed policies are broad by design and change without review; the few Groundwork needs "
    "are listed, everything else should be a policy written for the workload.",
    remediation="Write a customer-managed policy with the actions needed, or add the managed policy to "
    "`allowedManagedPolicies` in policy config with the reason in the change.",
    tags=("checkov:CKV_AWS_274", "checkov:CKV_AWS_275", "checkov:CKV2_AWS_56", "cdk-nag:AwsSolutions-IAM4"),
    thresholds={"allowedManagedPolicies": DEFAULT_MANAGED_ALLOW},
)
def iam_managed_policies(r: Resource):
    allowed = set(r.threshold("allowedManagedPolicies", DEFAULT_MANAGED_ALLOW))
    arns = as_list(r.get("managedPolicyArns")) if r.type == ROLE else as_list(r.get("policyArn"))
    for arn in arns:
        name = _managed_name(str(arn))
        if name is None:
            continue
        if name.rsplit("/", 1)[-1] in FORBIDDEN_MANAGED:
            yield f"{r.name} attaches {name}"
        elif name not in allowed:
            yield f"{r.name} attaches the AWS-managed policy {name}, which is not in allowedManagedPolicies"


def _trust_problems(statement: dict) -> list[str]:
    problems = []
    conditions = condition_keys(statement)
    for principal in principals(statement):
        if principal == "*" and unconditioned(statement):
            problems.append("trusts any principal")
        elif (principal.endswith(":root") or principal.isdigit()) and unconditioned(statement):
            problems.append(f"trusts every identity in account {principal} without a condition")
    if "sts:AssumeRoleWithWebIdentity" in actions(statement) or any(
        "oidc" in p or "token.actions.githubusercontent.com" in p for p in principals(statement)
    ):
        aud = [k for k in conditions if k.endswith(":aud")]
        sub = [k for k in conditions if k.endswith(":sub")]
        if not aud:
            problems.append("accepts web identities without an audience (…:aud) condition")
        if not sub:
            problems.append("accepts any web identity subject (no …:sub condition)")
        for key in sub:
            if any(v.strip() in ("*", "repo:*", "system:serviceaccount:*") for v in conditions[key]):
                problems.append(f"accepts any subject ({key} matches everything)")
    return problems


@resource_rule(
    id="AWS-IAM-006",
    title="Role trust policies name who may assume them",
    severity="critical",
    resource_types=(ROLE,),
    description='No Allow statement of `assumeRolePolicy` trusts Principal "*", or a whole account '
    "(`arn:aws:iam::<id>:root`), without a Condition; web-identity (OIDC: EKS IRSA, GitHub "
    "Actions) trust requires both an `…:aud` and a specific `…:sub` condition.",
    rationale="The trust policy decides who can become the role: an open or account-wide trust lets any "
    "compromised identity pivot into it, and an OIDC trust without `sub` lets every service "
    "account in the cluster, or every GitHub repository, assume it.",
    remediation="Trust the one service principal, role ARN or OIDC subject that needs the role "
    "(`system:serviceaccount:<namespace>:<name>`, `repo:<org>/<repo>:environment:<env>`) and add "
    "`aud = sts.amazonaws.com`.",
    tags=("checkov:CKV_AWS_60", "checkov:CKV_AWS_61", "checkov:CKV_AWS_358", "checkov:CKV_AWS_393"),
)
def iam_trust(r: Resource):
    doc = policy_document(r.get("assumeRolePolicy"))
    if doc is None:
        yield f"role {r.name} has no readable assumeRolePolicy"
        return
    for statement in allows(doc):
        for problem in _trust_problems(statement):
            yield f"role {r.name} {problem}"


@resource_rule(
    id="AWS-IAM-007",
    title="No IAM users, user policies or long-lived access keys",
    severity="high",
    resource_types=IAM_USER_TYPES,
    description="The stack declares no `aws:iam/user`, `userPolicy`, `userPolicyAttachment`, `accessKey` or "
    "`userLoginProfile`.",
    rationale="IAM users mean long-lived passwords and access keys that leak through laptops, CI logs and "
    "repositories; people sign in through SSO, workloads use roles (IRSA, Pod Identity, OIDC for "
    "CI).",
    remediation="Replace the user with a role assumed through SSO, EKS Pod Identity/IRSA, or GitHub OIDC.",
    tags=(
        "checkov:CKV_AWS_40",
        "checkov:CKV_AWS_273",
        "checkov:CKV2_AWS_22",
        "awsguard:access-keys-rotated",
        "fsbp:IAM.2",
        "fsbp:IAM.3",
        "compliance-policies:iam-policyattachment-only-permissions-via-groups",
    ),
)
def iam_no_users(r: Resource):
    yield f"{r.name} is an IAM {r.type.rsplit(':', 1)[-1]}: use roles, not users"


@stack_rule(
    id="AWS-IAM-008",
    title="A role's policies are managed in one place",
    severity="medium",
    description="No Role that sets `managedPolicyArns` or `inlinePolicies` is also the `role` of a "
    "RolePolicyAttachment or RolePolicy.",
    rationale="The Role's exclusive lists remove attachments made elsewhere on every update, and the "
    "attachment resources add them back: permissions flap between deployments.",
    remediation="Attach policies either through the role's lists or through attachment resources, not both.",
    tags=("awsguard:iam-role-no-policy-management-conflicts",),
)
def iam_policies_one_place(stack: Stack):
    exclusive = {
        r.urn: r for r in stack.of_type(ROLE) if "managedPolicyArns" in r.props or "inlinePolicies" in r.props
    }
    for attachment in stack.of_type(ROLE_ATTACHMENT, ROLE_POLICY):
        for urn in attachment.depends_on("role"):
            if urn in exclusive:
                yield (
                    attachment,
                    (
                        f"{attachment.name} attaches to role {exclusive[urn].name}, "
                        "which manages its policies exclusively"
                    ),
                )


@resource_rule(
    id="AWS-IAM-009",
    title="OIDC providers trust only STS as the audience",
    severity="high",
    resource_types=(OIDC_PROVIDER,),
    description='`url` is https and `clientIdLists` is exactly ["sts.amazonaws.com"] (plus audiences in '
    "the `allowedAudiences` threshold).",
    rationale="Every client id listed is an audience whose tokens AWS accepts for AssumeRoleWithWebIdentity; "
    "extra audiences widen who can present a token to the account. No other rule set checks the provider "
    "itself, only role trust policies.",
    remediation="Create the cluster's (or GitHub's) OIDC provider with "
    '`client_id_lists=["sts.amazonaws.com"]`.',
    thresholds={"allowedAudiences": []},
)
def oidc_provider_audience(r: Resource):
    url = str(r.get("url") or "")
    if url and not url.startswith("https://"):
        yield f"OIDC provider {r.name} uses a non-https issuer {url}"
    allowed = {"sts.amazonaws.com", *r.threshold("allowedAudiences", [])}
    audiences = [str(a) for a in as_list(r.get("clientIdLists"))]
    extra = [a for a in audiences if a not in allowed]
    if extra:
        yield f"OIDC provider {r.name} accepts extra audiences: {', '.join(extra)}"
    if "sts.amazonaws.com" not in audiences:
        yield f"OIDC provider {r.name} does not list sts.amazonaws.com as an audience"
