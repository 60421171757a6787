"""Progress of a long step, as one line a local run's console shows while it runs.

A task calls ``report("epoch 3/20: loss 0.41")``; the line goes to the task's standard
output as ``[kfp-tf progress] epoch 3/20: loss 0.41`` and is flushed at once, so it
appears in the cloud task's log as well. The local runner's console
(``pipelines/local/console.py``) recognises the marker and prints
``[kfp-tf]   <task>: epoch 3/20: loss 0.41``. Standard library only: importable from
the authoring layer.
"""
import sys

MARKER = "[kfp-tf progress] "


def report(text: str) -> None:
    """Write one progress line (``text`` must not contain a line break)."""
    sys.stdout.write(MARKER + " ".join(str(text).splitlines()) + "\n")
    sys.stdout.flush()


def parse(line: str):
    """The text of a progress line, or None when ``line`` is not one."""
    index = line.find(MARKER)
    return line[index + len(MARKER):].strip() if index >= 0 else None
