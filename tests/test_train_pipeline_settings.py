"""The training pipeline's train task: its resources, retry policy and inputs, in the compiled IR."""
import yaml
from kfp import compiler

from pipelines.cli import run_arguments
from pipelines.training import TRAIN_RETRIES, training


def compiled(tmp_path, arguments=None):
    path = str(tmp_path / "training.yaml")
    compiler.Compiler().compile(training, path, pipeline_parameters=arguments)
    with open(path) as handle:
        return yaml.safe_load(handle)


def test_train_task_carries_resources_retries_and_its_inputs(tmp_path):
    document = compiled(tmp_path)
    resources = document["deploymentSpec"]["executors"]["exec-train"]["container"]["resources"]
    parameter = "{{$.inputs.parameters['pipelinechannel--%s']}}"
    assert resources == {
        "resourceCpuLimit": parameter % "train_cpu_limit",
        "resourceMemoryLimit": parameter % "train_memory_limit",
        "accelerator": {
            "resourceType": parameter % "train_accelerator_type",
            "resourceCount": parameter % "train_accelerator_count",
        },
    }
    root = document["root"]
    defaults = {name: spec.get("defaultValue") for name, spec in root["inputDefinitions"]["parameters"].items()}
    assert defaults["train_cpu_limit"] == "4" and defaults["train_memory_limit"] == "16G"
    assert defaults["train_accelerator_type"] == "" and defaults["train_accelerator_count"] == 1
    assert defaults["checkpoint_dir"] == "" and defaults["early_stopping_patience"] == 10
    task = root["dag"]["tasks"]["train"]
    assert task["retryPolicy"]["maxRetryCount"] == TRAIN_RETRIES >= 1
    wired = {name: spec.get("componentInputParameter") for name, spec in task["inputs"]["parameters"].items()}
    for name in ("module_file", "checkpoint_dir", "early_stopping_patience", "deterministic"):
        assert wired[name] == name
    outputs = document["components"]["comp-train"]["outputDefinitions"]["artifacts"]
    assert outputs["tensorboard_logs"]["artifactType"]["schemaTitle"] == "system.Artifact"


def test_a_gpu_request_is_a_pipeline_argument(tmp_path):
    document = compiled(tmp_path, {"train_accelerator_type": "NVIDIA_TESLA_T4", "train_accelerator_count": 2})
    defaults = {name: spec.get("defaultValue") for name, spec in document["root"]["inputDefinitions"]["parameters"].items()}
    assert defaults["train_accelerator_type"] == "NVIDIA_TESLA_T4" and defaults["train_accelerator_count"] == 2


def test_local_runs_keep_checkpoints_in_a_stable_folder(tmp_path):
    class Args:
        pipeline, data, label, serving_model_dir, schema, baseline = "training", None, None, None, None, None

    arguments = run_arguments(Args(), str(tmp_path))
    assert arguments["checkpoint_dir"] == str(tmp_path / "pipeline_root" / "checkpoints")
