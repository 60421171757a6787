"""Where the compiled templates live: the one home of that path.

``pipelines/compiled`` is package data of this package. In a source checkout it
is a symlink to the repository's ``compiled/`` (what ``make compile`` writes and
CI checks in); in an installed wheel it is the copy built into the wheel, so
``kfp-tf submit training`` finds its template from any folder.
``kfp-tf compile`` writes to the repository's ``compiled/`` in a checkout and to
``./compiled`` when the package is installed (site-packages is not the user's to
write); ``--compiled-dir`` points ``submit`` and ``upload`` at such a folder.
"""
import os

TEMPLATES_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "compiled")


def source_checkout() -> bool:
    """True when running from a checkout (``pipelines/compiled`` is the symlink)."""
    return os.path.islink(TEMPLATES_DIR)


def default_output_dir() -> str:
    """Where ``kfp-tf compile`` writes by default (see the module docstring)."""
    return os.path.realpath(TEMPLATES_DIR) if source_checkout() else os.path.abspath("compiled")
