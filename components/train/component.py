"""KFP wrapper of the train runtime."""
from typing import List

from kfp import dsl
from kfp.dsl import Artifact, Dataset, Input, Model, Output

from components.image import COMPONENT_IMAGE


@dsl.component(base_image=COMPONENT_IMAGE, install_kfp_package=False)
def train(
    transform_graph: Input[Artifact],
    transformed_examples: Input[Dataset],
    model: Output[Model],
    epochs: int = 20,
    batch_size: int = 32,
    learning_rate: float = 0.005,
    hidden_units: List[int] = [64, 32],
    seed: int = 42,
):
    """Train a Keras model on the transformed features and export a serving SavedModel.

    Args:
      transform_graph: The transform graph from transform.
      transformed_examples: The transformed examples from transform.
      model: Output. A SavedModel whose serving_default signature takes serialized raw
        tf.Examples ("examples": string[N]) and returns probabilities, class_ids and
        classes (classification) or predictions (regression). The transform graph is
        inside, so serving cannot skew from training. Metadata: the last epoch's train
        and eval loss and metrics.
      epochs: Passes over the train split.
      batch_size: Examples per gradient step.
      learning_rate: Adam learning rate.
      hidden_units: Sizes of the hidden ReLU layers.
      seed: Random seed for weights and shuffling; -1 for none.

    Raises:
      ConfigurationError: A hyperparameter is not positive.
    """
    from components.train.runtime import train as run_train

    result = run_train(
        transform_graph_uri=transform_graph.path,
        transformed_examples_uri=transformed_examples.path,
        model_uri=model.path,
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        hidden_units=hidden_units,
        seed=None if seed < 0 else seed,
    )
    model.metadata.update(result)
    model.metadata["framework"] = "tensorflow"
