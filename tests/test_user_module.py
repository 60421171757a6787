"""User modules: the worked example trains and serves; broken modules fail early and clearly."""
import os
import textwrap
import time

import numpy as np
import pytest

from components.common.errors import ConfigurationError
from components.common.user_module import load_user_module
from conftest import PENGUINS, REPO_ROOT, read_csv_rows, serialized_examples

EXAMPLE_MODULE = os.path.join(REPO_ROOT, "examples", "user_module.py")


def write_module(tmp_path, source, name="module.py"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(source))
    return str(path)


def train_with(run, tmp_path, module_file, **kwargs):
    from components.train.runtime import train

    return train(run.transform_graph, run.transformed_examples, str(tmp_path / "model"), epochs=2, module_file=module_file, **kwargs)


@pytest.fixture(scope="module")
def example_run(tmp_path_factory, penguin_run):
    """The example module's preprocessing_fn and wide-and-deep model on the penguins."""
    from components.train.runtime import train
    from components.transform.runtime import transform
    from conftest import Run

    run = Run(tmp_path_factory.mktemp("user_module"))
    run.transform_result = transform(
        penguin_run.examples, penguin_run.schema, penguin_run.statistics, run.transform_graph,
        run.transformed_examples, "species", module_file=EXAMPLE_MODULE,
    )
    run.train_result = train(run.transform_graph, run.transformed_examples, run.model, epochs=12, module_file=EXAMPLE_MODULE)
    return run


def test_example_module_trains_and_serves_raw_examples(example_run):
    import tensorflow as tf

    features = example_run.transform_result["features"]
    assert {"island_x_sex_xf", "flipper_length_mm_bucket_xf", "body_mass_g_bucket_xf"} <= set(features)
    assert example_run.train_result["model_builder"] == f"{EXAMPLE_MODULE}:build_model"

    rows = read_csv_rows(PENGUINS)
    model = tf.saved_model.load(example_run.model)
    outputs = model.signatures["serving_examples"](examples=tf.constant(serialized_examples(rows, skip={"species"})))
    predicted = [c.decode() for c in outputs["classes"].numpy()]
    accuracy = np.mean([p == r["species"] for p, r in zip(predicted, rows)])
    assert outputs["probabilities"].shape == (len(rows), 3)
    assert accuracy >= 0.9
    transformed = model.signatures["transform_features"](examples=tf.constant(serialized_examples(rows[:5])))
    buckets = transformed["flipper_length_mm_bucket_xf"].numpy()
    assert buckets.dtype == np.int64 and 0 <= buckets.min() and buckets.max() < 5


def test_module_with_only_a_builder_keeps_the_default_preprocessing(tmp_path, penguin_run):
    module = write_module(tmp_path, """
        import keras

        def build_model(features, task, hyperparameters):
            inputs = {f.name: f.keras_input() for f in features}
            x = keras.layers.Concatenate()([keras.layers.CategoryEncoding(f.vocabulary_size, output_mode="one_hot")(inputs[f.name])
                                            if f.is_categorical else inputs[f.name] for f in features])
            model = keras.Model(inputs, keras.layers.Dense(len(task["classes"]), activation="softmax")(x))
            model.compile("sgd", loss="sparse_categorical_crossentropy")  # compiled by the module: kept
            return model
    """)
    loaded = load_user_module(module)
    assert loaded.preprocessing_fn is None and loaded.build_model is not None
    result = train_with(penguin_run, tmp_path, module)
    assert result["model_builder"] == f"{module}:build_model" and "accuracy" not in result  # the module's compile


@pytest.mark.parametrize(
    "source, message",
    [
        ("x = 1\n", r"defines neither preprocessing_fn\(inputs\) nor build_model\(features, task, hyperparameters\); define"),
        ("def build_model(features, task hyperparameters):\n    pass\n",
         r"failed to import at line 1 \(def build_model\(features, task hyperparameters\):\): SyntaxError"),
        ("import no_such_package_here\n", r"failed to import at line 1 \(import no_such_package_here\): ModuleNotFoundError"),
        ("def preprocessing_fn(inputs, extra):\n    return inputs\n",
         r"preprocessing_fn\(inputs, extra\); the contract is preprocessing_fn\(inputs\)"),
        ("def build_model(features):\n    pass\n",
         r"the contract is build_model\(features, task, hyperparameters\)"),
        ("build_model = 3\n", "build_model in module file .* is a int, not a function"),
    ],
    ids=["no-function", "syntax-error", "import-error", "preprocessing-signature", "builder-signature", "not-callable"],
)
def test_broken_modules_are_named_with_what_to_do(tmp_path, source, message):
    path = write_module(tmp_path, source)
    with pytest.raises(ConfigurationError, match=message) as raised:
        load_user_module(path)
    assert path in str(raised.value)


