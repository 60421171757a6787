"""kfp's own local task cache for ``kfp-tf run``, where the installed kfp has one.

kfp 2.17 (the tfx-1.21 track) caches local task outputs: ``local.init(enable_caching=True,
cache_root=...)`` keys each task on its component, command, arguments (input
artifacts by URI) and environment, and serves a hit from the earlier run's
artifacts. kfp 2.13 (the tfx-1.16 track) has no local cache, and every task runs.

Honest keys come from the pipelines, not from here: ``fingerprint_inputs`` is never
cached and lists the state of every external file (names, sizes, modification
times), and ingest takes that fingerprint as an argument, so a changed file changes
ingest's key and re-runs everything downstream; tasks that read or write the serving
folder are marked never cached (README, "Caching").
"""
import inspect
import os
from typing import Dict

CACHE_DIR = "kfp_cache"


def local_cache_supported() -> bool:
    """True when the installed kfp's ``local.init`` takes ``enable_caching`` (kfp >= 2.17)."""
    from kfp import local

    return "enable_caching" in inspect.signature(local.init).parameters


def cache_arguments(workdir: str) -> Dict[str, object]:
    """Keyword arguments for ``kfp.local.init`` that turn kfp's cache on, with its entries
    in ``<workdir>/kfp_cache`` beside the runs whose artifacts they point at; empty
    where kfp has no local cache (every task then runs)."""
    if not local_cache_supported():
        return {}
    return {"enable_caching": True, "cache_root": os.path.join(os.path.abspath(workdir), CACHE_DIR)}
