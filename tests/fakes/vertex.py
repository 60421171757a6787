"""A loopback fake of the Vertex AI REST API (v1) and the bit of Cloud Storage it checks.

Implements what ``google-cloud-aiplatform`` calls with ``api_transport="rest"``:
pipeline jobs (create, get), schedules (list, create, patch, get), the Model
Registry (list, upload as a new model or a new version of a parent, get a
version) and endpoints (list, create, get, deployModel, predict). ``:predict`` does
what a prebuilt TensorFlow serving container behind the endpoint does: the deployed
model version with the most traffic answers the instances through TF Serving's REST
row format (``fakes.tf_serving``), reading its SavedModel from ``model_files``
(artifactUri -> a local folder, standing in for Cloud Storage). Long-running operations
are answered as done. ``PipelineJob.submit`` also checks the pipeline-root bucket
through the Cloud Storage JSON API; point ``STORAGE_EMULATOR_HOST`` at this fake
and it answers that too.
"""
import copy
import itertools
import re
from typing import Dict, List

from fakes.server import FakeService, Recorded

API = "type.googleapis.com/google.cloud.aiplatform.v1."
LOCATION = r"/v1/(?P<parent>projects/[^/]+/locations/[^/]+)"
NOW = "2026-11-24T00:00:00Z"


def _display_name_filter(request: Recorded):
    text = (request.query.get("filter") or [""])[0]
    found = re.search(r'display_name\s*=\s*"([^"]*)"', text)
    return found.group(1) if found else None


