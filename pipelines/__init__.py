"""Pipelines assembled from the components: pure wiring, no logic.

``PIPELINES`` maps each pipeline's CLI name to its ``@dsl.pipeline`` function.
Importing this package loads kfp only, never TensorFlow.
"""
from pipelines.training import training

PIPELINES = {"training": training}

__all__ = ["PIPELINES", "training"]
