"""The default TensorFlow Transform preprocessing, derived from the schema.

- each feature by its role (``components/transform/roles.py``, which decides them and
  says what each treatment is): numeric (mean-imputed, z-scored; heavy tails
  log-scaled or cut into quantile buckets; all numeric columns share one mean-and-variance
  analyzer, so memory and plan size stay flat on wide tables), categorical (vocabulary with one
  out-of-vocabulary bucket; missing -> ""), date (calendar features,
  ``components/transform/calendar.py``, with year steps when the record asks:
  ``roles.year_steps``), text (bag of words), boolean (0/1), and
  identifier (left out); without roles, numeric columns are numeric and string
  columns categorical;
- the label: a class id through a vocabulary (classification, most frequent class
  first; a second vocabulary stores the count of each class) or a float (regression).

Transformed features are named ``<feature>_xf``; the label becomes ``<label>_xf``
(``<feature>`` being the column's safe name: ``components.common.feature_names``).
Features with more than one value per row are left out (write a user
``preprocessing_fn`` to handle them).
"""
from typing import Callable, Dict, List, Mapping, Optional

from components.common import feature_names
from components.transform import roles as column_roles

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


def _numeric_values(raw, heavy_tail: str):
    """A [batch] float32 tensor of a numeric column, NaN where missing, log1p-scaled for "log"."""
    import tensorflow as tf

    values = _to_dense(tf.cast(raw, tf.float32), float("nan"))
    return tf.math.log1p(tf.maximum(values, 0.0)) if heavy_tail == "log" else values


def _z_scored_together(columns: Dict[str, object]) -> Dict[str, object]:
    """Mean-imputed, z-scored numeric columns, ``{name: [batch] values, NaN where missing}``,
    with three analyzers for all of them.

    The columns are stacked into one [batch, k] matrix; ``tft.sum`` over the batch
    (``reduce_instance_dims=False``) of the present-value counts, the values and their
    squares, in float64, gives every column's mean and variance in one analysis phase:
    three analyzers for the whole table, not two per column, so a wide table keeps TFT's
    graph and Beam plan small (300 columns made 600 analyzers in two analysis phases
    before). Plain sums, because ``tft.mean``/``tft.var`` per column merge two partial
    results that both lack a column into NaN (0/0), which a sparse column would then
    keep; float64, so ``E[x^2] - E[x]^2`` keeps its precision for large values. A
    missing or non-finite value becomes the column's mean, i.e. 0 after scaling; the
    scale is the standard deviation of the present values (a constant or empty column is
    centred only).
    """
    import tensorflow as tf
    import tensorflow_transform as tft

    names = sorted(columns)
    matrix = tf.stack([columns[name] for name in names], axis=1)
    present = tf.math.is_finite(matrix)
    values = tf.where(present, tf.cast(matrix, tf.float64), tf.zeros_like(matrix, tf.float64))
    count = tft.sum(tf.cast(present, tf.float64), reduce_instance_dims=False, name="numeric_count")
    total = tft.sum(values, reduce_instance_dims=False, name="numeric_sum")
    squares = tft.sum(values * values, reduce_instance_dims=False, name="numeric_sum_of_squares")
    mean = total / tf.maximum(count, 1.0)
    std = tf.sqrt(tf.maximum(squares / tf.maximum(count, 1.0) - mean * mean, 0.0))
    scale = tf.where(std > 0, std, tf.ones_like(std))
    scaled = tf.cast((values - mean) / scale, tf.float32)
    scaled = tf.where(present, scaled, tf.zeros_like(scaled))
    return {name: scaled[:, index] for index, name in enumerate(names)}


def _quantile_buckets(raw, name: str):
    """``QUANTILE_BUCKETS`` quantile buckets of a mean-imputed column (heavy tail with negatives)."""
    import tensorflow as tf
    import tensorflow_transform as tft

    values = _numeric_values(raw, "")
    mean = tft.mean(values, name=f"mean_{scope_name(name)}")  # NaN ignored
    imputed = tf.where(tf.math.is_finite(values), values, mean)
    return tft.bucketize(imputed, column_roles.QUANTILE_BUCKETS, name=f"quantiles_{scope_name(name)}")


def _as_text(raw):
    import tensorflow as tf

    return _to_dense(raw if raw.dtype == tf.string else tf.strings.as_string(raw), "")


def _categorical(raw, name: str):
    import tensorflow_transform as tft

    return tft.compute_and_apply_vocabulary(
        _as_text(raw),
        top_k=column_roles.MAX_VOCABULARY,
        num_oov_buckets=NUM_OOV_BUCKETS,
        vocab_filename=vocabulary_name(name),
        name=f"vocabulary_{scope_name(name)}",
    )


