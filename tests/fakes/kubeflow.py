"""A loopback fake of the Kubeflow Pipelines v2beta1 REST API, as ``kfp.Client`` calls it.

Health, experiments (list by name, create), runs (create), recurring runs (list,
create, delete) and pipeline upload (multipart). Uploaded templates are kept in
``uploaded`` (name -> parsed YAML) so tests can check what arrived.
"""
import copy
import itertools
import json
from typing import Dict

import yaml

from fakes.server import FakeService, Recorded, multipart_fields

API = "/apis/v2beta1"
NOW = "2026-11-24T00:00:00Z"


def _display_name_predicate(request: Recorded):
    raw = (request.query.get("filter") or [""])[0]
    if not raw:
        return None
    for predicate in json.loads(raw).get("predicates", []):
        if predicate.get("key") == "display_name":
            return predicate.get("string_value", predicate.get("stringValue"))
    return None


class FakeKubeflow(FakeService):
    def __init__(self):
        super().__init__()
        self.experiments: Dict[str, dict] = {}
        self.runs: Dict[str, dict] = {}
        self.recurring_runs: Dict[str, dict] = {}
        self.uploaded: Dict[str, dict] = {}
        self._ids = itertools.count(1)
        self.route("GET", API + "/healthz", lambda r: (200, {"multi_user": False}))
        self.route("GET", API + "/experiments", self._list_experiments)
        self.route("POST", API + "/experiments", self._create_experiment)
        self.route("POST", API + "/runs", self._create_run)
        self.route("GET", API + "/recurringruns", self._list_recurring_runs)
        self.route("POST", API + "/recurringruns", self._create_recurring_run)
        self.route("DELETE", API + r"/recurringruns/(?P<id>[^/]+)", self._delete_recurring_run)
        self.route("POST", API + "/pipelines/upload", self._upload_pipeline)

    def _id(self, kind: str) -> str:
        return f"{kind}-{next(self._ids)}"

    def _list_experiments(self, request: Recorded):
        wanted = _display_name_predicate(request)
        found = [e for e in self.experiments.values() if wanted is None or e["display_name"] == wanted]
        return 200, {"experiments": found, "total_size": len(found)}

    def _create_experiment(self, request: Recorded):
        experiment = dict(request.body, experiment_id=self._id("experiment"), created_at=NOW, storage_state="AVAILABLE")
        self.experiments[experiment["experiment_id"]] = experiment
        return 200, experiment

    def _create_run(self, request: Recorded):
        if request.body.get("experiment_id") not in self.experiments:
            return 400, {"error": "unknown experiment_id", "code": 3}
        run = dict(copy.deepcopy(request.body), run_id=self._id("run"), state="PENDING", created_at=NOW)
        self.runs[run["run_id"]] = run
        return 200, run

    def _list_recurring_runs(self, request: Recorded):
        wanted = _display_name_predicate(request)
        experiment = (request.query.get("experiment_id") or [None])[0]
        found = [r for r in self.recurring_runs.values()
                 if (wanted is None or r["display_name"] == wanted) and (experiment is None or r["experiment_id"] == experiment)]
        return 200, {"recurringRuns": found, "recurring_runs": found, "total_size": len(found)}

    def _create_recurring_run(self, request: Recorded):
        recurring = dict(copy.deepcopy(request.body), recurring_run_id=self._id("recurring"), status="ENABLED", created_at=NOW)
        self.recurring_runs[recurring["recurring_run_id"]] = recurring
        return 200, recurring

    def _delete_recurring_run(self, request: Recorded):
        if self.recurring_runs.pop(request.match["id"], None) is None:
            return 404, {"error": "not found", "code": 5}
        return 200, {}

    def _upload_pipeline(self, request: Recorded):
        name = (request.query.get("name") or [""])[0]
        content = multipart_fields(request)["uploadfile"]
        self.uploaded[name] = yaml.safe_load(content)
        pipeline = {"pipeline_id": self._id("pipeline"), "display_name": name, "created_at": NOW}
        return 200, pipeline
