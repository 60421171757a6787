"""Submit, schedule and upload compiled pipelines: the Python API behind ``kfp-tf submit|upload``.

- :mod:`pipelines.cloud.vertex` — Vertex AI Pipelines: ``submit`` a run, ``schedule``
  (create, or update the schedule of the same name).
- :mod:`pipelines.cloud.kubeflow` — Kubeflow Pipelines: ``submit`` a run or a
  recurring run, ``upload_pipeline``.
- :mod:`pipelines.cloud.registry` — Artifact Registry: ``upload`` templates with tags.

Every call takes ``dry_run=True`` to return the request without sending it (and
without looking for credentials). Each takes a compiled template (a path, or the
name of a pipeline in ``pipelines.PIPELINES``, read from ``compiled/``). Nothing
here imports TensorFlow; the Google and KFP clients are imported on first use.
"""
