"""The model contract's inputs, and the default Keras model that follows it.

A model builder — this module's ``build_model`` or a user module's — is called as
``build_model(features, task, hyperparameters)`` and returns a ``keras.Model``:

- ``features``: a list of ``Feature``, one per transformed feature (label excluded);
  ``feature.keras_input()`` is the matching ``keras.Input``. The model is called on
  a dict ``{feature.name: tensor}``; a scalar feature arrives as ``[batch, 1]``.
- ``task``: the facts of the transform's ``task.json``: ``task``
  (``classification`` or ``regression``), ``classes`` (class names in class-id
  order), ``label_mean`` / ``label_std`` (regression), ``label``, ``features``.
- ``hyperparameters``: ``hidden_units``, ``learning_rate``, ``batch_size``,
  ``epochs``, ``seed``, ``dropout``, ``l2`` (the sizes resolved: a default left to the
  data is already chosen, ``components/train/defaults.py``).

It outputs class probabilities ``[batch, len(classes)]`` (softmax) for
classification, or a prediction in the label's units ``[batch, 1]`` for
regression. A model returned uncompiled is compiled by the trainer with Adam at
``learning_rate`` and the task's loss.

The default: numeric features enter as they are (already z-scored); categorical
features (an ``int_domain`` marked categorical, as vocabularies and buckets
produce) are one-hot encoded when small and embedded when large. A stack of ReLU
layers follows (each with an L2 penalty ``l2`` on its weights and ``dropout`` after
it), then a softmax over the classes or a single linear unit rescaled to the
label's range.
"""
import dataclasses
from typing import Dict, List, Optional, Sequence, Tuple

from components.common.errors import ConfigurationError

# Categorical features with more distinct ids than this are embedded, not one-hot.
ONE_HOT_LIMIT = 32
CLASSIFICATION = "classification"


@dataclasses.dataclass(frozen=True)
class Feature:
    """One transformed feature as a model sees it.

    Attributes:
      name: the transformed feature's name (``<raw name>_xf`` by default).
      dtype: ``"int64"`` or ``"float32"`` (strings are not fed to the model).
      shape: values per example: ``(1,)`` for a scalar feature, ``(k,)`` for a
        fixed-length vector.
      vocabulary_size: for a categorical feature, the number of ids (``0 .. size-1``),
        out-of-vocabulary buckets included; ``None`` otherwise.
    """

    name: str
    dtype: str
    shape: Tuple[int, ...] = (1,)
    vocabulary_size: Optional[int] = None

    @property
    def is_categorical(self) -> bool:
        return self.vocabulary_size is not None

    def keras_input(self):
        """The ``keras.Input`` this feature feeds."""
        import keras

        return keras.Input(shape=self.shape, name=self.name, dtype=self.dtype)


def categorical_sizes(transformed_schema, features: Sequence[str]) -> Dict[str, int]:
    """Number of distinct ids of each categorical transformed feature."""
    sizes = {}
    for feature in transformed_schema.feature:
        if feature.name in features and feature.HasField("int_domain") and feature.int_domain.is_categorical:
            sizes[feature.name] = int(feature.int_domain.max) + 1
    return sizes


def model_features(tft_output, names: Sequence[str]) -> List[Feature]:
    """The ``Feature`` of each transformed feature in ``names``, from the transform's output.

    Raises:
      ConfigurationError: a feature is variable-length or a string (a user
        preprocessing_fn must output dense numeric tensors with a fixed size per row).
    """
    import tensorflow as tf

    spec = tft_output.transformed_feature_spec()
    sizes = categorical_sizes(tft_output.transformed_metadata.schema, names)
    features = []
    for name in names:
        feature_spec = spec[name]
        if not isinstance(feature_spec, tf.io.FixedLenFeature) or feature_spec.dtype == tf.string:
            raise ConfigurationError(
                f"The transformed feature {name!r} is {type(feature_spec).__name__}({feature_spec.dtype.name}); "
                "the model takes numeric features with a fixed number of values per row. Make the "
                "preprocessing_fn output a dense numeric tensor for it (e.g. tft.compute_and_apply_vocabulary "
                "for strings, tf.sparse.to_dense for sparse values), or leave it out."
            )
        shape = tuple(int(d) for d in feature_spec.shape) or (1,)
        dtype = "int64" if feature_spec.dtype.is_integer else "float32"
        features.append(Feature(name=name, dtype=dtype, shape=shape, vocabulary_size=sizes.get(name)))
    return features


def encode(feature: Feature, tensor):
    """The default encoding of one feature: one-hot or embedding for categories, as-is for numbers."""
    import keras

    if not feature.is_categorical:
        return keras.layers.Flatten()(tensor) if len(feature.shape) > 1 else tensor
    size = feature.vocabulary_size
    if size <= ONE_HOT_LIMIT and feature.shape == (1,):
        return keras.layers.CategoryEncoding(num_tokens=size, output_mode="one_hot")(tensor)
    dim = _embedding_dim(size)
    return keras.layers.Flatten()(keras.layers.Embedding(size, dim)(tensor))


def input_width(features: Sequence[Feature]) -> int:
    """How many numbers the default encoding feeds the first hidden layer."""
    width = 0
    for feature in features:
        values = 1
        for dim in feature.shape:
            values *= int(dim)
        if not feature.is_categorical:
            width += values
        elif feature.vocabulary_size <= ONE_HOT_LIMIT and feature.shape == (1,):
            width += feature.vocabulary_size
        else:
            width += values * _embedding_dim(feature.vocabulary_size)
    return width


def _embedding_dim(size: int) -> int:
    return min(16, max(4, int(size**0.25) * 2))


def output_layer(task: Dict[str, object], x):
    """The task's head: softmax over the classes, or one unit rescaled to the label's units."""
    import keras

    if task["task"] == CLASSIFICATION:
        return keras.layers.Dense(len(task["classes"]), activation="softmax", name="probabilities")(x)
    standardized = keras.layers.Dense(1, name="standardized")(x)
    return keras.layers.Rescaling(
        scale=float(task["label_std"]), offset=float(task["label_mean"]), name="prediction"
    )(standardized)


def build_model(features: List[Feature], task: Dict[str, object], hyperparameters: Dict[str, object]):
    """The default model: encoded features -> ReLU layers (``hidden_units``, ``l2``,
    ``dropout``) -> the task's head."""
    import keras

    inputs = {feature.name: feature.keras_input() for feature in features}
    encoded = [encode(feature, inputs[feature.name]) for feature in features]
    x = keras.layers.Concatenate()(encoded) if len(encoded) > 1 else encoded[0]
    dropout, l2 = float(hyperparameters.get("dropout", 0.0)), float(hyperparameters.get("l2", 0.0))
    for units in hyperparameters.get("hidden_units", (64, 32)):
        regularizer = keras.regularizers.L2(l2) if l2 > 0 else None
        x = keras.layers.Dense(int(units), activation="relu", kernel_regularizer=regularizer)(x)
        if dropout > 0:
            x = keras.layers.Dropout(dropout, seed=hyperparameters.get("seed"))(x)
    return keras.Model(inputs, output_layer(task, x))
