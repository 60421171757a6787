"""vertex_push: the runtime against a loopback fake of the Vertex AI REST API (real google-cloud-aiplatform)."""
import os

import pytest
import yaml
from google.auth.credentials import AnonymousCredentials

from components.common.errors import ConfigurationError
from components.vertex_push.runtime import gcs_artifact_uri, model_to_register, push_to_vertex
from conftest import REPO_ROOT
from fakes.fixtures import fake_vertex  # noqa: F401 (fixture)

PARENT = "projects/my-project/locations/europe-west4/models"
IMAGE = "europe-docker.pkg.dev/vertex-ai/prediction/tf2-cpu.2-16:latest"


def push(fake, model_uri, blessed, **overrides):
    options = dict(project="my-project", location="europe-west4", model_display_name="penguins",
                   version_aliases=["run-42"], labels={"team": "ml", "pipeline": "vertex-training"},
                   api_endpoint=fake.url, credentials=AnonymousCredentials())
    options.update(overrides)
    return push_to_vertex(model_uri, blessed, **options)


def uploads(fake):
    return [r.body for r in fake.calls("POST", r"/v1/projects/my-project/locations/europe-west4/models:upload")]


def test_blessed_model_creates_the_parent_then_a_challenger_is_a_non_default_version(fake_vertex):
    first = push(fake_vertex, "gs://pipeline-bucket/root/train/model", blessed=True)
    [request] = uploads(fake_vertex)
    assert "parentModel" not in request  # first use: the upload creates the parent
    assert request["model"]["displayName"] == "penguins"
    assert request["model"]["artifactUri"] == "gs://pipeline-bucket/root/train/model"
    assert request["model"]["containerSpec"]["imageUri"] == IMAGE
    assert request["model"]["labels"] == {"team": "ml", "pipeline": "vertex-training"}
    assert request["model"]["versionAliases"] == ["run-42", "champion", "default"]
    assert first["is_default_version"] and first["model_version"] == first["model"] + "@1"

    second = push(fake_vertex, "/gcs/pipeline-bucket/root/train/model-2", blessed=False, version_aliases=["run-43"])
    request = uploads(fake_vertex)[-1]
    assert request["parentModel"] == first["model"]
    assert request["model"]["artifactUri"] == "gs://pipeline-bucket/root/train/model-2"  # /gcs/ mount -> gs://
    assert request["model"]["versionAliases"] == ["run-43"]  # no "default", no champion alias
    assert second["model_version"] == first["model"] + "@2" and not second["is_default_version"]
    versions = fake_vertex.models[first["model"]]
    assert "default" in versions[0]["versionAliases"] and "default" not in versions[1]["versionAliases"]

    third = push(fake_vertex, "gs://pipeline-bucket/root/train/model-3", blessed=True, version_aliases=[])
    assert uploads(fake_vertex)[-1]["parentModel"] == first["model"]
    assert third["model_version"] == first["model"] + "@3"
    assert [v["versionAliases"] for v in fake_vertex.models[first["model"]]] == [["run-42"], ["run-43"], ["champion", "default"]]


def test_not_blessed_without_a_parent_registers_nothing(fake_vertex):
    result = push(fake_vertex, "gs://pipeline-bucket/root/train/model", blessed=False)
    assert result["uploaded"] is False and "no parent model" in result["reason"]
    assert uploads(fake_vertex) == [] and fake_vertex.models == {}


def test_explicit_parent_model_and_deployment_with_traffic_split(fake_vertex):
    key = "projects/my-project/locations/europe-west4/keyRings/ring/cryptoKeys/key"
    created = push(fake_vertex, "gs://b/model-1", blessed=True, endpoint_display_name="penguins-online",
                   machine_type="n1-standard-4", encryption_key=key)
    assert uploads(fake_vertex)[0]["model"]["encryptionSpec"] == {"kmsKeyName": key}
    [create_endpoint] = fake_vertex.calls("POST", r".*/endpoints")
    assert create_endpoint.body["displayName"] == "penguins-online"
    assert create_endpoint.body["encryptionSpec"] == {"kmsKeyName": key}
    [first_deploy] = fake_vertex.calls("POST", r".*/endpoints/[^/]+:deployModel")
    assert first_deploy.body["deployedModel"]["model"] == created["model_version"]
    assert first_deploy.body["deployedModel"]["dedicatedResources"]["machineSpec"]["machineType"] == "n1-standard-4"
    assert created["endpoint"] in fake_vertex.endpoints
    assert created["deployed_model_id"] == fake_vertex.endpoints[created["endpoint"]]["deployedModels"][0]["id"]

    model_id = created["model"].rsplit("/", 1)[1]
    second = push(fake_vertex, "gs://b/model-2", blessed=True, parent_model=model_id, model_display_name="renamed",
                  endpoint_display_name="penguins-online", traffic_percentage=25)
    assert uploads(fake_vertex)[-1]["parentModel"] == created["model"]
    assert len(fake_vertex.calls("POST", r".*/endpoints")) == 1  # the endpoint was found, not created again
    deploy = fake_vertex.calls("POST", r".*/endpoints/[^/]+:deployModel")[-1]
    assert deploy.body["trafficSplit"] == {"0": 25, created["deployed_model_id"]: 75}
    endpoint = fake_vertex.endpoints[second["endpoint"]]
    assert endpoint["trafficSplit"] == {created["deployed_model_id"]: 75, second["deployed_model_id"]: 25}


