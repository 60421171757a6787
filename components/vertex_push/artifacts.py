"""Artifact types Vertex AI links in lineage: ``google.VertexModel`` and ``google.VertexEndpoint``.

Vertex AI Pipelines recognises artifacts by schema title (the same titles Google
Cloud Pipeline Components use) and reads the resource from the ``resourceName``
metadata; the URI is the resource's REST address. Other orchestrators treat
them as plain artifacts.
"""
from kfp import dsl

VERTEX_API = "https://{location}-aiplatform.googleapis.com/v1/{resource_name}"


class VertexModel(dsl.Artifact):
    """A model (version) in the Vertex AI Model Registry."""

    schema_title = "google.VertexModel"
    schema_version = "0.0.1"


class VertexEndpoint(dsl.Artifact):
    """A Vertex AI endpoint."""

    schema_title = "google.VertexEndpoint"
    schema_version = "0.0.1"