def test_missing_module_file():
    with pytest.raises(ConfigurationError, match="does not exist"):
        load_user_module("/no/such/module.py")


BROKEN_BUILDERS = {
    "not-keras": ("""
        import tensorflow as tf

        def build_model(features, task, hyperparameters):
            return tf.Module()
    """, "returned a tensorflow.python.module.module.Module; it must return a keras.Model"),
    "wrong-classes": ("""
        import keras

        def build_model(features, task, hyperparameters):
            inputs = {f.name: f.keras_input() for f in features}
            x = keras.layers.Concatenate()([keras.layers.Activation("linear")(keras.ops.cast(t, "float32")) for t in inputs.values()])
            return keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(x))
    """, r"outputs shape \[\d+, 2\] .* classification needs \[batch, 3\] class probabilities"),
    "no-softmax": ("""
        import keras

        def build_model(features, task, hyperparameters):
            inputs = {f.name: f.keras_input() for f in features if not f.is_categorical}
            x = keras.layers.Concatenate()(list(inputs.values()))
            return keras.Model(inputs, keras.layers.Dense(3)(x))
    """, "does not output probabilities .* end it with a softmax layer"),
    "raises": ("""
        def build_model(features, task, hyperparameters):
            sizes = {f.name: f.vocabulary_size for f in features}
            return sizes["no_such_feature"]
    """, r"build_model\(\) in module file .* failed at line 4 \(return sizes\[\"no_such_feature\"\]\): KeyError"),
}


@pytest.mark.parametrize("case", sorted(BROKEN_BUILDERS))
def test_broken_builder_fails_before_training(tmp_path, penguin_run, case):
    source, message = BROKEN_BUILDERS[case]
    module = write_module(tmp_path, source)
    started = time.monotonic()
    with pytest.raises(ConfigurationError, match=message):
        train_with(penguin_run, tmp_path, module, tensorboard_uri=str(tmp_path / "logs"))
    assert not os.path.exists(tmp_path / "logs")  # no epoch ran
    assert not os.path.exists(tmp_path / "model")
    assert time.monotonic() - started < 60


def test_failing_preprocessing_fn_stops_transform_before_beam(tmp_path, penguin_run):
    from components.transform.runtime import transform

    module = write_module(tmp_path, """
        def preprocessing_fn(inputs):
            return {"species_xf": inputs["speceis"]}
    """)
    with pytest.raises(ConfigurationError, match=r"preprocessing_fn\(\) in module file .* failed at line 3 .*KeyError: 'speceis'"):
        transform(
            penguin_run.examples, penguin_run.schema, penguin_run.statistics, str(tmp_path / "graph"),
            str(tmp_path / "transformed"), "species", module_file=module,
        )
    assert not os.path.exists(tmp_path / "transformed") and not os.path.exists(tmp_path / "graph")


def test_module_from_a_remote_filesystem_is_copied_and_imported():
    """gs:// goes through tf.io.gfile like any remote scheme; TensorFlow's in-memory ram://
    filesystem stands in for it here (no bucket is reachable from the tests)."""
    import tensorflow as tf

    remote = "ram://modules/remote_module.py"
    with tf.io.gfile.GFile(remote, "w") as handle:
        handle.write("def preprocessing_fn(inputs):\n    return {'y_xf': inputs['missing']}\n")
    module = load_user_module(remote)
    assert module.path == remote and module.local_path != remote and os.path.exists(module.local_path)
    assert module.preprocessing_fn is not None and module.build_model is None
    from components.common.user_module import user_code_error

    try:
        module.preprocessing_fn({})
    except KeyError as error:
        message = str(user_code_error(module, "preprocessing_fn", error))
    assert remote in message and "line 2 (return {'y_xf': inputs['missing']})" in message


def test_class_counts_are_known_without_a_label_frequencies_vocabulary(tmp_path, penguin_run):
    """The evaluator's most-frequent-class test needs the counts: transform counts the class ids itself."""
    from components.common.task import read_task_info
    from components.transform.runtime import transform

    module = write_module(tmp_path, """
        import tensorflow as tf
        import tensorflow_transform as tft

        def preprocessing_fn(inputs):
            return {
                "species_xf": tft.compute_and_apply_vocabulary(inputs["species"], vocab_filename="label_vocabulary"),
                "flipper_xf": tft.scale_to_z_score(tf.cast(tft.sparse_tensor_to_dense_with_shape(
                    inputs["flipper_length_mm"], [None, 1], default_value=200), tf.float32)),
            }
    """)
    info = transform(penguin_run.examples, penguin_run.schema, penguin_run.statistics, str(tmp_path / "graph"),
                     str(tmp_path / "transformed"), "species", module_file=module)
    assert info["class_counts"] == read_task_info(penguin_run.transform_graph)["class_counts"]
    assert sum(info["class_counts"].values()) == penguin_run.ingest_result["split_row_counts"]["train"]
