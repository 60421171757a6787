"""KFP wrapper of the train runtime."""
from typing import List, Optional

from kfp import dsl
from kfp.dsl import Artifact, Dataset, Input, Model, Output

from components.image import COMPONENT_IMAGE


@dsl.component(base_image=COMPONENT_IMAGE, install_kfp_package=False)
def train(
    transform_graph: Input[Artifact],
    transformed_examples: Input[Dataset],
    model: Output[Model],
    tensorboard_logs: Output[Artifact],
    epochs: int = 20,
    batch_size: int = 32,
    learning_rate: float = 0.005,
    hidden_units: List[int] = [64, 32],
    seed: int = 42,
    module_file: str = "",
    checkpoint_dir: str = "",
    early_stopping_patience: int = 0,
    deterministic: bool = False,
    examples: Optional[Input[Dataset]] = None,
):
    """Train a Keras model on the transformed features and export a serving SavedModel.

    Resumable: after every epoch the weights and the epoch reached are saved, and a
    run of the same training (the same records, labels included, the same transform,
    hyperparameters and module) that finds them continues from there, logging
    "Resuming from checkpoint after epoch N". Spreads over the GPUs present
    (MirroredStrategy for two or more).

    Args:
      transform_graph: The transform graph from transform.
      transformed_examples: The transformed examples from transform.
      model: Output. A SavedModel whose serving_default signature takes one named
        input per raw feature (the label excluded; float64 for every number, NaN for a
        missing number, "" for a missing string: TF Serving's JSON rows and Vertex
        Endpoint.predict), and whose serving_examples signature takes serialized raw
        tf.Examples ("examples": string[N]); both return probabilities, class_ids and
        classes (classification) or predictions (regression). The transform graph is
        inside, so serving cannot skew from training. Metadata: epochs reached and
        run, the epoch resumed from, and the last epoch's train and eval metrics.
      tensorboard_logs: Output. TensorBoard event files (train/ and validation/).
      epochs: Passes over the train split.
      batch_size: Examples per gradient step.
      learning_rate: Adam learning rate.
      hidden_units: Sizes of the hidden ReLU layers.
      seed: Random seed for weights and shuffling; -1 for none.
      module_file: Optional Python file (local or gs://); its build_model(features,
        task, hyperparameters), when defined, replaces the default Keras model.
      checkpoint_dir: Stable folder (gs:// on a cluster) for resumable checkpoints,
        one sub-folder per training fingerprint, removed once the model is exported;
        empty: inside the model output (resumes only where a retry gets the same
        output folder on shared storage).
      early_stopping_patience: Stop after this many epochs without a lower eval
        loss, keeping the best epoch's weights; 0: off.
      deterministic: Deterministic TensorFlow ops (same inputs and seed, same model).
      examples: Optional. The raw examples from ingest, which the transform read: with a
        checkpoint_dir, the training fingerprint hashes their records (a re-run that
        transforms them again resumes); without, the transformed records.

    Raises:
      ConfigurationError: A hyperparameter is out of range, or the module file breaks
        the contract (missing, fails to import, wrong signature, a builder that does
        not return a keras.Model with the task's output shape), before training.
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
        module_file=module_file,
        checkpoint_dir=checkpoint_dir,
        early_stopping_patience=early_stopping_patience,
        deterministic=deterministic,
        tensorboard_uri=tensorboard_logs.path,
        examples_uri=examples.path if examples else "",
    )
    model.metadata.update(result)
    model.metadata["framework"] = "tensorflow"
    tensorboard_logs.metadata["display_name"] = "TensorBoard logs"
