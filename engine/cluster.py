"""Start and stop the local distributed Beam engine: a Flink session cluster on loopback.

``python engine/cluster.py start`` starts, as separate processes, each bound to 127.0.0.1:

- a Flink JobManager (``StandaloneSessionClusterEntrypoint``, REST on port 8081),
- two Flink TaskManagers (``TaskManagerRunner``, one task slot each),
- Beam's Flink job server (``FlinkJobServerDriver``, job endpoint 8099), which submits
  each Beam pipeline to the JobManager,
- a Beam Python SDK worker pool (engine/worker_pool.py, port 50000): the TaskManagers ask
  it for SDK workers (``--environment_type=EXTERNAL``) and it starts each as a process of
  its own. (Not Beam's ``worker_pool_main``: it ends workers by id alone, and both
  TaskManagers number their workers alike, so one TaskManager's stop killed the other's
  worker while it started and that TaskManager waited for ever; see worker_pool.py.)

Its Java classpath is ``engine/lib`` (``make engine`` resolves it from engine/pom.xml).
Process ids and logs go to ``engine/run/``. ``start`` returns once every port answers,
and fails naming the process and its log otherwise; ``stop`` ends exactly the processes
it started (by their recorded ids) and waits for them to exit. ``args`` prints the Beam
flags that send a pipeline to this engine.
"""
import glob
import os
import signal
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
LIB = os.path.join(HERE, "lib")
RUN = os.path.join(HERE, "run")
HOST = "127.0.0.1"
REST_PORT, JOB_PORT, WORKER_POOL_PORT = 8081, 8099, 50000
TASK_MANAGERS = 2
START_TIMEOUT_S = 240
ENVIRONMENT_CACHE_MS = 30_000

FLINK_CONF = {
    "jobmanager.rpc.address": HOST,
    "jobmanager.rpc.port": "6123",
    "jobmanager.bind-host": HOST,
    "jobmanager.memory.process.size": "768m",
    "rest.address": HOST,
    "rest.bind-address": HOST,
    "rest.port": str(REST_PORT),
    "taskmanager.bind-host": HOST,
    "taskmanager.host": HOST,
    "taskmanager.numberOfTaskSlots": "1",
    # A TaskManager started without Flink's scripts must be given its resources outright.
    "taskmanager.cpu.cores": "1",
    "taskmanager.memory.framework.heap.size": "128m",
    "taskmanager.memory.framework.off-heap.size": "64m",
    "taskmanager.memory.task.heap.size": "256m",
    "taskmanager.memory.task.off-heap.size": "0m",
    "taskmanager.memory.managed.size": "64m",
    "taskmanager.memory.network.min": "160m",
    "taskmanager.memory.network.max": "160m",
    # a blocking shuffle otherwise takes 512 network buffers per partition (16 MB)
    "taskmanager.network.sort-shuffle.min-buffers": "64",
    "taskmanager.memory.jvm-metaspace.size": "192m",
    "taskmanager.memory.jvm-overhead.min": "128m",
    "taskmanager.memory.jvm-overhead.max": "128m",
    "blob.server.port": "6124",
    "classloader.resolve-order": "parent-first",
    "parallelism.default": str(TASK_MANAGERS),
}


def beam_args():
    """The Beam flags that run a pipeline on this engine, its work spread over both
    TaskManagers and done by worker-pool processes."""
    return [
        "--runner=PortableRunner",
        f"--job_endpoint={HOST}:{JOB_PORT}",
        f"--artifact_endpoint={HOST}:{JOB_PORT + 1}",
        "--environment_type=EXTERNAL",
        f"--environment_config={HOST}:{WORKER_POOL_PORT}",
        f"--parallelism={TASK_MANAGERS}",
        # keep a TaskManager's SDK worker for the next stage of the same job instead of
        # starting (and importing TensorFlow in) a new one for every stage
        f"--environment_cache_millis={ENVIRONMENT_CACHE_MS}",
    ]


def _java(name, main, args, heap):
    return [
        "java", f"-Xmx{heap}", f"-Xms{heap}", "-XX:MaxDirectMemorySize=320m",
        "--add-opens=java.base/java.lang=ALL-UNNAMED", "--add-opens=java.base/java.util=ALL-UNNAMED",
        "-cp", os.path.join(LIB, "*"), main, *args,
    ]


