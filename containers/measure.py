"""Measure the component image: size, bare container start, and per-component start
overhead in a real run of the training pipeline.

    .venv/bin/python containers/measure.py [--compare-subprocess] [--output FILE.json]

Per task, "start → first line" is the time from kfp's DockerRunner announcing the
image (``Found image ...``, printed just before it creates the container) to the
first line the container logs; with ``--compare-subprocess`` the same training
pipeline also runs with cold subprocess tasks (``python3`` per task, kfp's own
SubprocessRunner), measured from ``Executing task`` to the task's first line, so
the difference is what the container costs per component. Needs the daemon and
the image (``make image``).
"""
import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import time

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_ORCHESTRATOR_LINE = re.compile(r"^\d\d:\d\d:\d\d\.\d+ - [A-Z]+ - |^\[kfp-tf\]|^\s*Found image ")
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO_ROOT)


class _StampedLines:
    """A stdout stand-in that keeps (monotonic time, line) for every complete line."""

    def __init__(self):
        self.lines, self._pending = [], ""

    def write(self, text):
        self._pending += text
        while "\n" in self._pending:
            line, self._pending = self._pending.split("\n", 1)
            self.lines.append((time.monotonic(), _ANSI.sub("", line)))
        return len(text)

    def flush(self):
        pass

    def isatty(self):
        return False


def first_line_delays(lines, start_marker):
    """Seconds from each task's ``start_marker`` line to the task's first own line
    (kfp's executor, inside the task, announcing the component it loads)."""
    delays, task, since = {}, None, None
    for when, line in lines:
        if "Executing task '" in line:
            task = line.split("Executing task '", 1)[1].split("'", 1)[0]
            since = when if start_marker == "Executing task" else None
            continue
        if task is None:
            continue
        if since is None and start_marker in line:
            since = when
            continue
        if since is not None and line.strip() and task not in delays and not _ORCHESTRATOR_LINE.search(line):
            delays[task] = round(when - since, 2)
    return delays


def run_pipeline(runner, workdir):
    from pipelines import training
    from pipelines.cli import SAMPLE_DATA
    from pipelines.local import run_locally

    arguments = {
        "data_path": SAMPLE_DATA,
        "label": "species",
        "serving_model_dir": os.path.join(workdir, "pipeline_root", "serving_model"),
    }
    stamped, real = _StampedLines(), sys.stdout
    sys.stdout = stamped
    try:
        summary = run_locally(training, arguments, workdir, verbose=True, warm=False, runner=runner)
    finally:
        sys.stdout = real
    marker = "Found image" if runner == "docker" else "Executing task"
    return summary, first_line_delays(stamped.lines, marker)


def bare_start_seconds(image, repeats=5):
    """Median wall time of ``docker run --rm IMAGE true``-equivalent: create, start, wait, remove."""
    import docker

    client = docker.from_env()
    samples = []
    for _ in range(repeats):
        started = time.monotonic()
        client.containers.run(image, ["true"], remove=True, network_mode="none")
        samples.append(time.monotonic() - started)
    client.close()
    return round(statistics.median(samples), 2)


def main():
    from components.image import COMPONENT_IMAGE
    import docker

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--compare-subprocess", action="store_true")
    parser.add_argument("--output", help="also write the figures here as JSON")
    args = parser.parse_args()

    client = docker.from_env()
    image = client.images.get(COMPONENT_IMAGE)
    figures = {
        "image": COMPONENT_IMAGE,
        "image_id": image.id[:19],
        "image_size_gb": round(image.attrs["Size"] / 1e9, 2),
        "bare_container_run_seconds": bare_start_seconds(COMPONENT_IMAGE),
    }
    client.close()
    with tempfile.TemporaryDirectory() as workdir:
        summary, delays = run_pipeline("docker", os.path.join(workdir, "docker"))
        figures["docker"] = {"status": summary["status"], "seconds": summary["seconds"],
                             "task_seconds": summary["task_seconds"], "start_to_first_line": delays}
        if args.compare_subprocess:
            summary, delays = run_pipeline("subprocess", os.path.join(workdir, "subprocess"))
            figures["subprocess_cold"] = {"status": summary["status"], "seconds": summary["seconds"],
                                          "task_seconds": summary["task_seconds"], "start_to_first_line": delays}
    text = json.dumps(figures, indent=2)
    print(text)
    if args.output:
        with open(args.output, "w") as handle:
            handle.write(text + "\n")


if __name__ == "__main__":
    main()
