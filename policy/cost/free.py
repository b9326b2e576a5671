"""Resource types that cost nothing themselves, each with the reason (or where its cost is priced).

The estimate refuses to guess: a type that has no pricer and is not listed here makes the estimate
incomplete (`Estimate.unpriced`), which fails the test suite and the budget rule alike, so a new paid
type cannot slip in at $0. Kubernetes objects are API records (what they run is priced as nodes),
so the whole `kubernetes:` namespace is free except the types with a pricer: volumes (PVCs,
StatefulSets, charts that create them) and load balancers (Services, Ingresses).
"""

from __future__ import annotations

FREE_PREFIXES: dict[str, str] = {
    "groundwork:": "component resource: its children are priced",
    "pulumi:": "Pulumi providers and the stack itself",
    "random:": "generated locally by the Pulumi random provider",
    "kubernetes:": "a Kubernetes object; the nodes it runs on are priced",
}

FREE_TYPES: dict[str, str] = {
    "aws:appautoscaling/policy:Policy": "Application Auto Scaling has no charge",
    "aws:appautoscaling/target:Target": "Application Auto Scaling has no charge",
    "aws:accessanalyzer/analyzer:Analyzer": "an external-access analyzer is free (unused-access "
    "analyzers, billed per role, are not created)",
    "aws:acm/certificate:Certificate": "public ACM certificates are free",
    "aws:acm/certificateValidation:CertificateValidation": "it only waits for ACM; nothing billable",
    "aws:cloudtrail/trail:Trail": "the first copy of management events is free and the trail records "
    "no data events; its bucket and log group are priced on their own",
    "aws:guardduty/detectorFeature:DetectorFeature": "priced on its detector (the GuardDuty assumption)",
    "aws:backup/plan:Plan": "a plan is free; what it stores is priced on the vaults",
    "aws:backup/selection:Selection": "a selection is free; what it stores is priced on the vaults",
    "aws:backup/restoreTestingPlan:RestoreTestingPlan": "the restores it runs are priced on its selections",
    "aws:backup/vaultLockConfiguration:VaultLockConfiguration": "vault lock has no charge",
    "aws:backup/vaultPolicy:VaultPolicy": "access policies are free",
    "aws:budgets/budget:Budget": "budgets without actions are free",
    "aws:cloudwatch/eventRule:EventRule": "AWS service events are free (custom events are not modelled)",
    "aws:cloudwatch/eventTarget:EventTarget": "event delivery to AWS targets is free",
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": "CloudWatch Logs resource policies have no "
    "charge; the logs they admit are priced on their log group",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "security groups are free",
    "aws:ec2/flowLog:FlowLog": "the delivered logs are priced on the flow log's log group",
    "aws:ec2/internetGateway:InternetGateway": "internet gateways are free (data transfer is not modelled)",
    "aws:ec2/launchTemplate:LaunchTemplate": "its instances and volumes are priced on the node group",
    "aws:ec2/networkAcl:NetworkAcl": "network ACLs are free",
    "aws:ec2/route:Route": "routes are free",
    "aws:ec2/routeTable:RouteTable": "route tables are free",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "route tables are free",
    "aws:ec2/securityGroup:SecurityGroup": "security groups are free",
    "aws:ec2/subnet:Subnet": "subnets are free",
    "aws:ec2/vpc:Vpc": "a VPC is free; its NAT gateways and endpoints are priced",
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": "lifecycle policies are free",
    "aws:ecr/repositoryPolicy:RepositoryPolicy": "repository policies are free",
    "aws:eks/accessEntry:AccessEntry": "EKS access entries are free",
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": "EKS access entries are free",
    "aws:eks/addon:Addon": "EKS add-ons are free; their pods run on the priced nodes",
    "aws:eks/podIdentityAssociation:PodIdentityAssociation": "EKS Pod Identity is free",
    "aws:elasticache/parameterGroup:ParameterGroup": "parameter groups are free",
    "aws:elasticache/subnetGroup:SubnetGroup": "subnet groups are free",
    "aws:iam/instanceProfile:InstanceProfile": "IAM is free",
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": "IAM is free",
    "aws:iam/policy:Policy": "IAM is free",
    "aws:iam/role:Role": "IAM is free",
    "aws:iam/rolePolicy:RolePolicy": "IAM is free",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "IAM is free",
    "aws:kms/alias:Alias": "aliases are free; the key is priced",
    "aws:lb/listener:Listener": "the load balancer is priced",
    "aws:lb/targetGroup:TargetGroup": "the load balancer is priced",
    "aws:msk/configuration:Configuration": "MSK configurations are free",
    "aws:rds/parameterGroup:ParameterGroup": "parameter groups are free",
    "aws:rds/proxyDefaultTargetGroup:ProxyDefaultTargetGroup": "the proxy is priced",
    "aws:rds/proxyTarget:ProxyTarget": "the proxy is priced",
    "aws:rds/subnetGroup:SubnetGroup": "subnet groups are free",
    "aws:route53/record:Record": "records are free (queries, $0.40 a million, are not modelled)",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": "bucket configuration is free",
    "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2": "bucket configuration is free",
    "aws:s3/bucketLogging:BucketLogging": "the logs are priced on the log bucket",
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": (
        "the replica's storage is priced on the replica bucket; inter-region transfer is per GB written "
        "(docs/data-services.md)"
    ),
    "aws:s3/bucketLoggingV2:BucketLoggingV2": "the logs are priced on the log bucket",
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration": "bucket configuration is free",
    "aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2": "bucket configuration is free",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": "bucket configuration is free",
    "aws:s3/bucketPolicy:BucketPolicy": "bucket configuration is free",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": "bucket configuration is free",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (
        "bucket configuration is free (KMS requests are within the free tier)"
    ),
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2": (
        "bucket configuration is free (KMS requests are within the free tier)"
    ),
    "aws:s3/bucketVersioning:BucketVersioning": "noncurrent versions are priced in the bucket's storage",
    "aws:s3/bucketVersioningV2:BucketVersioningV2": "noncurrent versions are priced in the bucket's storage",
    "aws:secretsmanager/secretPolicy:SecretPolicy": "the secret is priced",
    "aws:secretsmanager/secretVersion:SecretVersion": "the secret is priced",
    "aws:sns/topic:Topic": "the first million requests and 1,000 e-mails a month are free",
    "aws:sns/topicPolicy:TopicPolicy": "topic policies are free",
    "aws:sns/topicSubscription:TopicSubscription": "the first 1,000 e-mail notifications a month are free",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "security groups are free",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "security groups are free",
    "aws:wafv2/webAclAssociation:WebAclAssociation": "the web ACL is priced",
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": (
        "its logs are priced on their log group"
    ),
}


def free_reason(type_token: str) -> str | None:
    if type_token in FREE_TYPES:
        return FREE_TYPES[type_token]
    for prefix, reason in FREE_PREFIXES.items():
        if type_token.startswith(prefix):
            return reason
    return None
