"""Pipelines assembled from the components: pure wiring, no logic.

``PIPELINES`` maps each pipeline's CLI name to its ``@dsl.pipeline`` function.
Importing this package loads kfp only, never TensorFlow.
"""
from pipelines.batch_prediction import batch_prediction
from pipelines.data_validation import data_validation
from pipelines.monitoring import monitoring
from pipelines.training import training
from pipelines.vertex_training import vertex_training

PIPELINES = {"training": training, "data-validation": data_validation, "batch-prediction": batch_prediction,
             "vertex-training": vertex_training, "monitoring": monitoring}

__all__ = ["PIPELINES", "batch_prediction", "data_validation", "monitoring", "training", "vertex_training"]
