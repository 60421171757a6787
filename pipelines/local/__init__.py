"""The local runner: kfp.local driven from this process, for ``kfp-tf run`` and notebooks.

``runner`` drives kfp.local (warm worker, private temp folders, Ctrl-C), ``console``
decides what the terminal shows and the run log keeps, ``summary`` writes
``summary.json`` and the closing lines. Imports kfp only when a run starts.
"""
from pipelines.local.runner import LocalRunError, run_locally
from pipelines.local.summary import build_summary, find_error, human_summary

__all__ = ["LocalRunError", "build_summary", "find_error", "human_summary", "run_locally"]
