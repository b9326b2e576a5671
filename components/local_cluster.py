"""The local stack's cluster: an existing kind/minikube cluster, reached through one kubeconfig context.

It gives downstream code what EksCluster gives (a `pulumi_kubernetes` Provider and the name of the
default StorageClass) and creates nothing: no AWS account is involved.
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s
from pydantic import Field

from components._lib.args import ComponentArgs


class LocalClusterSettings(ComponentArgs):
    """An existing kind/minikube cluster reached through a kubeconfig context (the `local` stack)."""

    kube_context: str = Field(
        default="kind-groundwork",
        min_length=1,
        description="The kubeconfig context; `kind create cluster --name groundwork` makes kind-groundwork.",
    )
    local_storage_class: str = Field(
        default="standard",
        min_length=1,
        description="The cluster's default StorageClass (kind's local-path class is `standard`).",
    )


class LocalClusterArgs(ComponentArgs):
    """The local cluster has nothing to wire: its settings are all it needs."""

    settings: LocalClusterSettings = Field(default_factory=LocalClusterSettings, description="The context.")


class LocalCluster(pulumi.ComponentResource):
    """The local stack's cluster: nothing is created, only a Provider pinned to one context, so a
    stray current-context can never point a local run at a shared cluster."""

    k8s_provider: k8s.Provider
    storage_class_name: str

    def __init__(self, name: str, args: LocalClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("groundwork:cluster:LocalCluster", name, None, opts)
        self.k8s_provider = k8s.Provider(
            f"{name}-k8s",
            context=args.settings.kube_context,
            enable_server_side_apply=True,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.storage_class_name = args.settings.local_storage_class
        self.register_outputs(
            {"context": args.settings.kube_context, "storage_class_name": self.storage_class_name}
        )
