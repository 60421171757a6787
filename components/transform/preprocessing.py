"""The default TensorFlow Transform preprocessing, derived from the schema.

- numeric features: missing values imputed with the mean, then z-scored;
- string features: vocabulary with one out-of-vocabulary bucket (missing -> "");
- the label: a class id through a vocabulary (classification, most frequent class
  first; a second vocabulary stores the count of each class) or a float (regression).

Transformed features are named ``<feature>_xf``; the label becomes ``<label>_xf``
(``<feature>`` being the column's safe name: ``components.common.feature_names``).
Features with more than one value per row are left out (write a user
``preprocessing_fn`` to handle them).
"""
from typing import Callable, Dict, List

from components.common import feature_names

TRANSFORMED_SUFFIX = feature_names.TRANSFORMED_SUFFIX
LABEL_VOCABULARY = "label_vocabulary"
LABEL_FREQUENCIES = "label_frequencies"
NUM_OOV_BUCKETS = 1


def transformed_name(name: str) -> str:
    """``<model-safe name>_xf`` (``feature_names.transformed_name``)."""
    return feature_names.transformed_name(name)


def scope_name(feature: str) -> str:
    """A TensorFlow-safe name for a feature (column names may hold spaces and the like)."""
    return feature_names.safe_name(feature)


def vocabulary_name(feature: str) -> str:
    return f"vocab_{scope_name(feature)}"


def univalent_features(schema) -> List[str]:
    """Names of the features with at most one value per row (the ones handled by default)."""
    names = []
    for feature in schema.feature:
        if feature.HasField("shape"):
            dims = [d.size for d in feature.shape.dim]
            if all(d == 1 for d in dims):
                names.append(feature.name)
        elif not feature.HasField("value_count") or feature.value_count.max <= 1:
            names.append(feature.name)
    return names


def _to_dense(tensor, default_value):
    """A [batch] dense tensor from a FixedLen [batch] / [batch, 1] or a VarLen SparseTensor."""
    import tensorflow as tf

    if isinstance(tensor, tf.SparseTensor):
        batch = tf.shape(tensor, out_type=tf.int64)[0]
        tensor = tf.sparse.to_dense(
            tf.SparseTensor(tensor.indices, tensor.values, tf.stack([batch, 1])),
            default_value=default_value,
        )
    return tf.reshape(tensor, [-1])


def _present_values(tensor):
    import tensorflow as tf

    return tensor.values if isinstance(tensor, tf.SparseTensor) else tensor


def make_preprocessing_fn(schema, label: str, task: str) -> Callable[[Dict], Dict]:
    """The default preprocessing_fn for a schema, a label and a task."""
    import tensorflow as tf
    import tensorflow_transform as tft
    from tensorflow_metadata.proto.v0 import schema_pb2

    types = {f.name: f.type for f in schema.feature}
    features = univalent_features(schema)
    feature_names.safe_names(features)  # two columns with one safe name: a clear error now

    def preprocessing_fn(inputs):
        outputs = {}
        for name in features:
            if name not in inputs:
                continue
            raw = inputs[name]
            if name == label:
                if task == "classification":
                    as_text = _to_dense(raw if raw.dtype == tf.string else tf.strings.as_string(raw), "")
                    outputs[transformed_name(name)] = tft.compute_and_apply_vocabulary(
                        as_text, vocab_filename=LABEL_VOCABULARY, name="label_vocabulary"
                    )
                    # Examples per class (for the evaluator's majority-class baseline).
                    tft.vocabulary(as_text, vocab_filename=LABEL_FREQUENCIES, store_frequency=True, name="label_frequencies")
                else:
                    outputs[transformed_name(name)] = _to_dense(tf.cast(raw, tf.float32), 0.0)
            elif types[name] == schema_pb2.BYTES:
                outputs[transformed_name(name)] = tft.compute_and_apply_vocabulary(
                    _to_dense(raw, ""),
                    num_oov_buckets=NUM_OOV_BUCKETS,
                    vocab_filename=vocabulary_name(name),
                    name=f"vocabulary_{scope_name(name)}",
                )
            else:
                values = tf.cast(raw, tf.float32)
                present = _present_values(values)
                finite = tf.boolean_mask(present, tf.math.is_finite(present))
                mean = tft.mean(finite, name=f"mean_{scope_name(name)}")
                dense = _to_dense(values, float("nan"))
                imputed = tf.where(tf.math.is_finite(dense), dense, mean)
                outputs[transformed_name(name)] = tft.scale_to_z_score(imputed, name=f"z_score_{scope_name(name)}")
        return outputs

    return preprocessing_fn
