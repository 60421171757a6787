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
    epochs: int = 100,
    batch_size: int = 0,
    learning_rate: float = 0.005,
    hidden_units: List[int] = [],
    seed: int = 42,
    module_file: str = "",
    checkpoint_dir: str = "",
    early_stopping_patience: int = 10,
    deterministic: bool = False,
    examples: Optional[Input[Dataset]] = None,
    validation_fraction: float = 0.15,
    class_weight: str = "auto",
    dropout: float = 0.1,
    l2: float = 0.0001,
    refit: str = "auto",
):
    """Train a Keras model on the transformed features and export a serving SavedModel.

    Resumable: at the end of an epoch, at most every 30 s, the weights and the epoch
    reached are saved, and a run of the same training (the same records, labels included, the same transform,
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
        run, the epoch resumed from, whether training stopped early and its best
        epoch, the train rows and the validation slice's rows, the batch size,
        hidden units and class weights used, the refit's epochs (0: none), ``defaults``
        (each setting chosen from the data, with why), and the last epoch's train and validation-slice metrics.
      tensorboard_logs: Output. TensorBoard event files (train/ and validation/).
      epochs: The most passes over the train split (early stopping may stop sooner).
      batch_size: Examples per gradient step; 0: about 1/64 of the fitting rows, a power
        of two in 32..512.
      learning_rate: Adam learning rate.
      hidden_units: Sizes of the hidden ReLU layers; empty: scaled to the model's inputs
        (first layer the power of two at or above twice their count, 32..256, at most
        about a quarter of the fitting rows; then half as wide).
      seed: Random seed for weights, shuffling and the validation slice; -1 for none.
      module_file: Optional Python file (local or gs://); its build_model(features,
        task, hyperparameters), when defined, replaces the default Keras model.
      checkpoint_dir: Stable folder (gs:// on a cluster) for resumable checkpoints,
        one sub-folder per training fingerprint, removed once the model is exported;
        empty: inside the model output (resumes only where a retry gets the same
        output folder on shared storage).
      early_stopping_patience: Stop after this many epochs without a lower loss on the
        validation slice, keeping the best epoch's weights; 0: off.
      deterministic: Deterministic TensorFlow ops (same inputs and seed, same model).
      examples: Optional. The raw examples from ingest, which the transform read: with a
        checkpoint_dir, the training fingerprint hashes their records (a re-run that
        transforms them again resumes); without, the transformed records.
      validation_fraction: Share of the train split held out (a seeded hash choice,
        at least 32 rows, at most 50,000) as the validation slice early stopping
        watches; the eval split, which blesses the model, is never used for it. A
        train split under 128 rows gets no slice (every epoch runs; logged). 0: none.
      class_weight: Classification: auto (square-root balanced class weights when the
        largest class has at least 3 times the rows of the smallest; logged and in the
        metadata), balanced (n / (classes * n_class)) or none. Weights act in the fit
        only: the exported probabilities are corrected back to the real class shares
        (factors fitted on the validation slice; metadata: probability_factors).
      dropout: Dropout rate after each hidden layer of the default model.
      l2: L2 penalty on the default model's hidden-layer weights.
      refit: auto (after early stopping, a fresh model fitted on every train row,
        the validation slice included, for the best epoch count, when the train split
        has at most 5,000 rows; logged and in the metadata) or none.

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
        validation_fraction=validation_fraction,
        class_weight=class_weight,
        dropout=dropout,
        l2=l2,
        refit=refit,
    )
    model.metadata.update(result)
    model.metadata["framework"] = "tensorflow"
    tensorboard_logs.metadata["display_name"] = "TensorBoard logs"
