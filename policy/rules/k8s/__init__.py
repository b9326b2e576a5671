"""Kubernetes rules: pod security, workload hygiene, namespaces, RBAC, Services, Helm, API versions."""