class FakeVertex(FakeService):
    """Vertex AI as far as pipelines, schedules, Model Registry and endpoints go."""

    def __init__(self):
        super().__init__()
        self.pipeline_jobs: Dict[str, dict] = {}
        self.schedules: Dict[str, dict] = {}
        self.models: Dict[str, List[dict]] = {}  # model name -> its versions, oldest first
        self.endpoints: Dict[str, dict] = {}
        self._ids = itertools.count(1000)
        self.route("POST", LOCATION + r"/pipelineJobs", self._create_pipeline_job)
        self.route("GET", LOCATION + r"/pipelineJobs/(?P<id>[^/]+)", self._get(self.pipeline_jobs, "pipelineJobs"))
        self.route("GET", LOCATION + r"/schedules", self._list(self.schedules, "schedules"))
        self.route("POST", LOCATION + r"/schedules", self._create_schedule)
        self.route("GET", LOCATION + r"/schedules/(?P<id>[^/]+)", self._get(self.schedules, "schedules"))
        self.route("PATCH", LOCATION + r"/schedules/(?P<id>[^/]+)", self._patch_schedule)
        self.route("GET", LOCATION + r"/models", self._list_models)
        self.route("POST", LOCATION + r"/models:upload", self._upload_model)
        self.route("GET", LOCATION + r"/models/(?P<id>[^/@]+)(@(?P<version>[^/]+))?", self._get_model)
        self.route("GET", LOCATION + r"/endpoints", self._list(self.endpoints, "endpoints"))
        self.route("POST", LOCATION + r"/endpoints", self._create_endpoint)
        self.route("GET", LOCATION + r"/endpoints/(?P<id>[^/:]+)", self._get(self.endpoints, "endpoints"))
        self.route("POST", LOCATION + r"/endpoints/(?P<id>[^/:]+):deployModel", self._deploy_model)
        self.route("POST", LOCATION + r"/endpoints/(?P<id>[^/:]+):predict", self._predict)
        self.model_files: Dict[str, str] = {}  # artifactUri -> local SavedModel folder
        self._loaded: Dict[str, object] = {}
        self.buckets: Dict[str, dict] = {}
        self.route("GET", r"/storage/v1/b/(?P<bucket>[^/]+)", self._get_bucket)
        self.route("POST", r"/storage/v1/b", self._create_bucket)
        self.route("GET", r"/storage/v1/b/(?P<bucket>[^/]+)/iam", lambda r: (200, {"bindings": [], "etag": "CAE="}))
        self.route("PUT", r"/storage/v1/b/(?P<bucket>[^/]+)/iam", lambda r: (200, r.body))

    # -- helpers -------------------------------------------------------------
    def _new_id(self) -> str:
        return str(next(self._ids))

    def _operation(self, parent: str, response_type: str, response: dict):
        return 200, {
            "name": f"{parent}/operations/{self._new_id()}",
            "done": True,
            "response": {"@type": API + response_type, **response},
        }

    def _get(self, store: Dict[str, dict], collection: str):
        def handler(request: Recorded):
            name = f"{request.match['parent']}/{collection}/{request.match['id']}"
            if name not in store:
                return 404, {"error": {"code": 404, "message": f"{name} not found", "status": "NOT_FOUND"}}
            return 200, store[name]
        return handler

    def _list(self, store: Dict[str, dict], collection: str):
        def handler(request: Recorded):
            wanted = _display_name_filter(request)
            items = [item for name, item in store.items() if name.startswith(request.match["parent"] + "/")
                     and (wanted is None or item.get("displayName") == wanted)]
            return 200, {collection: items}
        return handler

    # -- Cloud Storage: the pipeline-root bucket check --------------------------
    # PipelineJob.submit looks the bucket up and creates it when missing. For an
    # existing bucket the SDK asks Resource Manager (over gRPC, which no loopback fake
    # answers) who owns it, so this fake reports every bucket missing and records the
    # create: tests then never reach for the network.
    def _get_bucket(self, request: Recorded):
        return 404, {"error": {"code": 404, "message": "The specified bucket does not exist."}}

    def _create_bucket(self, request: Recorded):
        bucket = dict(request.body, id=request.body["name"], projectNumber="123456789")
        self.buckets[bucket["name"]] = bucket
        return 200, bucket

    # -- pipeline jobs and schedules -----------------------------------------
    def _create_pipeline_job(self, request: Recorded):
        job_id = (request.query.get("pipelineJobId") or [self._new_id()])[0]
        job = copy.deepcopy(request.body)
        job.update(name=f"{request.match['parent']}/pipelineJobs/{job_id}", state="PIPELINE_STATE_PENDING", createTime=NOW)
        self.pipeline_jobs[job["name"]] = job
        return 200, job

    def _create_schedule(self, request: Recorded):
        schedule = copy.deepcopy(request.body)
        schedule.update(name=f"{request.match['parent']}/schedules/{self._new_id()}", state="ACTIVE", createTime=NOW)
        self.schedules[schedule["name"]] = schedule
        return 200, schedule

    def _patch_schedule(self, request: Recorded):
        name = f"{request.match['parent']}/schedules/{request.match['id']}"
        if name not in self.schedules:
            return 404, {"error": {"code": 404, "message": f"{name} not found", "status": "NOT_FOUND"}}
        mask = (request.query.get("updateMask") or [""])[0]
        for path in filter(None, mask.split(",")):
            key = re.sub(r"_(\w)", lambda m: m.group(1).upper(), path)
            if key in request.body:
                self.schedules[name][key] = request.body[key]
        self.schedules[name]["updateTime"] = NOW
        return 200, self.schedules[name]

    # -- Model Registry ------------------------------------------------------
    def _default_version(self, name: str) -> dict:
        versions = self.models[name]
        return next((v for v in versions if "default" in v.get("versionAliases", [])), versions[-1])

    def _list_models(self, request: Recorded):
        wanted = _display_name_filter(request)
        models = [self._default_version(name) for name in self.models
                  if name.startswith(request.match["parent"] + "/")
                  and (wanted is None or self._default_version(name).get("displayName") == wanted)]
        return 200, {"models": models}

    def _upload_model(self, request: Recorded):
        body = request.body
        model = copy.deepcopy(body["model"])
        parent_model = body.get("parentModel")
        if parent_model:
            if parent_model not in self.models:
                return 404, {"error": {"code": 404, "message": f"{parent_model} not found", "status": "NOT_FOUND"}}
            name, versions = parent_model, self.models[parent_model]
        else:
            name = f"{request.match['parent']}/models/{body.get('modelId') or self._new_id()}"
            versions = self.models.setdefault(name, [])
        aliases = list(model.get("versionAliases", []))
        if not versions and "default" not in aliases:
            aliases.append("default")  # the first version of a model is always its default
        for older in versions:  # an alias names one version of a model at a time
            older["versionAliases"] = [a for a in older.get("versionAliases", []) if a not in aliases]
        version_id = str(len(versions) + 1)
        model.update(name=name, versionId=version_id, versionAliases=aliases, createTime=NOW, versionCreateTime=NOW,
                     supportedDeploymentResourcesTypes=["DEDICATED_RESOURCES"])
        versions.append(model)
        return self._operation(request.match["parent"], "UploadModelResponse", {"model": name, "modelVersionId": version_id})

    def _get_model(self, request: Recorded):
        name = f"{request.match['parent']}/models/{request.match['id']}"
        if name not in self.models:
            return 404, {"error": {"code": 404, "message": f"{name} not found", "status": "NOT_FOUND"}}
        version = request.match.get("version")
        if not version:
            return 200, self._default_version(name)
        for candidate in self.models[name]:
            if version in (candidate["versionId"], *candidate.get("versionAliases", [])):
                return 200, candidate
        return 404, {"error": {"code": 404, "message": f"{name}@{version} not found", "status": "NOT_FOUND"}}

    # -- endpoints -----------------------------------------------------------
    def _create_endpoint(self, request: Recorded):
        endpoint = copy.deepcopy(request.body)
        endpoint_id = (request.query.get("endpointId") or [self._new_id()])[0]
        endpoint.update(name=f"{request.match['parent']}/endpoints/{endpoint_id}", createTime=NOW)
        self.endpoints[endpoint["name"]] = endpoint
        return self._operation(request.match["parent"], "Endpoint", endpoint)

    def _deploy_model(self, request: Recorded):
        name = f"{request.match['parent']}/endpoints/{request.match['id']}"
        if name not in self.endpoints:
            return 404, {"error": {"code": 404, "message": f"{name} not found", "status": "NOT_FOUND"}}
        endpoint = self.endpoints[name]
        deployed = copy.deepcopy(request.body["deployedModel"])
        deployed["id"] = self._new_id()
        if "@" in deployed.get("model", ""):  # Vertex answers with the model and its version apart
            deployed["model"], deployed["modelVersionId"] = deployed["model"].split("@", 1)
        endpoint.setdefault("deployedModels", []).append(deployed)
        split = dict(request.body.get("trafficSplit") or {"0": 100})
        if "0" in split:
            split[deployed["id"]] = split.pop("0")
        endpoint["trafficSplit"] = split
        return self._operation(request.match["parent"], "DeployModelResponse", {"deployedModel": deployed})

    def _predict(self, request: Recorded):
        import json

        import tensorflow as tf

        from fakes.tf_serving import RowFormatError, predict_rows

        name = f"{request.match['parent']}/endpoints/{request.match['id']}"
        endpoint = self.endpoints.get(name)
        if endpoint is None:
            return 404, {"error": {"code": 404, "message": f"{name} not found", "status": "NOT_FOUND"}}
        if not endpoint.get("deployedModels"):
            return 400, {"error": {"code": 400, "message": f"{name} has no deployed model", "status": "FAILED_PRECONDITION"}}
        split = endpoint.get("trafficSplit") or {}
        deployed = max(endpoint["deployedModels"], key=lambda d: split.get(d["id"], 0))
        version_id = deployed.get("modelVersionId")
        versions = self.models[deployed["model"]]
        version = next(v for v in versions if v["versionId"] == version_id) if version_id else self._default_version(deployed["model"])
        uri = version["artifactUri"]
        if uri not in self.model_files:
            return 500, {"error": {"code": 500, "message": f"the fake holds no SavedModel for {uri}"}}
        if uri not in self._loaded:
            self._loaded[uri] = tf.saved_model.load(self.model_files[uri])
        try:
            answer = predict_rows(self._loaded[uri], json.dumps({"instances": request.body["instances"]}))
        except (RowFormatError, tf.errors.InvalidArgumentError) as error:  # TF Serving answers 400
            message = error.message if isinstance(error, tf.errors.InvalidArgumentError) else str(error)
            return 400, {"error": {"code": 400, "message": message, "status": "FAILED_PRECONDITION"}}
        return 200, dict(answer, deployedModelId=deployed["id"], model=deployed["model"],
                         modelVersionId=version["versionId"], modelDisplayName=version.get("displayName", ""))
