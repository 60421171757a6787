"""The Vertex AI SDK, configured for one call: the one place that sets up aiplatform.

Used by ``vertex_push`` (register and deploy), ``baseline`` (the Model Registry's
default version as the champion) and the authoring layer's ``pipelines/cloud/vertex.py``
(submit, schedule). Imports the SDK only (no TensorFlow).
"""
import warnings
from typing import Optional


def configured_aiplatform(project: str, location: str, credentials=None, api_endpoint: Optional[str] = None):
    """The ``google.cloud.aiplatform`` module, its global config reset and then set from
    these arguments, over REST.

    aiplatform keeps its settings in one module-level config (``aiplatform.init`` is
    bound to it); it is reset in place, so nothing (an endpoint, a key) carries over
    from an earlier call and a later ``aiplatform.init`` still takes effect.
    ``api_endpoint`` (a host, or ``http://127.0.0.1:PORT`` for a loopback fake)
    replaces the regional endpoint when given.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the SDK's import-time notices (Python version, deprecations)
        from google.cloud import aiplatform
        from google.cloud.aiplatform import initializer

    initializer.global_config.__init__()
    initializer.global_config.init(project=project, location=location, credentials=credentials,
                                   api_transport="rest", api_endpoint=api_endpoint or None)
    return aiplatform
