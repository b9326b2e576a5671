"""Vector search (`groundwork:vectors`): ChromaDB in the cluster when the stack picks `chroma`; with
`pgvector` there is no server to wire, the apps' database bootstrap creates the extension.

Runs after the data services and monitoring (the scraper), before the apps: the apps bind to the
server's Service and token, and the server admits exactly the apps that list `vectors`.
"""

from __future__ import annotations

import pulumi

from components.app_bindings import BindingEgress, PostgresBinding
from components.app_settings import selector_labels
from components.app_vectors import VectorsBinding
from components.namespace import pods
from components.vector_store import PORT, Chroma, ChromaArgs
from stacks.wiring.platform import Platform


def wire_vectors(platform: Platform) -> None:
    config = platform.config
    vectors = config.vectors
    if not vectors.enabled or vectors.backend != "chroma":
        return
    cluster = platform.cluster
    if cluster is None:
        raise RuntimeError(f"{config.stack}: ChromaDB runs in the cluster; wire the cluster step first")
    clients = tuple(sorted(name for name, app in config.apps.items() if "vectors" in app.uses))
    monitoring = platform.components.get("monitoring")
    chroma = Chroma(
        f"{config.stack}-vectors",
        ChromaArgs(
            settings=vectors,
            namespace=cluster.app_namespace,
            storage_class_name=cluster.storage_class_name,
            clients=clients,
            client_labels={app: selector_labels(app) for app in clients},
            scraper=getattr(monitoring, "prometheus", None),
            monitoring=(monitoring,) if monitoring is not None else (),
        ),
        opts=pulumi.ResourceOptions(providers={"kubernetes": cluster.k8s_provider}),
    )
    platform.components["vectors"] = chroma
    platform.exports["vectors_endpoint"] = chroma.endpoint
    platform.exports["vectors_connection_secret"] = chroma.connection_secret_name


def vectors_binding(platform: Platform, postgres: object) -> VectorsBinding | None:
    """What `uses: [vectors]` binds to: the stack's PostgreSQL binding (pgvector) or the Chroma server."""
    vectors = platform.config.vectors
    if not vectors.enabled:
        return None
    if vectors.backend == "pgvector":
        if not isinstance(postgres, PostgresBinding):
            return None  # no app uses vectors (the postgres binding is made for those that do)
        return VectorsBinding(backend="pgvector", postgres=postgres)
    chroma = platform.components.get("vectors")
    if not isinstance(chroma, Chroma):
        raise RuntimeError(f"{platform.config.stack}: vectors.backend is chroma; wire_vectors goes first")
    return VectorsBinding(
        backend="chroma",
        chroma_host=chroma.endpoint,
        chroma_port=PORT,
        chroma_token=chroma.token,
        egress=BindingEgress(peers=(pods(labels=chroma.pod_labels),), ports=(PORT,)),
    )
