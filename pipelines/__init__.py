"""Pipelines assembled from the components: pure wiring, no logic.

``PIPELINES`` maps each pipeline's CLI name to its ``@dsl.pipeline`` function.
Importing this package loads kfp only, never TensorFlow.

Inside a running task (kfp's runtime mode, ``_KFP_RUNTIME=true``) kfp has no DSL to
define pipelines with, so the pipelines are not loaded there and ``PIPELINES`` is
empty; the one runtime that uses this package, monitoring's retraining, needs only
``pipelines.cloud`` (the submit clients and their compiled templates).
"""
import os

if os.environ.get("_KFP_RUNTIME", "").lower() == "true":
    PIPELINES = {}
    __all__ = ["PIPELINES"]
else:
    from pipelines.batch_prediction import batch_prediction
    from pipelines.data_validation import data_validation
    from pipelines.monitoring import monitoring
    from pipelines.training import training
    from pipelines.vertex_training import vertex_training

    PIPELINES = {"training": training, "data-validation": data_validation, "batch-prediction": batch_prediction,
                 "vertex-training": vertex_training, "monitoring": monitoring}

    __all__ = ["PIPELINES", "batch_prediction", "data_validation", "monitoring", "training", "vertex_training"]
