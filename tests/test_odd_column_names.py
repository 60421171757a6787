"""Column names as users write them, through a real local training run: a byte-order
mark before the first name, slashes, spaces and parentheses, a leading digit and a
dot, a non-ASCII letter, a dash. Reports keep the names; the model uses the
documented model-safe names; the pushed model's ``serving_default`` takes one input
per column under the documented input names (components/common/feature_names.py)."""
import csv
import json
import os

import numpy as np
import pytest

from components.common import feature_names, signatures
from conftest import PENGUINS, read_csv_rows
from fakes.tf_serving import predict_rows

pytestmark = pytest.mark.slow

RENAMED = {
    "island": "île", "bill_length_mm": "bill/length", "bill_depth_mm": "2nd.measure",
    "flipper_length_mm": "flipper length (mm)", "body_mass_g": "body-mass g", "sex": "sex", "year": "year",
    "species": "species",
}
ORDER = ["island", "species", "bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g", "sex", "year"]
STRINGS = {"île", "sex"}
SAFE = {  # the columns renamed inside the model and as serving_default inputs
    "île": "ile", "bill/length": "bill_length", "2nd.measure": "f_2nd_measure",
    "flipper length (mm)": "flipper_length_mm", "body-mass g": "body_mass_g",
}


def _odd_csv(path):
    rows = read_csv_rows(PENGUINS)
    with open(path, "w", newline="", encoding="utf-8-sig") as handle:  # utf-8-sig: a BOM first, as Excel writes
        writer = csv.writer(handle)
        writer.writerow([RENAMED[c] for c in ORDER])
        for row in rows:
            writer.writerow([row[c] for c in ORDER])
    return [{RENAMED[k]: v for k, v in row.items()} for row in rows]


def test_odd_column_names_work_end_to_end_and_reports_keep_them(tmp_path):
    import tensorflow as tf
    from tensorflow_metadata.proto.v0 import schema_pb2
    from google.protobuf import text_format

    from pipelines import training
    from pipelines.local import run_locally

    data = tmp_path / "odd.csv"
    rows = _odd_csv(data)
    arguments = {"data_path": str(data), "label": "species", "serving_model_dir": str(tmp_path / "serving")}
    summary = run_locally(training, arguments, str(tmp_path / "work"), warm=True)
    assert summary["status"] == "succeeded", summary.get("error")
    assert summary["pushed_model"], summary
    assert summary["serving_inputs"] == SAFE

    run_dir = summary["run_dir"]
    schema_file = [os.path.join(d, f) for d, _, fs in os.walk(run_dir) for f in fs if f == "schema.pbtxt"][0]
    schema = text_format.Parse(open(schema_file).read(), schema_pb2.Schema())
    assert {f.name for f in schema.feature} == set(RENAMED.values())  # the user's names, BOM stripped

    task_file = [os.path.join(d, f) for d, _, fs in os.walk(run_dir) for f in fs if f == "task.json"][0]
    task = json.load(open(task_file))
    assert task["serving_inputs"] == SAFE
    assert "flipper_length_mm_xf" in task["features"]

    model = tf.saved_model.load(summary["pushed_model"])
    signature = model.signatures[signatures.SERVING_DEFAULT]
    inputs = feature_names.safe_names(n for n in RENAMED.values() if n != "species")
    assert set(signature.structured_input_signature[1]) == set(inputs.values())
    instances = [
        {inputs[name]: (cell if name in STRINGS else float(cell) if cell != "" else float("nan"))
         for name, cell in row.items() if name != "species"}
        for row in rows if all(row[c] != "" for c in ("sex", "bill/length"))
    ]
    answer = predict_rows(model, json.dumps({"instances": instances}))["predictions"]
    truth = [row["species"] for row in rows if all(row[c] != "" for c in ("sex", "bill/length"))]
    assert np.mean([a["classes"] == t for a, t in zip(answer, truth)]) >= 0.9