def test_not_blessed_model_is_never_deployed(fake_vertex):
    push(fake_vertex, "gs://b/model-1", blessed=True)
    result = push(fake_vertex, "gs://b/model-2", blessed=False, endpoint_display_name="penguins-online")
    assert result["uploaded"] and not result["endpoint"]
    assert not fake_vertex.calls("POST", r".*/endpoints") and not fake_vertex.calls("POST", r".*:deployModel")


def test_bad_input_fails_clearly_and_uploads_nothing(fake_vertex, tmp_path):
    with pytest.raises(ConfigurationError, match="Cloud Storage only"):
        push(fake_vertex, str(tmp_path / "model"), blessed=True)
    with pytest.raises(ConfigurationError, match="not valid"):
        push(fake_vertex, "gs://b/m", blessed=True, version_aliases=["Has Spaces"])
    with pytest.raises(ConfigurationError, match="'default'"):
        push(fake_vertex, "gs://b/m", blessed=True, version_aliases=["default"])
    with pytest.raises(ConfigurationError, match="traffic_percentage"):
        push(fake_vertex, "gs://b/m", blessed=True, traffic_percentage=120)
    assert fake_vertex.requests == []
    with pytest.raises(ConfigurationError, match="does not exist"):
        push(fake_vertex, "gs://b/m", blessed=True, parent_model="424242")
    assert uploads(fake_vertex) == []
    assert gcs_artifact_uri("/gcs/bucket/a/b/") == "gs://bucket/a/b"


def test_compiled_outputs_are_typed_for_vertex_lineage():
    with open(os.path.join(REPO_ROOT, "compiled", "components", "vertex_push.yaml")) as handle:
        spec = yaml.safe_load(handle)
    outputs = spec["components"]["comp-vertex-push"]["outputDefinitions"]["artifacts"]
    assert outputs["vertex_model"]["artifactType"]["schemaTitle"] == "google.VertexModel"
    assert outputs["vertex_endpoint"]["artifactType"]["schemaTitle"] == "google.VertexEndpoint"
    with open(os.path.join(REPO_ROOT, "compiled", "vertex-training.yaml")) as handle:
        pipeline = yaml.safe_load(handle)
    push_task = pipeline["root"]["dag"]["tasks"]["vertex-push"]
    assert push_task["inputs"]["artifacts"]["model"]["taskOutputArtifact"] == {"outputArtifactKey": "model", "producerTask": "train"}
    assert push_task["inputs"]["artifacts"]["blessing"]["taskOutputArtifact"]["producerTask"] == "evaluate"
    assert push_task["inputs"]["artifacts"]["infra_blessing"]["taskOutputArtifact"]["producerTask"] == "infra-validate"
    assert push_task["inputs"]["artifacts"]["pushed_model"]["taskOutputArtifact"] == {"outputArtifactKey": "pushed_model", "producerTask": "push"}


def test_a_blessed_model_is_registered_from_its_pushed_version_which_carries_the_monitoring_baseline(fake_vertex):
    train_model = "gs://pipeline-bucket/root/train/model"
    pushed = {"pushed": True, "pushed_destination": "gs://models-bucket/penguins/1764612345", "pushed_version": 1764612345}
    assert model_to_register(train_model, True, pushed) == "gs://models-bucket/penguins/1764612345"
    assert model_to_register(train_model, True, None) == train_model  # the component alone, no push task
    assert model_to_register(train_model, False, {"pushed": False, "pushed_destination": ""}) == train_model
    push(fake_vertex, model_to_register(train_model, True, pushed), blessed=True)
    [request] = uploads(fake_vertex)
    assert request["model"]["artifactUri"] == "gs://models-bucket/penguins/1764612345"


def test_the_component_runs_under_kfp_local_and_refuses_a_local_model(tmp_path, capfd):
    """The wrapper as compiled (custom artifact types, blessing read) runs in kfp's executor; a local path stops it."""
    from kfp import dsl, local
    from kfp.dsl import Artifact, Model

    from components.catalog import vertex_push

    model, blessing, infra_blessing = tmp_path / "model", tmp_path / "blessing", tmp_path / "infra_blessing"
    model.mkdir()
    (model / "saved_model.pb").write_bytes(b"graph")
    blessing.mkdir()
    (blessing / "BLESSED").write_text("")
    infra_blessing.mkdir()
    (infra_blessing / "INFRA_BLESSED").write_text("")

    @dsl.pipeline(name="vertex-push-locally")
    def push_locally():
        imported_model = dsl.importer(artifact_uri=str(model), artifact_class=Model)
        imported_blessing = dsl.importer(artifact_uri=str(blessing), artifact_class=Artifact)
        imported_infra = dsl.importer(artifact_uri=str(infra_blessing), artifact_class=Artifact)
        # pushed_model is optional, but kfp.local (2.13) cannot leave an input artifact out.
        imported_push = dsl.importer(artifact_uri=str(model), artifact_class=Model, metadata={"pushed": False})
        vertex_push(model=imported_model.output, blessing=imported_blessing.output,
                    infra_blessing=imported_infra.output, pushed_model=imported_push.output, project="my-project",
                    location="us-central1", model_display_name="penguins")

    local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=str(tmp_path / "root"), raise_on_error=True)
    with pytest.raises(RuntimeError, match="vertex-push"):
        push_locally()
    log = capfd.readouterr()
    assert "ConfigurationError" in log.out + log.err and "Cloud Storage only" in log.out + log.err
