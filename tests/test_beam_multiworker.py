"""Beam 2.72's (and 2.77's) multi-worker FnApiRunner race, and the fix in components/common/beam_options.py.

The pipeline (benchmarks/beam_race.py) only moves ~1 KB strings across one stage
boundary to two worker processes and counts them. With the runner's timed flush at
20 ms (1000 ms in Beam: the same race, rarer) elements are lost without the fix and
none with it. Each run is its own process: both settings are process-wide.
"""
import json
import os
import subprocess
import sys

import pytest

from components.common.errors import ConfigurationError

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RACE = os.path.join(REPO_ROOT, "benchmarks", "beam_race.py")
ELEMENTS = 50_000


def _race(*flags):
    done = subprocess.run(
        [sys.executable, RACE, "--elements", str(ELEMENTS), "--flush-ms", "20", "--mode", "multi_processing", *flags],
        capture_output=True, text=True, cwd=REPO_ROOT, timeout=240,
        env=dict(os.environ, PYTHONWARNINGS="ignore"),
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_two_workers_lose_elements_without_the_fix_and_none_with_it():
    # The race needs a write to land between the flush's get() and _clear(): a matter of
    # timing, which one run on a loaded machine can miss (seen with Beam 2.77 at a load
    # average of 15 on 2 cores). One loss in up to three unfixed runs shows it is real.
    for _ in range(3):
        without = _race()
        if without["lost"] > 0:
            break
    assert without["lost"] > 0, without  # the race is real on this Beam: the fix is needed
    fixed = _race("--fix")
    assert fixed["lost"] == 0 and fixed["counted"] == ELEMENTS, fixed


def test_the_fix_is_refused_on_a_beam_version_it_was_not_checked_on():
    from components.common.beam_options import VERIFIED_BEAM, apply_multiworker_fix

    with pytest.raises(ConfigurationError, match=r"Apache Beam 2\.99\.0.*verified on those versions only"):
        apply_multiworker_fix("2.99.0")
    assert VERIFIED_BEAM == ("2.72.0", "2.77.0")


def test_one_worker_leaves_beam_untouched():
    script = (
        "from apache_beam.runners.portability.fn_api_runner import worker_handlers as w\n"
        "from components.common.beam_options import pipeline_options, worker_count\n"
        "pipeline_options([]); pipeline_options(['--direct_num_workers=1'])\n"
        "assert w.DATA_BUFFER_TIME_LIMIT_MS == 1000, w.DATA_BUFFER_TIME_LIMIT_MS\n"
        "assert worker_count(['--direct_num_workers', '3']) == 3\n"
        "pipeline_options(['--direct_num_workers=2', '--direct_running_mode=multi_processing'])\n"
        "assert w.DATA_BUFFER_TIME_LIMIT_MS == 0\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO_ROOT, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