def _boolean(raw):
    import tensorflow as tf

    if raw.dtype == tf.string:
        words = "|".join(column_roles.TRUE_WORDS)
        return tf.cast(tf.strings.regex_full_match(tf.strings.lower(tf.strings.strip(_to_dense(raw, ""))), words), tf.float32)
    dense = _to_dense(tf.cast(raw, tf.float32), 0.0)
    return tf.cast(tf.math.is_finite(dense) & tf.not_equal(dense, 0.0), tf.float32)


def _bag_of_words(raw, name: str):
    """[batch, TEXT_VOCABULARY + 1] log(1 + count) of each frequent token (+ out of vocabulary)."""
    import tensorflow as tf
    import tensorflow_transform as tft

    text = tf.strings.regex_replace(tf.strings.lower(_to_dense(raw, "")), r"[^\w\s]", " ")
    tokens = tf.strings.split(text).to_sparse()
    ids = tft.compute_and_apply_vocabulary(
        tokens, top_k=column_roles.TEXT_VOCABULARY, num_oov_buckets=1,
        vocab_filename=f"tokens_{scope_name(name)}", name=f"tokens_{scope_name(name)}",
    )
    depth = column_roles.TEXT_VOCABULARY + 1
    counts = tf.math.unsorted_segment_sum(
        tf.one_hot(ids.values, depth, dtype=tf.float32), ids.indices[:, 0], num_segments=tf.shape(text)[0]
    )
    return tf.math.log1p(counts)


def heavy_tail_kind(record: Mapping[str, str]) -> str:
    """"log", "quantiles" or "" for a numeric column's roles record (from its treatment)."""
    if record["role"] != column_roles.NUMERIC or "heavy tail" not in record["treatment"]:
        return ""
    return "log" if record["treatment"].startswith("log1p") else "quantiles"


def make_preprocessing_fn(
    schema, label: str, task: str, roles: Optional[List[Mapping[str, str]]] = None
) -> Callable[[Dict], Dict]:
    """The default preprocessing_fn for a schema, a label and a task.

    ``roles``: the records of ``roles.infer_roles`` (each feature's role and
    treatment); None: numeric columns numeric, string columns categorical."""
    import tensorflow as tf
    import tensorflow_transform as tft
    from tensorflow_metadata.proto.v0 import schema_pb2

    types = {f.name: f.type for f in schema.feature}
    features = univalent_features(schema)
    feature_names.safe_names(features)  # two columns with one safe name: a clear error now
    records = {r["column"]: r for r in roles or []}

    def role_of(name):
        if name in records:
            return records[name]["role"], heavy_tail_kind(records[name])
        return (column_roles.CATEGORICAL if types[name] == schema_pb2.BYTES else column_roles.NUMERIC), ""

    def year_steps(name):
        return column_roles.year_steps(records[name]) if name in records else 0

    def preprocessing_fn(inputs):
        outputs, numeric = {}, {}
        for name in features:
            if name not in inputs:
                continue
            raw = inputs[name]
            if name == label:
                if task == "classification":
                    as_text = _as_text(raw)
                    outputs[transformed_name(name)] = tft.compute_and_apply_vocabulary(
                        as_text, vocab_filename=LABEL_VOCABULARY, name="label_vocabulary"
                    )
                    # Examples per class (for the evaluator's majority-class baseline).
                    tft.vocabulary(as_text, vocab_filename=LABEL_FREQUENCIES, store_frequency=True, name="label_frequencies")
                else:
                    outputs[transformed_name(name)] = _to_dense(tf.cast(raw, tf.float32), 0.0)
                continue
            role, tail = role_of(name)
            if role == column_roles.IDENTIFIER:
                continue
            if role == column_roles.CATEGORICAL:
                outputs[transformed_name(name)] = _categorical(raw, name)
            elif role == column_roles.DATE:
                from components.transform.calendar import calendar_features

                outputs[transformed_name(name)] = calendar_features(
                    _to_dense(raw, ""), scope_name(name), year_steps=year_steps(name))
            elif role == column_roles.TEXT:
                outputs[transformed_name(name)] = _bag_of_words(raw, name)
            elif role == column_roles.BOOLEAN:
                outputs[transformed_name(name)] = _boolean(raw)
            elif tail == "quantiles":
                outputs[transformed_name(name)] = _quantile_buckets(raw, name)
            else:
                numeric[name] = _numeric_values(raw, tail)
        if numeric:
            for name, values in _z_scored_together(numeric).items():
                outputs[transformed_name(name)] = values
        return outputs

    return preprocessing_fn
