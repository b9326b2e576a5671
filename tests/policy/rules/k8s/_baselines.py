"""A compliant workload (Deployment, CronJob, Pod with the same pod spec) and Service, for the
Kubernetes rule modules that read them: pod_security, workloads, services and api_versions. Tests
break a copy with `tests.policy._cases.patched`; never edit these in place."""

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
CRON_JOB = "kubernetes:batch/v1:CronJob"
POD = "kubernetes:core/v1:Pod"
SERVICE = "kubernetes:core/v1:Service"

IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/api:1.4.2@sha256:" + "a" * 64
LABELS = {
    "app.kubernetes.io/name": "api",
    "app.kubernetes.io/instance": "api-prod",
    "app.kubernetes.io/version": "1.4.2",
    "app.kubernetes.io/component": "backend",
    "app.kubernetes.io/part-of": "groundwork",
    "app.kubernetes.io/managed-by": "pulumi",
}
CONTAINER = {
    "name": "api",
    "image": IMAGE,
    "imagePullPolicy": "IfNotPresent",
    "ports": [{"containerPort": 8080.0}],
    "securityContext": {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    },
    "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
    "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080.0}},
    "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080.0}},
    "env": [{"name": "DATABASE_PASSWORD_FILE", "value": "/secrets/db/password"}],
    "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
}
POD_SPEC = {
    "serviceAccountName": "api",
    "automountServiceAccountToken": False,
    "securityContext": {
        "runAsNonRoot": True,
        "runAsUser": 10001.0,
        "seccompProfile": {"type": "RuntimeDefault"},
    },
    "containers": [CONTAINER],
    "volumes": [{"name": "tmp", "emptyDir": {}}, {"name": "db", "secret": {"secretName": "db"}}],
}
METADATA = {"name": "api", "namespace": "apps", "labels": LABELS}

BASELINES = {
    DEPLOYMENT: {
        "metadata": METADATA,
        "spec": {
            "replicas": 3.0,
            "selector": {"matchLabels": {"app": "api"}},
            "template": {"metadata": {"labels": LABELS}, "spec": POD_SPEC},
        },
    },
    CRON_JOB: {
        "metadata": METADATA,
        "spec": {
            "schedule": "*/5 * * * *",
            "jobTemplate": {"spec": {"template": {"metadata": {"labels": LABELS}, "spec": POD_SPEC}}},
        },
    },
    POD: {"metadata": METADATA, "spec": POD_SPEC},
    SERVICE: {"metadata": METADATA, "spec": {"type": "ClusterIP", "ports": [{"port": 80.0}]}},
}

C = "spec.template.spec.containers.0"
"""The Deployment's first container."""
P = "spec.template.spec"
"""The Deployment's pod spec."""
CJ = "spec.jobTemplate.spec.template.spec.containers.0"
"""The CronJob's first container."""


def case_id(case: tuple) -> str:
    return f"{case[0]}-{case[1].rsplit(':', 1)[1]}-{'+'.join(k.rsplit('.', 1)[-1] for k in case[2])}"
