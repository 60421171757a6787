"""The warm worker and its client: forked tasks behave like fresh task processes."""
import json
import os
import subprocess
import sys

from pipelines import warm_client
from pipelines.warm_worker import WarmWorker

PROBE_COMPONENT = '''
import os, sys
from kfp import dsl
from kfp.dsl import *

def probe(code: int) -> str:
    print("preloaded", "tensorflow" in sys.modules, os.getcwd(), os.environ["PROBE"])
    print("to stderr", file=sys.stderr)
    if code:
        sys.exit(code)
    return "done"
'''


def test_client_without_a_worker_runs_the_real_interpreter():
    env = {k: v for k, v in os.environ.items() if not k.startswith("KFP_TF_")}
    done = subprocess.run(
        [sys.executable, warm_client.__file__, "-c", "import sys; print('real', sys.argv[1:]); sys.exit(3)", "x"],
        capture_output=True, text=True, env=env, timeout=60,
    )
    assert done.stdout.strip() == "real ['x']" and done.returncode == 3


def _executor_call(executable, tmp_path, code):
    module = tmp_path / "ephemeral_component.py"
    module.write_text(PROBE_COMPONENT)
    executor_input = {
        "inputs": {"parameterValues": {"code": code}},
        "outputs": {
            "parameters": {"Output": {"outputFile": str(tmp_path / f"output-{code}")}},
            "outputFile": str(tmp_path / f"executor_output-{code}.json"),
        },
    }
    return subprocess.run(
        [executable, "-m", "kfp.dsl.executor_main", "--component_module_path", str(module),
         "--executor_input", json.dumps(executor_input), "--function_to_execute", "probe"],
        capture_output=True, text=True, cwd=str(tmp_path), timeout=300,
        env=dict(os.environ, PROBE=f"value-{code}", _KFP_RUNTIME="true"),
    )


def test_tasks_run_in_forked_children_with_their_own_env_cwd_output_and_exit_code(tmp_path):
    with WarmWorker(str(tmp_path / "worker.log")) as worker:
        ok = _executor_call(worker.executable, tmp_path, 0)
        failed = _executor_call(worker.executable, tmp_path, 7)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert f"preloaded True {tmp_path} value-0" in ok.stdout and "to stderr" in ok.stderr
    assert json.loads((tmp_path / "executor_output-0.json").read_text())["parameterValues"]["Output"] == "done"
    assert failed.returncode == 7 and "value-7" in failed.stdout
    assert not os.path.exists(worker.socket_path)  # cleaned up on exit


def test_a_cold_task_does_not_have_tensorflow_preloaded(tmp_path):
    cold = _executor_call(sys.executable, tmp_path, 0)
    assert cold.returncode == 0 and "preloaded False" in cold.stdout
