"""Where notebooks and scripts written before ``pipelines.local`` import the local runner from.

The runner itself is the ``pipelines.local`` package (runner, console, summary).
"""
from pipelines.local.console import Console, shutdown_noise
from pipelines.local.runner import LocalRunError, run_locally
from pipelines.local.summary import build_summary, find_error, human_summary

__all__ = ["Console", "LocalRunError", "build_summary", "find_error", "human_summary", "run_locally", "shutdown_noise"]
