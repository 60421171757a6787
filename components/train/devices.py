"""Where and how reproducibly training runs: the distribution strategy and the seeds."""
import logging
from typing import Optional

from components.common.errors import ConfigurationError

logger = logging.getLogger(__name__)


def distribution_strategy():
    """A strategy for the devices present: MirroredStrategy over two or more GPUs,
    else TensorFlow's default strategy (one GPU when there is one, else the CPU)."""
    import tensorflow as tf

    gpus = tf.config.list_logical_devices("GPU")
    if len(gpus) >= 2:
        strategy = tf.distribute.MirroredStrategy([gpu.name for gpu in gpus])
        logger.info("Training on %d GPUs with MirroredStrategy (%s)", len(gpus), ", ".join(g.name for g in gpus))
    elif gpus:
        strategy = tf.distribute.get_strategy()
        logger.info("Training on one GPU (%s), default strategy", gpus[0].name)
    else:
        strategy = tf.distribute.get_strategy()
        logger.info("Training on the CPU, default strategy (no GPU visible)")
    return strategy


def seed_everything(seed: Optional[int], deterministic: bool) -> None:
    """Seed Python, NumPy and TensorFlow; with ``deterministic``, also make TensorFlow's
    ops deterministic (same inputs and seed -> the same weights, at some speed cost).

    Raises:
      ConfigurationError: ``deterministic`` without a seed.
    """
    import keras
    import tensorflow as tf

    if deterministic and seed is None:
        raise ConfigurationError("deterministic=True needs a seed (seed >= 0); set seed or turn deterministic off.")
    if seed is not None:
        keras.utils.set_random_seed(int(seed))
    if deterministic:
        tf.config.experimental.enable_op_determinism()
        logger.info("Deterministic training: seed %d, op determinism on", seed)
