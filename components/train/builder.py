"""Build the model (the default or a user module's ``build_model``) and check the contract
on a real batch before any training, so a broken builder fails in seconds, not after an epoch."""
import logging
from typing import Dict, List, Optional

from components.common.errors import ConfigurationError
from components.common.user_module import BUILD_MODEL, CONTRACT_HINT, UserModule, user_code_error
from components.train import model as default_model

logger = logging.getLogger(__name__)

CLASSIFICATION = default_model.CLASSIFICATION

# Batches Keras runs inside one compiled call. With Keras' default of one, every
# batch of a small tabular model pays a round trip through Python that costs more than
# the batch's arithmetic; 64 per call makes an epoch about twice as fast here
# (benchmarks/README.md). The updates and the metrics are the same; only batch-level
# callbacks see every 64th batch (ours work per epoch).
STEPS_PER_EXECUTION = 64


def compile_for_task(model, task: Dict[str, object], learning_rate: float) -> None:
    """Compile with Adam and the task's loss (what an uncompiled model gets), running
    ``STEPS_PER_EXECUTION`` batches per call."""
    import keras

    optimizer = keras.optimizers.Adam(learning_rate=learning_rate)
    if task["task"] == CLASSIFICATION:
        loss, metrics = "sparse_categorical_crossentropy", ["accuracy"]
    else:
        loss, metrics = "mse", ["mae"]
    model.compile(optimizer, loss=loss, metrics=metrics, steps_per_execution=STEPS_PER_EXECUTION)


def _builder_name(module: Optional[UserModule]) -> str:
    return f"{BUILD_MODEL}() in module file {module.path!r}" if module else "the default model builder"


def check_outputs(outputs, task: Dict[str, object], batch_size: int, where: str) -> None:
    """The model's outputs on a batch have the contract's shape (and are probabilities)."""
    import numpy as np

    if isinstance(outputs, (dict, list, tuple)):
        raise ConfigurationError(
            f"The model from {where} returns a {type(outputs).__name__}; it must return one tensor. {CONTRACT_HINT}"
        )
    values = np.asarray(outputs)
    if task["task"] == CLASSIFICATION:
        classes = len(task["classes"])
        if values.shape != (batch_size, classes):
            raise ConfigurationError(
                f"The model from {where} outputs shape {list(values.shape)} for a batch of {batch_size}; "
                f"classification needs [batch, {classes}] class probabilities (one per class of "
                f"{task['classes']}). {CONTRACT_HINT}"
            )
        if values.min() < -1e-6 or not np.allclose(values.sum(axis=1), 1.0, atol=1e-3):
            raise ConfigurationError(
                f"The model from {where} does not output probabilities (rows must be non-negative and sum "
                f"to 1): end it with a softmax layer. {CONTRACT_HINT}"
            )
    elif values.shape not in ((batch_size,), (batch_size, 1)):
        raise ConfigurationError(
            f"The model from {where} outputs shape {list(values.shape)} for a batch of {batch_size}; "
            f"regression needs [batch, 1] predictions in the label's units. {CONTRACT_HINT}"
        )


def make_model(
    module: Optional[UserModule],
    features: List[default_model.Feature],
    task: Dict[str, object],
    hyperparameters: Dict[str, object],
    sample_inputs: Dict[str, object],
):
    """A compiled model from the user's builder (when the module defines one) or the default.

    ``sample_inputs`` is a small batch of real transformed features: the model is
    called on it once to check the contract (and to build a subclassed model).

    Raises:
      ConfigurationError: the builder fails, returns something other than a
        ``keras.Model``, or a model whose outputs break the contract.
    """
    import keras

    user_builder = module.build_model if module and module.build_model else None
    where = _builder_name(module if user_builder else None)
    logger.info("Building the model with %s", where)
    try:
        model = (user_builder or default_model.build_model)(features, dict(task), dict(hyperparameters))
    except ConfigurationError:
        raise
    except Exception as error:
        if user_builder is None:
            raise
        raise user_code_error(module, BUILD_MODEL, error) from error
    if not isinstance(model, keras.Model):
        raise ConfigurationError(
            f"{where} returned a {type(model).__module__}.{type(model).__name__}; it must return a "
            f"keras.Model (Keras {keras.__version__}, `import keras`). {CONTRACT_HINT}"
        )
    try:
        outputs = model(sample_inputs, training=False)
    except Exception as error:
        names = ", ".join(f"{f.name} ({f.dtype}{list(f.shape)})" for f in features)
        raise ConfigurationError(
            f"The model from {where} cannot be called on the transformed features: {type(error).__name__}: "
            f"{str(error).splitlines()[0] if str(error) else ''}. It is called on a dict of {names}. "
            f"{CONTRACT_HINT}"
        ) from error
    batch_size = int(next(iter(sample_inputs.values())).shape[0])
    check_outputs(outputs, task, batch_size, where)
    if not getattr(model, "compiled", False):
        compile_for_task(model, task, float(hyperparameters["learning_rate"]))
    return model
