"""The exported SavedModel: raw serialized tf.Examples in, predictions out.

Parsing and the TensorFlow Transform graph run inside the serving signature, around
the Keras model, so serving applies exactly the training preprocessing (no skew).
This pattern is used because tf.keras here is Keras 3, whose functional models
cannot take TFT's tf-keras layer or raw TF ops on symbolic inputs.

Signatures:
- ``serving_default(examples: string[N])`` -> classification: ``probabilities``
  float[N, C], ``class_ids`` int64[N], ``classes`` string[N]; regression:
  ``predictions`` float[N].
- ``transform_features(examples: string[N])`` -> the transformed features, label
  included (used by TFMA to read the label as a class id).
"""
from typing import Dict, List


def export_serving_model(keras_model, tft_output, task_info: Dict[str, object], export_dir: str) -> None:
    """Save ``keras_model`` wrapped with parsing and transform as a SavedModel."""
    import tensorflow as tf

    from components.train.runtime import model_input

    label = task_info["label"]
    features: List[str] = list(task_info["features"])
    raw_spec = tft_output.raw_feature_spec()
    serving_spec = {k: v for k, v in raw_spec.items() if k != label}
    classification = task_info["task"] == "classification"

    module = tf.Module()
    module.model = keras_model
    module.tft_layer = tft_output.transform_features_layer()
    if classification:
        module.class_names = tf.Variable(task_info["classes"], trainable=False, dtype=tf.string)

    def model_inputs(transformed):
        return {name: model_input(transformed[name]) for name in features}

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="examples")])
    def serve(examples):
        transformed = module.tft_layer(tf.io.parse_example(examples, serving_spec))
        outputs = module.model(model_inputs(transformed), training=False)
        if classification:
            class_ids = tf.argmax(outputs, axis=1)
            return {
                "probabilities": outputs,
                "class_ids": class_ids,
                "classes": tf.gather(module.class_names, class_ids),
            }
        return {"predictions": tf.reshape(outputs, [-1])}

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="examples")])
    def transform_features(examples):
        return module.tft_layer(tf.io.parse_example(examples, raw_spec))

    module.serve = serve
    module.transform_features = transform_features
    tf.saved_model.save(
        module,
        export_dir,
        signatures={"serving_default": serve, "transform_features": transform_features},
    )
