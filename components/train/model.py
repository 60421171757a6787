"""The default Keras model, built from the transformed schema.

Numeric features enter as they are (already z-scored); categorical features (those
with an ``int_domain`` marked categorical, as the vocabularies produce) are one-hot
encoded when small and embedded when large. A stack of ReLU layers follows, then a
softmax over the classes or a single linear unit rescaled to the label's range.
"""
from typing import Dict, List, Sequence

# Categorical features with more distinct ids than this are embedded, not one-hot.
ONE_HOT_LIMIT = 32


def categorical_sizes(transformed_schema, features: Sequence[str]) -> Dict[str, int]:
    """Number of distinct ids of each categorical transformed feature."""
    sizes = {}
    for feature in transformed_schema.feature:
        if feature.name in features and feature.HasField("int_domain") and feature.int_domain.is_categorical:
            sizes[feature.name] = int(feature.int_domain.max) + 1
    return sizes


def build_model(
    features: List[str],
    categorical: Dict[str, int],
    task_info: Dict[str, object],
    hidden_units: Sequence[int] = (64, 32),
    learning_rate: float = 0.005,
):
    """A compiled Keras functional model taking a dict of [batch, 1] tensors."""
    import keras

    inputs, encoded = {}, []
    for name in features:
        if name in categorical:
            inputs[name] = keras.Input(shape=(1,), name=name, dtype="int64")
            size = categorical[name]
            if size <= ONE_HOT_LIMIT:
                encoded.append(keras.layers.CategoryEncoding(num_tokens=size, output_mode="one_hot")(inputs[name]))
            else:
                dim = min(16, max(4, int(size**0.25) * 2))
                embedded = keras.layers.Embedding(size, dim)(inputs[name])
                encoded.append(keras.layers.Flatten()(embedded))
        else:
            inputs[name] = keras.Input(shape=(1,), name=name, dtype="float32")
            encoded.append(inputs[name])
    x = keras.layers.Concatenate()(encoded) if len(encoded) > 1 else encoded[0]
    for units in hidden_units:
        x = keras.layers.Dense(int(units), activation="relu")(x)
    optimizer = keras.optimizers.Adam(learning_rate=learning_rate)
    if task_info["task"] == "classification":
        outputs = keras.layers.Dense(len(task_info["classes"]), activation="softmax", name="probabilities")(x)
        model = keras.Model(inputs, outputs)
        model.compile(optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    else:
        raw = keras.layers.Dense(1, name="standardized")(x)
        outputs = keras.layers.Rescaling(
            scale=float(task_info["label_std"]), offset=float(task_info["label_mean"]), name="prediction"
        )(raw)
        model = keras.Model(inputs, outputs)
        model.compile(optimizer, loss="mse", metrics=["mae"])
    return model
