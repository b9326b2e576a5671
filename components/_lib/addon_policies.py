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
    "waf-regional:GetWebACL",
    "waf-regional:GetWebACLForResource",
    "wafv2:GetWebACL",
    "wafv2:GetWebACLForResource",
    "shield:GetSubscriptionState",
    "shield:DescribeProtection",
)
# What it may change on load balancers, target groups and their WAF/Shield bindings that carry this
# cluster's `elbv2.k8s.aws/cluster` tag.
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
    "elasticloadbalancing:AddTags",
    "elasticloadbalancing:RemoveTags",
    "elasticloadbalancing:ModifyListener",
    "elasticloadbalancing:AddListenerCertificates",
    "elasticloadbalancing:RemoveListenerCertificates",
    "elasticloadbalancing:ModifyRule",
    "wafv2:AssociateWebACL",
    "waf-regional:AssociateWebACL",
    "shield:DeleteProtection",
)


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
    owned = {"StringEquals": {"aws:ResourceTag/elbv2.k8s.aws/cluster": cluster_name}}
    creating = {"StringEquals": {"aws:RequestTag/elbv2.k8s.aws/cluster": cluster_name}}
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
            {
                "Sid": "CreateOwnLoadBalancers",
                "Effect": "Allow",
                "Resource": "*",
                "Condition": creating,
                "Action": [
                    "elasticloadbalancing:CreateLoadBalancer",
                    "elasticloadbalancing:CreateTargetGroup",
                    "elasticloadbalancing:AddTags",
                ],
            },
            {
                "Sid": "ManageOwnLoadBalancers",
                "Effect": "Allow",
                "Resource": "*",
                "Condition": owned,
                "Action": list(LB_CONTROLLER_MANAGE_OWN),
            },
            # These actions see no resource tag (AWS's Service Authorization Reference), so under the
            # `owned` condition above their Allow would never match and attaching a web ACL would fail.
            # SetWebAcl and CreateProtection take no resource type at all; the disassociations act on
            # application load balancers only.
            {
                "Sid": "AttachWebAclAndShield",
                "Effect": "Allow",
                "Resource": "*",
                "Action": ["elasticloadbalancing:SetWebAcl", "shield:CreateProtection"],
            },
            {
                "Sid": "DetachWebAclFromApplicationLoadBalancers",
                "Effect": "Allow",
                "Resource": "arn:aws:elasticloadbalancing:*:*:loadbalancer/app/*/*",
                "Action": ["wafv2:DisassociateWebACL", "waf-regional:DisassociateWebACL"],
            },
            {
                "Sid": "RegisterTargetsInOwnGroups",
                "Effect": "Allow",
                "Resource": "arn:aws:elasticloadbalancing:*:*:targetgroup/*/*",
                "Action": ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"],
            },
        ],
    }


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