def _commands(conf_dir):
    tm = "org.apache.flink.runtime.taskexecutor.TaskManagerRunner"
    commands = [("jobmanager", _java("jobmanager", "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint",
                                     ["--configDir", conf_dir], "512m"), REST_PORT)]
    for index in range(TASK_MANAGERS):
        commands.append((f"taskmanager-{index}", _java(f"taskmanager-{index}", tm, ["--configDir", conf_dir], "640m"), None))
    commands.append(("jobserver", _java("jobserver", "org.apache.beam.runners.flink.FlinkJobServerDriver", [
        f"--flink-master={HOST}:{REST_PORT}", f"--job-host={HOST}", f"--job-port={JOB_PORT}",
        f"--artifact-port={JOB_PORT + 1}", "--expansion-port=0"], "512m"), JOB_PORT))
    commands.append(("workerpool", [sys.executable, os.path.join(HERE, "worker_pool.py"),
                                    f"--host={HOST}", f"--port={WORKER_POOL_PORT}"], WORKER_POOL_PORT))
    return commands


def _answers(port):
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((HOST, port)) == 0


def _pid_files():
    return sorted(glob.glob(os.path.join(RUN, "*.pid")))


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _registered_task_managers():
    """How many TaskManagers the JobManager lists (0 while its REST API answers 503,
    which it does until its leader is elected, or does not answer in time)."""
    import json
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(f"http://{HOST}:{REST_PORT}/taskmanagers", timeout=10) as response:
            return len(json.load(response)["taskmanagers"])
    except urllib.error.HTTPError as error:
        if error.code != 503:
            raise
        return 0
    except (TimeoutError, ConnectionError, urllib.error.URLError):
        return 0  # a JobManager slow to answer on a busy machine: ask again


def _wait(name, process, check, what):
    deadline = time.monotonic() + START_TIMEOUT_S
    while not check():
        if process.poll() is not None:
            raise SystemExit(f"engine: {name} exited with status {process.returncode}; see {os.path.join(RUN, name + '.out')}")
        if time.monotonic() > deadline:
            raise SystemExit(f"engine: {name} did not {what} within {START_TIMEOUT_S} s; see {os.path.join(RUN, name + '.out')}")
        time.sleep(1)


def start():
    """Start every process (refused if a recorded one still runs); return when all answer."""
    if not glob.glob(os.path.join(LIB, "flink-runtime-*.jar")):
        raise SystemExit(f"engine: no Flink jars in {LIB}; run `make engine`")
    running = [path for path in _pid_files() if _alive(int(open(path).read()))]
    if running:
        raise SystemExit(f"engine: already running ({', '.join(os.path.basename(p) for p in running)}); `make engine-stop` first")
    os.makedirs(RUN, exist_ok=True)
    conf_dir = os.path.join(RUN, "conf")
    os.makedirs(conf_dir, exist_ok=True)
    with open(os.path.join(conf_dir, "flink-conf.yaml"), "w") as handle:
        handle.writelines(f"{key}: {value}\n" for key, value in FLINK_CONF.items())
    try:
        _start_all(conf_dir)
    except BaseException:
        stop()  # nothing is left running after a failed start
        raise
    print("engine: Flink on http://%s:%d, Beam job server %s:%d; Beam flags: %s" % (
        HOST, REST_PORT, HOST, JOB_PORT, " ".join(beam_args())))


def _start_all(conf_dir):
    for name, command, port in _commands(conf_dir):
        # The worker pool starts each SDK worker as `python ...`: this venv's python comes first.
        env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
        with open(os.path.join(RUN, name + ".out"), "w") as log:
            process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=RUN, env=env, start_new_session=True)
        with open(os.path.join(RUN, name + ".pid"), "w") as handle:
            handle.write(str(process.pid))
        if port is not None:
            _wait(name, process, lambda port=port: _answers(port), f"answer on port {port}")
        if name == f"taskmanager-{TASK_MANAGERS - 1}":
            _wait(name, process, lambda: _registered_task_managers() == TASK_MANAGERS, f"register {TASK_MANAGERS} TaskManagers")
        print(f"engine: {name} started (pid {process.pid})", flush=True)


def stop():
    """Stop the recorded processes (SIGTERM, then SIGKILL after 30 s) and forget them."""
    for path in reversed(_pid_files()):
        pid = int(open(path).read())
        if _alive(pid):
            os.killpg(pid, signal.SIGTERM)
            deadline = time.monotonic() + 30
            while _alive(pid) and time.monotonic() < deadline:
                try:
                    os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    pass
                time.sleep(0.5)
            if _alive(pid):
                os.killpg(pid, signal.SIGKILL)
        os.remove(path)
        print(f"engine: {os.path.basename(path)[:-4]} stopped (pid {pid})")


if __name__ == "__main__":
    commands = {"start": start, "stop": stop, "args": lambda: print(" ".join(beam_args()))}
    if len(sys.argv) != 2 or sys.argv[1] not in commands:
        raise SystemExit("usage: cluster.py start|stop|args")
    commands[sys.argv[1]]()
