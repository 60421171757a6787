"""The component catalogue: every KFP component of the collection, in pipeline order.

Import wrappers from here (``from components.catalog import ingest, train``).
This module is authoring-only: it loads kfp's DSL, which a running component
(where ``_KFP_RUNTIME=true``) does not have, so runtime code never imports it.
"""
from components.baseline.component import baseline
from components.evaluate.component import check_settings, evaluate
from components.fingerprint.component import fingerprint_inputs
from components.infra_validate.component import infra_validate
from components.monitor.component import monitor, monitoring_alert, monitoring_gate
from components.ingest.component import ingest
from components.predict.component import predict
from components.push.component import push
from components.schema.component import schema
from components.statistics.component import statistics
from components.train.component import train
from components.transform.component import transform
from components.validate.component import data_gate, validate
from components.vertex_push.component import vertex_push

# The catalogue, in pipeline order.
ALL_COMPONENTS = {
    "fingerprint_inputs": fingerprint_inputs,
    "ingest": ingest,
    "statistics": statistics,
    "schema": schema,
    "validate": validate,
    "data_gate": data_gate,
    "check_settings": check_settings,
    "transform": transform,
    "train": train,
    "baseline": baseline,
    "evaluate": evaluate,
    "infra_validate": infra_validate,
    "push": push,
    "predict": predict,
    "vertex_push": vertex_push,
    "monitor": monitor,
    "monitoring_alert": monitoring_alert,
    "monitoring_gate": monitoring_gate,
}

__all__ = list(ALL_COMPONENTS) + ["ALL_COMPONENTS"]
