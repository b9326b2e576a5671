"""Kubernetes state backups with Velero: a daily backup of every namespace's objects (Deployments,
ConfigMaps, Secrets, CRs) into the KMS-encrypted exports bucket, through an IRSA role limited to the
bucket's `velero/` prefix.

Volumes: the managed data services are covered by AWS Backup and their own snapshots. A datastore the
stack runs in the cluster (in-cluster postgres, redis or kafka, ChromaDB) has only its EBS volume, so
when the wiring names `volume_namespaces` a second schedule, `volumes`, backs up those namespaces with
EBS snapshots through velero-plugin-for-aws's VolumeSnapshotLocation (native snapshotter, which handles
ebs.csi.aws.com volumes). Snapshots, not file-system backup: no node agent DaemonSet with hostPath
access to every pod's volumes (which would need the `privileged` Pod Security level), snapshots are
incremental and crash-consistent (each datastore recovers from its own journal), and a snapshot of an
encrypted volume is encrypted with the same KMS key, as is a volume restored from it. They stay in the
stack's region, kept as long as the backups.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
from pydantic import Field, InstanceOf

from components._lib.args import ComponentArgs, Input
from components.irsa import irsa_trust_policy
from components.namespace import (
    ApiServerEndpoint,
    AppNamespace,
    Peer,
    aws_api_egress,
    environment_labels,
    kube_api_egress,
    platform_namespace,
    prometheus_scrape,
)
from components.tagging import component_tags

# vmware-tanzu/helm-charts charts/velero 12.1.0 (Velero 1.18.1); plugin v1.14.x is the AWS plugin line
# for Velero 1.18 (velero-plugin-for-aws compatibility table). See the closing report.
VELERO_CHART = "velero"
VELERO_CHART_VERSION = "12.1.0"
VELERO_REPOSITORY = "https://vmware-tanzu.github.io/helm-charts"
AWS_PLUGIN_IMAGE = "velero/velero-plugin-for-aws:v1.14.2"
SERVICE_ACCOUNT = "velero"
PREFIX = "velero"
METRICS_PORT = 8085  # the Velero server's Prometheus endpoint (chart default, metrics.enabled)
# Backups read every object of every namespace; they write only Velero's own objects, in its namespace
# (the chart's Role there). The chart would bind cluster-admin; it binds this read-only role instead.
# A restore writes everywhere: docs/charts.md says how to grant that for the restore only.
BACKUP_CLUSTER_ROLE = "groundwork-velero-backup"
SNAPSHOT_LOCATION = "ebs"  # the VolumeSnapshotLocation of the `volumes` schedule


class ClusterBackupArgs(ComponentArgs):
    """Where and how often Kubernetes objects are backed up; the stack switches it with
    `groundwork:backups.clusterBackup` and keeps each backup as long as its recovery points."""

    bucket_name: Input[str] = Field(
        description="The (versioned, SSE-KMS, TLS-only) bucket; Velero writes under `velero/`."
    )
    bucket_arn: Input[str] = Field(description="The bucket's ARN (the IRSA policy's resource).")
    kms_key_arn: Input[str] = Field(description="The bucket's key; Velero encrypts every object with it.")
    region: str = Field(description="The bucket's region.")
    oidc_provider_arn: Input[str] = Field(description="The cluster's IRSA identity provider.")
    oidc_issuer: Input[str] = Field(description="Its issuer, without https://.")
    namespace: str = Field(default="velero", description="Velero's namespace.")
    schedule: str = Field(default="0 2 * * *", description="The daily backup's cron schedule (UTC).")
    ttl_days: int = Field(default=30, ge=1, description="How long each backup is kept.")
    tags: Mapping[str, str] = Field(default_factory=dict, description="The stack's tags.")
    chart_version: str = Field(default=VELERO_CHART_VERSION, description="The velero chart, pinned.")
    api_server: InstanceOf[ApiServerEndpoint] = Field(
        default_factory=ApiServerEndpoint, description="Where Velero reaches the Kubernetes API."
    )
    aws_endpoint_cidrs: Sequence[Input[str]] = Field(
        default=(),
        description="The subnets of the VPC's interface endpoints (S3/STS/KMS over HTTPS), if any.",
    )
    scraper: InstanceOf[Peer] | None = Field(
        default=None, description="Prometheus's pods; when set they may scrape the metrics port."
    )
    monitoring: tuple[InstanceOf[pulumi.Resource], ...] = Field(
        default=(),
        exclude=True,
        description="What installs the ServiceMonitor CRD; the chart waits for it when `scraper` is set.",
    )
    volume_namespaces: tuple[str, ...] = Field(
        default=(),
        description="Namespaces whose PersistentVolumeClaims hold a datastore's data (in-cluster "
        "datastores): the `volumes` schedule snapshots their EBS volumes. Defaults to none (no snapshots).",
    )
    volume_schedule: str = Field(
        default="0 */6 * * *",
        description="The `volumes` schedule's cron (UTC): every 6 hours, so at most 6 hours of an in-cluster "
        "datastore's writes are lost; snapshots are incremental, so frequent ones cost little.",
    )


class ClusterBackup(pulumi.ComponentResource):
    role_arn: pulumi.Output[str]

    def __init__(self, name: str, args: ClusterBackupArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("groundwork:cluster_backup:ClusterBackup", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(
            f"{name}-velero",
            description="Velero reads and writes Kubernetes backups under velero/ in the exports bucket",
            assume_role_policy=irsa_trust_policy(
                args.oidc_provider_arn, args.oidc_issuer, args.namespace, SERVICE_ACCOUNT
            ),
            tags=component_tags(args.tags, name),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-velero",
            role=role.id,
            opts=child,
            policy=pulumi.Output.all(args.bucket_arn, args.kms_key_arn).apply(
                lambda parts: velero_policy(
                    *parts, snapshot_region=args.region if args.volume_namespaces else None
                )
            ),
        )
        # S3 is reached through the VPC's gateway endpoint, whose routes carry S3's public prefixes,
        # so the S3 allowance is HTTPS to public addresses (never into the private ranges).
        allowances = [kube_api_egress(args.api_server), aws_api_egress(args.aws_endpoint_cidrs, public=True)]
        if args.scraper is not None:
            allowances.append(prometheus_scrape(args.scraper, [METRICS_PORT]))
        namespace = AppNamespace(
            name,
            platform_namespace(
                args.namespace,
                pod_security="restricted",
                allowances=allowances,
                reason="the Velero server and its AWS plugin run as non-root with no host access",
                labels=environment_labels(args.tags.get("environment")),
                moved_children={f"{name}-namespace": f"{name}-ns"},
            ),
            opts=child,
        )
        backup_role = k8s.rbac.v1.ClusterRole(
            f"{name}-velero-backup",
            metadata={"name": BACKUP_CLUSTER_ROLE, "labels": {"app.kubernetes.io/managed-by": "pulumi"}},
            rules=[{"apiGroups": ["*"], "resources": ["*"], "verbs": ["get", "list", "watch"]}],
            opts=child,
        )
        k8s.helm.v4.Chart(
            f"{name}-velero",
            chart=VELERO_CHART,
            version=args.chart_version,
            namespace=args.namespace,
            repository_opts=k8s.helm.v4.RepositoryOptsArgs(repo=VELERO_REPOSITORY),
            values=self._values(args, role),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[namespace, backup_role, *args.monitoring]),
        )
        self.role_arn = role.arn
        self.register_outputs({"role_arn": self.role_arn})

    @staticmethod
    def _configuration(args: ClusterBackupArgs) -> dict[str, Any]:
        """The bucket for objects; with volumes to back up, the EBS snapshot location too."""
        configuration: dict[str, Any] = {
            "backupStorageLocation": [
                {
                    "name": "default",
                    "provider": "aws",
                    "default": True,
                    "bucket": args.bucket_name,
                    "prefix": PREFIX,
                    "config": {
                        "region": args.region,
                        "serverSideEncryption": "aws:kms",
                        "kmsKeyId": args.kms_key_arn,
                    },
                }
            ]
        }
        if args.volume_namespaces:
            configuration["volumeSnapshotLocation"] = [
                {"name": SNAPSHOT_LOCATION, "provider": "aws", "config": {"region": args.region}}
            ]
        return configuration

    @staticmethod
    def _schedules(args: ClusterBackupArgs) -> dict[str, Any]:
        """`daily`: every namespace's objects. `volumes`: the datastores' namespaces with EBS snapshots."""
        ttl = f"{args.ttl_days * 24}h"
        schedules: dict[str, Any] = {
            "daily": {
                "schedule": args.schedule,
                "template": {"ttl": ttl, "includedNamespaces": ["*"], "snapshotVolumes": False},
            }
        }
        if args.volume_namespaces:
            schedules["volumes"] = {
                "schedule": args.volume_schedule,
                "template": {
                    "ttl": ttl,
                    "includedNamespaces": list(args.volume_namespaces),
                    "snapshotVolumes": True,
                    "volumeSnapshotLocations": [SNAPSHOT_LOCATION],
                },
            }
        return schedules

    @staticmethod
    def _values(args: ClusterBackupArgs, role: aws.iam.Role) -> dict[str, Any]:
        restricted_container = {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        }
        return {
            "initContainers": [
                {
                    "name": "velero-plugin-for-aws",
                    "image": AWS_PLUGIN_IMAGE,
                    "imagePullPolicy": "IfNotPresent",
                    "volumeMounts": [{"mountPath": "/target", "name": "plugins"}],
                    "securityContext": restricted_container,
                    "resources": {
                        "requests": {"cpu": "50m", "memory": "64Mi"},
                        "limits": {"memory": "128Mi"},
                    },
                }
            ],
            "rbac": {
                "create": True,
                "clusterAdministrator": True,
                "clusterAdministratorName": BACKUP_CLUSTER_ROLE,
            },
            "credentials": {"useSecret": False},
            "serviceAccount": {
                "server": {
                    "create": True,
                    "name": SERVICE_ACCOUNT,
                    "annotations": {
                        "eks.amazonaws.com/role-arn": role.arn,
                        "eks.amazonaws.com/sts-regional-endpoints": "true",
                    },
                }
            },
            # Pulumi installs the chart's crds/ itself; the chart's kubectl upgrade job is not needed.
            "upgradeCRDs": False,
            "snapshotsEnabled": bool(args.volume_namespaces),
            "deployNodeAgent": False,
            "configuration": ClusterBackup._configuration(args),
            "schedules": ClusterBackup._schedules(args),
            "podSecurityContext": {
                "runAsNonRoot": True,
                "runAsUser": 65532,
                "runAsGroup": 65532,
                "fsGroup": 65532,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            # Prometheus scrapes the server's backup metrics (the VeleroBackupFailed alert); the monitor is
            # rendered without the chart's CRD autodetection since the chart waits for `monitoring`.
            **(
                {"metrics": {"serviceMonitor": {"enabled": True, "autodetect": False}}}
                if args.scraper is not None
                else {}
            ),
            "containerSecurityContext": restricted_container,
            "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "512Mi"}},
        }


def snapshot_statements(region: str, kms_key_arn: str) -> list[dict[str, Any]]:
    """The AWS plugin's EC2 rights (its README's policy), limited to the stack's region, and the key
    grants EC2 needs to create a volume from a snapshot encrypted with the stack key (a restore)."""
    return [
        {
            "Sid": "DescribeVolumesAndSnapshots",
            "Effect": "Allow",
            "Action": ["ec2:DescribeVolumes", "ec2:DescribeSnapshots"],
            "Resource": "*",
        },
        {
            "Sid": "VolumeSnapshots",
            "Effect": "Allow",
            "Action": ["ec2:CreateSnapshot", "ec2:CreateTags", "ec2:CreateVolume", "ec2:DeleteSnapshot"],
            "Resource": [f"arn:aws:ec2:{region}:*:volume/*", f"arn:aws:ec2:{region}::snapshot/*"],
        },
        {
            "Sid": "EncryptedRestores",
            "Effect": "Allow",
            "Action": ["kms:CreateGrant", "kms:ReEncrypt*"],
            "Resource": kms_key_arn,
            "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
        },
    ]


def velero_policy(bucket_arn: str, kms_key_arn: str, snapshot_region: str | None = None) -> str:
    """Object access under velero/ only, listing limited to that prefix, and use of the bucket key; with
    `snapshot_region`, EBS snapshots of the in-cluster datastores' volumes there."""
    snapshots = snapshot_statements(snapshot_region, kms_key_arn) if snapshot_region else []
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "VeleroObjects",
                    "Effect": "Allow",
                    "Action": [
                        "s3:GetObject",
                        "s3:PutObject",
                        "s3:DeleteObject",
                        "s3:AbortMultipartUpload",
                        "s3:ListMultipartUploadParts",
                    ],
                    "Resource": f"{bucket_arn}/{PREFIX}/*",
                },
                {
                    "Sid": "VeleroList",
                    "Effect": "Allow",
                    "Action": "s3:ListBucket",
                    "Resource": bucket_arn,
                    "Condition": {"StringLike": {"s3:prefix": [f"{PREFIX}/*", PREFIX]}},
                },
                {
                    "Sid": "BucketKey",
                    "Effect": "Allow",
                    "Action": ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*", "kms:DescribeKey"],
                    "Resource": kms_key_arn,
                },
                *snapshots,
            ],
        }
    )
